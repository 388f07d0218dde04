"""The units sweep: every configuration over seeds x rolling-origin folds, on Optuna storage."""

from __future__ import annotations

import json
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna

from lstmsizer.atomic import check_writable, write_text
from lstmsizer.baselines import BaselineFactory, check_factory
from lstmsizer.datasets import Dataset, resolve
from lstmsizer.errors import OptionError, check_int
from lstmsizer.holdout import ThinDataWarning, stop_block
from lstmsizer.panel import Panel
from lstmsizer.panelsplits import PanelSplit
from lstmsizer.panelwindows import stop_origins
from lstmsizer.progress import Ticker, progress_bar
from lstmsizer.rundir.files import RECOMMENDATION_FILE, STUDY_FILE
from lstmsizer.runtime import default_workers
from lstmsizer.splits import Split
from lstmsizer.sweeping.engine import Job, finished, run, sweep_done, total
from lstmsizer.sweeping.plan import check_configurations, configurations
from lstmsizer.sweeping.result import SweepResult, finish
from lstmsizer.sweeping.storage import check_storage, storage_guard
from lstmsizer.sweeping.study import running_elsewhere
from lstmsizer.sweepspec import (
    FoldSpec,
    GridSpec,
    LayerSpec,
    ProtocolSpec,
    SearchSpec,
    SweepSpec,
)

__all__ = [
    "FoldSpec",
    "GridSpec",
    "LayerSpec",
    "ProtocolSpec",
    "SearchSpec",
    "SweepResult",
    "SweepSpec",
    "sweep",
]

DEFAULT_OUT = Path("lstmsizer-runs")
"""The run folder's marker: which study (and data) its files belong to."""
WAIT_SECONDS = 1.0


def sweep(
    data: Any = None,
    spec: SweepSpec | None = None,
    *,
    out: str | Path | None = None,
    storage: str | None = None,
    study: str | None = None,
    workers: int | None = None,
    progress: bool | None = None,
    baselines: BaselineFactory | None = None,
    id_column: str | None = None,
    wide: bool = False,
    drop_short: bool = False,
    **options: Any,
) -> SweepResult:
    """How many units? Train every configuration over seeds x folds and recommend one.

    Re-running the same call resumes: finished configurations are never trained again.
    Every option, the run folder and the storage are checked before any study, folder or
    worker exists. Several calls on one run folder share its study; each writes the results
    only once every planned configuration has settled, waiting for those other live
    processes are training (the bar, or with it hidden one line on stderr, names them as
    host:pid). A run folder belongs to one study: see claim_folder.

    Args:
        data: A Dataset, array, pandas Series/DataFrame, file path, or None for the default
            data (sunspots).
        spec: The sweep settings; None is SweepSpec().
        out: Run folder (default lstmsizer-runs/<study>).
        storage: Optuna storage URL (postgresql://...) or journal file; default a journal
            file in the run folder.
        study: Study name; the default is derived from the data and lags.
        workers: Local worker processes; default the number of cores.
        progress: Progress bar on stderr; None shows it when stderr is a terminal.
        baselines: Factory (lags, horizon, period) -> unfitted forecasters, called for
            each fold and the test share; None is default_baselines. It goes to the
            worker processes with the sweep, so it must pickle: a module-level function
            does, a lambda does not (see lstmsizer.baselines.BaselineFactory).
        id_column: The series id column of a long DataFrame or file: data is a panel of many
            series and one global model is sized over all of them. A table with columns
            unique_id, ds and y is read as a panel without it.
        wide: data is a panel with one column per series.
        drop_short: Leave out a panel's series shorter than lags + horizon (the panel's
            description names them) instead of failing.
        **options: Settings changed in spec by name, as SweepSpec.replace: lags=6, units=(4,).

    Returns:
        SweepResult with .table, .recommendation, .baselines and .load_model().

    Raises:
        OptionError: A bad option, an out that is a file or not writable, a storage that is
            no journal file or database URL, or an out holding another study.
        DataError: The data cannot be used, or is too short for the folds.
    """
    spec = (spec or SweepSpec()).replace(**options) if options else spec or SweepSpec()
    dataset = (
        data
        if isinstance(data, (Dataset, Panel))
        else resolve(data, id_column=id_column, wide=wide)
    )
    if isinstance(dataset, Panel):
        window = spec.window
        dataset = dataset.check_window(window.lags, window.horizon, drop_short=drop_short)
    elif spec.model.id_embedding:
        raise OptionError(
            f"id_embedding applies to a panel of many series, got {spec.model.id_embedding} "
            f"for the one series {dataset.name!r}"
        )
    workers = default_workers() if workers is None else workers
    check_int("workers", workers)
    job = _job(spec, dataset, out, storage, study, progress, baselines)
    job.workers = workers
    folds, _ = job.folds  # a series too short for the folds fails here, before any study
    claim_folder(job.run_dir, job.study, dataset.name)
    _warn_if_thin(spec, folds[0])
    start = time.perf_counter()
    with progress_bar("configurations", None, progress) as ticker:
        say = _say if progress is None and not sys.stderr.isatty() else None
        shared = _settle(job, workers, ticker, say)
    with storage_guard(job.storage):  # the results are read from the storage too
        return finish(shared, job, time.perf_counter() - start)


