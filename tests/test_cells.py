"""Hand-written recurrent layers against torch.nn.LSTM/GRU/RNN and a numpy transcription."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch
from numpy.typing import NDArray

from lstmsizer.cells import RecurrentLayer
from lstmsizer.errors import OptionError

torch.set_num_threads(1)

TORCH_CELLS = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}
NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def _own_stack(cell: str, n_features: int, units: int, layers: int) -> list[RecurrentLayer]:
    stack = []
    for k in range(layers):
        layer = RecurrentLayer(cell, n_features if k == 0 else units, units).double()
        if cell != "gru":
            with torch.no_grad():
                layer.bias_hh_l0.zero_()  # Keras's single bias lives in bias_ih
        stack.append(layer)
    return stack


def _copy_to_torch(stack: list[RecurrentLayer], ref: torch.nn.RNNBase) -> None:
    with torch.no_grad():
        for k, layer in enumerate(stack):
            for name in NAMES:
                getattr(ref, f"{name}_l{k}").copy_(getattr(layer, f"{name}_l0"))


def _run_own(stack: list[RecurrentLayer], x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Output sequence of the last layer and h_n (layers, B, U) as torch stacks it."""
    finals = []
    for layer in stack:
        x, state = layer(x)
        finals.append(state[0] if isinstance(state, tuple) else state)
    return x, torch.cat(finals)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("n_features", [1, 3, 7])
def test_tanh_layers_match_torch_outputs_and_gradients(
    cell: str, layers: int, n_features: int
) -> None:
    torch.manual_seed(layers * 10 + n_features)
    units, batch, lags = 5, 4, 6
    stack = _own_stack(cell, n_features, units, layers)
    ref = TORCH_CELLS[cell](n_features, units, num_layers=layers, batch_first=True).double()
    _copy_to_torch(stack, ref)

    x = torch.randn(batch, lags, n_features, dtype=torch.float64)
    x_own = x.clone().requires_grad_(True)
    x_ref = x.clone().requires_grad_(True)
    out, h_own = _run_own(stack, x_own)
    out_ref, state_ref = ref(x_ref)
    torch.testing.assert_close(out, out_ref, rtol=0, atol=1e-10)

    h_ref = state_ref[0] if cell == "lstm" else state_ref
    torch.testing.assert_close(h_own, h_ref, rtol=0, atol=1e-10)

    weights = torch.randn_like(out)  # a loss that reaches every output differently
    (out * weights).sum().backward()
    (out_ref * weights).sum().backward()
    torch.testing.assert_close(x_own.grad, x_ref.grad, rtol=0, atol=1e-10)
    for k, layer in enumerate(stack):
        for name in NAMES:
            own_grad = getattr(layer, f"{name}_l0").grad
            ref_grad = getattr(ref, f"{name}_l{k}").grad
            torch.testing.assert_close(own_grad, ref_grad, rtol=0, atol=1e-10)
            assert own_grad.abs().sum() > 0


def test_lstm_final_cell_state_matches_torch() -> None:
    torch.manual_seed(1)
    layer = RecurrentLayer("lstm", 2, 4).double()
    ref = torch.nn.LSTM(2, 4, batch_first=True).double()
    ref.load_state_dict(layer.state_dict())  # same names and shapes, both biases non-zero
    x = torch.randn(3, 5, 2, dtype=torch.float64)
    _, (h, c) = layer(x)
    _, (h_ref, c_ref) = ref(x)
    torch.testing.assert_close(h, h_ref, rtol=0, atol=1e-12)
    torch.testing.assert_close(c, c_ref, rtol=0, atol=1e-12)


def test_relu_rnn_matches_torch_relu_rnn() -> None:
    torch.manual_seed(2)
    layer = RecurrentLayer("rnn", 3, 6, "relu").double()
    ref = torch.nn.RNN(3, 6, nonlinearity="relu", batch_first=True).double()
    ref.load_state_dict(layer.state_dict())
    x = torch.randn(4, 7, 3, dtype=torch.float64)
    torch.testing.assert_close(layer(x)[0], ref(x)[0], rtol=0, atol=1e-12)


def _np_act(name: str, v: NDArray[np.float64]) -> NDArray[np.float64]:
    table: dict[str, Callable[[NDArray[np.float64]], NDArray[np.float64]]] = {
        "tanh": np.tanh,
        "relu": lambda a: np.maximum(a, 0.0),
        "sigmoid": lambda a: 1.0 / (1.0 + np.exp(-a)),
        "linear": lambda a: a,
        "elu": lambda a: np.where(a > 0, a, np.expm1(np.minimum(a, 0.0))),
        "softsign": lambda a: a / (1.0 + np.abs(a)),
    }
    return np.asarray(table[name](v), dtype=np.float64)


def _sig(v: NDArray[np.float64]) -> NDArray[np.float64]:
    return 1.0 / (1.0 + np.exp(-v))


def _np_layer(
    cell: str, act: str, x: NDArray[np.float64], p: dict[str, NDArray[np.float64]]
) -> NDArray[np.float64]:
    """Keras's equations, one sample at a time, in torch's gate order."""
    u = p["weight_hh"].shape[1]
    outs = np.zeros((x.shape[0], x.shape[1], u))
    for b in range(x.shape[0]):
        h, c = np.zeros(u), np.zeros(u)
        for t in range(x.shape[1]):
            gx = p["weight_ih"] @ x[b, t] + p["bias_ih"]
            gh = p["weight_hh"] @ h + p["bias_hh"]
            if cell == "lstm":
                s = gx + gh
                i, f, o = _sig(s[:u]), _sig(s[u : 2 * u]), _sig(s[3 * u :])
                c = f * c + i * _np_act(act, s[2 * u : 3 * u])
                h = o * _np_act(act, c)
            elif cell == "gru":
                r = _sig(gx[:u] + gh[:u])
                z = _sig(gx[u : 2 * u] + gh[u : 2 * u])
                n = _np_act(act, gx[2 * u :] + r * gh[2 * u :])
                h = (1.0 - z) * n + z * h
            else:
                h = _np_act(act, gx + gh)
            outs[b, t] = h
    return outs


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear", "elu", "softsign"])
def test_every_activation_matches_numpy_equations(cell: str, activation: str) -> None:
    torch.manual_seed(3)
    layer = RecurrentLayer(cell, 2, 3, activation).double()
    x = torch.randn(2, 4, 2, dtype=torch.float64)
    params = {name: getattr(layer, f"{name}_l0").detach().numpy() for name in NAMES}
    expected = _np_layer(cell, activation, x.numpy(), params)
    np.testing.assert_allclose(layer(x)[0].detach().numpy(), expected, rtol=0, atol=1e-12)


def test_activation_changes_the_output() -> None:
    torch.manual_seed(4)
    tanh = RecurrentLayer("lstm", 1, 4, "tanh")
    relu = RecurrentLayer("lstm", 1, 4, "relu")
    relu.load_state_dict(tanh.state_dict())
    x = torch.randn(2, 3, 1) * 3
    assert not torch.allclose(tanh(x)[0], relu(x)[0])


@pytest.mark.parametrize(
    ("args", "argument"),
    [
        (("lstmx", 1, 4, "tanh"), "cell"),
        (("lstm", 0, 4, "tanh"), "input_size"),
        (("lstm", 1, 0, "tanh"), "hidden_size"),
        (("lstm", 1, 4, "swish"), "activation"),
    ],
)
def test_bad_arguments_name_the_argument(args: tuple[str, int, int, str], argument: str) -> None:
    with pytest.raises(OptionError, match=argument):
        RecurrentLayer(*args)
