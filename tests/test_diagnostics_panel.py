"""diagnose on a panel: the panel re-read and checked, windows inside series, the global model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from helpers import invoke, invoke_json, numpy_only

from lstmsizer.config import ModelSpec, TrainSpec, WindowSpec
from lstmsizer.datasets import resolve
from lstmsizer.diagnostics import (
    DIAGNOSTICS_FILE,
    GradientNormRecorder,
    Probe,
    ReadOptions,
    diagnose_run,
    model_capacity,
    model_gradients,
)
from lstmsizer.diagnostics.gradients import saliency_by_lag
from lstmsizer.diagnostics.inputs import initial_net
from lstmsizer.diagnostics.sweeprun import last_split, run_dataset, sweep_run
from lstmsizer.errors import DataError, OptionError
from lstmsizer.forecaster import LSTMForecaster
from lstmsizer.panel import Panel
from lstmsizer.panelsplits import PanelSplit, panel_train_val_split

torch.set_num_threads(1)

LAGS = 4
LENGTHS = {"s0": 40, "s1": 50, "flat": 36, "s3": 45}
LAST_YEAR = 2059  # the series end in different years: folds cut at common time points
READ = ReadOptions(id_column="country", time_column="year")


def _frame(lengths: dict[str, int], seed: int = 0) -> pd.DataFrame:
    """A long table: country, year, rate; "flat" never changes."""
    rng = np.random.default_rng(seed)
    parts = []
    for k, (name, n) in enumerate(lengths.items()):
        t = np.arange(n)
        rate = 10.0 * (k + 1) + (k + 1) * np.sin(t / 3) + rng.normal(0, 0.1, n)
        if name == "flat":
            rate = np.full(n, 7.0)
        end = LAST_YEAR - k  # a later series ends earlier
        years = np.arange(end - n + 1, end + 1)
        parts.append(pd.DataFrame({"country": name, "year": years, "rate": rate}))
    return pd.concat(parts, ignore_index=True)


def _panel(frame: pd.DataFrame) -> Panel:
    panel = resolve(frame, id_column="country", time_column="year")
    assert isinstance(panel, Panel)
    return panel


@pytest.fixture(scope="module")
def panel_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("panel-data") / "rates.csv"
    _frame(LENGTHS).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def panel_run(panel_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished tiny sweep of the panel file, read as the CLI reads it."""
    from lstmsizer.sweeping import sweep

    out = tmp_path_factory.mktemp("panel-sweep") / "run"
    sweep(
        resolve(panel_file, **READ.given()),
        out=out,
        lags=LAGS,
        units=(2, 4),
        layers=(1,),
        seeds=1,
        folds=2,
        epochs=3,
        patience=None,
        workers=1,
        progress=False,
        baselines=numpy_only,
    )
    return out


@pytest.mark.slow
def test_a_panel_sweep_is_diagnosed_and_reported(panel_run: Path, panel_file: Path) -> None:
    options = ("--id-column", "country", "--time-column", "year")
    text = invoke("diagnose", str(panel_run), "--sizes", "1", *options).stdout
    assert "one global model per size" in text and "4 of 4 series" in text
    payload = invoke_json("diagnose", str(panel_run), "--sizes", "2", *options)
    written = json.loads((panel_run / DIAGNOSTICS_FILE).read_text())
    assert written == payload
    frame = pd.read_csv(panel_file)
    forecasts = pd.read_csv(panel_run / "forecasts.csv")
    validation = forecasts[forecasts["span"] == "validation"]  # the last fold's origins
    panel = payload["panel"]
    assert panel["series"] == panel["active"] == frame["country"].nunique()
    assert panel["windows"] == len(validation)  # every series' windows, one horizon each
    assert "pooled" in panel["basis"] and "own scale" in panel["basis"]
    runs = pd.read_csv(panel_run / "runs.csv")
    for size in payload["sizes"]:
        last_fold = runs[(runs["config"] == size["config"]) & (runs["fold"] == runs["fold"].max())]
        # the retrained global model is the sweep's run, scored across series as it was
        assert size["diagnostics"]["rmse"] == pytest.approx(last_fold["rmse"].iloc[0], rel=1e-5)
        assert size["diagnostics"]["capacity"]["windows"] == len(validation)
        assert size["gradient_norms"]["layers"] == ["lstm_1", "dense"]

    from lstmsizer.report import build_report
    from lstmsizer.rundir import read_run

    report = build_report(panel_run)
    assert report.is_file() and report.stat().st_size > 0
    capacity = read_run(panel_run).capacity  # diagnostics.json, as the report reads it
    assert capacity is not None and [c.last.units for c in capacity] == [2, 4]


