"""Tests for lstmsizer.explain: shapes, parameter counts, FLOPs and the summary."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from torch import nn

from lstmsizer.config import ModelSpec, WindowSpec
from lstmsizer.errors import OptionError
from lstmsizer.explain import Explanation, explain


def facts_of(
    units: int, lags: int, features: int = 1, layers: int = 1, cell: str = "lstm",
    horizon: int = 1, **options: int,
) -> Explanation:  # fmt: skip
    """explain() of the specs with these fields."""
    model = ModelSpec(cell=cell, units=units, layers=layers)  # type: ignore[arg-type]
    return explain(model, WindowSpec(lags, horizon), features, **options)


def keras_count(cell: str, units: int, layers: int, features: int, out: int = 1) -> int:
    """The closed-form Keras counts, written out independently of lstmsizer.sizes."""
    total = 0
    for k in range(layers):
        f, u = (features if k == 0 else units), units
        if cell == "lstm":
            total += 4 * (f * u + u * u + u)
        elif cell == "gru":  # reset_after: an input and a recurrent bias
            total += 3 * (f * u + u * u + 2 * u)
        else:
            total += f * u + u * u + u
    return total + units * out + out


def shapes(facts: Explanation, layer: str) -> dict[str, tuple[int | str, ...]]:
    return {t.name: t.shape for t in facts.tensors if t.layer == layer}


def test_textbook_example_counts_match_keras_and_torch() -> None:
    facts = facts_of(units=100, lags=2, features=1)
    assert facts.keras_parameters == 40_901
    net = [nn.LSTM(1, 100), nn.Linear(100, 1)]
    torch_count = sum(p.numel() for m in net for p in m.parameters())
    assert facts.torch_parameters == torch_count == 41_301
    assert [p.keras for p in facts.parameters] == [40_800, 101]
    assert "4 × (1×100 + 100×100 + 100) = 40,800" in facts.parameters[0].formula


def test_textbook_example_tensor_shapes() -> None:
    facts = facts_of(units=100, lags=2, features=1, batch_size=8)
    assert shapes(facts, "input") == {"x": ("B", 2, 1)}
    lstm = shapes(facts, "lstm_1")
    assert lstm["kernel"] == (1, 400)
    assert lstm["recurrent_kernel"] == (100, 400)
    assert lstm["bias"] == (400,)
    states = [t for t in facts.tensors if t.step is not None]
    assert [(t.name, t.shape) for t in states] == [
        ("h_1", ("B", 100)),
        ("c_1", ("B", 100)),
        ("h_2", ("B", 100)),
        ("c_2", ("B", 100)),
    ]
    assert shapes(facts, "dense") == {"kernel": (100, 1), "bias": (1,)}
    assert shapes(facts, "output") == {"forecast": ("B", 1)}
    assert [t.batch_shape for t in facts.tensors if t.layer == "input"] == [(8, 2, 1)]


def test_to_dict_is_json_with_concrete_shapes() -> None:
    payload = json.loads(json.dumps(facts_of(units=100, lags=2, batch_size=16).to_dict()))
    assert payload["keras_parameters"] == 40_901
    first = payload["tensors"][0]
    assert first["shape"] == [16, 2, 1] and first["symbolic_shape"] == ["B", 2, 1]


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize(("units", "features", "layers"), [(1, 1, 1), (7, 3, 2), (32, 5, 3)])
def test_counts_equal_closed_form(cell: str, units: int, features: int, layers: int) -> None:
    facts = facts_of(units=units, lags=4, features=features, layers=layers, cell=cell)
    assert facts.keras_parameters == keras_count(cell, units, layers, features)
    assert len(facts.parameters) == layers + 1


@pytest.mark.parametrize(("cell", "module"), [("gru", nn.GRU), ("rnn", nn.RNN)])
def test_torch_counts_of_other_cells(cell: str, module: type[nn.GRU] | type[nn.RNN]) -> None:
    facts = facts_of(units=6, lags=3, features=2, layers=2, cell=cell)
    net = [module(2, 6, num_layers=2), nn.Linear(6, 1)]
    assert facts.torch_parameters == sum(p.numel() for m in net for p in m.parameters())


def test_gru_has_two_biases_and_no_cell_state() -> None:
    facts = facts_of(units=10, lags=3, features=2, cell="gru")
    assert shapes(facts, "gru_1")["bias"] == (2, 30)
    assert shapes(facts, "gru_1")["kernel"] == (2, 30)
    assert not any(t.name.startswith("c_") for t in facts.tensors)
    assert sum(t.name.startswith("h_") for t in facts.tensors) == 3


def test_stacked_layers_read_the_previous_layer() -> None:
    facts = facts_of(units=8, lags=5, features=3, layers=3)
    assert shapes(facts, "lstm_1")["kernel"] == (3, 32)
    assert shapes(facts, "lstm_2")["kernel"] == (8, 32)
    assert shapes(facts, "lstm_3")["kernel"] == (8, 32)
    assert shapes(facts, "lstm_1")["sequence"] == ("B", 5, 8)
    assert "sequence" not in shapes(facts, "lstm_3")


def test_multi_step_multi_target_head() -> None:
    facts = facts_of(units=4, lags=3, horizon=5, n_targets=2)
    assert shapes(facts, "dense") == {"kernel": (4, 10), "bias": (10,)}
    assert shapes(facts, "output") == {"forecast": ("B", 5, 2)}
    assert facts_of(units=4, lags=3, horizon=5).tensors[-1].shape == ("B", 5)


def test_flops_by_hand() -> None:
    # LSTM(100) on 2 lags x 1 feature: per step 2*4*100*(1 + 100) matmul FLOPs and
    # 17*100 elementwise; two steps; head 2*100*1.
    facts = facts_of(units=100, lags=2, features=1)
    assert facts.flops_forward == 2 * (80_800 + 1_700) + 200 == 165_200
    assert facts.flops_training == 3 * 165_200
    assert facts.flops_formula.endswith("= 165,200")


def test_activation_memory_formula() -> None:
    facts = facts_of(units=100, lags=2, features=1, batch_size=32)
    # input 2*1, per step 4 gates + h + c over 100 units, head input 100, output 1
    assert facts.activation_bytes == 4 * 32 * (2 + 2 * 600 + 100 + 1)
    assert facts.training_state_bytes == 4 * 4 * 40_901


def test_summary_uses_the_numbers() -> None:
    text = facts_of(units=100, lags=2, features=1).summary
    for fact in ("LSTM(100)", "2 lags", "1 feature", "100 numbers", "2 times", "40,901", "41,301"):
        assert fact in text
    assert "1 × 400 input kernel" in text
    assert "single number" not in text


def test_summary_changes_for_one_unit_fewer_units_and_layers() -> None:
    one = facts_of(units=1, lags=12, features=1).summary
    assert "single number carried through time" in one
    assert "nonlinear autoregression" in one
    narrow = facts_of(units=4, lags=12, features=10).summary
    assert "fewer than the 10 features" in narrow
    deep = facts_of(units=16, lags=6, layers=3).summary
    assert "With 3 layers" in deep and "16 × 64" in deep
    assert "With " not in facts_of(units=16, lags=6).summary


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: facts_of(units=4, lags=2, features=0), "features"),
        (lambda: facts_of(units=4, lags=2, batch_size=0), "batch_size"),
        (lambda: facts_of(units=4, lags=2, n_targets=0), "n_targets"),
        (lambda: explain("lstm", WindowSpec(2)), "model"),  # type: ignore[arg-type]
        (lambda: explain(ModelSpec(), 2), "window"),  # type: ignore[arg-type]
    ],
)
def test_bad_arguments_name_themselves(call: object, argument: str) -> None:
    with pytest.raises(OptionError, match=argument):
        call()  # type: ignore[operator]


def test_explain_imports_no_torch() -> None:
    code = "import sys, lstmsizer.explain; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
