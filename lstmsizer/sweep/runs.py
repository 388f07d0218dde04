"""Train one configuration over seeds x folds, and score the baselines on the same folds."""

from __future__ import annotations

import dataclasses
import math
import platform
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

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
from lstmsizer.version import __version__

Run = tuple[dict[str, object], LSTMForecaster]
"""One trained (configuration, seed, fold, rate): its result row and its forecaster."""

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
        resumed: Folds taken from an interrupted trial instead of trained again.
    """

    rows: list[dict[str, object]] = field(default_factory=list)
    lr: float = math.nan
    lr_search: list[dict[str, object]] = field(default_factory=list)
    curve: dict[str, list[float]] = field(default_factory=dict)
    resumed: list[int] = field(default_factory=list)


@dataclass
class FoldRuns:
    """One fold's finished runs, stored as soon as the fold ends so that an interrupted trial
    keeps them: a fold's seeds (and rates) train together, so the fold is the unit of work.

    Attributes:
        rows: One result row per seed, in seed order, at the fold's rate.
        lr: The rate of the rows: on the first fold the one chosen under --lr auto.
        lr_search: First fold only: one row per candidate rate (empty when the rate was given).
        curve: Last fold only: per-epoch losses and rates of the first seed's run.
    """

    rows: list[dict[str, object]]
    lr: float
    lr_search: list[dict[str, object]] = field(default_factory=list)
    curve: dict[str, list[float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready values, as stored in a trial's user attributes."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FoldRuns:
        """The record to_dict wrote."""
        return cls(
            rows=[dict(r) for r in data["rows"]],
            lr=float(data["lr"]),
            lr_search=[dict(r) for r in data.get("lr_search", [])],
            curve={k: list(v) for k, v in data.get("curve", {}).items()},
        )


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


def candidate_rates(config: Configuration, spec: SweepSpec) -> tuple[float, ...]:
    """The rates a configuration tries: LR_CANDIDATES under --lr auto, else its one rate."""
    if config.lr is not None:
        return (float(config.lr),)
    return LR_CANDIDATES if spec.lr == "auto" else (float(spec.lr),)


def fold_runs(
    config: Configuration,
    spec: SweepSpec,
    dataset: Dataset,
    split: Split,
    fold: int,
    rates: Sequence[float],
) -> list[list[Run]]:
    """Every seed at every rate on one fold: for each rate, its runs in seed order.

    They train together as one batched network where that measured faster
    (ensemble.batching_pays), else one after another.
    """
    seeds = spec.seed_list()
    if len(seeds) * len(rates) > 1 and batching_pays(config.cell, config.units, config.activation):
        members = [s for _ in rates for s in seeds]
        lrs = [r for r in rates for _ in seeds]
        train = _train_spec(config, spec, seeds[0], None)
        start = time.perf_counter()
        models = _fit_together(config, spec, dataset, split, train, members, lrs)
        share = (time.perf_counter() - start) / len(models)
        runs = []
        for model in models:
            row = _row(config, model, dataset, split, fold, fitted=True)
            row["seconds"] = float(row["seconds"]) + share  # type: ignore[arg-type]
            runs.append((row, model))
    else:
        runs = [train_run(config, spec, dataset, split, fold, s, r) for r in rates for s in seeds]
    return [runs[k * len(seeds) : (k + 1) * len(seeds)] for k in range(len(rates))]


def choose_rate(
    config: Configuration, rates: Sequence[float], per_rate: list[list[Run]]
) -> tuple[int, list[dict[str, object]]]:
    """The rate whose runs have the lowest mean loss on their early-stopping blocks.

    A mean over every seed, not one seed's loss: a rate that trains well for one seed and
    fails for another (measured on sunspots: 1e-2 for a 2-layer LSTM(256)) must lose. A run
    with no finite loss counts as infinitely bad. Ties go to the lower rate.

    Returns:
        The index of the chosen rate and one lr_search row per rate (empty for one rate).
    """
    means = []
    for runs in per_rate:
        losses = [_monitored(model) for _, model in runs]
        means.append(sum(losses) / len(losses))
    best = min(range(len(rates)), key=lambda k: (means[k], k))
    if len(rates) == 1:
        return 0, []
    rows: list[dict[str, object]] = []
    for k, (rate, runs) in enumerate(zip(rates, per_rate, strict=True)):
        histories = [model.history_ for _, model in runs if model.history_ is not None]
        epochs = sorted(h.epochs for h in histories)
        seconds = [row["seconds"] for row, _ in runs]
        rows.append(
            {
                "config": config.id,
                "lr": rate,
                "val_loss": means[k] if math.isfinite(means[k]) else math.nan,
                "epochs": epochs[len(epochs) // 2],
                "restarts": sum(h.restarts for h in histories),
                "seconds": sum(float(t) for t in seconds if isinstance(t, (int, float))),
                "chosen": k == best,
            }
        )
    return best, rows


def _monitored(model: LSTMForecaster) -> float:
    loss = model.history_.monitored if model.history_ is not None else math.nan
    return loss if math.isfinite(loss) else math.inf


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
    done: Mapping[int, FoldRuns] | None = None,
    on_fold: Callable[[int, FoldRuns], None] | None = None,
) -> Trained:
    """Every seed on every fold of one configuration, its learning rate chosen on the first.

    Under --lr auto the first fold trains every seed at every rate of LR_CANDIDATES with the
    full protocol; the rate with the lowest mean loss on the early-stopping blocks (never on
    the validation block) is the configuration's rate, and its runs are the first fold's
    runs. The other folds train at that rate. Warnings about thin data are said once by the
    sweep, not by every run.

    Args:
        done: Folds an interrupted trial of the same configuration finished; the leading
            ones (0, 1, ...) are taken as they are, rate included, and only the rest train.
            Runs are seeded, so the result equals one uninterrupted training.
        on_fold: Called with each fold trained here as soon as it ends, to store it.
    """
    out = Trained()
    rates = candidate_rates(config, spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ThinDataWarning)
        for fold, split in enumerate(folds):
            part = (done or {}).get(fold) if len(out.resumed) == fold else None
            if part is None:
                last = fold == len(folds) - 1
                tried = rates if fold == 0 else (out.lr,)
                part = train_fold(config, spec, dataset, split, fold, tried, last=last)
                if on_fold is not None:
                    on_fold(fold, part)
            else:
                out.resumed.append(fold)
            if fold == 0:
                out.lr, out.lr_search = part.lr, part.lr_search
            out.curve = part.curve or out.curve
            for row in part.rows:
                out.rows.append(row)
                if callback is not None:
                    callback(len(out.rows) - 1, row)
    return out


def train_fold(
    config: Configuration,
    spec: SweepSpec,
    dataset: Dataset,
    split: Split,
    fold: int,
    rates: Sequence[float],
    *,
    last: bool,
) -> FoldRuns:
    """One fold's runs: every seed at every rate, the best rate chosen on the first fold."""
    runs, rate, lr_search = runs_at_best_rate(config, spec, dataset, split, fold, rates)
    history = next((model.history_ for _, model in runs if model.history_ is not None), None)
    curve = curve_of(history) if last and history is not None else {}
    return FoldRuns([row for row, _ in runs], rate, lr_search, curve)


