"""Windows against a direct transcription of Keras's TimeseriesGenerator, and zero-copy views."""

from __future__ import annotations

import tracemalloc
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lstmsizer.errors import DataError, OptionError
from lstmsizer.windows import TimeseriesGenerator, make_windows, window_origins, windows_at

torch.set_num_threads(1)


def _keras_reference_batches(
    data: Any,
    targets: Any,
    length: int,
    sampling_rate: int = 1,
    stride: int = 1,
    start_index: int = 0,
    end_index: int | None = None,
    reverse: bool = False,
    batch_size: int = 128,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Keras's TimeseriesGenerator (shuffle=False), transcribed row by row."""
    start = start_index + length
    end = len(data) - 1 if end_index is None else end_index
    n_batches = (end - start + batch_size * stride) // (batch_size * stride)
    batches = []
    for index in range(n_batches):
        i = start + batch_size * stride * index
        rows = np.arange(i, min(i + batch_size * stride, end + 1), stride)
        samples = np.array([data[row - length : row : sampling_rate] for row in rows])
        batch_targets = np.array([targets[row] for row in rows])
        if reverse:
            samples = samples[:, ::-1, ...]
        batches.append((samples, batch_targets))
    return batches


@st.composite
def generator_settings(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(2, 60))
    features = draw(st.integers(1, 3))
    length = draw(st.integers(1, n - 1))
    start_index = draw(st.integers(0, n - 1 - length))
    end_index = draw(st.none() | st.integers(start_index + length, n - 1))
    data = np.arange(n * features, dtype=np.float64).reshape(n, features) + 0.5
    target_width = draw(st.sampled_from([None, 1, 2]))
    targets = -np.arange(n, dtype=np.float64)
    if target_width is not None:
        targets = np.repeat(targets[:, None], target_width, axis=1) * [1.0, 3.0][:target_width]
    return {
        "data": data,
        "targets": targets,
        "length": length,
        "sampling_rate": draw(st.integers(1, length + 1)),
        "stride": draw(st.integers(1, 6)),
        "start_index": start_index,
        "end_index": end_index,
        "reverse": draw(st.booleans()),
        "batch_size": draw(st.integers(1, 12)),
    }


@settings(max_examples=200, deadline=None)
@given(generator_settings())
def test_batches_equal_keras_reference(kwargs: dict[str, Any]) -> None:
    expected = _keras_reference_batches(**kwargs)
    gen = TimeseriesGenerator(**kwargs)
    assert len(gen) == len(expected)
    for index, (want_x, want_y) in enumerate(expected):
        got_x, got_y = gen[index]
        assert got_x.shape == want_x.shape and got_x.dtype == want_x.dtype
        assert got_y.shape == want_y.shape and got_y.dtype == want_y.dtype
        np.testing.assert_array_equal(got_x, want_x)
        np.testing.assert_array_equal(got_y, want_y)


def test_keras_documented_examples() -> None:
    data = np.array([[i] for i in range(50)], dtype=np.float64)
    gen = TimeseriesGenerator(data, data, length=10, sampling_rate=2, batch_size=2)
    assert len(gen) == 20
    x, y = gen[0]
    np.testing.assert_array_equal(x, [[[0], [2], [4], [6], [8]], [[1], [3], [5], [7], [9]]])
    np.testing.assert_array_equal(y, [[10], [11]])

    gen = TimeseriesGenerator(data, data, length=10, sampling_rate=2, reverse=True, batch_size=2)
    np.testing.assert_array_equal(gen[0][0], [[[8], [6], [4], [2], [0]], [[9], [7], [5], [3], [1]]])

    gen = TimeseriesGenerator(
        data, data, length=10, sampling_rate=2, start_index=10, end_index=30, batch_size=2
    )
    assert len(gen) == 6
    np.testing.assert_array_equal(gen[0][0][:, :, 0], [[10, 12, 14, 16, 18], [11, 13, 15, 17, 19]])
    np.testing.assert_array_equal(gen[0][1], [[20], [21]])


def test_textbook_example_and_higher_dimensional_data() -> None:
    series = list(range(1, 11))
    x, y = TimeseriesGenerator(series, series, length=2, batch_size=8)[0]
    np.testing.assert_array_equal(x, [[k, k + 1] for k in range(1, 9)])
    np.testing.assert_array_equal(y, range(3, 11))
    assert x.dtype == np.float64  # integers become floats for training

    rng = np.random.default_rng(0)
    data = rng.random((50, 1, 2, 3))
    gen = TimeseriesGenerator(data, data, length=10, sampling_rate=2, start_index=10, batch_size=4)
    x, y = gen[1]
    assert x.shape == (4, 5, 1, 2, 3) and y.shape == (4, 1, 2, 3)
    np.testing.assert_array_equal(x[0], data[14:24:2])


def test_every_row_is_used_once_in_order() -> None:
    x = np.arange(23.0)[:, None]
    for stride, length, batch_size in [(1, 3, 6), (5, 4, 6), (7, 3, 5), (3, 1, 6), (3, 7, 6)]:
        gen = TimeseriesGenerator(x, x, length=length, stride=stride, batch_size=batch_size)
        targets = np.concatenate([y for _, y in gen])[:, 0]
        np.testing.assert_array_equal(targets, np.arange(length, 23, stride))


def test_out_of_range_and_negative_indices() -> None:
    data = np.arange(20.0)
    gen = TimeseriesGenerator(data, data, length=3, batch_size=4)
    assert len(gen) == 5
    for bad in (5, 6, -6, 100):
        with pytest.raises(IndexError, match=f"batch index {bad} is out of range for 5 batches"):
            gen[bad]
    for negative in range(-5, 0):
        np.testing.assert_array_equal(gen[negative][0], gen[5 + negative][0])
        np.testing.assert_array_equal(gen[negative][1], gen[5 + negative][1])
    np.testing.assert_array_equal(gen[-1][1], [19.0])  # the last, partial batch
    assert len(list(gen)) == 5


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"length": 0}, "length must be an integer >= 1, got 0"),
        ({"length": 1.5}, "length must be an integer >= 1, got 1.5"),
        ({"sampling_rate": 0}, "sampling_rate must be an integer >= 1, got 0"),
        ({"stride": -1}, "stride must be an integer >= 1, got -1"),
        ({"batch_size": 0}, "batch_size must be an integer >= 1, got 0"),
        ({"start_index": -1}, "start_index must be an integer >= 0, got -1"),
        ({"end_index": 50}, "end_index must be < len(data)=50, got 50"),
        ({"targets": np.arange(51.0)}, "len(data)=50 and len(targets)=51"),
        ({"start_index": 45}, "start_index+length=55 > end_index=49 is disallowed"),
        ({"start_index": 10, "end_index": 15}, "start_index+length=20 > end_index=15"),
    ],
)
def test_impossible_settings_name_the_argument(kwargs: dict[str, Any], named: str) -> None:
    args: dict[str, Any] = {"data": np.arange(50.0), "targets": np.arange(50.0), "length": 10}
    args.update(kwargs)
    with pytest.raises(OptionError) as info:
        TimeseriesGenerator(**args)
    assert named in str(info.value)
    assert isinstance(info.value, ValueError)  # what Keras users catch


