"""M forecaster networks of one configuration run as one batched network, for sweeps."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from lstmsizer.cells import ACTIVATION_FUNCTIONS
from lstmsizer.config import ModelSpec
from lstmsizer.errors import DataError, check, check_int
from lstmsizer.models import ForecastNet
from lstmsizer.stacked import StackedDense, StackedRecurrent


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
            StackedRecurrent(spec.cell, members, f, spec.units, act, device, dtype) for f in sizes
        )
        self.dropout = nn.Dropout(spec.dropout)
        self.head = StackedDense(members, spec.units, horizon * n_targets, device, dtype)
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
