"""Sweep results to a recommendation: the paired one-SE rule, baselines, stability, code."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from lstmsizer.codegen import KERAS_LAYERS, keras_code, pytorch_code
from lstmsizer.errors import DataError, check_choice, check_int
from lstmsizer.onese import finite, one_se_rule, pair_folds, rmse_matrix
from lstmsizer.stability import bootstrap
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


@dataclass(frozen=True)
class Recommendation:
    """The smallest configuration as good as the best, and whether it beats the baselines.

    Attributes:
        config, cell, units, layers, activation, parameters: The recommended configuration.
        mean_rmse, se_rmse: Its validation RMSE over seeds x folds (unpaired, for reading).
        paired_diff, paired_se: Its RMSE minus the best's, paired over the (seed, fold) cells:
            mean and standard error of the differences (0 and 0 when it is the best).
        best_config, best_mean_rmse, best_se_rmse: The configuration with the lowest mean RMSE.
        threshold: best_mean_rmse + best_se_rmse, the unpaired bound, for reading only.
        baseline, baseline_rmse, baseline_se: The baseline with the lowest mean RMSE.
        baseline_diff, baseline_diff_se: That baseline's RMSE minus the recommendation's
            (its mean over seeds), paired per fold: mean and standard error over the folds.
        folds_paired: Folds both were scored on.
        lstm_needed: True when baseline_diff > baseline_diff_se.
        stability_share: Share of bootstrap resamples of the cells that recommend it.
        selection_shares: Share of resamples recommending each configuration, by id.
        runner_up, runner_up_label, runner_up_share: The configuration the resamples
            recommend most often otherwise (None when none does), its label and its share.
        resamples: Bootstrap resamples drawn.
        warnings: Training-health warnings for the configurations within one standard error.
        verdict: Plain sentences saying the above.
        keras_code, pytorch_code: Runnable code building the recommended model.
    """

    config: str
    cell: str
    units: int
    layers: int
    activation: str
    parameters: int
    mean_rmse: float
    se_rmse: float
    paired_diff: float
    paired_se: float
    best_config: str
    best_mean_rmse: float
    best_se_rmse: float
    threshold: float
    baseline: str
    baseline_rmse: float
    baseline_se: float
    baseline_diff: float
    baseline_diff_se: float
    folds_paired: int
    lstm_needed: bool
    stability_share: float
    selection_shares: dict[str, float]
    runner_up: str | None
    runner_up_label: str | None
    runner_up_share: float
    resamples: int
    warnings: tuple[str, ...]
    verdict: str
    keras_code: str
    pytorch_code: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values: warnings as a list, NaN as None."""
        out = {**asdict(self), "warnings": list(self.warnings)}
        return {
            k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in out.items()
        }


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
    matrix = rmse_matrix(runs)
    rule = one_se_rule(matrix.rmse, matrix.parameters)
    rows = {str(c): row for c, row in summary.set_index("config").iterrows()}
    missing = [c for c in matrix.configs if c not in rows]
    if missing:
        raise DataError(f"summary must describe every config of runs, missing {missing[0]}")
    i = int(rule.recommended)
    rec, best = rows[matrix.configs[i]], rows[matrix.configs[int(rule.best)]]
    base = _best_baseline(baseline_summary)
    pairing = pair_folds(runs, baseline_runs, str(rec.name), str(base["model"]))
    stability = bootstrap(runs, str(rec.name), resamples=resamples, seed=seed)
    runner = None if stability.runner_up is None else rows[stability.runner_up]
    within = [rows[c] for c, w in zip(matrix.configs, rule.within, strict=True) if w]
    notes = warnings(runs, within, stability)
    model = (str(rec["cell"]), int(rec["units"]), int(rec["layers"]), str(rec["activation"]))
    sizes = (lags, n_features, horizon, dropout)
    cells = set(summary["cell"].astype(str))
    text = verdict(rec, best, base, pairing, stability, runner, notes, cells)
    return Recommendation(
        config=str(rec.name),
        cell=model[0],
        units=model[1],
        layers=model[2],
        activation=model[3],
        parameters=int(rec["parameters"]),
        mean_rmse=float(rec["mean_rmse"]),
        se_rmse=float(rec["se_rmse"]),
        paired_diff=float(rule.diff[i]),
        paired_se=float(rule.se[i]),
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
        warnings=notes,
        verdict=text,
        keras_code=keras_code(*model, *sizes),
        pytorch_code=pytorch_code(*model, *sizes),
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


def equal_budget_width(
    cell: str, units: int, layers: int, n_features: int, horizon: int = 1
) -> int:
    """The single-layer width whose Keras parameter count is nearest to a layers x units stack.

    Args:
        cell: lstm, gru or rnn.
        units: Units per layer of the stack.
        layers: Layers of the stack.
        n_features: Features per time step.
        horizon: Forecast steps (Dense width).

    Returns:
        The width; on a tie between two widths, the smaller.
    """
    check_choice("cell", cell, tuple(KERAS_LAYERS))
    for name, value in (("units", units), ("layers", layers), ("n_features", n_features)):
        check_int(name, value)
    check_int("horizon", horizon)
    # imported here: the closed-form counts live beside the torch network
    from lstmsizer.models import keras_parameter_count

    def count(width: int) -> int:
        return keras_parameter_count(cell, width, 1, n_features, horizon)

    target = keras_parameter_count(cell, units, layers, n_features, horizon)
    # one layer's count is a*w^2 + b*w + c exactly: read a, b, c off three widths
    f1, f2, f3 = count(1), count(2), count(3)
    a = (f3 - 2 * f2 + f1) / 2
    b = f2 - f1 - 3 * a
    c = f1 - a - b
    root = (-b + math.sqrt(max(b * b - 4 * a * (c - target), 0.0))) / (2 * a)
    guess = math.floor(root)
    candidates = range(max(1, guess - 1), max(1, guess + 2) + 1)
    return min(candidates, key=lambda w: (abs(count(w) - target), w))
