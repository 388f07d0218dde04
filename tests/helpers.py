"""Helpers shared by the command-line, sweep and claims tests."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from typer.testing import CliRunner, Result

import lstmsizer.baselines
from lstmsizer.claims import Settings
from lstmsizer.cli import app, main
from lstmsizer.contract import Forecaster

# Bound before any test patches the default: numpy_only filters the real one.
every_baseline = lstmsizer.baselines.default_baselines

runner = CliRunner()


def invoke(*args: str) -> Result:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result


def invoke_json(*args: str) -> Any:
    result = invoke(*args, "--json")
    assert result.stderr == ""
    return json.loads(result.stdout)  # the whole of stdout is one JSON value


def run_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """Run the real entry point in-process: (exit status, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["lstmsizer", *args])
    with pytest.raises(SystemExit) as info:
        main()
    captured = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 0), captured.out, captured.err


# Claims experiments small enough for a unit test: seconds, not minutes.
TINY = Settings(
    memory_lags=3,
    memory_delays=(1, 3),
    memory_units=(1, 2),
    memory_n=80,
    speed_units=(127, 128),
    speed_repeats=2,
    speed_blocks=2,
    speed_seconds=0.1,
    gradient_units=(2, 8),
    gradient_init_seeds=3,
    depth_units=2,
    depth_layers=2,
    linear_units=(2,),
    linear_n=120,
    seeds=2,
    folds=1,
    epochs=2,
)


def numpy_only(lags: int, horizon: int = 1, period: int | None = None) -> list[Forecaster]:
    """Every baseline but ETS and ARIMA, which take seconds to fit: a baseline factory for
    fast sweeps in tests, passed as baselines=numpy_only (it pickles: module level)."""
    return [b for b in every_baseline(lags, horizon, period) if b.name not in ("ETS", "ARIMA")]


def numpy_baselines_by_default(patch: pytest.MonkeyPatch) -> None:
    """Make numpy_only the default baselines, for tests that run a command, which cannot
    pass baselines=. The one test hook: lstmsizer.baselines.default_baselines is the only
    place the library looks the default up (make_baselines with baselines=None)."""
    patch.setattr(lstmsizer.baselines, "default_baselines", numpy_only)
