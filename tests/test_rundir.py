"""The run folder's schema: file names, records against a real sweep's files, versions, reader."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from lstmsizer.errors import DataError
from lstmsizer.rundir import (
    SCHEMA_VERSION,
    BaselineRun,
    Health,
    Recommendation,
    SummaryRow,
    read_run,
)
from lstmsizer.rundir import files as names
from lstmsizer.rundir.convert import plain
from lstmsizer.rundir.sweep import (
    BASELINE_RUN_COLUMNS,
    CURVE_COLUMNS,
    FORECAST_COLUMNS,
    LR_SEARCH_COLUMNS,
    RUN_CELL_COLUMNS,
    SERIES_COLUMNS,
    SUMMARY_COLUMNS,
    TEST_COLUMNS,
    conform,
)

# What a sweep writes, named independently of rundir.files
SWEEP_FILES = {
    "summary.csv", "runs.csv", "baselines.csv", "test.csv", "recommendation.json", "series.csv",
    "forecasts.csv", "curves.csv", "lr_search.csv", "model.pt", "study.journal", "study.json",
}  # fmt: skip
# recommendation.json's "recommendation" keys that version-1 folders may lack
ADDED_IN_V1 = (
    "paired_diff", "paired_se", "baseline_diff", "baseline_diff_se", "folds_paired",
    "stability_share", "selection_shares", "runner_up", "runner_up_label", "runner_up_share",
    "resamples", "warnings",
)  # fmt: skip
HEALTH = (
    "lr", "median_epochs", "epoch_cap", "converged_share", "under_trained_share",
    "restarted_share", "stuck_share", "sd_rmse", "paired_diff", "paired_se", "within_one_se",
    "selected_share",
)  # fmt: skip


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _same(a: Any, b: Any) -> bool:
    # equal, with NaN and None (an empty CSV cell) equal to each other only
    if _missing(a) or _missing(b):
        return _missing(a) and _missing(b)
    return bool(a == b)


def _rows(path: Path) -> list[dict[str, Any]]:
    return pd.read_csv(path).to_dict("records")


def test_a_sweep_writes_exactly_the_files_named(tiny_run_dir: Path) -> None:
    present = {p.name for p in tiny_run_dir.iterdir()}
    assert present >= SWEEP_FILES
    named = {
        names.SUMMARY_FILE, names.RUNS_FILE, names.BASELINES_FILE, names.TEST_FILE,
        names.RECOMMENDATION_FILE, names.SERIES_FILE, names.FORECASTS_FILE, names.CURVES_FILE,
        names.LR_SEARCH_FILE, names.MODEL_FILE, names.JOURNAL_FILE, names.STUDY_FILE,
    }  # fmt: skip
    assert named == SWEEP_FILES
    later = {names.DIAGNOSTICS_FILE, names.SPEED_FILE, names.CLAIMS_FILE, names.PLOTS_DIR}
    assert present - SWEEP_FILES <= later | set(names.REPORT_FILES.values())


def test_the_sweep_records_the_schema_version(tiny_run_dir: Path) -> None:
    payload = json.loads((tiny_run_dir / "recommendation.json").read_text())
    assert SCHEMA_VERSION == 2 and payload["schema_version"] == 2
    assert read_run(tiny_run_dir).version == 2


def test_the_recommendation_record_is_the_file_key_for_key(tiny_run_dir: Path) -> None:
    written = json.loads((tiny_run_dir / "recommendation.json").read_text())["recommendation"]
    rec = Recommendation.from_dict(written)
    assert list(rec.to_dict()) == list(written)  # same keys, same order
    assert rec.to_dict() == written
    assert rec.label == f"LSTM({written['units']})" and isinstance(rec.warnings, tuple)
    assert read_run(tiny_run_dir).recommendation == rec


def test_summary_rows_are_the_file_column_for_column(tiny_run_dir: Path) -> None:
    columns = list(pd.read_csv(tiny_run_dir / "summary.csv").columns)
    assert columns == list(SUMMARY_COLUMNS)
    assert columns[-len(HEALTH) :] == list(HEALTH)
    run = read_run(tiny_run_dir)
    rows = _rows(tiny_run_dir / "summary.csv")
    assert [c.config for c in run.configs] == [r["config"] for r in rows]
    for row, record in zip(rows, run.configs, strict=True):
        out = record.to_dict()
        assert list(out) == columns
        assert all(_same(out[k], row[k]) for k in columns), (out, row)
        assert record.health is not None
        assert record.label == f"LSTM({row['units']})"


def test_baseline_rows_are_the_file_column_for_column(tiny_run_dir: Path) -> None:
    rows = _rows(tiny_run_dir / "baselines.csv")
    assert list(rows[0]) == list(BASELINE_RUN_COLUMNS)
    run = read_run(tiny_run_dir)
    assert len(run.baselines) == len(rows)
    for row, record in zip(rows, run.baselines, strict=True):
        assert record.to_dict() == row


def test_the_other_tables_have_the_named_columns(tiny_run_dir: Path) -> None:
    def columns(name: str) -> list[str]:
        return list(pd.read_csv(tiny_run_dir / name).columns)

    assert columns("series.csv") == list(SERIES_COLUMNS)
    assert columns("forecasts.csv") == list(FORECAST_COLUMNS)
    assert columns("curves.csv") == list(CURVE_COLUMNS)
    assert columns("lr_search.csv") == list(LR_SEARCH_COLUMNS)
    assert columns("test.csv") == list(TEST_COLUMNS)
    assert set(RUN_CELL_COLUMNS) <= set(columns("runs.csv"))


def test_the_reader_gives_the_files_values(tiny_run_dir: Path) -> None:
    run = read_run(tiny_run_dir)
    runs = pd.read_csv(tiny_run_dir / "runs.csv")
    assert run.trained == len(runs) and run.problems == ()
    assert run.cells == {
        r["config"]: {(int(r["seed"]), int(r["fold"])): r["rmse"]} for _, r in runs.iterrows()
    }
    series = pd.read_csv(tiny_run_dir / "series.csv")
    assert run.series is not None
    np.testing.assert_array_equal(run.series.value, series["value"])
    np.testing.assert_array_equal(run.series.x, series["position"])  # no time recorded
    forecasts = pd.read_csv(tiny_run_dir / "forecasts.csv")
    assert run.forecasts is not None
    np.testing.assert_array_equal(run.forecasts.baseline, forecasts["best_baseline"])
    assert list(run.forecasts.span) == list(forecasts["span"])
    curves = pd.read_csv(tiny_run_dir / "curves.csv")
    assert run.curves is not None
    assert {c.config for c in run.curves} == set(curves["config"])
    for curve in run.curves:
        mine = curves[curves["config"] == curve.config]
        np.testing.assert_array_equal(curve.train_loss, mine["train_loss"])
    assert run.info["data"]["name"] == "sine" and "recommendation" not in run.info
    assert "schema_version" not in run.info
    assert set(run.files) <= set(names.LINKED) and "summary.csv" in run.files


RECOMMENDATION = Recommendation(
    config="lstm-u4-l1", cell="lstm", units=4, layers=1, activation="tanh", parameters=101,
    mean_rmse=2.0, se_rmse=0.25, paired_diff=0.1, paired_se=0.25, best_config="lstm-u8-l1",
    best_mean_rmse=1.9, best_se_rmse=0.2, threshold=2.1, baseline="naive", baseline_rmse=5.0,
    baseline_se=1.0, baseline_diff=3.0, baseline_diff_se=0.5, folds_paired=2, lstm_needed=True,
    stability_share=0.84, selection_shares={"lstm-u4-l1": 0.84, "lstm-u8-l1": 0.16},
    runner_up="lstm-u8-l1", runner_up_label="LSTM(8)", runner_up_share=0.16, resamples=1000,
    warnings=("LSTM(8) hit the epoch cap",), verdict="LSTM(4) is enough.", keras_code="k",
    pytorch_code="p",
)  # fmt: skip
HEALTHY = Health(0.003, 312.0, 2000.0, 2 / 3, 0.0, 0.0, 0.0, 0.5, 0.1, 0.25, True, 0.84)
ROW = SummaryRow(
    "lstm-u4-l2", "gru", 4, 2, "relu", 245, 4, 1, 2.1, 0.3, 1.5, 0.9, 20.0, 0.08, 0.21, 300.0,
    12.5, HEALTHY,
)  # fmt: skip


@pytest.mark.parametrize(
    "record",
    [
        RECOMMENDATION,
        ROW,
        replace(ROW, health=None),
        BaselineRun("ARIMA", 1.0, 1.5, 0.9, 20.0, 0.25, "ARIMA(2,1,1)", 1),
        BaselineRun("ETS", math.inf, math.inf, 0.9, 20.0, 0.25, "ETS", 0, error="diverged"),
    ],
)
def test_records_round_trip(record: Any) -> None:
    assert type(record).from_dict(record.to_dict()) == record


def test_records_write_what_the_files_hold() -> None:
    assert list(ROW.to_dict()) == list(SUMMARY_COLUMNS)
    assert list(replace(ROW, health=None).to_dict()) == list(SUMMARY_COLUMNS[: -len(HEALTH)])
    assert ROW.label == "2-layer GRU(4, relu)"
    failed = BaselineRun("ETS", math.nan, math.nan, math.nan, math.nan, 0.2, "ETS", 0, "diverged")
    # score_forecaster writes the error after the scores, before the seconds
    assert list(failed.to_dict()) == [
        "model", "mae", "rmse", "mase", "smape", "error", "seconds", "fitted", "fold"
    ]  # fmt: skip
    data = RECOMMENDATION.to_dict() | {"paired_se": None}
    assert math.isnan(Recommendation.from_dict(data).paired_se)  # JSON's null is NaN
    assert json.loads(json.dumps(Recommendation.from_dict(data).to_dict()))["paired_se"] is None


def test_a_missing_recommendation_key_is_named(tiny_run_dir: Path, tmp_path: Path) -> None:
    copy = _copy(tiny_run_dir, tmp_path)
    payload = json.loads((copy / "recommendation.json").read_text())
    del payload["recommendation"]["baseline_rmse"]
    (copy / "recommendation.json").write_text(json.dumps(payload))
    with pytest.raises(DataError, match="recommendation must have baseline_rmse"):
        read_run(copy)


def _copy(run_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns("*.pt", "study.*", "plots"))
    return copy


def _as_version_1(run_dir: Path, drop_health: bool) -> None:
    # recommendation.json and summary.csv as sweeps wrote them before the version was recorded
    payload = json.loads((run_dir / "recommendation.json").read_text())
    del payload["schema_version"]
    for key in ADDED_IN_V1:
        del payload["recommendation"][key]
    (run_dir / "recommendation.json").write_text(json.dumps(payload))
    summary = pd.read_csv(run_dir / "summary.csv")
    dropped = list(HEALTH) if drop_health else ["paired_diff", "paired_se", "within_one_se"]
    summary.drop(columns=[*dropped, "mean_mase"]).to_csv(run_dir / "summary.csv", index=False)


def test_a_version_1_folder_reads(tiny_run_dir: Path, tmp_path: Path) -> None:
    copy = _copy(tiny_run_dir, tmp_path)
    _as_version_1(copy, drop_health=True)
    run = read_run(copy)
    assert run.version == 1
    rec = run.recommendation
    assert math.isnan(rec.paired_diff) and math.isnan(rec.stability_share)
    assert (rec.folds_paired, rec.resamples, rec.warnings, rec.runner_up) == (0, 0, (), None)
    assert rec.selection_shares == {}
    written = json.loads((tiny_run_dir / "recommendation.json").read_text())["recommendation"]
    assert rec.config == written["config"] and rec.verdict == written["verdict"]
    assert all(c.health is None for c in run.configs)
    assert all(math.isnan(c.mean_mase) for c in run.configs)
    assert [c.mean_rmse for c in run.configs] == list(
        pd.read_csv(copy / "summary.csv")["mean_rmse"]
    )


def test_a_version_1_folder_with_some_health_columns_reads(
    tiny_run_dir: Path, tmp_path: Path
) -> None:
    copy = _copy(tiny_run_dir, tmp_path)
    _as_version_1(copy, drop_health=False)
    run = read_run(copy)
    summary = pd.read_csv(copy / "summary.csv")
    for row, config in zip(summary.to_dict("records"), run.configs, strict=True):
        assert config.health is not None
        assert config.health.lr == row["lr"] and math.isnan(config.health.paired_diff)
        assert config.health.within_one_se is None


@pytest.mark.parametrize(("version", "words"), [(3, "at most 2"), ("2", "whole number")])
def test_an_unknown_version_is_refused(
    tiny_run_dir: Path, tmp_path: Path, version: object, words: str
) -> None:
    copy = _copy(tiny_run_dir, tmp_path)
    payload = json.loads((copy / "recommendation.json").read_text())
    (copy / "recommendation.json").write_text(json.dumps({**payload, "schema_version": version}))
    with pytest.raises(DataError, match=f"schema_version must be .*{words}"):
        read_run(copy)


def test_plain_handles_arrays_mappings_and_paths() -> None:
    assert plain(np.array([1.0, np.nan])) == [1.0, None]
    assert plain({1: Path("a/b")}) == {"1": "a/b"}
    assert plain(np.bool_(True)) is True
    assert plain((np.float32(2.5), -math.inf)) == [2.5, None]


def test_conform_checks_the_columns() -> None:
    frame = pd.DataFrame(columns=["model", "rmse", "error", "fold"])
    assert conform(frame, ["model", "rmse", "fold"], ["error"]) is frame
    with pytest.raises(ValueError, match="must have the columns"):
        conform(frame, ["model", "rmse", "fold"])  # error not allowed
    with pytest.raises(ValueError, match="must have the columns"):
        conform(frame, ["model", "fold", "rmse"], ["error"])  # out of order
    with pytest.raises(ValueError, match="must have the columns"):
        conform(frame, ["model", "rmse", "fold", "seconds"], ["error"])  # missing


def test_an_unreadable_optional_file_is_a_problem_not_an_error(
    tiny_run_dir: Path, tmp_path: Path
) -> None:
    copy = _copy(tiny_run_dir, tmp_path)
    (copy / "series.csv").write_text("position,when\n0,1\n")
    (copy / "forecasts.csv").write_text("\n")  # empty: said as missing
    run = read_run(copy)
    assert run.series is None and run.forecasts is None
    (problem,) = run.problems
    assert problem.startswith("series.csv could not be read") and "time, value" in problem


def test_rundir_imports_neither_torch_nor_optuna() -> None:
    code = (
        "import sys, lstmsizer.rundir\n"
        "print(sorted(m for m in ('torch', 'optuna') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
