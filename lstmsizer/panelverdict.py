"""A panel's verdict: the global LSTM against per-series statistical models and the pooled AR."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import pandas as pd

from lstmsizer.onese import finite, pair_folds
from lstmsizer.rundir.sweep import POOLED_KIND, STATISTICAL_FAMILIES

POOLED_PREFIX = "pooled linear AR"
"""Names the pooled linear AR among a panel's baselines (panelbaselines.PooledAR.name)."""


@dataclass(frozen=True)
class PanelComparison:
    """The recommended global LSTM against one rival, paired fold by fold on the cross-series
    RMSE (onese.pair_folds: rival minus LSTM, so a positive diff favours the LSTM).

    Attributes:
        rival: What the LSTM is compared with: "per-series statistical" or "pooled".
        model: The rival's name: the better of per-series ETS and ARIMA, or the pooled AR.
        diff: Mean over folds of rival RMSE minus LSTM RMSE.
        se: Standard error of those differences.
        folds: Folds paired.
        lstm_better: The LSTM wins by more than one standard error.
    """

    rival: str
    model: str
    diff: float
    se: float
    folds: int
    lstm_better: bool

    def to_dict(self) -> dict[str, object]:
        """Plain values for recommendation.json."""
        return asdict(self)

    def sentence(self) -> str:
        """One line for people."""
        what = {"statistical": "per-series " + self.model, POOLED_KIND: self.model}[self.rival]
        if not math.isfinite(self.diff):
            return f"The global LSTM could not be compared with {what}: no fold scored both."
        verb = "beats" if self.lstm_better else "does not beat"
        return (
            f"The global LSTM {verb} {what} across series (their RMSE − the LSTM's = "
            f"{self.diff:+.4g} ± {self.se:.2g}, paired over {self.folds} folds)."
        )


def panel_comparisons(
    runs: pd.DataFrame, baseline_runs: pd.DataFrame, config: str
) -> list[PanelComparison]:
    """The recommended configuration against the better of per-series ETS and ARIMA (by mean
    cross-series RMSE over the folds) and against the pooled linear AR.

    Args:
        runs: The runs of configurations that ran every fold (config, fold, rmse).
        baseline_runs: A panel's baselines.csv rows (model, fold, rmse).
        config: The recommended configuration's id.
    """
    means = finite(baseline_runs["rmse"]).groupby(baseline_runs["model"].astype(str)).mean()
    rivals: list[tuple[str, str]] = []
    statistical = means[[m for m in STATISTICAL_FAMILIES if m in means.index]].dropna()
    if len(statistical):
        rivals.append(("statistical", str(statistical.idxmin())))
    pooled = [str(m) for m in means.index if str(m).startswith(POOLED_PREFIX)]
    if pooled:
        rivals.append((POOLED_KIND, pooled[0]))
    out = []
    for rival, model in rivals:
        pairing = pair_folds(runs, baseline_runs, config, model)
        out.append(
            PanelComparison(
                rival, model, pairing.diff, pairing.se, pairing.folds, pairing.lstm_needed
            )
        )
    return out


def panel_verdict(comparisons: list[PanelComparison]) -> str:
    """The sentences of every comparison, then whether the LSTM beats both."""
    lines = [c.sentence() for c in comparisons]
    if len(comparisons) == 2:
        both = all(c.lstm_better for c in comparisons)
        lines.append(
            "It beats both the per-series statistical models and the pooled linear model."
            if both
            else "It does not beat both the per-series statistical models and the pooled "
            "linear model."
        )
    return " ".join(lines)
