"""ForecastNet against its hand-written path, Keras sizes and init, and the closed-form counts."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from lstmsizer.config import ModelSpec, WindowSpec
from lstmsizer.errors import DataError, OptionError
from lstmsizer.models import ForecastNet, build_net
from lstmsizer.sizes import keras_parameter_count, torch_parameter_count

torch.set_num_threads(1)

CELLS = ["lstm", "gru", "rnn"]
GATES = {"lstm": 4, "gru": 3, "rnn": 1}
NAMES = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


def _net(
    seed: int = 0, n_features: int = 1, horizon: int = 1, n_targets: int = 1, **spec: object
) -> ForecastNet:
    torch.manual_seed(seed)
    return ForecastNet(n_features, ModelSpec(**spec), horizon, n_targets)  # type: ignore[arg-type]


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("layers", [1, 2])
def test_fused_path_equals_hand_written_path(cell: str, layers: int) -> None:
    spec = ModelSpec(cell=cell, units=6, layers=layers, init="torch")  # type: ignore[arg-type]
    torch.manual_seed(5)
    fused = ForecastNet(3, spec, horizon=2, n_targets=2).double()
    own = ForecastNet(3, spec, horizon=2, n_targets=2, fused=False).double()
    assert fused.fused and not own.fused
    own.load_state_dict(fused.state_dict())
    x = torch.randn(4, 5, 3, dtype=torch.float64)
    out_fused, out_own = fused(x), own(x)
    torch.testing.assert_close(out_own, out_fused, rtol=0, atol=1e-10)
    out_fused.square().sum().backward()
    out_own.square().sum().backward()
    for (name, p), q in zip(fused.named_parameters(), own.parameters(), strict=True):
        if p.requires_grad:
            torch.testing.assert_close(q.grad, p.grad, rtol=0, atol=1e-10, msg=name)
        else:
            assert p.grad is None and q.grad is None


def test_relu_rnn_runs_fused_and_equals_hand_written() -> None:
    spec = ModelSpec(cell="rnn", units=5, activation="relu")
    torch.manual_seed(6)
    fused = ForecastNet(2, spec)
    torch.manual_seed(6)
    own = ForecastNet(2, spec, fused=False)
    assert fused.fused and not own.fused
    x = torch.randn(3, 4, 2)
    torch.testing.assert_close(own(x), fused(x))


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("init", ["keras", "torch"])
def test_same_seed_same_weights_on_both_paths(cell: str, init: str) -> None:
    spec = ModelSpec(cell=cell, units=7, layers=2, init=init)  # type: ignore[arg-type]
    states = []
    for fused in (True, True, False):
        torch.manual_seed(11)
        states.append(ForecastNet(2, spec, fused=fused).state_dict())
    torch.manual_seed(12)
    other = ForecastNet(2, spec).state_dict()
    for key, value in states[0].items():
        assert torch.equal(value, states[1][key]) and torch.equal(value, states[2][key]), key
    assert not torch.equal(states[0]["recurrent.0.weight_ih_l0"], other["recurrent.0.weight_ih_l0"])


SIZES = list(itertools.product(CELLS, [1, 5], [1, 3], [1, 4], [1, 3]))


@pytest.mark.parametrize(("cell", "units", "layers", "n_features", "horizon"), SIZES)
@pytest.mark.parametrize("init", ["keras", "torch"])
def test_trainable_parameters_equal_keras_count(
    cell: str, units: int, layers: int, n_features: int, horizon: int, init: str
) -> None:
    for activation in ("tanh", "relu"):
        spec = ModelSpec(cell, units, layers, activation, init=init)  # type: ignore[arg-type]
        net = ForecastNet(n_features, spec, horizon=horizon, n_targets=2)
        counts = (spec, WindowSpec(lags=3, horizon=horizon), n_features, 2)
        assert net.num_parameters() == keras_parameter_count(*counts)
        # with the fixed-zero recurrent biases the net holds exactly PyTorch's tensors
        assert sum(p.numel() for p in net.parameters()) == torch_parameter_count(*counts)


def test_textbook_model_has_40901_parameters() -> None:
    net = _net(units=100, activation="relu", init="keras")
    assert net.num_parameters() == 40_901


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: ForecastNet(0, ModelSpec()), "n_features"),
        (lambda: ForecastNet(1, ModelSpec(), horizon=0), "horizon"),
        (lambda: ForecastNet(1, "lstm"), "spec"),  # type: ignore[arg-type]
        (lambda: ForecastNet(1, ModelSpec(activation="relu"), fused=True), "fused"),
    ],
)
def test_bad_arguments_raise_option_error(call: object, argument: str) -> None:
    with pytest.raises(OptionError, match=argument):
        call()  # type: ignore[operator]


def test_bad_input_shape_raises_data_error() -> None:
    net = _net(n_features=2, units=3)
    for shape in [(4, 3, 1), (4, 3), (4, 0, 2)]:
        with pytest.raises(DataError, match="x must have shape"):
            net(torch.zeros(shape))


@pytest.mark.parametrize("cell", CELLS)
def test_keras_init(cell: str) -> None:
    units, n_features, horizon = 16, 3, 2
    net = _net(
        n_features=n_features, horizon=horizon, cell=cell, units=units, layers=2, init="keras"
    )
    g = GATES[cell]
    for k, layer in enumerate(net.recurrent):
        w_ih, w_hh, b_ih, b_hh = (layer.get_parameter(n).detach() for n in NAMES)
        fan_in = n_features if k == 0 else units
        bound = math.sqrt(6.0 / (fan_in + g * units))  # Keras kernel (F, G*U)
        assert w_ih.abs().max() <= bound and w_ih.abs().max() > 0.7 * bound
        # Keras recurrent kernel (U, G*U) has orthonormal rows: K K^T = I_U
        keras_recurrent = w_hh.T
        eye = torch.eye(units)
        torch.testing.assert_close(keras_recurrent @ keras_recurrent.T, eye, atol=1e-5, rtol=0)
        expected_bias = torch.zeros(g * units)
        if cell == "lstm":
            expected_bias[units : 2 * units] = 1.0  # forget gate, in torch order i, f, g, o
        assert torch.equal(b_ih, expected_bias)
        assert torch.equal(b_hh, torch.zeros(g * units))
    head_bound = math.sqrt(6.0 / (units + horizon))  # Keras Dense kernel (U, H*K)
    assert head_bound >= net.head.weight.abs().max() > 0.5 * head_bound
    assert torch.equal(net.head.bias.detach(), torch.zeros(horizon))


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_torch_init_and_frozen_recurrent_bias(cell: str, activation: str) -> None:
    units = 9
    net = _net(n_features=2, cell=cell, units=units, layers=2, activation=activation, init="torch")
    bound = 1.0 / math.sqrt(units)
    for layer in net.recurrent:
        for name, p in layer.named_parameters():
            assert p.abs().max() <= bound, name
            if cell != "gru" and name == "bias_hh_l0":
                assert not p.requires_grad and torch.equal(p, torch.zeros_like(p))
            else:
                assert p.requires_grad and p.abs().max() > 0.5 * bound, name
    assert net.head.weight.abs().max() <= bound and net.head.bias.abs().max() <= bound

    before = {n: p.detach().clone() for n, p in net.named_parameters()}
    opt = torch.optim.Adam(net.parameters(), lr=0.1)
    net(torch.randn(5, 3, 2)).square().sum().backward()
    opt.step()
    for name, p in net.named_parameters():
        frozen = cell != "gru" and name.endswith("bias_hh_l0")
        assert torch.equal(p, before[name]) == frozen, name
        if frozen:
            assert torch.equal(p, torch.zeros_like(p))


def test_relu_lstm_one_step_matches_numpy() -> None:
    net = _net(seed=3, n_features=2, units=4, activation="relu", init="torch").double()
    x = torch.tensor([[[0.7, -1.3]]], dtype=torch.float64)  # (B=1, L=1, F=2)
    p = {n: t.detach().numpy() for n, t in net.named_parameters()}
    gates = p["recurrent.0.weight_ih_l0"] @ x[0, 0].numpy() + p["recurrent.0.bias_ih_l0"]
    i, _, g, o = np.split(gates, 4)  # h = c = 0 before the first step, so f plays no part

    def sigmoid(v: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-v))

    c = sigmoid(i) * np.maximum(g, 0.0)
    h = sigmoid(o) * np.maximum(c, 0.0)
    forecast, states = net.forward_states(x)
    np.testing.assert_allclose(states[0][0, 0].detach().numpy(), h, rtol=0, atol=1e-12)
    expected = p["head.weight"] @ h + p["head.bias"]
    np.testing.assert_allclose(forecast.detach().numpy().reshape(-1), expected, atol=1e-12)
    assert (h >= 0).all() and not np.allclose(h, sigmoid(o) * np.tanh(c))


def test_dropout_between_layers_only_in_train_mode() -> None:
    x = torch.randn(6, 4, 2)
    net = _net(n_features=2, units=32, layers=2, dropout=0.5)
    torch.manual_seed(0)
    out_a, states_a = net.forward_states(x)
    out_b, states_b = net.forward_states(x)
    torch.testing.assert_close(states_a[0], states_b[0])  # nothing dropped before layer 1
    assert not torch.allclose(states_a[1], states_b[1]) and not torch.allclose(out_a, out_b)
    net.eval()
    torch.testing.assert_close(net(x), net(x))
    single = _net(n_features=2, units=32, layers=1, dropout=0.5)
    torch.testing.assert_close(single(x), single(x))  # never after the last layer


@pytest.mark.parametrize("activation", ["tanh", "elu"])
def test_shapes(activation: str) -> None:
    net = _net(n_features=3, horizon=3, n_targets=2, units=5, layers=3, activation=activation)
    x = torch.randn(7, 4, 3)
    assert net(x).shape == (7, 3, 2)
    forecast, states = net.forward_states(x)
    assert forecast.shape == (7, 3, 2)
    assert [s.shape for s in states] == [(7, 4, 5)] * 3
    torch.testing.assert_close(forecast, net(x))
    assert (net.n_features, net.horizon, net.n_targets, net.spec.units) == (3, 3, 2, 5)


def test_repr_and_build_net() -> None:
    torch.manual_seed(0)
    net = build_net(
        1, ModelSpec(cell="gru", units=12, layers=2, activation="relu"), 2, device="cpu"
    )
    text = repr(net)
    for part in ("cell=gru", "units=12", "layers=2", "activation=relu", "fused=False"):
        assert part in text
    assert net(torch.zeros(2, 3, 1)).shape == (2, 2, 1)
