"""Reading panels (long, wide or unique_id/ds/y tables) into a validated Panel."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lstmsizer.errors import DataError, OptionError, check
from lstmsizer.loading import read_table
from lstmsizer.panel import Panel
from lstmsizer.panelcheck import (
    Rows,
    check_fill,
    check_long_time,
    fill_gaps,
    fill_missing,
)
from lstmsizer.series import _check_time, check_numeric, is_numeric, parse_time

__all__ = ["detect_panel", "load_panel", "panel_from_frame", "panel_from_long", "panel_from_wide"]

NIXTLA: tuple[str, str, str] = ("unique_id", "ds", "y")
"""The long layout of NeuralForecast and StatsForecast: series id, time stamp, target."""


def load_panel(
    path: str | os.PathLike[str],
    *,
    id_column: str | None = None,
    time_column: str | None = None,
    column: str | None = None,
    wide: bool = False,
    fill: str | None = None,
) -> Panel:
    """Read a panel from a CSV (.csv, .tsv, .txt) or Parquet (.parquet, .pq) file.

    Args:
        path: The file.
        id_column: Series id column of a long table; None with columns unique_id, ds and y
            reads the NeuralForecast layout.
        time_column: Time stamps (pandas.to_datetime) or numbers such as years (kept).
        column: Target column of a long table; None picks the only other numeric column.
        wide: One column per series instead of a long table.
        fill: Missing values and gaps, per series: None raises; "interpolate", "ffill" or
            "drop" as in lstmsizer.loading.load (see panel_from_long).

    Raises:
        DataError: Missing or unreadable file, bad columns, or any rule of panel_from_long
            or panel_from_wide.
    """
    frame, file = read_table(path)
    options = (id_column, time_column, column, wide, fill)
    return _from_frame(frame, *options, label=str(path), name=file.stem, source=str(path))


def panel_from_frame(
    frame: pd.DataFrame,
    *,
    id_column: str | None = None,
    time_column: str | None = None,
    column: str | None = None,
    wide: bool = False,
    fill: str | None = None,
    name: str = "array",
) -> Panel:
    """A Panel from a DataFrame, with load_panel's rules; name labels it in messages."""
    options = (id_column, time_column, column, wide, fill)
    return _from_frame(frame, *options, label=name, name=name, source="array")


def detect_panel(frame: pd.DataFrame, id_column: str | None, wide: bool) -> bool:
    """Whether a table is read as a panel: wide, an id column, or the unique_id/ds/y layout."""
    return wide or id_column is not None or set(NIXTLA) <= {str(c) for c in frame.columns}


def _from_frame(
    frame: pd.DataFrame,
    id_column: str | None,
    time_column: str | None,
    column: str | None,
    wide: bool,
    fill: str | None,
    **meta: str,
) -> Panel:
    """Dispatch to the wide or long reader; the unique_id/ds/y names fill in the defaults."""
    if wide:
        if id_column is not None or column is not None:
            given = "id_column" if id_column is not None else "column"
            raise OptionError(f"{given} applies to long tables; a wide table has no {given}")
        return panel_from_wide(frame, time_column=time_column, fill=fill, **meta)
    if not detect_panel(frame, id_column, wide):
        raise DataError(
            f"{meta['label']} is not a panel: pass id_column= for a long table or wide=True, "
            f"or name the columns {', '.join(NIXTLA)}"
        )
    if id_column is None:
        id_column, time_column, column = NIXTLA[0], time_column or NIXTLA[1], column or NIXTLA[2]
    return panel_from_long(
        frame, id_column=id_column, time_column=time_column, column=column, fill=fill, **meta
    )


