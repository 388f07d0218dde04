"""The claims that compare validation RMSE, paired over seeds x folds: deep against wide,
LSTM(1) against linear AR, and the best LSTM against the best baseline on a linear series."""

from __future__ import annotations

import dataclasses
from typing import Any, cast

import numpy as np
import pandas as pd

from lstmsizer.baselines import LinearAR
from lstmsizer.claims import rules
from lstmsizer.claims.experiments import (
    DEPTH,
    LINEAR_SERIES,
    LINEAR_UNIT,
    Context,
    epochs_of,
    make_claim,
)
from lstmsizer.claims.panel import linear_unit_runs
from lstmsizer.claims.protocol import Fitted, paired_change, protocol_fits
from lstmsizer.claims.result import Claim, figure
from lstmsizer.datasets import Dataset, get
from lstmsizer.deepwide import candidates, equal_budget_pairs
from lstmsizer.diagnostics.depth import depth_pair
from lstmsizer.intervals import correlation_interval, t_interval
from lstmsizer.metrics import rmse
from lstmsizer.panel import Panel
from lstmsizer.panelsplits import PanelSplit
from lstmsizer.rundir.sweep import raced_ids, ran_every_fold
from lstmsizer.rundir.tables import read_cells
from lstmsizer.sizes import config_label
from lstmsizer.splits import Split
from lstmsizer.sweeping import SweepResult, sweep


def _small_sweep(ctx: Context, data: Dataset | Panel, folder: str, **grid: Any) -> SweepResult:
    spec, out = ctx.spec(**grid), ctx.workdir / folder
    return sweep(data, spec=spec, out=out, workers=1, progress=False, baselines=ctx.baselines)


def stacking_beats_width(ctx: Context) -> Claim:
    """A stacked LSTM against one layer of the same parameter budget, paired over seeds x
    folds of a sweep (scaled down to 3 x 16 by default)."""
    s = ctx.settings
    # no racing: the claim pairs the deep and the wide configuration over every cell
    found = _small_sweep(
        ctx,
        ctx.dataset,
        "deep-vs-wide",
        units=(s.depth_units,),
        layers=(s.depth_layers,),
        race=False,
    )
    pairs = equal_budget_pairs(candidates(found.table), read_cells(found.runs))
    threshold = rules.DEPTH_NEEDS.says
    if not pairs:
        verdict = (rules.CANNOT_TELL, "no equal-budget pair was trained")
        return make_claim(DEPTH, verdict, {}, {}, threshold)
    rows = {str(row["config"]): row for _, row in found.table.iterrows()}
    p = depth_pair(pairs[0], rows)
    deep = config_label("lstm", p.deep_units, p.deep_layers)
    wide = config_label("lstm", p.wide_units)
    # the RMSE change per seed x fold cell of the pair deepwide paired, with its t interval
    difference = t_interval(pairs[0].difference.relative())
    means = (p.deep_mean_rmse, p.wide_mean_rmse)
    verdict = rules.depth_verdict(difference, deep, wide, means)
    numbers = {**p.to_dict(), "seeds": s.seeds, "folds": s.folds, "epochs": s.epochs}
    figures = {"deep minus wide RMSE": figure(difference, "%")}
    tested = f"tested as {deep} vs {wide} at an equal parameter budget"
    if p.deep_units != 128 or p.deep_layers != 3:
        tested += " (scaled down; --full tests 3 x 128 against its equal-budget width)"
    numbers, tested = ctx.panel_numbers(numbers), ctx.on_panel(tested)
    return make_claim(DEPTH, verdict, numbers, figures, threshold, tested)


