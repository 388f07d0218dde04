"""Named datasets (embedded and synthetic) and one entry point, resolve, for any data."""

from __future__ import annotations

import dataclasses
import inspect
import os
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal, NamedTuple, overload

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from lstmsizer import synthetic
from lstmsizer.errors import OptionError
from lstmsizer.loading import (
    CSV_SUFFIXES,
    FILLS,
    PARQUET_SUFFIXES,
    Dataset,
    from_array,
    validate,
)
from lstmsizer.loading import load as load_series
from lstmsizer.panel import Panel
from lstmsizer.panelload import NIXTLA, detect_panel, load_panel, panel_from_frame, panel_from_wide

__all__ = [
    "CSV_SUFFIXES",
    "DATASETS",
    "DEFAULT_DATASET",
    "FILLS",
    "PARQUET_SUFFIXES",
    "Dataset",
    "DatasetInfo",
    "from_array",
    "get",
    "list_datasets",
    "load",
    "resolve",
]

DEFAULT_DATASET = "sunspots"

_SeriesName = Literal[
    "seed", "sunspots", "airline", "sine", "ar", "mackey-glass", "mackey_glass", "delay"
]
"""The names get() answers with a one-series Dataset (typing only; DATASETS is the registry)."""


class DatasetInfo(NamedTuple):
    """Registry entry of a named dataset."""

    description: str
    length: int
    kind: str


DATASETS: dict[str, DatasetInfo] = {
    "seed": DatasetInfo("the series 1..10 of the textbook LSTM example", 10, "embedded"),
    "sunspots": DatasetInfo("yearly mean sunspot number, 1700-2008", 309, "embedded"),
    "airline": DatasetInfo("monthly airline passengers (thousands), 1949-1960", 144, "embedded"),
    "sine": DatasetInfo("noisy sine wave, period 25, noise 0.1", 500, "synthetic"),
    "ar": DatasetInfo("linear AR(2), phi (0.6, -0.3): an LSTM should not win", 500, "synthetic"),
    "mackey-glass": DatasetInfo(
        "chaotic Mackey-Glass, tau 17: an LSTM should win", 1000, "synthetic"
    ),
    "delay": DatasetInfo("target is the input x 5 steps back: a memory task", 500, "synthetic"),
    "fertility": DatasetInfo(
        "World Bank fertility rate (births per woman), 210 countries, 1960-2011, with missing "
        "values (9 countries without any value left out)",
        52,
        "panel",
    ),
}
_GENERATORS: dict[str, Callable[..., Any]] = {
    "sine": synthetic.sine,
    "ar": synthetic.ar,
    "mackey-glass": synthetic.mackey_glass,
    "delay": synthetic.delay,
}
_FILES = {"sunspots": ("sunspots_yearly.csv", "%Y"), "airline": ("airline_passengers.csv", "%Y-%m")}


def list_datasets() -> pd.DataFrame:
    """The named datasets, one row each: name, kind, length, description."""
    rows = [(name, i.kind, i.length, i.description) for name, i in DATASETS.items()]
    return pd.DataFrame(rows, columns=["name", "kind", "length", "description"])


@overload
def get(name: _SeriesName, *, n: int | None = None, seed: int = 0, **params: Any) -> Dataset: ...
@overload
def get(name: Literal["fertility"], *, n: None = None, seed: int = 0) -> Panel: ...
@overload
def get(name: str, *, n: int | None = None, seed: int = 0, **params: Any) -> Dataset | Panel: ...
def get(name: str, *, n: int | None = None, seed: int = 0, **params: Any) -> Dataset | Panel:
    """A named dataset: embedded data, or a synthetic series drawn with default_rng(seed).

    An embedded panel ("fertility") is a Panel; length in DATASETS counts its time steps.

    Args:
        name: A key of DATASETS ("mackey_glass" is accepted for "mackey-glass").
        n: Length of a synthetic series; None uses its default. Not for embedded data.
        seed: Seed of a synthetic series.
        **params: Generator parameters (see lstmsizer.synthetic), e.g. period= for sine,
            phi= for ar, tau= for mackey-glass, d= for delay.

    Raises:
        OptionError: Unknown name, a parameter the dataset does not take, or a bad value.
    """
    key = str(name).lower().replace("_", "-")
    if key not in DATASETS:
        raise OptionError(f"dataset must be one of {', '.join(DATASETS)}, got {name!r}")
    info, label = DATASETS[key], f"dataset {key!r}"
    if info.kind in ("embedded", "panel"):
        if n is not None or params:
            given = ", ".join(["n"] * (n is not None) + list(params))
            raise OptionError(f"{label} is embedded data and takes no parameters, got {given}")
        if info.kind == "panel":
            return _embedded_panel(key, label, info.description)
        return validate(*_embedded(key), None, label, name=key, description=info.description)
    generator = _GENERATORS[key]
    allowed = [p for p in inspect.signature(generator).parameters if p not in ("n", "seed")]
    unknown = [p for p in params if p not in allowed]
    if unknown:
        raise OptionError(f"{label} takes {', '.join(allowed)}, got {', '.join(unknown)}")
    length = info.length if n is None else n
    out = generator(length, seed=seed, **params)
    table = pd.DataFrame({"y": out[0], "x": out[1]} if isinstance(out, tuple) else {"y": out})
    changed = "".join(f"; {k}={v!r}" for k, v in params.items())
    description = f"{info.description} (n={length}, seed={seed}{changed})"
    meta = {"name": key, "description": description, "source": "synthetic", "seed": seed}
    return validate(table, None, None, label, **meta)


