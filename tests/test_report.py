"""The report: the numbers behind each figure, the page's sections, files, size and imports."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import fields, replace
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import numpy as np
import pandas as pd
import pytest

from lstmsizer.claims.result import figure
from lstmsizer.deepwide import equal_budget_pairs
from lstmsizer.diagnostics.ablation import AblationResult
from lstmsizer.diagnostics.depth import DepthResult, deep_vs_wide
from lstmsizer.diagnostics.gradnorms import GradientNormLog
from lstmsizer.diagnostics.model import ModelDiagnostics
from lstmsizer.diagnostics.run import RunDiagnostics, SizeDiagnostics
from lstmsizer.errors import DataError, OptionError
from lstmsizer.intervals import Interval
from lstmsizer.recommend import recommend, summarize_baselines
from lstmsizer.report import build_report, figures
from lstmsizer.report.build import NO_CURVES, NO_DEEP_WIDE, NO_FORECASTS, NO_SERIES, SLOTS
from lstmsizer.report.diagnostic_plots import plot_loss_curves
from lstmsizer.report.facts import data_facts, duration, environment_facts, plus_minus
from lstmsizer.report.health import curve_configs, health_rows, loss_curves, stability_sentence
from lstmsizer.report.health_html import NO_HEALTH
from lstmsizer.report.html import deep_wide_table
from lstmsizer.report.numbers import (
    DEEP_WIDE_WORDS,
    acf_view,
    autocorrelation,
    baseline_bands,
    capacity_lines,
    deep_wide_pairs,
    forecast_window,
    gradient_lines,
    loss_by_units,
    parameters_by_units,
    rmse_by_units,
    span_ranges,
    speed_lines,
    spread,
    thin,
    under_trained,
)
from lstmsizer.report.plots import unit_ticks
from lstmsizer.report.results import baseline_scores
from lstmsizer.rundir import (
    SCHEMA_VERSION,
    BaselineRun,
    Health,
    Recommendation,
    SummaryRow,
    read_run,
)
from lstmsizer.rundir.measurements import (
    CapacityResult,
    Claim,
    DepthPair,
    GradientProfile,
    LayerCapacity,
    SpeedResult,
    SpeedRow,
)
from lstmsizer.rundir.sweep import (
    CURVE_COLUMNS,
    FORECAST_COLUMNS,
    LR_SEARCH_COLUMNS,
    SERIES_COLUMNS,
    TEST_COLUMNS,
    conform,
)
from lstmsizer.rundir.tables import Forecasts, Series

# Hand-written summary: (config, units, layers, parameters, mean_rmse, se_rmse, train, val)
SMALL = [
    ("lstm-u2-l1", 2, 1, 35, 3.0, 0.5, 0.20, 0.30),
    ("lstm-u4-l1", 4, 1, 101, 2.0, 0.25, 0.10, 0.20),
    ("lstm-u7-l1", 7, 1, 260, 2.2, 0.1, 0.06, 0.22),
    ("lstm-u8-l1", 8, 1, 329, 1.9, 0.2, 0.05, 0.25),
    ("lstm-u2-l2", 2, 2, 75, 2.5, 0.4, 0.15, 0.28),
    ("lstm-u4-l2", 4, 2, 245, 2.1, 0.3, 0.08, 0.21),
]
# Baseline RMSE per fold (two folds): naive 5 ± 1, linear AR 2.2 ± 0.2, ETS 3 ± 0, MA 9 ± 1
BASELINES = {
    "naive": (4.0, 6.0),
    "linear AR(4)": (2.0, 2.4),
    "ETS": (3.0, 3.0),
    "moving average(4)": (8.0, 10.0),
}
N = 120
FOLDS = [{"train_end": 70, "n": 90}, {"train_end": 90, "n": 108}]
TEST_START = 108


def _summary(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    # summary.csv without training health, row by row as SummaryRow writes it
    records = [
        SummaryRow(
            config=c, cell="lstm", units=u, layers=n, activation="tanh", parameters=p, runs=4,
            failed=0, mean_rmse=m, se_rmse=se, mean_mae=1.0, mean_mase=1.0, mean_smape=1.0,
            mean_train_loss=train, mean_val_loss=val, mean_epochs=1.0, seconds=1.0,
        )
        for c, u, n, p, m, se, train, val in rows
    ]  # fmt: skip
    return pd.DataFrame([r.to_dict() for r in records])


def read_configs(summary: pd.DataFrame) -> tuple[SummaryRow, ...]:
    return tuple(SummaryRow.from_dict(row) for row in summary.to_dict("records"))


def _baseline_runs() -> pd.DataFrame:
    rows = [
        BaselineRun(m, mae=r, rmse=r, mase=1.0, smape=10.0, seconds=0.01, fitted=m, fold=f)
        for m, values in BASELINES.items()
        for f, r in enumerate(values)
    ]
    return pd.DataFrame([r.to_dict() for r in rows])


def _recommend(summary: pd.DataFrame, baseline_runs: pd.DataFrame) -> Recommendation:
    # 4 (seed, fold) cells per config with its mean and SE: mean ± sqrt(3) se along
    # orthogonal sign patterns, so the paired SE against the best is about the unpaired one
    signs = np.array([[1, 1, -1, -1], [1, -1, 1, -1], [1, -1, -1, 1]])
    runs = summary.loc[summary.index.repeat(4)].assign(
        seed=[0, 0, 1, 1] * len(summary),
        fold=[0, 1, 0, 1] * len(summary),
        rmse=lambda f: (
            f["mean_rmse"] + np.sqrt(3) * f["se_rmse"] * signs[np.arange(len(summary)) % 3].ravel()
        ),
    )
    baselines = summarize_baselines(baseline_runs)
    return recommend(summary, baselines, runs=runs, baseline_runs=baseline_runs, lags=4)


def write_run(
    path: Path,
    summary: pd.DataFrame,
    *,
    extras: bool = True,
    training: bool | None = None,
    n: int = N,
    folds: list[dict[str, int]] = FOLDS,
    test_start: int = TEST_START,
) -> Path:
    """A run folder as lstmsizer.sweep writes it, with known numbers; extras adds every option.

    training (default: extras) writes the training protocol's fields (_write_training) in
    the current layout; without it the folder is a version-1 one, as older sweeps wrote it.
    """
    path.mkdir(parents=True, exist_ok=True)
    summary.to_csv(path / "summary.csv", index=False)
    runs = summary.loc[summary.index.repeat(summary["runs"])][["config", "units", "layers"]]
    runs.assign(seed=0, fold=0, rmse=1.0, threads=1).to_csv(path / "runs.csv", index=False)
    baseline_runs = _baseline_runs()
    baseline_runs.to_csv(path / "baselines.csv", index=False)
    rec = _recommend(summary, baseline_runs)
    test = conform(
        pd.DataFrame(
            [
                {"model": "LSTM(4)", "mae": 2.0, "rmse": 2.5, "mase": 1.1, "smape": 12.0,
                 "seconds": 0.1, "kind": "lstm", "fitted": None},
                {"model": rec.baseline, "mae": 1.9, "rmse": 2.4, "mase": 1.0, "smape": 11.0,
                 "seconds": 0.01, "kind": "baseline", "fitted": rec.baseline},
            ]
        ),
        TEST_COLUMNS,
    )  # fmt: skip
    test.to_csv(path / "test.csv", index=False)
    payload = {
        "recommendation": rec.to_dict(),
        "test": test.to_dict("records"),
        "data": {
            "name": "sine", "length": n, "frequency": None, "source": "synthetic",
            "filled": 0, "folds": folds, "test_start": test_start, "scaling": "minmax",
        },
        "spec": {"lags": 4, "horizon": 1, "seeds": 2, "seed": 0, "folds": 2, "epochs": 50,
                 "patience": 10},
        "study": "sine-lags4-h1",
        "environment": {"lstmsizer": "0.1.0", "torch": "2.13.0+cpu", "python": "3.11.7",
                        "cpu": "x86_64", "gpu": None, "threads": 1},
        "seconds": 125.0,
    }  # fmt: skip
    if training if training is not None else extras:
        payload = {"schema_version": SCHEMA_VERSION, **payload}
        _write_training(path, summary, payload, len(folds))
    else:
        payload["recommendation"] = {
            k: v for k, v in payload["recommendation"].items() if k in OLD_RECOMMENDATION
        }
    (path / "recommendation.json").write_text(json.dumps(payload))
    if extras:
        _write_extras(path, summary, n, folds[-1]["train_end"], test_start)
    return path


# The keys of recommendation.json's "recommendation" before the training protocol changed
OLD_RECOMMENDATION = {
    "config", "cell", "units", "layers", "activation", "parameters", "mean_rmse", "se_rmse",
    "best_config", "best_mean_rmse", "best_se_rmse", "threshold", "baseline", "baseline_rmse",
    "baseline_se", "lstm_needed", "verdict", "keras_code", "pytorch_code",
}  # fmt: skip
# Training health per config: lr, median epochs, converged, under-trained, restarted and stuck
# shares, RMSE sd, bootstrap share; LSTM(2) has a stuck run, LSTM(8) and 2-layer LSTM(4)
# under-trained ones
HEALTH = {
    "lstm-u2-l1": (0.01, 120, 1.0, 0.0, 0.5, 0.25, 0.9, 0.02),
    "lstm-u4-l1": (0.003, 312, 2 / 3, 0.0, 0.0, 0.0, 0.5, 0.84),
    "lstm-u7-l1": (0.003, 800, 1.0, 0.0, 0.0, 0.0, 0.2, 0.0),
    "lstm-u8-l1": (0.001, 2000, 0.5, 0.5, 0.0, 0.0, 0.4, 0.11),
    "lstm-u2-l2": (0.003, 400, 1.0, 0.0, 0.0, 0.0, 0.8, 0.03),
    "lstm-u4-l2": (0.001, 1500, 0.75, 0.25, 0.0, 0.0, 0.6, 0.0),
}
CAP = 2000
STABILITY = {
    "stability_share": 0.84, "resamples": 1000, "runner_up": "lstm-u8-l1",
    "runner_up_label": "LSTM(8)", "runner_up_share": 0.11,
    "warnings": ["LSTM(8) hit the epoch cap in 50% of its runs while still improving."],
}  # fmt: skip
STOP_BLOCK = "The last 10% of each fold's training windows, after a gap of 4 steps."


def _runs(summary: pd.DataFrame, folds: int) -> pd.DataFrame:
    # one row per config x seed x fold; LSTM(7) failed on its last cell
    rng = np.random.default_rng(0)
    rows = []
    for r in summary.to_dict("records"):
        for seed in range(int(r["runs"]) // folds):
            for fold in range(folds):
                rmse = r["mean_rmse"] + rng.normal(0, 0.2)
                last = seed == int(r["runs"]) // folds - 1 and fold == folds - 1
                if r["config"] == "lstm-u7-l1" and last:
                    rmse = math.nan
                rows.append(
                    {"config": r["config"], "units": r["units"], "layers": r["layers"],
                     "seed": seed, "fold": fold, "rmse": rmse, "threads": 1, "epochs": 300,
                     "epoch_cap": CAP, "stop": "patience", "converged": True,
                     "under_trained": False, "restarts": 0, "init_seed": seed, "stuck": False,
                     "trivial_loss": 0.5, "stop_windows": 7, "val_loss": 0.2}
                )  # fmt: skip
    return pd.DataFrame(rows)


def _curves(summary: pd.DataFrame) -> pd.DataFrame:
    # one run per config (seed 0, last fold): 40 epochs, the learning rate halved at epoch 20
    frames = []
    for k, config in enumerate(summary["config"]):
        epoch = np.arange(1, 41)
        frames.append(
            pd.DataFrame(
                {
                    "config": config,
                    "seed": 0,
                    "fold": 1,
                    "epoch": epoch,
                    "train_loss": 0.5 * np.exp(-epoch / (10 + k)) + 0.01,
                    "val_loss": 0.6 * np.exp(-epoch / (12 + k)) + 0.02,
                    "lr": np.where(epoch < 20, 0.003, 0.0015),
                }
            )
        )
    return conform(pd.concat(frames, ignore_index=True), CURVE_COLUMNS)


def _health(row: SummaryRow, best: float) -> Health:
    lr, median, converged, under, restarted, stuck, sd, selected = HEALTH.get(
        row.config, (0.001, 100, 1.0, 0, 0, 0, 0.1, 0)
    )
    diff = row.mean_rmse - best
    return Health(
        lr=lr, median_epochs=median, epoch_cap=CAP, converged_share=converged,
        under_trained_share=under, restarted_share=restarted, stuck_share=stuck, sd_rmse=sd,
        paired_diff=diff, paired_se=row.se_rmse, within_one_se=diff <= row.se_rmse,
        selected_share=selected,
    )  # fmt: skip


def _write_training(path: Path, summary: pd.DataFrame, payload: dict[str, Any], folds: int) -> None:
    """The training protocol's fields: health in summary.csv, real cells in runs.csv,
    curves.csv, lr_search.csv and the stability, spec and data fields of the JSON."""
    rows = read_configs(summary)
    best = min(r.mean_rmse for r in rows)
    table = [replace(r, health=_health(r, best)).to_dict() for r in rows]
    pd.DataFrame(table).to_csv(path / "summary.csv", index=False)
    _runs(summary, folds).to_csv(path / "runs.csv", index=False)
    _curves(summary).to_csv(path / "curves.csv", index=False)
    search = [
        {"config": r["config"], "lr": lr, "val_loss": 0.1 + abs(math.log10(lr / r["lr"])),
         "epochs": 60, "restarts": 0, "seconds": 1.5, "chosen": lr == r["lr"]}
        for r in table
        for lr in sorted({0.001, 0.003, 0.01, r["lr"]})
    ]  # fmt: skip
    conform(pd.DataFrame(search), LR_SEARCH_COLUMNS).to_csv(path / "lr_search.csv", index=False)
    rec = Recommendation.from_dict(payload["recommendation"] | STABILITY)
    payload["recommendation"] = rec.to_dict()
    payload["spec"] |= {"epochs": CAP, "patience": 50, "min_epochs": 20, "lr": "auto",
                        "stop_fraction": 0.1}  # fmt: skip
    payload["data"]["stop_block"] = STOP_BLOCK


def _write_extras(path: Path, summary: pd.DataFrame, n: int, val_start: int, test: int) -> None:
    t = np.arange(n)
    value = np.sin(2 * np.pi * t / 25)
    series = pd.DataFrame({"position": t, "time": t, "value": value})
    conform(series, SERIES_COLUMNS).to_csv(path / "series.csv", index=False)
    span = np.where(t[val_start:] < test, "validation", "test")
    forecasts = pd.DataFrame(
        {"position": t[val_start:], "time": t[val_start:], "span": span,
         "actual": value[val_start:], "recommended": value[val_start:] + 0.1,
         "best_baseline": value[val_start:] - 0.1}
    )  # fmt: skip
    conform(forecasts, FORECAST_COLUMNS).to_csv(path / "forecasts.csv", index=False)
    units = sorted(set(summary["units"]))
    sizes = [size_diagnostics(u, 1, min(u, 3.0), (u * 1.0, u * 0.5, u * 0.2, u * 0.1),
             init=(u * 1.0, u * 0.5, u * 0.2, u * 0.1)) for u in units]  # fmt: skip
    diagnostics = run_diagnostics(path, sizes)
    (path / "diagnostics.json").write_text(json.dumps(diagnostics.to_dict()))
    rows = tuple(
        SpeedRow(units=u, parameters=4 * u * (u + 2) + u + 1, flops_per_step=1000 * u,
                 step_ms=1 + u / 32, step_ms_iqr=0.1, samples_per_s=1e4, gflops=u / 8)
        for u in (8, 16, 24, 32, 48, 64)
    )  # fmt: skip
    speed = SpeedResult(
        rows=rows, device="cpu", device_name="x86_64", threads=1, lags=12, features=1,
        batch_size=32, cell="lstm", layers=1, activation="tanh", fused=True, repeats=5,
        warmup=1, matmul_gflops=20.0, comparisons=(), verdict="no step at 32",
    )  # fmt: skip
    (path / "speed.json").write_text(json.dumps(speed.to_dict()))
    ratio = figure(Interval(0.97, 0.95, 0.99, 0.9, "bootstrap", 40), "x")
    claim = Claim(
        "multiples of 32 are faster", "not supported", "step time is smooth in units",
        figures={"time per FLOP": ratio}, threshold="faster means at least 5% less time per FLOP",
    )  # fmt: skip
    claims = {"claims": [claim.to_dict()]}  # the layout ClaimsResult.to_dict() writes
    (path / "claims.json").write_text(json.dumps(claims))


def size_diagnostics(
    units: int,
    layers: int,
    ratio: float,
    saliency: tuple[float, ...],
    init: tuple[float, ...] | None = None,
) -> SizeDiagnostics:
    """One diagnosed size as lstmsizer diagnose records it: every layer uses `ratio`
    dimensions (90% of the variance in 2 of them), saliency is by lag 1, 2, ... (newest
    first) trained and, when given, at initialisation."""
    layer = LayerCapacity(
        layer=1, units=units, participation_ratio=ratio, components_90=min(units, 2),
        components_99=min(units, 4), dead_units=(), saturated_units=(0,), dead_share=0.0,
        saturated_share=1 / units, spectrum=(1.0,) * units, unit_std=(0.5,) * units,
    )  # fmt: skip
    capacity = CapacityResult(18, "lstm", "tanh", 1e-3, tuple(replace(layer, layer=k + 1)
                              for k in range(layers)))  # fmt: skip

    def profile(stage: str, values: tuple[float, ...]) -> GradientProfile:
        lags = tuple(range(1, len(values) + 1))
        hidden = (values,) * layers
        return GradientProfile(stage, 18, lags, values, values[-1] / values[0], hidden,
                               (0.5,) * layers, 0.1)  # fmt: skip

    ablation = AblationResult(
        units=units, windows=18, tolerance=0.01, base_rmse=1.0, rmse_delta=(0.1,) * units,
        importance=(0.1,) * units, order=tuple(range(units)), removal_rmse=(1.0,) * (units + 1),
        removable=0, used=units, statement=f"all {units} units are used",
    )  # fmt: skip
    model = ModelDiagnostics(
        model=f"LSTM({units})", cell="lstm", units=units, layers=layers, activation="tanh",
        parameters=4 * units * (units + 2) * layers + units + 1, lags=len(saliency), rmse=1.0,
        capacity=capacity, ablation=ablation, gradients=profile("trained", saliency),
        gradients_init=None if init is None else profile("init", init),
    )  # fmt: skip
    norms = GradientNormLog(("lstm_1", "dense"), (0, 1), ((1.0, 0.5), (0.2, 0.1)), 10.0, ())
    return SizeDiagnostics(f"lstm-u{units}-l{layers}", False, 1.0, model, norms)


def run_diagnostics(path: Path, sizes: Sequence[SizeDiagnostics]) -> RunDiagnostics:
    """diagnostics.json's record for these sizes, as lstmsizer diagnose writes it."""
    last = [s.diagnostics.capacity.last for s in sizes]
    return RunDiagnostics(
        run_dir=str(path), dataset="sine", recommended=sizes[0].config, train_end=90, n=108,
        sizes=tuple(sizes), units_given=tuple(layer.units for layer in last),
        units_used=tuple(layer.units for layer in last),
        participation=tuple(layer.participation_ratio for layer in last),
        deep_vs_wide=DepthResult((), 0, 0, 0),
    )  # fmt: skip


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_run(tmp_path_factory.mktemp("full") / "run", _summary(SMALL))


