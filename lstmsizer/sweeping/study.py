"""A thin typed layer over Optuna: the study's plan, exactly-once claims, resume."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import optuna
import optuna.storages.journal
from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler
from optuna.trial import FrozenTrial, TrialState

from lstmsizer.sweeping.plan import check_fingerprint

HOST = socket.gethostname()
PARAM = "config"

# A trial failed for a reason that re-running would not change (say, NaN loss) carries this
# user attribute; failed trials without it were interrupted and are run again.
REASON = "reason"
DUPLICATE = "duplicate_of"
ORPHAN_SECONDS = 60.0
"""Age after which a RUNNING trial still without a pid is failed: the objective sets it in its
first lines, milliseconds after Optuna creates the trial."""


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

    Database storages also have Optuna's heartbeat for trials of other machines. A trial
    that never got its pid (its process died, or its database went away, right after Optuna
    created it) has no heartbeat either: it is failed once ORPHAN_SECONDS old.
    """
    failed = 0
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        host, pid = trial.user_attrs.get("host"), trial.user_attrs.get("pid")
        dead = host == HOST and isinstance(pid, int) and not _alive(pid)
        if dead or _orphaned(trial):
            study.tell(trial.number, state=TrialState.FAIL, skip_if_finished=True)
            failed += 1
    if isinstance(study._storage, optuna.storages.RDBStorage):
        optuna.storages.fail_stale_trials(study)
    return failed


def _orphaned(trial: FrozenTrial) -> bool:
    # Optuna stamps trials with the creating machine's local time, as datetime.now() here.
    started = trial.datetime_start
    age = (datetime.now() - started).total_seconds() if started is not None else 0.0
    return "pid" not in trial.user_attrs and age > ORPHAN_SECONDS


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


def running_elsewhere(study: optuna.Study) -> list[str]:
    """Trials still under way in other live processes, as "configuration on host:pid".

    Trials of local processes that died are failed first (see fail_dead_local_trials), so
    what is listed will settle, or be failed once its process is found gone.
    """
    fail_dead_local_trials(study)
    running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    return [
        f"{config_of(t) or f'trial {t.number}'} on "
        f"{t.user_attrs.get('host', '?')}:{t.user_attrs.get('pid', '?')}"
        for t in running
        if DUPLICATE not in t.user_attrs
    ]


RESUMED = "resumed"
"""User attribute of a trial that took finished folds from an interrupted one."""


def fold_attr(fold: int) -> str:
    """The user attribute a trial stores a finished fold's runs in (runs.FoldRuns)."""
    return f"fold_{fold}"


def earlier_folds(
    trials: Sequence[FrozenTrial], configuration: dict[str, Any], number: int
) -> tuple[int | None, dict[int, dict[str, Any]]]:
    """The leading folds finished by an interrupted trial that trained this configuration.

    Of the earlier failed trials without a reason, the one with the most folds (a trial
    that resumed stores the folds it took too, so the latest has them all).

    Returns:
        That trial's number and its stored folds by index; (None, {}) when there is none.
    """
    found: tuple[int | None, dict[int, dict[str, Any]]] = (None, {})
    for trial in trials:
        attrs = trial.user_attrs
        if (
            trial.number >= number
            or trial.state != TrialState.FAIL
            or REASON in attrs
            or DUPLICATE in attrs
            or attrs.get("configuration") != configuration
        ):
            continue
        folds: dict[int, dict[str, Any]] = {}
        while (stored := attrs.get(fold_attr(len(folds)))) is not None:
            folds[len(folds)] = stored
        if folds and len(folds) >= len(found[1]):
            found = (trial.number, folds)
    return found


class _QuietInterruptions(logging.Filter):
    """Drops Optuna's two "Trial N failed" warnings for a trial stopped by Ctrl-C or a signal."""

    def __init__(self) -> None:
        super().__init__()
        self.muted = ""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        error = record.exc_info[0] if record.exc_info else None
        if error is not None and issubclass(error, (KeyboardInterrupt, SystemExit)):
            self.muted = message.split(" failed", 1)[0] + " failed "  # "Trial 3 failed "
            return False
        return not (self.muted and message.startswith(self.muted))


def quiet_interrupted_trials() -> None:
    """No warning and traceback for a trial stopped by Ctrl-C or a signal: the command says
    "interrupted" once, and the trial's configuration resumes on the next run."""
    logger = logging.getLogger("optuna.study._optimize")  # where Optuna logs failed trials
    if not any(isinstance(f, _QuietInterruptions) for f in logger.filters):
        logger.addFilter(_QuietInterruptions())
