"""A panel's rows while it is read: time checks, gaps and missing values, series by series."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lstmsizer.errors import DataError, check
from lstmsizer.panel import Panel
from lstmsizer.series import FILLS, _fmt

FILL_HINT = "pass fill='interpolate', 'ffill' or 'drop'"


def time_keys(time: pd.Index) -> NDArray[Any]:
    """Sortable numbers for time stamps: nanoseconds, period ordinals, or the numbers."""
    if isinstance(time, (pd.DatetimeIndex, pd.PeriodIndex)):
        return time.asi8
    return np.asarray(time, dtype=np.float64)


@dataclass(frozen=True)
class Rows:
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
            frequency=union_frequency(self.time),
            description=description,
            filled=filled,
            source=source,
        )


def check_long_time(data: Rows, time: pd.Index, label: str) -> Rows:
    """No missing time, no (id, time) pair twice, time rising within each series."""
    rows, ids, series = data.rows, data.ids, data.series
    missing = np.asarray(time.isna())
    if missing.any():
        i = int(np.argmax(missing))
        raise DataError(
            f"{label}: series {ids[series[i]]!r} has no time at row {rows[i]} "
            f"({int(missing.sum())} rows without a time)"
        )
    keys = time_keys(time)
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


def union_frequency(time: pd.Index | None) -> str | None:
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
        freq = union_frequency(time)
        keys = time.unique().sort_values().get_indexer(time)
        return None if freq is None else (keys.astype(np.float64), 1.0, freq)
    keys = np.asarray(time, dtype=np.float64)
    diffs = np.diff(keys)[same & (np.diff(keys) > 0)]
    if not diffs.size:
        return None
    steps, counts = np.unique(diffs, return_counts=True)
    step = float(steps[np.argmax(counts)])
    return keys, step, f"{step:g}"


def fill_gaps(data: Rows, time: pd.Index, fill: str | None, label: str) -> Rows:
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
    return Rows(
        np.insert(data.values, before + 1, np.nan),
        time.append(added).take(take),
        np.insert(data.rows, before + 1, -1),
        np.concatenate(([0], np.cumsum(lengths))).astype(np.int64),
        data.ids,
    )


def fill_missing(data: Rows, fill: str | None, label: str) -> tuple[Rows, dict[str, int]]:
    """Fill or drop the non-finite values series by series; count them per series id."""
    check_fill(fill)
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
            f"{len(ids)} series have missing values: {FILL_HINT}"
        )
    filled = {ids[s]: int(counts[s]) for s in np.flatnonzero(counts)}
    if fill == "drop":
        time = None if data.time is None else data.time[~bad]
        starts = np.concatenate(([0], np.cumsum(lengths - counts))).astype(np.int64)
        return Rows(values[~bad], time, data.rows[~bad], starts, ids), filled
    out = _interpolate(values, bad, starts, fill == "interpolate")
    return Rows(out, data.time, data.rows, starts, ids), filled


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


def check_fill(fill: str | None) -> None:
    """The fill option must be None or one of FILLS."""
    check(fill is None or fill in FILLS, "fill", f"must be None or one of {', '.join(FILLS)}", fill)
