"""Read a sweep run folder into plain result objects (file and key names are in keys.py)."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lstmsizer.codegen import config_label
from lstmsizer.errors import DataError
from lstmsizer.recommend import summarize_baselines
from lstmsizer.report.keys import (
    FILES,
    FORECASTS,
    REQUIRED,
    SERIES,
    STABILITY_FLOATS,
    STABILITY_INTS,
    STABILITY_TEXTS,
    Aliases,
    pick,
    to_float,
    to_int,
    to_text,
)
from lstmsizer.report.measurements import (
    read_capacity,
    read_cells,
    read_claims,
    read_curves,
    read_deep_wide,
    read_gradients,
    read_health,
    read_speed,
)
from lstmsizer.report.results import (
    Baseline,
    Config,
    Forecasts,
    Recommended,
    RunFolder,
    Series,
    Table,
)


def _x_axis(frame: pd.DataFrame, aliases: Aliases) -> np.ndarray:
    # time when every value parses as a number or a date, else the position
    time = pick(frame, aliases, "time")
    if time is not None and time.notna().all():
        numbers = pd.to_numeric(time, errors="coerce")
        if numbers.notna().all():
            return numbers.to_numpy(dtype=float)
        dates = pd.to_datetime(time, errors="coerce", format="mixed")
        if dates.notna().all():
            return dates.to_numpy(dtype="datetime64[ns]")
    position = pick(frame, aliases, "position")
    return np.arange(len(frame), dtype=float) if position is None else position.to_numpy(float)


def read_series(path: Path) -> Series:
    """series.csv: position, time, value."""
    frame = pd.read_csv(path)
    values = pick(frame, SERIES, "value")
    if values is None:
        raise DataError(f"{path.name} must have a value column, got {list(frame.columns)}")
    return Series(_x_axis(frame, SERIES), pd.to_numeric(values, errors="coerce").to_numpy(float))


def read_forecasts(path: Path) -> Forecasts:
    """forecasts.csv: position, time, span, actual, recommended, best_baseline."""
    frame = pd.read_csv(path)
    columns = {name: pick(frame, FORECASTS, name) for name in ("actual", "recommended", "span")}
    missing = [name for name, column in columns.items() if column is None]
    if missing:
        raise DataError(f"{path.name} must have the columns {', '.join(missing)}")
    baseline = pick(frame, FORECASTS, "baseline")
    nan = pd.Series(np.full(len(frame), math.nan))

    def numbers(column: pd.Series) -> np.ndarray:
        return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)

    return Forecasts(
        x=_x_axis(frame, FORECASTS),
        span=columns["span"].astype(str).to_numpy(),
        actual=numbers(columns["actual"]),
        recommended=numbers(columns["recommended"]),
        baseline=numbers(nan if baseline is None else baseline),
    )


def read_configs(frame: pd.DataFrame) -> tuple[Config, ...]:
    """summary.csv rows as Config objects, in file order."""
    configs = []
    columns = set(frame.columns)
    for row in frame.to_dict("records"):
        configs.append(
            Config(
                config=to_text(row.get("config")),
                cell=to_text(row.get("cell")) or "lstm",
                units=to_int(row.get("units")),
                layers=to_int(row.get("layers"), 1),
                activation=to_text(row.get("activation")) or "tanh",
                parameters=to_int(row.get("parameters")),
                runs=to_int(row.get("runs")),
                failed=to_int(row.get("failed")),
                mean_rmse=to_float(row.get("mean_rmse")),
                se_rmse=to_float(row.get("se_rmse")),
                mean_train_loss=to_float(row.get("mean_train_loss")),
                mean_val_loss=to_float(row.get("mean_val_loss")),
                seconds=to_float(row.get("seconds")),
                health=read_health(row, columns),
            )
        )
    return tuple(configs)


def read_baselines(frame: pd.DataFrame) -> tuple[Baseline, ...]:
    """baselines.csv (one row per baseline per fold) summarised per baseline, best first."""
    table = summarize_baselines(frame)
    return tuple(
        Baseline(
            str(r["model"]), to_float(r["mean_rmse"]), to_float(r["se_rmse"]), to_int(r["runs"])
        )
        for r in table.to_dict("records")
    )


def _stability(rec: Mapping[str, Any]) -> dict[str, Any]:
    # the paired and bootstrap fields of newer sweeps, with defaults for older ones
    values: dict[str, Any] = {key: to_float(rec.get(key)) for key in STABILITY_FLOATS}
    values |= {key: to_int(rec.get(key)) for key in STABILITY_INTS}
    values |= {key: to_text(rec.get(key)) for key in STABILITY_TEXTS}
    warnings = rec.get("warnings")
    if not isinstance(warnings, list | tuple):
        warnings = ()
    values["warnings"] = tuple(to_text(w) for w in warnings if to_text(w))
    return values


def read_recommended(payload: Mapping[str, Any]) -> Recommended:
    """The "recommendation" object of recommendation.json."""
    rec = payload.get("recommendation")
    rec = rec if isinstance(rec, Mapping) else {}
    units, layers = to_int(rec.get("units")), to_int(rec.get("layers"), 1)
    cell, activation = to_text(rec.get("cell")) or "lstm", to_text(rec.get("activation")) or "tanh"
    needed = rec.get("lstm_needed")
    return Recommended(
        config=to_text(rec.get("config")),
        label=config_label(cell, units, layers, activation) if units else "",
        parameters=to_int(rec.get("parameters")),
        mean_rmse=to_float(rec.get("mean_rmse")),
        se_rmse=to_float(rec.get("se_rmse")),
        best_config=to_text(rec.get("best_config")),
        best_mean_rmse=to_float(rec.get("best_mean_rmse")),
        best_se_rmse=to_float(rec.get("best_se_rmse")),
        threshold=to_float(rec.get("threshold")),
        baseline=to_text(rec.get("baseline")),
        baseline_rmse=to_float(rec.get("baseline_rmse")),
        baseline_se=to_float(rec.get("baseline_se")),
        lstm_needed=None if needed is None else bool(needed),
        verdict=to_text(rec.get("verdict")) or "recommendation.json has no verdict.",
        keras_code=to_text(rec.get("keras_code")),
        pytorch_code=to_text(rec.get("pytorch_code")),
        **_stability(rec),
    )


def read_table(path: Path) -> Table:
    """A CSV file for display, NaN as None."""
    frame = pd.read_csv(path)
    rows = frame.astype(object).where(frame.notna(), None).itertuples(index=False, name=None)
    return Table(tuple(str(c) for c in frame.columns), tuple(tuple(r) for r in rows))


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise DataError(f"{path.name} must be valid JSON: {error}") from None


_READ_ERRORS = (OSError, ValueError, KeyError, TypeError, IndexError, pd.errors.ParserError)


def _required(path: Path) -> tuple[dict[str, Any], pd.DataFrame]:
    # recommendation.json and summary.csv, or the error saying why the folder is no run folder
    if not path.is_dir():
        raise DataError(f"run_dir must be a sweep run folder, got {str(path)!r}, not a folder")
    missing = [FILES[key] for key in REQUIRED if not (path / FILES[key]).is_file()]
    if missing:
        raise DataError(
            f"run_dir must hold {' and '.join(missing)} (written by lstmsizer sweep), "
            f"got {str(path)!r} without them"
        )
    payload = _load_json(path / FILES["recommendation"])
    if not isinstance(payload, dict):
        raise DataError(f"{FILES['recommendation']} must hold a JSON object, got {payload!r:.60}")
    try:
        return payload, pd.read_csv(path / FILES["summary"])
    except _READ_ERRORS as error:
        raise DataError(f"{FILES['summary']} must be a CSV table: {error}") from None


def read_run(run_dir: str | os.PathLike[str]) -> RunFolder:
    """Read a sweep run folder; optional files that are missing or unreadable become None.

    Args:
        run_dir: Folder written by lstmsizer.sweep (summary.csv and recommendation.json at
            least; runs.csv, baselines.csv, test.csv, series.csv, forecasts.csv,
            diagnostics.json, speed.json, claims.json, curves.csv and lr_search.csv when
            present).

    Returns:
        A RunFolder; RunFolder.problems says which optional files could not be read.

    Raises:
        DataError: run_dir is not a folder, lacks a required file, or one is unreadable.
    """
    path = Path(run_dir)
    payload, summary = _required(path)
    problems: list[str] = []

    def optional(key: str, read: Any, *args: Any) -> Any:
        file = path / FILES[key]
        if not file.is_file():
            return None
        try:
            return read(*args) if args else read(file)
        except pd.errors.EmptyDataError:
            return None  # an empty file: nothing to show, said as for a missing one
        except (*_READ_ERRORS, DataError) as error:
            problems.append(f"{FILES[key]} could not be read ({error}); that part is left out.")
            return None

    diagnostics = optional("diagnostics", _load_json)
    speed = optional("speed", _load_json)
    claims = optional("claims", _load_json)
    runs = optional("runs", pd.read_csv)
    baselines = optional("baselines", lambda f: read_baselines(pd.read_csv(f)))
    configs = read_configs(summary)
    labels = {c.config: c.label for c in configs}
    pairs = optional("diagnostics", read_deep_wide, diagnostics)
    if pairs:  # config ids to Keras-style names
        pairs = tuple(
            replace(p, deep=labels.get(p.deep, p.deep), wide=labels.get(p.wide, p.wide))
            for p in pairs
        )
    return RunFolder(
        path=path,
        recommended=read_recommended(payload),
        info={k: v for k, v in payload.items() if k not in ("recommendation", "test")},
        configs=configs,
        baselines=baselines or (),
        summary=read_table(path / FILES["summary"]),
        test=optional("test", read_table),
        runs=len(runs) if runs is not None else sum(c.runs for c in configs),
        series=optional("series", read_series),
        forecasts=optional("forecasts", read_forecasts),
        capacity=optional("diagnostics", read_capacity, diagnostics),
        gradients=optional("diagnostics", read_gradients, diagnostics),
        deep_wide=pairs,
        speed=optional("speed", read_speed, speed),
        claims=optional("claims", read_claims, claims),
        cells=None if runs is None else read_cells(runs),
        curves=optional("curves", lambda f: read_curves(pd.read_csv(f))),
        lr_search=optional("lr_search", read_table),
        problems=tuple(problems),
        files=tuple(name for name in FILES.values() if (path / name).is_file()),
    )
