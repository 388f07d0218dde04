"""Storage: the journal opened defensively, storage failures as one line, passwords masked."""

from __future__ import annotations

import hashlib
import os
import threading
import warnings
from pathlib import Path

import optuna
import pandas as pd
import pytest
import sqlalchemy.exc
from helpers import numpy_baselines_by_default, numpy_only, run_main

from lstmsizer.errors import JournalError, LstmsizerWarning, OptionError, StorageError
from lstmsizer.secrets import mask_url, redact
from lstmsizer.sweeping import SweepSpec, processes
from lstmsizer.sweeping import engine as engine_module
from lstmsizer.sweeping import storage as storage_module
from lstmsizer.sweeping.journal import TornJournalWarning, check_journal
from lstmsizer.sweeping.plan import configurations
from lstmsizer.sweeping.storage import JOURNAL_FILE, open_storage, storage_guard

TINY = (
    "--dataset", "sine", "--lags", "4", "--units", "2,3", "--layers", "1", "--seeds", "1",
    "--folds", "2", "--epochs", "3", "--patience", "0", "--lr", "0.01", "--workers", "1",
    "--study", "s",
)  # fmt: skip
TINY_SPEC = SweepSpec().replace(
    lags=4, units=(2, 3), layers=(1,), seeds=1, folds=2, epochs=3, patience=None, lr=0.01
)
# A record cut off mid-write, as a crash leaves it: the start of a trial's next attribute.
TORN = b'{"op_code":8,"worker_id":"5d1c-1","trial_id":1,"user_attr":{"runs":[{"rmse":0.'


