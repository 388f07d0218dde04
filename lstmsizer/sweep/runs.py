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
from lstmsizer.evaluation import score_forecaster
from lstmsizer.forecaster import LSTMForecaster
from lstmsizer.splits import Split
from lstmsizer.sweep.plan import Configuration, SweepSpec

RunCallback = Callable[[int, dict[str, object]], None]
"""Called after each run with (run index, row); may raise optuna.TrialPruned."""


def environment() -> dict[str, object]:
    """Versions and hardware recorded with every result."""
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {
        "lstmsizer": __version__,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "cpu": platform.processor() or platform.machine(),
        "gpu": gpu,
    }


def train_run(
    config: Configuration, spec: SweepSpec, dataset: Dataset, split: Split, fold: int, seed: int
) -> tuple[dict[str, object], LSTMForecaster]:
    """Train one (configuration, seed, fold) and score it on the fold's validation block."""
    train = spec.train_spec(seed, **config.train_changes())
    model = LSTMForecaster(spec.window, config.model_spec(), train, scaling=spec.scaling)
    row = score_forecaster(model, dataset, split)
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
        lr=train.lr,
        batch_size=train.batch_size,
        parameters=model.num_parameters(),
        seed=seed,
        fold=fold,
        train_end=split.train_end,
        epochs=history.epochs,
        best_epoch=best,
        train_loss=history.train_loss[best],
        val_loss=history.val_loss[best] if history.val_loss else math.nan,
        threads=history.threads,
        device=history.device,
    )
    if not math.isfinite(history.train_loss[-1]):
        row["error"] = "training loss became NaN or infinite"
    return row, model


def train_configuration(
    config: Configuration,
    spec: SweepSpec,
    dataset: Dataset,
    folds: Sequence[Split],
    callback: RunCallback | None = None,
) -> list[dict[str, object]]:
    """Every seed on every fold of one configuration, as result rows."""
    rows: list[dict[str, object]] = []
    for fold, split in enumerate(folds):
        for seed in spec.seed_list():
            row, _ = train_run(config, spec, dataset, split, fold, seed)
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
