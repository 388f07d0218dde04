"""Verdict rules of the forum claims: a figure's interval against the threshold the claim needs.

Every claim needs its figure on one side of a threshold. The verdict is "supported" when the
whole confidence interval lies on that side, "not supported" when the whole interval lies on
the other, and "cannot tell" when it straddles the threshold (or could not be measured).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from lstmsizer.intervals import Interval, as_percent, describe

SUPPORTED = "supported"
NOT_SUPPORTED = "not supported"
CANNOT_TELL = "cannot tell"
VERDICTS = (SUPPORTED, NOT_SUPPORTED, CANNOT_TELL)

TOLERANCE = 0.05
"""Multiples of 32 are faster when their time per FLOP is at least this share below their
neighbours'; within 1 +/- TOLERANCE counts as no measurable difference."""

MEMORY_RHO = 0.5
"""Spearman correlation of delay with the smallest sufficient width that counts as growth."""

GRADIENT_FACTOR = 0.5
"""The wide model's oldest/newest saliency ratio must be below this times the narrow one's."""

FORECAST_CORRELATION = 0.95
"""LSTM(1) and linear AR forecasts must correlate above this to count as the same model."""

SPEED_PRECISION = TOLERANCE / 5
"""Timings repeat until the ratio's interval lies within +/- this of its figure (a fifth of the
5% the claim needs), or the time limit."""

SPEED_DRIFT = {"cpu": 0.032}
"""How far, as a share, the per-FLOP ratio of the same sizes moved between runs, by device
type; added in quadrature to one run's interval (intervals.widen_ratio), which its blocks
cannot see. Measured on the 2-core reference CPU (AMD EPYC, torch 2.13.0, one thread) on
2026-11-28: 0.943, 0.944 and 0.976 in three runs of the quick claims under varying load, a
standard deviation of 0.0195 in log terms, times 1.645 for 90%. Not measured on a GPU, where
nothing is added."""

RMSE_MARGIN = 0.01
"""A model beats another when its validation RMSE is lower by at least this share."""


@dataclass(frozen=True)
class Threshold:
    """What a claim needs of its figure: below (or above) a value, said in words.

    Attributes:
        value: The threshold, in the figure's units.
        below: True when the claim needs the figure below value, False for above.
        says: The threshold in the claim's words, e.g. "faster means at least 5% less time
            per FLOP".
    """

    value: float
    below: bool
    says: str


SPEED_NEEDS = Threshold(
    1 - TOLERANCE,
    True,
    f"faster means at least {TOLERANCE:.0%} less time per FLOP than the neighbours "
    f"(ratio below {1 - TOLERANCE:.2f})",
)
MEMORY_NEEDS = Threshold(
    MEMORY_RHO,
    False,
    "needing more units means a Spearman correlation of the delay with the smallest "
    f"sufficient width above {MEMORY_RHO}",
)
GRADIENTS_NEED = Threshold(
    GRADIENT_FACTOR,
    True,
    "vanishing means the wide model's oldest/newest input saliency below "
    f"{GRADIENT_FACTOR}x the narrow one's, at initialisation and trained",
)
DEPTH_NEEDS = Threshold(
    -RMSE_MARGIN,
    True,
    f"beats means at least {RMSE_MARGIN:.0%} lower validation RMSE (RMSE change of deep over "
    f"wide below -{RMSE_MARGIN:.0%}), paired over seeds x folds",
)
LINEAR_NEEDS = Threshold(
    -RMSE_MARGIN,
    False,
    f"linear means LSTM(1) not {RMSE_MARGIN:.0%} better than linear AR (RMSE change above "
    f"-{RMSE_MARGIN:.0%}), paired over seeds x folds,",
)
LINEAR_CORRELATION = Threshold(
    FORECAST_CORRELATION,
    False,
    f"and forecasts correlating with linear AR's above {FORECAST_CORRELATION}",
)
NO_LSTM_NEEDS = Threshold(
    -RMSE_MARGIN,
    False,
    f"needing no LSTM means the best LSTM not {RMSE_MARGIN:.0%} better than the best baseline "
    f"(RMSE change above -{RMSE_MARGIN:.0%}), paired over seeds x folds",
)

Verdict = tuple[str, str]
"""(verdict, evidence): one of VERDICTS and one line with the numbers behind it."""


def decide(interval: Interval, threshold: Threshold) -> str:
    """SUPPORTED when the interval lies wholly on the claim's side of the threshold,
    NOT_SUPPORTED when wholly on the other side, CANNOT_TELL when it straddles or is NaN."""
    low, high = interval.low, interval.high
    if math.isnan(low) or math.isnan(high):
        return CANNOT_TELL
    if threshold.below:
        holds, fails = high < threshold.value, low >= threshold.value
    else:
        holds, fails = low > threshold.value, high <= threshold.value
    return SUPPORTED if holds else NOT_SUPPORTED if fails else CANNOT_TELL


def precise(interval: Interval) -> bool:
    """Whether a ratio's interval lies within +/- SPEED_PRECISION of its figure."""
    floor, ceiling = (interval.estimate * (1 + sign * SPEED_PRECISION) for sign in (-1, 1))
    return floor <= interval.low and interval.high <= ceiling


def all_of(verdicts: Sequence[str]) -> str:
    """A claim that needs several things: supported when every one is, not supported when any
    one is not, else cannot tell."""
    if all(v == SUPPORTED for v in verdicts):
        return SUPPORTED
    return NOT_SUPPORTED if NOT_SUPPORTED in verdicts else CANNOT_TELL