def runs_at_best_rate(
    config: Configuration,
    spec: SweepSpec,
    dataset: Dataset,
    split: Split,
    fold: int,
    rates: Sequence[float],
) -> tuple[list[Run], float, list[dict[str, object]]]:
    """Every seed at every rate on one fold, and the runs of the rate choose_rate picks.

    Returns:
        The chosen rate's runs (row and fitted model per seed), the rate, and the lr_search
        rows (empty for one rate: every fold after the first trains at the chosen one).
    """
    per_rate = fold_runs(config, spec, dataset, split, fold, rates)
    chosen, lr_search = choose_rate(config, rates, per_rate) if fold == 0 else (0, [])
    return per_rate[chosen], rates[chosen], lr_search


def score_baselines(
    spec: SweepSpec,
    dataset: Dataset,
    splits: Sequence[Split],
    progress: bool | None = None,
) -> list[dict[str, object]]:
    """Every baseline fitted on each split's training part and scored on its validation.

    Args:
        progress: A "baselines" bar on stderr, one step per baseline and split; None shows
            it when stderr is a terminal.
    """
    from lstmsizer.progress import progress_bar

    rows: list[dict[str, object]] = []
    total = len(splits) * len(default_baselines(spec.lags, spec.horizon))
    with progress_bar("baselines", total, progress) as ticker:
        for fold, split in enumerate(splits):
            for baseline in default_baselines(spec.lags, spec.horizon):
                # The label before fitting names the family ("ARIMA"); the fitted one names
                # the order chosen on this fold ("ARIMA(2,1,1)"), which may differ by fold.
                family = baseline.name
                start = time.perf_counter()
                row = score_forecaster(baseline, dataset, split)
                row.update(model=family, fitted=row["model"], fold=fold)
                row["seconds"] = time.perf_counter() - start
                rows.append(row)
                ticker.advance(f"{row['fitted']}, split {fold + 1} of {len(splits)}")
    return rows
