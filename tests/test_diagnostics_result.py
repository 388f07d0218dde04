"""Diagnostic results become plain JSON: NaN to None, tuples to lists, nested dicts."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np

from lstmsizer.diagnostics.result import Result, ratio


@dataclass(frozen=True)
class _Inner(Result):
    value: float
    values: tuple[float, ...]


@dataclass(frozen=True)
class _Outer(Result):
    name: str
    count: int
    inner: _Inner
    items: tuple[_Inner, ...]
    maybe: int | None


def test_to_dict_gives_plain_json_ready_values() -> None:
    inner = _Inner(math.nan, (1.0, math.inf, np.float32(2.5)))  # type: ignore[arg-type]
    outer = _Outer("x", np.int64(3), inner, (inner,), None)  # type: ignore[arg-type]
    out = outer.to_dict()
    assert out == {
        "name": "x",
        "count": 3,
        "inner": {"value": None, "values": [1.0, None, 2.5]},
        "items": [{"value": None, "values": [1.0, None, 2.5]}],
        "maybe": None,
    }
    assert type(out["count"]) is int
    json.dumps(out, allow_nan=False)


def test_ratio_is_nan_when_undefined() -> None:
    assert ratio(1.0, 4.0) == 0.25
    assert math.isnan(ratio(1.0, 0.0))
    assert math.isnan(ratio(math.nan, 1.0))
