"""A sweep's life cycle: options checked first, one study per folder, results written whole."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from helpers import numpy_baselines_by_default, numpy_only, run_main

import lstmsizer.atomic
from lstmsizer.atomic import atomic_write, check_writable, write_text
from lstmsizer.datasets import get
from lstmsizer.errors import OptionError
from lstmsizer.sweeping import STUDY_FILE, WAIT_SECONDS, SweepSpec, claim_folder, sweep
from lstmsizer.sweeping.engine import Job
from lstmsizer.sweeping.plan import configurations
from lstmsizer.sweeping.study import HOST, PARAM

TESTS = Path(__file__).resolve().parent
# The real entry point with the numpy baselines only (ETS and ARIMA take seconds to fit).
# With GATE set, training lstm-u4-l1 first touches GATE.started, then waits for GATE.
CLI = textwrap.dedent(
    f"""
    import os, sys, time
    from pathlib import Path
    sys.path.insert(0, {str(TESTS)!r})
    import pytest
    from helpers import numpy_baselines_by_default
    import lstmsizer.sweeping.engine as engine
    from lstmsizer.cli import main
    real = engine.train_configuration

    def gated(config, *args, **kwargs):
        gate = Path(os.environ["GATE"])
        if config.id == "lstm-u4-l1":
            gate.with_suffix(".started").touch()
            while not gate.exists():
                time.sleep(0.1)
        return real(config, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        numpy_baselines_by_default(patch)
        if "GATE" in os.environ:
            patch.setattr(engine, "train_configuration", gated)
        main()
    """
)
TINY = (
    "--dataset", "sine", "--lags", "4", "--units", "2,4", "--layers", "1", "--seeds", "1",
    "--folds", "1", "--epochs", "2", "--patience", "0", "--lr", "0.01", "--workers", "1",
)  # fmt: skip
TINY_SPEC = SweepSpec().replace(
    lags=4, units=(2, 4), layers=(1,), seeds=1, folds=1, epochs=2, patience=None, lr=0.01
)
RESULTS = ("runs.csv", "summary.csv", "recommendation.json", "model.pt", "report.html")
BOTH = {"lstm-u2-l1", "lstm-u4-l1"}


def one_error_line(code: int, err: str) -> str:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


@pytest.mark.parametrize(
    ("option", "named"),
    [
        (("--dropout", "1.5"), "dropout"),
        (("--lr", "0"), "lr"),
        (("--batch-size", "0"), "batch_size"),
        (("--seeds", "0"), "seeds"),
        (("--folds", "0"), "folds"),
        (("--epochs", "0"), "epochs"),
        (("--patience", "-1"), "patience"),
        (("--lr-patience", "-1"), "lr_patience"),
        (("--min-epochs", "-1"), "min_epochs"),
        (("--restarts", "-1"), "restarts"),
        (("--stop-fraction", "0.9"), "stop_fraction"),
        (("--test", "1.0"), "test"),
        (("--lags", "0"), "lags"),
        (("--horizon", "0"), "horizon"),
        (("--search", "tpe", "--trials", "0"), "trials"),
        (("--workers", "0"), "workers"),
        (("--storage", "http://example.org/db"), "storage"),
        (("--storage", "sqlite://"), "in-memory"),
    ],
)
def test_a_bad_option_is_one_line_before_any_study_or_folder(
    option: tuple[str, ...],
    named: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # the default run folder would be made here
    for out in ((), ("--out", str(tmp_path / "run"))):
        code, stdout, err = run_main(monkeypatch, capsys, "sweep", *TINY, *option, *out)
        assert named in one_error_line(code, err) and stdout == ""
        assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("dropout", 1.5),
        ("dropout", "0.2"),
        ("init", "glorot"),
        ("activation", "gelu"),
        ("seed", 1.5),
        ("equal_budget", "yes"),
        ("test_fraction", "0.1"),
        ("lr", "fast"),
        ("units", ()),
        ("units", (4, 0)),
    ],
)
def test_every_spec_field_is_checked_where_the_spec_is_made(field: str, value: object) -> None:
    with pytest.raises(OptionError, match=field.split("_")[0]):
        SweepSpec().replace(**{field: value})


def test_an_out_that_is_a_file_or_under_one_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "notes.txt"
    file.write_text("not a folder\n")
    for out, reason in ((file, "which is a file"), (file / "run", "notes.txt' is a file")):
        code, _, err = run_main(monkeypatch, capsys, "sweep", *TINY, "--out", str(out))
        line = one_error_line(code, err)
        assert line.startswith("error: out ") and reason in line
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    assert file.read_text() == "not a folder\n"


def test_an_out_that_cannot_be_written_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    real = os.access

    def access(path: object, mode: int, **kwargs: object) -> bool:  # root may write anywhere
        return Path(str(path)) != locked and real(path, mode, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(lstmsizer.atomic.os, "access", access)  # os.access, for this test
    code, _, err = run_main(monkeypatch, capsys, "sweep", *TINY, "--out", str(locked / "a" / "b"))
    assert "is not writable" in one_error_line(code, err)
    assert list(locked.iterdir()) == []
    check_writable("out", tmp_path / "new" / "deeper")  # creatable: fine, and not created
    assert not (tmp_path / "new").exists()


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_another_data_set_into_the_same_out_is_refused_and_nothing_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    numpy_baselines_by_default(monkeypatch)
    code, _, err = run_main(monkeypatch, capsys, "sweep", *TINY, "--out", str(out), "--json")
    assert code == 0, err
    assert json.loads((out / STUDY_FILE).read_text())["study"] == "sine-lags4-h1"
    before = _digests(out)
    other = [a if a != "sine" else "ar" for a in TINY]
    for study in ((), ("--study", "mine")):
        code, _, err = run_main(monkeypatch, capsys, "sweep", *other, "--out", str(out), *study)
        line = one_error_line(code, err)
        assert "holds study 'sine-lags4-h1'" in line and "--study sine-lags4-h1" in line
    assert _digests(out) == before


def test_a_folder_from_before_the_marker_is_known_by_its_recommendation(tmp_path: Path) -> None:
    write_text(
        tmp_path / "recommendation.json", json.dumps({"study": "old", "data": {"name": "x"}})
    )
    with pytest.raises(OptionError, match="holds study 'old' \\(data x\\), not 'new'"):
        claim_folder(tmp_path, "new", "y")
    claim_folder(tmp_path, "old", "x")  # the same study resumes
    assert not (tmp_path / STUDY_FILE).exists()
    fresh = tmp_path / "fresh"
    claim_folder(fresh, "s", "sine")
    claim_folder(fresh, "s", "sine")
    assert json.loads((fresh / STUDY_FILE).read_text()) == {
        "format": 1,
        "study": "s",
        "data": "sine",
    }


def _start(out: Path, stderr: Path, gate: Path | None = None) -> subprocess.Popen[str]:
    """The sweep command on the tiny plan, as its own process; stderr goes to a file."""
    env = {k: v for k, v in os.environ.items() if k != "GATE"}
    if gate is not None:
        env["GATE"] = str(gate)
    command = [sys.executable, "-c", CLI, "sweep", *TINY, "--out", str(out), "--json"]
    with stderr.open("w") as err:
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, text=True, env=env)


def _until(done: Callable[[], bool], proc: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + 120
    while not done():
        assert proc.poll() is None, f"the process ended before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _waits_without_results(proc: subprocess.Popen[str], stderr: Path, out: Path) -> str:
    """Wait until proc says it waits; check that it still does and wrote no results."""
    _until(lambda: "waiting for 1 configuration" in stderr.read_text(), proc, "it waited")
    time.sleep(2 * WAIT_SECONDS)
    assert proc.poll() is None
    assert [name for name in RESULTS if (out / name).exists()] == []
    return stderr.read_text()


def _finished_with_both(proc: subprocess.Popen[str], stderr: Path) -> None:
    stdout, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr.read_text()
    assert "Traceback" not in stderr.read_text()
    assert {row["config"] for row in json.loads(stdout)["table"]} == BOTH


@pytest.mark.slow
def test_two_commands_on_one_out_write_results_only_when_both_configurations_settled(
    tmp_path: Path,
) -> None:
    out, gate = tmp_path / "run", tmp_path / "gate"
    first = _start(out, tmp_path / "first.txt", gate)  # trains lstm-u4-l1 first, held at gate
    _until(gate.with_suffix(".started").exists, first, "the first process held lstm-u4-l1")
    second = _start(out, tmp_path / "second.txt")  # trains lstm-u2-l1, then waits
    said = _waits_without_results(second, tmp_path / "second.txt", out)
    assert f"lstm-u4-l1 on {HOST}:{first.pid}" in said
    gate.touch()
    _finished_with_both(second, tmp_path / "second.txt")
    _finished_with_both(first, tmp_path / "first.txt")
    assert set(pd.read_csv(out / "runs.csv")["config"]) == BOTH


def _hold_a_trial(out: Path, config: str, pid: int) -> None:
    """Leave `config` RUNNING in the study, as if process `pid` of this host trained it."""
    data = get("sine")
    configs = {c.id: c for c in configurations(TINY_SPEC, 1)}
    study = Job(TINY_SPEC, data, None, "sine-lags4-h1", out, configs).open()
    study.enqueue_trial({PARAM: config})
    trial = study.ask()
    trial.set_user_attr("host", HOST)
    trial.set_user_attr("pid", pid)


@pytest.mark.slow
def test_a_configuration_whose_process_dies_while_waited_for_is_trained_here(
    tmp_path: Path,
) -> None:
    out = tmp_path / "run"
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        _hold_a_trial(out, "lstm-u4-l1", holder.pid)
        proc = _start(out, tmp_path / "stderr.txt")
        said = _waits_without_results(proc, tmp_path / "stderr.txt", out)
        assert f"lstm-u4-l1 on {HOST}:{holder.pid}" in said
    finally:
        holder.kill()
        holder.wait()
    _finished_with_both(proc, tmp_path / "stderr.txt")
    assert set(pd.read_csv(out / "runs.csv")["config"]) == BOTH


def test_an_atomic_write_leaves_the_target_unchanged_on_an_error(tmp_path: Path) -> None:
    target = tmp_path / "runs.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError, match="half way"), atomic_write(target) as temp:
        assert temp.parent == tmp_path and temp.suffix == ".csv" and temp != target
        temp.write_text("half")
        raise RuntimeError("half way")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["runs.csv"]


def test_an_atomic_write_replaces_the_target_whole(tmp_path: Path) -> None:
    target = tmp_path / "summary.csv"
    target.write_text("old\n")
    with atomic_write(target) as temp:
        pd.DataFrame({"a": [1, 2]}).to_csv(temp, index=False)
        assert target.read_text() == "old\n"  # readers see the old file until the rename
    assert target.read_text() == "a\n1\n2\n"
    assert write_text(tmp_path / "r.json", "{}") == tmp_path / "r.json"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "summary.csv"]


def test_an_exclusive_atomic_write_never_replaces(tmp_path: Path) -> None:
    target = tmp_path / STUDY_FILE
    write_text(target, "first", exclusive=True)
    with pytest.raises(FileExistsError):
        write_text(target, "second", exclusive=True)
    assert target.read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == [STUDY_FILE]


def test_every_file_of_the_run_folder_is_renamed_into_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "run"
    renamed: list[str] = []
    real = os.replace

    def replace(src: str, dst: str) -> None:
        renamed.append(str(Path(dst).relative_to(out)))
        real(src, dst)

    monkeypatch.setattr(lstmsizer.atomic.os, "replace", replace)
    data = get("sine", n=150)
    result = sweep(data, spec=TINY_SPEC, out=out, workers=1, progress=False, baselines=numpy_only)
    from lstmsizer.report import build_report

    build_report(result.run_dir)
    written = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    journal = {name for name in written if name.startswith("study.journal")}  # Optuna's own
    assert written - journal == {*renamed, STUDY_FILE}  # the marker is linked into place
    assert {"runs.csv", "model.pt", "report.html", "plots/rmse.png"} <= set(renamed)
