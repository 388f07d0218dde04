"""What the report derives from a run folder for display: baseline scores and plain tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from lstmsizer.recommend import summarize_baselines
from lstmsizer.rundir.convert import to_float, to_int
from lstmsizer.rundir.sweep import BaselineRun


@dataclass(frozen=True)
class Baseline:
    """One baseline's validation RMSE over the same folds (mean and standard error)."""

    model: str
    mean_rmse: float
    se_rmse: float
    runs: int


@dataclass(frozen=True)
class Table:
    """A CSV file as it is, for display: column names and rows of plain values."""

    columns: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]


def baseline_scores(runs: Sequence[BaselineRun]) -> tuple[Baseline, ...]:
    """baselines.csv's rows summarised per baseline (recommend.summarize_baselines), best first."""
    if not runs:
        return ()
    table = summarize_baselines(pd.DataFrame([r.to_dict() for r in runs]))
    return tuple(
        Baseline(
            str(r["model"]), to_float(r["mean_rmse"]), to_float(r["se_rmse"]), to_int(r["runs"])
        )
        for r in table.to_dict("records")
    )


def table(frame: pd.DataFrame) -> Table:
    """A table for display, NaN as None."""
    rows = frame.astype(object).where(frame.notna(), None).itertuples(index=False, name=None)
    return Table(tuple(str(c) for c in frame.columns), tuple(tuple(r) for r in rows))
