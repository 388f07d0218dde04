"""Per-layer gradient norms recorded during training, with exploding gradients flagged."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from lstmsizer.diagnostics.result import Result
from lstmsizer.errors import check
from lstmsizer.training import History

EXPLOSION_FACTOR = 10.0
"""A layer's gradient norm explodes when it is not finite, or above this many times the
median of its finite norms in the earlier epochs."""


@dataclass(frozen=True)
class Explosion(Result):
    """One flagged gradient norm.

    Attributes:
        epoch: Epoch index (0-based), as passed to the callback.
        layer: Layer name.
        norm: The norm (NaN or infinite when not finite).
        median: Median of the layer's finite norms in the earlier epochs (NaN if none).
    """

    epoch: int
    layer: str
    norm: float
    median: float


@dataclass(frozen=True)
class GradientNormLog(Result):
    """Gradient norm of every layer after the last optimizer step of each epoch.

    Attributes:
        layers: Layer names: lstm_1, lstm_2, ..., dense for a ForecastNet, after embedding
            when it embeds the series id.
        epochs: Epoch indices recorded.
        norms: Per layer, per epoch: the L2 norm of the layer's parameter gradients (clipped
            ones when the training clips); NaN when the layer had no gradient.
        factor: The explosion factor used.
        explosions: Every flagged (epoch, layer) norm, in recording order.
    """

    layers: tuple[str, ...]
    epochs: tuple[int, ...]
    norms: tuple[tuple[float, ...], ...]
    factor: float
    explosions: tuple[Explosion, ...]


def named_layers(net: nn.Module) -> list[tuple[str, nn.Module]]:
    """Keras-style layer names of a ForecastNet (embedding first when it has an id embedding);
    other modules: each module owning parameters."""
    recurrent, head = getattr(net, "recurrent", None), getattr(net, "head", None)
    spec = getattr(net, "spec", None)
    if isinstance(recurrent, nn.ModuleList) and isinstance(head, nn.Module) and spec is not None:
        named = [(f"{spec.cell}_{k + 1}", layer) for k, layer in enumerate(recurrent)]
        embedding = getattr(net, "embedding", None)
        if isinstance(embedding, nn.Module):
            named.insert(0, ("embedding", embedding))
        return [*named, ("dense", head)]
    return [
        (name or type(module).__name__, module)
        for name, module in net.named_modules()
        if any(True for _ in module.parameters(recurse=False))
    ]


class GradientNormRecorder:
    """A training callback: ``fit(net, data, spec, callbacks=[recorder])``.

    After every epoch it reads ``p.grad`` of the epoch's last step (the training loop clears
    gradients only at the next step) and records each layer's gradient norm. A norm that is
    not finite, or above ``factor`` times the median of the layer's finite norms in earlier
    epochs, is flagged as an explosion.

    Args:
        net: The module being trained (the same object passed to fit), or a function that
            returns it when training starts, for a net that is built inside a fit call
            (``GradientNormRecorder(lambda: forecaster.net_)``).
        factor: Explosion factor, > 1.
        stop_on_explosion: Return True on an explosion, which stops training.
    """

    def __init__(
        self,
        net: nn.Module | Callable[[], nn.Module | None],
        factor: float = EXPLOSION_FACTOR,
        *,
        stop_on_explosion: bool = False,
    ) -> None:
        check(factor > 1, "factor", "must be > 1", factor)
        self.factor = float(factor)
        self.stop_on_explosion = stop_on_explosion
        self._net = net
        self._layers: list[tuple[str, nn.Module]] = []
        self._norms: list[list[float]] = []
        if isinstance(net, nn.Module):
            self._bind(net)
        self._epochs: list[int] = []
        self._explosions: list[Explosion] = []

    def _bind(self, net: nn.Module) -> None:
        self._layers = named_layers(net)
        self._norms = [[] for _ in self._layers]

    def __call__(self, epoch: int, history: History) -> bool:
        """Record the norms of this epoch; True only when stopping on an explosion."""
        if not self._layers:
            net = self._net if isinstance(self._net, nn.Module) else self._net()
            check(isinstance(net, nn.Module), "net", "must give the module in training", net)
            assert net is not None
            self._bind(net)
        self._epochs.append(int(epoch))
        exploded = False
        for (name, module), norms in zip(self._layers, self._norms, strict=True):
            norm = _grad_norm(module)
            earlier = [v for v in norms if math.isfinite(v)]
            median = float(np.median(earlier)) if earlier else math.nan
            norms.append(norm if norm is not None else math.nan)
            if norm is None:
                continue
            if not math.isfinite(norm) or (earlier and norm > self.factor * median):
                self._explosions.append(Explosion(int(epoch), name, norm, median))
                exploded = True
        return exploded and self.stop_on_explosion

    @property
    def exploded(self) -> bool:
        """Whether any explosion was flagged so far."""
        return bool(self._explosions)

    def result(self) -> GradientNormLog:
        """What was recorded so far."""
        return GradientNormLog(
            layers=tuple(name for name, _ in self._layers),
            epochs=tuple(self._epochs),
            norms=tuple(tuple(norms) for norms in self._norms),
            factor=self.factor,
            explosions=tuple(self._explosions),
        )


def _grad_norm(module: nn.Module) -> float | None:
    grads = [p.grad for p in module.parameters() if p.requires_grad and p.grad is not None]
    if not grads:
        return None
    return float(torch.linalg.vector_norm(torch.stack([g.double().norm() for g in grads])))
