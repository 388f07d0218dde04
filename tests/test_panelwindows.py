"""A panel's training windows: views over every series, rows that never cross one."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lstmsizer.config import ModelSpec, TrainSpec, WindowSpec
from lstmsizer.forecaster import LSTMForecaster
from lstmsizer.holdout import MIN_STOP_WINDOWS
from lstmsizer.panel import Panel
from lstmsizer.panelsplits import PanelSplit, panel_folds
from lstmsizer.panelwindows import panel_train_data, stop_origins


def make_panel(lengths: list[int], seed: int = 0) -> Panel:
    rng = np.random.default_rng(seed)
    values = np.concatenate([rng.normal(10 * (i + 1), 1 + i, n) for i, n in enumerate(lengths)])
    starts = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    ids = tuple(f"s{i}" for i in range(len(lengths)))
    return Panel("toy", "y", ids, starts, values, None, None, "a toy panel")


@st.composite
def panels(draw: st.DrawFn) -> tuple[Panel, PanelSplit, float]:
    lags = draw(st.integers(1, 5))
    horizon = draw(st.integers(1, 3))
    lengths = draw(st.lists(st.integers(lags + horizon, 40), min_size=1, max_size=6))
    panel = make_panel(lengths, draw(st.integers(0, 1000)))
    train_end = np.array([draw(st.integers(lags, n)) for n in lengths], dtype=np.int64)
    active = np.array([draw(st.booleans()) for _ in lengths])
    split = PanelSplit(panel.starts, panel.lengths, train_end, lags, horizon, active, cut="drawn")
    fraction = draw(st.sampled_from([0.0, 0.1, 0.2, 0.5]))
    return panel, split, fraction


@settings(max_examples=200, deadline=None)
@given(panels())
def test_windows_never_cross_series_and_fit_only_training_targets(
    case: tuple[Panel, PanelSplit, float],
) -> None:
    panel, split, fraction = case
    lags, horizon = split.lags, split.horizon
    values = torch.from_numpy(panel.values.astype(np.float32))[:, None]
    data, block = panel_train_data(values, split, fraction)
    assert data.rows is not None and data.val_rows is not None
    # a direct transcription: the values each window reads and forecasts, series by series
    expected_x, expected_y = [], []
    for i in range(panel.n_series):
        lo = panel.starts[i]
        series = panel.values[lo : panel.starts[i + 1]]
        if not split.active[i]:
            continue
        for origin in range(lags, int(split.train_end[i]) - horizon + 1):
            expected_x.append(series[origin - lags : origin])
            expected_y.append(series[origin : origin + horizon])
    got_x = torch.cat([data.x[data.rows], data.x_val[data.val_rows]])[..., 0].numpy()  # type: ignore[index]
    got_y = torch.cat([data.y[data.rows], data.y_val[data.val_rows]])[..., 0].numpy()  # type: ignore[index]
    assert len(got_x) + (horizon - 1) * _carved(split, fraction) == len(expected_x)
    owner = np.searchsorted(panel.starts, data.rows.numpy() + lags, side="right") - 1
    first = panel.starts[owner]
    assert (data.rows.numpy() >= first).all()  # reads nothing before its series
    ends = panel.starts[owner] + split.train_end[owner]
    assert (data.rows.numpy() + lags + horizon <= ends).all()  # targets inside training part
    wanted = {
        tuple(np.r_[a, b].astype(np.float32)) for a, b in zip(expected_x, expected_y, strict=True)
    }
    for x, y in zip(got_x, got_y, strict=True):
        assert tuple(np.r_[x, y].astype(np.float32)) in wanted
    assert block.train == len(expected_x)
    assert block.fit == data.rows.numel() and block.stop == data.val_rows.numel()


def _carved(split: PanelSplit, fraction: float) -> int:
    """Series whose early-stopping block was carved (each skips horizon - 1 windows)."""
    stop = stop_origins(split, fraction)[1]
    owner = np.searchsorted(split.starts, stop, side="right") - 1
    return len(np.unique(owner))


def test_the_block_is_the_last_windows_of_each_series_after_its_fitted_ones() -> None:
    panel = make_panel([40, 60, 30])
    folds, _ = panel_folds(panel, WindowSpec(lags=4, horizon=2), 2, 0.1, align="end")
    fit, stop, block = stop_origins(folds[0], 0.2)
    for i in range(panel.n_series):
        lo, end = panel.starts[i], panel.starts[i] + folds[0].train_end[i]
        own_fit = fit[(fit >= lo) & (fit < end)]
        own_stop = stop[(stop >= lo) & (stop < end)]
        windows = folds[0].train_end[i] - 4 - 2 + 1
        assert len(own_stop) == round(0.2 * windows)
        assert own_fit.max() + 2 <= own_stop.min()  # horizon - 1 windows skipped
        assert own_stop.max() + 2 <= end  # the block's targets stay in the training part
    assert block.stop >= MIN_STOP_WINDOWS


def test_the_windows_are_views_of_the_scaled_panel() -> None:
    panel = make_panel([30, 50])
    folds, _ = panel_folds(panel, WindowSpec(lags=5), 2, 0.1, align="end")
    scaled = torch.from_numpy(panel.values.astype(np.float32))[:, None]
    data, _ = panel_train_data(scaled, folds[0], 0.2)
    assert data.x.untyped_storage().data_ptr() == scaled.untyped_storage().data_ptr()
    assert data.y.untyped_storage().data_ptr() == scaled.untyped_storage().data_ptr()


def test_the_model_scales_each_series_on_its_training_part_only() -> None:
    panel = make_panel([40, 50, 45])
    folds, _ = panel_folds(panel, WindowSpec(lags=4), 2, 0.1, align="end")
    split = folds[0]
    train = TrainSpec(epochs=2, progress=False)
    fitted = LSTMForecaster(WindowSpec(lags=4), ModelSpec(units=4), train).fit_panel(panel, split)
    later = panel.values.copy()
    for i in range(panel.n_series):  # every value after each training part changes
        later[panel.starts[i] + split.train_end[i] : panel.starts[i + 1]] *= 100.0
    changed = Panel("toy", "y", panel.ids, panel.starts, later, None, None, "changed")
    again = LSTMForecaster(WindowSpec(lags=4), ModelSpec(units=4), train).fit_panel(changed, split)
    for model in (fitted, again):
        scaler = model.scaler_
        for i in range(panel.n_series):
            part = panel.values[panel.starts[i] : panel.starts[i] + split.train_end[i]]
            assert scaler.offset_[i] == pytest.approx(part.min())  # type: ignore[union-attr]
            assert scaler.scale_[i] == pytest.approx(np.ptp(part))  # type: ignore[union-attr]
    assert fitted.history_.train_loss == again.history_.train_loss  # type: ignore[union-attr]