def one_unit_is_linear(ctx: Context) -> Claim:
    """LSTM(1) against linear AR on the same lags of the target alone, paired over seeds x
    folds, and how closely their forecasts agree; on a panel one global LSTM(1) against the
    pooled linear AR, both scored across series."""
    folds = ctx.folds
    if isinstance(ctx.dataset, Panel):
        panel_folds = cast(list[PanelSplit], folds)
        fitted = protocol_fits(ctx.spec(), ctx.dataset, panel_folds, 1)
        scaling = ctx.spec().split.scaling
        found = linear_unit_runs(ctx.dataset, panel_folds, fitted, ctx.lags, scaling)
    else:
        fitted = protocol_fits(ctx.spec(), _target_only(ctx.dataset), folds, 1)
        found = _series_runs(ctx.dataset.values, cast(list[Split], folds), fitted, ctx.lags)
    rows, ar_rmse, lstm_preds, ar_preds = found
    runs_frame, ar_frame = pd.DataFrame(rows), pd.DataFrame(ar_rmse)
    change = paired_change(runs_frame, "lstm-u1-l1", ar_frame, ("fold",))
    pooled = correlation_interval(
        np.concatenate(lstm_preds), np.concatenate(ar_preds), seed=ctx.seed
    )
    means = (float(runs_frame["rmse"].mean()), float(ar_frame["rmse"].mean()))
    verdict = rules.linear_unit_verdict(change, pooled, means)
    numbers = {
        "lstm_rmse": runs_frame.to_dict("records"),
        "linear_ar_rmse": ar_frame.to_dict("records"),
        "lr": fitted[0][0][1].train.lr,
        "epochs": [epochs_of(m) for runs in fitted for _, m in runs],
        "under_trained": sum(
            bool(m.history_ and m.history_.under_trained) for runs in fitted for _, m in runs
        ),
    }
    figures = {
        "RMSE change of LSTM(1) over linear AR": figure(change, "%"),
        "forecast correlation": figure(pooled),
    }
    threshold = f"{rules.LINEAR_NEEDS.says} {rules.LINEAR_CORRELATION.says}"
    tested = ctx.on_panel("against the pooled linear AR" if ctx.panel is not None else "")
    return make_claim(LINEAR_UNIT, verdict, ctx.panel_numbers(numbers), figures, threshold, tested)


def _target_only(dataset: Dataset) -> Dataset:
    """The series without its extra input columns: LinearAR reads the target alone."""
    n = len(dataset.values)
    return dataclasses.replace(dataset, features=np.empty((n, 0)), feature_names=())


def _series_runs(
    y: np.ndarray, folds: list[Split], fitted: list[Fitted], lags: int
) -> tuple[list[dict[str, object]], list[dict[str, object]], list[Any], list[Any]]:
    """LSTM(1)'s rows and linear AR's per fold on one series, with their first-step forecasts
    per run (as panel.linear_unit_runs on a panel)."""
    rows: list[dict[str, object]] = []
    ar_rmse: list[dict[str, object]] = []
    lstm_preds: list[Any] = []
    ar_preds: list[Any] = []
    for fold, (split, runs) in enumerate(zip(folds, fitted, strict=True)):
        origins = split.val_origins
        ar = LinearAR(lags).fit(y[: split.n], train_end=split.train_end)
        ar_pred = ar.predict(y, origins)[:, 0]
        ar_rmse.append({"fold": fold, "rmse": rmse(y[origins], ar_pred)})
        for row, model in runs:
            pred = model.predict(y, origins)[:, 0]
            rows.append({"config": "lstm-u1-l1", "seed": row["seed"], "fold": fold,
                         "rmse": row["rmse"]})  # fmt: skip
            lstm_preds.append(pred)
            ar_preds.append(ar_pred)
    return rows, ar_rmse, lstm_preds, ar_preds


def linear_series_needs_no_lstm(ctx: Context) -> Claim:
    """A small units sweep on the `ar` generator: is its best LSTM better than its best
    baseline, paired over seeds x folds?"""
    s = ctx.settings
    data = get("ar", n=s.linear_n, seed=ctx.seed)
    found = _small_sweep(ctx, data, "linear-series", units=s.linear_units, layers=(1,))
    table = ran_every_fold(found.table, raced_ids(found.table))
    best = table.sort_values(["mean_rmse", "parameters"]).iloc[0]
    baseline = found.baselines.sort_values("mean_rmse").iloc[0]
    ref = found.baseline_runs[found.baseline_runs["model"] == baseline["model"]]
    change = paired_change(found.runs, str(best["config"]), ref, ("fold",))
    label = config_label("lstm", int(best["units"]), int(best["layers"]))
    means = (float(best["mean_rmse"]), float(baseline["mean_rmse"]))
    verdict = rules.linear_series_verdict(change, label, str(baseline["model"]), means)
    rec = found.recommendation
    numbers = {
        "best_lstm": str(best["config"]),
        "lstm_rmse": means[0],
        "baseline": str(baseline["model"]),
        "baseline_rmse": means[1],
        "recommended": rec.config,
        "lstm_needed": rec.lstm_needed,
        "units": s.linear_units,
        "n": s.linear_n,
    }
    figures = {f"RMSE change of {label} over {baseline['model']}": figure(change, "%")}
    tested = ctx.off_panel("", "a synthetic linear AR series")
    return make_claim(LINEAR_SERIES, verdict, numbers, figures, rules.NO_LSTM_NEEDS.says, tested)
