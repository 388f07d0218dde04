"""The numbers behind each figure and fact of the report, computed without drawing."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lstmsizer import deepwide
from lstmsizer.deepwide import Pair
from lstmsizer.report.results import Baseline
from lstmsizer.rundir import RunFolder, SummaryRow
from lstmsizer.rundir.measurements import CapacityResult, Saliency, SpeedResult
from lstmsizer.rundir.tables import Forecasts, Series

MAX_ACF_LAG = 40


@dataclass(frozen=True)
class Line:
    """One line of a figure: y (± err) against x, with its legend label."""

    label: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    err: tuple[float, ...] | None = None


@dataclass(frozen=True)
class Band:
    """A horizontal band: a baseline's mean RMSE ± its standard error."""

    label: str
    mean: float
    se: float


@dataclass(frozen=True)
class Autocorrelation:
    """Sample autocorrelation at lags 1..max, the ±1.96/sqrt(n) band and the model's window."""

    lags: tuple[int, ...]
    acf: tuple[float, ...]
    bound: float
    window: int


def autocorrelation(values: np.ndarray, max_lag: int) -> np.ndarray:
    """Sample autocorrelation r_0..r_max_lag (the biased estimator statsmodels' acf uses)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)] - np.mean(x[np.isfinite(x)])
    denominator = float(np.dot(x, x))
    max_lag = min(max_lag, len(x) - 1)
    if denominator == 0 or max_lag < 0:
        return np.zeros(max(max_lag, 0) + 1)
    return np.array([np.dot(x[: len(x) - k], x[k:]) / denominator for k in range(max_lag + 1)])


def acf_view(series: Series, window: int, max_lag: int | None = None) -> Autocorrelation:
    """The autocorrelation figure's numbers: lags 1..max_lag (default max(40, 2 x window))."""
    n = int(np.isfinite(series.value).sum())
    top = max_lag if max_lag is not None else max(MAX_ACF_LAG, 2 * window)
    r = autocorrelation(series.value, min(top, n - 1))
    return Autocorrelation(
        tuple(range(1, len(r))), tuple(float(v) for v in r[1:]), 1.96 / math.sqrt(n), window
    )


def thin(x: np.ndarray, y: np.ndarray, max_points: int = 4000) -> tuple[np.ndarray, np.ndarray]:
    """At most about max_points points that keep the line's envelope: min and max per bucket."""
    n = len(y)
    if n <= max_points:
        return x, y
    buckets = max_points // 2
    edges = np.linspace(0, n, buckets + 1).astype(int)
    keep: list[int] = []
    for lo, hi in itertools.pairwise(edges):
        chunk = y[lo:hi]
        if np.isnan(chunk).all():
            continue
        keep.extend(sorted({lo + int(np.nanargmin(chunk)), lo + int(np.nanargmax(chunk))}))
    index = np.array(keep)
    return x[index], y[index]


def group_label(cell: str, layers: int) -> str:
    """Legend label of one (cell, layers) line: "LSTM, 1 layer"."""
    return f"{cell.upper()}, {layers} layer{'s' if layers != 1 else ''}"


def _groups(configs: Sequence[SummaryRow], value: str) -> list[tuple[str, list[SummaryRow]]]:
    # one list per (cell, layers), sorted by units; rows without a finite value left out
    groups: dict[tuple[str, int], list[SummaryRow]] = {}
    for c in configs:
        if math.isfinite(getattr(c, value)):
            groups.setdefault((c.cell, c.layers), []).append(c)
    return [
        (group_label(cell, layers), sorted(rows, key=lambda c: (c.units, c.parameters)))
        for (cell, layers), rows in sorted(groups.items())
    ]


def rmse_by_units(configs: Sequence[SummaryRow]) -> list[Line]:
    """Validation RMSE (mean ± SE over seeds x folds) against units, one line per cell x layers."""
    return [
        Line(
            label,
            tuple(float(c.units) for c in rows),
            tuple(c.mean_rmse for c in rows),
            tuple(c.se_rmse if math.isfinite(c.se_rmse) else 0.0 for c in rows),
        )
        for label, rows in _groups(configs, "mean_rmse")
    ]


def baseline_bands(baselines: Sequence[Baseline], keep: int = 2) -> list[Band]:
    """The best `keep` baselines (and naive, the last value, always) as mean ± SE bands."""
    finite = sorted((b for b in baselines if math.isfinite(b.mean_rmse)), key=lambda b: b.mean_rmse)
    chosen = finite[:keep] + [b for b in finite[keep:] if b.model == "naive"]
    return [
        Band(b.model, b.mean_rmse, b.se_rmse if math.isfinite(b.se_rmse) else 0.0) for b in chosen
    ]


def spread(places: Sequence[float], gap: float) -> list[float]:
    """Label positions (0..1) moved apart to at least `gap`, in their input order.

    Each label keeps its place when it can; crowded ones are pushed up, and the whole stack
    is shifted down if that pushes the top one past 1.
    """
    order = sorted(range(len(places)), key=lambda k: places[k])
    moved: list[float] = []
    for k in order:
        moved.append(max(places[k], moved[-1] + gap) if moved else places[k])
    overflow = max(moved[-1] - 1, 0.0) if moved else 0.0
    out = [0.0] * len(places)
    for rank, k in enumerate(order):
        out[k] = moved[rank] - overflow
    return out


