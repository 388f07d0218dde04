"""Run a sweep's trials: one Optuna trial per configuration, in one or several processes."""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import cast

import optuna
from optuna.trial import FrozenTrial, Trial, TrialState

from lstmsizer.baselines import BaselineFactory
from lstmsizer.config import Cell, ModelSpec
from lstmsizer.datasets import Dataset
from lstmsizer.errors import StorageError
from lstmsizer.panel import Panel, is_panel
from lstmsizer.panelsplits import panel_folds
from lstmsizer.sizes import keras_parameter_count
from lstmsizer.splits import Split, rolling_origin_folds
from lstmsizer.sweeping import processes, race
from lstmsizer.sweeping.folds import FoldRuns, train_configuration
from lstmsizer.sweeping.plan import Configuration, fingerprint
from lstmsizer.sweeping.storage import open_storage, quiet_optuna, storage_error, storage_guard
from lstmsizer.sweeping.study import (
    DUPLICATE,
    HOST,
    PARAM,
    REASON,
    RESUMED,
    PlanSampler,
    config_of,
    earlier_folds,
    fail_dead_local_trials,
    first_claim,
    fold_attr,
    open_study,
    quiet_interrupted_trials,
    remaining,
)
from lstmsizer.sweepspec import GridSpec, SearchSpec, SweepSpec

SEARCH_BATCH_SIZES = (16, 32, 64, 128)
STORAGE_EXIT = 3
"""Exit status of a worker process whose storage failed; the parent raises StorageError."""


class RunFailed(Exception):
    """Every run of a configuration failed for a reason re-running would not change."""


@dataclass
class Job:
    """What every worker process needs to take part in one sweep (picklable)."""

    spec: SweepSpec
    dataset: Dataset | Panel
    storage: str | None
    study: str
    run_dir: Path
    configs: dict[str, Configuration] = field(default_factory=dict)
    progress: bool | None = None  # the sweep's --progress, for the bars of the parent process
    baselines: BaselineFactory | None = None  # scored by the parent process, None: the default
    workers: int = 1  # processes of this call: a panel's baselines are fitted over as many

    @property
    def folds(self) -> tuple[list[Split], Split]:
        """Rolling-origin folds and the final test split (of every series, for a panel)."""
        window, split = self.spec.window, self.spec.split
        if is_panel(self.dataset):
            panel = cast(Panel, self.dataset)
            cut = panel_folds(panel, window, split.folds, split.test_fraction, split.align)
            return cast(tuple[list[Split], Split], cut)
        n = len(cast(Dataset, self.dataset))
        return rolling_origin_folds(n, window, split.folds, split.test_fraction)

    def largest_first(self) -> list[str]:
        """Configuration ids by parameter count, largest first."""
        features = 1 + self.dataset.features.shape[1]
        ids = self.dataset.n_series if isinstance(self.dataset, Panel) else 0

        def size(config: Configuration) -> int:
            return keras_parameter_count(config.model, self.spec.window, features, n_ids=ids)

        return [c.id for c in sorted(self.configs.values(), key=size, reverse=True)]

    def open(self, worker: int = 0) -> optuna.Study:
        """The shared study, with this sweep's sampler and pruner."""
        quiet_optuna()
        quiet_interrupted_trials()
        storage = open_storage(self.storage, self.run_dir)
        if self.spec.search == GridSpec.search:
            sampler: optuna.samplers.BaseSampler = PlanSampler(self.largest_first(), worker)
            pruner: optuna.pruners.BasePruner = optuna.pruners.NopPruner()
        else:
            sampler = optuna.samplers.TPESampler(seed=self.spec.seed + worker)
            # Wilcoxon's signed-rank test compares a trial with the best one run by run
            # (seed x fold), which suits averages over folds better than a median of steps.
            pruner = optuna.pruners.WilcoxonPruner(p_threshold=0.1)
        return open_study(
            storage, self.study, fingerprint(self.spec, self.dataset), sampler, pruner
        )


def suggest(trial: Trial, spec: SweepSpec) -> Configuration:
    """A configuration from the tpe search space."""
    layers = trial.suggest_int("layers", 1, 4)
    model = ModelSpec(
        cell=cast(Cell, trial.suggest_categorical("cell", list(spec.space.cells))),
        units=trial.suggest_int("units", 1, 1024, log=True),
        layers=layers,
        activation=spec.model.activation,
        dropout=trial.suggest_float("dropout", 0.0, 0.5) if layers > 1 else 0.0,
        init=spec.model.init,
        id_embedding=spec.model.id_embedding,
    )
    return Configuration(
        model,
        origin="search",
        lr=trial.suggest_float("lr", 1e-4, 1e-2, log=True),
        batch_size=int(trial.suggest_categorical("batch_size", list(SEARCH_BATCH_SIZES))),
    )


