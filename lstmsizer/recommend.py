"""Sweep results to a recommendation: the paired one-SE rule, baselines, stability, code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lstmsizer.codegen import keras_code, pytorch_code
from lstmsizer.config import ModelSpec, WindowSpec
from lstmsizer.errors import DataError
from lstmsizer.onese import FoldPairing, finite, one_se_rule, pair_folds, rmse_matrix
from lstmsizer.rundir.sweep import Recommendation
from lstmsizer.stability import Stability, bootstrap
from lstmsizer.verdict import flags, label, verdict, warnings

_DESCRIBE = ("cell", "units", "layers", "activation", "parameters")
_RUN_METRICS = ("rmse", "mae", "mase", "smape", "train_loss", "val_loss", "epochs")
_BASELINE_METRICS = ("rmse", "mae", "mase", "smape")


def _require(frame: pd.DataFrame, columns: Sequence[str], argument: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{argument} must have the columns {', '.join(missing)}, which are missing")


def _aggregate(frame: pd.DataFrame, key: str, metrics: Sequence[str]) -> pd.DataFrame:
    # a run with a non-finite RMSE failed: counted, but left out of every mean
    ok = np.isfinite(pd.to_numeric(frame["rmse"], errors="coerce").to_numpy(dtype=float))
    groups = frame.groupby(key, sort=False)
    good = frame[ok].groupby(key, sort=False)
    index = pd.Index(groups.size().index, name=key)
    n = good.size().reindex(index, fill_value=0)
    out = pd.DataFrame({"runs": groups.size(), "failed": groups.size() - n}, index=index)
    means = good[list(metrics)].mean().reindex(index)
    out["mean_rmse"] = means["rmse"]
    se = good["rmse"].std(ddof=1).reindex(index) / np.sqrt(n)
    out["se_rmse"] = se.where(n != 1, 0.0)
    for metric in metrics[1:]:
        out[f"mean_{metric}"] = means[metric]
    return out


def _health(runs: pd.DataFrame) -> pd.DataFrame:
    # training-health columns per config; a column old runs.csv files lack gives NaN
    nan = pd.Series(np.nan, index=runs.index)

    def number(name: str) -> pd.Series:
        return pd.to_numeric(runs[name], errors="coerce") if name in runs else nan

    def flag(name: str) -> pd.Series:
        return flags(runs[name]).astype(float) if name in runs else nan

    restarted = (number("restarts") > 0).astype(float) if "restarts" in runs else nan
    per_run = pd.DataFrame(
        {
            "lr": number("lr"),
            "median_epochs": number("epochs"),
            "epoch_cap": number("epoch_cap"),
            "converged_share": flag("converged"),
            "under_trained_share": flag("under_trained"),
            "restarted_share": restarted,
            "stuck_share": flag("stuck"),
            "sd_rmse": finite(runs["rmse"]),
        }
    )
    how = {"lr": "first", "median_epochs": "median", "epoch_cap": "max", "sd_rmse": "std"}
    return per_run.groupby(runs["config"], sort=False).agg(
        {c: how.get(c, "mean") for c in per_run.columns}
    )


def summarize(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per configuration: mean and standard error over its seeds x folds, and health.

    Args:
        runs: One row per trained model with config, cell, units, layers, activation,
            parameters, epochs, train_loss, val_loss, mae, rmse, mase, smape, seconds; and,
            when the run folder records them, lr, epoch_cap, converged, under_trained,
            restarts, stuck. A row with NaN (or infinite) rmse is a failed run.

    Returns:
        config, cell, units, layers, activation, parameters, runs, failed, mean_rmse, se_rmse
        (sample std / sqrt(n) over the successful runs, 0 for one run, NaN for none),
        mean_mae, mean_mase, mean_smape, mean_train_loss, mean_val_loss, mean_epochs and
        seconds (total, failed runs included); then lr (the first run's), median_epochs
        (every run), epoch_cap (the largest), converged_share, under_trained_share,
        restarted_share (restarts > 0), stuck_share (shares of every run) and sd_rmse
        (sample std over the successful runs), NaN where runs lacks the column. Sorted by
        (parameters, config).
    """
    _require(runs, ("config", *_DESCRIBE, *_RUN_METRICS, "seconds"), "runs")
    described = runs.groupby("config", sort=False)[list(_DESCRIBE)]
    mixed = described.nunique(dropna=False).max(axis=1)
    if (mixed > 1).any():
        raise DataError(
            f"runs must describe each config by one cell, units, layers, activation and "
            f"parameters, got several for {', '.join(map(str, mixed[mixed > 1].index))}"
        )
    out = described.first().join(_aggregate(runs, "config", _RUN_METRICS))
    out["seconds"] = runs.groupby("config", sort=False)["seconds"].sum()
    out = out.join(_health(runs))
    out = out.reset_index().astype({"units": int, "layers": int, "parameters": int})
    return out.sort_values(["parameters", "config"], ignore_index=True)


