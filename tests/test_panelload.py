"""Tests of reading panels: long, wide and unique_id/ds/y tables, validation, fill, fertility."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from lstmsizer.datasets import DATASETS, get, list_datasets, resolve
from lstmsizer.errors import DataError, OptionError
from lstmsizer.panel import Panel
from lstmsizer.panelload import (
    detect_panel,
    load_panel,
    panel_from_frame,
    panel_from_long,
    panel_from_wide,
)

# Three monthly series of different lengths and starts: id -> (first month, values)
RAW: dict[str, tuple[str, list[float]]] = {
    "north": ("2001-01-01", [3.0, 4.5, 5.0, 4.0, 6.5, 7.0]),
    "east": ("2001-02-01", [0.5, 0.25, 1.0]),
    "south": ("2001-03-01", [10.0, 11.0, 9.5, 12.0, 13.5, 12.5]),
}


def _dates(first: str, n: int) -> list[pd.Timestamp]:
    return [pd.Timestamp(first) + pd.DateOffset(months=k) for k in range(n)]


def _long_frame() -> pd.DataFrame:
    """Rows interleaved month by month, as a database export would give them."""
    rows = [
        (sid, t, v)
        for month in range(12)
        for sid, (first, vals) in RAW.items()
        for t, v in zip(_dates(first, len(vals)), vals, strict=True)
        if (t.year - 2001) * 12 + t.month - 1 == month
    ]
    return pd.DataFrame(rows, columns=["store", "date", "sales"])


def _wide_frame() -> pd.DataFrame:
    months = pd.date_range("2001-01-01", "2001-08-01", freq="MS")
    table = pd.DataFrame({"date": months})
    for sid, (first, vals) in RAW.items():
        column = np.full(len(months), np.nan)
        i = months.get_loc(pd.Timestamp(first))
        column[i : i + len(vals)] = vals
        table[sid] = column
    return table


def _nixtla_frame() -> pd.DataFrame:
    parts = [
        pd.DataFrame({"unique_id": sid, "ds": _dates(first, len(vals)), "y": vals})
        for sid, (first, vals) in RAW.items()
    ]
    return pd.concat(parts, ignore_index=True)


_META = {"label": "w", "name": "w", "source": "array"}


def _message(exc: pytest.ExceptionInfo[BaseException]) -> str:
    text = str(exc.value)
    assert isinstance(exc.value, DataError) and "\n" not in text
    return text


def test_long_wide_and_nixtla_layouts_give_the_same_panel() -> None:
    long = panel_from_frame(_long_frame(), id_column="store", time_column="date")
    wide = panel_from_frame(_wide_frame(), wide=True, time_column="date")
    nixtla = panel_from_frame(_nixtla_frame())
    lengths = [len(v) for _, v in RAW.values()]
    for panel in (long, wide, nixtla):
        assert isinstance(panel, Panel)
        assert panel.ids == ("north", "east", "south")
        np.testing.assert_array_equal(panel.starts, np.concatenate(([0], np.cumsum(lengths))))
        np.testing.assert_array_equal(panel.values, np.concatenate([v for _, v in RAW.values()]))
        assert panel.time is not None and panel.time.equals(long.time)
        assert panel.filled == {} and panel.frequency == "MS"
    assert long.target == "sales" and nixtla.target == "y"


def test_lengths_and_starts_match_the_raw_frame() -> None:
    frame = _long_frame()
    panel = panel_from_long(
        frame, id_column="store", time_column="date", column=None, label="t", name="t", source="a"
    )
    for i, sid in enumerate(panel.ids):
        rows = frame[frame["store"] == sid]
        one = panel.series(i)
        np.testing.assert_array_equal(one.values, rows["sales"].to_numpy())
        assert one.time is not None and list(one.time) == list(rows["date"])
        assert panel.lengths[i] == len(rows)


def test_wide_trims_each_column_and_reads_a_datetime_index() -> None:
    table = _wide_frame().set_index("date")
    panel = panel_from_wide(table, label="w", name="w", source="array")
    assert panel.time is not None
    for i, sid in enumerate(panel.ids):
        kept = table[sid].dropna()
        assert panel.time[panel.starts[i]] == kept.index[0]
        assert panel.time[panel.starts[i + 1] - 1] == kept.index[-1]
    positions = panel_from_wide(table.reset_index(drop=True), label="w", name="w", source="a")
    assert positions.time is None and positions.frequency is None
    np.testing.assert_array_equal(positions.values, panel.values)


def test_duplicated_id_and_time_names_series_and_rows() -> None:
    days = pd.date_range("2000-12-29", periods=4).strftime("%Y-%m-%d").tolist()
    frame = pd.DataFrame(
        {
            "id": ["A", "B"] * 5,
            "t": [d for d in days for _ in "AB"] + ["2001-01-02", "2001-01-01"],
            "y": np.arange(10.0),
        }
    )
    with pytest.raises(DataError) as exc:
        panel_from_frame(frame, id_column="id", time_column="t", name="shops")
    assert _message(exc) == "shops: series 'B' has 2 rows at time 2001-01-01 (rows 7 and 9)"


@pytest.mark.parametrize(
    ("frame", "options", "expected"),
    [
        (
            pd.DataFrame({"id": ["a", "b", "b", "b"], "t": [1, 1, 3, 2], "y": [1.0, 2, 3, 4]}),
            {"id_column": "id", "time_column": "t"},
            r"series 'b' goes back in time at row 3 \(2 after 3\); rows are never reordered",
        ),
        (
            pd.DataFrame({"id": ["a"] * 3 + ["b"] * 3, "t": [1, 2, 3, 1, 2, 4], "y": np.ones(6)}),
            {"id_column": "id", "time_column": "t"},
            r"series 'b' has a gap at row 5: 4 follows 2, step 1 .*pass fill='interpolate' or "
            r"'ffill' to fill gaps",
        ),
        (
            pd.DataFrame({"id": ["a", "a", "b", "b"], "t": [1, 2, 1, 2], "y": [1, 2, 3, np.nan]}),
            {"id_column": "id", "time_column": "t"},
            r"series 'b' has 1 missing or infinite values, first at time 2, row 3.*fill=",
        ),
        (
            pd.DataFrame({"id": ["a", "b", "b"], "t": [1, 1, 2], "y": [1, np.nan, np.inf]}),
            {"id_column": "id", "time_column": "t", "fill": "interpolate"},
            r"series 'b' has no finite value",
        ),
        (
            pd.DataFrame({"year": [1, 2, 3], "a": [1.0, 2, 3], "b": [np.nan] * 3}),
            {"wide": True, "time_column": "year"},
            r"series 'b' has no value .*pass fill='drop'",
        ),
        (
            pd.DataFrame({"id": ["a", None, "b"], "t": [1, 2, 1], "y": [1.0, 2, 3]}),
            {"id_column": "id", "time_column": "t"},
            r"id column 'id' is missing at row 1",
        ),
        (
            pd.DataFrame({"id": ["a", "b"], "t": [1, 1], "y": [1.0, 2], "z": [3.0, 4]}),
            {"id_column": "id", "time_column": "t"},
            r"has 2 numeric columns \(y, z\): choose one with column=",
        ),
        (
            pd.DataFrame({"id": ["a", "b"], "t": [1, 1], "y": [1.0, 2]}),
            {"id_column": "id", "time_column": "when"},
            r"time_column 'when' is not a column of frame; columns: id, t, y",
        ),
    ],
)
def test_validation_errors_are_one_line(
    frame: pd.DataFrame, options: dict[str, Any], expected: str
) -> None:
    with pytest.raises(DataError) as exc:
        panel_from_frame(frame, name="frame", **options)
    assert re.search(expected, _message(exc)), _message(exc)


def test_load_panel_names_the_option_and_file(tmp_path: Path) -> None:
    path = tmp_path / "sales.csv"
    path.write_text("a,b,c\nx,1,2.0\ny,1,3.0\n")
    with pytest.raises(DataError) as exc:
        load_panel(path, id_column="shop", time_column="b")
    assert _message(exc) == f"id_column 'shop' is not a column of {path}; columns: a, b, c"
    panel = load_panel(path, id_column="a", time_column="b")
    assert panel.ids == ("x", "y") and panel.name == "sales" and panel.source == str(path)
    np.testing.assert_array_equal(panel.values, [2.0, 3.0])


def test_load_panel_reads_csv_and_parquet_alike(tmp_path: Path) -> None:
    frame = _nixtla_frame()
    frame.to_csv(tmp_path / "p.csv", index=False)
    frame.to_parquet(tmp_path / "p.parquet")
    a, b = load_panel(tmp_path / "p.csv"), load_panel(tmp_path / "p.parquet")
    np.testing.assert_array_equal(a.values, b.values)
    assert a.ids == b.ids and a.time is not None and a.time.equals(b.time)


def _gappy() -> pd.DataFrame:
    """Series a and b back to back with missing values at the edges between them."""
    return pd.DataFrame(
        {
            "id": ["a"] * 5 + ["b"] * 5,
            "t": [2000, 2001, 2002, 2003, 2004] * 2,
            "y": [1.0, np.nan, 5.0, 6.0, np.nan, np.nan, 100.0, np.inf, 110.0, 120.0],
        }
    )


@pytest.mark.parametrize("fill", ["interpolate", "ffill"])
def test_fill_is_per_series_against_pandas_groupby(fill: str) -> None:
    frame = _gappy()
    panel = panel_from_frame(frame, id_column="id", time_column="t", fill=fill)
    y = frame["y"].where(np.isfinite(frame["y"]))
    how = (lambda s: s.interpolate()) if fill == "interpolate" else (lambda s: s)
    expected = y.groupby(frame["id"]).transform(lambda s: how(s).ffill().bfill())
    np.testing.assert_allclose(panel.values, expected.to_numpy())
    counts = (~np.isfinite(frame["y"])).groupby(frame["id"]).sum()
    assert panel.filled == {k: int(v) for k, v in counts.items()}


def test_interpolation_never_reads_the_neighbouring_series() -> None:
    panel = panel_from_frame(_gappy(), id_column="id", time_column="t", fill="interpolate")
    assert panel.values[1] == 3.0  # (1 + 5) / 2
    assert panel.values[4] == 6.0  # a's last value, not a step towards b's 100
    assert panel.values[5] == 100.0  # b's first value, not a step from a's 6
    assert panel.values[7] == 105.0


def test_drop_removes_rows_per_series_and_keeps_gaps() -> None:
    panel = panel_from_frame(_gappy(), id_column="id", time_column="t", fill="drop")
    np.testing.assert_array_equal(panel.values, [1.0, 5.0, 6.0, 100.0, 110.0, 120.0])
    assert panel.time is not None and list(panel.time) == [2000, 2002, 2003, 2001, 2003, 2004]
    assert panel.filled == {"a": 2, "b": 2}


def test_gaps_are_inserted_and_filled() -> None:
    frame = pd.DataFrame(
        {"id": ["a"] * 4 + ["b"] * 3, "t": [0, 1, 2, 3, 0, 3, 4], "y": [1.0, 2, 3, 4, 0, 6, 7]}
    )
    panel = panel_from_frame(frame, id_column="id", time_column="t", fill="interpolate")
    assert panel.time is not None and list(panel.time[4:]) == [0, 1, 2, 3, 4]
    np.testing.assert_allclose(panel.values[4:], [0.0, 2.0, 4.0, 6.0, 7.0])
    assert panel.filled == {"b": 2}
    month = pd.DataFrame(
        {
            "unique_id": ["m"] * 3 + ["n"] * 4,
            "ds": pd.to_datetime(["2001-01-01", "2001-02-01", "2001-04-01"]).append(
                pd.date_range("2001-01-01", periods=4, freq="MS")
            ),
            "y": [1.0, 2, 4, 9, 9, 9, 9],
        }
    )
    with pytest.raises(DataError, match=r"series 'm' has a gap at row 2: 2001-04-01 follows"):
        panel_from_frame(month)
    filled = panel_from_frame(month, fill="ffill")
    np.testing.assert_array_equal(filled.values[:4], [1.0, 2.0, 2.0, 4.0])
    assert filled.time is not None and filled.time[2] == pd.Timestamp("2001-03-01")


def test_wide_fill_counts_interior_values_only() -> None:
    table = pd.DataFrame(
        {"a": [np.nan, 1.0, np.nan, 3.0, np.nan], "b": [1.0, 2, 3, 4, 5], "c": [np.nan] * 5}
    )
    with pytest.raises(DataError, match="series 'a' has 1 missing"):
        panel_from_wide(table, columns=["a", "b"], label="w", name="w", source="a")
    with pytest.raises(DataError, match="series 'c' has no value"):
        panel_from_wide(table, fill="interpolate", label="w", name="w", source="a")
    panel = panel_from_wide(table, columns=["a", "b"], fill="interpolate", **_META)
    assert panel.ids == ("a", "b") and panel.filled == {"a": 1}
    np.testing.assert_array_equal(panel.values, [1.0, 2.0, 3.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    dropped = panel_from_wide(table, fill="drop", **_META)
    assert dropped.ids == ("a", "b") and dropped.filled == {"a": 1}
    assert "1 empty series dropped: c" in dropped.description
    np.testing.assert_array_equal(dropped.values, [1.0, 3.0, 1.0, 2.0, 3.0, 4.0, 5.0])


def test_missing_ids_are_dropped_only_when_asked() -> None:
    frame = pd.DataFrame({"id": [7, None, 8, 7], "t": [1, 2, 1, 2], "y": [1.0, 2, 3, 4]})
    panel = panel_from_frame(frame, id_column="id", time_column="t", fill="drop")
    assert panel.ids == ("7", "8") and "1 rows without an id dropped" in panel.description
    np.testing.assert_array_equal(panel.values, [1.0, 4.0, 3.0])


def test_constant_series_is_allowed_and_options_are_checked() -> None:
    frame = pd.DataFrame({"id": ["a", "a", "b", "b"], "t": [1, 2, 1, 2], "y": [5.0, 5, 1, 2]})
    assert panel_from_frame(frame, id_column="id", time_column="t").n_series == 2
    with pytest.raises(OptionError, match="fill must be None or one of"):
        panel_from_frame(frame, id_column="id", time_column="t", fill="mean")
    with pytest.raises(DataError, match="is not a panel"):
        panel_from_frame(frame[["t", "y"]])


def test_detect_panel() -> None:
    assert detect_panel(_nixtla_frame(), None, False)
    assert detect_panel(_long_frame(), "store", False)
    assert detect_panel(_long_frame(), None, True)
    assert not detect_panel(_long_frame(), None, False)


def _statsmodels_fertility() -> pd.DataFrame:
    sm = pytest.importorskip("statsmodels.api")
    data = sm.datasets.fertility.load_pandas().data
    return data.set_index("Country Code")[[c for c in data.columns if str(c).isdigit()]]


def test_embedded_fertility_panel() -> None:
    source = _statsmodels_fertility()  # rows: countries, columns: years
    panel = get("fertility")
    assert isinstance(panel, Panel) and panel.time is not None
    years = [int(c) for c in source.columns[source.notna().any(axis=0)]]
    assert len(panel.time.unique()) == len(years) == DATASETS["fertility"].length
    assert panel.n_series == int(source.notna().any(axis=1).sum())
    for code, year in [("AFG", 1960), ("DEU", 1990), ("JPN", 2011), ("BRA", 1975)]:
        i = panel.position(code)
        one = panel.series(i)
        assert one.time is not None
        assert one.values[list(one.time).index(year)] == source.loc[code, str(year)]
    for code, row in source.iterrows():
        finite = np.flatnonzero(row.notna().to_numpy())
        if finite.size:
            inside = row.iloc[finite[0] : finite[-1] + 1]
            assert panel.filled.get(str(code), 0) == int(inside.isna().sum())
    table = list_datasets()
    assert table.set_index("name").loc["fertility", "kind"] == "panel"
    again = resolve(dataset="fertility")
    assert isinstance(again, Panel) and again.ids == panel.ids and resolve(again) is again


def test_fertility_takes_no_parameters() -> None:
    with pytest.raises(OptionError, match="takes no parameters"):
        get("fertility", n=10)


def test_wide_fertility_file_reads_like_the_embedded_panel(tmp_path: Path) -> None:
    source = _statsmodels_fertility()
    path = tmp_path / "fert.csv"
    source.T.rename_axis("year").reset_index().to_csv(path, index=False)
    with pytest.raises(DataError, match="series 'ASM' has no value"):
        load_panel(path, wide=True, time_column="year", fill="interpolate")
    read = load_panel(path, wide=True, time_column="year", fill="drop")
    assert "9 empty series dropped" in read.description
    assert read.ids == get("fertility").ids
