"""Forecast accuracy metrics on the original scale: MAE, RMSE, MASE and sMAPE."""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lstmsizer.errors import OptionError


class Metric(Protocol):
    """The one signature every metric shares.

    Args:
        y_true: Observed values, any shape, original scale.
        y_pred: Forecasts, the same shape as y_true.
        y_train: Training series; only mase reads it (for its scale).
        season: Lag of the naive forecast that scales mase; the others only check it.

    Returns:
        The metric, a float.

    Raises:
        OptionError: Shapes differ, no values, NaN, or a season below 1.
    """

    def __call__(
        self,
        y_true: ArrayLike,
        y_pred: ArrayLike,
        *,
        y_train: ArrayLike | None = None,
        season: int = 1,
    ) -> float: ...


def _pair(
    y_true: ArrayLike, y_pred: ArrayLike, season: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Validate and flatten the true and forecast values; they must have one shape."""
    if isinstance(season, bool) or not isinstance(season, (int, np.integer)) or season < 1:
        raise OptionError(f"season must be an integer >= 1, got {season!r}")
    true = np.asarray(y_true, dtype=np.float64)
    pred = np.asarray(y_pred, dtype=np.float64)
    if true.shape != pred.shape:
        raise OptionError(
            f"y_true and y_pred must have the same shape, got {true.shape} and {pred.shape}"
        )
    if true.size == 0:
        raise OptionError(f"y_true and y_pred must not be empty, got shape {true.shape}")
    for name, arr in (("y_true", true), ("y_pred", pred)):
        if np.isnan(arr).any():
            raise OptionError(f"{name} must not contain NaN, got {int(np.isnan(arr).sum())} NaN")
    return true.reshape(-1), pred.reshape(-1)


def mae(
    y_true: ArrayLike, y_pred: ArrayLike, *, y_train: ArrayLike | None = None, season: int = 1
) -> float:
    """Mean absolute error, mean(|y_true - y_pred|); the arguments are those of Metric."""
    true, pred = _pair(y_true, y_pred, season)
    return float(np.mean(np.abs(true - pred)))


def rmse(
    y_true: ArrayLike, y_pred: ArrayLike, *, y_train: ArrayLike | None = None, season: int = 1
) -> float:
    """Root mean squared error, sqrt(mean((y_true - y_pred) ** 2)); arguments as in Metric."""
    true, pred = _pair(y_true, y_pred, season)
    return float(np.sqrt(np.mean((true - pred) ** 2)))


def smape(
    y_true: ArrayLike, y_pred: ArrayLike, *, y_train: ArrayLike | None = None, season: int = 1
) -> float:
    """Symmetric mean absolute percentage error, in percent (0 to 200); arguments as in Metric.

    Each term is 200 * |y - ŷ| / (|y| + |ŷ|); a term with y = ŷ = 0 counts as 0. The result
    is the mean of the terms.
    """
    true, pred = _pair(y_true, y_pred, season)
    num = 200.0 * np.abs(true - pred)
    den = np.abs(true) + np.abs(pred)
    # den == 0 only when both are 0, so num is 0 too: that term is a perfect forecast.
    terms = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    return float(np.mean(terms))


def mase(
    y_true: ArrayLike, y_pred: ArrayLike, *, y_train: ArrayLike | None = None, season: int = 1
) -> float:
    """Mean absolute scaled error (Hyndman & Koehler 2006).

    The MAE of the forecasts divided by the in-sample MAE of the seasonal naive forecast
    y_train[t - season] on the training series. Below 1 means better than that naive forecast.

    Args:
        y_true: Observed values, any shape.
        y_pred: Forecasts, the same shape as y_true.
        y_train: Training series (1-D, original scale, no NaN); required, longer than season.
        season: Lag of the naive forecast that sets the scale (1: last value).

    Returns:
        The scaled error. When the training series is constant at lag season the scale is 0:
        the result is inf, or nan when the forecasts are also exact (0 / 0).

    Raises:
        OptionError: y_train missing, not 1-D, too short, or containing NaN.
    """
    true, pred = _pair(y_true, y_pred, season)
    if y_train is None:
        raise OptionError("y_train is required for mase, got None")
    train = np.asarray(y_train, dtype=np.float64)
    if train.ndim != 1:
        raise OptionError(f"y_train must be one-dimensional, got shape {train.shape}")
    if train.size <= season:
        raise OptionError(f"y_train must be longer than season={season}, got {train.size} values")
    if np.isnan(train).any():
        raise OptionError(f"y_train must not contain NaN, got {int(np.isnan(train).sum())} NaN")
    scale = float(np.mean(np.abs(train[season:] - train[:-season])))
    error = float(np.mean(np.abs(true - pred)))
    if scale == 0.0:
        return float("nan") if error == 0.0 else float("inf")
    return error / scale


METRICS: dict[str, Metric] = {"mae": mae, "rmse": rmse, "mase": mase, "smape": smape}


def score(
    y_true: ArrayLike, y_pred: ArrayLike, *, y_train: ArrayLike | None, season: int = 1
) -> dict[str, float]:
    """Every metric in METRICS, in its order.

    Args:
        y_true: Observed values, any shape, original scale.
        y_pred: Forecasts, the same shape as y_true.
        y_train: Training series for the MASE scale (required by mase).
        season: Lag of the naive forecast that scales MASE.

    Returns:
        {"mae": ..., "rmse": ..., "mase": ..., "smape": ...}.
    """
    return {
        name: metric(y_true, y_pred, y_train=y_train, season=season)
        for name, metric in METRICS.items()
    }
