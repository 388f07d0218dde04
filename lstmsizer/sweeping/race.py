"""Racing in a grid sweep: after each fold, a configuration far worse than the best finished
one stops, and is recorded as raced out with its evidence."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import optuna
import pandas as pd
from optuna.trial import FrozenTrial, Trial, TrialState

from lstmsizer import racing
from lstmsizer.onese import add_paired_columns
from lstmsizer.racing import Cell, RaceEvidence, incumbent
from lstmsizer.recommend import summarize
from lstmsizer.rundir.convert import to_float
from lstmsizer.rundir.sweep import HEALTH_COLUMNS, race_columns, ran_every_fold
from lstmsizer.sweeping.study import DUPLICATE, config_of
from lstmsizer.sweepspec import GridSpec, SweepSpec

RACED = "raced"
"""User attribute of a trial raced out: its RaceEvidence.to_dict(). The trial is COMPLETE,
its value the mean RMSE of the runs it has, so it settles its configuration like any other."""

Rows = Sequence[Mapping[str, Any]]
Stop = Callable[[int, list[dict[str, object]]], bool]


def cells_of(rows: Rows) -> dict[Cell, float]:
    """RMSE by (seed, fold) of a configuration's runs (NaN for a failed run)."""
    return {(int(r["seed"]), int(r["fold"])): to_float(r.get("rmse")) for r in rows}


def finished_cells(trials: Sequence[FrozenTrial]) -> dict[str, dict[Cell, float]]:
    """RMSE by (seed, fold) of every configuration that ran every fold: the first completed
    trial of each, neither a duplicate nor raced out itself."""
    found: dict[str, dict[Cell, float]] = {}
    for trial in sorted(trials, key=lambda t: t.number):
        attrs = trial.user_attrs
        config = config_of(trial)
        if (
            trial.state != TrialState.COMPLETE
            or DUPLICATE in attrs
            or RACED in attrs
            or not attrs.get("runs")
            or config is None
        ):
            continue
        found.setdefault(config, cells_of(attrs["runs"]))
    return found


def judge(trials: Sequence[FrozenTrial], config: str, rows: Rows) -> RaceEvidence | None:
    """The evidence for racing config out after the runs it has, or None to go on.

    The incumbent is the finished configuration with the lowest mean RMSE at this moment
    (racing.incumbent); the margin is racing.RACE_MARGIN as it stands when asked.
    """
    finished = finished_cells(trials)
    finished.pop(config, None)
    best = incumbent(finished)
    if best is None:
        return None
    return racing.race(cells_of(rows), best, finished[best], margin=racing.RACE_MARGIN)


def stopper(spec: SweepSpec, study: optuna.Study, trial: Trial, config: str) -> Stop | None:
    """train_configuration's stop hook for one trial of a grid sweep that races, else None.

    Under --search tpe, Optuna's Wilcoxon pruner compares each trial run by run with the
    best one instead. When the hook races the configuration out it records the evidence in
    the trial (RACED) before training stops.
    """
    if not (isinstance(spec.space, GridSpec) and spec.space.race):
        return None

    def stop(fold: int, rows: list[dict[str, object]]) -> bool:
        evidence = judge(study.get_trials(deepcopy=False), config, rows)
        if evidence is not None:
            trial.set_user_attr(RACED, evidence.to_dict())
        return evidence is not None

    return stop


def raced_out(study: optuna.Study, runs: pd.DataFrame) -> dict[str, RaceEvidence]:
    """The evidence of each configuration whose collected trial (runs' trial column) was
    raced out, by configuration id."""
    if runs.empty:
        return {}
    trials = {t.number: t for t in study.get_trials(deepcopy=False)}
    found: dict[str, RaceEvidence] = {}
    for number, config in runs[["trial", "config"]].drop_duplicates().itertuples(index=False):
        stored = trials[int(number)].user_attrs.get(RACED)
        if stored is not None:
            found[str(config)] = RaceEvidence.from_dict(stored)
    return found


def summary(
    study: optuna.Study, runs: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, RaceEvidence]]:
    """summary.csv's table of a sweep's runs, the runs compared, and the racing evidence.

    Returns:
        The table (recommend.summarize over every run, the racing columns, then the paired
        rule's columns, computed over the configurations that ran every fold: NaN for the
        raced-out ones), those configurations' runs, and each raced-out one's evidence.
    """
    raced = raced_out(study, runs)
    full = ran_every_fold(runs, raced)
    return add_paired_columns(with_race_columns(summarize(runs), raced), full), full, raced


def with_race_columns(summary: pd.DataFrame, raced: Mapping[str, RaceEvidence]) -> pd.DataFrame:
    """summary (recommend.summarize's table) with summary.csv's racing columns in their place,
    before the training-health columns."""
    columns = race_columns(list(summary["config"].astype(str)), raced)
    columns.index = summary.index
    names = list(summary.columns)
    at = names.index(HEALTH_COLUMNS[0]) if HEALTH_COLUMNS[0] in names else len(names)
    return pd.concat([summary.iloc[:, :at], columns, summary.iloc[:, at:]], axis=1)


def racing_info(
    raced: Mapping[str, RaceEvidence], runs: pd.DataFrame, folds: int
) -> dict[str, Any]:
    """recommendation.json's racing record: how many configurations were raced out, and an
    estimate of the worker seconds that saved (each one's seconds per fold run, times the
    folds it did not run)."""
    saved = 0.0
    for config, evidence in raced.items():
        mine = runs[runs["config"].astype(str) == config]
        spent = float(pd.to_numeric(mine["seconds"], errors="coerce").sum())
        saved += spent / max(evidence.folds, 1) * (folds - evidence.folds)
    return {
        "raced_out": len(raced),
        "configs": sorted(raced),
        "seconds_saved": saved if math.isfinite(saved) else None,
    }