def _job(
    spec: SweepSpec,
    dataset: Dataset | Panel,
    out: str | Path | None,
    storage: str | None,
    study: str | None,
    progress: bool | None,
    baselines: BaselineFactory | None,
) -> Job:
    """What every worker needs, once the run folder, storage and configurations are checked."""
    window = spec.window
    name = study or f"{dataset.name}-lags{window.lags}-h{window.horizon}"
    run_dir = Path(out) if out is not None else DEFAULT_OUT / name
    check_writable("out", run_dir)
    check_storage(storage)
    check_factory(baselines, window.lags, window.horizon)
    configs = configurations(spec, 1 + dataset.features.shape[1])
    check_configurations(spec, configs)
    by_id = {c.id: c for c in configs}
    return Job(spec, dataset, storage, name, run_dir, by_id, progress, baselines)


def _settle(
    job: Job, workers: int, ticker: Ticker, say: Callable[[str], None] | None
) -> optuna.Study:
    """Train until every planned configuration has settled, here or in other processes.

    Configurations another live process is training (two commands on one --out, or machines
    sharing a database) are waited for, so results are never written without them; one
    whose process dies meanwhile is failed (see fail_dead_local_trials) and trained here.
    """
    while True:
        shared = run(job, workers, lambda done, count: ticker.set(done, count))
        with storage_guard(job.storage):
            if _wait_for_others(shared, job, ticker, say):
                return shared


def _wait_for_others(
    study: optuna.Study, job: Job, ticker: Ticker, say: Callable[[str], None] | None
) -> bool:
    """Wait while other processes train; False when something is left to train here."""
    said = False
    while True:
        pending = running_elsewhere(study)  # fails the trials of dead processes first
        if not sweep_done(study, job):
            return False
        if not pending:
            return True
        plural = "s" if len(pending) > 1 else ""
        note = f"waiting for {len(pending)} configuration{plural} in other processes: "
        note += ", ".join(pending)
        ticker.set(finished(study.get_trials(deepcopy=False), job), total(job), note)
        if say is not None and not said:
            say(note)
            said = True
        time.sleep(WAIT_SECONDS)


def _say(note: str) -> None:
    print(f"{note} (results are written once they settle)", file=sys.stderr, flush=True)


def _warn_if_thin(spec: SweepSpec, first: Split | PanelSplit) -> None:
    """One ThinDataWarning for the whole sweep when its smallest training part is thin."""
    share = spec.train.train_spec(spec.seed).stop_share
    if isinstance(first, PanelSplit):
        message = stop_origins(first, share)[2].warning
    else:
        message = stop_block(first.train_origins.size, spec.window.horizon, share).warning
    if message is not None:
        warnings.warn(f"first fold: {message}", ThinDataWarning, stacklevel=3)


def claim_folder(run_dir: Path, study: str, data: str) -> None:
    """Record in run_dir the study its files belong to, or refuse a folder holding another.

    The first sweep into a folder writes STUDY_FILE; a folder from before the marker is
    known by its recommendation.json. A different study name is refused whether the name
    came from --study or from the data (a different --dataset): its runs.csv, model.pt and
    report would be overwritten. The message names the study there, to resume it with
    --study, or asks for another --out.
    """
    recorded = _recorded_study(run_dir)
    if recorded is None:
        run_dir.mkdir(parents=True, exist_ok=True)
        marker = {"format": 1, "study": study, "data": data}
        try:
            write_text(run_dir / STUDY_FILE, json.dumps(marker, indent=2) + "\n", exclusive=True)
            return
        except FileExistsError:  # another process claimed it a moment ago
            recorded = _recorded_study(run_dir)
    if recorded is not None and recorded[0] != study:
        there, data_there = recorded
        raise OptionError(
            f"out {str(run_dir)!r} holds study {there!r} (data {data_there}), not {study!r}: "
            f"use another --out, or --study {there} to resume that one"
        )


def _recorded_study(run_dir: Path) -> tuple[str, str] | None:
    """(study, data) recorded in the run folder, or None for a new folder."""
    for name in (STUDY_FILE, RECOMMENDATION_FILE):
        path = run_dir / name
        if not path.is_file():
            continue
        try:
            found = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise OptionError(f"out holds {str(path)!r}, which cannot be read: {exc}") from None
        study = found.get("study") if isinstance(found, dict) else None
        if isinstance(study, str):
            data = found.get("data")
            data = data.get("name") if isinstance(data, dict) else data
            return study, str(data or "unknown")
    return None
