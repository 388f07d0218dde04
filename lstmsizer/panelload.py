"""Reading panels (long, wide or unique_id/ds/y tables) into a validated Panel."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lstmsizer.errors import DataError, OptionError, check
from lstmsizer.loading import CSV_SUFFIXES, PARQUET_SUFFIXES
from lstmsizer.panel import Panel
from lstmsizer.series import FILLS, _check_time, _fmt, check_numeric, is_numeric, parse_time

__all__ = ["detect_panel", "load_panel", "panel_from_frame", "panel_from_long", "panel_from_wide"]

NIXTLA: tuple[str, str, str] = ("unique_id", "ds", "y")
"""The long layout of NeuralForecast and StatsForecast: series id, time stamp, target."""

_FILL_HINT = "pass fill='interpolate', 'ffill' or 'drop'"


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
    file, shown = Path(path), repr(str(path))
    if not file.is_file():
        raise DataError(
            f"data file {shown} {'is not a file' if file.exists() else 'does not exist'}"
        )
    suffix = file.suffix.lower()
    if suffix not in CSV_SUFFIXES + PARQUET_SUFFIXES:
        allowed = ", ".join(CSV_SUFFIXES + PARQUET_SUFFIXES)
        raise DataError(f"data file {shown} must end in one of {allowed}, got {suffix!r}")
    try:
        if suffix in PARQUET_SUFFIXES:
            frame = pd.read_parquet(file)
        else:  # .txt: let the python engine sniff the separator
            sep = {".csv": ",", ".tsv": "\t"}.get(suffix)
            frame = pd.read_csv(file, sep=sep, engine="python" if sep is None else "c")
    except pd.errors.EmptyDataError:
        raise DataError(f"data file {shown} is empty") from None
    except (ValueError, OSError) as exc:
        raise DataError(f"cannot read {shown}: {exc}") from None
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
    _check_fill(fill)
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
    data = _Rows(values, None if time is None else time.take(order), order, starts, ids_)
    if data.time is not None:
        data = _gaps(_check_long_time(data, data.time, label), data.time, fill, label)
    data, filled = _fill(data, fill, label)
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
    _check_fill(fill)
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
    data, filled = _fill(_Rows(values, stamps, rows, starts, ids), fill, label)
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


def _check_fill(fill: str | None) -> None:
    check(fill is None or fill in FILLS, "fill", f"must be None or one of {', '.join(FILLS)}", fill)


def _keys(time: pd.Index) -> NDArray[Any]:
    """Sortable numbers for time stamps: nanoseconds, period ordinals, or the numbers."""
    if isinstance(time, (pd.DatetimeIndex, pd.PeriodIndex)):
        return time.asi8
    return np.asarray(time, dtype=np.float64)


@dataclass(frozen=True)
class _Rows:
    """A panel being built: values series after series, with their time and frame rows."""

    values: NDArray[np.float64]  # (T,)
    time: pd.Index | None  # (T,) or None
    rows: NDArray[Any]  # (T,) row of the frame each value came from; -1 for an inserted gap
    starts: NDArray[np.int64]  # (S + 1,)
    ids: tuple[str, ...]

    @property
    def series(self) -> NDArray[np.int64]:
        """(T,) the series each value belongs to."""
        return np.repeat(np.arange(len(self.ids)), np.diff(self.starts))

    def where(self, i: int) -> str:
        """Value i in words: its time and its frame row."""
        parts = [] if self.time is None else [f"time {_fmt(self.time[i])}"]
        return ", ".join(parts + [f"row {self.rows[i]}"] * bool(self.rows[i] >= 0))

    def panel(
        self, name: str, target: str, description: str, filled: dict[str, int], source: str
    ) -> Panel:
        return Panel(
            name=name,
            target=target,
            ids=self.ids,
            starts=np.asarray(self.starts, dtype=np.int64),
            values=np.ascontiguousarray(self.values, dtype=np.float64),
            time=self.time,
            frequency=_union_frequency(self.time),
            description=description,
            filled=filled,
            source=source,
        )


def _check_long_time(data: _Rows, time: pd.Index, label: str) -> _Rows:
    """No missing time, no (id, time) pair twice, time rising within each series."""
    rows, ids, series = data.rows, data.ids, data.series
    missing = np.asarray(time.isna())
    if missing.any():
        i = int(np.argmax(missing))
        raise DataError(
            f"{label}: series {ids[series[i]]!r} has no time at row {rows[i]} "
            f"({int(missing.sum())} rows without a time)"
        )
    keys = _keys(time)
    dup = pd.DataFrame({"s": series, "t": keys}).duplicated(keep=False).to_numpy()
    if dup.any():
        i = int(np.argmax(dup))
        same = np.flatnonzero((series == series[i]) & (keys == keys[i]))
        where = ", ".join(str(r) for r in rows[same[:-1]]) + f" and {rows[same[-1]]}"
        raise DataError(
            f"{label}: series {ids[series[i]]!r} has {same.size} rows at time "
            f"{_fmt(time[i])} (rows {where})"
        )
    back = np.flatnonzero((series[1:] == series[:-1]) & (keys[1:] < keys[:-1]))
    if back.size:
        i = int(back[0]) + 1
        raise DataError(
            f"{label}: series {ids[series[i]]!r} goes back in time at row {rows[i]} "
            f"({_fmt(time[i])} after {_fmt(time[i - 1])}); rows are never reordered: "
            "sort each series by time first"
        )
    return data


def _union_frequency(time: pd.Index | None) -> str | None:
    """Pandas frequency of the sorted union of the time stamps, when one can be inferred."""
    if isinstance(time, pd.PeriodIndex):
        return str(time.freqstr)
    if not isinstance(time, pd.DatetimeIndex):
        return None
    union = time.unique().sort_values()
    if len(union) < 3:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas 3 warns that infer_freq will return an offset
        freq: Any = pd.infer_freq(union)
    return None if freq is None else str(getattr(freq, "freqstr", freq))


def _grid(time: pd.Index, same: NDArray[np.bool_]) -> tuple[NDArray[Any], float, str] | None:
    """Time as steps on the panel's grid: (keys, step, step in words), or None if irregular.

    Dates sit on the sorted union of all dates (when pandas infers its frequency), periods on
    their ordinals, numbers on the most common positive difference within a series.
    """
    if isinstance(time, pd.PeriodIndex):
        return time.asi8.astype(np.float64), 1.0, str(time.freqstr)
    if isinstance(time, pd.DatetimeIndex):
        freq = _union_frequency(time)
        keys = time.unique().sort_values().get_indexer(time)
        return None if freq is None else (keys.astype(np.float64), 1.0, freq)
    keys = np.asarray(time, dtype=np.float64)
    diffs = np.diff(keys)[same & (np.diff(keys) > 0)]
    if not diffs.size:
        return None
    steps, counts = np.unique(diffs, return_counts=True)
    step = float(steps[np.argmax(counts)])
    return keys, step, f"{step:g}"


def _gaps(data: _Rows, time: pd.Index, fill: str | None, label: str) -> _Rows:
    """Raise on a missing time step, or insert it as a missing value ("interpolate", "ffill")."""
    series = data.series
    same = series[1:] == series[:-1]
    grid = None if fill == "drop" else _grid(time, same)
    if grid is None:
        return data
    keys, step, words = grid
    missing = np.ceil(np.diff(keys) / step - 1e-9).astype(np.int64) - 1
    at = np.flatnonzero(same & (missing > 0))
    if at.size and fill is None:
        i = int(at[0])
        raise DataError(
            f"{label}: series {data.ids[series[i]]!r} has a gap at row {data.rows[i + 1]}: "
            f"{_fmt(time[i + 1])} follows {_fmt(time[i])}, step {words} "
            f"({int(missing[i])} missing); pass fill='interpolate' or 'ffill' to fill gaps"
        )
    count = missing[at]
    before = np.repeat(at, count)  # each inserted value follows value `before`
    k = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count) + 1
    added: pd.Index
    if isinstance(time, pd.DatetimeIndex):
        added = time.unique().sort_values().take((keys[before] + k).astype(np.int64))
    else:  # periods shift by k steps of their frequency, numbers by k steps
        added = time.take(before) + k * (int(step) if step.is_integer() else step)
    n = data.values.shape[0]
    take = np.insert(np.arange(n), before + 1, n + np.arange(before.size))
    lengths = np.diff(data.starts) + np.bincount(series[before], minlength=len(data.ids))
    return _Rows(
        np.insert(data.values, before + 1, np.nan),
        time.append(added).take(take),
        np.insert(data.rows, before + 1, -1),
        np.concatenate(([0], np.cumsum(lengths))).astype(np.int64),
        data.ids,
    )


def _fill(data: _Rows, fill: str | None, label: str) -> tuple[_Rows, dict[str, int]]:
    """Fill or drop the non-finite values series by series; count them per series id."""
    _check_fill(fill)
    values, starts, ids = data.values, data.starts, data.ids
    bad = ~np.isfinite(values)
    if not bad.any():
        return data, {}
    lengths = np.diff(starts)
    counts = np.add.reduceat(bad.astype(np.int64), starts[:-1])
    empty = np.flatnonzero(counts == lengths)
    if empty.size:
        raise DataError(
            f"{label}: series {ids[empty[0]]!r} has no finite value "
            f"({empty.size} series without one)"
        )
    if fill is None:
        s = int(np.argmax(counts > 0))
        raise DataError(
            f"{label}: series {ids[s]!r} has {int(counts[s])} missing or infinite values, "
            f"first at {data.where(int(np.argmax(bad)))}; {int((counts > 0).sum())} of "
            f"{len(ids)} series have missing values: {_FILL_HINT}"
        )
    filled = {ids[s]: int(counts[s]) for s in np.flatnonzero(counts)}
    if fill == "drop":
        time = None if data.time is None else data.time[~bad]
        starts = np.concatenate(([0], np.cumsum(lengths - counts))).astype(np.int64)
        return _Rows(values[~bad], time, data.rows[~bad], starts, ids), filled
    out = _interpolate(values, bad, starts, fill == "interpolate")
    return _Rows(out, data.time, data.rows, starts, ids), filled


def _interpolate(
    values: NDArray[np.float64], bad: NDArray[np.bool_], starts: NDArray[np.int64], linear: bool
) -> NDArray[np.float64]:
    """Linear in position (or the previous value) within each series; ends take the nearest."""
    n = values.shape[0]
    pos = np.arange(n)
    first = np.repeat(starts[:-1], np.diff(starts))  # (T,) start of each value's series
    last = np.repeat(starts[1:], np.diff(starts)) - 1
    prev = np.maximum.accumulate(np.where(bad, -1, pos))
    nxt = np.minimum.accumulate(np.where(bad, n, pos)[::-1])[::-1]
    has_prev, has_next = prev >= first, nxt <= last  # a neighbour inside the same series
    lo, hi = np.where(has_prev, prev, nxt), np.where(has_next, nxt, prev)
    out = values.copy()
    if linear:
        w = np.where(bad & has_prev & has_next, (pos - lo) / np.maximum(hi - lo, 1), 0.0)
        out[bad] = (values[lo] + w * (values[hi] - values[lo]))[bad]
    else:
        out[bad] = values[lo][bad]
    return out