def _embedded(key: str) -> tuple[pd.DataFrame, pd.DatetimeIndex | None]:
    """The embedded table and its time index, read from package data."""
    if key == "seed":
        return pd.DataFrame({"y": np.arange(1.0, 11.0)}), None
    file, fmt = _FILES[key]
    with resources.files("lstmsizer").joinpath("data", file).open("r") as fh:
        frame = pd.read_csv(fh)  # columns: time stamp, target
    time = pd.DatetimeIndex(pd.to_datetime(frame.iloc[:, 0].astype(str), format=fmt))
    return frame.iloc[:, 1:], time


def _embedded_panel(key: str, label: str, description: str) -> Panel:
    """The embedded wide table (a year column, one column per series), gaps interpolated."""
    with resources.files("lstmsizer").joinpath("data", f"{key}.csv").open("r") as fh:
        frame = pd.read_csv(fh)
    meta = {"label": label, "name": key, "source": "embedded"}
    panel = panel_from_wide(frame, time_column="year", fill="interpolate", **meta)
    return dataclasses.replace(panel, description=description)


def resolve(
    data: str
    | os.PathLike[str]
    | ArrayLike
    | pd.Series
    | pd.DataFrame
    | Dataset
    | Panel
    | None = None,
    *,
    dataset: str | None = None,
    column: str | None = None,
    time_column: str | None = None,
    features: Sequence[str] = (),
    fill: str | None = None,
    seed: int = 0,
    n: int | None = None,
    id_column: str | None = None,
    wide: bool = False,
) -> Dataset | Panel:
    """The one entry point of the CLI and API: a file, in-memory data, or a named dataset.

    Args:
        data: A path (load), a Dataset or Panel (returned as is), or a list, array, Series or
            DataFrame (from_array).
        dataset: A key of DATASETS; data and dataset both None means DEFAULT_DATASET.
        column: Target column of a file or DataFrame.
        time_column: Time column of a file or DataFrame.
        features: Extra input columns of a file or DataFrame.
        fill: Missing-value handling of a file or array, as in load().
        seed: Seed of a synthetic dataset.
        n: Length of a synthetic dataset; None uses its default.
        id_column: Series id column of a long table: the file or DataFrame is a panel
            (panelload.panel_from_long). A table with columns unique_id, ds and y is read as
            a panel in that layout without it.
        wide: The file or DataFrame is a panel with one column per series.

    Raises:
        OptionError: Both data and dataset given, file options given with a named dataset,
            or features asked of a panel.
    """
    if data is not None and dataset is not None:
        raise OptionError(f"give data or dataset, not both; got data and dataset={dataset!r}")
    if data is None:
        options = {"column": column, "time_column": time_column, "fill": fill}
        options["id_column"] = id_column
        given = [k for k, v in options.items() if v is not None] + ["features"] * bool(features)
        given += ["wide"] * wide
        if given:
            raise OptionError(f"{', '.join(given)} apply to files and arrays, not to datasets")
        return get(DEFAULT_DATASET if dataset is None else dataset, n=n, seed=seed)
    if isinstance(data, (Dataset, Panel)):
        return data
    if isinstance(data, str) and data in DATASETS and not Path(data).exists():
        raise OptionError(
            f"data {data!r} is not a file; for the named dataset use dataset={data!r}"
        )
    if isinstance(data, (str, os.PathLike)):
        if wide or id_column is not None or set(NIXTLA) <= set(_header(Path(data))):
            _no_features(features)
            return load_panel(
                data, id_column=id_column, time_column=time_column, column=column, wide=wide,
                fill=fill,
            )  # fmt: skip
        return load_series(data, column, time_column, features, fill)
    if isinstance(data, pd.DataFrame) and detect_panel(data, id_column, wide):
        _no_features(features)
        return panel_from_frame(
            data, id_column=id_column, time_column=time_column, column=column, wide=wide,
            fill=fill,
        )  # fmt: skip
    if id_column is not None or wide:
        named = "id_column" if id_column is not None else "wide"
        raise OptionError(f"{named} applies to files and DataFrames, got {type(data).__name__}")
    feats = tuple(features) or None
    return from_array(data, features=feats, fill=fill, column=column, time_column=time_column)


def _header(path: Path) -> list[str]:
    """A table file's column names, read without its rows; none when it cannot be read (the
    reader then says why)."""
    suffix = path.suffix.lower()
    try:
        if suffix in PARQUET_SUFFIXES:
            import pyarrow.parquet as pq

            return [str(c) for c in pq.read_schema(path).names]
        if suffix in CSV_SUFFIXES and path.is_file():
            sep = {".csv": ",", ".tsv": "\t"}.get(suffix)
            head = pd.read_csv(path, nrows=0, sep=sep, engine="python" if sep is None else "c")
            return [str(c) for c in head.columns]
    except (ValueError, OSError, pd.errors.EmptyDataError):
        pass
    return []


def _no_features(features: Sequence[str]) -> None:
    if features:
        raise OptionError(
            "features apply to one series; a panel has no extra input columns, got "
            f"{list(features)}"
        )


def load(
    path: str | os.PathLike[str],
    column: str | None = None,
    time_column: str | None = None,
    features: Sequence[str] = (),
    fill: str | None = None,
    *,
    id_column: str | None = None,
    wide: bool = False,
) -> Dataset | Panel:
    """Read one series, or a panel of many, from a CSV or Parquet file.

    A file is a panel with id_column (a long table), with wide (one column per series), or
    when it has the columns unique_id, ds and y (NeuralForecast's layout); see
    panelload.load_panel. Otherwise it is one series, read by loading.load with these
    arguments (see there).

    Raises:
        DataError: The file cannot be read, or its data break a rule of loading.load or
            panelload.load_panel; the message names the series and rows.
    """
    return resolve(
        path, column=column, time_column=time_column, features=features, fill=fill,
        id_column=id_column, wide=wide,
    )  # fmt: skip
