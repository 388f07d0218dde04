"""One configuration's runs on one fold: every seed at every candidate rate, and the rate kept."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence

from lstmsizer.config import TrainSpec, named
from lstmsizer.datasets import Dataset
from lstmsizer.evaluation import score_forecaster
from lstmsizer.forecaster import LSTMForecaster
from lstmsizer.panel import Panel
from lstmsizer.panelsplits import PanelSplit
from lstmsizer.seeds import batching_choice, fit_folds, fit_seeds, fit_seeds_panel
from lstmsizer.splits import Split
from lstmsizer.sweeping.plan import Configuration, SweepSpec
from lstmsizer.sweepspec import LR_CANDIDATES

Run = tuple[dict[str, object], LSTMForecaster]
"""One trained (configuration, seed, fold, rate): its result row and its forecaster."""


def train_run(
    config: Configuration,
    spec: SweepSpec,
    dataset: Dataset | Panel,
    split: Split | PanelSplit,
    fold: int,
    seed: int,
    lr: float | None = None,
) -> tuple[dict[str, object], LSTMForecaster]:
    """Train one (configuration, seed, fold) and score it on the fold's validation block."""
    train = _train_spec(config, spec, seed, lr)
    model = LSTMForecaster(spec.window, config.model, train, scaling=spec.split.scaling)
    return _row(config, model, dataset, split, fold, fitted=False), model


def _train_spec(config: Configuration, spec: SweepSpec, seed: int, lr: float | None) -> TrainSpec:
    train = spec.train.train_spec(seed, **config.train_changes())
    return train if lr is None else dataclasses.replace(train, lr=lr)


def _fit_together(
    config: Configuration,
    spec: SweepSpec,
    dataset: Dataset | Panel,
    split: Split | PanelSplit,
    train: TrainSpec,
    seeds: Sequence[int],
    lrs: Sequence[float] | None,
) -> list[LSTMForecaster]:
    if isinstance(dataset, Panel):
        assert isinstance(split, PanelSplit)
        return fit_seeds_panel(
            spec.window, config.model, train, seeds, dataset, split,
            scaling=spec.split.scaling, lrs=lrs,
        )  # fmt: skip
    assert isinstance(split, Split)
    y = dataset.values[: split.n]
    X = dataset.features[: split.n] if dataset.features.shape[1] else None
    model = config.model
    end = split.train_end
    return fit_seeds(
        spec.window, model, train, seeds, y, X, train_end=end, scaling=spec.split.scaling, lrs=lrs
    )


def candidate_rates(config: Configuration, spec: SweepSpec) -> tuple[float, ...]:
    """The rates a configuration tries: LR_CANDIDATES under --lr auto, else its one rate."""
    if config.lr is not None:
        return (float(config.lr),)
    return LR_CANDIDATES if spec.train.lr == "auto" else (float(spec.train.lr),)


def runs_at_best_rate(
    config: Configuration,
    spec: SweepSpec,
    dataset: Dataset | Panel,
    split: Split | PanelSplit,
    fold: int,
    rates: Sequence[float],
) -> tuple[list[Run], float, list[dict[str, object]]]:
    """Every seed at every rate on one fold, and the runs of the rate choose_rate picks.

    They train together as one batched network where that measured faster
    (seeds.batching_pays), else one after another.

    Returns:
        The chosen rate's runs (row and fitted model per seed), the rate, and the lr_search
        rows (empty for one rate: every fold after the first trains at the chosen one).
    """
    seeds = spec.seed_list()
    batched = batching_choice(config.model, spec.train.batching).batched
    if len(seeds) * len(rates) > 1 and batched:
        members = [s for _ in rates for s in seeds]
        lrs = [r for r in rates for _ in seeds]
        train = _train_spec(config, spec, seeds[0], None)
        start = time.perf_counter()
        models = _fit_together(config, spec, dataset, split, train, members, lrs)
        share = (time.perf_counter() - start) / len(models)
        runs = _batched_runs(config, dataset, split, fold, models, share)
    else:
        runs = [train_run(config, spec, dataset, split, fold, s, r) for r in rates for s in seeds]
    per_rate = [runs[k * len(seeds) : (k + 1) * len(seeds)] for k in range(len(rates))]
    chosen, lr_search = choose_rate(config, rates, per_rate) if fold == 0 else (0, [])
    return per_rate[chosen], rates[chosen], lr_search


def later_folds(
    config: Configuration,
    spec: SweepSpec,
    dataset: Dataset | Panel,
    folds: Sequence[Split | PanelSplit],
    lr: float,
) -> dict[int, list[Run]]:
    """The runs of every fold after the first at rate lr, trained as one network of seeds x
    folds (seeds.fit_folds) where batching pays and at least two folds follow the first.

    The group is always those folds, also when a resumed trial has stored some of them, so
    that a resumed trial trains exactly the network an uninterrupted one did. Each run is
    charged an equal share of the training's seconds.

    Returns:
        Each later fold's runs (one per seed, in seed order) by fold index; empty where the
        folds train one by one.
    """
    if len(folds) < 3 or not batching_choice(config.model, spec.train.batching).batched:
        return {}
    if isinstance(dataset, Panel):  # padding each fold's windows would copy every window
        return {}
    seeds, later = spec.seed_list(), folds[1:]
    n = max(split.n for split in later)
    y = dataset.values[:n]
    X = dataset.features[:n] if dataset.features.shape[1] else None
    train = _train_spec(config, spec, seeds[0], lr)
    ends = [int(split.train_end) for split in later]
    start = time.perf_counter()
    fitted = fit_folds(
        spec.window, config.model, train, seeds, y, X, train_ends=ends, scaling=spec.split.scaling
    )
    share = (time.perf_counter() - start) / (len(seeds) * len(later))
    return {
        fold: _batched_runs(config, dataset, split, fold, models, share)
        for fold, (split, models) in enumerate(zip(later, fitted, strict=True), start=1)
    }


def _batched_runs(
    config: Configuration,
    dataset: Dataset | Panel,
    split: Split | PanelSplit,
    fold: int,
    models: list[LSTMForecaster],
    share: float,
) -> list[Run]:
    """Rows of models trained together, each charged share seconds of that training."""
    runs = []
    for model in models:
        row = _row(config, model, dataset, split, fold, fitted=True)
        row["seconds"] = float(row["seconds"]) + share  # type: ignore[arg-type]
        runs.append((row, model))
    return runs


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
    dataset: Dataset | Panel,
    split: Split | PanelSplit,
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
        **named(config.model, ("cell", "units", "layers", "activation", "dropout")),
        lr=model.train.lr,
        batch_size=model.train.batch_size,
        parameters=model.num_parameters(),
        seed=model.train.seed,
        fold=fold,
        train_end=split.train_end if isinstance(split, Split) else int(split.train_end.max()),
        **named(history, ("epochs", "epoch_cap")),
        best_epoch=best,
        **named(history, ("stop", "converged", "under_trained", "restarts", "init_seed", "stuck")),
        train_loss=history.train_loss[best],
        val_loss=history.val_loss[best] if history.val_loss else math.nan,
        trivial_loss=history.trivial_loss,
        stop_windows=model.stop_block_.stop,
        threads=history.threads,
        device=history.device,
        precision=history.precision,
        batched=fitted,
    )
    if not math.isfinite(history.train_loss[-1]):
        row["error"] = "training loss became NaN or infinite"
    return row