@pytest.fixture(scope="module")
def page(full: Path) -> str:
    return build_report(full).read_text(encoding="utf-8")


def test_rmse_by_units_is_one_line_per_depth_with_the_summary_numbers(full: Path) -> None:
    one, two = rmse_by_units(read_run(full).configs)
    assert one.label == "LSTM, 1 layer" and two.label == "LSTM, 2 layers"
    assert one.x == (2, 4, 7, 8) and one.y == (3.0, 2.0, 2.2, 1.9)
    assert one.err == (0.5, 0.25, 0.1, 0.2)
    assert two.x == (2, 4) and two.y == (2.5, 2.1) and two.err == (0.4, 0.3)


def test_failed_configurations_are_left_out_of_the_lines() -> None:
    rows = [*SMALL[:2], ("lstm-u16-l1", 16, 1, 1169, math.nan, math.nan, math.nan, math.nan)]
    configs = read_configs(_summary(rows))
    (line,) = rmse_by_units(configs)
    assert line.x == (2, 4) and line.err == (0.5, 0.25)
    assert parameters_by_units(configs)[0].x == (2, 4, 16)  # its size is still known
    assert len(loss_by_units(configs)) == 2 and loss_by_units(configs)[0].x == (2, 4)


def test_baselines_are_mean_and_standard_error_over_folds(full: Path) -> None:
    baselines = {b.model: b for b in baseline_scores(read_run(full).baselines)}
    assert baselines["naive"].mean_rmse == pytest.approx(5.0)
    assert baselines["naive"].se_rmse == pytest.approx(1.0)  # std(4, 6) / sqrt(2)
    assert baselines["linear AR(4)"].se_rmse == pytest.approx(0.2)
    bands = baseline_bands(list(baselines.values()), keep=2)
    assert [(b.label, round(b.mean, 6)) for b in bands] == [
        ("linear AR(4)", 2.2),
        ("ETS", 3.0),
        ("naive", 5.0),  # the last value is always shown
    ]


