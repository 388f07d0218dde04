"""Tests of dataset loading, validation, fill options and the resolve entry point."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstmsizer import datasets
from lstmsizer.datasets import DATASETS, Dataset, from_array, get, list_datasets, load, resolve
from lstmsizer.errors import DataError, LstmsizerError, OptionError
from lstmsizer.panel import Panel


def _csv(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# Named datasets


def test_embedded_sunspots() -> None:
    ds = get("sunspots")
    assert len(ds) == 309 and ds.values.dtype == np.float64
    assert ds.values[0] == 5.0 and ds.values[-1] == 2.9
    assert ds.time is not None and ds.time[0] == pd.Timestamp("1700-01-01")
    assert ds.time[-1] == pd.Timestamp("2008-01-01")
    assert ds.frequency is not None and ds.frequency.startswith("YS")
    assert ds.source == "embedded" and ds.seed is None and ds.features.shape == (309, 0)


def test_embedded_airline() -> None:
    ds = get("airline")
    assert len(ds) == 144 and ds.values[0] == 112 and ds.values[-1] == 432
    assert ds.frequency == "MS" and ds.time is not None
    assert ds.time[-1] == pd.Timestamp("1960-12-01")


def test_embedded_seed_series() -> None:
    ds = get("seed")
    np.testing.assert_array_equal(ds.values, np.arange(1.0, 11.0))
    assert ds.time is None and ds.frequency is None and ds.inputs.shape == (10, 1)


def test_default_dataset_is_sunspots() -> None:
    assert datasets.DEFAULT_DATASET == "sunspots"
    assert resolve().name == "sunspots"


@pytest.mark.parametrize("name", ["sine", "ar", "mackey-glass", "delay"])
def test_synthetic_reproducible_and_seeded(name: str) -> None:
    a, b, c = get(name, seed=1), get(name, seed=1), get(name, seed=2)
    assert len(a) == DATASETS[name].length
    np.testing.assert_array_equal(a.values, b.values)
    assert not np.allclose(a.values, c.values)
    assert a.source == "synthetic" and a.seed == 1 and "seed=1" in a.description
    assert len(get(name, n=64)) == 64


def test_delay_dataset_target_is_feature_shifted() -> None:
    ds = get("delay", n=200, d=7, seed=3)
    assert ds.target == "y" and ds.feature_names == ("x",) and ds.inputs.shape == (200, 2)
    np.testing.assert_array_equal(ds.values[7:], ds.features[:-7, 0])


def test_list_datasets_matches_get() -> None:
    table = list_datasets()
    assert list(table.columns) == ["name", "kind", "length", "description"]
    assert set(table["kind"]) == {"embedded", "synthetic", "panel"}
    for row in table.itertuples():
        data = get(str(row.name))
        if isinstance(data, Panel):  # a panel's length counts its time steps
            assert data.time is not None and data.time.nunique() == row.length
        else:
            assert len(data) == row.length


def test_get_errors() -> None:
    with pytest.raises(OptionError, match=r"dataset must be one of seed, sunspots, .*got 'nope'"):
        get("nope")
    with pytest.raises(OptionError, match="n must be an integer >= 1, got 0"):
        get("sine", n=0)
    with pytest.raises(OptionError, match="d must be an integer >= 1, got 0"):
        get("delay", d=0)
    with pytest.raises(OptionError, match="takes d, got period"):
        get("delay", period=3)
    with pytest.raises(OptionError, match="embedded data and takes no parameters, got n"):
        get("airline", n=10)
    assert len(get("mackey_glass", n=20)) == 20


# Files


def test_load_auto_chooses_single_numeric_column(tmp_path: Path) -> None:
    path = _csv(tmp_path, "date,label,value\n2020-01-01,a,1\n2020-01-02,b,3\n2020-01-03,c,2\n")
    ds = load(path, time_column="date")
    assert ds.target == "value" and ds.name == "data" and ds.source == str(path)
    np.testing.assert_array_equal(ds.values, [1.0, 3.0, 2.0])
    assert isinstance(ds.time, pd.DatetimeIndex) and ds.frequency == "D"


def test_load_several_numeric_columns_lists_them(tmp_path: Path) -> None:
    path = _csv(tmp_path, "a,b,c\n1,2,3\n4,5,6\n")
    message = f"{path} has 3 numeric columns (a, b, c): choose one with column="
    with pytest.raises(DataError, match=re.escape(message)):
        load(path)
    assert load(path, column="b").values.tolist() == [2.0, 5.0]
    assert load(path, features=("a", "c")).target == "b"


def test_load_unknown_and_non_numeric_columns(tmp_path: Path) -> None:
    path = _csv(tmp_path, "x,name\n1,a\n2,?\n")
    with pytest.raises(DataError, match=r"column 'zz' is not a column of .*columns: x, name"):
        load(path, column="zz")
    with pytest.raises(DataError, match=r"column 'name' of .* is not numeric \(dtype (str|object)"):
        load(path, column="name")
    mixed = _csv(tmp_path, "v\n1\n2\noops\n", "mixed.csv")
    with pytest.raises(DataError, match=r"has no numeric column to forecast; columns: v"):
        load(mixed)
    with pytest.raises(DataError, match=r"first non-numeric value 'oops' at row 2"):
        load(mixed, column="v")


def test_load_features_in_given_order(tmp_path: Path) -> None:
    path = _csv(tmp_path, "t,a,y,c\n1,10,1,100\n2,20,3,200\n3,30,2,300\n")
    ds = load(path, column="y", time_column="t", features=["c", "a"])
    assert ds.feature_names == ("c", "a")
    np.testing.assert_array_equal(ds.inputs, [[1, 100, 10], [3, 200, 20], [2, 300, 30]])
    assert list(ds.to_frame().columns) == ["y", "c", "a"]
    assert ds.time is not None and list(ds.time) == [1, 2, 3]  # numeric time kept as numbers
    with pytest.raises(OptionError, match="must be different columns"):
        load(path, column="y", features=["y"])


def test_load_parquet_and_tsv(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"when": pd.date_range("2021-01", periods=4, freq="MS"), "v": [1.0, 4, 2, 8]}
    )
    frame.to_parquet(tmp_path / "s.parquet")
    ds = load(tmp_path / "s.parquet", time_column="when")
    assert ds.values.tolist() == [1.0, 4.0, 2.0, 8.0] and ds.frequency == "MS"
    tsv = _csv(tmp_path, "a\tb\n1\tx\n2\ty\n", "s.tsv")
    assert load(tsv).values.tolist() == [1.0, 2.0]
    txt = _csv(tmp_path, "a;b\n1;x\n2;y\n3;z\n", "s.txt")  # separator sniffed
    assert load(txt).values.tolist() == [1.0, 2.0, 3.0]


def test_load_missing_values_error_names_count_and_position(tmp_path: Path) -> None:
    path = _csv(tmp_path, "year,v\n2000,1\n2001,2\n2002,\n2003,4\n2004,NaN\n")
    with pytest.raises(
        DataError, match=r"has 2 missing or infinite values in v, first at row 2 \(time 2002\)"
    ):
        load(path, time_column="year")
    inf = _csv(tmp_path, "v\n1\ninf\n3\n", "inf.csv")
    with pytest.raises(DataError, match="1 missing or infinite values in v, first at row 1:"):
        load(inf)


def test_fill_options(tmp_path: Path) -> None:
    path = _csv(tmp_path, "t,v,f\n0,,1\n1,2,\n2,,3\n3,6,4\n4,,5\n5,7,6\n")
    interpolated = load(path, time_column="t", features=["f"], fill="interpolate")
    np.testing.assert_array_equal(interpolated.values, [2, 2, 4, 6, 6.5, 7])  # nearest at edges
    np.testing.assert_array_equal(interpolated.features[:, 0], [1, 2, 3, 4, 5, 6])
    assert interpolated.filled == 4
    forward = load(path, time_column="t", features=["f"], fill="ffill")
    np.testing.assert_array_equal(forward.values, [2, 2, 2, 6, 6, 7])  # leading gap back-filled
    np.testing.assert_array_equal(forward.features[:, 0], [1, 1, 3, 4, 5, 6])
    assert forward.filled == 4
    dropped = load(path, time_column="t", features=["f"], fill="drop")
    np.testing.assert_array_equal(dropped.inputs, [[6, 4], [7, 6]])
    assert dropped.filled == 4 and dropped.time is not None and list(dropped.time) == [3, 5]
    trailing = from_array([1.0, 2.0, np.nan, np.nan], fill="interpolate")
    assert trailing.values.tolist() == [1.0, 2.0, 2.0, 2.0] and trailing.filled == 2


def test_fill_drop_keeps_time_and_order(tmp_path: Path) -> None:
    path = _csv(tmp_path, "t,v\n2020-01-01,5\n2020-01-02,\n2020-01-03,1\n2020-01-04,3\n")
    ds = load(path, time_column="t", fill="drop")
    assert ds.values.tolist() == [5.0, 1.0, 3.0] and ds.filled == 1
    assert ds.time is not None and [str(t.date()) for t in ds.time] == [
        "2020-01-01",
        "2020-01-03",
        "2020-01-04",
    ]
    assert ds.frequency is None  # a gap: no regular frequency
    clean = load(path, time_column="t", fill="interpolate")
    assert clean.values.tolist() == [5.0, 3.0, 1.0, 3.0] and clean.frequency == "D"
    with pytest.raises(OptionError, match="fill must be None or one of interpolate, ffill, drop"):
        load(path, fill="mean")


def test_unsorted_and_duplicate_time_rejected(tmp_path: Path) -> None:
    unsorted = _csv(tmp_path, "t,v\n2020-01-01,1\n2020-01-03,2\n2020-01-02,3\n", "u.csv")
    with pytest.raises(
        DataError, match=r"time goes backwards at row 2 \(2020-01-02 after 2020-01-03\)"
    ):
        load(unsorted, time_column="t")
    duplicated = _csv(tmp_path, "t,v\n1,1\n2,2\n2,3\n3,4\n3,5\n", "d.csv")
    with pytest.raises(DataError, match="time has 2 duplicates, first 2 at row 2"):
        load(duplicated, time_column="t")
    # Without a time column the rows are taken in file order, never sorted.
    assert load(unsorted, column="v").values.tolist() == [1.0, 2.0, 3.0]


def test_bad_time_column(tmp_path: Path) -> None:
    path = _csv(tmp_path, "t,v\nmonday,1\ntuesday,2\n")
    with pytest.raises(DataError, match="time column 't' cannot be read as dates"):
        load(path, time_column="t")


def test_constant_empty_and_bad_files(tmp_path: Path) -> None:
    constant = _csv(tmp_path, "x\n3\n3\n3\n", "c.csv")
    with pytest.raises(
        DataError, match=re.escape("column 'x' is constant (3.0): nothing to forecast")
    ):
        load(constant)
    with pytest.raises(DataError, match="is empty"):
        load(_csv(tmp_path, "", "e.csv"))
    with pytest.raises(DataError, match="has no rows"):
        load(_csv(tmp_path, "a,b\n", "h.csv"))
    with pytest.raises(DataError, match=r"must end in one of .*got '\.xlsx'"):
        load(_csv(tmp_path, "a\n1\n", "x.xlsx"))
    missing = tmp_path / "nope.csv"
    with pytest.raises(DataError, match=re.escape(f"data file '{missing}' does not exist")):
        load(missing)
    with pytest.raises(DataError, match="cannot read"):
        load(_csv(tmp_path, "not parquet", "bad.parquet"))


# Arrays


def test_from_array_list_and_column_vector() -> None:
    ds = from_array([3, 1, 2])
    assert ds.values.tolist() == [3.0, 1.0, 2.0] and ds.time is None and ds.source == "array"
    assert from_array(np.array([[1.0], [2.0]])).values.shape == (2,)
    with pytest.raises(DataError, match=r"one-dimensional .*got shape \(2, 2\)"):
        from_array(np.ones((2, 2)))
    with pytest.raises(DataError, match="must be numeric"):
        from_array(["a", "b"])


def test_from_array_series_keeps_time_index() -> None:
    index = pd.date_range("2000-01-01", periods=4, freq="MS")
    ds = from_array(
        pd.Series([1.0, np.nan, 3.0, 5.0], index=index, name="sales"), fill="interpolate"
    )
    assert ds.target == "sales" and ds.values.tolist() == [1.0, 2.0, 3.0, 5.0] and ds.filled == 1
    assert ds.time is not None and ds.time.equals(index) and ds.frequency == "MS"
    periods = from_array(
        pd.Series([1.0, 2.0, 4.0], index=pd.period_range("2000", periods=3, freq="Y"))
    )
    assert isinstance(periods.time, pd.PeriodIndex) and periods.frequency is not None
    plain = from_array(pd.Series([1.0, 2.0], index=[10, 20]))
    assert plain.time is None


def test_from_array_features_and_time() -> None:
    ds = from_array(
        np.arange(4.0), features=np.arange(8.0).reshape(4, 2), time=[2000, 2001, 2002, 2003]
    )
    assert ds.feature_names == ("x0", "x1") and ds.inputs[:, 1].tolist() == [0.0, 2.0, 4.0, 6.0]
    assert ds.time is not None and list(ds.time) == [2000, 2001, 2002, 2003]
    named = from_array([1.0, 2.0, 3.0], features=pd.DataFrame({"temp": [5, 6, 7]}))
    assert named.feature_names == ("temp",)
    series = from_array([1.0, 2.0, 3.0], features=pd.Series([5, 6, 7], name="rain"))
    assert series.feature_names == ("rain",) and series.features[:, 0].tolist() == [5, 6, 7]
    with pytest.raises(DataError, match="features must have 3 rows"):
        from_array([1.0, 2.0, 3.0], features=[1.0, 2.0])
    with pytest.raises(DataError, match="time must have 3 values"):
        from_array([1.0, 2.0, 3.0], time=[1, 2])


def test_from_array_dataframe_follows_load_rules() -> None:
    frame = pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [3.0, 1.0, 2.0]})
    with pytest.raises(DataError, match=re.escape("has 2 numeric columns (a, b): choose one")):
        from_array(frame)
    ds = from_array(frame, column="b", features=["a"])
    assert ds.target == "b" and ds.feature_names == ("a",)
    with pytest.raises(DataError, match=r"missing or infinite values in a, first at row 1"):
        from_array(pd.DataFrame({"a": [1.0, np.nan, 2.0]}))


def test_dataset_shape_checks_and_frame() -> None:
    ds = get("delay", n=10)
    frame = ds.to_frame()
    assert list(frame.columns) == ["y", "x"] and len(frame) == 10
    with pytest.raises(OptionError, match="features must be"):
        Dataset("d", "y", np.ones(3), np.ones((2, 1)), ("x",), None, None, "")


# resolve


def test_resolve_rules(tmp_path: Path) -> None:
    path = _csv(tmp_path, "v\n1\n2\n4\n")
    assert resolve(path).values.tolist() == [1.0, 2.0, 4.0]
    assert resolve(str(path)).source == str(path)
    assert resolve([1, 2, 4]).source == "array"
    assert resolve(pd.DataFrame({"v": [1.0, 3.0], "w": [0.0, 1.0]}), column="w").target == "w"
    assert (
        resolve(dataset="ar", seed=4, n=30).values.tolist()
        == get("ar", seed=4, n=30).values.tolist()
    )
    ds = get("seed")
    assert resolve(ds) is ds
    with pytest.raises(OptionError, match="give data or dataset, not both"):
        resolve(path, dataset="sunspots")
    with pytest.raises(OptionError, match="column apply to files and arrays"):
        resolve(dataset="airline", column="x")
    with pytest.raises(OptionError, match="feature names apply only to a DataFrame"):
        resolve([1.0, 2.0], features=["x"])
    with pytest.raises(OptionError, match="use dataset='airline'"):
        resolve("airline")


def test_errors_are_lstmsizer_errors() -> None:
    assert issubclass(DataError, LstmsizerError) and issubclass(OptionError, LstmsizerError)