def summarize_baselines(baseline_runs: pd.DataFrame) -> pd.DataFrame:
    """One row per baseline: mean and standard error of its RMSE over the folds.

    Args:
        baseline_runs: One row per baseline per fold with model, fold, mae, rmse, mase, smape.

    Returns:
        model, runs, failed, mean_rmse, se_rmse, mean_mae, mean_mase, mean_smape, sorted by
        mean_rmse (baselines that failed on every fold last).
    """
    _require(baseline_runs, ("model", "fold", *_BASELINE_METRICS), "baseline_runs")
    out = _aggregate(baseline_runs, "model", _BASELINE_METRICS).reset_index()
    return out.sort_values(["mean_rmse", "model"], ignore_index=True, na_position="last")


def recommend(
    summary: pd.DataFrame,
    baseline_summary: pd.DataFrame,
    *,
    runs: pd.DataFrame,
    baseline_runs: pd.DataFrame,
    lags: int,
    n_features: int = 1,
    horizon: int = 1,
    dropout: float = 0.0,
    resamples: int = 1000,
    seed: int = 0,
) -> Recommendation:
    """Apply the paired one-SE rule, check it against the best baseline per fold, bootstrap it.

    The rule is onese.one_se_rule on the runs: the fewest parameters among configurations
    whose RMSE, paired cell by cell with the best's, is higher by at most one standard error
    of the differences. The baseline with the lowest mean RMSE is compared per fold with the
    recommendation's mean over seeds (onese.pair_folds). Stability is stability.bootstrap of
    the same rule. Health warnings cover every configuration within one standard error.

    Args:
        summary: The table from summarize: describes each configuration.
        baseline_summary: The table from summarize_baselines, scored on the same folds.
        runs: The runs summary was made from: config, seed, fold, rmse, parameters and,
            when recorded, the bool columns under_trained and stuck.
        baseline_runs: The runs baseline_summary was made from: model, fold, rmse.
        lags: Window length, for the generated code.
        n_features: Features per time step, for the generated code.
        horizon: Forecast steps, for the generated code.
        dropout: Dropout between stacked layers, for the generated code.
        resamples: Bootstrap resamples of the (seed, fold) cells.
        seed: Seed of the bootstrap.

    Returns:
        The Recommendation.

    Raises:
        DataError: A table lacks a column, every run failed, no baseline has a finite RMSE,
            or summary does not describe a configuration of runs.
    """
    _require(summary, ("config", *_DESCRIBE, "mean_rmse", "se_rmse"), "summary")
    _require(baseline_runs, ("model", "fold", "rmse"), "baseline_runs")
    choice = _choose(summary, runs)
    base = _best_baseline(baseline_summary)
    pairing = pair_folds(runs, baseline_runs, str(choice.rec.name), str(base["model"]))
    stability = bootstrap(runs, str(choice.rec.name), resamples=resamples, seed=seed)
    runner = None if stability.runner_up is None else choice.rows[stability.runner_up]
    notes = warnings(runs, choice.within, stability)
    cells = set(summary["cell"].astype(str))
    text = verdict(choice.rec, choice.best, base, pairing, stability, runner, notes, cells)
    found = _Found(base, pairing, stability, runner, notes, text)
    return _recommendation(choice, found, (lags, n_features, horizon, dropout), resamples)


