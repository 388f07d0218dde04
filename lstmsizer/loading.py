"""Reading user data (files, arrays, pandas objects) into a validated Dataset."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from lstmsizer.errors import DataError, OptionError, check

FILLS: tuple[str, ...] = ("interpolate", "ffill", "drop")
CSV_SUFFIXES: tuple[str, ...] = (".csv", ".tsv", ".txt")
PARQUET_SUFFIXES: tuple[str, ...] = (".parquet", ".pq")


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


def load(
    path: str | os.PathLike[str],
    column: str | None = None,
    time_column: str | None = None,
    features: Sequence[str] = (),
    fill: str | None = None,
) -> Dataset:
    """Read one series from a CSV (.csv, .tsv, .txt) or Parquet (.parquet, .pq) file.

    Args:
        path: The file.
        column: Target column; None picks the only numeric column that is not time_column or
            a feature, and fails listing them when there are several.
        time_column: Timestamps (parsed with pandas.to_datetime) or numbers such as years
            (kept as numbers). Rows are never reordered: time must strictly increase.
        features: Extra numeric input columns, kept in this order.
        fill: NaN/inf in the used columns: None raises; "interpolate" is linear in the row
            position, with leading/trailing gaps taking the nearest value; "ffill" carries the
            last value forward, a leading gap taking the first value; "drop" drops the rows.

    Raises:
        DataError: Missing or unreadable file, unsupported suffix, bad columns, unsorted or
            duplicate time, missing values without fill, a constant target, or no rows.
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
    meta = {"name": file.stem, "source": str(path)}
    return _from_frame(frame, str(path), column, time_column, features, fill, **meta)


def from_array(
    values: ArrayLike | pd.Series | pd.DataFrame,
    name: str = "array",
    features: ArrayLike | pd.DataFrame | Sequence[str] | None = None,
    time: ArrayLike | pd.Index | None = None,
    fill: str | None = None,
    *,
    column: str | None = None,
    time_column: str | None = None,
) -> Dataset:
    """A Dataset from a list, numpy array, Series or DataFrame, validated as load() does.

    Args:
        values: The target. A Series keeps a DatetimeIndex/PeriodIndex as time; a DataFrame
            follows load()'s column rules (column, time_column, and features as names).
        name: Label used in messages and results.
        features: (T,) or (T, F) extra inputs: a DataFrame or Series keeps its column names,
            arrays get x0, x1, ...
        time: T timestamps or numbers; overrides a Series index.
        fill: None, "interpolate", "ffill" or "drop", as in load().
        column: Target column of a DataFrame.
        time_column: Time column of a DataFrame.

    Raises:
        DataError: Non-numeric or badly shaped values, mismatched lengths, or any load() rule.
    """
    names = isinstance(features, (list, tuple)) and all(isinstance(f, str) for f in features)
    if isinstance(values, pd.DataFrame):
        if features is not None and not names:
            raise OptionError("features must be column names when values is a DataFrame")
        feats: Any = () if features is None else features
        return _from_frame(
            values, name, column, time_column, feats, fill, name=name, source="array"
        )
    if column is not None or time_column is not None or (names and len(cast(list[str], features))):
        raise OptionError("column, time_column and feature names apply only to a DataFrame")
    series_name = getattr(values, "name", None)
    target = "y" if series_name is None else str(series_name)
    if isinstance(values, pd.Series) and isinstance(
        values.index, (pd.DatetimeIndex, pd.PeriodIndex)
    ):
        time = values.index if time is None else time
    try:
        y = np.asarray(values, dtype=np.float64)
        extra = pd.DataFrame() if features is None or names else pd.DataFrame(cast(Any, features))
    except (ValueError, TypeError) as exc:
        raise DataError(f"{name}: values and features must be numeric arrays: {exc}") from None
    y = y[:, 0] if y.ndim == 2 and y.shape[1] == 1 else y
    if y.ndim != 1:
        raise DataError(
            f"{name}: values must be one-dimensional (extra columns go in features=), "
            f"got shape {y.shape}"
        )
    if not isinstance(features, pd.DataFrame) and getattr(features, "name", None) is None:
        extra.columns = [f"x{i}" for i in range(extra.shape[1])]
    if extra.shape[1] and len(extra) != len(y):
        raise DataError(f"{name}: features must have {len(y)} rows like values, got {len(extra)}")
    extra = extra.set_axis([str(c) for c in extra.columns], axis=1).reset_index(drop=True)
    _check_numeric(extra, list(extra.columns), name)
    table = pd.concat([pd.DataFrame({target: y}), extra], axis=1)
    stamps = None if time is None else _parse_time(pd.Series(pd.Index(cast(Any, time))), "time")
    if stamps is not None and len(stamps) != len(y):
        raise DataError(f"{name}: time must have {len(y)} values like values, got {len(stamps)}")
    meta = {"name": name, "description": f"{target} from {name}", "source": "array"}
    return validate(table, stamps, fill, name, **meta)


def _from_frame(
    frame: pd.DataFrame,
    label: str,
    column: str | None,
    time_column: str | None,
    features: Sequence[str],
    fill: str | None,
    **meta: Any,
) -> Dataset:
    """The column rules: pick the target, features and time of a table, then validate."""
    if len(frame) == 0:
        raise DataError(f"{label} has no rows")
    frame = frame.set_axis([str(c) for c in frame.columns], axis=1)
    names, feats = list(frame.columns), tuple(features)
    roles = [("column", column), ("time_column", time_column), *(("features", f) for f in feats)]
    for role, col in roles:
        if col is not None and col not in names:
            raise DataError(
                f"{role} {col!r} is not a column of {label}; columns: {', '.join(names)}"
            )
    used = [c for _, c in roles if c is not None]
    if len(set(used)) != len(used):
        raise OptionError(f"column, time_column and features must be different columns, got {used}")
    if column is None:
        numeric = [c for c in names if c not in used and _is_numeric(frame[c])]
        if not numeric:
            raise DataError(
                f"{label} has no numeric column to forecast; columns: {', '.join(names)}"
            )
        if len(numeric) > 1:
            listed = f"{len(numeric)} numeric columns ({', '.join(numeric)})"
            raise DataError(f"{label} has {listed}: choose one with column=")
        column = numeric[0]
    _check_numeric(frame, [column, *feats], label)
    time: pd.Index | None = (
        frame.index if isinstance(frame.index, (pd.DatetimeIndex, pd.PeriodIndex)) else None
    )
    if time_column is not None:
        time = _parse_time(frame[time_column], time_column)
    table = frame[[column, *feats]].reset_index(drop=True)
    meta.setdefault("description", f"column {column!r} of {label}")
    return validate(table, time, fill, label, **meta)


def validate(
    table: pd.DataFrame, time: pd.Index | None, fill: str | None, label: str, **meta: Any
) -> Dataset:
    """The shared checks: rows, time order, missing values (or fill), a non-constant target."""
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


def _parse_time(series: pd.Series, column: str) -> pd.Index:
    """Numbers stay numbers (years, seconds); anything else goes through pandas.to_datetime."""
    if _is_numeric(series) or isinstance(series.dtype, pd.PeriodDtype):
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


def _is_numeric(series: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(series.dtype))


def _check_numeric(frame: pd.DataFrame, columns: Sequence[str], label: str) -> None:
    for col in columns:
        series = frame[col]
        if _is_numeric(series):
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
