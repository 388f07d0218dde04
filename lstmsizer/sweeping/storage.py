"""Where a sweep's study lives: the journal file or a database, opened, checked, guarded."""

from __future__ import annotations

import logging
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import optuna
import optuna.storages.journal

from lstmsizer.atomic import check_writable
from lstmsizer.errors import LstmsizerError, OptionError, StorageError
from lstmsizer.rundir.files import JOURNAL_FILE
from lstmsizer.secrets import mask_url, redact
from lstmsizer.sweeping.journal import check_journal


def quiet_optuna() -> None:
    """No log spam: lstmsizer reports progress itself."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    logging.getLogger("optuna").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def open_storage(url: str | None, run_dir: Path) -> optuna.storages.BaseStorage:
    """The journal file in run_dir by default; a database URL for many machines.

    A journal file is safe for several local processes; a torn last record (a crash
    mid-write) is repaired first, other damage is a JournalError. A PostgreSQL (or other
    SQLAlchemy) URL uses a heartbeat, so trials of a machine that died are failed and run
    again; a server that cannot be reached is a StorageError.
    """
    if url is None or "://" not in url:
        path = run_dir / JOURNAL_FILE if url is None else Path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        check_journal(path)
        backend = optuna.storages.journal.JournalFileBackend(str(path))
        return optuna.storages.JournalStorage(backend)
    if url.startswith("postgresql") and not _has_module("psycopg"):
        raise OptionError("storage postgresql:// needs a driver: pip install 'lstmsizer[postgres]'")
    with storage_guard(url):
        try:
            return _rdb_storage(url)
        except Exception as exc:  # SQLAlchemy raises many kinds for a bad URL or server
            failure = storage_failure(exc)
            if failure is not None and not _refused(failure):
                raise  # the server is away: a StorageError, since re-running will do
            reason = redact(_first_line(failure or exc), url)
            raise OptionError(f"storage {mask_url(url)} cannot be opened: {reason}") from exc


SCHEMA_RACE_STATES = ("23505", "42P07", "42710")
"""SQLSTATEs of two processes creating the study tables of an empty database at once: a
unique violation in the catalog, a table or an object that already exists."""
SCHEMA_ATTEMPTS = 5


def _rdb_storage(url: str) -> optuna.storages.RDBStorage:
    """Optuna's RDBStorage, created again when another process was creating the tables.

    Optuna creates its tables when they are missing, in a transaction that fails when a
    second machine's sweep does the same in the same instant (measured: two commands started
    together on an empty PostgreSQL database). The tables exist once the other commits, so
    a short wait and a second try open the same study.
    """
    for attempt in range(SCHEMA_ATTEMPTS):
        try:
            return optuna.storages.RDBStorage(url, heartbeat_interval=5, grace_period=20)
        except Exception as exc:
            if attempt + 1 == SCHEMA_ATTEMPTS or _sqlstate(exc) not in SCHEMA_RACE_STATES:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")  # the last attempt returns or raises


def _sqlstate(exc: BaseException) -> str:
    """The SQLSTATE of the database error behind exc, searched through its causes."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for found in (current, getattr(current, "orig", None)):
            state = getattr(found, "sqlstate", None) or getattr(found, "pgcode", None)
            if state:
                return str(state)
        current = current.__cause__ or current.__context__
    return ""


def _refused(failure: BaseException) -> bool:
    """Whether the server answered but refused the credentials or the database name."""
    state = str(getattr(failure, "sqlstate", None) or "")
    return state.startswith(("28", "3D")) or "password" in str(failure).lower()


@contextmanager
def storage_guard(url: str | None) -> Iterator[None]:
    """Turn a lost connection or a server gone, raised inside, into one StorageError.

    The heartbeat thread of a trial meets the same failure; its traceback is not printed,
    since the main thread's next call to the storage raises it anyway.
    """
    previous = threading.excepthook

    def quiet_thread(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or storage_failure(args.exc_value) is None:
            previous(args)

    threading.excepthook = quiet_thread
    try:
        yield
    except LstmsizerError:  # said already, in its own words
        raise
    except Exception as exc:
        failure = storage_failure(exc)
        if failure is None:
            raise
        raise storage_error(url, _first_line(failure)) from exc
    finally:
        threading.excepthook = previous


def storage_error(url: str | None, reason: str) -> StorageError:
    """The one-line StorageError for url: what failed, and that re-running resumes."""
    name = mask_url(url) if url else f"journal {JOURNAL_FILE}"
    return StorageError(
        f"storage {name} failed: {redact(reason, url)}; nothing finished is lost: re-running "
        "the same command resumes the sweep once the storage is back"
    )


def storage_failure(exc: BaseException) -> BaseException | None:
    """The database's own error behind exc when exc comes from a lost storage, else None.

    Optuna wraps SQLAlchemy's errors in StorageInternalError and may raise something else
    while cleaning up after one, so the whole chain of causes is searched.
    """
    from sqlalchemy import exc as sql

    failure: BaseException | None = None
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sql.DBAPIError) and (
            isinstance(current, (sql.OperationalError, sql.InterfaceError))
            or current.connection_invalidated
        ):
            return current.orig if current.orig is not None else current
        if isinstance(current, optuna.exceptions.StorageInternalError) and failure is None:
            failure = current
        current = current.__cause__ or current.__context__
    return failure


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def check_storage(url: str | None) -> None:
    """Raise OptionError for a storage open_storage cannot use, before anything is created.

    A path is a journal file: not a folder, in a folder that can be written to. A URL must
    name a database SQLAlchemy knows (postgresql://, sqlite:///file, mysql://, ...); an
    in-memory SQLite database is refused, since worker processes could not share it.
    """
    if url is None:
        return
    if "://" not in url:
        if Path(url).is_dir():
            raise OptionError(f"storage must be a journal file, got {url!r}, which is a folder")
        check_writable("storage", Path(url).parent)
        return
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    rule = "must be a journal file or a database URL such as postgresql://... or sqlite:///FILE"
    try:
        parsed = make_url(url)
        parsed.get_dialect()
    except (ArgumentError, NoSuchModuleError, ValueError):
        raise OptionError(f"storage {rule}, got {mask_url(url)!r}") from None
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise OptionError(f"storage {rule}, got {mask_url(url)!r}, an in-memory database")
