"""Sweep results to a recommendation: the one-standard-error rule, baselines, code to copy."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from lstmsizer.codegen import KERAS_LAYERS, config_label, keras_code, pytorch_code
from lstmsizer.errors import DataError, check_choice, check_int

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


def summarize(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per configuration: mean and standard error over its seeds x folds.

    Args:
        runs: One row per trained model with config, cell, units, layers, activation,
            parameters, epochs, train_loss, val_loss, mae, rmse, mase, smape, seconds; other
            columns are ignored. A row with NaN (or infinite) rmse is a failed run.

    Returns:
        config, cell, units, layers, activation, parameters, runs, failed, mean_rmse, se_rmse
        (sample std / sqrt(n) over the successful runs, 0 for one run, NaN for none),
        mean_mae, mean_mase, mean_smape, mean_train_loss, mean_val_loss, mean_epochs and
        seconds (total, failed runs included), sorted by (parameters, config).
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
        mean_rmse, se_rmse: Its validation RMSE over seeds x folds.
        best_config, best_mean_rmse, best_se_rmse: The configuration with the lowest mean RMSE.
        threshold: best_mean_rmse + best_se_rmse, the one-standard-error bound.
        baseline, baseline_rmse, baseline_se: The baseline with the lowest mean RMSE.
        lstm_needed: False when that baseline is within one standard error of the
            recommendation, or better.
        verdict: One plain sentence saying the above.
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
    best_config: str
    best_mean_rmse: float
    best_se_rmse: float
    threshold: float
    baseline: str
    baseline_rmse: float
    baseline_se: float
    lstm_needed: bool
    verdict: str
    keras_code: str
    pytorch_code: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return asdict(self)


def recommend(
    summary: pd.DataFrame,
    baseline_summary: pd.DataFrame,
    *,
    lags: int,
    n_features: int = 1,
    horizon: int = 1,
    dropout: float = 0.0,
) -> Recommendation:
    """Apply the one-standard-error rule and compare the result with the best baseline.

    The best configuration has the lowest mean RMSE; the recommendation is the one with the
    fewest parameters whose mean RMSE is at most the best mean plus the best's standard error
    (equal parameters: lower mean RMSE). Configurations whose runs all failed are ignored.

    Args:
        summary: The table from summarize.
        baseline_summary: The table from summarize_baselines, scored on the same folds.
        lags: Window length, for the generated code.
        n_features: Features per time step, for the generated code.
        horizon: Forecast steps, for the generated code.
        dropout: Dropout between stacked layers, for the generated code.

    Returns:
        The Recommendation.
    """
    _require(summary, ("config", *_DESCRIBE, "mean_rmse", "se_rmse"), "summary")
    _require(baseline_summary, ("model", "mean_rmse", "se_rmse"), "baseline_summary")
    ok = summary[np.isfinite(summary["mean_rmse"].to_numpy(dtype=float))]
    if ok.empty:
        got = f"{len(summary)} whose runs all failed (NaN RMSE)" if len(summary) else "none"
        raise DataError(
            f"summary must have at least one configuration with a successful run, got {got}"
        )
    bases = baseline_summary[np.isfinite(baseline_summary["mean_rmse"].to_numpy(dtype=float))]
    if bases.empty:
        raise DataError(
            f"baseline_summary must have at least one baseline with a finite mean_rmse, got "
            f"{len(baseline_summary)} baselines"
        )
    best = ok.sort_values(["mean_rmse", "parameters", "config"]).iloc[0]
    threshold = float(best["mean_rmse"] + best["se_rmse"])
    within = ok[ok["mean_rmse"] <= threshold]
    rec = within.sort_values(["parameters", "mean_rmse", "config"]).iloc[0]
    base = bases.sort_values(["mean_rmse", "model"]).iloc[0]
    lstm_needed = bool(base["mean_rmse"] > rec["mean_rmse"] + rec["se_rmse"])
    cell, activation = str(rec["cell"]), str(rec["activation"])
    units, layers = int(rec["units"]), int(rec["layers"])
    sizes = (lags, n_features, horizon, dropout)
    return Recommendation(
        config=str(rec["config"]),
        cell=cell,
        units=units,
        layers=layers,
        activation=activation,
        parameters=int(rec["parameters"]),
        mean_rmse=float(rec["mean_rmse"]),
        se_rmse=float(rec["se_rmse"]),
        best_config=str(best["config"]),
        best_mean_rmse=float(best["mean_rmse"]),
        best_se_rmse=float(best["se_rmse"]),
        threshold=threshold,
        baseline=str(base["model"]),
        baseline_rmse=float(base["mean_rmse"]),
        baseline_se=float(base["se_rmse"]),
        lstm_needed=lstm_needed,
        verdict=_verdict(rec, best, base, lstm_needed, set(ok["cell"])),
        keras_code=keras_code(cell, units, layers, activation, *sizes),
        pytorch_code=pytorch_code(cell, units, layers, activation, *sizes),
    )


def _decimals(value: float) -> int:
    # 3 significant digits: 16.9, 0.412, 1234
    if not math.isfinite(value) or value == 0:
        return 3
    return min(10, max(0, 2 - math.floor(math.log10(abs(value)))))


def _pm(mean: float, se: float, decimals: int) -> str:
    # the SE keeps at least one significant digit, so a small SE never prints as 0.0
    se_decimals = decimals if not se > 0 else max(decimals, -math.floor(math.log10(se)))
    return f"{mean:,.{decimals}f} ± {se:,.{min(se_decimals, 10)}f}"


def _verdict(
    rec: pd.Series, best: pd.Series, base: pd.Series, needed: bool, cells: set[str]
) -> str:
    label = config_label(str(rec["cell"]), int(rec["units"]), int(rec["layers"]), rec["activation"])
    d = _decimals(min(abs(float(rec["mean_rmse"])), abs(float(base["mean_rmse"]))))
    ours = _pm(float(rec["mean_rmse"]), float(rec["se_rmse"]), d)
    theirs = _pm(float(base["mean_rmse"]), float(base["se_rmse"]), d)
    if not needed:
        better = base["mean_rmse"] < rec["mean_rmse"] - rec["se_rmse"]
        network = "an LSTM" if cells == {"lstm"} else "a recurrent network"
        return (
            f"{base['model']} is {'better than' if better else 'as good as'} {label} "
            f"(RMSE {theirs} vs {ours}): {network} is not needed here."
        )
    head = f"{label} beats the best baseline, {base['model']} (RMSE {ours} vs {theirs})"
    if best["config"] == rec["config"]:
        return f"{head}; it is the best configuration swept."
    top = config_label(
        str(best["cell"]), int(best["units"]), int(best["layers"]), best["activation"]
    )
    top_rmse = _pm(float(best["mean_rmse"]), float(best["se_rmse"]), d)
    return (
        f"{head}; it is the smallest model within one standard error of the best "
        f"({top}, {top_rmse})."
    )


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
