"""Sweeps on real PostgreSQL: two workers on one study, a server lost mid-sweep, passwords.

The shared server comes from .ci/run (LSTMSIZER_POSTGRES_URL); the tests that stop a server
or need password authentication start a private one of their own.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import optuna
import pandas as pd
import pytest

from lstmsizer.datasets import get
from lstmsizer.errors import OptionError
from lstmsizer.secrets import mask_url
from lstmsizer.sweeping import SweepSpec, sweep
from lstmsizer.sweeping.plan import configurations
from lstmsizer.sweeping.storage import open_storage

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

TESTS = Path(__file__).resolve().parent
# The real entry point with the numpy baselines only (ETS and ARIMA take seconds to fit).
CLI = textwrap.dedent(
    f"""
    import sys
    sys.path.insert(0, {str(TESTS)!r})
    import pytest
    from helpers import numpy_baselines_by_default
    from lstmsizer.cli import main

    with pytest.MonkeyPatch.context() as patch:
        numpy_baselines_by_default(patch)
        sys.argv[0] = "lstmsizer"
        main()
    """
)
USER = "sizer"
PASSWORD = "S3cr@t:pa/ss?w0rd"  # every character a URL must escape, and a libpq separator
SECRETS = (PASSWORD, quote(PASSWORD, safe=""))


@pytest.fixture
def postgres_url() -> str:
    url = os.environ.get("LSTMSIZER_POSTGRES_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("LSTMSIZER_POSTGRES_URL is not set: .ci/run starts PostgreSQL for this")
        pytest.skip(
            "no PostgreSQL server: run `bash .ci/postgres.sh` and set LSTMSIZER_POSTGRES_URL"
        )
    return url


def test_two_workers_on_one_postgres_study_train_every_run_once(
    postgres_url: str, tmp_path: Path
) -> None:
    spec = SweepSpec().replace(
        lags=6, units=(1, 2, 3), layers=(1,), seeds=2, folds=2, epochs=2, patience=None, race=False
    )
    study = f"pg-{uuid.uuid4().hex[:8]}"
    result = sweep(
        get("sine", n=200), spec=spec, out=tmp_path, storage=postgres_url, study=study, workers=2
    )
    planned = sorted(
        zip(result.runs["config"], result.runs["seed"], result.runs["fold"], strict=True)
    )
    expected = sorted(
        (c.id, s, f) for c in configurations(spec, 1) for s in spec.seed_list() for f in range(2)
    )
    assert planned == expected
    assert result.info["storage"] == mask_url(postgres_url)


@dataclass
class Server:
    """A throwaway PostgreSQL server: password login over TCP, trust on its own socket."""

    bin: Path
    data: Path
    port: int
    as_user: tuple[str, ...]  # runuser prefix when the tests run as root (initdb refuses)

    def run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        command = [*self.as_user, str(self.bin / tool), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    def running(self) -> bool:
        return self.run("pg_ctl", "-D", str(self.data), "status").returncode == 0

    def start(self) -> None:
        if self.running():
            return
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1"
        log = str(self.data / "server.log")
        done = self.run("pg_ctl", "-D", str(self.data), "-l", log, "-w", "-o", options, "start")
        assert done.returncode == 0, done.stderr + (self.data / "server.log").read_text()

    def stop(self) -> None:
        """Stop at once, as a crash or a lost network would: no clean goodbye to clients."""
        self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def sql(self, statement: str) -> None:
        args = ("-h", str(self.data), "-p", str(self.port), "-U", "postgres", "-c", statement)
        done = self.run("psql", *args, "-v", "ON_ERROR_STOP=1")
        assert done.returncode == 0, done.stderr

    def url(self, password: bool = True) -> str:
        secret = f":{quote(PASSWORD, safe='')}" if password else ""
        return f"postgresql://{USER}{secret}@127.0.0.1:{self.port}/{USER}"


def _postgres_bin() -> Path | None:
    """The folder holding initdb, pg_ctl and psql: Debian's, else the one on PATH."""
    versions = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if p.parent.name.isdigit()]
    candidates = sorted(versions, key=lambda p: int(p.parent.name), reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    tools = ("initdb", "pg_ctl", "psql")
    return next((c for c in candidates if all((c / t).exists() for t in tools)), None)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def private_server() -> Iterator[Server]:
    """A private server of this module's own, with a role USER that logs in with PASSWORD."""
    pytest.importorskip("psycopg")
    bin_dir = _postgres_bin()
    if bin_dir is None:
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl): install postgresql")
    as_user: tuple[str, ...] = ()
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root without a postgres user to run the server as")
        as_user = ("runuser", "-u", "postgres", "--")
    # in /tmp, not tmp_path: the socket's path must stay short and the server user reach it
    data = Path(tempfile.mkdtemp(prefix="lstmsizer-pg-"))
    if as_user:
        shutil.chown(data, "postgres")
    server = Server(bin_dir, data, _free_port(), as_user)
    try:
        auth = ("--auth-local=trust", "--auth-host=scram-sha-256", "-U", "postgres")
        done = server.run("initdb", "-D", str(data), *auth)
        assert done.returncode == 0, done.stderr
        server.start()
        server.sql(f"CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}'")
        server.sql(f"CREATE DATABASE {USER} OWNER {USER}")
        yield server
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture
def server(private_server: Server) -> Server:
    """The private server, running (a failed test may have left it stopped)."""
    private_server.start()
    return private_server


