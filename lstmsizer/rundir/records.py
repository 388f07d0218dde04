"""Typed records of a run folder's JSON files: to_dict() writes them, from_dict() reads them."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar, cast

from lstmsizer.rundir.convert import CONVERTERS, build, plain, to_float, to_int

R = TypeVar("R", bound="Record")

_RECORDS: dict[str, type[Record]] = {}
"""Every record class by name, so a field of records (tuple[Name, ...]) reads each one."""


class Record:
    """Mixin of the records: ``to_dict()`` gives the JSON-ready values the file holds, and
    ``from_dict()`` reads them back, each field by its annotation."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _RECORDS[cls.__name__] = cls

    def to_dict(self) -> dict[str, Any]:
        """Floats, ints, strings, bools, lists and dicts; NaN and infinities become None."""
        return cast("dict[str, Any]", plain(self))

    @classmethod
    def from_dict(cls: type[R], data: Mapping[str, Any]) -> R:
        """The inverse of to_dict; DataError naming a missing field that has no default."""
        return build_record(cls, data)


def json_list(value: Any) -> list[Any]:
    """The objects of a JSON list (anything else in it, or a non-list, is left out)."""
    ok = isinstance(value, Sequence) and not isinstance(value, str)
    return [v for v in value if isinstance(v, Mapping)] if ok else []


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else []


def _mapping(value: Any) -> dict[str, Any]:
    return {str(k): v for k, v in value.items()} if isinstance(value, Mapping) else {}


# field annotations beyond rundir.convert's -> their reader
_READERS: dict[str, Callable[[Any], Any]] = {
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


def build_record(cls: type[R], data: Mapping[str, Any]) -> R:
    """rundir.convert.build, with the field types it does not know read here first: tuples
    and dicts of plain values, and tuples of records."""
    given: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        kind = str(f.type)
        if kind in CONVERTERS or f.name not in data:
            continue
        inner = _RECORDS.get(kind.removeprefix("tuple[").removesuffix(", ...]"))
        read = _READERS[kind] if inner is None else _records_of(inner)
        given[f.name] = read(data[f.name])
    return build(cls, data, cls.__name__, **given)


def _records_of(cls: type[Record]) -> Callable[[Any], tuple[Record, ...]]:
    return lambda v: tuple(cls.from_dict(row) for row in json_list(v))
