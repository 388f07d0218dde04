"""Recurrent layers and a Dense head for M member networks stacked on a leading axis."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from lstmsizer.cells import GATES, Activation


class StackedRecurrent(nn.Module):
    """One recurrent layer for M members: (M, B, L, F_in) -> (M, B, L, U)."""

    def __init__(
        self,
        cell: str,
        members: int,
        input_size: int,
        units: int,
        act: Activation,
        device: torch.device | str | None,
        dtype: torch.dtype | None,
    ) -> None:
        super().__init__()
        self.cell = cell
        self._act = act
        gu = GATES[cell] * units

        def empty(*shape: int) -> nn.Parameter:
            return nn.Parameter(torch.empty(*shape, device=device, dtype=dtype))

        self.weight_ih = empty(members, input_size, gu)
        self.weight_hh = empty(members, units, gu)
        self.bias = empty(members, 1, gu)
        # GRU reset_after keeps b_hn inside r * (...), so it cannot merge into the input bias
        self.bias_hh = empty(members, 1, gu) if cell == "gru" else None

    def forward(self, x: Tensor, last_only: bool = False) -> Tensor:
        m, b, steps, f = x.shape
        # one batched matmul for every step's input projection:
        # (M, B*L, F) @ (M, F, G*U) + (M, 1, G*U) -> (M, B*L, G*U) -> L x (M, B, G*U)
        xs = torch.baddbmm(self.bias, x.reshape(m, b * steps, f), self.weight_ih)
        xs_t = xs.view(m, b, steps, -1).unbind(2)
        if self.bias_hh is not None:
            outs = _gru_steps(xs_t, self.weight_hh, self.bias_hh, self._act)
        elif self.cell == "lstm":
            outs = _lstm_steps(xs_t, self.weight_hh, self._act)
        else:
            outs = _rnn_steps(xs_t, self.weight_hh, self._act)
        return outs[-1] if last_only else torch.stack(outs, 2)  # L x (M, B, U) -> (M, B, L, U)


class StackedDense(nn.Module):
    """The Dense head for M members: (M, B, U) -> (M, B, H*K)."""

    def __init__(
        self,
        members: int,
        units: int,
        out: int,
        device: torch.device | str | None,
        dtype: torch.dtype | None,
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(members, units, out, device=device, dtype=dtype))
        self.bias = nn.Parameter(torch.empty(members, 1, out, device=device, dtype=dtype))

    def forward(self, h: Tensor) -> Tensor:
        return torch.baddbmm(self.bias, h, self.weight)  # (M, B, U) @ (M, U, H*K) + (M, 1, H*K)


# The step loops follow cells._lstm_loop / _gru_loop / _rnn_loop with baddbmm for addmm and
# gates split along the last axis, which carries G*U in both the solo and the batched layout.


def _lstm_steps(xs: tuple[Tensor, ...], w_hh: Tensor, act: Activation) -> list[Tensor]:
    # the first step starts from h = c = 0, which saves its matmul and f * c
    i, _, g, o = xs[0].chunk(4, -1)  # (M, B, 4U) -> 4 x (M, B, U)
    c = torch.sigmoid(i) * act(g)
    h = torch.sigmoid(o) * act(c)
    outs = [h]
    for xt in xs[1:]:
        gates = torch.baddbmm(xt, h, w_hh)  # (M, B, 4U) + (M, B, U) @ (M, U, 4U)
        i, f, g, o = gates.chunk(4, -1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * act(g)
        h = torch.sigmoid(o) * act(c)
        outs.append(h)
    return outs


def _gru_steps(xs: tuple[Tensor, ...], w_hh: Tensor, b_hh: Tensor, act: Activation) -> list[Tensor]:
    xr, xz, xn = xs[0].chunk(3, -1)  # (M, B, 3U) -> 3 x (M, B, U)
    hr, hz, hn = b_hh.chunk(3, -1)  # h = 0: the recurrent projection is its bias, 3 x (M, 1, U)
    z = torch.sigmoid(xz + hz)
    n = act(xn + torch.sigmoid(xr + hr) * hn)
    h = n - z * n  # (1 - z) * n + z * 0
    outs = [h]
    for xt in xs[1:]:
        xr, xz, xn = xt.chunk(3, -1)
        # (M, 1, 3U) + (M, B, U) @ (M, U, 3U) -> 3 x (M, B, U)
        hr, hz, hn = torch.baddbmm(b_hh, h, w_hh).chunk(3, -1)
        z = torch.sigmoid(xz + hz)
        n = act(xn + torch.sigmoid(xr + hr) * hn)
        h = n + z * (h - n)  # (1 - z) * n + z * h
        outs.append(h)
    return outs


def _rnn_steps(xs: tuple[Tensor, ...], w_hh: Tensor, act: Activation) -> list[Tensor]:
    h = act(xs[0])  # (M, B, U)
    outs = [h]
    for xt in xs[1:]:
        h = act(torch.baddbmm(xt, h, w_hh))  # (M, B, U) + (M, B, U) @ (M, U, U)
        outs.append(h)
    return outs
