"""Unit ablation: which units of the last layer the forecast needs, and how many it does not."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lstmsizer.diagnostics.capacity import final_states
from lstmsizer.diagnostics.inputs import Probe, Windows, fitted_net
from lstmsizer.diagnostics.result import Result, floats
from lstmsizer.errors import check
from lstmsizer.models import ForecastNet
from lstmsizer.splits import Scaler

ABLATION_TOLERANCE = 0.01
"""Units are removed while the validation RMSE rises by less than this share (1%)."""


@dataclass(frozen=True)
class AblationResult(Result):
    """Removing units of the last layer one by one, on the original scale.

    Removing unit j zeroes column j of the Dense head's weight, which is the same as zeroing
    h_j for the head. Units are removed in order of importance, the RMS change of the
    forecasts when the unit alone is removed (never negative, unlike the RMSE change, which can
    be negative by chance), until the RMSE rises by tolerance or more.

    Attributes:
        units: Units of the last layer (U).
        windows: Windows scored (N).
        tolerance: Largest relative RMSE increase allowed.
        base_rmse: RMSE of the full model.
        rmse_delta: Per unit: RMSE with that unit alone removed, minus base_rmse.
        importance: Per unit: RMS change of the forecasts when that unit alone is removed.
        order: Units by increasing importance (ties by index).
        removal_rmse: RMSE after removing the first k units of order, for k = 0 .. U.
        removable: Units that can be removed in that order with an RMSE increase below
            tolerance (or none at all).
        used: units - removable.
        statement: The result in one sentence.
    """

    units: int
    windows: int
    tolerance: float
    base_rmse: float
    rmse_delta: tuple[float, ...]
    importance: tuple[float, ...]
    order: tuple[int, ...]
    removal_rmse: tuple[float, ...]
    removable: int
    used: int
    statement: str


def _rmse(pred: NDArray[np.float64], target: NDArray[np.float64]) -> float:
    return float(np.sqrt(np.mean((pred - target) ** 2)))


def head_ablation(
    states: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike,
    target: ArrayLike,
    scaler: Scaler | None = None,
    tolerance: float = ABLATION_TOLERANCE,
) -> AblationResult:
    """Ablate each unit of final states (N, U) read by a linear head, then remove greedily.

    Args:
        states: (N, U) last-layer final hidden states.
        weight: (H, U) head weight.
        bias: (H,) head bias.
        target: (N, H) targets on the original scale.
        scaler: Brings head outputs (scaled target, column 0) back to the original scale;
            None when the head already forecasts on the original scale.
        tolerance: Largest relative RMSE increase allowed while removing units.

    Returns:
        The AblationResult.
    """
    check(tolerance >= 0, "tolerance", "must be >= 0", tolerance)
    h = np.asarray(states, dtype=np.float64)
    w = np.asarray(weight, dtype=np.float64)
    true = np.asarray(target, dtype=np.float64).reshape(h.shape[0], -1)
    units = h.shape[1]

    def original(scaled: NDArray[np.float64]) -> NDArray[np.float64]:
        return scaled if scaler is None else scaler.inverse_transform(scaled, column=0)

    base = h @ w.T + np.asarray(bias, dtype=np.float64)  # (N, U) @ (U, H) -> (N, H)
    head = _Head(h, w, base, true, original)
    delta, importance = head.one_at_a_time()
    order = np.lexsort((np.arange(units), importance))
    curve = head.removal_curve(order)
    base_rmse = curve[0]
    rise = np.asarray(curve) - base_rmse
    ok = (rise < tolerance * base_rmse) | (rise <= 0)
    removable = int(np.argmin(ok)) - 1 if not ok.all() else units
    share = f"{100 * tolerance:g}%"
    statement = f"{removable} of {units} units can be removed with under {share} RMSE increase"
    return AblationResult(
        units=units,
        windows=int(h.shape[0]),
        tolerance=float(tolerance),
        base_rmse=base_rmse,
        rmse_delta=floats(delta),
        importance=floats(importance),
        order=tuple(int(i) for i in order),
        removal_rmse=floats(curve),
        removable=removable,
        used=units - removable,
        statement=statement,
    )


Original = Callable[[NDArray[np.float64]], NDArray[np.float64]]
"""Head outputs (N, H) back to the original scale."""


@dataclass(frozen=True)
class _Head:
    """A linear head's forecasts (N, H) from states h (N, U) and weight w (H, U), scaled, and
    the targets true (N, H) on the original scale."""

    h: NDArray[np.float64]
    w: NDArray[np.float64]
    base: NDArray[np.float64]
    true: NDArray[np.float64]
    original: Original

    def one_at_a_time(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Per unit removed alone: the RMSE change, and the RMS change of the forecasts."""
        h, w, base, true, original = self.h, self.w, self.base, self.true, self.original
        base_orig = original(base)
        base_rmse = _rmse(base_orig, true)
        delta, importance = np.zeros(h.shape[1]), np.zeros(h.shape[1])
        for j in range(h.shape[1]):
            # subtracting an exact zero leaves base unchanged: a unit the head ignores has delta 0
            ablated = original(base - h[:, j, None] * w[None, :, j])  # (N, H)
            delta[j] = _rmse(ablated, true) - base_rmse
            importance[j] = np.sqrt(np.mean((ablated - base_orig) ** 2))
        return delta, importance

    def removal_curve(self, order: NDArray[np.int64]) -> list[float]:
        """RMSE of the full model, then after removing the first k units of order, k = 1 .. U."""
        h, w, true, original = self.h, self.w, self.true, self.original
        curve, pred = [_rmse(original(self.base), true)], self.base.copy()
        for j in order:
            pred -= h[:, j, None] * w[None, :, j]
            curve.append(_rmse(original(pred), true))
        return curve


def unit_ablation(probe: Probe, *, tolerance: float = ABLATION_TOLERANCE) -> AblationResult:
    """Ablate each unit of a fitted forecaster's last layer on the windows before origins.

    Args:
        probe: The fitted forecaster, the series and the origins.
        tolerance: Largest relative RMSE increase allowed while removing units.

    Returns:
        AblationResult, scored on the original scale.
    """
    net = fitted_net(probe.model)
    return net_ablation(net, probe.windows(), tolerance)


def net_ablation(net: ForecastNet, windows: Windows, tolerance: float) -> AblationResult:
    """head_ablation of a network's last-layer final states on windows, its head's weights."""
    last = final_states(net, windows.x)[-1]  # (N, U)
    weight = net.head.weight.detach().double().cpu().numpy()  # (H, U)
    bias = net.head.bias.detach().double().cpu().numpy()
    return head_ablation(last, weight, bias, windows.target, windows.scaler, tolerance)
