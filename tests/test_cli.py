"""Tests for the lstmsizer command line: output, JSON, round trips, errors and exit codes."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from helpers import invoke, invoke_json, numpy_baselines_by_default, numpy_only, run_main

import lstmsizer.fitting
from lstmsizer.cli import app, main

ROOT = Path(__file__).resolve().parents[1]
FAST_SEED = ("--dataset", "seed", "--lags", "2", "--units", "4", "--epochs", "5")
BASELINE_PREFIXES = (
    "naive",
    "seasonal naive",
    "drift",
    "moving average",
    "linear AR",
    "poly AR",
    "ETS",
    "ARIMA",
)


def fast_baselines(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Leave out the statsmodels baselines, which take tens of seconds to fit."""
    numpy_baselines_by_default(monkeypatch)
    return [b.name for b in numpy_only(12)]


@pytest.mark.parametrize("command", ["explain", "fit", "predict", "datasets", "sweep", "speed"])
def test_help_shows_every_default(command: str) -> None:
    text = invoke(command, "--help").stdout
    group = typer.main.get_command(app)
    params = group.commands[command].params  # type: ignore[attr-defined]
    options = [p for p in params if p.param_type_name == "option" and p.name != "help"]
    for option in options:
        assert option.opts[0] in text
    assert text.count("[default:") >= len(options)


def test_help_documents_fit_defaults() -> None:
    text = " ".join(invoke("fit", "--help").stdout.split())
    for default in ("[default: 12]", "[default: 32]", "[default: 100]", "[default: 0.2]"):
        assert default in text


def test_explain_table_and_paragraph() -> None:
    out = invoke("explain", "--units", "100", "--lags", "2", "--features", "1").stdout
    for fact in ("(B, 2, 1)", "(1, 400)", "(100, 400)", "(400,)", "(B, 100)", "(B, 1)"):
        assert fact in out
    assert "40,901" in out and "41,301" in out
    assert "165,200" in out
    assert "learned summary of the window" in " ".join(out.split())


def test_explain_json_is_one_object() -> None:
    payload = invoke_json("explain", "--units", "100", "--lags", "2", "--features", "1")
    assert payload["keras_parameters"] == 40_901
    assert payload["tensors"][0]["shape"] == [32, 2, 1]
    gru = invoke_json("explain", "--units", "3", "--lags", "2", "--cell", "gru", "--layers", "2")
    assert gru["keras_parameters"] == 3 * (3 + 9 + 6) + 3 * (9 + 9 + 6) + 4


def test_datasets_lists_every_dataset() -> None:
    out = invoke("datasets").stdout
    names = [row["name"] for row in invoke_json("datasets")["datasets"]]
    assert {"seed", "sunspots", "airline", "sine", "ar", "mackey-glass", "delay"} <= set(names)
    for name in names:
        assert name in out
    assert "309" in out


def test_fit_without_validation_prints_only_the_forecast() -> None:
    out = invoke("fit", *FAST_SEED, "--val-fraction", "0").stdout
    assert "No validation" in out
    assert "Forecast of the next value:" in out
    assert "RMSE" not in out
    payload = invoke_json("fit", *FAST_SEED, "--val-fraction", "0", "--steps", "3")
    assert payload["validated"] is False and payload["table"] == []
    assert len(payload["forecast"]) == 3
    assert payload["data"]["name"] == "seed" and payload["data"]["length"] == 10


def test_fit_on_sunspots_scores_every_baseline_sorted(monkeypatch: pytest.MonkeyPatch) -> None:
    names = fast_baselines(monkeypatch)
    args = ("fit", "--units", "4", "--epochs", "2")
    payload = invoke_json(*args)
    rows = payload["table"]
    assert len(rows) == 1 + len(names)
    assert [r["kind"] for r in rows].count("lstm") == 1
    rmse = [r["rmse"] for r in rows]
    assert rmse == sorted(rmse)
    sizes = {key: payload["data"][key] for key in ("length", "train", "validation")}
    assert sizes == {"length": 309, "train": 247, "validation": 62}
    out = invoke(*args).stdout
    positions = [out.index(r["model"]) for r in rows]
    assert positions == sorted(positions)
    assert "sunspots" in out and "after 2008" in out


@pytest.mark.slow
def test_fit_table_has_the_statistical_baselines() -> None:
    rows = invoke_json("fit", "--units", "4", "--epochs", "2")["table"]
    models = [r["model"] for r in rows if r["kind"] == "baseline"]
    for prefix in BASELINE_PREFIXES:
        assert any(m.startswith(prefix) for m in models), (prefix, models)
    assert [r["rmse"] for r in rows] == sorted(r["rmse"] for r in rows)


def test_fit_save_then_predict_round_trip(tmp_path: Path) -> None:
    model = tmp_path / "model.pt"
    fitted = invoke_json(
        "fit", *FAST_SEED, "--val-fraction", "0", "--steps", "3", "--save", str(model)
    )
    assert fitted["saved"] == str(model) and model.is_file()
    predicted = invoke_json("predict", str(model), "--dataset", "seed", "--steps", "3")
    assert predicted["forecast"] == pytest.approx(fitted["forecast"], rel=1e-12)
    out = invoke("predict", str(model), "--dataset", "seed").stdout
    assert f"{fitted['forecast'][0]:.6g}" in out


