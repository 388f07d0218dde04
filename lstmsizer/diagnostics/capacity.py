"""Capacity actually used: how many dimensions the final hidden states of each layer span."""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray

from lstmsizer.diagnostics.inputs import Probe, fitted_net
from lstmsizer.diagnostics.result import floats
from lstmsizer.errors import OptionError, check
from lstmsizer.models import ForecastNet
from lstmsizer.rundir.measurements import CapacityResult, LayerCapacity

DEAD_TOLERANCE = 1e-2
"""A unit is dead when its std over windows is at most this share of the layer's RMS state."""

SATURATION_LEVEL = 0.99
"""A bounded unit is saturated in a window when |h| exceeds this level ..."""

SATURATION_SHARE = 0.95
"""... and saturated overall when that happens in more than this share of the windows."""

VARIANCE_LEVELS = (0.9, 0.99)
"""Shares of the total variance for which the number of principal components is reported."""

_CHUNK = 4096  # windows per forward pass, so long series need little memory

SPECTRUM_FLOOR = 1e-12
"""Covariance eigenvalues below this share of the mean squared state count as 0 (rounding)."""

BOUNDED_ACTIVATIONS = ("tanh", "sigmoid", "softsign")
"""Activations whose hidden state lies in [-1, 1]; saturation is defined only for these."""


def final_states(net: ForecastNet, x: torch.Tensor) -> list[NDArray[np.float64]]:
    """Every layer's final hidden state h_T over the windows x, in eval mode.

    Args:
        net: The network.
        x: (N, L, F) windows on the network's device.

    Returns:
        One (N, U) float64 array per layer.
    """
    was_training = net.training
    net.eval()
    chunks: list[list[torch.Tensor]] = []
    with torch.no_grad():
        for first in range(0, x.shape[0], _CHUNK):
            _, states = net.forward_states(x[first : first + _CHUNK])  # layers x (B, L, U)
            chunks.append([s[:, -1] for s in states])
    net.train(was_training)
    return [torch.cat(layer).double().cpu().numpy() for layer in zip(*chunks, strict=True)]


def covariance_spectrum(states: ArrayLike) -> NDArray[np.float64]:
    """Eigenvalues of the sample covariance of states (N, U), largest first.

    Eigenvalues below 1e-12 of the mean squared state are rounding (a constant unit leaves
    about 1e-31 after centring) and are returned as 0.
    """
    h = np.asarray(states, dtype=np.float64)
    check(h.ndim == 2 and h.shape[0] >= 1, "states", "must have shape (N >= 1, U)", h.shape)
    centred = h - h.mean(axis=0)
    cov = centred.T @ centred / max(h.shape[0] - 1, 1)  # (U, U)
    spectrum = np.linalg.eigvalsh(cov)[::-1]
    floor = SPECTRUM_FLOOR * float(np.mean(h**2))
    return np.where(spectrum > floor, spectrum, 0.0)


def participation_ratio(spectrum: ArrayLike) -> float:
    """(sum λ)^2 / sum λ^2: k for k equal eigenvalues, near 1 for one dominant one, 0 for none."""
    lam = np.asarray(spectrum, dtype=np.float64)
    square = float(np.sum(lam**2))
    return float(np.sum(lam)) ** 2 / square if square > 0 else 0.0


def variance_components(spectrum: ArrayLike, level: float) -> int:
    """Fewest leading eigenvalues whose sum reaches level (e.g. 0.9) of the total; 0 for none."""
    check(0 < level <= 1, "level", "must be in (0, 1]", level)
    lam = np.sort(np.asarray(spectrum, dtype=np.float64))[::-1]
    total = float(lam.sum())
    if total <= 0:
        return 0
    reached = np.cumsum(lam) >= level * total * (1 - 1e-12)  # tolerate rounding of the sums
    return int(np.argmax(reached)) + 1 if reached.any() else int(lam.size)


def dead_units(states: ArrayLike, tolerance: float = DEAD_TOLERANCE) -> NDArray[np.int64]:
    """Units whose std over windows is at most tolerance times the RMS of all states (N, U)."""
    check(tolerance >= 0, "tolerance", "must be >= 0", tolerance)
    h = np.asarray(states, dtype=np.float64)
    scale = float(np.sqrt(np.mean(h**2))) if h.size else 0.0
    return np.flatnonzero(h.std(axis=0) <= tolerance * scale).astype(np.int64)


def saturated_units(
    states: ArrayLike, level: float = SATURATION_LEVEL, share: float = SATURATION_SHARE
) -> NDArray[np.int64]:
    """Units with |h| > level in more than share of the windows, for states (N, U)."""
    h = np.asarray(states, dtype=np.float64)
    return np.flatnonzero(np.mean(np.abs(h) > level, axis=0) > share).astype(np.int64)


def layer_capacity(
    states: ArrayLike, layer: int, activation: str, dead_tolerance: float = DEAD_TOLERANCE
) -> LayerCapacity:
    """Participation ratio, components, dead and saturated units of one layer's states (N, U)."""
    h = np.asarray(states, dtype=np.float64)
    spectrum = covariance_spectrum(h)
    dead = dead_units(h, dead_tolerance)
    bounded = activation in BOUNDED_ACTIVATIONS
    saturated = saturated_units(h) if bounded else np.zeros(0, dtype=np.int64)
    units = h.shape[1]
    return LayerCapacity(
        layer=layer,
        units=units,
        participation_ratio=participation_ratio(spectrum),
        components_90=variance_components(spectrum, VARIANCE_LEVELS[0]),
        components_99=variance_components(spectrum, VARIANCE_LEVELS[1]),
        dead_units=tuple(int(i) for i in dead),
        saturated_units=tuple(int(i) for i in saturated),
        dead_share=dead.size / units,
        saturated_share=saturated.size / units if bounded else float("nan"),
        spectrum=floats(spectrum),
        unit_std=floats(h.std(axis=0)),
    )


def net_capacity(
    net: ForecastNet, x: torch.Tensor, dead_tolerance: float = DEAD_TOLERANCE
) -> CapacityResult:
    """Capacity of every layer of net over the windows x (N, L, F)."""
    if x.ndim != 3 or x.shape[0] < 1:
        raise OptionError(f"x must have shape (N >= 1, L, F), got {tuple(x.shape)}")
    states = final_states(net, x)
    spec = net.spec
    layers = tuple(
        layer_capacity(h, k + 1, spec.activation, dead_tolerance) for k, h in enumerate(states)
    )
    return CapacityResult(int(x.shape[0]), spec.cell, spec.activation, dead_tolerance, layers)


def model_capacity(probe: Probe, *, dead_tolerance: float = DEAD_TOLERANCE) -> CapacityResult:
    """How many hidden dimensions a fitted forecaster uses on the windows before origins.

    Args:
        probe: The fitted forecaster, the series and the origins.
        dead_tolerance: See DEAD_TOLERANCE.

    Returns:
        CapacityResult with one LayerCapacity per layer.
    """
    net = fitted_net(probe.model)
    return net_capacity(net, probe.windows().x, dead_tolerance)