def test_non_numeric_data_is_a_data_error() -> None:
    with pytest.raises(DataError, match="data must be numeric"):
        TimeseriesGenerator(["a", "b", "c"], [1, 2, 3], length=1)


def _epoch_rows(gen: TimeseriesGenerator) -> np.ndarray:
    """Rows visited in one epoch; targets equal the row index in these tests."""
    return np.concatenate([y for _, y in gen]).astype(np.int64)


def test_shuffle_is_a_seeded_permutation_per_epoch() -> None:
    data = np.arange(60.0)
    gen = TimeseriesGenerator(data, data, length=5, stride=2, batch_size=7, shuffle=True, seed=3)
    rows = np.arange(5, 60, 2)
    assert len(gen) == 4  # 28 rows in batches of 7
    first = _epoch_rows(gen)
    np.testing.assert_array_equal(np.sort(first), rows)  # each row exactly once
    assert not np.array_equal(first, rows)  # and not in time order
    for x, y in gen:  # windows still belong to their targets
        np.testing.assert_array_equal(x[:, -1], y - 1)

    again = TimeseriesGenerator(data, data, length=5, stride=2, batch_size=7, shuffle=True, seed=3)
    np.testing.assert_array_equal(_epoch_rows(again), first)

    gen.on_epoch_end()
    second = _epoch_rows(gen)
    np.testing.assert_array_equal(np.sort(second), rows)
    assert not np.array_equal(second, first)


