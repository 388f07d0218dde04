"""A thin typed layer over Optuna: storage, the study's plan, exactly-once claims, resume."""

from __future__ import annotations

import logging
import os
import socket
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import optuna
import optuna.storages.journal
from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler
from optuna.trial import FrozenTrial, TrialState

from lstmsizer.errors import OptionError
from lstmsizer.sweep.plan import check_fingerprint

JOURNAL_FILE = "study.journal"
HOST = socket.gethostname()
PARAM = "config"

# A trial failed for a reason that re-running would not change (say, NaN loss) carries this
# user attribute; failed trials without it were interrupted and are run again.
REASON = "reason"
DUPLICATE = "duplicate_of"


def quiet_optuna() -> None:
    """No log spam: lstmsizer reports progress itself."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    logging.getLogger("optuna").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def open_storage(url: str | None, run_dir: Path) -> optuna.storages.BaseStorage:
    """The journal file in run_dir by default; a database URL for many machines.

    A journal file is safe for several local processes. A PostgreSQL (or other SQLAlchemy)
    URL uses a heartbeat, so trials of a machine that died are failed and run again.
    """
    if url is None or "://" not in url:
        path = run_dir / JOURNAL_FILE if url is None else Path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        backend = optuna.storages.journal.JournalFileBackend(str(path))
        return optuna.storages.JournalStorage(backend)
    if url.startswith("postgresql") and not _has_module("psycopg"):
        raise OptionError("storage postgresql:// needs a driver: pip install 'lstmsizer[postgres]'")
    try:
        return optuna.storages.RDBStorage(url, heartbeat_interval=5, grace_period=20)
    except Exception as exc:  # SQLAlchemy raises many kinds for a bad URL or server
        raise OptionError(f"storage {url!r} cannot be opened: {exc}") from exc


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def open_study(
    storage: optuna.storages.BaseStorage,
    name: str,
    plan: dict[str, object],
    sampler: BaseSampler,
    pruner: optuna.pruners.BasePruner | None = None,
) -> optuna.Study:
    """Create the study or load it; a study made for another plan is an error naming it."""
    study = optuna.create_study(
        storage=storage,
        study_name=name,
        sampler=sampler,
        pruner=pruner,
        direction="minimize",
        load_if_exists=True,
    )
    stored = study.user_attrs.get("plan")
    if stored is None:
        study.set_user_attr("plan", plan)
    else:
        check_fingerprint(stored, plan, name)
    return study


def config_of(trial: FrozenTrial) -> str | None:
    """The configuration id a trial trains, if it has one yet."""
    value = trial.params.get(PARAM, trial.system_attrs.get("fixed_params", {}).get(PARAM))
    return None if value is None else str(value)


def settles(trial: FrozenTrial) -> bool:
    """Whether this trial settles its configuration: done, under way, or failed for good."""
    if trial.user_attrs.get(DUPLICATE) is not None:
        return False
    if trial.state in (TrialState.COMPLETE, TrialState.RUNNING, TrialState.WAITING):
        return True
    return trial.state == TrialState.FAIL and REASON in trial.user_attrs


def covered(trials: Iterable[FrozenTrial]) -> set[str]:
    """Configuration ids that need no new trial."""
    return {c for t in trials if settles(t) and (c := config_of(t)) is not None}


def first_claim(trials: Sequence[FrozenTrial], config: str, number: int) -> int | None:
    """The number of an earlier trial that settles config, if any (then `number` is spare)."""
    settled = [
        t.number for t in trials if t.number < number and config_of(t) == config and settles(t)
    ]
    return min(settled) if settled else None


def fail_dead_local_trials(study: optuna.Study) -> int:
    """Fail RUNNING trials whose process on this host is gone (kill -9, power loss).

    Database storages also have Optuna's heartbeat for trials of other machines.
    """
    failed = 0
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        host, pid = trial.user_attrs.get("host"), trial.user_attrs.get("pid")
        if host == HOST and isinstance(pid, int) and not _alive(pid):
            study.tell(trial.number, state=TrialState.FAIL, skip_if_finished=True)
            failed += 1
    if isinstance(study._storage, optuna.storages.RDBStorage):
        optuna.storages.fail_stale_trials(study)
    return failed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _not_zombie(pid)


def _not_zombie(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/stat").read_text().split(") ")[-1]
    except OSError:
        return True
    return not status.startswith("Z")


class PlanSampler(BaseSampler):
    """Grid sampler over configuration ids that skips every id already settled.

    Optuna's GridSampler treats a failed (interrupted) point as visited; this one runs it
    again. Ids come largest first, so the longest trainings do not end up alone at the end;
    worker k starts k places down the list, so concurrent workers rarely pick the same id.
    """

    def __init__(self, ids: Sequence[str], worker: int = 0) -> None:
        self.ids = list(ids)
        self._offset = worker

    def infer_relative_search_space(
        self, study: optuna.Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        search_space: dict[str, BaseDistribution],
    ) -> dict[str, Any]:
        return {}

    def sample_independent(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        done = covered(study.get_trials(deepcopy=False))
        todo = [c for c in self.ids if c not in done]
        if not todo:
            return self.ids[0]  # nothing left: the objective marks this trial as spare
        return todo[self._offset % len(todo)]


def remaining(study: optuna.Study, ids: Sequence[str]) -> list[str]:
    """Configuration ids that still need a trial."""
    done = covered(study.get_trials(deepcopy=False))
    return [c for c in ids if c not in done]
