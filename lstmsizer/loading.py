"""Reading user data (files, arrays, pandas objects) into a validated Dataset."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from lstmsizer.errors import DataError, OptionError
from lstmsizer.series import FILLS, Dataset, check_numeric, is_numeric, parse_time, validate

__all__ = [
    "CSV_SUFFIXES",
    "FILLS",
    "PARQUET_SUFFIXES",
    "Dataset",
    "from_array",
    "load",
    "validate",
]

CSV_SUFFIXES: tuple[str, ...] = (".csv", ".tsv", ".txt")
PARQUET_SUFFIXES: tuple[str, ...] = (".parquet", ".pq")


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
    frame, file = read_table(path)
    meta = {"name": file.stem, "source": str(path)}
    return _from_frame(frame, str(path), column, time_column, features, fill, **meta)


def read_table(path: str | os.PathLike[str]) -> tuple[pd.DataFrame, Path]:
    """The table of a CSV (.csv, .tsv, .txt) or Parquet (.parquet, .pq) file, and its path.

    Raises:
        DataError: A missing, empty or unreadable file, or another suffix.
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
    return frame, file


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
    if isinstance(values, pd.Series) and isinstance(
        values.index, (pd.DatetimeIndex, pd.PeriodIndex)
    ):
        time = values.index if time is None else time
    table, rows = _array_table(values, None if names else features, name)
    target = str(table.columns[0])
    stamps = None if time is None else parse_time(pd.Series(pd.Index(cast(Any, time))), "time")
    if stamps is not None and len(stamps) != rows:
        raise DataError(f"{name}: time must have {rows} values like values, got {len(stamps)}")
    meta = {"name": name, "description": f"{target} from {name}", "source": "array"}
    return validate(table, stamps, fill, name, **meta)


def _array_table(values: Any, features: Any, name: str) -> tuple[pd.DataFrame, int]:
    """The target column (named after a named Series, else y), the features, and T."""
    series_name = getattr(values, "name", None)
    target = "y" if series_name is None else str(series_name)
    try:
        y = np.asarray(values, dtype=np.float64)
        extra = pd.DataFrame() if features is None else pd.DataFrame(features)
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
    check_numeric(extra, list(extra.columns), name)
    return pd.concat([pd.DataFrame({target: y}), extra], axis=1), len(y)


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
        numeric = [c for c in names if c not in used and is_numeric(frame[c])]
        if not numeric:
            raise DataError(
                f"{label} has no numeric column to forecast; columns: {', '.join(names)}"
            )
        if len(numeric) > 1:
            listed = f"{len(numeric)} numeric columns ({', '.join(numeric)})"
            raise DataError(f"{label} has {listed}: choose one with column=")
        column = numeric[0]
    check_numeric(frame, [column, *feats], label)
    time: pd.Index | None = (
        frame.index if isinstance(frame.index, (pd.DatetimeIndex, pd.PeriodIndex)) else None
    )
    if time_column is not None:
        time = parse_time(frame[time_column], time_column)
    table = frame[[column, *feats]].reset_index(drop=True)
    meta.setdefault("description", f"column {column!r} of {label}")
    return validate(table, time, fill, label, **meta)
