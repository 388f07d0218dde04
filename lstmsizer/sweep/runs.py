"""Train one configuration over seeds x folds, and score the baselines on the same folds."""

from __future__ import annotations

import dataclasses
import math
import platform
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch

from lstmsizer import __version__
from lstmsizer.baselines import default_baselines
from lstmsizer.config import TrainSpec
from lstmsizer.datasets import Dataset
from lstmsizer.ensemble import batching_pays
from lstmsizer.evaluation import score_forecaster
from lstmsizer.forecaster import LSTMForecaster, fit_seeds
from lstmsizer.holdout import ThinDataWarning
from lstmsizer.splits import Split
from lstmsizer.sweep.plan import LR_CANDIDATES, Configuration, SweepSpec
from lstmsizer.training import History, device_name

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


@dataclass
class Trained:
    """What training one configuration produced besides its result rows.

    Attributes:
        rows: One result row per (seed, fold) run.
        lr: The learning rate every run used.
        lr_search: One row per candidate rate tried (empty when the rate was given).
        curve: Per-epoch losses and rates of the first seed's run on the last fold.
    """

    rows: list[dict[str, object]] = field(default_factory=list)
    lr: float = math.nan
    lr_search: list[dict[str, object]] = field(default_factory=list)
    curve: dict[str, list[float]] = field(default_factory=dict)


def train_run(
    config: Configuration,
    spec: SweepSpec,
    dataset: Dataset,
    split: Split,
    fold: int,
    seed: int,
    lr: float | None = None,
) -> tuple[dict[str, object], LSTMForecaster]:
    """Train one (configuration, seed, fold) and score it on the fold's validation block."""
    train = _train_spec(config, spec, seed, lr)
    model = LSTMForecaster(spec.window, config.model_spec(), train, scaling=spec.scaling)
    return _row(config, model, dataset, split, fold, fitted=False), model


def _train_spec(config: Configuration, spec: SweepSpec, seed: int, lr: float | None) -> TrainSpec:
    train = spec.train_spec(seed, **config.train_changes())
    return train if lr is None else dataclasses.replace(train, lr=lr)


def train_seeds(
    config: Configuration,
    spec: SweepSpec,
    dataset: Dataset,
    split: Split,
    fold: int,
    lr: float | None = None,
) -> list[tuple[dict[str, object], LSTMForecaster]]:
    """Every seed of one configuration on one fold, trained together as one batched net."""
    seeds = spec.seed_list()
    train = _train_spec(config, spec, seeds[0], lr)
    start = time.perf_counter()
    models = _fit_together(config, spec, dataset, split, train, seeds, None)
    share = (time.perf_counter() - start) / len(seeds)
    out = []
    for model in models:
        row = _row(config, model, dataset, split, fold, fitted=True)
        row["seconds"] = float(row["seconds"]) + share  # type: ignore[arg-type]
        out.append((row, model))
    return out


def _fit_together(
    config: Configuration,
    spec: SweepSpec,
    dataset: Dataset,
    split: Split,
    train: TrainSpec,
    seeds: Sequence[int],
    lrs: Sequence[float] | None,
) -> list[LSTMForecaster]:
    y = dataset.values[: split.n]
    X = dataset.features[: split.n] if dataset.features.shape[1] else None
    model = config.model_spec()
    end = split.train_end
    return fit_seeds(
        spec.window, model, train, seeds, y, X, train_end=end, scaling=spec.scaling, lrs=lrs
    )


def choose_lr(
    config: Configuration, spec: SweepSpec, dataset: Dataset, split: Split
) -> tuple[float, list[dict[str, object]]]:
    """The learning rate of a configuration, and the search that chose it.

    With lr "auto", the first seed trains at every rate of LR_CANDIDATES on the given
    (first) fold, under the full protocol; the rate with the lowest loss on the
    early-stopping block wins (the fold's validation block is not looked at). A searched or
    given rate is used as it is.
    """
    if config.lr is not None or spec.lr != "auto":
        return float(config.lr if config.lr is not None else spec.lr), []
    seed = spec.seed_list()[0]
    train = _train_spec(config, spec, seed, None)
    start, k = time.perf_counter(), len(LR_CANDIDATES)
    if batching_pays(config.cell, config.units, config.activation):
        models = _fit_together(config, spec, dataset, split, train, [seed] * k, LR_CANDIDATES)
        seconds = [(time.perf_counter() - start) / k] * k
    else:
        runs = [train_run(config, spec, dataset, split, 0, seed, lr) for lr in LR_CANDIDATES]
        models = [model for _, model in runs]
        seconds = [float(row["seconds"]) for row, _ in runs]  # type: ignore[arg-type]
    losses = []
    for model in models:
        assert model.history_ is not None
        loss = model.history_.monitored
        losses.append(loss if math.isfinite(loss) else math.inf)
    best = min(range(len(losses)), key=lambda k: (losses[k], k))
    rows: list[dict[str, object]] = [
        {
            "config": config.id,
            "lr": lr,
            "val_loss": loss if math.isfinite(loss) else math.nan,
            "epochs": model.history_.epochs if model.history_ else 0,
            "restarts": model.history_.restarts if model.history_ else 0,
            "seconds": took,
            "chosen": k == best,
        }
        for k, (lr, loss, model, took) in enumerate(
            zip(LR_CANDIDATES, losses, models, seconds, strict=True)
        )
    ]
    return LR_CANDIDATES[best], rows


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
    assert history is not None and model.stop_block_ is not None
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
        epoch_cap=history.epoch_cap,
        best_epoch=best,
        stop=history.stop,
        converged=history.converged,
        under_trained=history.under_trained,
        restarts=history.restarts,
        init_seed=history.init_seed,
        stuck=history.stuck,
        train_loss=history.train_loss[best],
        val_loss=history.val_loss[best] if history.val_loss else math.nan,
        trivial_loss=history.trivial_loss,
        stop_windows=model.stop_block_.stop,
        threads=history.threads,
        device=history.device,
        batched=fitted,
    )
    if not math.isfinite(history.train_loss[-1]):
        row["error"] = "training loss became NaN or infinite"
    return row


def curve_of(history: History) -> dict[str, list[float]]:
    """Per-epoch losses and learning rates of one run, for the report's curves."""
    return {"train_loss": history.train_loss, "val_loss": history.val_loss, "lr": history.lr}


def train_configuration(
    config: Configuration,
    spec: SweepSpec,
    dataset: Dataset,
    folds: Sequence[Split],
    callback: RunCallback | None = None,
) -> Trained:
    """Choose the learning rate, then train every seed on every fold of one configuration.

    The seeds of a fold train together as one batched network where that measured faster
    (ensemble.batching_pays), else one after another. Warnings about thin data are said
    once by the sweep, not by every run.
    """
    out = Trained()
    together = spec.seeds > 1 and batching_pays(config.cell, config.units, config.activation)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ThinDataWarning)
        out.lr, out.lr_search = choose_lr(config, spec, dataset, folds[0])
        for fold, split in enumerate(folds):
            if together:
                runs = train_seeds(config, spec, dataset, split, fold, out.lr)
            else:
                runs = [
                    train_run(config, spec, dataset, split, fold, s, out.lr)
                    for s in spec.seed_list()
                ]
            for row, model in runs:
                out.rows.append(row)
                if fold == len(folds) - 1 and not out.curve and model.history_ is not None:
                    out.curve = curve_of(model.history_)
                if callback is not None:
                    callback(len(out.rows) - 1, row)
    return out


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