def test_losses_and_parameters_follow_units(full: Path) -> None:
    configs = read_run(full).configs
    train, val, train2, val2 = loss_by_units(configs)
    assert train.label == "LSTM, 1 layer: train"
    assert val.label == "LSTM, 1 layer: early-stopping block"
    assert train.y == (0.20, 0.10, 0.06, 0.05) and val.y == (0.30, 0.20, 0.22, 0.25)
    assert train2.y == (0.15, 0.08) and val2.y == (0.28, 0.21)
    one, two = parameters_by_units(configs)
    assert one.y == (35, 101, 260, 329) and two.y == (75, 245)


def test_deep_and_wide_are_paired_at_equal_budget(full: Path) -> None:
    (pair,) = equal_budget_pairs(read_run(full).configs)
    # 2-layer LSTM(2), 75 parameters, has no one-layer model within 25% (35 or 101)
    assert (pair.deep.label, pair.wide.label) == ("2-layer LSTM(4)", "LSTM(7)")
    assert (pair.deep.parameters, pair.wide.parameters) == (245, 260)
    assert (pair.deep.mean_rmse, pair.wide.mean_rmse) == (2.1, 2.2)
    assert pair.difference.verdict == "unknown"  # no cells: nothing to pair on


def _cells_of(runs: pd.DataFrame, config: str) -> pd.Series:
    return runs[runs["config"] == config].set_index(["seed", "fold"])["rmse"]


