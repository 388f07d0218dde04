"""Train one configuration over seeds x folds, and score the baselines on the same folds."""

from __future__ import annotations

import math
import platform
import time
from collections.abc import Callable, Sequence

import torch

from lstmsizer import __version__
from lstmsizer.baselines import default_baselines
from lstmsizer.datasets import Dataset
from lstmsizer.ensemble import batching_pays
from lstmsizer.evaluation import score_forecaster
from lstmsizer.forecaster import LSTMForecaster, fit_seeds
from lstmsizer.splits import Split
from lstmsizer.sweep.plan import Configuration, SweepSpec
from lstmsizer.training import device_name

RunCallback = Callable[[int, dict[str, object]], None]
"""Called after each run with (run index, row); may raise optuna.TrialPruned."""


def environment() -> dict[str, object]:
    """Versions and hardware recorded with every result."""
    gpu = device_name(torch.device("cuda")) if torch.cuda.is_available() else None
    return {
        "lstmsizer": __version__,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "cpu": device_name(torch.device("cpu")),
        "gpu": gpu,
    }


def train_run(
    config: Configuration, spec: SweepSpec, dataset: Dataset, split: Split, fold: int, seed: int
) -> tuple[dict[str, object], LSTMForecaster]:
    """Train one (configuration, seed, fold) and score it on the fold's validation block."""
    train = spec.train_spec(seed, **config.train_changes())
    model = LSTMForecaster(spec.window, config.model_spec(), train, scaling=spec.scaling)
    return _row(config, model, dataset, split, fold, fitted=False), model


def train_seeds(
    config: Configuration, spec: SweepSpec, dataset: Dataset, split: Split, fold: int
) -> list[tuple[dict[str, object], LSTMForecaster]]:
    """Every seed of one configuration on one fold, trained together as one batched net."""
    seeds = spec.seed_list()
    train = spec.train_spec(seeds[0], **config.train_changes())
    y = dataset.values[: split.n]
    X = dataset.features[: split.n] if dataset.features.shape[1] else None
    start = time.perf_counter()
    models = fit_seeds(
        spec.window,
        config.model_spec(),
        train,
        seeds,
        y,
        X,
        train_end=split.train_end,
        scaling=spec.scaling,
    )
    share = (time.perf_counter() - start) / len(seeds)
    out = []
    for model in models:
        row = _row(config, model, dataset, split, fold, fitted=True)
        row["seconds"] = float(row["seconds"]) + share  # type: ignore[arg-type]
        out.append((row, model))
    return out


def _row(
    config: Configuration,
    model: LSTMForecaster,
    dataset: Dataset,
    split: Split,
    fold: int,
    *,
    fitted: bool,
) -> dict[str, object]:
    """Fit (unless fitted) and score, then describe the run as one result row."""
    row = score_forecaster(model, dataset, split, fitted=fitted)
    history = model.history_
    assert history is not None
    best = max(history.best_epoch, 0)
    row.update(
        config=config.id,
        cell=config.cell,
        units=config.units,
        layers=config.layers,
        activation=config.activation,
        dropout=config.dropout,
        lr=model.train.lr,
        batch_size=model.train.batch_size,
        parameters=model.num_parameters(),
        seed=model.train.seed,
        fold=fold,
        train_end=split.train_end,
        epochs=history.epochs,
        best_epoch=best,
        train_loss=history.train_loss[best],
        val_loss=history.val_loss[best] if history.val_loss else math.nan,
        threads=history.threads,
        device=history.device,
        batched=fitted,
    )
    if not math.isfinite(history.train_loss[-1]):
        row["error"] = "training loss became NaN or infinite"
    return row


def train_configuration(
    config: Configuration,
    spec: SweepSpec,
    dataset: Dataset,
    folds: Sequence[Split],
    callback: RunCallback | None = None,
) -> list[dict[str, object]]:
    """Every seed on every fold of one configuration, as result rows.

    The seeds of a fold train together as one batched network where that measured faster
    (ensemble.batching_pays), else one after another.
    """
    rows: list[dict[str, object]] = []
    together = spec.seeds > 1 and batching_pays(config.cell, config.units, config.activation)
    for fold, split in enumerate(folds):
        if together:
            runs = [row for row, _ in train_seeds(config, spec, dataset, split, fold)]
        else:
            runs = [train_run(config, spec, dataset, split, fold, s)[0] for s in spec.seed_list()]
        for row in runs:
            rows.append(row)
            if callback is not None:
                callback(len(rows) - 1, row)
    return rows


def score_baselines(
    spec: SweepSpec, dataset: Dataset, splits: Sequence[Split]
) -> list[dict[str, object]]:
    """Every baseline fitted on each split's training part and scored on its validation."""
    rows: list[dict[str, object]] = []
    for fold, split in enumerate(splits):
        for baseline in default_baselines(spec.lags, spec.horizon):
            # The label before fitting names the family ("ARIMA"); the fitted one names the
            # order chosen on this fold ("ARIMA(2,1,1)"), which may differ between folds.
            family = baseline.name
            start = time.perf_counter()
            row = score_forecaster(baseline, dataset, split)
            row.update(model=family, fitted=row["model"], fold=fold)
            row["seconds"] = time.perf_counter() - start
            rows.append(row)
    return rows