@dataclass(frozen=True)
class _Choice:
    """The paired one-SE rule's pick: summary rows by config id, the recommended and best
    rows, the recommended one's paired difference to the best, the rows within one SE."""

    rows: dict[str, pd.Series]
    rec: pd.Series
    best: pd.Series
    diff: float
    se: float
    within: list[pd.Series]


@dataclass(frozen=True)
class _Found:
    """What was found about the pick: the best baseline, the fold pairing with it, the
    bootstrap, the runner-up's row, the warnings and the verdict."""

    base: pd.Series
    pairing: FoldPairing
    stability: Stability
    runner: pd.Series | None
    notes: tuple[str, ...]
    verdict: str


def _choose(summary: pd.DataFrame, runs: pd.DataFrame) -> _Choice:
    matrix = rmse_matrix(runs)
    rule = one_se_rule(matrix.rmse, matrix.parameters)
    rows = {str(c): row for c, row in summary.set_index("config").iterrows()}
    missing = [c for c in matrix.configs if c not in rows]
    if missing:
        raise DataError(f"summary must describe every config of runs, missing {missing[0]}")
    i = int(rule.recommended)
    within = [rows[c] for c, w in zip(matrix.configs, rule.within, strict=True) if w]
    rec, best = rows[matrix.configs[i]], rows[matrix.configs[int(rule.best)]]
    return _Choice(rows, rec, best, float(rule.diff[i]), float(rule.se[i]), within)


def _recommendation(
    choice: _Choice, found: _Found, sizes: tuple[int, int, int, float], resamples: int
) -> Recommendation:
    # sizes: lags, n_features, horizon and dropout, for the generated code
    rec, best, base = choice.rec, choice.best, found.base
    model = (str(rec["cell"]), int(rec["units"]), int(rec["layers"]), str(rec["activation"]))
    pairing, stability, runner = found.pairing, found.stability, found.runner
    lags, n_features, horizon, dropout = sizes
    spec = ModelSpec(*model, dropout)  # type: ignore[arg-type]
    window = WindowSpec(lags, horizon)
    return Recommendation(
        config=str(rec.name),
        cell=model[0],
        units=model[1],
        layers=model[2],
        activation=model[3],
        parameters=int(rec["parameters"]),
        mean_rmse=float(rec["mean_rmse"]),
        se_rmse=float(rec["se_rmse"]),
        paired_diff=choice.diff,
        paired_se=choice.se,
        best_config=str(best.name),
        best_mean_rmse=float(best["mean_rmse"]),
        best_se_rmse=float(best["se_rmse"]),
        threshold=float(best["mean_rmse"] + best["se_rmse"]),
        baseline=str(base["model"]),
        baseline_rmse=float(base["mean_rmse"]),
        baseline_se=float(base["se_rmse"]),
        baseline_diff=pairing.diff,
        baseline_diff_se=pairing.se,
        folds_paired=pairing.folds,
        lstm_needed=pairing.lstm_needed,
        stability_share=stability.chosen_share,
        selection_shares=dict(stability.shares),
        runner_up=stability.runner_up,
        runner_up_label=None if runner is None else label(runner),
        runner_up_share=stability.runner_up_share,
        resamples=resamples,
        warnings=found.notes,
        verdict=found.verdict,
        keras_code=keras_code(spec, window, n_features),
        pytorch_code=pytorch_code(spec, window, n_features),
    )


def _best_baseline(baseline_summary: pd.DataFrame) -> pd.Series:
    _require(baseline_summary, ("model", "mean_rmse", "se_rmse"), "baseline_summary")
    bases = baseline_summary[np.isfinite(baseline_summary["mean_rmse"].to_numpy(dtype=float))]
    if bases.empty:
        raise DataError(
            f"baseline_summary must have at least one baseline with a finite mean_rmse, got "
            f"{len(baseline_summary)} baselines"
        )
    return bases.sort_values(["mean_rmse", "model"]).iloc[0]