def test_fit_fills_missing_values_and_says_so(tmp_path: Path) -> None:
    csv = tmp_path / "gaps.csv"
    values = [f"{i},{i % 7 if i not in (5, 9) else ''}" for i in range(40)]
    csv.write_text("t,y\n" + "\n".join(values) + "\n")
    args = [str(csv), "--column", "y", "--time-column", "t", "--lags", "2", "--units", "2"]
    args += ["--epochs", "1", "--val-fraction", "0"]
    out = " ".join(invoke("fit", *args, "--fill", "interpolate").stdout.split())
    assert "40 values; 2 missing values filled (interpolate)" in out
    out = " ".join(invoke("fit", *args, "--fill", "drop").stdout.split())
    assert "38 values; 2 rows dropped" in out


def one_error_line(code: int, err: str) -> str:
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture
def nan_csv(tmp_path: Path) -> Path:
    path = tmp_path / "nan.csv"
    path.write_text("t,y\n" + "\n".join(f"{i},{'' if i == 3 else i % 5}" for i in range(30)))
    return path


FIT = ("fit", "--epochs", "1")


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ((*FIT, "does-not-exist.csv"), "does not exist"),
        ((*FIT, "{nan}", "--column", "nope"), "'nope' is not a column"),
        ((*FIT, "{nan}", "--column", "y"), "missing or infinite values"),
        ((*FIT, "--dataset", "seed", "--lags", "12"), "too short"),
        ((*FIT, "--units", "0"), "units"),
        ((*FIT, "--lags", "0"), "lags"),
        ((*FIT, "--horizon", "0"), "horizon"),
        ((*FIT, "--val-fraction", "1.0"), "val_fraction"),
        ((*FIT, "--val-fraction", "-0.1"), "val_fraction"),
        ((*FIT, "--dataset", "nosuch"), "dataset must be one of"),
        (("explain", "--units", "0"), "units"),
        (("explain", "--features", "0"), "features"),
    ],
)
def test_user_errors_print_one_line_and_exit_2(
    args: tuple[str, ...],
    named: str,
    nan_csv: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = [str(nan_csv) if a == "{nan}" else a for a in args]
    code, out, err = run_main(monkeypatch, capsys, *argv)
    assert named in one_error_line(code, err)
    assert out == ""


def test_predict_with_a_file_that_is_not_a_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a model\n")
    code, _, err = run_main(monkeypatch, capsys, "predict", str(text), "--dataset", "seed")
    assert "not an lstmsizer model file" in one_error_line(code, err)
    code, _, err = run_main(monkeypatch, capsys, "predict", str(tmp_path / "missing.pt"))
    assert "does not exist" in one_error_line(code, err)


def test_predict_with_the_wrong_number_of_features(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    csv, model = tmp_path / "two.csv", tmp_path / "two.pt"
    csv.write_text("y,x\n" + "\n".join(f"{i % 6},{i % 4}" for i in range(30)) + "\n")
    fit = ("fit", str(csv), "--column", "y", "--features", "x", "--lags", "2", "--units", "2")
    invoke(*fit, "--epochs", "1", "--val-fraction", "0", "--save", str(model))
    code, _, err = run_main(monkeypatch, capsys, "predict", str(model), "--dataset", "seed")
    assert "2 input column(s)" in one_error_line(code, err)


def test_usage_errors_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(monkeypatch, capsys, "fit", "--no-such-option")
    assert code == 2 and "--no-such-option" in err
    code, _, _ = run_main(monkeypatch, capsys, "fit", "--cell", "lstmx")
    assert code == 2


def test_keyboard_interrupt_exits_130_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(lstmsizer.fitting, "fit", interrupted)
    code, out, err = run_main(monkeypatch, capsys, "fit", *FAST_SEED)
    assert (code, out, err) == (130, "", "interrupted\n")


def test_unexpected_errors_keep_their_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(lstmsizer.fitting, "fit", broken)
    monkeypatch.setattr(sys, "argv", ["lstmsizer", "fit", *FAST_SEED])
    with pytest.raises(RuntimeError, match="a bug"):
        main()


def run_module(*args: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "lstmsizer"]
    return subprocess.run(
        [*command, *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def test_python_m_lstmsizer_reports_errors_in_one_line() -> None:
    done = run_module("fit", "--units", "0")
    assert done.returncode == 2
    assert done.stderr == "error: units must be an integer >= 1, got 0\n"
    assert done.stdout == ""


def test_sigint_exits_130_without_traceback() -> None:
    # a real SIGINT, delivered while the fit command runs
    code = (
        "import os, signal, sys, time\n"
        "import lstmsizer.fitting as fitting\n"
        "def fit(*args, **kwargs):\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    time.sleep(30)\n"
        "fitting.fit = fit\n"
        "sys.argv = ['lstmsizer', 'fit', '--dataset', 'seed']\n"
        "from lstmsizer.cli import main\n"
        "main()\n"
    )
    done = run_module(code=code)
    assert done.returncode == 130
    assert done.stderr == "interrupted\n"
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.slow
def test_textbook_example_forecasts_about_11() -> None:
    args = ["--dataset", "seed", "--lags", "2", "--units", "100", "--activation", "relu"]
    args += ["--epochs", "500", "--batch-size", "8", "--val-fraction", "0"]
    forecasts = [invoke_json("fit", *args, "--seed", str(s))["forecast"][0] for s in range(5)]
    assert sum(math.isclose(f, 11.0, abs_tol=0.5) for f in forecasts) >= 4, forecasts


SWEEP = (
    "sweep",
    "--dataset",
    "sine",
    "--lags",
    "4",
    "--units",
    "2,4",
    "--layers",
    "1",
    "--seeds",
    "2",
    "--folds",
    "1",
    "--epochs",
    "2",
    "--patience",
    "0",
    "--workers",
    "1",
)


def test_sweep_prints_the_recommendation_and_writes_the_run_folder(tmp_path: Path) -> None:
    payload = invoke_json(*SWEEP, "--out", str(tmp_path))
    rec = payload["recommendation"]
    assert rec["config"] in {"lstm-u2-l1", "lstm-u4-l1"}
    assert {row["config"] for row in payload["table"]} == {"lstm-u2-l1", "lstm-u4-l1"}
    assert payload["run_dir"] == str(tmp_path)
    for name in ("runs.csv", "summary.csv", "recommendation.json", "model.pt", "forecasts.csv"):
        assert (tmp_path / name).is_file()
    text = invoke(*SWEEP, "--out", str(tmp_path)).stdout  # resumes: nothing to train
    assert " ".join(rec["verdict"].split()) in " ".join(text.split())  # wrapping aside
    assert "Keras:" in text and "PyTorch:" in text


def test_sweep_model_feeds_predict(tmp_path: Path) -> None:
    invoke_json(*SWEEP, "--out", str(tmp_path))
    payload = invoke_json("predict", str(tmp_path / "model.pt"), "--dataset", "sine")
    assert len(payload["forecast"]) == 1


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (("sweep", "--units", "1,x"), "units"),
        (("sweep", "--layers", "0"), "layers"),
        (("sweep", "--cell", "lstm,cnn"), "cell"),
        (("sweep", "--test", "1.5"), "test"),
        (("speed", "--units", "8,b"), "units"),
        (("speed", "--device", "tpu"), "device"),
    ],
)
def test_sweep_and_speed_reject_bad_options_in_one_line(
    argv: tuple[str, ...],
    named: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run_main(monkeypatch, capsys, *argv)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("error:") and named in err


def test_speed_reports_each_size_and_a_verdict(tmp_path: Path) -> None:
    out = tmp_path / "speed.json"
    args = ("speed", "--units", "8,16", "--repeats", "2", "--warmup", "1", "--lags", "3")
    payload = invoke_json(*args, "--out", str(out))
    assert [row["units"] for row in payload["rows"]] == [8, 16]
    assert payload["verdict"] and json.loads(out.read_text())["rows"]


def test_fit_on_too_little_data_warns_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "six.csv"
    data.write_text("value\n" + "\n".join(str(v) for v in [3.0, 1.0, 4.0, 1.0, 5.0, 9.0]) + "\n")
    numpy_baselines_by_default(monkeypatch)
    args = ("fit", str(data), "--lags", "4", "--units", "2", "--epochs", "3", "--patience", "5")
    code, _, err = run_main(monkeypatch, capsys, *args)
    assert code == 0
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("warning: only 1 training window")
    assert "not meaningful" in lines[0]


def test_fit_with_early_stopping_says_which_windows_it_watched(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    numpy_baselines_by_default(monkeypatch)
    args = ("fit", "--dataset", "sine", "--lags", "6", "--units", "2", "--epochs", "2")
    code, out, err = run_main(monkeypatch, capsys, *args, "--patience", "5")
    assert code == 0 and err == ""
    # sine has 500 values: 400 train, 394 windows, round(0.15 * 394) = 59 watched
    assert "Early stopping watched the last 59 of the 394 training windows" in " ".join(out.split())


def test_fit_passes_the_convergence_options_to_training(monkeypatch: pytest.MonkeyPatch) -> None:
    numpy_baselines_by_default(monkeypatch)
    args = ("fit", "--dataset", "sine", "--lags", "6", "--units", "2", "--epochs", "40")
    options = ("--patience", "3", "--min-epochs", "25", "--lr-patience", "2", "--restarts", "1")
    payload = invoke_json(*args, *options)
    train = payload["specs"]["train"]
    assert (train["patience"], train["min_epochs"], train["lr_patience"], train["restarts"]) == (
        3,
        25,
        2,
        1,
    )
    # no stop before the warm-up's 25 epochs, whatever the patience
    assert payload["epochs_run"] >= 25 and payload["stop_windows"] == 59
