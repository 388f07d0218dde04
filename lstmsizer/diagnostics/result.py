"""The base of every diagnostic result: a frozen dataclass of numbers that turns into JSON."""

from __future__ import annotations

import math
from typing import Any, cast

import numpy as np

from lstmsizer.rundir.convert import plain


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