def test_deep_and_wide_are_paired_over_their_common_cells(full: Path, page: str) -> None:
    run = read_run(full)
    runs = pd.read_csv(full / "runs.csv")
    d = (_cells_of(runs, "lstm-u4-l2") - _cells_of(runs, "lstm-u7-l1")).dropna().to_numpy()
    assert len(d) == 3  # LSTM(7) failed on its last cell
    mean, se = d.mean(), d.std(ddof=1) / np.sqrt(len(d))
    (pair,) = equal_budget_pairs(run.configs, cells=run.cells)
    assert pair.difference.diff == pytest.approx(mean)
    assert pair.difference.se == pytest.approx(se)
    assert len(pair.difference.cells) == 3
    assert under_trained(pair)  # 2-layer LSTM(4) has under-trained runs
    side = "deep better" if mean < 0 else "wide better"
    assert pair.difference.verdict == ("tie" if abs(mean) <= se else side)
    assert deep_wide_pairs(run) == [pair]
    assert f"{plus_minus(mean, se)} over 3 cells" in page
    assert DEEP_WIDE_WORDS[pair.difference.verdict] in page
    assert "under-trained or stuck runs" in page


def test_the_report_says_the_same_with_and_without_diagnostics(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", _summary(SMALL))
    (run / "diagnostics.json").unlink()
    (pair,) = deep_wide_pairs(read_run(run))
    assert len(pair.difference.cells) == 3  # paired over runs.csv's cells
    table = deep_wide_table([pair])
    # diagnose writes the pairs of the same rule on the same files ...
    found = deep_vs_wide(pd.read_csv(run / "summary.csv"), pd.read_csv(run / "runs.csv"))
    (written,) = found.pairs
    assert written.verdict == pair.difference.verdict
    assert written.difference == pytest.approx(pair.difference.diff)
    assert written.se_difference == pytest.approx(pair.difference.se)
    # ... and an older file with another verdict does not change what the report says
    old = replace(written, verdict="deep better" if written.verdict != "deep better" else "tie")
    diagnostics = run_diagnostics(run, [size_diagnostics(4, 1, 2.0, (1.0, 0.5))])
    payload = diagnostics.to_dict() | {"deep_vs_wide": DepthResult((old,), 1, 0, 0).to_dict()}
    (run / "diagnostics.json").write_text(json.dumps(payload))
    folder = read_run(run)
    assert folder.deep_wide == (old,)
    assert deep_wide_pairs(folder) == [pair] and deep_wide_table([pair]) == table
    page = build_report(run).read_text(encoding="utf-8")
    assert table in page


def test_stability_line_and_warnings_sit_beside_the_verdict(full: Path, page: str) -> None:
    line = "Recommended in 84% of 1,000 resamples; LSTM(8) in 11%."
    header = page[page.index("<header") : page.index("</header>")]
    assert f'<p class="stability" id="stability">{line}</p>' in header
    assert '<ul class="warnings" id="warnings"' in header
    assert "<li>LSTM(8) hit the epoch cap in 50% of its runs while still improving.</li>" in header
    rec = read_run(full).recommendation
    assert (rec.stability_share, rec.runner_up, rec.resamples) == (0.84, "lstm-u8-l1", 1000)
    # as recommendation.json writes it: NaN and a missing runner-up as null
    written = rec.to_dict() | {"stability_share": 0.6, "resamples": 500, "runner_up": None,
               "runner_up_share": None, "warnings": [], "verdict": "LSTM(4) wins."}  # fmt: skip
    alone = Recommendation.from_dict(written)
    assert stability_sentence(alone, {}) == "Recommended in 60% of 500 resamples."
    assert alone.warnings == () and math.isnan(alone.runner_up_share)
    said = replace(alone, verdict="Recommended in 60% of 500 resamples.")
    assert stability_sentence(said, {}) == ""  # the verdict says it already
    assert stability_sentence(replace(alone, stability_share=math.nan), {}) == ""


def test_health_table_has_the_summary_numbers(full: Path, page: str) -> None:
    run = read_run(full)
    rows = {r.config: r for r in health_rows(run.configs, best="lstm-u8-l1")}
    assert [text for text, _ in rows["lstm-u4-l1"].cells] == [
        "LSTM(4)", "312 / 2000", "67%", "0%", "0%", "0%", "0.003", "0.500", "+0.100 ± 0.250",
        "yes", "84%",
    ]  # fmt: skip
    assert rows["lstm-u8-l1"].cells[8] == ("best", 0.0)
    assert rows["lstm-u8-l1"].cells[1][0] == "2000 / 2000"
    assert {c for c, r in rows.items() if r.troubled} == {"lstm-u2-l1", "lstm-u8-l1", "lstm-u4-l2"}
    body = page[page.index('id="health-table"') : page.index('id="lr-search"')]
    (rec,) = re.findall(r'<tr class="rec">(.*?)</tr>', body)
    assert re.findall(r">([^<]*)</td>", rec)[:3] == ["LSTM(4)", "312 / 2000", "67%"]
    assert body.count('<tr class="unhealthy') == 3
    assert '<td class="n" data-v="312.0">312 / 2000</td>' in body  # sorts by the number
    assert "the smallest configuration whose paired difference to the best is at most its " \
        "standard error" in page  # fmt: skip
    lr_search = page[page.index('id="lr-search"') :]
    assert "<td>LSTM(4)</td>" in lr_search and ">chosen</td>" in lr_search
    # a summary with only some of the columns: the cap from the spec, the rest "–"
    (first,) = read_configs(_summary(SMALL[:1]))
    unknown = {f.name: math.nan for f in fields(Health)} | {"within_one_se": None}
    partial = replace(first, health=Health(**unknown | {"median_epochs": 312.0}))
    (row,) = health_rows([partial], cap=50)
    assert [text for text, _ in row.cells[:3]] == ["LSTM(2)", "312 / 50", "–"]


def test_loss_curves_of_a_few_sizes(full: Path) -> None:
    run = read_run(full)
    configs = read_configs(_summary(SMALL))
    everything = {c.config for c in configs}
    # smallest, recommended, middle (2-layer LSTM(4)), largest one-layer and best (LSTM(8))
    assert curve_configs(configs, everything, "lstm-u4-l1") == [
        "lstm-u2-l1", "lstm-u4-l1", "lstm-u4-l2", "lstm-u8-l1"
    ]  # fmt: skip
    assert curve_configs(configs, everything, "lstm-u4-l1", most=2) == ["lstm-u2-l1", "lstm-u4-l1"]
    some = {"lstm-u2-l1", "lstm-u7-l1", "lstm-u2-l2"}
    assert curve_configs(configs, some, "lstm-u4-l1") == ["lstm-u2-l1", "lstm-u2-l2", "lstm-u7-l1"]
    assert curve_configs([], {"b", "a"}) == ["a", "b"]
    assert run.curves is not None
    curves = loss_curves(run.curves, run.configs, "lstm-u4-l1")
    assert [c.label for c in curves] == [
        "LSTM(2)", "LSTM(4) (recommended)", "2-layer LSTM(4)", "LSTM(8)"
    ]  # fmt: skip
    epoch = np.arange(1, 41)
    rec = curves[1]  # written second: time constants 13 (early-stopping block) and 11 (train)
    np.testing.assert_allclose(rec.stop.x, epoch)
    np.testing.assert_allclose(rec.stop.y, 0.6 * np.exp(-epoch / 13) + 0.02)
    np.testing.assert_allclose(rec.train.y, 0.5 * np.exp(-epoch / 11) + 0.01)
    assert rec.cuts == ((20.0, pytest.approx(0.6 * np.exp(-20 / 13) + 0.02)),)
    figure = plot_loss_curves(run.curves, run.configs, "lstm-u4-l1")
    (ax,) = figure.axes
    assert ax.get_yscale() == "log" and len(ax.lines) == 4 * 3  # block, train, lr cut
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[-3:] == ["early-stopping block", "training", "learning rate cut"]
    assert "loss_curves" in figures(full)


def test_old_run_folder_renders_and_says_what_is_missing(tmp_path: Path) -> None:
    run = write_run(tmp_path / "old", _summary(SMALL), extras=False)
    folder = read_run(run)
    assert all(c.health is None for c in folder.configs)
    assert folder.cells is None  # runs.csv names no distinct seed x fold cells
    assert folder.curves is None and folder.lr_search is None
    assert (
        math.isnan(folder.recommendation.stability_share) and folder.recommendation.warnings == ()
    )
    text = build_report(run).read_text(encoding="utf-8")
    assert escape(NO_HEALTH) in text and escape(NO_CURVES) in text
    assert 'id="stability"' not in text and 'id="warnings"' not in text
    assert "not paired" in text  # the deep-wide pair falls back to the unpaired means
    assert "Learning rate" not in text and "Early stopping<" not in text
    assert "every model under" in text  # the unpaired one-SE rule, as the folder recorded


def test_autocorrelation_matches_statsmodels() -> None:
    from statsmodels.tsa.stattools import acf

    values = np.random.default_rng(0).normal(size=200).cumsum()
    np.testing.assert_allclose(autocorrelation(values, 15), acf(values, nlags=15), atol=1e-12)
    view = acf_view(Series(np.arange(200.0), values), window=4, max_lag=10)
    assert view.lags == tuple(range(1, 11)) and view.window == 4
    assert view.bound == pytest.approx(1.96 / math.sqrt(200))


def test_thin_keeps_the_envelope_of_a_long_line() -> None:
    y = np.random.default_rng(1).normal(size=100_000)
    x = np.arange(y.size, dtype=float)
    tx, ty = thin(x, y, max_points=1000)
    assert len(ty) <= 1000 and np.all(np.diff(tx) > 0)
    assert ty.max() == y.max() and ty.min() == y.min()
    assert len(thin(x[:50], y[:50], 1000)[1]) == 50


def test_diagnostics_numbers(full: Path) -> None:
    run = read_run(full)
    assert run.capacity is not None and run.gradients is not None and run.speed is not None
    ratio, pcs = capacity_lines(run.capacity)
    assert ratio.x == (2, 4, 7, 8) and ratio.y == (2, 3, 3, 3) and pcs.y == (2, 2, 2, 2)
    lines = gradient_lines(run.gradients, "trained")
    assert [line.label for line in lines] == ["2 units", "4 units", "7 units", "8 units"]
    assert lines[0].x == (1, 2, 3, 4)  # the newest lag first, as diagnose writes them
    assert lines[0].y == pytest.approx((2.0, 1.0, 0.4, 0.2))
    step, gflops = speed_lines(run.speed)
    assert step.x == (8, 16, 24, 32, 48, 64) and step.y[3] == 2.0 and gflops.y[-1] == 8.0
    assert run.claims is not None and run.claims[0].verdict == "not supported"
    assert run.claims[0].figure == "time per FLOP 0.97x (90% CI 0.95x to 0.99x)"


def test_forecast_spans(full: Path) -> None:
    forecasts = read_run(full).forecasts
    assert forecasts is not None
    assert span_ranges(forecasts) == [("validation", 90, 108), ("test", 108, 119)]
    np.testing.assert_allclose(forecasts.recommended - forecasts.actual, 0.1)


def test_facts_say_split_environment_and_time(full: Path) -> None:
    run = read_run(full)
    data = dict(data_facts(run))
    assert data["Length"] == "120 values" and data["Frequency"] == "not recorded"
    assert data["Folds"] == "2 rolling-origin folds, validation on positions 70–89, 90–107"
    assert data["Test share"].startswith("positions 108–119 (10%)")
    env = dict(environment_facts(run))
    assert env["PyTorch"] == "2.13.0+cpu" and env["GPU"] == "none" and env["Seeds"] == "2 (0, 1)"
    assert env["Wall time of the last call"] == "2 min 05 s"
    assert env["Models trained"] == "24 in 6 configurations"
    assert "Training time, all workers" not in env  # this folder's sweep did not record it
    assert duration(3.14159) == "3.1 s" and plus_minus(2.0, 0.25) == "2.00 ± 0.25"


def test_page_has_every_section_the_verdict_and_both_code_blocks(full: Path, page: str) -> None:
    rec = read_run(full).recommendation
    for section in ("recommendation", "setup", "data", "sizing", "health", "forecasts",
                    "diagnostics", "configurations", "files"):  # fmt: skip
        assert f'<section id="{section}">' in page
    assert rec.verdict in page and 'id="verdict"' in page
    assert 'id="code-keras"' in page and 'id="code-pytorch"' in page
    assert "layers.LSTM(4)" in page and "nn.LSTM(1, 4, batch_first=True)" in page
    assert "multiples of 32 are faster" in page  # the claims table, with its interval
    assert "0.97x (90% CI 0.95x to 0.99x)" in page and "5% less time per FLOP" in page
    # health, lr search, deep-wide, claims, summary, baselines, test
    ids = re.findall(r'<table class="sortable" id="([^"]+)"', page)
    assert ids == [
        "health-table",
        "lr-search",
        "deep-wide",
        "claims",
        "summary",
        "baselines",
        "test",
    ]
    columns = re.search(r'id="summary"><thead><tr>(.*?)</tr>', page)
    assert columns and re.findall(r">([^<]+)</th>", columns.group(1))[:5] == [
        "model", "config", "parameters", "mean rmse", "se rmse"
    ]  # fmt: skip
    assert '<tr class="rec"><td>LSTM(4)</td><td>lstm-u4-l1</td>' in page


def test_page_has_one_svg_per_figure_and_a_png_of_each(full: Path, page: str) -> None:
    assert page.count("<svg") == len(SLOTS) == 11
    for slot in SLOTS:
        assert f'id="fig-{slot.name}"' in page
        assert (full / "plots" / f"{slot.name}.png").stat().st_size > 1000
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # the inlined SVGs do not share ids


def test_page_is_offline_and_links_the_raw_files_relatively(page: str) -> None:
    assert "http://" not in page and "https://" not in page
    assert "<link" not in page and "src=" not in page
    for name in ("runs.csv", "summary.csv", "baselines.csv", "test.csv", "recommendation.json",
                 "series.csv", "diagnostics.json", "plots/rmse.png"):  # fmt: skip
        assert f'href="{name}"' in page


def test_report_elsewhere_links_back_to_the_run_folder(tmp_path: Path) -> None:
    run = write_run(tmp_path / "my run", _summary(SMALL[:2]), extras=False)
    out = build_report(run, tmp_path / "out" / "page.html")
    text = out.read_text(encoding="utf-8")
    (link,) = re.findall(r'href="([^"]*runs\.csv)"', text)
    assert link == "../my%20run/runs.csv"
    (png,) = re.findall(r'href="([^"]*rmse\.png)"', text)
    assert (out.parent / unquote(png)).resolve() == (run / "plots" / "rmse.png").resolve()


def test_missing_parts_are_said_in_words(tmp_path: Path) -> None:
    run = write_run(tmp_path / "bare", _summary(SMALL[:4]), extras=False)
    text = build_report(run).read_text(encoding="utf-8")
    for words in (NO_SERIES, NO_FORECASTS, NO_DEEP_WIDE, NO_CURVES, NO_HEALTH):
        assert words.replace("'", "&#x27;") in text
    assert (
        f"No speed measurements in this run: run `lstmsizer speed --out {run}/speed.json`" in text
    )
    assert f"No diagnostics in this run: run `lstmsizer diagnose {run}`." in text
    assert "No claims checked in this run" in text
    assert text.count("<svg") == 3  # error, losses and parameters against units
    assert sorted(p.name for p in (run / "plots").iterdir()) == [
        "loss.png", "parameters.png", "rmse.png"
    ]  # fmt: skip
    assert set(figures(run)) == {"rmse", "loss", "parameters"}


def test_unreadable_or_empty_optional_files_are_noted_not_fatal(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", _summary(SMALL[:2]), extras=False)
    (run / "diagnostics.json").write_text("{not json")
    (run / "speed.json").write_text(json.dumps({"rows": [{"unit_count": 3}]}))
    (run / "forecasts.csv").write_text("\n")  # a sweep with no test share writes it empty
    text = build_report(run).read_text(encoding="utf-8")
    assert "diagnostics.json could not be read" in text
    assert "forecasts.csv could not be read" not in text and NO_FORECASTS in text
    assert 'id="fig-capacity"' in text and "No speed measurements in this run" in text


def test_diagnostics_pairs_are_read_but_do_not_change_the_report(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", _summary(SMALL))
    before = deep_wide_pairs(read_run(run))
    pair = DepthPair(
        deep_config="lstm-u4-l2", deep_layers=2, deep_units=4, deep_parameters=245,
        deep_mean_rmse=1.0, deep_se_rmse=0.1, deep_seconds=1.0, wide_config="lstm-u7-l1",
        wide_units=7, wide_parameters=260, wide_mean_rmse=1.5, wide_se_rmse=0.1,
        wide_seconds=1.0, difference=-0.5, se_difference=0.1, verdict="deep",
    )  # fmt: skip
    sizes = [size_diagnostics(4, 2, 2.0, (1.0, 0.5))]
    diagnostics = replace(run_diagnostics(run, sizes), deep_vs_wide=DepthResult((pair,), 1, 0, 0))
    (run / "diagnostics.json").write_text(json.dumps(diagnostics.to_dict()))
    folder = read_run(run)
    assert folder.deep_wide == (pair,)
    assert deep_wide_pairs(folder) == before  # the same rule on the same files
    assert "deep_wide" in figures(run)


def test_diagnostics_written_per_size_are_read(tmp_path: Path) -> None:
    sizes = [
        size_diagnostics(u, n, u / 2, (1.0, 0.5, 0.25), init=(2.0, 1.0, 0.5))
        for u, n in ((4, 1), (8, 1), (4, 2))
    ]
    run = write_run(tmp_path / "run", _summary(SMALL), extras=False)
    (run / "diagnostics.json").write_text(json.dumps(run_diagnostics(run, sizes).to_dict()))
    folder = read_run(run)
    assert folder.capacity is not None and folder.gradients is not None
    last = [(c.last.units, len(c.layers), c.last.participation_ratio) for c in folder.capacity]
    assert last == [(4, 1, 2.0), (8, 1, 4.0), (4, 2, 2.0)]
    trained = gradient_lines(folder.gradients, "trained")
    assert [line.label for line in trained] == ["4 units", "8 units", "2 × 4 units"]
    assert trained[0].x == (1, 2, 3) and trained[0].y == (1.0, 0.5, 0.25)
    assert gradient_lines(folder.gradients, "init")[0].y == (2.0, 1.0, 0.5)


def test_label_spreading_forecast_window_and_unit_ticks() -> None:
    assert spread([0.5, 0.1, 0.12], gap=0.05) == pytest.approx([0.5, 0.1, 0.15])
    assert spread([0.99, 0.98], gap=0.05) == pytest.approx([1.0, 0.95])
    n = 2000
    span = np.where(np.arange(n) < 1500, "validation", "test")
    values = np.arange(n, dtype=float)
    cut = forecast_window(Forecasts(values, span, values, values, values), max_points=100)
    assert cut.x[0] == 1450 and cut.x[-1] == 1549 and (cut.span == "test").sum() == 50
    assert unit_ticks([1, 2, 3, 4, 8, 10, 16, 21, 32, 100, 127, 128, 129, 256]) == [
        1, 2, 4, 8, 16, 32, 128, 256
    ]  # fmt: skip
    assert unit_ticks([96, 100, 128]) == [128]


def test_markdown_references_the_pngs(full: Path) -> None:
    out = build_report(full, format="md")
    text = out.read_text(encoding="utf-8")
    assert out == full / "report.md"
    assert read_run(full).recommendation.verdict in text
    assert "```python\nimport keras" in text
    for slot in SLOTS:
        assert f"](plots/{slot.name}.png)" in text
    assert "| LSTM(4) | lstm-u4-l1 | 101 |" in text and "[runs.csv](runs.csv)" in text
    assert "| LSTM(4) | 312 / 2000 | 67% |" in text and "resamples; LSTM(8) in 11%." in text


def test_bad_arguments_name_the_problem(full: Path, tmp_path: Path) -> None:
    with pytest.raises(OptionError, match="format must be one of html, md, got 'pdf'"):
        build_report(full, format="pdf")
    with pytest.raises(DataError, match="run_dir must be a sweep run folder"):
        build_report(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"must hold summary\.csv and recommendation\.json"):
        build_report(tmp_path / "empty")


def _default_grid() -> pd.DataFrame:
    # 10 units x 2 layers and the one-layer equal-budget widths of the stacked models
    rows = []
    units = (1, 2, 4, 8, 16, 32, 64, 100, 128, 256)
    wide = (2, 3, 5, 10, 21, 43, 88, 137, 176, 352)
    for layers, widths in ((1, units + wide), (2, units)):
        for u in sorted(set(widths)):
            params = 4 * u * (u + 2) * layers + u + 1
            rmse = 20 + 30 / u + 0.01 * u
            rows.append((f"lstm-u{u}-l{layers}", u, layers, params, rmse, 0.5, 0.01, 0.02))
    frame = _summary(rows)
    frame["runs"] = 9
    return frame


def test_default_sweep_report_stays_small(tmp_path: Path) -> None:
    summary = _default_grid()
    # a long series too: the series and forecast lines are thinned, not drawn point by point
    folds = [{"train_end": k * 5_000, "n": (k + 1) * 5_000} for k in (2, 3, 4)]
    run = write_run(tmp_path / "run", summary, n=27_000, folds=folds, test_start=25_000)
    assert len(pd.read_csv(run / "runs.csv")) == len(summary) * 9 > 250
    out = build_report(run)
    assert out.stat().st_size < 5 * 2**20
    assert out.read_text(encoding="utf-8").count("<svg") == 11


def test_report_imports_neither_torch_nor_optuna() -> None:
    code = (
        "import sys, lstmsizer.report\n"
        "print(sorted(m for m in ('torch', 'optuna') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