def test_pandas_and_list_inputs() -> None:
    values = np.linspace(0.0, 1.0, 30)
    frame = pd.DataFrame({"a": values, "b": 2 * values}, index=pd.date_range("2000", periods=30))
    want_x, want_y = TimeseriesGenerator(frame.to_numpy(), values, length=4, batch_size=8)[1]
    got_x, got_y = TimeseriesGenerator(frame, pd.Series(values), length=4, batch_size=8)[1]
    assert got_x.shape == (8, 4, 2)
    np.testing.assert_array_equal(got_x, want_x)
    np.testing.assert_array_equal(got_y, want_y)
    from_list = TimeseriesGenerator(values.tolist(), values.tolist(), length=4, batch_size=8)[1]
    np.testing.assert_array_equal(
        from_list[0], TimeseriesGenerator(values, values, 4, batch_size=8)[1][0]
    )
    ints = TimeseriesGenerator(pd.Series(range(30)), pd.Series(range(30)), length=4)[0][0]
    assert ints.dtype == np.float64
    f32 = TimeseriesGenerator(values.astype(np.float32), values, length=4)[0][0]
    assert f32.dtype == np.float32


def _loop_windows(inputs: np.ndarray, targets: np.ndarray, lags: int, horizon: int) -> tuple:
    n = len(inputs) - lags - horizon + 1
    x = np.stack([inputs[j : j + lags] for j in range(n)])
    y = np.stack([targets[j + lags : j + lags + horizon] for j in range(n)])
    return x, y


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 40),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(1, 8),
    st.integers(1, 4),
)
def test_make_windows_matches_a_loop(
    extra: int, features: int, k: int, lags: int, horizon: int
) -> None:
    n = lags + horizon + extra - 1
    rng = np.random.default_rng(n)
    inputs, targets = rng.random((n, features)), rng.random((n, k))
    x, y = make_windows(inputs, targets, lags, horizon)
    want_x, want_y = _loop_windows(inputs, targets, lags, horizon)
    assert x.shape == (extra, lags, features) and y.shape == (extra, horizon, k)
    np.testing.assert_array_equal(x, want_x)
    np.testing.assert_array_equal(y, want_y)
    origins = window_origins(n, lags, horizon)
    assert origins.dtype == np.int64 and len(origins) == extra
    np.testing.assert_array_equal(y[:, 0], targets[origins])
    np.testing.assert_array_equal(x, windows_at(inputs, lags, origins))


def test_make_windows_numpy_and_torch_agree() -> None:
    rng = np.random.default_rng(1)
    inputs, targets = rng.random((25, 3)), rng.random((25, 2))
    x, y = make_windows(inputs, targets, lags=5, horizon=3)
    tx, ty = make_windows(torch.from_numpy(inputs), torch.from_numpy(targets), lags=5, horizon=3)
    assert isinstance(tx, torch.Tensor) and tuple(tx.shape) == x.shape == (18, 5, 3)
    assert tuple(ty.shape) == y.shape == (18, 3, 2)
    np.testing.assert_array_equal(tx.numpy(), x)
    np.testing.assert_array_equal(ty.numpy(), y)
    assert not x.flags.writeable  # a view must not be written through


