"""The tables a sweep's study holds: each configuration's runs, rate search and loss curve."""

from __future__ import annotations

import dataclasses
import math

import optuna
import pandas as pd
from optuna.trial import TrialState

from lstmsizer.rundir import sweep as schema
from lstmsizer.sweeping.engine import Job
from lstmsizer.sweeping.plan import Configuration
from lstmsizer.sweeping.study import DUPLICATE, REASON


def collect_runs(study: optuna.Study, job: Job) -> tuple[pd.DataFrame, dict[str, Configuration]]:
    """One row per run of the first trial that settled each configuration, and those
    configurations by id as their runs trained them: searched settings and the learning rate
    the runs used (chosen per configuration by --lr auto) included."""
    rows: list[dict[str, object]] = []
    configs: dict[str, Configuration] = {}
    for trial in sorted(study.get_trials(deepcopy=False), key=lambda t: t.number):
        settled = trial.state == TrialState.COMPLETE or (
            trial.state == TrialState.FAIL and REASON in trial.user_attrs
        )
        if job.spec.search != "grid":
            settled = settled or trial.state == TrialState.PRUNED
        runs = trial.user_attrs.get("runs")
        stored = trial.user_attrs.get("configuration")
        config = None if stored is None else Configuration.from_dict(stored)
        if not settled or DUPLICATE in trial.user_attrs or not runs or config is None:
            continue
        if config.id in configs:
            continue
        configs[config.id] = dataclasses.replace(config, lr=float(runs[0]["lr"]))
        for row in runs:
            rows.append({**row, "trial": trial.number, "state": trial.state.name.lower()})
    return pd.DataFrame(rows), configs


def collect_training(study: optuna.Study, runs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The learning-rate searches and the loss curves of the trials whose runs were collected.

    Returns:
        lr_search (config, lr, val_loss, epochs, restarts, seconds, chosen) and curves
        (config, seed, fold, epoch, train_loss, val_loss, lr): one run per configuration, its
        first seed on the last fold.
    """
    searches: list[dict[str, object]] = []
    curves: list[pd.DataFrame] = []
    trials = {t.number: t for t in study.get_trials(deepcopy=False)}
    for config, mine in runs.groupby("config", sort=False):
        trial = trials[int(mine["trial"].iloc[0])]
        searches += trial.user_attrs.get("lr_search", [])
        curve = trial.user_attrs.get("curve") or {}
        if curve.get("train_loss"):
            last = mine[mine["fold"] == mine["fold"].max()].iloc[0]
            n = len(curve["train_loss"])
            frame = pd.DataFrame(
                {
                    "train_loss": curve["train_loss"],
                    "val_loss": curve.get("val_loss") or [math.nan] * n,
                    "lr": curve.get("lr") or [math.nan] * n,
                }
            )
            frame.insert(0, "epoch", range(len(frame)))
            frame.insert(0, "fold", int(last["fold"]))
            frame.insert(0, "seed", int(last["seed"]))
            frame.insert(0, "config", str(config))
            curves.append(frame)
    curve_frame = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame()
    return (
        pd.DataFrame(searches, columns=list(schema.LR_SEARCH_COLUMNS)),
        curve_frame.reindex(columns=list(schema.CURVE_COLUMNS)),
    )
