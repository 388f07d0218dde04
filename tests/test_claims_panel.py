"""Tests for the forum-claims check on a panel: verdicts, a score checked by hand, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from helpers import TINY, invoke, numpy_baselines_by_default, numpy_only, run_main

import lstmsizer.claims.run
from lstmsizer.claims import VERDICTS, ClaimsResult, run_claims
from lstmsizer.config import WindowSpec
from lstmsizer.datasets import get, resolve
from lstmsizer.errors import DataError, OptionError
from lstmsizer.panel import Panel
from lstmsizer.panelsplits import panel_folds
from lstmsizer.sweepspec import FoldSpec

CLAIMS = (
    "more units for longer windows",
    "multiples of 32 are faster",
    "wide layers make gradients vanish",
    "3 x 128 beats 1 x 512",
    "one unit is a linear regressor",
    "a linear series needs no LSTM",
)
ON_PANEL = (False, False, True, True, True, False)  # the claims that train on the data
LAGS = 4


def long_table(lengths: tuple[int, ...] = (70, 60, 80), shift: int = 10) -> pd.DataFrame:
    """unique_id, ds, y: series of different levels, lengths and starts (shift apart) on one
    calendar."""
    rng = np.random.default_rng(0)
    parts = []
    for k, n in enumerate(lengths):
        t = np.arange(n) + shift * (k % 3 - 1)
        y = 10.0 * (k + 1) + 3 * np.sin(t / 4) + rng.normal(0, 0.3, n)
        parts.append(pd.DataFrame({"unique_id": f"s{k}", "ds": t, "y": y}))
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("claims-panel")


@pytest.fixture(scope="module")
def result(workdir: Path) -> ClaimsResult:
    torch.set_num_threads(1)
    return run_claims(long_table(), lags=LAGS, settings=TINY, workdir=workdir, baselines=numpy_only)


def test_every_claim_gets_a_verdict_on_a_panel(result: ClaimsResult, workdir: Path) -> None:
    assert [c.claim for c in result.claims] == list(CLAIMS)
    for claim, trained in zip(result.claims, ON_PANEL, strict=True):
        assert claim.verdict in VERDICTS and claim.evidence and claim.seconds > 0
        assert ("global model over 3 series" in claim.tested) == trained
        assert ("panel" in claim.numbers) == trained
    assert "not on the panel" in result.claims[0].tested  # the synthetic delay task
    assert "not on the panel" in result.claims[5].tested  # the synthetic linear series
    assert result.series == 3
    measured_on = result.table["series"]  # the series each claim was measured on
    assert measured_on.fillna(0).tolist() == [0, 0, 3, 3, 3, 0]
    payload = result.to_dict()
    assert json.loads(json.dumps(payload, allow_nan=False)) == payload
    assert payload["panel"]["series"] == 3 and payload["panel"]["shortest"] == 60
    assert payload["panel"]["longest"] == 80 and payload["panel"]["align"] == "time"
    # the deep-vs-wide sweep ran on the panel: its series table names every series
    series = pd.read_csv(workdir / "deep-vs-wide" / "series.csv")
    assert sorted(series["id"].unique()) == ["s0", "s1", "s2"]


def pooled_ar_rmse(panel: Panel, train_end: np.ndarray, n: np.ndarray, lags: int) -> float:
    """Least-squares AR(lags) with intercept on every series' training windows pooled, each
    series min-max scaled on its training part; the RMSE of the one-step forecasts of every
    validation value, each error divided by its series' scale, pooled over series."""
    scaled, scales, design, target = [], [], [], []
    for i in range(panel.n_series):
        y = panel.values[panel.starts[i] : panel.starts[i + 1]]
        low, high = y[: train_end[i]].min(), y[: train_end[i]].max()
        scaled.append((y - low) / (high - low))
        scales.append(high - low)
        for o in range(lags, train_end[i]):
            design.append([1.0, *scaled[i][o - lags : o]])
            target.append(scaled[i][o])
    coef = np.linalg.lstsq(np.array(design), np.array(target), rcond=None)[0]
    errors = []
    for i in range(panel.n_series):
        for o in range(train_end[i], n[i]):
            forecast = coef[0] + coef[1:] @ scaled[i][o - lags : o]
            errors.append(forecast - scaled[i][o])  # (pred - y) / scale on the scaled values
    return float(np.sqrt(np.mean(np.square(errors))))


def test_pooled_linear_ar_rmse_equals_a_direct_cross_series_computation(
    result: ClaimsResult,
) -> None:
    panel = resolve(long_table())
    assert isinstance(panel, Panel)
    folds, _ = panel_folds(panel, WindowSpec(LAGS), TINY.folds, FoldSpec.test_fraction)
    linear = result.claims[4].numbers
    assert [r["fold"] for r in linear["linear_ar_rmse"]] == list(range(TINY.folds))
    for row, split in zip(linear["linear_ar_rmse"], folds, strict=True):
        assert split.active.all()
        expected = pooled_ar_rmse(panel, split.train_end, split.n, LAGS)
        assert row["rmse"] == pytest.approx(expected, rel=1e-9)
    # LSTM(1) is one global model per seed and fold, each scored across series
    assert {(r["seed"], r["fold"]) for r in linear["lstm_rmse"]} == {(0, 0), (1, 0)}
    assert all(np.isfinite(r["rmse"]) for r in linear["lstm_rmse"])


def test_a_panel_too_short_for_the_folds_fails_before_any_work(tmp_path: Path) -> None:
    short = long_table((6, 6, 6), shift=0)
    with pytest.raises(DataError, match="calendar"):
        run_claims(short, lags=LAGS, settings=TINY, workdir=tmp_path)
    with pytest.raises(DataError, match=r"series 's1'"):
        run_claims(long_table((70, 3, 80)), lags=LAGS, workdir=tmp_path)
    with pytest.raises(OptionError, match="align"):
        run_claims(long_table(), lags=LAGS, align="middle", workdir=tmp_path)
    with pytest.raises(OptionError, match="drop_short"):
        run_claims(get("sine"), lags=LAGS, drop_short=True, workdir=tmp_path)
    assert not list(tmp_path.iterdir())


def test_one_series_records_no_panel() -> None:
    plain = ClaimsResult("sine", 4, 0, True, (), 1.0, {}, TINY)
    assert plain.series is None and "panel" not in plain.to_dict()
    assert "series" not in plain.table.columns


def test_cli_claims_on_a_long_table_csv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    numpy_baselines_by_default(monkeypatch)
    monkeypatch.setattr(lstmsizer.claims.run, "QUICK", TINY)  # --quick, made tinier
    path = tmp_path / "panel.csv"
    long_table().to_csv(path, index=False)
    out = tmp_path / "claims.json"
    text = invoke("claims", str(path), "--lags", str(LAGS), "--out", str(out)).stdout
    assert "Forum claims, measured on panel (3 series, 4 lags" in text
    payload = json.loads(out.read_text())
    assert payload["panel"]["series"] == 3 and len(payload["claims"]) == len(CLAIMS)
    assert {c["verdict"] for c in payload["claims"]} <= set(VERDICTS)


def test_cli_claims_on_a_panel_too_short_exits_2_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "short.csv"
    long_table((6, 6, 6), shift=0).to_csv(path, index=False)
    code, out, err = run_main(monkeypatch, capsys, "claims", str(path), "--lags", str(LAGS))
    lines = err.strip().splitlines()
    assert (code, out) == (2, "") and len(lines) == 1, err
    assert lines[0].startswith("error:") and "too short" in lines[0]
