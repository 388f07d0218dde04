"""Deep versus wide at an equal parameter budget, from a sweep's summary and runs tables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from lstmsizer import deepwide
from lstmsizer.config import named
from lstmsizer.deepwide import Candidate, Pair, candidates, equal_budget_pairs
from lstmsizer.diagnostics.result import Result
from lstmsizer.errors import DataError
from lstmsizer.rundir.measurements import DepthPair
from lstmsizer.rundir.tables import read_cells

REQUIRED = ("config", "cell", "units", "layers", "parameters", "mean_rmse", "se_rmse", "seconds")
VERDICTS = deepwide.VERDICTS


@dataclass(frozen=True)
class DepthResult(Result):
    """Every deep-versus-wide pair of a sweep and how often each side won.

    Attributes:
        pairs: One DepthPair per multi-layer configuration that has a one-layer partner
            (deepwide.equal_budget_pairs), sorted by parameters.
        deep_better, wide_better, ties: Counts of the verdicts.
    """

    pairs: tuple[DepthPair, ...]
    deep_better: int
    wide_better: int
    ties: int


def _seconds_per_run(row: pd.Series) -> float:
    runs = float(row["runs"]) if "runs" in row.index and float(row["runs"]) > 0 else 1.0
    return float(row["seconds"]) / runs


def _side(name: str, candidate: Candidate, row: pd.Series) -> dict[str, Any]:
    """DepthPair's fields of one side (name deep or wide), but the deep side's layers."""
    facts = named(candidate, ("config", "units", "parameters", "mean_rmse"))
    facts.update(se_rmse=float(row["se_rmse"]), seconds=_seconds_per_run(row))
    return {f"{name}_{key}": value for key, value in facts.items()}


def depth_pair(pair: Pair[Candidate], rows: Mapping[str, pd.Series]) -> DepthPair:
    """The record of one pair, with each side's summary row (rows, by config id)."""
    deep, wide = rows[pair.deep.config], rows[pair.wide.config]
    return DepthPair(
        **_side("deep", pair.deep, deep),
        deep_layers=pair.deep.layers,
        **_side("wide", pair.wide, wide),
        difference=pair.difference.diff,
        se_difference=pair.difference.se,
        verdict=pair.difference.verdict,
    )


def deep_vs_wide(summary: pd.DataFrame, runs: pd.DataFrame | None = None) -> DepthResult:
    """Pair every multi-layer configuration with its one-layer partner and judge each pair.

    The pairing and the verdict are deepwide's one rule: the one-layer configuration of the
    same cell and activation nearest in parameters (within deepwide.TOLERANCE), and the
    one-standard-error rule on the paired differences deep - wide over the seed x fold cells
    of runs. A sweep adds such one-layer widths itself (SweepSpec.equal_budget).

    Args:
        summary: The sweep's summary table (summary.csv, recommend.summarize): config, cell,
            units, layers, parameters, mean_rmse, se_rmse, seconds (total over the runs), and
            optionally runs and activation.
        runs: The sweep's runs (runs.csv): config, seed, fold, rmse, read as the report reads
            them (rundir.tables.read_cells); without it, or when a (config, seed, fold)
            repeats, every verdict is "unknown" (nothing to pair on).

    Returns:
        The DepthResult; no pairs when the sweep has no stacked or no one-layer configuration.

    Raises:
        DataError: summary or runs lacks a column.
    """
    missing = [c for c in REQUIRED if c not in summary.columns]
    if missing:
        raise DataError(f"summary must have the columns {', '.join(missing)}, which are missing")
    cells = None if runs is None else read_cells(runs)
    rows = {str(row["config"]): row for _, row in summary.iterrows()}
    pairs = [depth_pair(p, rows) for p in equal_budget_pairs(candidates(summary), cells)]
    verdicts = [p.verdict for p in pairs]
    return DepthResult(
        pairs=tuple(pairs),
        deep_better=verdicts.count(deepwide.DEEP_BETTER),
        wide_better=verdicts.count(deepwide.WIDE_BETTER),
        ties=verdicts.count(deepwide.TIE),
    )