def _completed(url: str, study: str) -> int:
    import psycopg

    query = (
        "SELECT count(*) FROM trials JOIN studies USING (study_id) "
        "WHERE study_name = %s AND state = 'COMPLETE'"
    )
    try:
        with psycopg.connect(url, connect_timeout=5) as connection:
            row = connection.execute(query, (study,)).fetchone()
    except psycopg.Error:  # no tables yet
        return 0
    return int(row[0]) if row else 0


def _no_secret_in(run_dir: Path, *texts: str) -> None:
    for path in run_dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(s.encode() in data for s in SECRETS), path
    assert not any(s in text for s in SECRETS for text in texts)


def test_a_server_lost_mid_sweep_is_one_line_exit_3_and_a_rerun_completes_every_run_once(
    server: Server, tmp_path: Path
) -> None:
    spec = SweepSpec().replace(
        lags=4, units=(2, 3, 4, 5), layers=(1,), seeds=1, folds=2, epochs=60, patience=None, lr=0.01
    )
    run_dir = tmp_path / "run"
    args = [
        sys.executable, "-c", CLI, "sweep", "--dataset", "sine", "--lags", "4",
        "--units", "2,3,4,5", "--layers", "1", "--seeds", "1", "--folds", "2",
        "--epochs", "60", "--patience", "0", "--lr", "0.01", "--workers", "2",
        "--study", "lost", "--out", str(run_dir), "--no-progress",
    ]  # fmt: skip
    first = subprocess.Popen(
        [*args, "--storage", server.url()],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300
        while (
            _completed(server.url(), "lost") < 1
            and first.poll() is None
            and time.monotonic() < deadline
        ):
            time.sleep(0.2)
        assert first.poll() is None, "the sweep ended before the server could be stopped"
        server.stop()
        _, err = first.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        first.kill()
        pytest.fail(f"the sweep went on without its server: {first.communicate()[1]}")
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    lines = [line for line in err.splitlines() if line.strip()]
    assert first.returncode == 3, err
    assert sum(line.startswith("error:") for line in lines) == 1, err
    assert lines[-1].startswith(
        f"error: storage postgresql://{USER}:***@127.0.0.1:{server.port}/{USER} failed: "
    ), lines[-1]
    assert lines[-1].endswith(
        "re-running the same command resumes the sweep once the storage is back"
    )
    server.start()
    # the same command, the password in the environment rather than on the command line
    env = {**os.environ, "LSTMSIZER_STORAGE": server.url()}
    second = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err_again = (text.decode() for text in second.communicate(timeout=600))
    except subprocess.TimeoutExpired:
        second.kill()
        out, err_again = (text.decode() for text in second.communicate())
        pytest.fail(f"the rerun did not finish in 600 s: {err_again}")
    assert second.returncode == 0, err_again
    runs = pd.read_csv(run_dir / "runs.csv")
    planned = sorted(zip(runs["config"], runs["seed"], runs["fold"], strict=True))
    expected = sorted(
        (c.id, s, f) for c in configurations(spec, 1) for s in spec.seed_list() for f in range(2)
    )
    assert planned == expected  # every configuration exactly once
    recorded = json.loads((run_dir / "recommendation.json").read_text())
    assert recorded["storage"] == mask_url(server.url()) and "***" in recorded["storage"]
    _no_secret_in(run_dir, err, out, err_again)


@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
def test_a_pgpass_file_gives_the_password_of_a_url_without_one(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = server.url(password=False)
    passfile = tmp_path / "pgpass"  # PGPASSFILE stands in for ~/.pgpass
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    with pytest.raises(OptionError, match="no password supplied") as info:
        open_storage(bare, tmp_path)
    assert str(info.value).startswith(f"storage {bare} cannot be opened")
    escaped = PASSWORD.replace("\\", "\\\\").replace(":", "\\:")
    passfile.write_text(f"127.0.0.1:{server.port}:{USER}:{USER}:{escaped}\n")
    passfile.chmod(0o600)  # libpq ignores a password file others can read
    storage = open_storage(bare, tmp_path)
    assert storage.get_all_studies() is not None


def test_a_panel_sweep_from_two_machines_shares_one_postgres_study(
    postgres_url: str, tmp_path: Path
) -> None:
    # two commands, as on two machines: each its own run folder, one study on the server
    data = tmp_path / "shops.csv"
    frames = []
    for i, n in enumerate((60, 75, 50)):
        t = pd.RangeIndex(n)
        frames.append(pd.DataFrame({"unique_id": f"s{i}", "ds": t, "y": (t % (5 + i)) * 1.0 + i}))
    pd.concat(frames).to_csv(data, index=False)
    study = f"pg-panel-{uuid.uuid4().hex[:8]}"
    args = [
        sys.executable, "-c", CLI, "sweep", str(data), "--lags", "4", "--units", "1,2,3,4",
        "--layers", "1", "--seeds", "1", "--folds", "2", "--epochs", "20", "--patience", "0",
        "--lr", "0.01", "--no-race", "--workers", "1", "--align", "end", "--study", study,
        "--storage", postgres_url, "--no-progress",
    ]  # fmt: skip
    machines = [
        subprocess.Popen([*args, "--out", str(tmp_path / f"m{k}")], stderr=subprocess.PIPE)
        for k in range(2)
    ]
    errors = [m.communicate(timeout=600)[1].decode() for m in machines]
    assert [m.returncode for m in machines] == [0, 0], errors
    spec = SweepSpec().replace(lags=4, units=(1, 2, 3, 4), layers=(1,), seeds=1, folds=2)
    expected = sorted((c.id, s, f) for c in configurations(spec, 1) for s in (0,) for f in (0, 1))
    for k in range(2):
        runs = pd.read_csv(tmp_path / f"m{k}" / "runs.csv")
        assert sorted(zip(runs["config"], runs["seed"], runs["fold"], strict=True)) == expected
        recorded = json.loads((tmp_path / f"m{k}" / "recommendation.json").read_text())
        assert recorded["data"]["panel"]["series"] == 3
    storage = open_storage(postgres_url, tmp_path)
    trials = optuna.load_study(study_name=study, storage=storage).trials
    # every configuration finished; two machines that claim the same one in the same instant
    # both train it (the plan hands out the same next configuration to each), never more
    done = pd.Series([t.params["config"] for t in trials if t.state.name == "COMPLETE"])
    counts = done.value_counts()
    assert sorted(counts.index) == sorted({c for c, _, _ in expected})
    assert counts.max() <= 2
