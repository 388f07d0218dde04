"""The learned series-id embedding: ForecastNet against torch's own modules, the closed-form
counts, the specs that carry it, the model file and the explain command."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import invoke, invoke_json, run_main
from torch import nn

from lstmsizer.config import ModelSpec, TrainSpec, WindowSpec
from lstmsizer.errors import ModelFileError, OptionError
from lstmsizer.history import History
from lstmsizer.modelfile import FORMAT_VERSION, ModelFile
from lstmsizer.models import ForecastNet
from lstmsizer.sizes import (
    flops_per_sample,
    keras_parameter_count,
    parameter_breakdown,
    torch_parameter_count,
)
from lstmsizer.splits import Scaler
from lstmsizer.sweeping.plan import Configuration
from lstmsizer.sweepspec import FLAT_KEYS, LayerSpec, SweepSpec

GATES = {"lstm": 4, "gru": 3, "rnn": 1}
TORCH_LAYERS: dict[str, Callable[..., nn.RNNBase]] = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
NAMES = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


def windows_of(batch: int, lags: int, n_real: int, n_ids: int, seed: int = 0) -> torch.Tensor:
    """(B, L, F + 1) float64 windows whose last column is each window's series index."""
    gen = torch.Generator().manual_seed(seed)
    values = torch.randn(batch, lags, n_real, generator=gen, dtype=torch.float64)
    ids = torch.arange(batch, dtype=torch.float64) % n_ids
    return torch.cat((values, ids.view(-1, 1, 1).expand(-1, lags, 1)), dim=-1)


def reference(net: ForecastNet, x: torch.Tensor) -> torch.Tensor:
    """net's forecast computed by torch's nn.Embedding, nn.LSTM/GRU/RNN and nn.Linear with
    net's weights copied in, on inputs concatenated window by window."""
    spec = net.spec
    assert net.embedding is not None
    table = nn.Embedding(*net.embedding.weight.shape).double()
    table.weight.data.copy_(net.embedding.weight.data)
    rows = []
    for window in x:  # one window at a time: its id row repeated at each of the L steps
        row = table(torch.tensor(int(window[0, -1].item())))
        rows.append(torch.cat((window[:, :-1], row.repeat(window.shape[0], 1)), dim=1))
    inputs = torch.stack(rows)
    width = x.shape[2] - 1 + spec.id_embedding
    rnn = TORCH_LAYERS[spec.cell](width, spec.units, spec.layers, batch_first=True).double()
    for k, layer in enumerate(net.recurrent):
        for name in NAMES:
            own = layer.get_parameter(name).data
            getattr(rnn, name.replace("l0", f"l{k}")).data.copy_(own)
    head = nn.Linear(spec.units, net.horizon * net.n_targets).double()
    head.load_state_dict(net.head.state_dict())
    out = head(rnn(inputs)[0][:, -1])
    return out.view(-1, net.horizon, net.n_targets)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("fused", [True, False])
def test_forward_equals_torch_modules_on_the_concatenated_input(
    cell: str, layers: int, fused: bool
) -> None:
    torch.manual_seed(0)
    spec = ModelSpec(cell, units=5, layers=layers, id_embedding=3)  # type: ignore[arg-type]
    net = ForecastNet(3, spec, horizon=2, n_targets=1, fused=fused, n_ids=4).double()
    x = windows_of(batch=9, lags=6, n_real=2, n_ids=4)
    torch.testing.assert_close(net(x), reference(net, x))
    first = net.recurrent[0].get_parameter("weight_ih_l0")
    assert first.shape == (GATES[cell] * 5, 2 + 3)  # F - 1 + D inputs


def test_each_series_gets_its_own_row_and_only_used_rows_learn() -> None:
    torch.manual_seed(1)
    net = ForecastNet(2, ModelSpec(units=4, id_embedding=2), n_ids=5).double()
    x = windows_of(batch=4, lags=3, n_real=1, n_ids=3)  # ids 0, 1, 2, 0: rows 3, 4 unused
    x[:, :, 0] = 0.5  # same values: only the id tells the windows apart
    out = net(x).flatten()
    assert torch.equal(out[0], out[3]) and not torch.equal(out[0], out[1])
    out.sum().backward()
    assert net.embedding is not None and net.embedding.weight.grad is not None
    grad = net.embedding.weight.grad.abs().sum(dim=1)
    assert (grad[:3] > 0).all() and (grad[3:] == 0).all()


def test_out_of_range_id_raises() -> None:
    net = ForecastNet(2, ModelSpec(units=3, id_embedding=2), n_ids=3)
    x = torch.zeros(2, 4, 2)
    x[1, :, -1] = 3.0
    with pytest.raises(IndexError):
        net(x)


