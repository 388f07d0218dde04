"""The run folder's long tables read into arrays: the series, forecasts, loss curves and the
validation RMSE of each scored run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lstmsizer.errors import DataError
from lstmsizer.rundir.convert import to_float, to_int, to_text
from lstmsizer.rundir.files import CURVES_FILE, RUNS_FILE
from lstmsizer.rundir.sweep import (
    CURVE_COLUMNS,
    FORECAST_COLUMNS,
    RUN_CELL_COLUMNS,
    SERIES_COLUMNS,
)


@dataclass(frozen=True)
class Series:
    """The series as swept (series.csv): x is the time, or the position when there is none."""

    x: np.ndarray
    value: np.ndarray


@dataclass(frozen=True)
class Forecasts:
    """Forecasts of the validation and test spans beside the actual values (forecasts.csv)."""

    x: np.ndarray
    span: np.ndarray
    actual: np.ndarray
    recommended: np.ndarray
    baseline: np.ndarray


@dataclass(frozen=True)
class Curve:
    """Per-epoch losses of one run of a configuration (curves.csv).

    val_loss is the loss on the early-stopping block, carved from the end of the fold's
    training part; lr is the learning rate in force at that epoch.
    """

    config: str
    seed: int
    fold: int
    epoch: tuple[float, ...]
    train_loss: tuple[float, ...]
    val_loss: tuple[float, ...]
    lr: tuple[float, ...]


# validation RMSE of each scored run: config -> {(seed, fold): rmse}
Cells = dict[str, dict[tuple[int, int], float]]


def _require(frame: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{name} must have the columns {', '.join(missing)}, which are missing")


def _numbers(column: pd.Series) -> np.ndarray:
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)


def x_axis(frame: pd.DataFrame) -> np.ndarray:
    """The time of the rows when every value parses as a number or a date, else the position."""
    time = frame["time"]
    if time.notna().all():
        numbers = pd.to_numeric(time, errors="coerce")
        if numbers.notna().all():
            return numbers.to_numpy(dtype=float)
        dates = pd.to_datetime(time, errors="coerce", format="mixed")
        if dates.notna().all():
            return dates.to_numpy(dtype="datetime64[ns]")
    return frame["position"].to_numpy(dtype=float)


def read_series(path: Path) -> Series:
    """series.csv: position, time, value."""
    frame = pd.read_csv(path)
    _require(frame, SERIES_COLUMNS, path.name)
    return Series(x_axis(frame), _numbers(frame["value"]))


def read_forecasts(path: Path) -> Forecasts:
    """forecasts.csv: position, time, span, actual, recommended, best_baseline."""
    frame = pd.read_csv(path)
    _require(frame, FORECAST_COLUMNS, path.name)
    return Forecasts(
        x=x_axis(frame),
        span=frame["span"].astype(str).to_numpy(),
        actual=_numbers(frame["actual"]),
        recommended=_numbers(frame["recommended"]),
        baseline=_numbers(frame["best_baseline"]),
    )


def read_curves(frame: pd.DataFrame) -> tuple[Curve, ...] | None:
    """curves.csv: the first (seed, fold) run of each configuration, in epoch order."""
    _require(frame, CURVE_COLUMNS, CURVES_FILE)
    out = []
    for config, rows in frame.groupby("config", sort=False):
        seed, fold = rows.iloc[0]["seed"], rows.iloc[0]["fold"]
        run = rows[(rows["seed"] == seed) & (rows["fold"] == fold)].sort_values("epoch")
        epoch, train_loss, val_loss, lr = (
            tuple(float(v) for v in _numbers(run[name])) for name in CURVE_COLUMNS[3:]
        )
        seed, fold = to_int(seed, -1), to_int(fold, -1)
        out.append(Curve(to_text(config), seed, fold, epoch, train_loss, val_loss, lr))
    return tuple(c for c in out if c.epoch) or None


def read_cells(frame: pd.DataFrame) -> Cells | None:
    """runs.csv's RMSE by configuration and (seed, fold); None when there is no run or a
    cell repeats (sweeps that wrote no distinct seed and fold to pair on)."""
    _require(frame, RUN_CELL_COLUMNS, RUNS_FILE)
    keys = frame[list(RUN_CELL_COLUMNS[:3])]
    if frame.empty or keys.isna().any().any() or keys.duplicated().any():
        return None
    cells: Cells = {}
    for row in frame[list(RUN_CELL_COLUMNS)].to_dict("records"):
        cell = (to_int(row["seed"]), to_int(row["fold"]))
        cells.setdefault(to_text(row["config"]), {})[cell] = to_float(row["rmse"])
    return cells
