"""Hand-written recurrent layers in torch's weight layout that take any Keras activation."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lstmsizer.config import ACTIVATIONS, CELLS
from lstmsizer.errors import check

Activation = Callable[[Tensor], Tensor]

GATES: dict[str, int] = {"lstm": 4, "gru": 3, "rnn": 1}
"""Weight blocks stacked in one kernel: i, f, g, o (LSTM); r, z, n (GRU); one for a simple RNN."""


def _identity(x: Tensor) -> Tensor:
    return x


ACTIVATION_FUNCTIONS: dict[str, Activation] = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "linear": _identity,
    "elu": F.elu,
    "softsign": F.softsign,
}


class RecurrentLayer(nn.Module):
    """One recurrent layer, batch first, with a free activation in place of tanh.

    A drop-in for one-layer ``torch.nn.LSTM`` / ``GRU`` / ``RNN`` with ``batch_first=True``:
    the same parameter names and shapes (``weight_ih_l0`` (G*U, F), ``weight_hh_l0`` (G*U, U),
    ``bias_ih_l0`` and ``bias_hh_l0`` (G*U)), the same gate order (i, f, g, o for LSTM; r, z, n
    for GRU with n = act(W_in x + b_in + r * (W_hn h + b_hn)), Keras's reset_after), and the
    same outputs when the activation is tanh. The activation has Keras's meaning: it replaces
    tanh in the candidate and, for LSTM, in h = o * act(c); gates stay sigmoid. The initial
    state is zero.

    Args:
        cell: lstm, gru or rnn.
        input_size: Features per time step (F).
        hidden_size: Units (U).
        activation: One of config.ACTIVATIONS.
        device: Device of the parameters.
        dtype: Dtype of the parameters.
    """

    def __init__(
        self,
        cell: str,
        input_size: int,
        hidden_size: int,
        activation: str = "tanh",
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        check(cell in CELLS, "cell", f"must be one of {', '.join(CELLS)}", cell)
        check(input_size >= 1, "input_size", "must be >= 1", input_size)
        check(hidden_size >= 1, "hidden_size", "must be >= 1", hidden_size)
        check(
            activation in ACTIVATIONS,
            "activation",
            f"must be one of {', '.join(ACTIVATIONS)}",
            activation,
        )
        self.cell = cell
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.activation = activation
        self._act = ACTIVATION_FUNCTIONS[activation]
        rows = GATES[cell] * hidden_size
        self.weight_ih_l0 = nn.Parameter(torch.empty(rows, input_size, device=device, dtype=dtype))
        self.weight_hh_l0 = nn.Parameter(torch.empty(rows, hidden_size, device=device, dtype=dtype))
        self.bias_ih_l0 = nn.Parameter(torch.empty(rows, device=device, dtype=dtype))
        self.bias_hh_l0 = nn.Parameter(torch.empty(rows, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's RNN default: every weight and bias uniform in +/- 1/sqrt(hidden_size)."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in (self.weight_ih_l0, self.weight_hh_l0, self.bias_ih_l0, self.bias_hh_l0):
            nn.init.uniform_(p, -bound, bound)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor | tuple[Tensor, Tensor]]:
        """Run the layer over a batch of sequences.

        Args:
            x: (B, L, F) inputs, L >= 1.

        Returns:
            The output sequence (B, L, U) and the final state as torch returns it:
            h_n (1, B, U), or (h_n, c_n) for LSTM.
        """
        w_hh = self.weight_hh_l0.t()  # (U, G*U), so that h @ w_hh is (B, G*U)
        if self.cell == "gru":
            # b_hn sits inside r * (...), so the recurrent bias stays in the loop
            xs = F.linear(x, self.weight_ih_l0, self.bias_ih_l0).unbind(1)  # L x (B, 3U)
            outs, h = _gru_loop(xs, w_hh, self.bias_hh_l0, self._act)
        else:
            bias = self.bias_ih_l0 + self.bias_hh_l0
            # one matmul for every step's input projection: (B, L, F) -> L x (B, G*U)
            xs = F.linear(x, self.weight_ih_l0, bias).unbind(1)
            if self.cell == "lstm":
                outs, h, c = _lstm_loop(xs, w_hh, self._act)
                return torch.stack(outs, 1), (h.unsqueeze(0), c.unsqueeze(0))
            outs, h = _rnn_loop(xs, w_hh, self._act)
        return torch.stack(outs, 1), h.unsqueeze(0)  # L x (B, U) -> (B, L, U)

    def extra_repr(self) -> str:
        return (
            f"{self.input_size}, {self.hidden_size}, cell={self.cell}, activation={self.activation}"
        )


def _lstm_loop(
    xs: tuple[Tensor, ...], w_hh: Tensor, act: Activation
) -> tuple[list[Tensor], Tensor, Tensor]:
    # the first step starts from h = c = 0, which saves its matmul and f * c
    gates = xs[0]  # (B, 4U)
    i, _, g, o = gates.chunk(4, 1)
    c = torch.sigmoid(i) * act(g)
    h = torch.sigmoid(o) * act(c)
    outs = [h]
    for xt in xs[1:]:
        gates = torch.addmm(xt, h, w_hh)  # (B, 4U) + (B, U) @ (U, 4U)
        i, f, g, o = gates.chunk(4, 1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * act(g)
        h = torch.sigmoid(o) * act(c)
        outs.append(h)
    return outs, h, c


def _gru_loop(
    xs: tuple[Tensor, ...], w_hh: Tensor, b_hh: Tensor, act: Activation
) -> tuple[list[Tensor], Tensor]:
    xr, xz, xn = xs[0].chunk(3, 1)
    hr, hz, hn = b_hh.chunk(3)  # h = 0: the recurrent projection is its bias alone
    z = torch.sigmoid(xz + hz)
    n = act(xn + torch.sigmoid(xr + hr) * hn)
    h = n - z * n  # (1 - z) * n + z * 0
    outs = [h]
    for xt in xs[1:]:
        xr, xz, xn = xt.chunk(3, 1)
        hr, hz, hn = torch.addmm(b_hh, h, w_hh).chunk(3, 1)  # (B, U) @ (U, 3U) -> 3 x (B, U)
        z = torch.sigmoid(xz + hz)
        n = act(xn + torch.sigmoid(xr + hr) * hn)
        h = n + z * (h - n)  # (1 - z) * n + z * h
        outs.append(h)
    return outs, h


def _rnn_loop(xs: tuple[Tensor, ...], w_hh: Tensor, act: Activation) -> tuple[list[Tensor], Tensor]:
    h = act(xs[0])
    outs = [h]
    for xt in xs[1:]:
        h = act(torch.addmm(xt, h, w_hh))  # (B, U) + (B, U) @ (U, U)
        outs.append(h)
    return outs, h
