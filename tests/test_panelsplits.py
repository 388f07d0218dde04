"""Panel splits keep windows inside one series and before its cut; scaling sees training only."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lstmsizer.config import WindowSpec
from lstmsizer.errors import DataError, ModelFileError, OptionError
from lstmsizer.panel import Panel
from lstmsizer.panelscaling import PanelScaler
from lstmsizer.panelsplits import (
    PanelSplit,
    panel_folds,
    panel_train_val_split,
    ranges,
)
from lstmsizer.splits import held_out, rolling_origin_folds


def make_panel(lengths: list[int], first_years: list[int] | None = None, seed: int = 0) -> Panel:
    """Series of random values; series i covers consecutive years from first_years[i]."""
    starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    values = np.random.default_rng(seed).normal(size=int(starts[-1]))
    time = None
    if first_years is not None:
        years = [np.arange(y, y + n) for y, n in zip(first_years, lengths, strict=True)]
        time = pd.Index(np.concatenate(years))
    ids = tuple(f"s{i}" for i in range(len(lengths)))
    return Panel("toy", "y", ids, starts, values, time, None, "toy panel")


def brute_origins(split: PanelSplit, lengths: list[int]) -> tuple[list[int], list[int]]:
    """Train and validation origins built series by series in plain Python."""
    train, val = [], []
    offset = 0
    for i, length in enumerate(lengths):
        if split.active[i]:
            end, n = int(split.train_end[i]), int(split.n[i])
            train += [
                offset + o for o in range(length) if o >= split.lags and o + split.horizon <= end
            ]
            val += [offset + o for o in range(length) if o >= end and o + split.horizon <= n]
        offset += length
    return train, val


def check_windows(split: PanelSplit, panel: Panel, lengths: list[int]) -> None:
    train, val = brute_origins(split, lengths)
    np.testing.assert_array_equal(split.train_origins, train)
    np.testing.assert_array_equal(split.val_origins, val)
    lags, horizon = split.lags, split.horizon
    for origins, limit in ((split.train_origins, split.train_end), (split.val_origins, split.n)):
        series = split.series_of(origins)
        for o, i in zip(origins.tolist(), series.tolist(), strict=True):
            lo, hi = sum(lengths[:i]), sum(lengths[: i + 1])
            assert lo <= o - lags and o + horizon <= lo + int(limit[i]) <= hi
            np.testing.assert_array_equal(
                panel.values[o - lags : o], panel.series(i).values[o - lo - lags : o - lo]
            )
        assert origins.dtype == np.int64


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.integers(3, 40), min_size=1, max_size=6),
    st.lists(st.integers(1990, 2010), min_size=6, max_size=6),
    st.integers(1, 4),
    st.integers(1, 3),
    st.integers(1, 3),
    st.sampled_from([0.0, 0.1, 0.25]),
    st.sampled_from(["time", "end", "val"]),
)
def test_every_window_lies_inside_one_series_and_before_its_cut(
    lengths: list[int],
    years: list[int],
    lags: int,
    horizon: int,
    folds: int,
    fraction: float,
    how: str,
) -> None:
    assume(min(lengths) >= lags + horizon)
    panel = make_panel(lengths, years[: len(lengths)])
    window = WindowSpec(lags, horizon)
    try:
        if how == "val":
            splits = [panel_train_val_split(panel, window, fraction)]
        else:
            fold_splits, test = panel_folds(panel, window, folds, fraction, align=how)
            splits = [*fold_splits, test]
    except DataError:
        assume(False)
    for split in splits:
        check_windows(split, panel, lengths)
    if how == "val":
        expected = [n - held_out(n, fraction) for n in lengths]
        np.testing.assert_array_equal(splits[0].train_end, expected)
    else:
        for fold in splits[:-1]:
            assert (fold.n <= splits[-1].train_end).all()


def test_ranges_matches_concatenated_aranges() -> None:
    first, counts = np.array([5, 0, 20, 7]), np.array([3, 0, 2, 1])
    expected = np.concatenate([np.arange(f, f + c) for f, c in zip(first, counts, strict=True)])
    np.testing.assert_array_equal(ranges(first, counts), expected)
    assert ranges([], []).shape == (0,)
    with pytest.raises(OptionError, match="counts"):
        ranges([1], [-1])


def test_align_end_on_equal_lengths_reproduces_rolling_origin_folds() -> None:
    panel = make_panel([30, 30, 30])
    window = WindowSpec(3, 2)
    folds, test = panel_folds(panel, window, 3, 0.2, align="end")
    ref_folds, ref_test = rolling_origin_folds(30, window, 3, 0.2)
    for fold, ref in zip(folds, ref_folds, strict=True):
        np.testing.assert_array_equal(fold.train_end, [ref.train_end] * 3)
        np.testing.assert_array_equal(fold.n, [ref.n] * 3)
        assert fold.local(1) == ref
    np.testing.assert_array_equal(test.train_end, [ref_test.train_end] * 3)
    np.testing.assert_array_equal(test.n, [30] * 3)


def test_align_end_keeps_the_distance_from_each_end() -> None:
    panel = make_panel([30, 45])
    window = WindowSpec(3, 2)
    folds, test = panel_folds(panel, window, 2, 0.2, align="end")
    ref_folds, ref_test = rolling_origin_folds(30, window, 2, 0.2)
    for fold, ref in zip(folds, ref_folds, strict=True):
        np.testing.assert_array_equal(fold.train_end, [ref.train_end, ref.train_end + 15])
        np.testing.assert_array_equal(fold.n, [ref.n, ref.n + 15])
        assert fold.cut == f"{30 - ref.train_end} values before each series' end"
    np.testing.assert_array_equal(test.train_end, [ref_test.train_end, ref_test.train_end + 15])


def test_align_time_counts_values_before_common_cuts() -> None:
    # A 2000-2009, B 2004-2013, C 2010-2013, D 2000-2006: calendar 2000..2013 (14 points).
    # test_fraction 0.2 holds out 3 points: dev_end 11; first training part 7; blocks of 2.
    panel = make_panel([10, 10, 4, 7], [2000, 2004, 2010, 2000])
    folds, test = panel_folds(panel, WindowSpec(2, 1), 2, 0.2, align="time")
    first, second = folds
    # fold 1 trains before 2007 and validates up to 2008
    np.testing.assert_array_equal(first.train_end, [7, 3, 0, 7])
    np.testing.assert_array_equal(first.n, [9, 5, 0, 7])
    np.testing.assert_array_equal(first.active, [True, True, False, False])
    assert first.cut == (
        "time 2007; 2 of 4 series inactive: 1 too short before the cut, "
        "1 with nothing to validate in the fold"
    )
    # fold 2 trains before 2009 and validates up to 2010
    np.testing.assert_array_equal(second.train_end, [9, 5, 0, 7])
    np.testing.assert_array_equal(second.n, [10, 7, 1, 7])
    np.testing.assert_array_equal(second.active, [True, True, False, False])
    # the test split trains before 2011 and tests on everything after
    np.testing.assert_array_equal(test.train_end, [10, 7, 1, 7])
    np.testing.assert_array_equal(test.n, [10, 10, 4, 7])
    np.testing.assert_array_equal(test.active, [True, True, False, True])
    assert test.cut == "time 2011; 1 of 4 series inactive: too short before the cut"
    for fold in folds:
        assert (fold.n <= test.train_end).all()
    starts = panel.starts
    assert set(test.val_origins.tolist()) == set(range(starts[1] + 7, starts[2]))
    assert test.to_dict() == {
        "cut": test.cut,
        "series": 4,
        "active": 3,
        "train_end_min": 7,
        "train_end_max": 10,
    }


def test_align_time_without_time_needs_equal_lengths() -> None:
    window = WindowSpec(2, 1)
    folds, _ = panel_folds(make_panel([20, 20]), window, 2, 0.2, align="time")
    ends, _ = panel_folds(make_panel([20, 20]), window, 2, 0.2, align="end")
    for fold, end in zip(folds, ends, strict=True):
        np.testing.assert_array_equal(fold.train_end, end.train_end)
        np.testing.assert_array_equal(fold.n, end.n)
    with pytest.raises(OptionError, match="align='time' needs a time column"):
        panel_folds(make_panel([20, 25]), window, 2, 0.2, align="time")
    with pytest.raises(OptionError, match="align must be one of time, end, got 'start'"):
        panel_folds(make_panel([20, 20]), window, 2, 0.2, align="start")


def test_too_short_panels_raise_one_line_naming_the_series() -> None:
    window = WindowSpec(3, 2)
    panel = make_panel([40, 6, 40])
    with pytest.raises(DataError) as caught:
        panel_folds(panel, window, 3, 0.2, align="end")
    message = str(caught.value)
    assert "'s1' of length 6" in message and "need at least" in message and "\n" not in message
    with pytest.raises(DataError) as caught:
        panel_train_val_split(make_panel([40, 6, 5]), window, 0.2)
    message = str(caught.value)
    assert "'s2' of length 5" in message and "2 of 3 series are too short" in message
    assert "\n" not in message
    with pytest.raises(DataError, match="no series of toy is usable in fold 1"):
        # a calendar of 40 years, but no series holds lags + horizon = 5 values
        panel_folds(make_panel([4] * 10, list(range(2000, 2040, 4))), window, 2, 0.2)
    with pytest.raises(DataError, match=r"calendar of toy \(5 time points\) is too short"):
        panel_folds(make_panel([5, 5], [2000, 2000]), window, 2, 0.2, align="time")


def test_train_val_split_without_validation_keeps_everything_for_training() -> None:
    panel = make_panel([12, 9])
    split = panel_train_val_split(panel, WindowSpec(2, 1), 0.0)
    np.testing.assert_array_equal(split.train_end, [12, 9])
    assert split.val_origins.size == 0
    assert split.train_origins.size == (12 - 2) + (9 - 2)


def test_panel_split_checks_its_fields() -> None:
    starts = np.array([0, 10, 20])
    with pytest.raises(OptionError, match="train_end of series 1"):
        PanelSplit(starts, np.array([10, 10]), np.array([5, 1]), 2, 1, np.array([True, True]), "")
    inactive = PanelSplit(
        starts, np.array([10, 10]), np.array([5, 1]), 2, 1, np.array([True, False]), ""
    )
    assert inactive.n_series_active == 1
    lo, hi = inactive.train_bounds()
    np.testing.assert_array_equal(lo, [0, 10])
    np.testing.assert_array_equal(hi, [5, 11])
    with pytest.raises(OptionError, match="n must have shape"):
        PanelSplit(starts, np.array([10]), np.array([5, 1]), 2, 1, np.array([True, True]), "")


@pytest.mark.parametrize("kind", ["minmax", "standard"])
def test_scaler_fits_each_series_on_its_training_part_only(kind: str) -> None:
    panel = make_panel([20, 15, 30], seed=3)
    split = panel_train_val_split(panel, WindowSpec(2, 1), 0.3)
    scaler = PanelScaler.fit(panel.values, split, kind)
    for i in range(3):
        train = panel.series(i).values[: int(split.train_end[i])]
        if kind == "minmax":
            offset, scale = train.min(), train.max() - train.min()
        else:
            offset, scale = train.mean(), train.std()
        np.testing.assert_allclose(
            [scaler.offset_[i], scaler.scale_[i]], [offset, scale], rtol=1e-12
        )
    later = panel.values.copy()
    for i in range(3):
        lo = int(panel.starts[i])
        later[lo + int(split.train_end[i]) : int(panel.starts[i + 1])] += 1000.0
    again = PanelScaler.fit(later, split, kind)
    np.testing.assert_array_equal(again.offset_, scaler.offset_)
    np.testing.assert_array_equal(again.scale_, scaler.scale_)
    changed = panel.values.copy()
    changed[int(panel.starts[1])] = -50.0  # the first training value of series 1, a new minimum
    moved = PanelScaler.fit(changed, split, kind)
    assert moved.offset_[1] != scaler.offset_[1] and moved.scale_[1] != scaler.scale_[1]
    np.testing.assert_array_equal(moved.offset_[[0, 2]], scaler.offset_[[0, 2]])

    scaled = scaler.transform(panel.values, panel.series_index)
    index = panel.series_index
    np.testing.assert_allclose(
        scaled, (panel.values - scaler.offset_[index]) / scaler.scale_[index]
    )
    pred = np.array([[0.0, 1.0], [0.5, -1.0]])  # (N, H) forecasts of series 2 and 0
    np.testing.assert_allclose(
        scaler.inverse(pred, np.array([2, 0])),
        pred * scaler.scale_[[2, 0]][:, None] + scaler.offset_[[2, 0]][:, None],
    )


def test_scaler_falls_back_for_constant_and_empty_training_parts() -> None:
    starts = np.array([0, 6, 12, 16])
    values = np.r_[np.full(6, 4.5), np.arange(6.0), np.arange(4.0)]
    split = PanelSplit(
        starts, np.array([6, 6, 4]), np.array([4, 5, 0]), 2, 1, np.array([True, True, False]), ""
    )
    scaler = PanelScaler.fit(values, split, "standard")
    assert scaler.constant_ == 1
    np.testing.assert_allclose(scaler.offset_, [4.5, 2.0, 0.0])
    np.testing.assert_allclose(scaler.scale_, [1.0, np.arange(5.0).std(), 1.0])
    none = PanelScaler.fit(values, split, "none")
    np.testing.assert_array_equal(none.offset_, 0.0)
    np.testing.assert_array_equal(none.scale_, 1.0)
    bad = values.copy()
    bad[7] = np.nan
    with pytest.raises(DataError, match="series 1 has NaN"):
        PanelScaler.fit(bad, split, "minmax")
    with pytest.raises(OptionError, match="kind"):
        PanelScaler.fit(values, split, "robust")


def test_scaler_round_trips_through_json() -> None:
    panel = make_panel([10, 12])
    split = panel_train_val_split(panel, WindowSpec(2, 1), 0.2)
    scaler = PanelScaler.fit(panel.values, split, "minmax")
    back = PanelScaler.from_dict(json.loads(json.dumps(scaler.to_dict())))
    assert back.kind == "minmax" and back.constant_ == scaler.constant_
    np.testing.assert_array_equal(back.offset_, scaler.offset_)
    np.testing.assert_array_equal(back.scale_, scaler.scale_)
    with pytest.raises(ModelFileError):
        PanelScaler.from_dict({"kind": "minmax", "offset": [0.0]})
    with pytest.raises(ModelFileError):
        PanelScaler.from_dict({"kind": "minmax", "offset": [0.0], "scale": [0.0]})
