"""Gradients through time: how strongly the forecast and the loss reach back across the lags."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray
from torch import Tensor

from lstmsizer.cells import ACTIVATION_FUNCTIONS, Activation
from lstmsizer.diagnostics.inputs import Probe, fitted_net, initial_net
from lstmsizer.diagnostics.result import floats, ratio
from lstmsizer.models import ForecastNet
from lstmsizer.rundir.measurements import GradientProfile
from lstmsizer.training import loss_function

MAX_WINDOWS = 2048
"""Most windows a gradient profile averages over (evenly spaced)."""

_WEIGHTS = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
State = tuple[Tensor, Tensor]
"""(h, c) of one step; c is unused by GRU and simple RNN cells."""


def _lstm(gi: Tensor, gh: Tensor, state: State, act: Activation) -> State:
    i, f, g, o = (gi + gh).chunk(4, 1)  # (B, 4U) -> 4 x (B, U)
    c = torch.sigmoid(f) * state[1] + torch.sigmoid(i) * act(g)
    return torch.sigmoid(o) * act(c), c


def _gru(gi: Tensor, gh: Tensor, state: State, act: Activation) -> State:
    ir, iz, i_n = gi.chunk(3, 1)  # (B, 3U) -> 3 x (B, U)
    hr, hz, hn = gh.chunk(3, 1)
    z = torch.sigmoid(iz + hz)
    n = act(i_n + torch.sigmoid(ir + hr) * hn)  # Keras reset_after, torch's GRU
    return n + z * (state[0] - n), state[1]


def _rnn(gi: Tensor, gh: Tensor, state: State, act: Activation) -> State:
    return act(gi + gh), state[1]


_STEPS: dict[str, Callable[[Tensor, Tensor, State, Activation], State]] = {
    "lstm": _lstm,
    "gru": _gru,
    "rnn": _rnn,
}


def unrolled(net: ForecastNet, x: Tensor) -> tuple[Tensor, list[list[Tensor]]]:
    """The net's forecast computed step by step, with every hidden state as its own tensor.

    Fused layers return the output sequence as one tensor that the recurrence does not read,
    so a gradient on it misses the path through later steps; here each h_t feeds both the
    next step and the next layer, so its gradient is the total derivative. Eval semantics:
    no dropout. The first layer reads net.inputs(x): with an id embedding, x's values and
    the embedding of each window's series instead of the id column.

    Args:
        net: The network (fused or hand-written layers; the weights are read by name).
        x: (B, L, F) windows in the net's dtype and device, as the net's forward takes them.

    Returns:
        The forecast (B, H, K) and, per layer, L hidden states (B, U), oldest first.
    """
    act = ACTIVATION_FUNCTIONS[net.spec.activation]
    step = _STEPS[net.spec.cell]
    seq = list(net.inputs(x).unbind(1))  # (B, L, F) -> L x (B, F_in)
    states: list[list[Tensor]] = []
    for layer in net.recurrent:
        w_ih, w_hh, b_ih, b_hh = (layer.get_parameter(name) for name in _WEIGHTS)
        h = x.new_zeros(x.shape[0], w_hh.shape[1])  # (B, U)
        state = (h, h)
        outs: list[Tensor] = []
        for xt in seq:
            state = step(F.linear(xt, w_ih, b_ih), F.linear(state[0], w_hh, b_hh), state, act)
            outs.append(state[0])
        states.append(outs)
        seq = outs
    out = net.head(seq[-1])  # (B, U) -> (B, H*K)
    return out.view(-1, net.horizon, net.n_targets), states


def _as_net_input(net: ForecastNet, x: Tensor) -> Tensor:
    p = next(net.parameters())
    return x.detach().to(device=p.device, dtype=p.dtype)


def saliency_by_lag(net: ForecastNet, x: Tensor) -> NDArray[np.float64]:
    """Mean over windows of the norm of d(forecast)/d(input at t - k), for k = 1 .. L.

    A series-id column (a model with an id embedding) is a lookup, not a value the forecast
    varies with: its gradient is 0, so the norm is that of the other inputs.

    Args:
        net: The network.
        x: (N, L, F) windows.

    Returns:
        (L,) array; entry k - 1 is lag k (entry 0 the newest input).
    """
    xs = _as_net_input(net, x).requires_grad_(True)
    with torch.enable_grad():
        out = unrolled(net, xs)[0].reshape(xs.shape[0], -1)  # (N, H*K)
        square = torch.zeros_like(xs)
        for j in range(out.shape[1]):
            # windows are independent: the gradient of the sum is each window's own gradient
            (grad,) = torch.autograd.grad(out[:, j].sum(), xs, retain_graph=True)
            square += grad**2
    norms = square.sum(dim=2).sqrt().mean(dim=0)  # (N, L, F) -> (L,)
    return norms.flip(0).double().cpu().numpy()


def hidden_gradients_by_lag(
    net: ForecastNet, x: Tensor, y: Tensor, loss: str = "mse"
) -> tuple[NDArray[np.float64], float]:
    """Mean over windows of the norm of d(loss)/d(h at t - k), per layer and lag.

    The loss is the training loss of each window (mean over the horizon) summed over windows,
    so each window's gradient does not depend on how many windows there are.

    Args:
        net: The network.
        x: (N, L, F) windows.
        y: (N, H) or (N, H, K) scaled targets.
        loss: Training loss: mse, mae or huber.

    Returns:
        (layers, L) array, column k - 1 for lag k, and the mean loss per window.
    """
    xs = _as_net_input(net, x)
    target = _as_net_input(net, y)
    with torch.enable_grad():
        out, states = unrolled(net, xs)
        total = loss_function(loss)(out.reshape(target.shape), target) * xs.shape[0]
        flat = [h for layer in states for h in layer]
        grads = torch.autograd.grad(total, flat, allow_unused=True)
    lags = xs.shape[1]
    norms = np.zeros((len(states), lags))
    for index, grad in enumerate(grads):
        k, p = divmod(index, lags)
        norms[k, lags - 1 - p] = 0.0 if grad is None else float(grad.norm(dim=1).mean())
    return norms, float(total.detach()) / xs.shape[0]


def gradient_profile(
    net: ForecastNet, x: Tensor, y: Tensor, loss: str = "mse", stage: str = "trained"
) -> GradientProfile:
    """Saliency and hidden-state gradients per lag of net on windows x with targets y.

    Averages over at most MAX_WINDOWS windows, evenly spaced over x, to bound the memory of
    the unrolled graph on long series.
    """
    if x.shape[0] > MAX_WINDOWS:
        keep = torch.linspace(0, x.shape[0] - 1, MAX_WINDOWS).round().long().to(x.device)
        x, y = x[keep], y[keep]
    saliency = saliency_by_lag(net, x)
    hidden, mean_loss = hidden_gradients_by_lag(net, x, y, loss)
    return GradientProfile(
        stage=stage,
        windows=int(x.shape[0]),
        lags=tuple(range(1, x.shape[1] + 1)),
        saliency=floats(saliency),
        saliency_ratio=ratio(float(saliency[-1]), float(saliency[0])),
        hidden=tuple(floats(row) for row in hidden),
        hidden_ratio=tuple(ratio(float(row[-1]), float(row[0])) for row in hidden),
        loss=mean_loss,
    )


def model_gradients(probe: Probe, *, at_init: bool = False) -> GradientProfile:
    """Gradient profile of a fitted forecaster on the windows before origins.

    Args:
        probe: The fitted forecaster, the series and the origins.
        at_init: Use the weights the model started training from (same seed) instead of
            the trained ones; the windows are scaled by the fitted scaler either way.

    Returns:
        GradientProfile with stage "init" or "trained".
    """
    net = initial_net(probe.model) if at_init else fitted_net(probe.model)
    windows = probe.windows()
    stage = "init" if at_init else "trained"
    return gradient_profile(net, windows.x, windows.y, probe.model.train.loss, stage)
