"""Confidence intervals for measured figures: t on paired differences, bootstrap otherwise.

Torch-free: plain numbers in, an Interval out. The claims use these to say how sure a figure
is before comparing it with the threshold the claim needs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lstmsizer.errors import check

LEVEL = 0.90
"""Two-sided confidence level of every claim's interval."""

RESAMPLES = 2000
"""Bootstrap resamples; the percentile ends move by well under 1% of the width beyond this."""


@dataclass(frozen=True)
class Interval:
    """A point figure and its two-sided confidence interval.

    Attributes:
        estimate: The figure itself (a mean, a median, a ratio, a correlation).
        low, high: The interval's ends; -inf/inf when one observation leaves it open.
        level: Confidence level, e.g. 0.90.
        method: How it was computed: "t" (Student's t) or "bootstrap" (percentile).
        n: Observations behind it (pairs, rounds, seeds x folds, points).
    """

    estimate: float
    low: float
    high: float
    level: float
    method: str
    n: int

    def to_dict(self) -> dict[str, Any]:
        """Plain values for JSON; open ends as None."""
        return {k: _plain(v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> Interval:
        """The inverse of to_dict (None ends become -inf/inf, a None estimate NaN)."""
        low, high, estimate = payload.get("low"), payload.get("high"), payload.get("estimate")
        return cls(
            estimate=math.nan if estimate is None else float(estimate),
            low=-math.inf if low is None else float(low),
            high=math.inf if high is None else float(high),
            level=float(payload.get("level", LEVEL)),
            method=str(payload.get("method", "")),
            n=int(payload.get("n", 0)),
        )

    def map(self, f: Callable[[float], float]) -> Interval:
        """The interval of f(figure) for an increasing f, e.g. exp of a log-ratio interval."""
        return Interval(
            f(self.estimate), f(self.low), f(self.high), self.level, self.method, self.n
        )


def as_percent(interval: Interval) -> Interval:
    """A share's interval in percent (0.035 becomes 3.5)."""
    return interval.map(lambda v: 100 * v)


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def t_interval(values: Sequence[float] | NDArray[np.float64], level: float = LEVEL) -> Interval:
    """Mean of values with Student's t interval, mean +/- t(level, n - 1) * sd / sqrt(n).

    For paired differences (seeds x folds of two models) this is the paired t interval. One
    value gives an open interval; no finite value gives NaN throughout.
    """
    from scipy import stats  # only where intervals are computed, not where they are read

    x = _finite(values)
    _check_level(level)
    if x.size == 0:
        return Interval(math.nan, math.nan, math.nan, level, "t", 0)
    mean = float(x.mean())
    if x.size == 1:
        return Interval(mean, -math.inf, math.inf, level, "t", 1)
    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return Interval(mean, mean - half, mean + half, level, "t", int(x.size))


def bootstrap_interval(
    data: Sequence[Any] | NDArray[Any],
    statistic: Callable[[NDArray[Any]], float],
    *,
    level: float = LEVEL,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> Interval:
    """Percentile bootstrap interval of statistic(data), resampling rows of data.

    Rows stay whole, so paired observations (one row per pair) are resampled together. A
    resample whose statistic is NaN counts as NaN and is dropped from the percentiles; when
    every one is NaN the ends are NaN.

    Args:
        data: Observations, one per row (a 1-d array or a 2-d array of pairs).
        statistic: Maps an array shaped like data to one number.
        level: Two-sided confidence level.
        resamples: Bootstrap resamples.
        seed: Seed of the resampling.
    """
    rows = np.asarray(data)
    _check_level(level)
    if rows.shape[0] == 0:
        return Interval(math.nan, math.nan, math.nan, level, "bootstrap", 0)
    picks = _picks(rows.shape[0], resamples, seed)
    values = np.array([statistic(rows[p]) for p in picks], dtype=float)
    return _percentiles(float(statistic(rows)), values, level, rows.shape[0])


def _picks(n: int, resamples: int, seed: int) -> NDArray[np.int64]:
    """Row indices of every resample, (resamples, n)."""
    check(resamples >= 100, "resamples", "must be >= 100", resamples)
    return np.random.default_rng(seed).integers(0, n, size=(resamples, n))


def _percentiles(estimate: float, values: NDArray[np.float64], level: float, n: int) -> Interval:
    """The percentile interval of the finite resampled values (NaN ends when none is)."""
    values = values[np.isfinite(values)]
    if values.size == 0:
        return Interval(estimate, math.nan, math.nan, level, "bootstrap", n)
    low, high = np.quantile(values, [0.5 - level / 2, 0.5 + level / 2])
    return Interval(estimate, float(low), float(high), level, "bootstrap", n)


def ratio_interval(
    log_ratios: Sequence[float] | NDArray[np.float64], level: float = LEVEL
) -> Interval:
    """A ratio from independent log ratios: exp of the t interval of their mean.

    The geometric mean ratio and its interval; exact for lognormal ratios.
    """
    return t_interval(log_ratios, level).map(math.exp)  # exp(-inf) = 0, exp(inf) = inf


def widen_ratio(interval: Interval, drift: float) -> Interval:
    """A ratio's interval with an independent relative uncertainty added in quadrature.

    In log terms each half of the interval becomes sqrt(half**2 + log(1 + drift)**2): for
    drift between runs that the replicates of one run cannot see.
    """
    if drift <= 0 or not math.isfinite(interval.estimate) or interval.estimate <= 0:
        return interval
    centre = math.log(interval.estimate)
    extra = math.log1p(drift)

    def end(value: float, sign: int) -> float:
        half = abs(math.log(value) - centre) if value > 0 else math.inf
        return math.exp(centre + sign * math.hypot(half, extra))

    return replace(interval, low=end(interval.low, -1), high=end(interval.high, 1))


def correlation_interval(
    a: Sequence[float] | NDArray[np.float64],
    b: Sequence[float] | NDArray[np.float64],
    *,
    method: str = "pearson",
    level: float = LEVEL,
    seed: int = 0,
) -> Interval:
    """Correlation of a with b (pearson or spearman) and its bootstrap interval over pairs."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    _check_level(level)
    if method != "pearson" or x.size < 3:
        pairs = np.column_stack([x, y])
        return bootstrap_interval(
            pairs, lambda p: correlation(p[:, 0], p[:, 1], method), level=level, seed=seed
        )
    picks = _picks(x.size, RESAMPLES, seed)
    xs, ys = x[picks], y[picks]  # (resamples, n)
    xs = xs - xs.mean(axis=1, keepdims=True)
    ys = ys - ys.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = (xs * ys).sum(1) / np.sqrt((xs**2).sum(1) * (ys**2).sum(1))
    return _percentiles(correlation(x, y), values, level, x.size)


def correlation(a: NDArray[np.float64], b: NDArray[np.float64], method: str = "pearson") -> float:
    """Pearson or Spearman correlation; NaN when either side is constant or not finite."""
    check(method in ("pearson", "spearman"), "method", "must be pearson or spearman", method)
    if a.size < 2 or not (np.isfinite(a).all() and np.isfinite(b).all()):
        return math.nan
    if method == "spearman":
        from scipy import stats

        a, b = stats.rankdata(a), stats.rankdata(b)
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return math.nan
    return float(np.corrcoef(a, b)[0, 1])


def describe(interval: Interval, unit: str = "", digits: int = 3) -> str:
    """'0.96x (90% CI 0.94 to 0.98)': the figure, then its interval, for tables and reports."""

    def number(value: float) -> str:
        if math.isnan(value):
            return "n/a"
        if math.isinf(value):
            return "-inf" if value < 0 else "inf"
        return f"{value:.{digits}g}{unit}"

    if math.isnan(interval.estimate):
        return "not measured"
    if math.isnan(interval.low) or math.isnan(interval.high):
        return f"{number(interval.estimate)} (no interval)"
    ci = f"{interval.level:.0%} CI {number(interval.low)} to {number(interval.high)}"
    return f"{number(interval.estimate)} ({ci})"


def _finite(values: Sequence[float] | NDArray[np.float64]) -> NDArray[np.float64]:
    x = np.asarray(values, dtype=float).ravel()
    return x[np.isfinite(x)]


def _check_level(level: float) -> None:
    check(0 < level < 1, "level", "must be in (0, 1)", level)


def describe_figures(figures: Mapping[str, Mapping[str, Any]]) -> str:
    """Figures stored as {label: Interval.to_dict() plus "unit"}, one text for all of them,
    e.g. "time per FLOP 0.96x (90% CI 0.94x to 0.98x)"."""
    return "; ".join(
        f"{label} {describe(Interval.from_dict(dict(f)), str(f.get('unit', '')))}"
        for label, f in figures.items()
    )
