"""M forecaster networks of one configuration run as one batched network, for sweeps."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from lstmsizer.cells import ACTIVATION_FUNCTIONS, GATES, Activation
from lstmsizer.config import ModelSpec
from lstmsizer.errors import DataError, check, check_int
from lstmsizer.models import ForecastNet


class BatchedForecastNet(nn.Module):
    """M independent ForecastNets of one configuration, executed as one network.

    Small recurrent nets spend most of a step in per-operation overhead; stacking the seeds
    and folds of one sweep configuration along a leading member axis pays it once for all M.
    Member m sees only x[m] and its own weights, so its outputs and gradients are those of a
    solo ForecastNet; a loss summed over members trains every member as if alone, and one
    Adam over the stacked parameters equals M separate ones (Adam is elementwise).

    Weights are in Keras layout with a member axis: per layer ``weight_ih`` (M, F_in, G*U),
    ``weight_hh`` (M, U, G*U), ``bias`` (M, 1, G*U) and, for GRU (reset_after), ``bias_hh``
    (M, 1, G*U); head ``weight`` (M, U, H*K) and ``bias`` (M, 1, H*K). Gate order and
    activations are those of ``cells.RecurrentLayer``. Dropout masks between layers are drawn
    for all members at once, so with dropout > 0 members train like solo runs but do not
    repeat their dropout draws.

    Args:
        n_features: Features per time step (F).
        spec: Cell, width, depth, activation, dropout and init of every member.
        horizon: Steps forecast from each window (H).
        n_targets: Target series forecast at each step (K).
        members: Number of member networks (M); each is drawn like a ForecastNet, one after
            another from torch's global RNG (see ``seeded`` for one seed per member).
        device: Device of the parameters.
        dtype: Dtype of the parameters.
    """

    def __init__(
        self,
        n_features: int,
        spec: ModelSpec,
        horizon: int = 1,
        n_targets: int = 1,
        members: int = 1,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        check(isinstance(spec, ModelSpec), "spec", "must be a ModelSpec", type(spec).__name__)
        check_int("n_features", n_features)
        check_int("horizon", horizon)
        check_int("n_targets", n_targets)
        check_int("members", members)
        self.spec = spec
        self.n_features = n_features
        self.horizon = horizon
        self.n_targets = n_targets
        self.members = members
        sizes = [n_features] + [spec.units] * (spec.layers - 1)
        act = ACTIVATION_FUNCTIONS[spec.activation]
        self.recurrent = nn.ModuleList(
            _StackedRecurrent(spec.cell, members, f, spec.units, act, device, dtype) for f in sizes
        )
        self.dropout = nn.Dropout(spec.dropout)
        self.head = _StackedDense(members, spec.units, horizon * n_targets, device, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw M ForecastNets in turn from torch's global RNG and take their weights."""
        if self.head.weight.is_meta:
            return  # from_nets builds on the meta device and fills in the weights itself
        first = next(self.parameters())
        for m in range(self.members):
            net = ForecastNet(self.n_features, self.spec, self.horizon, self.n_targets)
            self._load_member(m, net.to(first.device, first.dtype))

    @classmethod
    def from_nets(cls, nets: Sequence[ForecastNet]) -> BatchedForecastNet:
        """Stack the weights of ForecastNets of one configuration (fused or hand-written).

        Args:
            nets: The members, in order; same spec, sizes, device and dtype. LSTM and RNN
                nets must keep ForecastNet's fixed-zero ``bias_hh_l0``.

        Returns:
            A BatchedForecastNet whose member m has exactly the weights of nets[m], in the
            training mode of nets[0].
        """
        check(len(nets) >= 1, "nets", "must hold at least one ForecastNet", len(nets))
        for m, net in enumerate(nets):
            name = type(net).__name__
            check(isinstance(net, ForecastNet), f"nets[{m}]", "must be a ForecastNet", name)
        first = nets[0]
        config = (first.spec, first.n_features, first.horizon, first.n_targets)
        weight = next(first.parameters())
        for m, net in enumerate(nets):
            other = (net.spec, net.n_features, net.horizon, net.n_targets)
            rule = f"must have the spec and sizes of nets[0] {config}"
            check(other == config, f"nets[{m}]", rule, other)
            p = next(net.parameters())
            where = f"must be on {weight.device} in {weight.dtype}"
            same = (p.device, p.dtype) == (weight.device, weight.dtype)
            check(same, f"nets[{m}]", where, f"{p.device} in {p.dtype}")
        sizes = (first.n_features, first.spec, first.horizon, first.n_targets, len(nets))
        batched = cls(*sizes, device="meta", dtype=weight.dtype)
        batched = batched.to_empty(device=weight.device)
        for m, net in enumerate(nets):
            batched._load_member(m, net)
        return batched.train(first.training)

    @classmethod
    def seeded(
        cls,
        n_features: int,
        spec: ModelSpec,
        horizon: int,
        n_targets: int,
        seeds: Sequence[int],
    ) -> BatchedForecastNet:
        """One member per seed, each equal to a ForecastNet built after torch.manual_seed(seed).

        The weights are drawn on the CPU; torch's global CPU RNG is left as it was.

        Args:
            n_features: Features per time step (F).
            spec: The members' configuration.
            horizon: Steps forecast (H).
            n_targets: Targets per step (K).
            seeds: One seed per member.

        Returns:
            A BatchedForecastNet with len(seeds) members.
        """
        check(len(seeds) >= 1, "seeds", "must hold at least one seed", list(seeds))
        nets = []
        with torch.random.fork_rng(devices=[]):
            for seed in seeds:
                torch.manual_seed(seed)
                nets.append(ForecastNet(n_features, spec, horizon, n_targets))
        return cls.from_nets(nets)

    def member(self, m: int, *, fused: bool | None = None) -> ForecastNet:
        """Member m as a standalone ForecastNet with a copy of its weights.

        Args:
            m: Member index, 0 <= m < members.
            fused: As in ForecastNet; None picks torch's fused layers when possible.

        Returns:
            A ForecastNet on this net's device and dtype, in this net's training mode.
        """
        rule = f"must be an integer in [0, {self.members})"
        check(isinstance(m, int) and 0 <= m < self.members, "m", rule, m)
        first = next(self.parameters())
        with torch.random.fork_rng(devices=[]):  # its own draws are overwritten below
            net = ForecastNet(self.n_features, self.spec, self.horizon, self.n_targets, fused=fused)
        net = net.to(first.device, first.dtype).train(self.training)
        with torch.no_grad():
            for ours, theirs in self._member_views(m, net):
                theirs.copy_(ours)
            if self.spec.cell != "gru":
                for layer in net.recurrent:
                    layer.get_parameter("bias_hh_l0").zero_()  # Keras's single bias
        return net

    def _load_member(self, m: int, net: ForecastNet) -> None:
        if self.spec.cell != "gru":
            for k, layer in enumerate(net.recurrent):
                b_hh = layer.get_parameter("bias_hh_l0")
                rule = "must have a zero bias_hh (the single Keras bias lives in bias_ih)"
                check(not torch.any(b_hh).item(), f"nets[{m}].recurrent[{k}]", rule, "non-zero")
        with torch.no_grad():
            for ours, theirs in self._member_views(m, net):
                ours.copy_(theirs)

    def _member_views(self, m: int, net: ForecastNet) -> list[tuple[Tensor, Tensor]]:
        # (member m's slice here, the same weights of net as a view in our layout)
        pairs = []
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        for stacked, layer in zip(self.recurrent, net.recurrent, strict=True):
            w_ih, w_hh, b_ih, b_hh = (layer.get_parameter(f"{name}_l0") for name in names)
            pairs += [
                (stacked.get_parameter("weight_ih")[m], w_ih.t()),  # (G*U, F_in) -> (F_in, G*U)
                (stacked.get_parameter("weight_hh")[m], w_hh.t()),  # (G*U, U) -> (U, G*U)
                (stacked.get_parameter("bias")[m], b_ih.unsqueeze(0)),  # (G*U,) -> (1, G*U)
            ]
            if self.spec.cell == "gru":
                pairs.append((stacked.get_parameter("bias_hh")[m], b_hh.unsqueeze(0)))
        pairs += [
            (self.head.weight[m], net.head.weight.t()),  # (H*K, U) -> (U, H*K)
            (self.head.bias[m], net.head.bias.unsqueeze(0)),  # (H*K,) -> (1, H*K)
        ]
        return pairs

    def forward(self, x: Tensor) -> Tensor:
        """Forecast (M, B, horizon, n_targets) from windows x of shape (M, B, L, n_features).

        Member m forecasts from x[m] alone.
        """
        sizes = (self.members, self.n_features)
        if x.ndim != 4 or (x.shape[0], x.shape[3]) != sizes or x.shape[2] < 1:
            wanted = f"({self.members}, batch, lags >= 1, {self.n_features})"
            raise DataError(
                f"x must have shape (members, batch, lags, features) = {wanted}, "
                f"got {tuple(x.shape)}"
            )
        h = x
        last = len(self.recurrent) - 1
        for k, layer in enumerate(self.recurrent):
            if k and self.spec.dropout > 0:
                h = self.dropout(h)
            # (M, B, L, F_in) -> (M, B, L, U), or (M, B, U) at the last step of the last layer
            h = layer(h, last_only=k == last)
        out = self.head(h)  # (M, B, U) -> (M, B, H*K)
        return out.view(self.members, -1, self.horizon, self.n_targets)  # -> (M, B, H, K)

    def num_parameters(self) -> int:
        """Trainable parameters of one member; equals ForecastNet.num_parameters (Keras count)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad) // self.members

    def extra_repr(self) -> str:
        s = self.spec
        return (
            f"members={self.members}, cell={s.cell}, units={s.units}, layers={s.layers}, "
            f"activation={s.activation}, n_features={self.n_features}, "
            f"horizon={self.horizon}, n_targets={self.n_targets}"
        )


class _StackedRecurrent(nn.Module):
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


class _StackedDense(nn.Module):
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


def batching_pays(cell: str, units: int, activation: str = "tanh") -> bool:
    """Whether training the seeds of one configuration as one batched net is faster here.

    Measured with bench/ensemble.py (12 lags, batch 32, one thread, fused Adam, 2-core CPU),
    batched over solo speed: tanh LSTMs, whose solo runs use torch's oneDNN kernel, 1.17x at
    32 units but 0.86x at 64 with 3 members (1.04x at 64, 0.82x at 128 with 9); GRUs 2.0x
    at 64 and 1.27x at 128, and relu LSTMs 2.1x and 1.24x, with 3 members.
    """
    limit = 32 if cell == "lstm" and activation == "tanh" else 128
    return units <= limit