def objective(job: Job, study: optuna.Study) -> Callable[[Trial], float]:
    """Train one configuration over every seed x fold; the value is its mean RMSE (over
    the folds it ran when racing stopped it: see sweeping.race)."""
    folds, _ = job.folds

    def run(trial: Trial) -> float:
        trial.set_user_attr("host", HOST)
        trial.set_user_attr("pid", os.getpid())
        if job.spec.search == GridSpec.search:
            config = job.configs[str(trial.suggest_categorical(PARAM, list(job.configs)))]
            claim = first_claim(study.get_trials(deepcopy=False), config.id, trial.number)
            if claim is not None:
                trial.set_user_attr(DUPLICATE, claim)
                raise optuna.TrialPruned(f"{config.id} is trained by trial {claim}")
        else:
            config = suggest(trial, job.spec)
        trial.set_user_attr("configuration", config.to_dict())
        done = _resume(study, trial, config)
        rows: list[dict[str, object]] = []

        def report(index: int, row: dict[str, object]) -> None:
            rows.append(row)
            value = float(row["rmse"])  # type: ignore[arg-type]
            if job.spec.search != GridSpec.search and math.isfinite(value):
                trial.report(value, index)
                if trial.should_prune():
                    trial.set_user_attr("runs", rows)
                    raise optuna.TrialPruned(f"pruned after {index + 1} runs")

        def store(fold: int, part: FoldRuns) -> None:
            trial.set_user_attr(fold_attr(fold), part.to_dict())

        spec, data = job.spec, job.dataset
        stop = race.stopper(spec, study, trial, config.id)  # grid only; tpe has its pruner
        trained = train_configuration(config, spec, data, folds, report, done, store, stop)
        trial.set_user_attr("lr_search", trained.lr_search)
        trial.set_user_attr("curve", trained.curve)
        trial.set_user_attr("runs", rows)
        values = [float(r["rmse"]) for r in rows if math.isfinite(float(r["rmse"]))]  # type: ignore[arg-type]
        if not values:
            reason = str(rows[0].get("error", "no finite validation score"))
            trial.set_user_attr(REASON, reason)
            raise RunFailed(f"{config.id}: {reason}")
        return sum(values) / len(values)

    return run


def _resume(study: optuna.Study, trial: Trial, config: Configuration) -> dict[int, FoldRuns]:
    """The folds an interrupted trial of config finished, stored in this trial too."""
    trials = study.get_trials(deepcopy=False)
    source, stored = earlier_folds(trials, config.to_dict(), trial.number)
    for fold, record in stored.items():
        trial.set_user_attr(fold_attr(fold), record)
    if source is not None:
        trial.set_user_attr(RESUMED, {"trial": source, "folds": sorted(stored)})
    return {fold: FoldRuns.from_dict(record) for fold, record in stored.items()}


def finished(trials: list[FrozenTrial], job: Job) -> int:
    """Configurations done for good: completed, pruned by the search, or failed with a reason."""
    done = {
        config_of(t) if job.spec.search == GridSpec.search else t.number
        for t in trials
        if DUPLICATE not in t.user_attrs
        and (
            t.state in (TrialState.COMPLETE, TrialState.PRUNED)
            or (t.state == TrialState.FAIL and REASON in t.user_attrs)
        )
    }
    return len(done)


def total(job: Job) -> int:
    """Number of configurations the sweep will finish."""
    space = job.spec.space
    return space.trials if isinstance(space, SearchSpec) else len(job.configs)


def sweep_done(study: optuna.Study, job: Job) -> bool:
    """Every configuration settled (grid), or enough trials finished (tpe)."""
    space = job.spec.space
    if isinstance(space, SearchSpec):
        return finished(study.get_trials(deepcopy=False), job) >= space.trials
    return not remaining(study, list(job.configs))


def work(
    job: Job,
    worker: int = 0,
    on_trial: Callable[[int], None] | None = None,
    study: optuna.Study | None = None,
) -> None:
    """Take trials from the shared study until the sweep is done (one worker's loop)."""
    from lstmsizer.runtime import using_threads

    def enough(study: optuna.Study, trial: FrozenTrial) -> None:
        if on_trial is not None:
            on_trial(finished(study.get_trials(deepcopy=False), job))
        if sweep_done(study, job):
            study.stop()

    with storage_guard(job.storage):
        if study is None:
            study = job.open(worker)
            fail_dead_local_trials(study)
        if sweep_done(study, job):
            return
        with using_threads(None):
            study.optimize(objective(job, study), catch=(RunFailed,), callbacks=[enough])


def _worker_main(job: Job, worker: int, parent: int) -> None:
    """One worker process: quiet when stopped by a signal, and gone with the sweep's process."""
    try:
        processes.start_worker(parent)
        work(job, worker)
    except KeyboardInterrupt as exc:  # quietly: the parent says "interrupted" once
        os._exit(128 + getattr(exc, "signum", signal.SIGINT))
    except StorageError:  # said once, by the parent
        os._exit(STORAGE_EXIT)


def run(job: Job, workers: int, progress: Callable[[int, int], None]) -> optuna.Study:
    """Run the sweep in `workers` local processes (in this one when workers is 1).

    Returns:
        The study, for collecting the results.

    Raises:
        StorageError: The storage failed here or in a worker; re-running resumes.
    """
    with storage_guard(job.storage):
        return _run(job, workers, progress)


def _run(job: Job, workers: int, progress: Callable[[int, int], None]) -> optuna.Study:
    study = job.open()
    fail_dead_local_trials(study)
    progress(finished(study.get_trials(deepcopy=False), job), total(job))
    if workers <= 1:
        work(job, 0, lambda done: progress(done, total(job)), study)
        return study
    context = mp.get_context("spawn")
    procs: list[BaseProcess] = []
    try:
        with processes.signals_held():
            for k in range(workers):
                proc = context.Process(target=_worker_main, args=(job, k, os.getpid()))
                proc.daemon = True
                proc.start()
                procs.append(proc)
        while any(p.is_alive() for p in procs):
            progress(finished(study.get_trials(deepcopy=False), job), total(job))
            time.sleep(0.5)
    finally:
        processes.stop(procs)
    progress(finished(study.get_trials(deepcopy=False), job), total(job))
    bad = [p.exitcode for p in procs if p.exitcode not in (0, None)]
    if STORAGE_EXIT in bad:
        raise storage_error(job.storage, "a worker process lost its connection")
    if bad:
        raise RuntimeError(f"sweep worker processes exited with codes {bad}")
    return study