def panel_from_long(
    frame: pd.DataFrame,
    *,
    id_column: str,
    time_column: str | None,
    column: str | None,
    fill: str | None = None,
    label: str,
    name: str,
    source: str,
) -> Panel:
    """A Panel from a long table: one row per (series, time), series possibly interleaved.

    Series come in order of first appearance and keep their rows' order. Each series must
    rise strictly in time without gaps (a gap is a missing step of the panel's frequency).

    Args:
        frame: The table.
        id_column: Series ids, read as strings; a missing id is an error unless fill="drop".
        time_column: Time stamps or numbers; None numbers each series' rows 0, 1, ...
        column: Target column; None picks the only numeric column besides id and time.
        fill: Per series, never across two: None raises on a gap or a missing value;
            "interpolate" (linear in position) and "ffill" insert gaps as missing values and
            fill them, leading and trailing ones taking the nearest value; "drop" drops
            missing values (and rows without an id) and leaves gaps as they are.
        label: Names the data in error messages.
        name: The Panel's name.
        source: "array" or the file path.

    Raises:
        DataError: Bad columns, missing id or time, a duplicated (id, time) pair, time going
            backwards, a gap or a missing value without fill, or a series with no value.
    """
    frame = _named(frame, label)
    check_fill(fill)
    roles = {"id_column": id_column, "time_column": time_column, "column": column}
    _check_columns(frame, roles, label)
    used = [c for c in (id_column, time_column) if c is not None]
    column = _target(frame, used, label) if column is None else column
    if len({*used, column}) != len(used) + 1:
        raise OptionError(f"id_column, time_column and column must differ, got {roles}")
    check_numeric(frame, [column], label)
    ids, keep = _ids(frame[id_column], fill, label)
    codes, names = pd.factorize(ids[keep])  # codes number series by first appearance
    order = np.flatnonzero(keep)[np.argsort(codes, kind="stable")]  # rows, series by series
    starts = np.concatenate(([0], np.cumsum(np.bincount(codes)))).astype(np.int64)
    ids_ = tuple(str(n) for n in names)
    values = frame[column].to_numpy(dtype=np.float64, na_value=np.nan)[order]
    time = None if time_column is None else parse_time(frame[time_column], time_column)
    data = Rows(values, None if time is None else time.take(order), order, starts, ids_)
    if data.time is not None:
        data = fill_gaps(check_long_time(data, data.time, label), data.time, fill, label)
    data, filled = fill_missing(data, fill, label)
    dropped = int((~keep).sum())
    note = f" ({dropped} rows without an id dropped)" if dropped else ""
    description = f"column {column!r} of {label}, {len(ids_)} series by {id_column!r}{note}"
    return data.panel(name, column, description, filled, source)