def _expected_draws(spec: ModelSpec, width: int, n_ids: int, seed: int) -> dict[str, torch.Tensor]:
    """Torch-init weights drawn in ForecastNet's documented order, by torch's own modules."""
    torch.manual_seed(seed)
    u, g = spec.units, GATES[spec.cell]
    bound = 1.0 / math.sqrt(u)
    state: dict[str, torch.Tensor] = {}
    for k in range(spec.layers):
        f = width if k == 0 else u
        for name, shape in zip(NAMES[:3], [(g * u, f), (g * u, u), (g * u,)], strict=True):
            state[f"recurrent.{k}.{name}"] = torch.empty(shape).uniform_(-bound, bound)
        state[f"recurrent.{k}.bias_hh_l0"] = torch.zeros(g * u)
    head = nn.Linear(u, 1)  # constructing it draws its weight, then its bias
    state["head.weight"], state["head.bias"] = head.weight.data, head.bias.data
    if spec.id_embedding:
        table = torch.empty(n_ids, spec.id_embedding).uniform_(-0.05, 0.05)
        state["embedding.weight"] = table
    return state


@pytest.mark.parametrize("dim", [0, 3])
def test_weights_follow_the_rng_stream(dim: int) -> None:
    spec = ModelSpec("lstm", units=4, layers=2, id_embedding=dim)
    expected = _expected_draws(spec, 2 + dim, n_ids=6, seed=7)
    torch.manual_seed(7)
    # without an embedding n_ids changes nothing: 3 input columns, all real
    n_features = 3 if dim else 2
    state = ForecastNet(n_features, spec, n_ids=6).state_dict()
    assert set(state) == set(expected)
    for key, value in expected.items():
        assert torch.equal(state[key], value), key


def closed_form(cell: str, f: int, u: int, layers: int, out: int, s: int, d: int) -> int:
    """Keras count with an id embedding: S*D, the first layer reading F + D inputs, Dense."""
    total = s * d
    for k in range(layers):
        width = f + d if k == 0 else u
        biases = 2 if cell == "gru" else 1
        total += GATES[cell] * (width * u + u * u + biases * u)
    return total + u * out + out


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize(("f", "u", "layers", "s", "d"), [(1, 8, 1, 5, 2), (3, 4, 2, 12, 7)])
def test_parameter_counts_match_the_closed_form(
    cell: str, f: int, u: int, layers: int, s: int, d: int
) -> None:
    spec = ModelSpec(cell, u, layers, id_embedding=d)  # type: ignore[arg-type]
    window = WindowSpec(lags=4, horizon=3)
    keras = closed_form(cell, f, u, layers, 3, s, d)
    torch_count = keras + (0 if cell == "gru" else GATES[cell] * u * layers)
    assert keras_parameter_count(spec, window, f, n_ids=s) == keras
    assert torch_parameter_count(spec, window, f, n_ids=s) == torch_count
    net = ForecastNet(f + 1, spec, horizon=3, n_ids=s)  # + 1: the id column
    assert net.num_parameters() == keras
    assert sum(p.numel() for p in net.parameters()) == torch_count
    rows = parameter_breakdown(spec, window, f, n_ids=s)
    assert rows[0].name == "id embedding" and rows[0].keras == rows[0].torch == s * d
    assert rows[1].kernel_shapes[0] == (f + d, GATES[cell] * u)
    plain = ModelSpec(cell, u, layers)  # type: ignore[arg-type]
    assert keras_parameter_count(plain, window, f, n_ids=s) == closed_form(
        cell, f, u, layers, 3, 0, 0
    )


def test_flops_widen_the_first_layer() -> None:
    u, f, d, lags = 6, 2, 3, 5
    spec = ModelSpec("lstm", u, 2, id_embedding=d)
    per_step = 2 * 4 * u * (f + d + u) + 17 * u + 2 * 4 * u * (u + u) + 17 * u
    assert flops_per_sample(spec, WindowSpec(lags), f) == per_step * lags + 2 * u


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: ModelSpec(id_embedding=-1), "id_embedding"),
        (lambda: ModelSpec(id_embedding=1.5), "id_embedding"),  # type: ignore[arg-type]
        (lambda: LayerSpec(id_embedding=-2), "id_embedding"),
        (lambda: ForecastNet(3, ModelSpec(id_embedding=2)), "n_ids"),
        (lambda: ForecastNet(3, ModelSpec(), n_ids=-1), "n_ids"),
        (lambda: ForecastNet(1, ModelSpec(id_embedding=2), n_ids=3), "n_features"),
        (lambda: keras_parameter_count(ModelSpec(id_embedding=2), WindowSpec(2), 1), "n_ids"),
    ],
)
def test_bad_arguments_name_themselves(call: object, argument: str) -> None:
    with pytest.raises(OptionError, match=argument):
        call()  # type: ignore[operator]