@pytest.fixture(scope="module")
def finished_journal(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The journal of a finished tiny sweep (two configurations, two folds)."""
    from lstmsizer.datasets import get
    from lstmsizer.sweeping import sweep

    out = tmp_path_factory.mktemp("journal") / "run"
    data = get("sine")
    sweep(data, spec=TINY_SPEC, out=out, study="s", workers=1, progress=False, baselines=numpy_only)
    return (out / JOURNAL_FILE).read_bytes()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _planned(run_dir: Path) -> list[tuple[str, int, int]]:
    runs = pd.read_csv(run_dir / "runs.csv")
    keys = zip(runs["config"], runs["seed"], runs["fold"], strict=True)
    return sorted((str(c), int(s), int(f)) for c, s, f in keys)


def _expected() -> list[tuple[str, int, int]]:
    spec = TINY_SPEC
    configs = configurations(spec, 1)
    return sorted((c.id, s, f) for c in configs for s in spec.seed_list() for f in range(2))


def test_a_torn_last_record_is_dropped_with_a_backup_and_one_warning_line_then_resumed(
    finished_journal: bytes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines = finished_journal.split(b"\n")
    second = next(k for k, line in enumerate(lines) if b'"op_code":4' in line and k > 2)
    kept = b"".join(line + b"\n" for line in lines[:second])  # the first trial, finished
    torn = kept + lines[second][: len(lines[second]) // 2]  # the second trial's creation, cut
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / JOURNAL_FILE).write_bytes(torn)
    numpy_baselines_by_default(monkeypatch)
    code, _, err = run_main(monkeypatch, capsys, "sweep", *TINY, "--out", str(run_dir))
    assert code == 0, err
    said = [line for line in err.splitlines() if line.strip()]
    assert len(said) == 1 and said[0].startswith(f"warning: journal {run_dir / JOURNAL_FILE}:")
    assert "cut off mid-write" in said[0]
    (backup,) = run_dir.glob(f"{JOURNAL_FILE}.bak-*")
    assert backup.read_bytes() == torn and backup.name in said[0]
    assert (run_dir / JOURNAL_FILE).read_bytes().startswith(kept)
    assert _planned(run_dir) == _expected()  # every run exactly once


@pytest.mark.parametrize(
    "tail",
    [
        TORN,
        TORN + b"\n",  # an incomplete record on a line of its own
        b'{"op_co',
        b'{"op_code":6,"worker_id":"a\\"b","state":1,"values":[1.5e-',
    ],
)
def test_check_journal_repairs_any_torn_last_record(
    finished_journal: bytes, tail: bytes, tmp_path: Path
) -> None:
    path = tmp_path / JOURNAL_FILE
    path.write_bytes(finished_journal + tail)
    end = finished_journal.count(b"\n") + 1
    with pytest.warns(TornJournalWarning, match=f"line {end}\\)") as caught:
        check_journal(path)
    assert issubclass(caught[0].category, LstmsizerWarning)
    assert path.read_bytes() == finished_journal
    (backup,) = tmp_path.glob(f"{JOURNAL_FILE}.bak-*")
    assert backup.read_bytes() == finished_journal + tail
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_journal(path)  # whole again: nothing to say, no second backup
    assert len(list(tmp_path.glob(f"{JOURNAL_FILE}.bak-*"))) == 1


def _middle_not_json(journal: bytes) -> bytes:
    lines = journal.split(b"\n")
    lines[4] = b"this line is not json"
    return b"\n".join(lines)


@pytest.mark.parametrize(
    ("damage", "line", "reason"),
    [
        (_middle_not_json, 5, "not JSON"),
        (lambda j: j + b"\x00" * 64, None, "NUL bytes"),  # None: the line after the last
        (lambda j: j + b"\x00" * 64 + b"\n", None, "NUL bytes"),
        (lambda j: j[:-40] + b"\x00" * 40, -1, "NUL bytes"),  # the disk lost the last block
        (lambda j: j + b"hello\n", None, "not JSON"),
        (lambda j: j + b"garbage", None, "not JSON"),
        (lambda j: j + b'{"op_code":1}}x\n', None, "not JSON"),
        (lambda j: j + b'["op_code"]\n', None, "no journal record"),
        (lambda j: j.replace(b"\n", b"\n\n", 1), 2, "empty"),
        (lambda j: j[:100] + j[300:], 1, "not JSON"),  # a hole: two records glued together
    ],
)
def test_damage_other_than_a_torn_last_record_is_one_line_exit_2_and_no_byte_changes(
    finished_journal: bytes,
    damage: object,
    line: int | None,
    reason: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    path = run_dir / JOURNAL_FILE
    path.write_bytes(damage(finished_journal))  # type: ignore[operator]
    before = _sha(path)
    end = finished_journal.count(b"\n") + 1
    line = end if line is None else end + line if line < 0 else line
    code, stdout, err = run_main(monkeypatch, capsys, "sweep", *TINY, "--out", str(run_dir))
    said = [text for text in err.splitlines() if text.strip()]
    assert code == 2 and stdout == "" and len(said) == 1, err
    assert said[0].startswith(f"error: journal {path} is damaged at line {line}: "), said[0]
    assert reason in said[0] and "left unchanged" in said[0]
    assert _sha(path) == before
    assert sorted(p.name for p in run_dir.iterdir() if p.name.startswith(JOURNAL_FILE)) == [
        JOURNAL_FILE
    ]


def test_a_journal_given_as_storage_is_checked_too(finished_journal: bytes, tmp_path: Path) -> None:
    path = tmp_path / "elsewhere.journal"
    path.write_bytes(_middle_not_json(finished_journal))
    with pytest.raises(JournalError, match=r"elsewhere\.journal is damaged at line 5"):
        open_storage(str(path), tmp_path / "run")


def test_an_empty_or_missing_journal_is_fine(tmp_path: Path) -> None:
    check_journal(tmp_path / "missing.journal")
    (tmp_path / "empty.journal").write_bytes(b"")
    check_journal(tmp_path / "empty.journal")
    assert not (tmp_path / "missing.journal").exists()


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://user:secret@host/db", "postgresql://user:***@host/db"),
        ("postgresql://user:secret@host:5432/db", "postgresql://user:***@host:5432/db"),
        ("postgresql+psycopg://u:s3cr%40t@h/db", "postgresql+psycopg://u:***@h/db"),
        ("postgresql://u:p@ss@host/db", "postgresql://u:***@host/db"),  # unescaped @
        ("postgresql://u:p@ss@w@host/db", "postgresql://u:***@host/db"),
        ("postgresql://u:pa/ss@host/db", "postgresql://u:***@host/db"),  # unescaped /
        ("postgresql://u:pa?s#s@host/db", "postgresql://u:***@host/db"),
        ("postgresql://u:pa:ss@host/db", "postgresql://u:***@host/db"),
        ("postgresql://u:p%20w%3A%2F@[::1]:5432/db", "postgresql://u:***@[::1]:5432/db"),
        ("postgresql://u:pw@h1:5432,h2:5433/db", "postgresql://u:***@h1:5432,h2:5433/db"),
        ("postgresql://u:pw@h/db?application_name=a@b", "postgresql://u:***@h/db?application_name=a@b"),
        ("postgresql://u@h/db?password=secret&sslmode=require", "postgresql://u@h/db?password=***&sslmode=require"),
        ("postgresql://u:pw@h/db?sslmode=require&PASSWORD=x", "postgresql://u:***@h/db?sslmode=require&PASSWORD=***"),
        ("mysql+pymysql://root:toor@localhost/optuna", "mysql+pymysql://root:***@localhost/optuna"),
        ("postgresql://user@host/db", "postgresql://user@host/db"),
        ("postgresql://user:@host/db", "postgresql://user:@host/db"),
        ("postgresql://host:5432/db", "postgresql://host:5432/db"),
        ("postgresql:///db", "postgresql:///db"),
        ("sqlite:///runs/optuna.db", "sqlite:///runs/optuna.db"),
        ("runs/study.journal", "runs/study.journal"),
        ("C:\\runs\\study.journal", "C:\\runs\\study.journal"),
        ("postgresql://u:***@h/db", "postgresql://u:***@h/db"),
    ],
)  # fmt: skip
def test_mask_url_hides_the_password_and_nothing_else(url: str, masked: str) -> None:
    assert mask_url(url) == masked
    assert mask_url(masked) == masked


def test_redact_removes_the_password_from_free_text_too() -> None:
    url = "postgresql://sizer:p%40ssw0rd@db.example:5432/runs"
    text = f"cannot reach {url}: user sizer with password p@ssw0rd or p%40ssw0rd refused"
    said = redact(text, url)
    assert "p@ssw0rd" not in said and "p%40ssw0rd" not in said
    assert "postgresql://sizer:***@db.example:5432/runs" in said
    assert redact("no url here", None) == "no url here"


URL = "postgresql://sizer:hunter22@127.0.0.1:1/runs"


def _lost() -> sqlalchemy.exc.OperationalError:
    orig = ConnectionError("server closed the connection unexpectedly\n\tThis probably means")
    return sqlalchemy.exc.OperationalError("SELECT 1", {}, orig)


def test_a_lost_connection_inside_the_guard_is_one_storage_error() -> None:
    with pytest.raises(StorageError) as info, storage_guard(URL):
        raise _lost()
    said = str(info.value)
    assert info.value.exit_code == 3 and "\n" not in said
    assert said.startswith("storage postgresql://sizer:***@127.0.0.1:1/runs failed: server closed")
    assert "re-running the same command resumes" in said and "hunter22" not in said


def test_a_storage_failure_raised_while_optuna_cleans_up_is_found_in_the_chain() -> None:
    def optuna_like() -> None:
        try:
            try:
                raise _lost()
            except sqlalchemy.exc.OperationalError as exc:
                raise optuna.exceptions.StorageInternalError("commit failed") from exc
        finally:
            raise UnboundLocalError("updated_state")  # as _run_trial's finally does

    with pytest.raises(StorageError, match="server closed"), storage_guard(URL):
        optuna_like()


def test_other_errors_pass_through_the_guard() -> None:
    with pytest.raises(ValueError, match="not a storage problem"), storage_guard(URL):
        raise ValueError("not a storage problem")
    with pytest.raises(OptionError, match="refused"), storage_guard(URL):
        raise OptionError("storage refused the password") from _lost()


def test_a_heartbeat_thread_losing_the_storage_is_not_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reported: list[str] = []

    def report(args: threading.ExceptHookArgs) -> None:
        reported.append(str(args.exc_value))

    def beat() -> None:
        raise optuna.exceptions.StorageInternalError("heartbeat") from _lost()

    def other() -> None:
        raise ValueError("a real bug")

    monkeypatch.setattr(threading, "excepthook", report)
    with storage_guard(URL):
        for target in (beat, other):
            thread = threading.Thread(target=target)
            thread.start()
            thread.join()
    assert reported == ["a real bug"] and threading.excepthook is report


def test_a_server_away_when_the_sweep_starts_exits_3_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def unreachable(job: engine_module.Job, worker: int = 0) -> optuna.Study:
        raise optuna.exceptions.StorageInternalError("open failed") from _lost()

    monkeypatch.setattr(engine_module.Job, "open", unreachable)
    monkeypatch.setenv("LSTMSIZER_STORAGE", URL)  # the password stays off the command line
    code, _, err = run_main(monkeypatch, capsys, "sweep", *TINY, "--out", str(tmp_path / "r"))
    said = [line for line in err.splitlines() if line.strip()]
    assert code == 3 and len(said) == 1, err
    assert said[0].startswith("error: storage postgresql://sizer:***@127.0.0.1:1/runs failed")
    assert "hunter22" not in err


def test_a_server_lost_while_the_results_are_collected_exits_3_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def collect(*args: object) -> None:
        raise optuna.exceptions.StorageInternalError("read failed") from _lost()

    monkeypatch.setattr("lstmsizer.sweeping.finish", collect)
    code, _, err = run_main(monkeypatch, capsys, "sweep", *TINY, "--out", str(tmp_path / "r"))
    said = [line for line in err.splitlines() if line.strip()]
    assert code == 3 and len(said) == 1, err
    assert said[0].startswith("error: storage ") and "resumes" in said[0]


def test_a_trial_left_without_a_pid_is_failed_once_old_enough(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lstmsizer.sweeping import study as study_module

    storage = open_storage(None, tmp_path)
    study = optuna.create_study(storage=storage, study_name="s")
    orphan = study.ask()  # its process lost the storage before the objective's first line
    live = study.ask()
    live.set_user_attr("host", study_module.HOST)
    live.set_user_attr("pid", os.getpid())
    assert study_module.fail_dead_local_trials(study) == 0  # too young to tell
    monkeypatch.setattr(study_module, "ORPHAN_SECONDS", -1.0)
    assert study_module.fail_dead_local_trials(study) == 1
    states = {t.number: t.state for t in study.get_trials()}
    assert states == {
        orphan.number: optuna.trial.TrialState.FAIL,
        live.number: optuna.trial.TrialState.RUNNING,
    }


def test_a_worker_whose_storage_failed_exits_with_the_storage_status(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fail(job: object, worker: int) -> None:
        raise StorageError("gone")

    def exit_now(code: int) -> None:
        raise SystemExit(code)

    monkeypatch.setattr(engine_module, "work", fail)
    monkeypatch.setattr(engine_module.os, "_exit", exit_now)
    # what a worker sets up for itself must not touch the test process
    monkeypatch.setattr(engine_module.signal, "signal", lambda *args: None)
    monkeypatch.setattr(processes, "die_with_parent", lambda parent: None)
    with pytest.raises(SystemExit) as info:
        engine_module._worker_main(None, 0, os.getpid())  # type: ignore[arg-type]
    assert info.value.code == engine_module.STORAGE_EXIT == 3


@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
def test_an_unreachable_database_is_a_storage_error_naming_it_masked(tmp_path: Path) -> None:
    pytest.importorskip("psycopg")
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql://sizer:hunter22@127.0.0.1:{port}/runs"
    with pytest.raises(StorageError) as info:
        open_storage(url, tmp_path)
    assert f"postgresql://sizer:***@127.0.0.1:{port}/runs" in str(info.value)
    assert "hunter22" not in str(info.value)


class _CatalogClash(Exception):
    """What psycopg raises when two sessions create the same table at once."""

    sqlstate = "23505"


def test_two_machines_creating_the_tables_at_once_both_open_the_study(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[str] = []
    opened = object()

    def rdb(url: str, **_: object) -> object:
        calls.append(url)
        if len(calls) == 1:  # the other machine created the tables in the same instant
            raise sqlalchemy.exc.IntegrityError(
                "CREATE TABLE studies", {}, _CatalogClash("duplicate key")
            )
        return opened

    monkeypatch.setattr(optuna.storages, "RDBStorage", rdb)
    monkeypatch.setattr(storage_module.time, "sleep", lambda _: None)
    assert open_storage("postgresql://u@host/db", tmp_path) is opened
    assert len(calls) == 2


def test_other_database_errors_are_not_retried(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    class Denied(Exception):
        sqlstate = "42501"  # insufficient privilege

    calls: list[str] = []

    def rdb(url: str, **_: object) -> object:
        calls.append(url)
        raise sqlalchemy.exc.ProgrammingError(
            "CREATE TABLE studies", {}, Denied("permission denied")
        )

    monkeypatch.setattr(optuna.storages, "RDBStorage", rdb)
    with pytest.raises(OptionError, match=r"cannot be opened: .*permission denied"):
        open_storage("postgresql://u@host/db", tmp_path)
    assert len(calls) == 1