def panel_from_wide(
    frame: pd.DataFrame,
    *,
    time_column: str | None = None,
    columns: Sequence[str] | None = None,
    fill: str | None = None,
    label: str,
    name: str,
    source: str,
) -> Panel:
    """A Panel from a wide table: one column per series, rows in time order.

    Leading and trailing NaN of a column mean the series starts later or ends earlier:
    they are trimmed, never filled or counted. Interior NaN follow the fill rules of
    panel_from_long, per column.

    Args:
        frame: The table.
        time_column: Time stamps or numbers; None uses a DatetimeIndex or PeriodIndex index,
            else numbers each series' values 0, 1, ... from its first value.
        columns: The series columns; None takes every numeric column but time_column.
        fill: None, "interpolate", "ffill" or "drop"; "drop" also drops all-NaN columns.
        label: Names the data in error messages.
        name: The Panel's name.
        source: "array" or the file path.

    Raises:
        DataError: Bad columns, unsorted or duplicate time, a missing value without fill, or
            an all-NaN column without fill="drop".
    """
    frame = _named(frame, label)
    check_fill(fill)
    _check_columns(frame, {"time_column": time_column}, label)
    if columns is None:
        cols = [c for c in frame.columns if c != time_column and is_numeric(frame[c])]
        if not cols:
            raise DataError(f"{label} has no numeric series column; columns: {_list(frame)}")
    else:
        cols = [str(c) for c in columns]
        for col in cols:
            _check_columns(frame, {"columns": col}, label)
        check(time_column not in cols, "columns", "must not include time_column", cols)
        check_numeric(frame, cols, label)
    time: pd.Index | None = (
        frame.index if isinstance(frame.index, (pd.DatetimeIndex, pd.PeriodIndex)) else None
    )
    if time_column is not None:
        time = parse_time(frame[time_column], time_column)
    if time is not None:
        _check_time(time, label)
    table = frame[cols].to_numpy(dtype=np.float64, na_value=np.nan)  # (R, S)
    present = ~np.isnan(table)
    empty = [c for c, e in zip(cols, ~present.any(axis=0), strict=True) if e]
    if empty and fill != "drop":
        raise DataError(
            f"{label}: series {empty[0]!r} has no value ({len(empty)} all-NaN columns): "
            "pass fill='drop' to drop empty series"
        )
    if len(empty) == len(cols):
        raise DataError(f"{label}: every series column is all NaN: {', '.join(cols)}")
    kept = [j for j, c in enumerate(cols) if c not in empty]
    present = present[:, kept]
    # (R, S): inside each column's span from its first to its last value
    span = (np.cumsum(present, axis=0) > 0) & (np.cumsum(present[::-1], axis=0)[::-1] > 0)
    rows = np.nonzero(span.T)[1]  # frame rows, series by series
    values = table[:, kept].T[span.T]
    starts = np.concatenate(([0], np.cumsum(span.sum(axis=0)))).astype(np.int64)
    ids = tuple(cols[j] for j in kept)
    stamps = None if time is None else time.take(rows)
    data, filled = fill_missing(Rows(values, stamps, rows, starts, ids), fill, label)
    note = f" ({len(empty)} empty series dropped: {', '.join(empty)})" if empty else ""
    description = f"{len(ids)} series (columns) of {label}{note}"
    return data.panel(name, "y", description, filled, source)


def _named(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    """String column names, at least one row, no duplicate names."""
    if len(frame) == 0:
        raise DataError(f"{label} has no rows")
    frame = frame.set_axis([str(c) for c in frame.columns], axis=1)
    if not frame.columns.is_unique:
        raise DataError(f"{label} has duplicate column names: {_list(frame)}")
    return frame


def _list(frame: pd.DataFrame) -> str:
    return ", ".join(str(c) for c in frame.columns)


def _check_columns(frame: pd.DataFrame, roles: dict[str, str | None], label: str) -> None:
    for role, col in roles.items():
        if col is not None and col not in frame.columns:
            raise DataError(f"{role} {col!r} is not a column of {label}; columns: {_list(frame)}")


def _target(frame: pd.DataFrame, used: list[str], label: str) -> str:
    """The only numeric column that is not the id or the time (load()'s rule)."""
    numeric = [c for c in frame.columns if c not in used and is_numeric(frame[c])]
    if not numeric:
        raise DataError(f"{label} has no numeric column to forecast; columns: {_list(frame)}")
    if len(numeric) > 1:
        listed = f"{len(numeric)} numeric columns ({', '.join(numeric)})"
        raise DataError(f"{label} has {listed}: choose one with column=")
    return str(numeric[0])


def _ids(raw: pd.Series, fill: str | None, label: str) -> tuple[NDArray[Any], NDArray[np.bool_]]:
    """(R,) ids as strings and (R,) rows that have one; a missing id raises unless "drop"."""
    if raw.dtype.kind == "f" and bool((raw.dropna() % 1 == 0).all()):
        raw = raw.astype("Int64")  # integer ids read as float because one is missing
    missing = raw.isna().to_numpy() | (raw.astype(str).str.strip() == "").to_numpy()
    if missing.any() and fill != "drop":
        raise DataError(
            f"{label}: id column {raw.name!r} is missing at row {int(np.argmax(missing))} "
            f"({int(missing.sum())} rows without an id): pass fill='drop' to drop them"
        )
    return raw.astype(str).to_numpy(dtype=object), ~missing
