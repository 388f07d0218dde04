"""Deep against wide at an equal parameter budget: which configurations pair, and who wins.

The one rule, used by the report, by ``lstmsizer diagnose`` and by the claims:

- Pairing: each stacked configuration is paired with the one-layer configuration of the same
  cell and activation nearest to it in parameters (on a tie the smaller, then the lower id),
  when their parameter counts are within TOLERANCE of each other; configurations whose every
  run failed take no part.
- Tie rule: the one-standard-error rule on the paired differences deep - wide over the
  seed x fold cells both scored (onese.paired_stats, the statistics of the recommendation's
  rule). A tie when |mean| <= SE, else the side with the lower RMSE is better; unknown when
  fewer than two cells pair.

Why paired: every configuration of a sweep is trained on the same seed x fold cells, and a
hard fold is hard for both sides. The SE of the per-cell differences is the uncertainty of
the difference itself; combining the two configurations' own SEs (their hypotenuse, or the
larger one) counts the variation the cells share as if it were noise, and calls a consistent
difference a tie. Why the tolerance: pairs further apart than a quarter in parameters compare
budgets, not shapes (a sweep adds the equal-budget widths itself, SweepSpec.equal_budget).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

import numpy as np
import pandas as pd

from lstmsizer.onese import paired_stats

TOLERANCE = 0.25
"""Largest relative parameter difference of a pair, |wide / deep - 1|."""

DEEP_BETTER = "deep better"
WIDE_BETTER = "wide better"
TIE = "tie"
UNKNOWN = "unknown"
VERDICTS = (DEEP_BETTER, WIDE_BETTER, TIE, UNKNOWN)

Cell = tuple[int, int]
"""(seed, fold) of one scored run."""
Cells = Mapping[str, Mapping[Cell, float]]
"""Validation RMSE of each configuration's runs: config -> {(seed, fold): rmse}, as
rundir.tables.read_cells reads runs.csv."""


class Sized(Protocol):
    """What pairing reads of a configuration (a summary row, a report's Config)."""

    @property
    def config(self) -> str: ...
    @property
    def cell(self) -> str: ...
    @property
    def activation(self) -> str: ...
    @property
    def layers(self) -> int: ...
    @property
    def parameters(self) -> int: ...
    @property
    def mean_rmse(self) -> float: ...


S = TypeVar("S", bound=Sized)


@dataclass(frozen=True)
class Candidate:
    """A configuration as summary.csv gives it, for pairing (the Sized fields plus units)."""

    config: str
    cell: str
    activation: str
    units: int
    layers: int
    parameters: int
    mean_rmse: float


@dataclass(frozen=True)
class PairedDifference:
    """deep - wide over the cells both scored, and the rule's verdict on it.

    Attributes:
        diff: Mean of the differences (negative: deep is better); NaN for no cell.
        se: Their standard error, std(ddof=1) / sqrt(n); NaN for fewer than two cells.
        cells: The (seed, fold) cells paired, in the deep configuration's order.
        deep, wide: The two RMSEs on each of those cells.
        verdict: One of VERDICTS.
    """

    diff: float
    se: float
    cells: tuple[Cell, ...]
    deep: tuple[float, ...]
    wide: tuple[float, ...]
    verdict: str

    def relative(self) -> np.ndarray:
        """Per cell, the RMSE change of deep over wide, (deep - wide) / wide."""
        deep, wide = np.asarray(self.deep, dtype=float), np.asarray(self.wide, dtype=float)
        return (deep - wide) / wide


@dataclass(frozen=True)
class Pair(Generic[S]):
    """A stacked configuration, its one-layer partner and their paired difference."""

    deep: S
    wide: S
    difference: PairedDifference


def verdict(diff: float, se: float) -> str:
    """The one-standard-error rule on a paired difference deep - wide."""
    if not (math.isfinite(diff) and math.isfinite(se)):
        return UNKNOWN
    if abs(diff) <= se:
        return TIE
    return DEEP_BETTER if diff < 0 else WIDE_BETTER


def paired_difference(deep: Mapping[Cell, float], wide: Mapping[Cell, float]) -> PairedDifference:
    """deep - wide over the cells where both have a finite RMSE, and its verdict."""
    cells = tuple(k for k in deep if k in wide and math.isfinite(deep[k] + wide[k]))
    a = np.array([deep[k] for k in cells], dtype=float)
    b = np.array([wide[k] for k in cells], dtype=float)
    diff, se, _ = paired_stats(a - b)
    mean, error = float(diff), float(se)
    rule = verdict(mean, error)
    return PairedDifference(mean, error, cells, tuple(a.tolist()), tuple(b.tolist()), rule)


def nearest_wide(deep: S, sizes: Sequence[S], tolerance: float = TOLERANCE) -> S | None:
    """The one-layer configuration of deep's cell and activation nearest in parameters
    (ties: the smaller, then the lower id), None when none is within tolerance."""
    wides = [
        s
        for s in sizes
        if s.layers == 1 and s.cell == deep.cell and s.activation == deep.activation
    ]
    if not wides or deep.parameters <= 0:
        return None
    wide = min(wides, key=lambda s: (abs(s.parameters - deep.parameters), s.parameters, s.config))
    return wide if abs(wide.parameters / deep.parameters - 1) <= tolerance else None


def equal_budget_pairs(
    sizes: Sequence[S], cells: Cells | None = None, tolerance: float = TOLERANCE
) -> list[Pair[S]]:
    """Every stacked configuration beside its one-layer partner, by parameters then id.

    Args:
        sizes: The sweep's configurations; those with no finite mean RMSE are left out.
        cells: Each configuration's RMSE per (seed, fold); None or a missing configuration
            pairs no cell, and its verdict is UNKNOWN.
        tolerance: See TOLERANCE.
    """
    ok = [s for s in sizes if math.isfinite(s.mean_rmse)]
    pairs = []
    for deep in sorted((s for s in ok if s.layers > 1), key=lambda s: (s.parameters, s.config)):
        wide = nearest_wide(deep, ok, tolerance)
        if wide is not None:
            scored = cells or {}
            difference = paired_difference(scored.get(deep.config, {}), scored.get(wide.config, {}))
            pairs.append(Pair(deep, wide, difference))
    return pairs


def candidates(summary: pd.DataFrame) -> list[Candidate]:
    """summary.csv's rows as Candidates (activation "" when the table has no such column)."""
    activation = summary["activation"] if "activation" in summary else pd.Series("", summary.index)
    rows = zip(summary.iterrows(), activation, strict=True)
    return [
        Candidate(
            config=str(row["config"]),
            cell=str(row["cell"]),
            activation=str(act),
            units=int(row["units"]),
            layers=int(row["layers"]),
            parameters=int(row["parameters"]),
            mean_rmse=float(row["mean_rmse"]),
        )
        for (_, row), act in rows
    ]
