"""What the report derives from a run folder for display: baseline scores and plain tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from lstmsizer.recommend import summarize_baselines
from lstmsizer.report.facts import signed
from lstmsizer.rundir import RunFolder
from lstmsizer.rundir.convert import to_float, to_int
from lstmsizer.rundir.sweep import RACE_COLUMNS, RACED_COLUMN, BaselineRun, SummaryRow


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


def raced_notes(configs: Sequence[SummaryRow]) -> dict[str, str]:
    """What the tables say of each raced-out configuration in place of a comparison with the
    best, by id: "raced out after fold 1: +0.210 ± 0.030 vs LSTM(32)" (its paired gap to the
    incumbent over the cells it ran, and that gap's standard error)."""
    labels = {c.config: c.label for c in configs}
    return {
        c.config: f"raced out after fold {c.race.folds}: {signed(c.race.gap, c.race.se)} vs "
        f"{labels.get(c.race.incumbent) or c.race.incumbent}"
        for c in configs
        if c.race is not None
    }


def summary_frame(run: RunFolder) -> pd.DataFrame:
    """summary.csv for display: its racing columns as one raced column of raced_notes (none
    when no configuration was raced out)."""
    summary = run.summary.drop(columns=[c for c in RACE_COLUMNS if c in run.summary.columns])
    notes = raced_notes(run.configs)
    if not notes:
        return summary
    at = list(run.summary.columns).index(RACED_COLUMN)  # where the racing columns were
    summary.insert(at, RACED_COLUMN, summary["config"].astype(str).map(notes).fillna(""))
    return summary
