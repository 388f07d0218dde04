"""Racing: a configuration far worse than the best finished one stops after the fold it ran."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from lstmsizer.onese import paired_stats

Cell = tuple[int, int]
"""A (seed, fold) cell: every configuration trains on the same ones."""

RACE_MARGIN = 2.5
"""A configuration is raced out when its paired gap to the incumbent exceeds this many
standard errors of the gap, once it has trained RACE_MIN_FOLDS folds. bench/racing.py
replayed 5,000 resampled sweeps (3 of 6 seeds a fold, largest first, 2 workers) of three
real tables, sunspots (29 configurations), airline (20) and sine (6): racing after two
folds, 2 is the smallest margin that kept the full grid's recommendation in at least 99% of
them on each, and 2.5 kept 99.8%, 100% and 100%, saving 0.4%, 1.8% and 0.4% of the training
seconds (docs/protocol.md, "Racing margin, by simulation")."""
RACE_MIN_FOLDS = 2
"""Folds a configuration trains before it can be raced out. After one fold the gap's
standard error rests on the seeds of that fold alone, which share its data and leave the
fold-to-fold variation out: a live default sunspots sweep raced LSTM(100) out after fold 1
(+1.84 ± 0.28 vs 2-layer LSTM(256)), where its full-grid gap to the best is 0.19 ± 0.54,
as good as the best. Racing after one fold needed a margin of 5 for 99% and saved more
(0.9%, 3.5%, 3.2%), but it stops configurations that are within noise. A configuration whose
later folds train batched as one group is only checked after its first fold, so it is never
raced: such configurations are the cheap ones."""


@dataclass(frozen=True)
class RaceEvidence:
    """Why a configuration stopped early: its paired gap to the incumbent, far beyond noise.

    Attributes:
        incumbent: Id of the finished configuration with the lowest mean RMSE at the time.
        folds: Folds the raced-out configuration had trained.
        cells: (seed, fold) cells the gap pairs.
        gap: Mean of rmse_config - rmse_incumbent over those cells.
        se: Standard error of those differences (std, ddof=1, over sqrt(cells)).
        margin: The margin in standard errors that the gap exceeded.
    """

    incumbent: str
    folds: int
    cells: int
    gap: float
    se: float
    margin: float

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready values."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RaceEvidence:
        """The record to_dict wrote."""
        return cls(
            incumbent=str(data["incumbent"]),
            folds=int(data["folds"]),
            cells=int(data["cells"]),
            gap=float(data["gap"]),
            se=float(data["se"]),
            margin=float(data["margin"]),
        )


def incumbent(finished: Mapping[str, Mapping[Cell, float]]) -> str | None:
    """The finished configuration with the lowest mean RMSE over its finite cells.

    Ties go to the lower id, so every process names the same incumbent. None when no
    configuration has a finite RMSE yet.
    """
    best: tuple[float, str] | None = None
    for config, cells in finished.items():
        values = [v for v in cells.values() if math.isfinite(v)]
        if values:
            key = (sum(values) / len(values), config)
            best = key if best is None or key < best else best
    return None if best is None else best[1]


def race(
    cells: Mapping[Cell, float],
    incumbent_id: str,
    incumbent_cells: Mapping[Cell, float],
    margin: float = RACE_MARGIN,
    min_folds: int = RACE_MIN_FOLDS,
) -> RaceEvidence | None:
    """The evidence for racing a configuration out, or None when it goes on training.

    Pairs the configuration's finished cells with the incumbent's; it is raced out when the
    mean difference exceeds margin standard errors of the differences. Cells where either
    run failed are left out, and fewer than two pairs never race, nor fewer than min_folds
    folds trained.

    Args:
        cells: RMSE of the configuration on each (seed, fold) cell it has trained.
        incumbent_id: The incumbent's configuration id.
        incumbent_cells: The incumbent's RMSE on its cells (all folds).
        margin: Standard errors the gap must exceed.
        min_folds: Folds the configuration must have trained before it can be raced out.
    """
    folds = len({fold for _, fold in cells})
    if folds < min_folds:
        return None
    shared = sorted(c for c in cells if c in incumbent_cells)
    d = np.array([cells[c] - incumbent_cells[c] for c in shared], dtype=float)
    gap, se, n = paired_stats(d)
    if n < 2 or not math.isfinite(float(gap)) or not gap > margin * se:
        return None
    return RaceEvidence(incumbent_id, folds, int(n), float(gap), float(se), float(margin))
