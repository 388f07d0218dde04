"""Typed records of a run folder's JSON files: to_dict() writes them, from_dict() reads them."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

from lstmsizer.rundir.convert import CONVERTERS, build, json_list, plain

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


def build_record(cls: type[R], data: Mapping[str, Any]) -> R:
    """rundir.convert.build, with the fields that are tuples of records read here first."""
    given: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        kind = str(f.type)
        if kind in CONVERTERS or f.name not in data:
            continue
        inner = _RECORDS[kind.removeprefix("tuple[").removesuffix(", ...]")]
        given[f.name] = _records_of(inner)(data[f.name])
    return build(cls, data, cls.__name__, **given)


def _records_of(cls: type[Record]) -> Callable[[Any], tuple[Record, ...]]:
    return lambda v: tuple(cls.from_dict(row) for row in json_list(v))
