"""Tests for fitting, scoring and forecasting a panel: the library call and fit/predict."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from helpers import invoke, invoke_json, numpy_baselines_by_default, numpy_only, run_main

import lstmsizer
from lstmsizer import LSTMForecaster, ModelSpec, SplitSpec, TrainSpec, WindowSpec
from lstmsizer.errors import DataError, OptionError
from lstmsizer.panelfit import PanelFitResult, forecast_panel

LENGTHS = {"a": 40, "b": 31, "c": 26}
FIRST_YEAR = {"a": 1970, "b": 1979, "c": 1984}
LAGS, HORIZON = 4, 2


def long_frame() -> pd.DataFrame:
    """Three series of different lengths and levels, years ending together in 2009."""
    rng = np.random.default_rng(3)
    parts = []
    for k, (ident, n) in enumerate(LENGTHS.items()):
        t = np.arange(n)
        y = (k + 1) * np.sin(t / 2.5 + k) + 10.0 * k + 0.05 * t + rng.normal(0, 0.1, n)
        parts.append(pd.DataFrame({"country": ident, "year": FIRST_YEAR[ident] + t, "rate": y}))
    return pd.concat(parts, ignore_index=True)


def one_error_line(code: int, err: str) -> str:
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), (code, err)
    return lines[0]


@pytest.fixture(scope="module")
def fitted() -> PanelFitResult:
    result = lstmsizer.fit(
        long_frame().drop(columns="year"),
        WindowSpec(lags=LAGS, horizon=HORIZON),
        ModelSpec(units=4, id_embedding=2),
        TrainSpec(epochs=3),
        SplitSpec(val_fraction=0.2),
        id_column="country",
        baselines=numpy_only,
    )
    assert isinstance(result, PanelFitResult)
    return result


def test_fit_reads_a_frame_with_an_id_column_as_a_panel(fitted: PanelFitResult) -> None:
    panel = fitted.dataset
    assert panel.ids == ("a", "b", "c") and panel.lengths.tolist() == list(LENGTHS.values())
    table = fitted.table
    assert table["rmse"].is_monotonic_increasing
    assert set(table["kind"]) == {"lstm", "baseline"}
    assert "pooled linear AR(4)" in set(table["model"])
    assert {b.name for b in numpy_only(LAGS, HORIZON)} <= set(table["model"])
    assert (table["series"] == 3).all()
    assert fitted.per_series["id"].tolist() == ["a", "b", "c"]
    assert fitted.forecast.shape == (3 * HORIZON, 4) and fitted.forecast["time"].isna().all()


def test_naive_row_equals_a_direct_computation(fitted: PanelFitResult) -> None:
    frame, fraction = long_frame(), 0.2
    sse = sae = count = 0.0
    mase, smape = [], []
    for ident, n in LENGTHS.items():
        y = frame.loc[frame["country"] == ident, "rate"].to_numpy()
        end = n - int(np.floor(n * fraction + 0.5))
        train = y[:end]
        spread = train.max() - train.min()  # minmax scaling of the training part
        origins = np.arange(end, n - HORIZON + 1)
        true = np.stack([y[o : o + HORIZON] for o in origins])
        pred = np.repeat(y[origins - 1][:, None], HORIZON, axis=1)  # last value carried
        err = pred - true
        sse += float(((err / spread) ** 2).sum())
        sae += float((np.abs(err) / spread).sum())
        count += err.size
        mase.append(np.abs(err).mean() / np.abs(np.diff(train)).mean())
        smape.append((200 * np.abs(err) / (np.abs(true) + np.abs(pred))).mean())
    row = fitted.table.set_index("model").loc["naive"]
    assert row["rmse"] == pytest.approx(np.sqrt(sse / count), rel=1e-9)
    assert row["mae"] == pytest.approx(sae / count, rel=1e-9)
    assert row["mase"] == pytest.approx(np.mean(mase), rel=1e-9)
    assert row["smape"] == pytest.approx(np.mean(smape), rel=1e-9)


def test_forecast_matches_predict_panel_within_the_horizon(fitted: PanelFitResult) -> None:
    model, panel = fitted.forecaster, fitted.dataset
    direct = model.predict_panel(panel, panel.starts[1:])  # (S, H)
    frame = forecast_panel(model, panel)
    assert frame["id"].tolist() == ["a", "a", "b", "b", "c", "c"]
    np.testing.assert_allclose(frame["value"].to_numpy().reshape(3, HORIZON), direct)
    one = forecast_panel(model, panel, steps=1, series=["c", "a"])
    assert one["id"].tolist() == ["c", "a"]
    np.testing.assert_allclose(one["value"], direct[[2, 0], 0])


def loop_forecast(model: LSTMForecaster, values: np.ndarray, i: int, steps: int) -> np.ndarray:
    """One series forecast recursively by hand: scale, run the net, unscale, append."""
    offset, scale = model.scaler_.offset_[i], model.scaler_.scale_[i]  # type: ignore[union-attr]
    history = list(values)
    out: list[float] = []
    while len(out) < steps:
        window = (np.asarray(history[-LAGS:]) - offset) / scale
        x = np.column_stack([window, np.full(LAGS, i)]).astype(np.float32)[None]  # (1, L, 2)
        with torch.no_grad():
            pred = model.net_(torch.from_numpy(x))[0, :, 0].double().numpy()  # type: ignore[misc]
        pred = pred * scale + offset
        out.extend(pred.tolist())
        history.extend(pred.tolist())
    return np.asarray(out[:steps])


def test_recursive_forecast_matches_a_loop_over_series(fitted: PanelFitResult) -> None:
    model, panel = fitted.forecaster, fitted.dataset
    steps = 5
    frame = forecast_panel(model, panel, steps=steps)
    for i, ident in enumerate(panel.ids):
        got = frame.loc[frame["id"] == ident, "value"].to_numpy()
        want = loop_forecast(model, panel.series(i).values, i, steps)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_forecast_refuses_unknown_ids_and_bad_steps(fitted: PanelFitResult) -> None:
    model, panel = fitted.forecaster, fitted.dataset
    with pytest.raises(DataError, match="'zz'"):
        forecast_panel(model, panel, series=["a", "zz"])
    with pytest.raises(OptionError, match="steps"):
        forecast_panel(model, panel, steps=0)
    with pytest.raises(OptionError, match="series"):
        forecast_panel(model, panel, series=["a", "a"])


def test_cli_fit_and_predict_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    numpy_baselines_by_default(monkeypatch)
    csv, model = tmp_path / "rates.csv", tmp_path / "rates.pt"
    long_frame().to_csv(csv, index=False)
    data = (str(csv), "--id-column", "country", "--time-column", "year", "--column", "rate")
    fit = ("fit", *data, "--lags", "4", "--horizon", "2", "--units", "4", "--epochs", "2")
    payload = invoke_json(*fit, "--steps", "3", "--save", str(model))
    assert payload["data"]["series"] == 3 and payload["data"]["length"] == sum(LENGTHS.values())
    assert payload["saved"] == str(model) and model.exists()
    assert {row["kind"] for row in payload["table"]} == {"lstm", "baseline"}
    forecast = pd.DataFrame(payload["forecast"])
    assert forecast["time"].tolist() == [str(2009 + k) for _ in range(3) for k in (1, 2, 3)]
    text = " ".join(invoke(*fit).stdout.split())
    assert "RMSE and MAE on each series' own scale, pooled" in text
    assert "3 series" in text and "26 to 40 per series" in text
    assert "a from 2010:" in text

    predicted = invoke_json("predict", str(model), *data, "--series", "c,a", "--steps", "3")
    rows = pd.DataFrame(predicted["forecast"])
    assert rows["id"].tolist() == ["c"] * 3 + ["a"] * 3
    want = forecast.set_index(["id", "step"]).loc[list(zip(rows["id"], rows["step"], strict=True))]
    np.testing.assert_allclose(rows["value"], want["value"], rtol=1e-12)
    out = invoke("predict", str(model), *data, "--steps", "2").stdout
    assert len([line for line in out.splitlines() if " 2011 " in line]) == 3


def test_panel_model_refuses_other_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    csv, model = tmp_path / "rates.csv", tmp_path / "rates.pt"
    frame = long_frame()
    frame.to_csv(csv, index=False)
    data = ("--id-column", "country", "--time-column", "year", "--column", "rate")
    fit = ("fit", str(csv), *data, "--lags", "4", "--horizon", "2", "--units", "2")
    invoke(*fit, "--epochs", "1", "--val-fraction", "0", "--save", str(model))
    code, _, err = run_main(monkeypatch, capsys, "predict", str(model), "--dataset", "seed")
    assert "panel of the model's 3 series" in one_error_line(code, err)
    other = tmp_path / "other.csv"
    frame.replace({"country": {"b": "x"}}).to_csv(other, index=False)
    code, _, err = run_main(monkeypatch, capsys, "predict", str(model), str(other), *data)
    line = one_error_line(code, err)
    assert "1 missing (b)" in line and "1 not in the model (x)" in line
    code, _, err = run_main(
        monkeypatch, capsys, "predict", str(model), str(csv), *data, "--series", "q"
    )
    assert "'q'" in one_error_line(code, err)


def test_single_series_model_refuses_a_panel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    csv, model = tmp_path / "rates.csv", tmp_path / "one.pt"
    long_frame().to_csv(csv, index=False)
    fit = ("fit", "--dataset", "seed", "--lags", "2", "--units", "2", "--epochs", "1")
    invoke(*fit, "--val-fraction", "0", "--save", str(model))
    data = ("--id-column", "country", "--time-column", "year", "--column", "rate")
    code, _, err = run_main(monkeypatch, capsys, "predict", str(model), str(csv), *data)
    assert "must be one series" in one_error_line(code, err)
    code, out, err = run_main(monkeypatch, capsys, "predict", str(model), "--dataset", "seed")
    assert code == 0 and "Forecast" in out
    code, _, err = run_main(
        monkeypatch, capsys, "predict", str(model), "--dataset", "seed", "--series", "a"
    )
    assert "--series" in one_error_line(code, err)
