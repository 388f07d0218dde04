"""The units sweep: every configuration over seeds x rolling-origin folds, on Optuna storage."""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

from lstmsizer.datasets import Dataset, resolve
from lstmsizer.errors import check_int
from lstmsizer.holdout import ThinDataWarning, stop_block
from lstmsizer.progress import progress_bar
from lstmsizer.splits import Split, rolling_origin_folds
from lstmsizer.sweep.engine import Job, run
from lstmsizer.sweep.plan import SweepSpec, configurations
from lstmsizer.sweep.result import SweepResult, finish

__all__ = ["SweepResult", "SweepSpec", "sweep"]

DEFAULT_OUT = Path("lstmsizer-runs")


def sweep(
    data: Any = None,
    *,
    spec: SweepSpec | None = None,
    out: str | Path | None = None,
    storage: str | None = None,
    study: str | None = None,
    workers: int | None = None,
    progress: bool | None = None,
    **options: Any,
) -> SweepResult:
    """How many units? Train every configuration over seeds x folds and recommend one.

    Re-running the same call resumes: finished configurations are never trained again.

    Args:
        data: A Dataset, array, pandas Series/DataFrame, file path, or None for the default
            data (sunspots).
        spec: The sweep settings; keyword options (lags=12, units=(...), ...) build one.
        out: Run folder (default lstmsizer-runs/<study>).
        storage: Optuna storage URL (postgresql://...) or journal file; default a journal
            file in the run folder.
        study: Study name; the default is derived from the data and lags.
        workers: Local worker processes; default the number of cores.
        progress: Progress bar on stderr; None shows it when stderr is a terminal.
        **options: SweepSpec fields, used when spec is None.

    Returns:
        SweepResult with .table, .recommendation, .baselines and .load_model().
    """
    spec = spec or SweepSpec(**options)
    dataset = data if isinstance(data, Dataset) else resolve(data)
    name = study or f"{dataset.name}-lags{spec.lags}-h{spec.horizon}"
    run_dir = Path(out) if out is not None else DEFAULT_OUT / name
    workers = default_workers() if workers is None else workers
    check_int("workers", workers)
    configs = configurations(spec, 1 + dataset.features.shape[1])
    job = Job(spec, dataset, storage, name, run_dir, {c.id: c for c in configs})
    # a series too short for the folds fails here, before any study or worker starts
    folds, _ = rolling_origin_folds(len(dataset), spec.window, spec.folds, spec.test_fraction)
    _warn_if_thin(spec, folds[0])
    start = time.perf_counter()
    with progress_bar("configurations", None, progress) as ticker:
        shared = run(job, workers, lambda done, total: ticker.set(done, total))
    return finish(shared, job, time.perf_counter() - start)


def _warn_if_thin(spec: SweepSpec, first: Split) -> None:
    """One ThinDataWarning for the whole sweep when its smallest training part is thin."""
    share = spec.train_spec(spec.seed).stop_share
    message = stop_block(first.train_origins.size, spec.horizon, share).warning
    if message is not None:
        warnings.warn(f"first fold: {message}", ThinDataWarning, stacklevel=3)


def default_workers() -> int:
    """One worker per core."""
    import os

    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)
