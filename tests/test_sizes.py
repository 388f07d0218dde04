"""Closed-form sizes against torch's own modules, the Keras formulas and brute force."""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest
import torch

from lstmsizer.cells import GATES as CELL_GATES
from lstmsizer.config import ModelSpec, WindowSpec
from lstmsizer.errors import OptionError
from lstmsizer.sizes import (
    GATES,
    config_label,
    equal_budget_width,
    flops_per_sample,
    keras_parameter_count,
    parameter_breakdown,
    torch_parameter_count,
    training_flops,
)

CELLS = ["lstm", "gru", "rnn"]
TORCH_MODULES = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}
SIZES = list(itertools.product(CELLS, [1, 5], [1, 3], [1, 4], [1, 3]))


def _model(cell: str, units: int, layers: int = 1) -> ModelSpec:
    return ModelSpec(cell=cell, units=units, layers=layers)  # type: ignore[arg-type]


def keras_formula(cell: str, units: int, layers: int, n_features: int, out: int) -> int:
    """Keras's counts written out: LSTM 4(FU + UU + U), GRU 3(FU + UU + 2U), RNN FU + UU + U."""
    u, total = units, 0
    for k in range(layers):
        f = n_features if k == 0 else u
        if cell == "lstm":
            total += 4 * (f * u + u * u + u)
        elif cell == "gru":  # reset_after keeps an input and a recurrent bias
            total += 3 * (f * u + u * u + 2 * u)
        else:
            total += f * u + u * u + u
    return total + u * out + out


@pytest.mark.parametrize(("cell", "units", "layers", "n_features", "horizon"), SIZES)
def test_counts_equal_torch_modules_and_keras_formulas(
    cell: str, units: int, layers: int, n_features: int, horizon: int
) -> None:
    model, window = _model(cell, units, layers), WindowSpec(lags=4, horizon=horizon)
    recurrent = TORCH_MODULES[cell](n_features, units, num_layers=layers)
    head = torch.nn.Linear(units, horizon * 2)
    reference = sum(p.numel() for m in (recurrent, head) for p in m.parameters())
    assert torch_parameter_count(model, window, n_features, 2) == reference
    expected = keras_formula(cell, units, layers, n_features, horizon * 2)
    assert keras_parameter_count(model, window, n_features, 2) == expected


@pytest.mark.parametrize("cell", CELLS)
def test_breakdown_has_torch_parameter_names_and_shapes(cell: str) -> None:
    rows = parameter_breakdown(_model(cell, 8, 2), WindowSpec(5, 2), 3, n_targets=2)
    named = dict(TORCH_MODULES[cell](3, 8, num_layers=2).named_parameters())
    recurrent = {name: shape for row in rows[:-1] for name, shape in row.torch_shapes}
    assert recurrent == {name: tuple(p.shape) for name, p in named.items()}
    head = dict(torch.nn.Linear(8, 4).named_parameters())
    assert dict(rows[-1].torch_shapes) == {name: tuple(p.shape) for name, p in head.items()}
    for row in rows[:-1]:
        assert row.torch == sum(int(np.prod(shape)) for _, shape in row.torch_shapes)


def test_textbook_model_has_40901_parameters() -> None:
    window = WindowSpec(lags=2)
    assert keras_parameter_count(_model("lstm", 100), window, 1) == 40_901
    assert torch_parameter_count(_model("lstm", 100), window, 1) == 41_301
    assert keras_parameter_count(_model("gru", 100), window, 1) == 31_001
    assert keras_parameter_count(_model("rnn", 100), window, 1) == 10_301


def test_parameter_breakdown_textbook() -> None:
    lstm, dense = parameter_breakdown(_model("lstm", 100), WindowSpec(2), 1)
    assert lstm.name == "lstm_1" and dense.name == "dense"
    assert lstm.kernel_shapes == ((1, 400), (100, 400))
    assert lstm.bias_shapes == ((400,),)
    assert dict(lstm.torch_shapes)["bias_hh_l0"] == (400,)
    assert lstm.formula == "4 × (1×100 + 100×100 + 100) = 40,800"
    assert lstm.torch_formula == "4 × (1×100 + 100×100 + 2×100) = 41,200"
    assert (lstm.keras, lstm.torch) == (40_800, 41_200)
    assert dense.formula == "100×1 + 1 = 101" and dense.kernel_shapes == ((100, 1),)


def test_parameter_breakdown_stack() -> None:
    rows = parameter_breakdown(_model("gru", 8, 2), WindowSpec(3, horizon=2), 3, n_targets=2)
    assert [r.name for r in rows] == ["gru_1", "gru_2", "dense"]
    assert rows[1].kernel_shapes == ((8, 24), (8, 24)) and rows[1].bias_shapes == ((2, 24),)
    assert rows[1].formula == "3 × (8×8 + 8×8 + 2×8) = 432"
    assert rows[2].formula == "8×4 + 4 = 36"
    rnn = parameter_breakdown(_model("rnn", 10), WindowSpec(3), 2)[0]
    assert rnn.formula == "2×10 + 10×10 + 10 = 130"