def loss_by_units(configs: Sequence[SummaryRow]) -> list[Line]:
    """Mean training and early-stopping block loss against units: two lines per group."""
    lines = []
    for label, rows in _groups(configs, "mean_val_loss"):
        x = tuple(float(c.units) for c in rows)
        lines.append(Line(f"{label}: train", x, tuple(c.mean_train_loss for c in rows)))
        lines.append(
            Line(f"{label}: early-stopping block", x, tuple(c.mean_val_loss for c in rows))
        )
    return lines


def parameters_by_units(configs: Sequence[SummaryRow]) -> list[Line]:
    """Trainable parameters against units, one line per cell x layers."""
    return [
        Line(label, tuple(float(c.units) for c in rows), tuple(float(c.parameters) for c in rows))
        for label, rows in _groups(configs, "parameters")
    ]


DEEP_WIDE_WORDS = {
    deepwide.DEEP_BETTER: "deep is better",
    deepwide.WIDE_BETTER: "wide is better",
    deepwide.TIE: "within one standard error",
    deepwide.UNKNOWN: "not paired",
}
"""How the report says each deep-versus-wide verdict."""


def deep_wide_pairs(run: RunFolder) -> list[Pair[SummaryRow]]:
    """The sweep's deep-versus-wide pairs by deepwide's rule on summary.csv and runs.csv.

    diagnostics.json's pairs come from the same rule on the same two files, so they are not
    read here: the report says the same whether or not diagnose ran (and whichever version
    of lstmsizer wrote diagnostics.json). Raced-out configurations are not paired.
    """
    return deepwide.equal_budget_pairs(run.compared, run.cells)


def under_trained(pair: Pair[SummaryRow]) -> bool:
    """Either side of a pair had under-trained or stuck runs."""
    return any(c.health is not None and c.health.troubled for c in (pair.deep, pair.wide))


def capacity_lines(capacity: Sequence[CapacityResult]) -> list[Line]:
    """Participation ratio and 90% PCs of the last layer against its units, a pair of lines
    per depth."""
    depths = sorted({len(c.layers) for c in capacity})
    lines = []
    for layers in depths:
        rows = sorted((c.last for c in capacity if len(c.layers) == layers), key=lambda c: c.units)
        x = tuple(float(c.units) for c in rows)
        suffix = "" if len(depths) == 1 else f", {layers} layers"
        lines.append(
            Line(f"participation ratio{suffix}", x, tuple(c.participation_ratio for c in rows))
        )
        pcs = tuple(float(c.components_90) for c in rows)
        lines.append(Line(f"PCs for 90% variance{suffix}", x, pcs))
    return lines


def size_label(units: int, layers: int) -> str:
    """Legend label of one size: "32 units" or "2 x 32 units"."""
    return f"{units} units" if layers == 1 else f"{layers} × {units} units"


def gradient_lines(gradients: Sequence[Saliency], stage: str) -> list[Line]:
    """Gradient norm against steps back, one line per size (by layers, then units)."""
    rows = sorted(
        (g for g in gradients if g.profile.stage == stage), key=lambda g: (g.layers, g.units)
    )
    return [
        Line(
            size_label(g.units, g.layers),
            tuple(float(k) for k in g.profile.lags),
            g.profile.saliency,
        )
        for g in rows
    ]


def speed_lines(speed: SpeedResult) -> tuple[Line, Line]:
    """Step time (ms) and GFLOP/s against units, sorted by units."""
    rows = sorted(speed.rows, key=lambda r: r.units)
    x = tuple(float(r.units) for r in rows)
    return (
        Line(
            "step time", x, tuple(r.step_ms for r in rows), tuple(r.step_ms_iqr / 2 for r in rows)
        ),
        Line("GFLOP/s", x, tuple(r.gflops for r in rows)),
    )


def forecast_window(forecasts: Forecasts, max_points: int = 600) -> Forecasts:
    """At most max_points forecasts: half before the first test point, half from it on.

    Thousands of one-step forecasts drawn at once hide every error; the points around the
    start of the test span show the validation fit and the unseen test side by side.
    """
    n = len(forecasts.x)
    if n <= max_points:
        return forecasts
    test = np.flatnonzero(forecasts.span == "test")
    start = int(test[0]) if test.size else n
    lo = max(0, min(start - max_points // 2, n - max_points))
    keep = slice(lo, lo + max_points)
    return Forecasts(
        forecasts.x[keep],
        forecasts.span[keep],
        forecasts.actual[keep],
        forecasts.recommended[keep],
        forecasts.baseline[keep],
    )


def span_ranges(forecasts: Forecasts) -> list[tuple[str, Any, Any]]:
    """(span, first x, end x) for each contiguous span; a span ends where the next begins."""
    out: list[tuple[str, Any, Any]] = []
    for k, name in enumerate(forecasts.span):
        if out and out[-1][0] == name:
            out[-1] = (name, out[-1][1], forecasts.x[k])
        else:
            if out:  # close the previous span at this one's start
                out[-1] = (out[-1][0], out[-1][1], forecasts.x[k])
            out.append((str(name), forecasts.x[k], forecasts.x[k]))
    return out