@pytest.mark.slow
def test_a_panel_model_file_is_diagnosed_on_every_series(panel_run: Path, panel_file: Path) -> None:
    payload = invoke_json(
        "diagnose", "--model", str(panel_run / "model.pt"), str(panel_file),
        "--id-column", "country", "--time-column", "year", "--val-fraction", "0.2",
    )  # fmt: skip
    # splits.held_out per series, each holding held - horizon + 1 validation windows
    expected = sum(int(np.floor(n * 0.2 + 0.5)) for n in LENGTHS.values())
    assert payload["ablation"]["windows"] == expected


@pytest.mark.slow
def test_the_panel_is_read_again_and_checked(panel_run: Path, panel_file: Path) -> None:
    run = sweep_run(panel_run)
    with pytest.raises(DataError, match="--id-column"):
        run_dataset(run)  # year and rate are both numeric: the options are needed
    panel = run_dataset(run, read=READ)
    frame = pd.read_csv(panel_file)
    assert isinstance(panel, Panel)
    assert panel.ids == tuple(pd.unique(frame["country"]))
    np.testing.assert_array_equal(panel.values, frame["rate"].to_numpy())
    split = last_split(run, panel)
    assert isinstance(split, PanelSplit) and split.active.all()

    longer = _frame({**LENGTHS, "tiny": LAGS})  # too short for a window: the sweep drops it
    extra = panel_file.with_name("with-short.csv")
    longer.to_csv(extra, index=False)
    assert run_dataset(run, extra, READ).ids == panel.ids

    with pytest.raises(DataError, match="cut"):
        run_dataset(run, read=ReadOptions(id_column="country", column="rate"))
    other = frame.copy()
    other.loc[other["country"] == "s1", "rate"] *= 2.0  # same series, other scale
    with pytest.raises(DataError, match="scaler"):
        run_dataset(run, _panel(other))
    renamed = frame.replace({"country": {"s3": "s9"}})
    with pytest.raises(DataError, match="series ids"):
        run_dataset(run, _panel(renamed))
    with pytest.raises(DataError, match="values in 4 series"):
        run_dataset(run, _panel(frame[frame["country"] != "s0"]))
    with pytest.raises(DataError, match="one series"):
        run_dataset(run, frame["rate"].to_numpy())
    with pytest.raises(OptionError, match="last_split"):
        _ = run.last_fold


@pytest.mark.slow
def test_a_run_with_an_id_embedding_retrains_it(tmp_path: Path) -> None:
    from lstmsizer.sweeping import sweep

    panel = _panel(_frame(LENGTHS))
    settings = {"lags": LAGS, "units": (2,), "layers": (1,), "seeds": 1, "folds": 1}
    sweep(
        panel, out=tmp_path / "run", id_embedding=2, epochs=3, patience=None,
        workers=1, progress=False, baselines=numpy_only, **settings,
    )  # fmt: skip
    found = diagnose_run(tmp_path / "run", sizes=1, data=panel)
    (size,) = found.sizes
    assert size.gradient_norms.layers == ("embedding", "lstm_1", "dense")
    assert size.diagnostics.rmse == pytest.approx(size.sweep_rmse, rel=1e-5)
    assert size.diagnostics.gradients_init is not None


def _fitted(panel: Panel, split: PanelSplit, embedding: int = 0) -> LSTMForecaster:
    model = LSTMForecaster(
        WindowSpec(LAGS),
        ModelSpec(units=3, id_embedding=embedding),
        TrainSpec(epochs=2, patience=None, seed=1, progress=False),
    )
    return model.fit_panel(panel, split)


@pytest.fixture(scope="module")
def small() -> tuple[Panel, PanelSplit]:
    panel = _panel(_frame(LENGTHS))
    return panel, panel_train_val_split(panel, WindowSpec(LAGS), 0.2)