def test_repr_mentions_the_embedding() -> None:
    text = repr(ForecastNet(3, ModelSpec(units=4, id_embedding=3), n_ids=5))
    assert "n_ids=5" in text and "id_embedding=3" in text and "Embedding(5, 3)" in text
    assert "embedding" not in repr(ForecastNet(3, ModelSpec(units=4)))


def test_sweep_spec_carries_the_embedding() -> None:
    assert FLAT_KEYS.index("id_embedding") == FLAT_KEYS.index("init") + 1
    assert LayerSpec(id_embedding=3).sized("gru", 8, 2) == ModelSpec("gru", 8, 2, id_embedding=3)
    spec = SweepSpec(model=LayerSpec(id_embedding=4))
    plain = spec.to_dict()
    assert plain["id_embedding"] == 4
    assert SweepSpec.from_dict(plain) == spec
    old = {k: v for k, v in plain.items() if k != "id_embedding"}
    assert SweepSpec.from_dict(old).model.id_embedding == 0
    assert spec.replace(id_embedding=1).model.id_embedding == 1


def test_a_trial_records_the_embedding_only_when_set() -> None:
    embedded = Configuration(ModelSpec("lstm", 8, 1, id_embedding=3))
    assert embedded.to_dict()["id_embedding"] == 3
    assert Configuration.from_dict(embedded.to_dict()) == embedded
    plain = Configuration(ModelSpec("lstm", 8, 1))
    assert "id_embedding" not in plain.to_dict()
    assert Configuration.from_dict(plain.to_dict()) == plain


def _model_file(net: ForecastNet, n_features: int) -> ModelFile:
    scaler = Scaler.fit(np.arange(10.0), "minmax")
    window = WindowSpec(lags=3)
    return ModelFile(window, net.spec, TrainSpec(), "minmax", scaler, n_features, History(), net)


def test_model_file_keeps_the_embedding(tmp_path: Path) -> None:
    torch.manual_seed(2)
    net = ForecastNet(3, ModelSpec(units=4, id_embedding=2), n_ids=6)
    path = _model_file(net, 3).write(tmp_path / "panel.pt")
    back = ModelFile.read(path)
    assert back.n_ids == back.net.n_ids == 6 and back.model.id_embedding == 2
    x = windows_of(batch=6, lags=3, n_real=2, n_ids=6).float()
    torch.testing.assert_close(back.net(x), net(x), rtol=0, atol=0)


def test_model_file_without_n_ids_reads_as_zero(tmp_path: Path) -> None:
    torch.manual_seed(3)
    payload = _model_file(ForecastNet(1, ModelSpec(units=4)), 1).to_dict()
    del payload["n_ids"], payload["model"]["id_embedding"]  # as files written before
    assert payload["format"] == FORMAT_VERSION
    assert ModelFile.from_dict(payload).n_ids == 0
    embedded = _model_file(ForecastNet(2, ModelSpec(units=4, id_embedding=2), n_ids=3), 2)
    payload = embedded.to_dict()
    del payload["n_ids"]
    torch.save(payload, tmp_path / "torn.pt")
    with pytest.raises(ModelFileError, match="n_ids"):
        ModelFile.read(tmp_path / "torn.pt")


@pytest.mark.parametrize(("cell", "gates"), [("lstm", 4), ("gru", 3)])
def test_explain_shows_what_the_embedding_adds(cell: str, gates: int) -> None:
    args = ("--units", "4", "--lags", "3", "--features", "2", "--cell", cell)
    embedded = (*args, "--id-embedding", "3", "--series", "5")
    out = " ".join(invoke("explain", *embedded).stdout.split())
    keras = closed_form(cell, 2, 4, 1, 1, 5, 3)
    assert "id embedding" in out and "5×3 = 15" in out
    assert f"{keras:,}" in out
    assert "The id embedding adds 5 × 3 = 15 parameters" in out
    assert f"3 × {gates} × 4 = {3 * gates * 4} more in the first {cell.upper()} layer" in out
    payload = invoke_json("explain", *embedded)
    assert payload["keras_parameters"] == keras
    assert (payload["id_embedding"], payload["n_ids"]) == (3, 5)
    assert payload["parameters"][0]["name"] == "id embedding"
    plain = invoke_json("explain", *args)
    assert keras - plain["keras_parameters"] == 5 * 3 + 3 * gates * 4


@pytest.mark.parametrize("extra", [(), ("--series", "0")])
def test_explain_needs_series_with_an_embedding(
    extra: tuple[str, ...],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_main(monkeypatch, capsys, "explain", "--id-embedding", "3", *extra)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: --series")
