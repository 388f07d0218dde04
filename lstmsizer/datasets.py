"""Named datasets (embedded and synthetic) and one entry point, resolve, for any data."""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

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
    load,
    validate,
)

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


def get(name: str, *, n: int | None = None, seed: int = 0, **params: Any) -> Dataset:
    """A named dataset: embedded data, or a synthetic series drawn with default_rng(seed).

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
    if info.kind == "embedded":
        if n is not None or params:
            given = ", ".join(["n"] * (n is not None) + list(params))
            raise OptionError(f"{label} is embedded data and takes no parameters, got {given}")
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


def resolve(
    data: str | os.PathLike[str] | ArrayLike | pd.Series | pd.DataFrame | Dataset | None = None,
    *,
    dataset: str | None = None,
    column: str | None = None,
    time_column: str | None = None,
    features: Sequence[str] = (),
    fill: str | None = None,
    seed: int = 0,
    n: int | None = None,
) -> Dataset:
    """The one entry point of the CLI and API: a file, in-memory data, or a named dataset.

    Args:
        data: A path (load), a Dataset (returned as is), or a list, array, Series or
            DataFrame (from_array).
        dataset: A key of DATASETS; data and dataset both None means DEFAULT_DATASET.
        column: Target column of a file or DataFrame.
        time_column: Time column of a file or DataFrame.
        features: Extra input columns of a file or DataFrame.
        fill: Missing-value handling of a file or array, as in load().
        seed: Seed of a synthetic dataset.
        n: Length of a synthetic dataset; None uses its default.

    Raises:
        OptionError: Both data and dataset given, or file options given with a named dataset.
    """
    if data is not None and dataset is not None:
        raise OptionError(f"give data or dataset, not both; got data and dataset={dataset!r}")
    if data is None:
        options = {"column": column, "time_column": time_column, "fill": fill}
        given = [k for k, v in options.items() if v is not None] + ["features"] * bool(features)
        if given:
            raise OptionError(f"{', '.join(given)} apply to files and arrays, not to datasets")
        return get(DEFAULT_DATASET if dataset is None else dataset, n=n, seed=seed)
    if isinstance(data, Dataset):
        return data
    if isinstance(data, str) and data in DATASETS and not Path(data).exists():
        raise OptionError(
            f"data {data!r} is not a file; for the named dataset use dataset={data!r}"
        )
    if isinstance(data, (str, os.PathLike)):
        return load(data, column, time_column, features, fill)
    feats = tuple(features) or None
    return from_array(data, features=feats, fill=fill, column=column, time_column=time_column)