def _why(verdict: str) -> str:
    return {
        SUPPORTED: "the whole interval is on the claim's side of the threshold",
        NOT_SUPPORTED: "the whole interval is on the other side of the threshold",
        CANNOT_TELL: "the interval straddles the threshold",
    }[verdict]


def _percent(interval: Interval) -> str:
    return describe(as_percent(interval), unit="%")


def memory_verdict(
    correlation: Interval,
    delays: Sequence[int],
    smallest: Sequence[int | None],
    widths: Sequence[int],
    target_rmse: float,
) -> Verdict:
    """More units for longer windows: the Spearman correlation of the delay with the smallest
    sufficient width, bootstrapped over the delays, against MEMORY_NEEDS.

    A delay no width reached ranks above every width; the same width at every delay is a
    correlation of 0. Cannot tell when no width reached the target at any delay.
    """
    widest = max(widths)
    listed = ", ".join(
        f"d={d}: {f'>{widest}' if u is None else u}" for d, u in zip(delays, smallest, strict=True)
    )
    if all(u is None for u in smallest):
        return CANNOT_TELL, f"no width up to {widest} reached RMSE < {target_rmse:g} at any delay"
    verdict = decide(correlation, MEMORY_NEEDS)
    return verdict, (
        f"smallest width with validation RMSE < {target_rmse:g} per delay ({listed}); "
        f"Spearman {describe(correlation)}: {_why(verdict)}"
    )


def speed_verdict(ratio: Interval, pairs: dict[str, float], stopped: str) -> Verdict:
    """Multiples of 32 are faster: their time per FLOP over their neighbours', against SPEED_NEEDS.

    Args:
        ratio: The per-FLOP time ratio with its interval over blocks of interleaved rounds.
        pairs: Each pair's own median ratio, by label, for the evidence.
        stopped: Why the timing stopped: the interval narrow enough, or the time limit.
    """
    if not pairs or math.isnan(ratio.estimate):
        return CANNOT_TELL, "no pair of neighbouring sizes was measured (e.g. 127, 128, 129)"
    verdict = decide(ratio, SPEED_NEEDS)
    listed = ", ".join(f"{label} {r:.2f}x" for label, r in pairs.items())
    return verdict, (
        f"per FLOP, multiples of 32 took {describe(ratio, 'x')} the time of their neighbours "
        f"({listed}); {stopped}: {_why(verdict)}"
    )


def gradients_verdict(
    narrow_units: int, wide_units: int, init: Interval, trained: Interval | None = None
) -> Verdict:
    """Wide layers make gradients vanish: wide over narrow oldest/newest saliency ratio, over
    seeds, at initialisation and (when measured) trained, each against GRADIENTS_NEED."""
    stages = [("at init", init)] + ([("trained", trained)] if trained is not None else [])
    verdicts = [decide(interval, GRADIENTS_NEED) for _, interval in stages]
    verdict = all_of(verdicts)
    parts = "; ".join(f"{stage} {describe(i, 'x')}" for stage, i in stages)
    return verdict, (
        f"oldest/newest input saliency of {wide_units} units over {narrow_units}: {parts}: "
        + ("; ".join(f"{s} {v}" for (s, _), v in zip(stages, verdicts, strict=True)))
    )


def depth_verdict(
    difference: Interval, deep: str, wide: str, means: tuple[float, float]
) -> Verdict:
    """Stacking beats width at an equal budget: the paired RMSE change of deep over wide,
    (deep - wide) / wide, against DEPTH_NEEDS (deep at least RMSE_MARGIN better)."""
    missing = f"{deep} or {wide} has no validation RMSE (every run failed)"
    compared = f"validation RMSE {deep} {means[0]:.4g} vs {wide} {means[1]:.4g}"
    return _paired_change(difference, DEPTH_NEEDS, missing, compared)


def linear_unit_verdict(
    change: Interval, correlation: Interval, means: tuple[float, float]
) -> Verdict:
    """One unit is a linear regressor: LSTM(1)'s RMSE change over linear AR's against
    LINEAR_NEEDS, and their forecasts' correlation against LINEAR_CORRELATION; both needed."""
    if math.isnan(change.estimate) or math.isnan(correlation.estimate):
        return CANNOT_TELL, "LSTM(1) or linear AR gave no finite forecasts"
    verdicts = [decide(change, LINEAR_NEEDS), decide(correlation, LINEAR_CORRELATION)]
    return all_of(verdicts), (
        f"validation RMSE LSTM(1) {means[0]:.4g} vs linear AR {means[1]:.4g}, a change of "
        f"{_percent(change)} ({verdicts[0]}); forecasts correlate {describe(correlation)} "
        f"({verdicts[1]})"
    )


def linear_series_verdict(
    change: Interval, lstm: str, baseline: str, means: tuple[float, float]
) -> Verdict:
    """A linear series needs no LSTM: the best LSTM's paired RMSE change over the best
    baseline's on a linear AR series, against NO_LSTM_NEEDS."""
    compared = (
        f"on a linear AR series, best LSTM {lstm} RMSE {means[0]:.4g} vs best baseline "
        f"{baseline} {means[1]:.4g}"
    )
    missing = f"{lstm} or {baseline} has no validation RMSE"
    return _paired_change(change, NO_LSTM_NEEDS, missing, compared)


def _paired_change(change: Interval, needs: Threshold, missing: str, compared: str) -> Verdict:
    """A paired RMSE change against needs, with its evidence after the compared RMSEs."""
    if math.isnan(change.estimate):
        return CANNOT_TELL, missing
    verdict = decide(change, needs)
    return verdict, (
        f"{compared}, a change of {_percent(change)} over {change.n} seed x fold pairs: "
        f"{_why(verdict)}"
    )
