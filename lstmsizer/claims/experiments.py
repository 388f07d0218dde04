"""One small experiment per forum claim, each returning the claim with its measured verdict."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lstmsizer.baselines import LinearAR
from lstmsizer.claims import rules
from lstmsizer.claims.result import Claim, Settings
from lstmsizer.codegen import config_label
from lstmsizer.config import ModelSpec, TrainSpec, WindowSpec
from lstmsizer.datasets import Dataset, get
from lstmsizer.diagnostics import deep_vs_wide, memory_length, model_gradients
from lstmsizer.diagnostics.result import plain
from lstmsizer.forecaster import LSTMForecaster, fit_seeds
from lstmsizer.speed import measure_speed
from lstmsizer.splits import Split, train_val_split
from lstmsizer.sweep import SweepResult, SweepSpec, sweep

VAL_FRACTION = 0.2

MEMORY = "more units for longer windows"
SPEED = "multiples of 32 are faster"
GRADIENTS = "wide layers make gradients vanish"
DEPTH = "3 x 128 beats 1 x 512"
LINEAR_UNIT = "one unit is a linear regressor"
LINEAR_SERIES = "a linear series needs no LSTM"


@dataclass(frozen=True)
class Context:
    """What every experiment reads: the data, the window, the seed, the sizes, a work folder."""

    dataset: Dataset
    lags: int
    seed: int
    settings: Settings
    workdir: Path

    @property
    def split(self) -> Split:
        """The last VAL_FRACTION of the data held out, as `lstmsizer fit` does."""
        return train_val_split(len(self.dataset), WindowSpec(self.lags), VAL_FRACTION)

    @property
    def features(self) -> NDArray[np.float64] | None:
        """The extra input columns, or None for a univariate series."""
        return self.dataset.features if self.dataset.features.shape[1] else None


def _claim(claim: str, verdict: rules.Verdict, numbers: dict[str, Any]) -> Claim:
    return Claim(claim, verdict[0], verdict[1], plain(numbers))


def more_units_for_longer_windows(ctx: Context) -> Claim:
    """The delay task: does the smallest width that recalls x[t - d] grow with d?"""
    s = ctx.settings
    found = memory_length(
        lags=s.memory_lags,
        delays=s.memory_delays,
        units=s.memory_units,
        n=s.memory_n,
        epochs=s.memory_epochs,
        seeds=s.memory_seeds,
        data_seed=ctx.seed,
    )
    verdict = rules.memory_verdict(
        found.delays, found.smallest_units, found.correlation, found.units, found.target_rmse
    )
    keep = ("lags", "delays", "units", "smallest_units", "correlation", "monotone")
    numbers = {k: getattr(found, k) for k in (*keep, "target_rmse", "n", "epochs", "seeds")}
    numbers["rmse"] = [[r.d, r.units, r.seed, r.rmse] for r in found.runs]
    return _claim(MEMORY, verdict, numbers)


def multiples_of_32_are_faster(ctx: Context) -> Claim:
    """Training step time per FLOP of 96, 127, 128, 129 units against their neighbours."""
    s = ctx.settings
    features = 1 + ctx.dataset.features.shape[1]
    found = measure_speed(
        s.speed_units, lags=ctx.lags, features=features, repeats=s.speed_repeats, warmup=1
    )
    numbers = {
        "device": found.device_name,
        "threads": found.threads,
        "lags": found.lags,
        "batch_size": found.batch_size,
        "repeats": found.repeats,
        "step_ms": {row.units: row.step_ms for row in found.rows},
        "comparisons": found.comparisons,
    }
    return _claim(SPEED, rules.speed_verdict(found.comparisons), numbers)


def wide_layers_make_gradients_vanish(ctx: Context) -> Claim:
    """Oldest/newest input saliency of a narrow and a wide LSTM, at init and briefly trained."""
    s, split, X = ctx.settings, ctx.split, ctx.features
    y = ctx.dataset.values
    train = TrainSpec(epochs=s.gradient_epochs, lr=s.lr, seed=ctx.seed, progress=False)
    ratios: dict[str, dict[str, float]] = {}
    for units in s.gradient_units:
        model = LSTMForecaster(WindowSpec(ctx.lags), ModelSpec(units=units), train)
        model.fit(y, X, train_end=split.train_end)
        init = model_gradients(model, y, split.val_origins, X, at_init=True)
        trained = model_gradients(model, y, split.val_origins, X)
        ratios[str(units)] = {"init": init.saliency_ratio, "trained": trained.saliency_ratio}
    narrow, wide = (ratios[str(u)] for u in s.gradient_units)
    verdict = rules.gradients_verdict(
        *s.gradient_units, narrow["init"], wide["init"], narrow["trained"], wide["trained"]
    )
    numbers = {"units": s.gradient_units, "saliency_ratio": ratios, "epochs": s.gradient_epochs}
    return _claim(GRADIENTS, verdict, numbers)


def _small_sweep(ctx: Context, data: Dataset, folder: str, **grid: Any) -> SweepResult:
    s = ctx.settings
    spec = SweepSpec(
        lags=ctx.lags, seeds=s.seeds, folds=s.folds, epochs=s.epochs, seed=ctx.seed, **grid
    )
    return sweep(data, spec=spec, out=ctx.workdir / folder, workers=1, progress=False)


def stacking_beats_width(ctx: Context) -> Claim:
    """A scaled-down 3 x 128 against one layer of the same parameter budget, over seeds x folds."""
    s = ctx.settings
    found = _small_sweep(
        ctx, ctx.dataset, "deep-vs-wide", units=(s.depth_units,), layers=(s.depth_layers,)
    )
    pairs = deep_vs_wide(found.table).pairs
    if not pairs:
        return _claim(DEPTH, (rules.INCONCLUSIVE, "no equal-budget pair was trained"), {})
    p = pairs[0]
    deep = config_label("lstm", p.deep_units, p.deep_layers)
    wide = config_label("lstm", p.wide_units)
    verdict = rules.depth_verdict(
        deep, p.deep_mean_rmse, p.deep_se_rmse, wide, p.wide_mean_rmse, p.wide_se_rmse
    )
    numbers = {**p.to_dict(), "seeds": s.seeds, "folds": s.folds, "epochs": s.epochs}
    return _claim(DEPTH, verdict, numbers)


def _correlation(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    if a.size < 2 or np.std(a) == 0 or np.std(b) == 0 or not np.isfinite(a).all():
        return math.nan
    return float(np.corrcoef(a, b)[0, 1])


def one_unit_is_linear(ctx: Context) -> Claim:
    """LSTM(1) against linear AR on the same lags of the target alone, over seeds."""
    s, split, y = ctx.settings, ctx.split, ctx.dataset.values
    seeds = [ctx.seed + k for k in range(s.seeds)]
    # the sweep's protocol: early stopping on the end of the training part, lr cuts, restarts
    train = SweepSpec(lags=ctx.lags, epochs=s.epochs, lr=s.lr).train_spec(ctx.seed)
    window = WindowSpec(ctx.lags)
    models = fit_seeds(window, ModelSpec(units=1), train, seeds, y, train_end=split.train_end)
    origins, target = split.val_origins, y[split.val_origins]
    ar = LinearAR(ctx.lags).fit(y, train_end=split.train_end).predict(y, origins)[:, 0]
    preds = [m.predict(y, origins)[:, 0] for m in models]
    rmse = np.array([np.sqrt(np.mean((p - target) ** 2)) for p in preds])
    se = float(rmse.std(ddof=1) / np.sqrt(rmse.size)) if rmse.size > 1 else 0.0
    correlation = float(np.mean([_correlation(p, ar) for p in preds]))
    ar_rmse = float(np.sqrt(np.mean((ar - target) ** 2)))
    verdict = rules.linear_unit_verdict(float(rmse.mean()), se, ar_rmse, correlation)
    numbers = {
        "lstm_rmse": rmse.mean(),
        "lstm_se": se,
        "lstm_rmse_per_seed": rmse,
        "linear_ar_rmse": ar_rmse,
        "correlation": correlation,
        "seeds": seeds,
        "epochs": [m.history_.epochs if m.history_ else 0 for m in models],
        "under_trained": sum(bool(m.history_ and m.history_.under_trained) for m in models),
    }
    return _claim(LINEAR_UNIT, verdict, numbers)


def linear_series_needs_no_lstm(ctx: Context) -> Claim:
    """A small units sweep on the `ar` generator: does it recommend a baseline?"""
    s = ctx.settings
    data = get("ar", n=s.linear_n, seed=ctx.seed)
    found = _small_sweep(ctx, data, "linear-series", units=s.linear_units, layers=(1,))
    rec = found.recommendation
    label = config_label(rec.cell, rec.units, rec.layers, rec.activation)
    verdict = rules.linear_series_verdict(
        rec.lstm_needed, label, rec.mean_rmse, rec.baseline, rec.baseline_rmse
    )
    numbers = {
        "recommended": rec.config,
        "lstm_rmse": rec.mean_rmse,
        "lstm_se": rec.se_rmse,
        "baseline": rec.baseline,
        "baseline_rmse": rec.baseline_rmse,
        "baseline_se": rec.baseline_se,
        "lstm_needed": rec.lstm_needed,
        "units": s.linear_units,
        "n": s.linear_n,
    }
    return _claim(LINEAR_SERIES, verdict, numbers)