def test_one_dimensional_series_is_one_column() -> None:
    series = np.arange(10.0)
    x, y = make_windows(series, series, lags=2)
    assert x.shape == (8, 2, 1) and y.shape == (8, 1, 1)
    np.testing.assert_array_equal(x[-1, :, 0], [7.0, 8.0])
    np.testing.assert_array_equal(y[:, 0, 0], np.arange(2.0, 10.0))
    tx, _ = make_windows(torch.arange(10.0), torch.arange(10.0), lags=2)
    np.testing.assert_array_equal(tx.numpy(), x)


def test_ten_million_points_are_windowed_without_copying() -> None:
    inputs = np.arange(10_000_000, dtype=np.float32)
    tracemalloc.start()
    try:
        x, y = make_windows(inputs, inputs, lags=12, horizon=2)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert x.shape == (9_999_987, 12, 1) and y.shape == (9_999_987, 2, 1)
    assert x.nbytes > 400_000_000  # what a copy would have cost
    assert peak < 100_000  # bytes allocated while windowing
    assert np.shares_memory(x, inputs) and np.shares_memory(y, inputs)
    np.testing.assert_array_equal(x[-1, :, 0], inputs[-14:-2])
    np.testing.assert_array_equal(y[-1, :, 0], inputs[-2:])

    series = torch.from_numpy(inputs)
    tx, ty = make_windows(series, series, lags=12, horizon=2)
    assert tx.untyped_storage().data_ptr() == series.untyped_storage().data_ptr()
    assert ty.untyped_storage().data_ptr() == series.untyped_storage().data_ptr()
    assert torch.equal(tx[-1, :, 0], series[-14:-2])


@pytest.mark.parametrize(("n", "lags", "horizon"), [(5, 5, 1), (5, 3, 3), (0, 1, 1)])
def test_too_short_series_names_lags_horizon_and_length(n: int, lags: int, horizon: int) -> None:
    series = np.zeros(n)
    with pytest.raises(OptionError) as info:
        make_windows(series, series, lags, horizon)
    message = str(info.value)
    assert f"length {n}" in message and f"lags={lags}" in message
    assert f"horizon={horizon}" in message
    assert window_origins(n, lags, horizon).size == 0


def test_make_windows_rejects_bad_arguments() -> None:
    series = np.zeros(10)
    with pytest.raises(OptionError, match="lags must be an integer >= 1, got 0"):
        make_windows(series, series, 0)
    with pytest.raises(OptionError, match="horizon must be an integer >= 1, got 0"):
        make_windows(series, series, 2, 0)
    with pytest.raises(OptionError, match="must both be numpy arrays or both torch tensors"):
        make_windows(series, torch.zeros(10), 2)
    with pytest.raises(OptionError, match="same length, got 10 and 9"):
        make_windows(series, series[:9], 2)
    with pytest.raises(OptionError, match=r"inputs must be \(T,\) or \(T, F\)"):
        make_windows(np.zeros((10, 2, 2)), series, 2)


def test_windows_at_equals_slicing() -> None:
    rng = np.random.default_rng(2)
    inputs = rng.random((30, 2))
    origins = np.array([30, 4, 17, 29, 4])  # unordered, repeated, and the unseen next step
    got = windows_at(inputs, 4, origins)
    assert got.shape == (5, 4, 2)
    np.testing.assert_array_equal(got, np.stack([inputs[o - 4 : o] for o in origins]))
    got_t = windows_at(torch.from_numpy(inputs), 4, origins)
    np.testing.assert_array_equal(got_t.numpy(), got)
    np.testing.assert_array_equal(windows_at(inputs[:, 0], 4, [30])[0, :, 0], inputs[26:, 0])
    assert windows_at(inputs, 4, []).shape == (0, 4, 2)
    for bad in ([3], [31]):
        with pytest.raises(OptionError, match="origins must lie in"):
            windows_at(inputs, 4, bad)