def test_lags_change_flops_but_no_parameter_count() -> None:
    model = _model("lstm", 16, 2)
    short, long = WindowSpec(lags=2, horizon=3), WindowSpec(lags=40, horizon=3)
    assert keras_parameter_count(model, short, 2) == keras_parameter_count(model, long, 2)
    assert 20 * flops_per_sample(model, short, 2) > flops_per_sample(model, long, 2)


def test_flops_per_sample() -> None:
    # textbook: 2 steps of 2*4*100*(1+100) matmul + 17*100 elementwise, head 2*100
    textbook = flops_per_sample(_model("lstm", 100), WindowSpec(lags=2), 1)
    assert textbook == 2 * (80_800 + 1_700) + 200
    two_layers = 5 * ((2 * 3 * 8 * (4 + 8) + 16 * 8) + (2 * 3 * 8 * 16 + 16 * 8)) + 2 * 8 * 6
    window = WindowSpec(lags=5, horizon=3)
    assert flops_per_sample(_model("gru", 8, 2), window, 4, n_targets=2) == two_layers
    rnn = flops_per_sample(_model("rnn", 4), WindowSpec(lags=3), 1)
    assert rnn == 3 * (2 * 4 * 5 + 3 * 4) + 8


def test_training_flops_of_w2_by_hand() -> None:
    # LSTM(256) on 1 feature, 12 lags: per step 2*4*u*(f+u) matmul + 17u elementwise, Dense
    # head 2u; a training pass costs 3 forward passes, over 235 windows for 100 epochs
    u, f, lags = 256, 1, 12
    forward = lags * (2 * 4 * u * (f + u) + 17 * u) + 2 * u
    found = training_flops(_model("lstm", u), WindowSpec(lags=lags), f, windows=235, epochs=100)
    assert found == 3 * forward * 235 * 100 == 448_998_144_000


def test_training_flops_stack_and_nothing_trained() -> None:
    # second layer reads the first's u outputs: 2*4*u*(u+u)
    u, lags = 8, 3
    forward = lags * ((2 * 4 * u * (2 + u) + 17 * u) + (2 * 4 * u * (u + u) + 17 * u)) + 2 * u
    assert training_flops(_model("lstm", u, 2), WindowSpec(lags), 2, 10, 4) == 3 * forward * 40
    assert training_flops(_model("lstm", u), WindowSpec(lags), 2, 0, 4) == 0
    with pytest.raises(OptionError, match="epochs"):
        training_flops(_model("lstm", u), WindowSpec(lags), 2, 10, -1)


@pytest.mark.parametrize(
    ("cell", "units", "layers", "n_features", "horizon"),
    [("lstm", 64, 2, 1, 1), ("lstm", 128, 3, 1, 1), ("gru", 32, 4, 5, 3), ("rnn", 7, 2, 1, 1),
     ("rnn", 256, 2, 12, 24), ("lstm", 1, 2, 1, 1), ("gru", 500, 2, 1, 1)],
)  # fmt: skip
def test_equal_budget_width_is_the_nearest_count(
    cell: str, units: int, layers: int, n_features: int, horizon: int
) -> None:
    target = keras_formula(cell, units, layers, n_features, horizon)
    counts = np.array([keras_formula(cell, w, 1, n_features, horizon) for w in range(1, 5001)])
    nearest = int(np.argmin(np.abs(counts - target))) + 1  # smallest width on a tie
    model, window = _model(cell, units, layers), WindowSpec(lags=3, horizon=horizon)
    assert equal_budget_width(model, window, n_features) == nearest


def test_equal_budget_width_of_one_layer_is_itself() -> None:
    assert equal_budget_width(_model("lstm", 100), WindowSpec(2), 1) == 100


@pytest.mark.parametrize(
    ("fields", "label"),
    [
        (("lstm", 32), "LSTM(32)"),
        (("gru", 64, 1, "relu"), "GRU(64, relu)"),
        (("lstm", 128, 2), "2-layer LSTM(128)"),
        (("rnn", 5, 3, "elu"), "3-layer SimpleRNN(5, elu)"),
    ],
)
def test_config_label_is_the_keras_style_name(fields: tuple, label: str) -> None:
    assert config_label(*fields) == label


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: keras_parameter_count("lstm", WindowSpec(2), 1), "model"),  # type: ignore[arg-type]
        (lambda: torch_parameter_count(_model("lstm", 4), 2, 1), "window"),  # type: ignore[arg-type]
        (lambda: parameter_breakdown(_model("lstm", 4), WindowSpec(2), 0), "n_features"),
        (lambda: flops_per_sample(_model("lstm", 4), WindowSpec(2), 1, 0), "n_targets"),
        (lambda: equal_budget_width(_model("lstm", 4), WindowSpec(2), 1.5), "n_features"),  # type: ignore[arg-type]
    ],
)
def test_bad_arguments_raise_option_error(call: object, argument: str) -> None:
    with pytest.raises(OptionError, match=argument):
        call()  # type: ignore[operator]


def test_gates_agree_with_the_torch_layers() -> None:
    assert GATES == CELL_GATES


def test_module_imports_no_torch() -> None:
    code = "import sys, lstmsizer.sizes; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
