"""Values read back from CSV and JSON as typed fields (numbers, flags, text, lists), and
values made ready to write as JSON."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, fields, is_dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from lstmsizer.errors import DataError

T = TypeVar("T")


def to_float(value: Any) -> float:
    """A float, NaN for anything that is not a number (None in JSON, empty in CSV)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def to_int(value: Any, default: int = 0) -> int:
    """An int, `default` for anything that is not a finite number."""
    number = to_float(value)
    return int(number) if math.isfinite(number) else default


def to_bool(value: Any) -> bool | None:
    """True or False from a bool, a number or "true"/"false" text; None for anything else."""
    if isinstance(value, str):
        return {"true": True, "false": False, "1": True, "0": False}.get(value.strip().lower())
    number = to_float(value)
    return bool(number) if math.isfinite(number) else None


def to_text(value: Any) -> str:
    """A string, empty for None and NaN."""
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def json_ready(value: Any) -> Any:
    """None for a non-finite float (JSON has no NaN), the value otherwise."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def plain(value: Any) -> Any:
    """JSON-ready values: dataclasses and mappings become dicts, tuples and arrays lists.

    Non-finite floats become None, numpy scalars Python numbers, paths strings.
    """
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, Path):
        return str(value)
    return json_ready(value)


def _optional_text(value: Any) -> str | None:
    return to_text(value) or None


def _texts(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list | tuple) else ()
    return tuple(to_text(v) for v in items if to_text(v))


def _shares(value: Any) -> dict[str, float]:
    return {str(k): to_float(v) for k, v in value.items()} if isinstance(value, Mapping) else {}


def json_list(value: Any) -> list[Any]:
    """The objects of a JSON list (anything else in it, or a non-list, is left out)."""
    ok = isinstance(value, Sequence) and not isinstance(value, str)
    return [v for v in value if isinstance(v, Mapping)] if ok else []


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else []


def _mapping(value: Any) -> dict[str, Any]:
    return {str(k): v for k, v in value.items()} if isinstance(value, Mapping) else {}


_CONTAINERS: dict[str, Callable[[Any], Any]] = {
    "tuple[int, ...]": lambda v: tuple(to_int(x) for x in _items(v)),
    "tuple[float, ...]": lambda v: tuple(to_float(x) for x in _items(v)),
    "tuple[tuple[float, ...], ...]": lambda v: tuple(
        tuple(to_float(x) for x in _items(row)) for row in _items(v)
    ),
    "dict[str, Any]": _mapping,
    "dict[str, dict[str, Any]]": lambda v: {
        k: _mapping(f) for k, f in _mapping(v).items() if isinstance(f, Mapping)
    },
    "tuple[dict[str, Any], ...]": lambda v: tuple(_mapping(row) for row in json_list(v)),
}


# a record field's annotation (a string: the modules use postponed annotations) -> its reader
CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "float": to_float,
    "int": to_int,
    "str": to_text,
    "bool": lambda v: bool(to_bool(v)),
    "bool | None": to_bool,
    "str | None": _optional_text,
    "tuple[str, ...]": _texts,
    "dict[str, float]": _shares,
    **_CONTAINERS,
}


def build(cls: type[T], data: Mapping[str, Any], where: str, **given: Any) -> T:
    """A record from a mapping of its field names, each value converted by its annotation.

    Args:
        cls: A dataclass whose fields are annotated with CONVERTERS' types.
        data: The values by field name, as read from a file; other keys are ignored.
        where: The file (and part) read, for the error message.
        given: Fields set as they are instead of from data.

    Raises:
        DataError: data lacks a field that has no default.
    """
    values: dict[str, Any] = dict(given)
    missing = []
    for field in fields(cls):  # type: ignore[arg-type]
        if field.name in given:
            continue
        if field.name in data:
            values[field.name] = CONVERTERS[str(field.type)](data[field.name])
        elif field.default is MISSING and field.default_factory is MISSING:
            missing.append(field.name)
    if missing:
        raise DataError(f"{where} must have {', '.join(missing)}, which are missing")
    return cls(**values)
