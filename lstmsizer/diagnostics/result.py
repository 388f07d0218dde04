"""The base of every diagnostic result: a frozen dataclass of numbers that turns into JSON."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import numpy as np


def plain(value: Any) -> Any:
    """JSON-ready values: dataclasses and mappings become dicts, tuples and arrays lists.

    Non-finite floats become None, numpy scalars Python numbers, paths strings.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


class Result:
    """Mixin of the diagnostic dataclasses: ``to_dict()`` gives plain JSON-ready values."""

    def to_dict(self) -> dict[str, Any]:
        """Floats, ints, strings, bools, lists and dicts; NaN and infinities become None."""
        return cast("dict[str, Any]", plain(self))


def floats(values: Any) -> tuple[float, ...]:
    """A tuple of Python floats from any 1-D array-like."""
    return tuple(float(v) for v in np.asarray(values, dtype=np.float64).reshape(-1))


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, NaN when the denominator is 0 or either is not finite."""
    if denominator == 0 or not (math.isfinite(numerator) and math.isfinite(denominator)):
        return math.nan
    return numerator / denominator
