"""One validated series, the Dataset, and the checks that turn a table into one."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lstmsizer.errors import DataError, check

FILLS: tuple[str, ...] = ("interpolate", "ffill", "drop")


@dataclass(frozen=True, eq=False)
class Dataset:
    """One validated series: a finite, non-constant float64 target plus optional features.

    Attributes:
        name: Short label, e.g. "sunspots" or the file stem.
        target: Name of the target column.
        values: (T,) float64 target.
        features: (T, F) float64 extra input columns, in input order; F may be 0.
        feature_names: The F feature column names.
        time: T timestamps, periods or numbers; None for a plain 0..T-1 range.
        frequency: Pandas frequency string ("YS-JAN", "MS", ...) when it can be inferred.
        description: One line saying what the series is.
        filled: Values filled, or rows dropped, by the fill option.
        source: "embedded", "synthetic", "array" or the file path.
        seed: Seed of a synthetic series, else None.
    """

    name: str
    target: str
    values: NDArray[np.float64]
    features: NDArray[np.float64]
    feature_names: tuple[str, ...]
    time: pd.Index | None
    frequency: str | None
    description: str
    filled: int = 0
    source: str = "embedded"
    seed: int | None = None

    def __post_init__(self) -> None:
        n, f = self.values.shape[0], len(self.feature_names)
        check(self.values.ndim == 1, "values", "must be one-dimensional", self.values.shape)
        check(self.features.shape == (n, f), "features", f"must be ({n}, {f})", self.features.shape)
        check(self.time is None or len(self.time) == n, "time", f"must have {n} values", self.time)

    @property
    def inputs(self) -> NDArray[np.float64]:
        """(T, 1 + F) model inputs: the target first, then the features."""
        return np.column_stack((self.values, self.features))

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def to_frame(self) -> pd.DataFrame:
        """The target and feature columns, indexed by time when there is one."""
        columns = {self.target: self.values}
        columns.update({f: self.features[:, i] for i, f in enumerate(self.feature_names)})
        return pd.DataFrame(columns, index=self.time)


def validate(
    table: pd.DataFrame, time: pd.Index | None, fill: str | None, label: str, **meta: Any
) -> Dataset:
    """The shared checks: rows, time order, missing values (or fill), a non-constant target.

    Args:
        table: The target column first, then the feature columns, in time order.
        time: One timestamp or number per row, or None.
        fill: None, "interpolate", "ffill" or "drop" (see loading.load).
        label: Names the data in error messages.
        **meta: The remaining Dataset fields (name, description, source, seed).

    Raises:
        DataError: No rows, duplicate columns, bad time, missing values without fill, or a
            constant target.
    """
    check(fill is None or fill in FILLS, "fill", f"must be None or one of {', '.join(FILLS)}", fill)
    columns = [str(c) for c in table.columns]  # target first, then features
    if len(table) == 0:
        raise DataError(f"{label} has no rows")
    if len(set(columns)) != len(columns):
        raise DataError(f"{label} has duplicate column names: {', '.join(columns)}")
    if time is not None:
        _check_time(time, label)
    data = table.to_numpy(dtype=np.float64, na_value=np.nan)  # (T, 1 + F)
    bad = ~np.isfinite(data)
    filled = 0
    if bad.any() and fill is None:
        row = int(np.flatnonzero(bad.any(axis=1))[0])
        where = f"row {row}" + ("" if time is None else f" (time {_fmt(time[row])})")
        cols = ", ".join(c for c, b in zip(columns, bad.any(axis=0), strict=True) if b)
        raise DataError(
            f"{label} has {int(bad.sum())} missing or infinite values in {cols}, first at "
            f"{where}: pass fill='interpolate', 'ffill' or 'drop'"
        )
    if bad.any():
        data, time, filled = _fill(data, bad, time, str(fill), label, columns)
    if np.ptp(data[:, 0]) == 0:
        raise DataError(f"column {columns[0]!r} is constant ({data[0, 0]}): nothing to forecast")
    return Dataset(
        target=columns[0],
        values=data[:, 0].copy(),
        features=data[:, 1:].copy(),
        feature_names=tuple(columns[1:]),
        time=time,
        frequency=_frequency(time),
        filled=filled,
        **meta,
    )


def _fill(
    data: NDArray[np.float64],
    bad: NDArray[np.bool_],
    time: pd.Index | None,
    fill: str,
    label: str,
    columns: list[str],
) -> tuple[NDArray[np.float64], pd.Index | None, int]:
    """Fill or drop the non-finite values; return the data, the time and how many changed."""
    if fill == "drop":
        keep = np.asarray(~bad.any(axis=1))
        if not keep.any():
            raise DataError(f"{label} has no complete row left after fill='drop'")
        return data[keep], None if time is None else time[keep], int((~keep).sum())
    empty = [c for c, b in zip(columns, np.asarray(bad.all(axis=0)), strict=True) if b]
    if empty:
        raise DataError(f"{label}: column {empty[0]!r} has no finite value to fill from")
    frame = pd.DataFrame(np.where(bad, np.nan, data))
    if fill == "interpolate":
        frame = frame.interpolate(method="linear", axis=0)  # by row position, not by time
    return frame.ffill().bfill().to_numpy(dtype=np.float64), time, int(bad.sum())


def _check_time(time: pd.Index, label: str) -> None:
    """Time must be complete and strictly increasing; rows are never reordered."""
    missing = np.asarray(time.isna())
    if missing.any():
        first = int(np.argmax(missing))
        raise DataError(
            f"{label}: time has {int(missing.sum())} missing values, first at row {first}"
        )
    keys = np.asarray(time.asi8 if isinstance(time, pd.PeriodIndex) else time)
    back = np.flatnonzero(keys[1:] < keys[:-1])
    if back.size:
        i = int(back[0]) + 1
        raise DataError(
            f"{label}: time goes backwards at row {i} ({_fmt(time[i])} after {_fmt(time[i - 1])});"
            " rows are never reordered: sort the data by time first"
        )
    dup = np.asarray(time.duplicated())
    if dup.any():
        first = int(np.argmax(dup))
        value = _fmt(time[first])
        raise DataError(
            f"{label}: time has {int(dup.sum())} duplicates, first {value} at row {first}"
        )


def parse_time(series: pd.Series, column: str) -> pd.Index:
    """Numbers stay numbers (years, seconds); anything else goes through pandas.to_datetime."""
    if is_numeric(series) or isinstance(series.dtype, pd.PeriodDtype):
        return pd.Index(series)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Could not infer format")  # dateutil fallback is fine
            return pd.DatetimeIndex(pd.to_datetime(series))
    except (ValueError, TypeError, OverflowError) as exc:
        raise DataError(f"time column {column!r} cannot be read as dates: {exc}") from None


def _frequency(time: pd.Index | None) -> str | None:
    if isinstance(time, pd.PeriodIndex):
        return str(time.freqstr)
    if not isinstance(time, pd.DatetimeIndex) or len(time) < 3:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas 3 warns that infer_freq will return an offset
        freq: Any = pd.infer_freq(time)
    return None if freq is None else str(getattr(freq, "freqstr", freq))


def is_numeric(series: pd.Series) -> bool:
    """Whether pandas stores the column as numbers (bool included)."""
    return bool(pd.api.types.is_numeric_dtype(series.dtype))


def check_numeric(frame: pd.DataFrame, columns: Sequence[str], label: str) -> None:
    """DataError naming the first column that is not numeric and its first odd value."""
    for col in columns:
        series = frame[col]
        if is_numeric(series):
            continue
        coerced = pd.to_numeric(series, errors="coerce")
        odd = np.flatnonzero(coerced.isna().to_numpy() & series.notna().to_numpy())
        hint = (
            f"; first non-numeric value {series.iloc[odd[0]]!r} at row {odd[0]}" if odd.size else ""
        )
        raise DataError(f"column {col!r} of {label} is not numeric (dtype {series.dtype}){hint}")


def _fmt(value: object) -> str:
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.strftime("%Y-%m-%d")
    return str(value)
