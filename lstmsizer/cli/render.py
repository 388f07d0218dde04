"""Rendering helpers shared by the commands: Rich tables, numbers, JSON."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.table import Table
from rich.text import Text

from lstmsizer.atomic import write_text


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[str]], *right: str) -> Table:
    """A Rich table of plain text (no markup), with the named columns right-aligned."""
    table = Table(title=title, title_justify="left")
    for name in columns:
        table.add_column(name, justify="right" if name in right else "left")
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    return table


def missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def column(values: pd.Series) -> list[str]:
    """One number of decimals per column: four significant digits on its largest value."""
    finite = np.abs(values.to_numpy(dtype=np.float64))
    finite = finite[np.isfinite(finite)]
    top = float(finite.max()) if finite.size else 0.0
    decimals = min(6, max(0, 3 - math.floor(math.log10(top)))) if top > 0 else 0
    return ["-" if missing(v) else f"{v:,.{decimals}f}" for v in values]


def records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame rows as JSON-ready dicts, NaN as null."""
    return [{str(k): jsonable(v) for k, v in row.items()} for row in table.to_dict("records")]


def jsonable(value: Any) -> Any:
    """Plain Python values for json.dumps: numpy scalars unwrapped, NaN and inf as None."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    return None if isinstance(value, float) and not math.isfinite(value) else value


def print_json(payload: dict[str, Any]) -> None:
    print(json.dumps(jsonable(payload), allow_nan=False))


def write_json(path: str | Path, payload: dict[str, Any]) -> None:
    """Write payload as indented JSON, making the folder first."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_text(path, json.dumps(payload, indent=2))
