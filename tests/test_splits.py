"""Scaling fitted on training values only, leak-free splits and rolling-origin folds."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lstmsizer.config import WindowSpec
from lstmsizer.errors import DataError, ModelFileError, OptionError
from lstmsizer.splits import Scaler, Split, held_out, rolling_origin_folds, train_val_split

values_2d = st.integers(2, 30).flatmap(
    lambda n: st.integers(1, 3).flatmap(
        lambda f: arrays(np.float64, (n, f), elements=st.floats(-1e3, 1e3, allow_subnormal=False))
    )
)


@settings(max_examples=100, deadline=None)
@given(values_2d, st.sampled_from(["minmax", "standard"]))
def test_scaler_round_trip(values: np.ndarray, kind: str) -> None:
    spread = np.ptp(values, axis=0)
    if (spread == 0).any():  # a column before the constant one may vary too little
        with pytest.raises(DataError, match=r"is constant|varies too little"):
            Scaler.fit(values, kind)
        return
    try:
        scaler = Scaler.fit(values, kind)
    except DataError as exc:  # only a spread near the float64 limits cannot be scaled
        assert "varies too little" in str(exc) and spread.min() < 1e-150
        return
    scaled = scaler.transform(values)
    np.testing.assert_allclose(scaler.inverse_transform(scaled), values, rtol=0, atol=1e-9)
    if kind == "minmax":
        np.testing.assert_allclose(scaled.min(axis=0), 0.0, atol=1e-12)
        np.testing.assert_allclose(scaled.max(axis=0), 1.0, atol=1e-12)
    elif spread.min() > 1e-100:  # squares of smaller spreads lose digits to underflow
        np.testing.assert_allclose(scaled.mean(axis=0), 0.0, atol=1e-9)
        np.testing.assert_allclose(scaled.std(axis=0), 1.0, atol=1e-9)


def test_scaler_single_column_and_column_selection() -> None:
    scaler = Scaler.fit(np.array([2.0, 4.0, 6.0]), "minmax")
    np.testing.assert_allclose(scaler.transform([2.0, 5.0, 10.0]), [0.0, 0.75, 2.0])
    np.testing.assert_allclose(scaler.inverse_transform(np.full((2, 3, 1), 0.5)), 4.0)

    table = np.column_stack([np.arange(10.0), 100 + 10 * np.arange(10.0)])
    scaler = Scaler.fit(table, "standard")
    predictions = np.array([[0.0, 1.0], [-1.0, 2.0]])  # (N, H) forecasts of column 0
    np.testing.assert_allclose(
        scaler.inverse_transform(predictions, column=0),
        predictions * table[:, 0].std() + table[:, 0].mean(),
    )
    np.testing.assert_allclose(
        scaler.transform(table[:, 1], column=1), scaler.transform(table)[:, 1]
    )
    with pytest.raises(OptionError, match="last axis must hold the scaler's 2 columns"):
        scaler.transform(np.zeros((4, 3)))
    with pytest.raises(OptionError, match="column must be an integer in"):
        scaler.inverse_transform(predictions, column=2)
    none = Scaler.fit(table, "none")
    np.testing.assert_array_equal(none.transform(table), table)


def test_scaler_sees_only_the_training_part() -> None:
    rng = np.random.default_rng(0)
    series = rng.normal(size=(50, 2))
    split = train_val_split(50, WindowSpec(lags=3), 0.2)
    changed = series.copy()
    changed[split.train_end :] *= 1000.0
    for kind in ("minmax", "standard"):
        a = Scaler.fit(series, kind, train_end=split.train_end)
        b = Scaler.fit(changed, kind, train_end=split.train_end)
        np.testing.assert_array_equal(a.offset_, b.offset_)
        np.testing.assert_array_equal(a.scale_, b.scale_)
        everything = Scaler.fit(changed, kind)
        assert not np.array_equal(everything.scale_, b.scale_)


def test_constant_or_bad_columns_are_data_errors() -> None:
    with pytest.raises(DataError) as info:
        Scaler.fit(np.full(8, 5.0), "minmax")
    assert (
        str(info.value) == "column 0 is constant (5.0) over the training part: it cannot be scaled"
    )
    table = np.column_stack([np.arange(8.0), np.full(8, -2.0)])
    with pytest.raises(DataError, match=r"column 1 is constant \(-2.0\)"):
        Scaler.fit(table, "standard")
    # constant in the training part, varying later: still unusable
    with pytest.raises(DataError, match="column 0 is constant"):
        Scaler.fit([1.0, 1.0, 1.0, 9.0], "minmax", train_end=3)
    Scaler.fit(table, "none")  # nothing to divide by
    with pytest.raises(DataError, match="column 0 has NaN"):
        Scaler.fit([1.0, np.nan, 2.0], "standard")
    with pytest.raises(DataError, match="empty training part"):
        Scaler.fit([1.0, 2.0], "minmax", train_end=0)
    with pytest.raises(OptionError, match="kind must be one of minmax, standard, none"):
        Scaler.fit([1.0, 2.0], "robust")


def test_scaler_dict_round_trip() -> None:
    table = np.column_stack([np.arange(10.0) ** 2, np.sin(np.arange(10.0))])
    scaler = Scaler.fit(table, "standard")
    payload = json.loads(json.dumps(scaler.to_dict()))
    assert payload["kind"] == "standard" and isinstance(payload["offset"][0], float)
    restored = Scaler.from_dict(payload)
    np.testing.assert_array_equal(restored.transform(table), scaler.transform(table))
    with pytest.raises(ModelFileError, match="scaler entry is not valid"):
        Scaler.from_dict({"kind": "minmax", "offset": [0.0]})
    with pytest.raises(ModelFileError, match="scales > 0"):
        Scaler.from_dict({"kind": "minmax", "offset": [0.0], "scale": [0.0]})


def _passes_val(n: int, window: WindowSpec, fraction: float) -> bool:
    try:
        train_val_split(n, window, fraction)
    except DataError:
        return False
    return True


@settings(max_examples=150, deadline=None)
@given(
    st.integers(0, 80),
    st.integers(1, 12),
    st.integers(1, 5),
    st.sampled_from([0.0, 0.1, 0.2, 0.25, 0.3, 0.5, 0.8]),
)
def test_split_never_leaks(n: int, lags: int, horizon: int, fraction: float) -> None:
    window = WindowSpec(lags=lags, horizon=horizon)
    try:
        split = train_val_split(n, window, fraction)
    except DataError as exc:
        need = int(str(exc).split("need at least ")[1].split()[0])
        assert need > n and _passes_val(need, window, fraction)
        assert not _passes_val(need - 1, window, fraction)
        return
    assert split.n == n and split.train_end == n - held_out(n, fraction)
    train, val = split.train_origins, split.val_origins
    assert train.size >= 1 and (fraction == 0) == (val.size == 0)
    assert (train - lags >= 0).all() and (train + horizon <= split.train_end).all()
    assert (val >= split.train_end).all() and (val + horizon <= n).all()
    assert (val - lags >= 0).all()  # inputs may reach into the training part
    np.testing.assert_array_equal(train, np.arange(lags, split.train_end - horizon + 1))
    np.testing.assert_array_equal(val, np.arange(split.train_end, n - horizon + 1))


def test_minimum_length_message_is_exact() -> None:
    with pytest.raises(DataError) as info:
        train_val_split(5, WindowSpec(lags=4), 0.2)
    assert str(info.value) == (
        "series of length 5 is too short for 4 lags, horizon 1 and val_fraction 0.2: "
        "need at least 6 values"
    )
    split = train_val_split(6, WindowSpec(lags=4), 0.2)
    assert (split.train_end, split.train_origins.tolist(), split.val_origins.tolist()) == (
        5,
        [4],
        [5],
    )
    # a validation part shorter than the horizon has no window
    with pytest.raises(DataError, match="need at least 13 values"):
        train_val_split(10, WindowSpec(lags=2, horizon=3), 0.2)


def test_known_splits() -> None:
    split = train_val_split(309, WindowSpec(lags=12), 0.2)  # sunspots, W2
    assert split.train_end == 247 and split.val_origins.size == 62
    full = train_val_split(10, WindowSpec(lags=2), 0.0)  # textbook example
    assert full.train_end == 10 and full.val_origins.size == 0 and full.train_origins.size == 8
    assert train_val_split(10, WindowSpec(lags=2), 0.25).train_end == 7  # 2.5 rounds up
    with pytest.raises(OptionError, match="val_fraction must be in"):
        train_val_split(10, WindowSpec(lags=2), 1.0)
    with pytest.raises(OptionError, match="train_end must lie in"):
        Split(n=10, train_end=11, lags=2, horizon=1)


def _passes_folds(n: int, window: WindowSpec, folds: int, fraction: float) -> bool:
    try:
        rolling_origin_folds(n, window, folds, fraction)
    except DataError:
        return False
    return True


@settings(max_examples=150, deadline=None)
@given(
    st.integers(0, 150),
    st.integers(1, 10),
    st.integers(1, 4),
    st.integers(1, 5),
    st.sampled_from([0.0, 0.1, 0.2, 0.3]),
)
def test_rolling_folds(n: int, lags: int, horizon: int, folds: int, fraction: float) -> None:
    window = WindowSpec(lags=lags, horizon=horizon)
    try:
        splits, test = rolling_origin_folds(n, window, folds, fraction)
    except DataError as exc:
        need = int(str(exc).split("need at least ")[1].split()[0])
        assert need > n and _passes_folds(need, window, folds, fraction)
        assert not _passes_folds(need - 1, window, folds, fraction)
        return
    dev_end = n - held_out(n, fraction)
    assert (test.n, test.train_end) == (n, dev_end) and len(splits) == folds
    assert (test.val_origins.size == 0) == (fraction == 0)
    block = splits[0].n - splits[0].train_end
    assert block >= horizon
    assert splits[0].train_end >= max(dev_end / 2, lags + horizon)
    for earlier, later in itertools.pairwise(splits):
        assert later.train_end == earlier.n  # contiguous, non-overlapping, expanding
        assert later.n - later.train_end == block
    assert splits[-1].n == dev_end
    for split in splits:
        assert (split.train_origins + horizon <= split.train_end).all()
        assert (split.val_origins >= split.train_end).all()
        assert (split.val_origins + horizon <= split.n).all()  # never reaches the test block
        assert split.val_origins.size == block - horizon + 1


def test_rolling_folds_example_and_errors() -> None:
    splits, test = rolling_origin_folds(100, WindowSpec(lags=4), 3, 0.2)
    assert [(s.train_end, s.n) for s in splits] == [(41, 54), (54, 67), (67, 80)]
    assert (test.train_end, test.n) == (80, 100)
    with pytest.raises(OptionError, match="folds must be an integer >= 1, got 0"):
        rolling_origin_folds(100, WindowSpec(lags=4), 0, 0.2)
    with pytest.raises(DataError) as info:
        rolling_origin_folds(7, WindowSpec(lags=4), 3, 0.0)
    assert str(info.value) == (
        "series of length 7 is too short for 4 lags, horizon 1, 3 folds and "
        "test_fraction 0.0: need at least 8 values"
    )
    splits, _ = rolling_origin_folds(8, WindowSpec(lags=4), 3, 0.0)
    assert [(s.train_end, s.n) for s in splits] == [(5, 6), (6, 7), (7, 8)]
