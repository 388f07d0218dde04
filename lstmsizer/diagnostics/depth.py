"""Deep versus wide at an equal parameter budget, read from a sweep's summary table."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lstmsizer.diagnostics.result import Result
from lstmsizer.errors import DataError

REQUIRED = ("config", "cell", "units", "layers", "parameters", "mean_rmse", "se_rmse", "seconds")
VERDICTS = ("deep better", "wide better", "tie", "unknown")


@dataclass(frozen=True)
class DepthPair(Result):
    """A multi-layer configuration and the one-layer one with the nearest parameter count.

    Attributes:
        deep_config, deep_layers, deep_units, deep_parameters: The stacked configuration.
        deep_mean_rmse, deep_se_rmse: Its validation RMSE over seeds x folds.
        deep_seconds: Its training seconds per run.
        wide_config, wide_units, wide_parameters: The one-layer configuration.
        wide_mean_rmse, wide_se_rmse, wide_seconds: As for the deep one.
        difference: deep_mean_rmse - wide_mean_rmse (negative: deep is better).
        se_difference: sqrt(deep_se^2 + wide_se^2), the standard error of the difference.
        verdict: "deep better" or "wide better" when |difference| > se_difference, "tie"
            when within one standard error, "unknown" when either RMSE is missing.
    """

    deep_config: str
    deep_layers: int
    deep_units: int
    deep_parameters: int
    deep_mean_rmse: float
    deep_se_rmse: float
    deep_seconds: float
    wide_config: str
    wide_units: int
    wide_parameters: int
    wide_mean_rmse: float
    wide_se_rmse: float
    wide_seconds: float
    difference: float
    se_difference: float
    verdict: str


@dataclass(frozen=True)
class DepthResult(Result):
    """Every deep-versus-wide pair of a sweep and how often each side won.

    Attributes:
        pairs: One DepthPair per multi-layer configuration that has a one-layer partner of the
            same cell (and activation), sorted by parameters.
        deep_better, wide_better, ties: Counts of the verdicts.
    """

    pairs: tuple[DepthPair, ...]
    deep_better: int
    wide_better: int
    ties: int


def _seconds_per_run(row: pd.Series) -> float:
    runs = float(row["runs"]) if "runs" in row.index and float(row["runs"]) > 0 else 1.0
    return float(row["seconds"]) / runs


def _verdict(difference: float, se: float) -> str:
    if not (math.isfinite(difference) and math.isfinite(se)):
        return "unknown"
    if abs(difference) <= se:
        return "tie"
    return "deep better" if difference < 0 else "wide better"


def _pair(deep: pd.Series, wide: pd.Series) -> DepthPair:
    difference = float(deep["mean_rmse"]) - float(wide["mean_rmse"])
    se = math.hypot(float(deep["se_rmse"]), float(wide["se_rmse"]))
    return DepthPair(
        deep_config=str(deep["config"]),
        deep_layers=int(deep["layers"]),
        deep_units=int(deep["units"]),
        deep_parameters=int(deep["parameters"]),
        deep_mean_rmse=float(deep["mean_rmse"]),
        deep_se_rmse=float(deep["se_rmse"]),
        deep_seconds=_seconds_per_run(deep),
        wide_config=str(wide["config"]),
        wide_units=int(wide["units"]),
        wide_parameters=int(wide["parameters"]),
        wide_mean_rmse=float(wide["mean_rmse"]),
        wide_se_rmse=float(wide["se_rmse"]),
        wide_seconds=_seconds_per_run(wide),
        difference=difference,
        se_difference=se,
        verdict=_verdict(difference, se),
    )


def deep_vs_wide(summary: pd.DataFrame) -> DepthResult:
    """Pair every multi-layer configuration with the nearest one-layer one by parameters.

    The partner has the same cell (and activation, when the table has that column) and the
    parameter count nearest to the stacked one's; on a tie the smaller one. A sweep adds such
    one-layer widths itself (SweepSpec.equal_budget).

    Args:
        summary: The sweep's summary table (summary.csv, recommend.summarize): config, cell,
            units, layers, parameters, mean_rmse, se_rmse, seconds (total over the runs), and
            optionally runs and activation.

    Returns:
        The DepthResult; no pairs when the sweep has no stacked or no one-layer configuration.
    """
    missing = [c for c in REQUIRED if c not in summary.columns]
    if missing:
        raise DataError(f"summary must have the columns {', '.join(missing)}, which are missing")
    keys = ["cell", "activation"] if "activation" in summary.columns else ["cell"]
    pairs: list[DepthPair] = []
    for _, deep in summary[summary["layers"] > 1].iterrows():
        same = np.ones(len(summary), dtype=bool)
        for key in keys:
            same &= (summary[key] == deep[key]).to_numpy()
        wide = summary[same & (summary["layers"] == 1).to_numpy()]
        if wide.empty:
            continue
        gap = (wide["parameters"] - deep["parameters"]).abs()
        nearest = wide.assign(_gap=gap).sort_values(["_gap", "parameters", "config"]).iloc[0]
        pairs.append(_pair(deep, nearest))
    pairs.sort(key=lambda p: (p.deep_parameters, p.deep_config))
    verdicts = [p.verdict for p in pairs]
    return DepthResult(
        pairs=tuple(pairs),
        deep_better=verdicts.count("deep better"),
        wide_better=verdicts.count("wide better"),
        ties=verdicts.count("tie"),
    )