def _minmax_windows(panel: Panel, split: PanelSplit, origins: np.ndarray) -> np.ndarray:
    """(N, L) windows before global origins, each series min-max scaled on its training part."""
    out = []
    for o in origins:
        i = int(np.searchsorted(panel.starts, o, side="right") - 1)
        lo = int(panel.starts[i])
        train = panel.values[lo : lo + int(split.train_end[i])]
        span = train.max() - train.min()
        low, span = (train.min(), span) if span > 0 else (train[0], 1.0)  # constant: scale 1
        out.append((panel.values[o - LAGS : o] - low) / span)
    return np.asarray(out)


def test_panel_windows_stay_inside_their_series(small: tuple[Panel, PanelSplit]) -> None:
    panel, split = small
    model = _fitted(panel, split)
    origins = split.val_origins
    windows = Probe(model, panel, origins).windows()
    assert windows.scaler is None  # compared on each series' own scale
    np.testing.assert_allclose(
        windows.x[..., 0].numpy(), _minmax_windows(panel, split, origins), rtol=1e-6, atol=1e-6
    )
    # every window of the flat series, the first ones right after the previous series' end
    flat = panel.position("flat")
    lo, hi = int(panel.starts[flat]), int(panel.starts[flat + 1])
    every = np.arange(lo + LAGS, hi)
    assert not Probe(model, panel, every).windows().x.any()  # its scaled values are all 0
    capacity = model_capacity(Probe(model, panel, every))
    layer = capacity.layers[-1]  # one input, one state: no dimension is used
    assert layer.participation_ratio == 0.0 and layer.dead_share == 1.0
    with pytest.raises(DataError, match="own series"):
        Probe(model, panel, [lo + LAGS - 1]).windows()  # reads the previous series' end
    with pytest.raises(OptionError, match="panel"):
        Probe(model, panel.series(0).values, [LAGS]).windows()


def test_a_gradient_probe_of_a_flat_series_is_one_window(small: tuple[Panel, PanelSplit]) -> None:
    panel, split = small
    model = _fitted(panel, split)
    flat = panel.position("flat")
    every = np.arange(int(panel.starts[flat]) + LAGS, int(panel.starts[flat + 1]))
    profile = model_gradients(Probe(model, panel, every))
    # reference: torch autograd through the fused forward on one all-zero window
    x = torch.zeros(1, LAGS, 1, requires_grad=True)
    assert model.net_ is not None
    model.net_.eval()
    (grad,) = torch.autograd.grad(model.net_(x).sum(), x)
    expected = grad[0, :, 0].abs().flip(0).double().numpy()
    np.testing.assert_allclose(profile.saliency, expected, rtol=1e-5, atol=1e-9)
    assert profile.windows == every.size


def test_an_id_embedding_is_probed_through_its_inputs(small: tuple[Panel, PanelSplit]) -> None:
    panel, split = small
    model = LSTMForecaster(
        WindowSpec(LAGS),
        ModelSpec(units=3, id_embedding=2),
        TrainSpec(epochs=2, patience=None, seed=1, progress=False),
    )
    recorder = GradientNormRecorder(lambda: model.net_)
    model.fit_panel(panel, split, callbacks=[recorder])
    norms = recorder.result()
    assert norms.layers == ("embedding", "lstm_1", "dense")
    assert all(np.isfinite(n).all() for n in norms.norms)
    windows = Probe(model, panel, split.val_origins).windows()
    series = split.series_of(split.val_origins)
    np.testing.assert_array_equal(windows.x[:, :, 1].numpy(), np.repeat(series[:, None], LAGS, 1))
    net = model.net_
    assert net is not None
    # reference: autograd through the net's own forward, which embeds the id column
    xs = windows.x.clone().requires_grad_(True)
    net.eval()
    (grad,) = torch.autograd.grad(net(xs).sum(), xs)
    expected = grad.pow(2).sum(dim=2).sqrt().mean(dim=0).flip(0).double().numpy()
    np.testing.assert_allclose(saliency_by_lag(net, windows.x), expected, rtol=1e-5, atol=1e-9)
    assert not grad[..., 1].any()  # the id column is a lookup: no gradient
    start = initial_net(model)
    assert start.embedding is not None and start.embedding.weight.shape == (panel.n_series, 2)
    profile = model_gradients(Probe(model, panel, split.val_origins), at_init=True)
    assert profile.stage == "init" and np.isfinite(profile.saliency).all()
    assert profile.windows == split.val_origins.size
