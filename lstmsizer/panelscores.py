"""Scores of a panel's forecasts per series, and the cross-series scores a sweep ranks on."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from lstmsizer.errors import OptionError

Array = NDArray[np.float64]

SERIES_COLUMNS: tuple[str, ...] = (
    "series",
    "windows",
    "rmse",
    "mae",
    "mase",
    "smape",
    "sse_scaled",
    "sae_scaled",
    "values",
)
"""Columns of the per-series table: the series index, its validation windows, its metrics on
the original scale, its squared and absolute errors summed on the scaled values, and how many
values were forecast (windows * horizon)."""


def naive_scale(values: ArrayLike, starts: ArrayLike, train_end: ArrayLike) -> Array:
    """In-sample naive MAE of each series: mean |y_t - y_{t-1}| over its training part.

    The scale of metrics.mase with season 1 and y_train the series' training part.

    Args:
        values: (T,) every series end to end (Panel.values).
        starts: (S + 1,) row offsets of the series (Panel.starts).
        train_end: (S,) number of training values of each series, counted from its start.

    Returns:
        (S,) the scales; NaN for a series with fewer than 2 training values or a training
        part that never changes (a scale of 0 makes MASE undefined).

    Raises:
        OptionError: When the shapes disagree or a train_end lies outside its series.
    """
    y = np.asarray(values, dtype=np.float64)
    bounds = np.asarray(starts, dtype=np.int64)
    end = np.asarray(train_end, dtype=np.int64)
    n_series = bounds.size - 1
    if y.ndim != 1 or bounds.ndim != 1 or n_series < 1 or bounds[-1] != y.size:
        raise OptionError(
            f"values must be (T,) and starts (S + 1,) ending at T, got shapes {y.shape} "
            f"and {bounds.shape}"
        )
    lengths = np.diff(bounds)
    if end.shape != (n_series,) or (end < 0).any() or (end > lengths).any():
        raise OptionError(
            f"train_end must hold {n_series} counts, each within its series' length, "
            f"got {end.tolist() if end.size <= 10 else end.shape}"
        )
    series = np.repeat(np.arange(n_series, dtype=np.int64), lengths)  # (T,)
    local = np.arange(y.size, dtype=np.int64) - bounds[series]  # (T,) position in its series
    # step t (t >= 1) pairs y_t with y_{t-1}; it is a training step when y_t is a training value
    step = (local[1:] >= 1) & (local[1:] < end[series[1:]])  # (T - 1,)
    sums = np.bincount(
        series[1:][step], weights=np.abs(np.diff(y))[step], minlength=n_series
    )  # (S,)
    counts = end - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = sums / counts
    scale[(counts < 1) | ~(scale > 0)] = np.nan
    return scale


def _check_scores(
    true: ArrayLike, pred: ArrayLike, series: ArrayLike, n_series: int
) -> tuple[Array, Array, NDArray[np.int64]]:
    """The forecasts as (N, H) float64 arrays and their series as (N,) int64, checked."""
    y = np.asarray(true, dtype=np.float64)
    p = np.asarray(pred, dtype=np.float64)
    s = np.asarray(series, dtype=np.int64)
    if y.ndim != 2 or y.shape != p.shape:
        raise OptionError(f"true and pred must both be (N, H), got shapes {y.shape} and {p.shape}")
    if s.shape != (y.shape[0],):
        raise OptionError(f"series must be ({y.shape[0]},), one per window, got shape {s.shape}")
    if s.size and (s.min() < 0 or s.max() >= n_series):
        raise OptionError(
            f"series must lie in [0, {n_series}), got values from {s.min()} to {s.max()}"
        )
    for name, arr in (("true", y), ("pred", p)):
        if not np.isfinite(arr).all():
            raise OptionError(
                f"{name} must be finite, got {int((~np.isfinite(arr)).sum())} NaN or infinite"
            )
    return y, p, s


def series_scores(
    true: ArrayLike,
    pred: ArrayLike,
    series: ArrayLike,
    n_series: int,
    naive: ArrayLike,
    scale: ArrayLike,
) -> pd.DataFrame:
    """Metrics of each series' validation windows, and its error sums on the scaled values.

    Args:
        true: (N, H) observed values, original scale.
        pred: (N, H) forecasts, original scale.
        series: (N,) the series of each window.
        n_series: S, the number of series of the panel.
        naive: (S,) in-sample naive MAE of each series (naive_scale); NaN leaves its MASE NaN.
        scale: (S,) the divisor of each series' scaling (PanelScaler.scale_).

    Returns:
        One row per series with at least one window, in series order, columns SERIES_COLUMNS:
        rmse, mae, mase and smape on the original scale, as metrics computes them on that
        series' windows alone; sse_scaled and sae_scaled the sums of squared and absolute
        errors divided by scale ** 2 and scale.

    Raises:
        OptionError: For shapes that disagree, a series outside [0, S), or non-finite values.
    """
    y, p, s = _check_scores(true, pred, series, n_series)
    naive_s = np.asarray(naive, dtype=np.float64)
    scale_s = np.asarray(scale, dtype=np.float64)
    for name, arr in (("naive", naive_s), ("scale", scale_s)):
        if arr.shape != (n_series,):
            raise OptionError(f"{name} must be ({n_series},), one per series, got {arr.shape}")
    error = p - y  # (N, H)
    den = np.abs(y) + np.abs(p)
    # den == 0 only when both are 0: a perfect forecast, whose term metrics.smape counts as 0
    terms = np.divide(200.0 * np.abs(error), den, out=np.zeros_like(den), where=den > 0)

    def per_series(row_sums: Array) -> Array:  # (N,) -> (S,)
        return np.bincount(s, weights=row_sums, minlength=n_series).astype(np.float64)

    windows = np.bincount(s, minlength=n_series)  # (S,)
    counts = windows * y.shape[1]
    sse = per_series((error**2).sum(axis=1))
    sae = per_series(np.abs(error).sum(axis=1))
    keep = np.flatnonzero(windows)
    n = counts[keep].astype(np.float64)
    mae = sae[keep] / n
    return pd.DataFrame(
        {
            "series": keep,
            "windows": windows[keep],
            "rmse": np.sqrt(sse[keep] / n),
            "mae": mae,
            "mase": mae / naive_s[keep],
            "smape": per_series(terms.sum(axis=1))[keep] / n,
            "sse_scaled": sse[keep] / scale_s[keep] ** 2,
            "sae_scaled": sae[keep] / scale_s[keep],
            "values": counts[keep],
        },
        columns=list(SERIES_COLUMNS),
    )


def across_series(per_series: pd.DataFrame) -> dict[str, float]:
    """The cross-series scores of a panel, under the metric names of a single series.

    rmse and mae pool every forecast value of every series, each error divided by its
    series' scale; mase and smape are means over series of the per-series scores, series
    with an undefined MASE (NaN) left out of the MASE mean.

    Args:
        per_series: The table of series_scores (at least sse_scaled, sae_scaled, values,
            mase and smape).

    Returns:
        {"mae", "rmse", "mase", "smape"}; NaN when the table is empty, and mase NaN when no
        series has a defined MASE.
    """
    # numpy sums, not pandas ones: a NaN must show in the score, not be skipped
    needed = ("mase", "smape", "sse_scaled", "sae_scaled", "values")
    column = {name: per_series[name].to_numpy(dtype=np.float64) for name in needed}
    total = float(column["values"].sum())
    if total == 0.0:
        return dict.fromkeys(("mae", "rmse", "mase", "smape"), float("nan"))
    defined = column["mase"][~np.isnan(column["mase"])]
    return {
        "mae": float(column["sae_scaled"].sum()) / total,
        "rmse": float(np.sqrt(column["sse_scaled"].sum() / total)),
        "mase": float(defined.mean()) if defined.size else float("nan"),
        "smape": float(column["smape"].mean()),
    }
