"""Tests for the analysis commands: claims and diagnose, their output, JSON and errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from helpers import TINY, invoke, invoke_json, numpy_baselines_by_default

import lstmsizer.claims.run
import lstmsizer.sweeping.result
import lstmsizer.sweeping.runs
from lstmsizer.claims import Claim
from lstmsizer.claims.result import figure
from lstmsizer.cli import app, main
from lstmsizer.intervals import Interval


def one_error_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> str:
    """Run the real entry point in-process; assert exit 2 with one error line, return it."""
    monkeypatch.setattr(sys, "argv", ["lstmsizer", *args])
    with pytest.raises(SystemExit) as info:
        main()
    captured = capsys.readouterr()
    assert info.value.code == 2 and captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), captured.err
    return lines[0]


@pytest.fixture
def fast_sweeps(monkeypatch: pytest.MonkeyPatch) -> None:
    numpy_baselines_by_default(monkeypatch)


@pytest.fixture
def run_dir(tiny_run: Path) -> Path:
    return tiny_run  # a copy: diagnose writes diagnostics.json into the run folder


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model saved by `lstmsizer fit --save`."""
    path = tmp_path_factory.mktemp("model") / "model.pt"
    fit = ("fit", "--dataset", "sine", "--lags", "4", "--units", "3", "--epochs", "3")
    invoke(*fit, "--val-fraction", "0", "--save", str(path))
    return path


@pytest.mark.parametrize("command", ["claims", "diagnose"])
def test_help_shows_every_default(command: str) -> None:
    text = invoke(command, "--help").stdout
    group = typer.main.get_command(app)
    params = group.commands[command].params  # type: ignore[attr-defined]
    options = [p for p in params if p.param_type_name == "option" and p.name != "help"]
    for option in options:
        assert option.opts[0] in text
    assert text.count("[default:") >= len(options)


def fake_experiment(verdict: str) -> Any:
    def experiment(ctx: Any) -> Claim:
        evidence = f"{ctx.dataset.name} lags {ctx.lags}"
        ratio = figure(Interval(0.9, 0.85, 0.93, 0.9, "bootstrap", 30), "x")
        return Claim(
            f"claim {verdict}", verdict, evidence, {"x": 1}, figures={"ratio": ratio},
            threshold="needs a ratio below 0.95", tested="tested small",
        )  # fmt: skip

    return experiment


@pytest.fixture
def two_fake_claims(monkeypatch: pytest.MonkeyPatch) -> None:
    fakes = (("a", fake_experiment("supported")), ("b", fake_experiment("not supported")))
    monkeypatch.setattr(lstmsizer.claims.run, "EXPERIMENTS", fakes)


@pytest.mark.usefixtures("two_fake_claims")
def test_claims_prints_a_table_and_writes_claims_json_into_a_run_folder(tmp_path: Path) -> None:
    text = invoke("claims", "--dataset", "sine", "--lags", "5", "--out", str(tmp_path)).stdout
    assert "claim supported" in text and "not supported" in text and "sine lags 5" in text
    # the table wraps its cells to the terminal's width: look for the words, not the lines
    for word in ("0.9x", "(90%", "0.85x", "0.93x", "needs", "ratio", "0.95", "(tested", "small)"):
        assert word in text
    assert "Measured in" in text and f"{tmp_path / 'claims.json'}" in "".join(text.split())
    payload = json.loads((tmp_path / "claims.json").read_text())
    assert [c["verdict"] for c in payload["claims"]] == ["supported", "not supported"]
    assert payload["claims"][0]["figures"]["ratio"]["low"] == 0.85


@pytest.mark.usefixtures("two_fake_claims")
def test_claims_json_is_one_object_and_out_may_name_a_file(tmp_path: Path) -> None:
    out = tmp_path / "deeper" / "mine.json"
    payload = invoke_json("claims", "--dataset", "sine", "--seed", "3", "--out", str(out))
    assert payload == json.loads(out.read_text())
    assert payload["seed"] == 3 and payload["quick"] is True
    assert payload["claims"][0] == {
        "claim": "claim supported",
        "verdict": "supported",
        "evidence": "sine lags 12",
        "numbers": {"x": 1},
        "seconds": payload["claims"][0]["seconds"],
        "figures": {
            "ratio": {"estimate": 0.9, "low": 0.85, "high": 0.93, "level": 0.9,
                      "method": "bootstrap", "n": 30, "unit": "x"}
        },
        "threshold": "needs a ratio below 0.95",
        "tested": "tested small",
    }  # fmt: skip
    assert invoke_json("claims", "--dataset", "sine", "--full")["quick"] is False


@pytest.mark.slow
@pytest.mark.usefixtures("fast_sweeps")
def test_claims_json_runs_all_six_experiments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lstmsizer.claims.run, "QUICK", TINY)  # --quick, made tinier
    payload = invoke_json("claims", "--dataset", "sine", "--lags", "4")
    assert len(payload["claims"]) == 6 and payload["quick"] is True
    verdicts = {c["verdict"] for c in payload["claims"]}
    assert verdicts <= {"supported", "not supported", "cannot tell"}


def test_diagnose_run_dir_prints_sizes_and_writes_diagnostics(run_dir: Path) -> None:
    text = invoke("diagnose", str(run_dir), "--sizes", "2").stdout
    assert "lstm-u2-l1" in text and "lstm-u4-l1" in text and " *" in text
    assert "units can be removed" in text and "no stacked configuration" in text
    assert (run_dir / "diagnostics.json").is_file()
    payload = invoke_json("diagnose", str(run_dir), "--sizes", "1")
    assert [s["config"] for s in payload["sizes"]] == [payload["recommended"]]
    size = payload["sizes"][0]["diagnostics"]
    assert size["gradients_init"]["stage"] == "init" and size["gradients"]["stage"] == "trained"


def test_diagnose_model_on_a_saved_fit(model_file: Path) -> None:
    text = invoke("diagnose", "--model", str(model_file), "--dataset", "sine").stdout
    assert "LSTM(3)" in text and "units can be removed" in text and "Input saliency" in text
    payload = invoke_json("diagnose", "--model", str(model_file), "--dataset", "sine")
    assert payload["model"] == "LSTM(3)" and payload["lags"] == 4
    assert payload["ablation"]["windows"] == 100  # the last 20% of 500 values
    assert payload["gradients_init"]["stage"] == "init"


def test_diagnose_errors_print_one_line(
    run_dir: Path,
    model_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def error(*args: str) -> str:
        return one_error_line(monkeypatch, capsys, "diagnose", *args)

    assert "RUN_DIR" in error() and "--model" in error()
    assert "not both" in error(str(run_dir), "--model", str(model_file))
    assert "recommendation.json" in error(str(tmp_path))
    assert "--dataset" in error(str(run_dir), "--dataset", "sine")
    assert "--sizes" in error("--model", str(model_file), "--sizes", "2")
    assert "val_fraction" in error("--model", str(model_file), "--val-fraction", "0")
    assert "does not exist" in error("--model", str(tmp_path / "missing.pt"))


def test_claims_errors_print_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "lags" in one_error_line(monkeypatch, capsys, "claims", "--lags", "0")
    assert "too short" in one_error_line(monkeypatch, capsys, "claims", "--dataset", "seed")
