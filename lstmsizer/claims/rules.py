"""Verdict rules of the forum claims: plain numbers in, a verdict and one line of evidence out."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from lstmsizer.speed import TOLERANCE, VERDICT_FLOP_SPREAD

SUPPORTED = "supported"
NOT_SUPPORTED = "not supported"
INCONCLUSIVE = "inconclusive"
VERDICTS = (SUPPORTED, NOT_SUPPORTED, INCONCLUSIVE)

MEMORY_RHO = 0.5
"""Spearman correlation of delay with the smallest sufficient width that counts as growth."""

GRADIENT_FACTOR = 0.5
"""The wide model's oldest/newest saliency ratio must be below this times the narrow one's."""

FORECAST_CORRELATION = 0.95
"""LSTM(1) and linear AR forecasts must correlate above this to count as the same model."""

Verdict = tuple[str, str]
"""(verdict, evidence): one of VERDICTS and one line with the numbers behind it."""


def _finite(*values: float | None) -> bool:
    return all(v is not None and math.isfinite(v) for v in values)


def _width(width: int | None, widest: int) -> str:
    return f">{widest}" if width is None else str(width)


def memory_verdict(
    delays: Sequence[int],
    smallest: Sequence[int | None],
    correlation: float,
    widths: Sequence[int],
    target_rmse: float,
) -> Verdict:
    """More units for longer windows: does the smallest sufficient width grow with the delay?

    Supported when the Spearman correlation is at least MEMORY_RHO and the longest delay needs
    more units than the shortest; not supported when the width stays flat or falls
    (correlation NaN or <= 0); inconclusive when no width reached the target at any delay,
    or for a weak trend in between. None (no width sufficed) ranks above every width.
    """
    widest = max(widths)
    listed = ", ".join(f"d={d}: {_width(u, widest)}" for d, u in zip(delays, smallest, strict=True))
    head = f"smallest width with validation RMSE < {target_rmse:g} per delay ({listed})"
    if all(u is None for u in smallest):
        return INCONCLUSIVE, f"no width up to {widest} reached RMSE < {target_rmse:g} at any delay"
    rank = [2 * widest + 1 if u is None else u for u in smallest]
    grows = rank[-1] > rank[0]
    if not math.isfinite(correlation):
        return NOT_SUPPORTED, f"{head}: the same width for every delay"
    text = f"{head}; Spearman correlation with the delay {correlation:.2f}"
    if correlation >= MEMORY_RHO and grows:
        return SUPPORTED, f"{text} (>= {MEMORY_RHO}): longer memory needed more units"
    if correlation <= 0 or not grows:
        return NOT_SUPPORTED, f"{text}: the width did not grow with the delay"
    return INCONCLUSIVE, f"{text}: a weak trend (below {MEMORY_RHO})"


def speed_verdict(comparisons: Sequence[Mapping[str, Any]]) -> Verdict:
    """Multiples of 32 are faster: the median time-per-FLOP ratio of close pairs.

    Only pairs whose FLOP counts differ by less than speed.VERDICT_FLOP_SPREAD count (as in
    speed.verdict). Supported below 1 - TOLERANCE; not supported within +/- TOLERANCE or
    slower; inconclusive without a close pair.
    """
    close = [c for c in comparisons if abs(float(c["flop_ratio"]) - 1) < VERDICT_FLOP_SPREAD]
    ratios = [float(c["time_per_flop_ratio"]) for c in close]
    if not close or not _finite(*ratios):
        return INCONCLUSIVE, "no pair of neighbouring sizes was measured (e.g. 127, 128, 129)"
    ratio = statistics.median(ratios)
    pairs = ", ".join(f"{c['b']} vs {c['a']} {float(c['time_per_flop_ratio']):.2f}x" for c in close)
    text = f"per FLOP, multiples of 32 took {ratio:.2f}x the time of their neighbours ({pairs})"
    if ratio < 1 - TOLERANCE:
        return SUPPORTED, f"{text}: faster by more than {TOLERANCE:.0%}"
    if ratio <= 1 + TOLERANCE:
        return NOT_SUPPORTED, f"{text}: within ±{TOLERANCE:.0%}, no measurable benefit"
    return NOT_SUPPORTED, f"{text}: slower"


def gradients_verdict(
    narrow_units: int,
    wide_units: int,
    narrow_init: float,
    wide_init: float,
    narrow_trained: float | None = None,
    wide_trained: float | None = None,
) -> Verdict:
    """Wide layers make gradients vanish: oldest/newest saliency ratio, wide against narrow.

    The relative ratio is wide / narrow. Supported when it is below GRADIENT_FACTOR at
    initialisation and (when measured) after training; not supported when it is at least
    GRADIENT_FACTOR at both; inconclusive when the two stages disagree or a ratio is missing.
    """
    if not _finite(narrow_init, wide_init) or narrow_init == 0:
        return INCONCLUSIVE, "the saliency ratio at initialisation could not be measured"
    stages = [("at init", narrow_init, wide_init)]
    if _finite(narrow_trained, wide_trained) and narrow_trained:
        stages.append(("trained", float(narrow_trained), float(wide_trained)))  # type: ignore[arg-type]
    parts, smaller = [], []
    for stage, narrow, wide in stages:
        relative = wide / narrow
        smaller.append(relative < GRADIENT_FACTOR)
        parts.append(
            f"{stage} {narrow:.3g} for {narrow_units} units vs {wide:.3g} for {wide_units} "
            f"({relative:.3g}x)"
        )
    text = "oldest/newest input saliency " + "; ".join(parts)
    if all(smaller):
        return SUPPORTED, f"{text}: the wide model reaches back less (< {GRADIENT_FACTOR}x)"
    if not any(smaller):
        return NOT_SUPPORTED, f"{text}: the wide model's gradients vanish no faster"
    return INCONCLUSIVE, f"{text}: initialisation and training disagree"


def depth_verdict(
    deep: str, deep_rmse: float, deep_se: float, wide: str, wide_rmse: float, wide_se: float
) -> Verdict:
    """Stacking beats width at an equal budget: deep better by more than one standard error.

    The standard error of the difference is sqrt(deep_se^2 + wide_se^2), as in
    diagnostics.deep_vs_wide. Supported when deep is better by more than it; not supported
    when wide is better or within it (a tie: the claim says "beats"); inconclusive when an
    RMSE is missing.
    """
    if not _finite(deep_rmse, deep_se, wide_rmse, wide_se):
        return INCONCLUSIVE, f"{deep} or {wide} has no validation RMSE (every run failed)"
    difference, se = deep_rmse - wide_rmse, math.hypot(deep_se, wide_se)
    text = (
        f"validation RMSE {deep} {deep_rmse:.4g} ± {deep_se:.2g} vs {wide} "
        f"{wide_rmse:.4g} ± {wide_se:.2g} (difference {difference:+.3g}, SE {se:.2g})"
    )
    if difference < -se:
        return SUPPORTED, f"{text}: deep better by more than one SE"
    if difference > se:
        return NOT_SUPPORTED, f"{text}: wide better by more than one SE"
    return NOT_SUPPORTED, f"{text}: a tie within one SE, and the claim says deep beats wide"


def linear_unit_verdict(
    lstm_rmse: float, lstm_se: float, ar_rmse: float, correlation: float
) -> Verdict:
    """One unit is a linear regressor: LSTM(1) against linear AR on the same lags.

    Not supported when LSTM(1) beats linear AR by more than one standard error (it is more
    than linear); supported when it does not and the forecasts correlate above
    FORECAST_CORRELATION; not supported when the forecasts correlate less (a different
    model); inconclusive when a number is missing (training diverged).
    """
    if not _finite(lstm_rmse, lstm_se, ar_rmse, correlation):
        return INCONCLUSIVE, "LSTM(1) or linear AR gave no finite forecasts"
    text = (
        f"validation RMSE LSTM(1) {lstm_rmse:.4g} ± {lstm_se:.2g} vs linear AR {ar_rmse:.4g}; "
        f"forecasts correlate {correlation:.3f}"
    )
    if ar_rmse - lstm_rmse > lstm_se:
        return NOT_SUPPORTED, f"{text}: LSTM(1) beats linear AR by more than one SE"
    if correlation > FORECAST_CORRELATION:
        return SUPPORTED, f"{text}: no better, and the same forecasts (> {FORECAST_CORRELATION})"
    return NOT_SUPPORTED, (
        f"{text}: no better, but not the same forecasts (<= {FORECAST_CORRELATION}): "
        "a different model, not a linear regressor"
    )


def linear_series_verdict(
    lstm_needed: bool, lstm: str, lstm_rmse: float, baseline: str, baseline_rmse: float
) -> Verdict:
    """A linear series needs no LSTM: the sweep's recommendation on a linear AR process.

    Supported when the recommendation says no LSTM is needed (the best baseline is within one
    standard error of the recommended size, or better); not supported otherwise.
    """
    text = f"on a linear AR series, best baseline {baseline} RMSE {baseline_rmse:.4g} vs {lstm}"
    text += f" {lstm_rmse:.4g}"
    if not lstm_needed:
        return SUPPORTED, f"{text}: the sweep recommends no LSTM"
    return NOT_SUPPORTED, f"{text}: the LSTM beats every baseline by more than one SE"
