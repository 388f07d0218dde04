"""Time-ordered train/validation/test splits, rolling-origin folds and train-only scaling."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lstmsizer.config import SCALINGS, WindowSpec
from lstmsizer.errors import DataError, ModelFileError, OptionError, check


@dataclass(frozen=True, eq=False)
class Scaler:
    """Per-column affine scaling ``(x - offset_) / scale_`` learned from the training part.

    Attributes:
        kind: "minmax" (train min..max -> 0..1), "standard" (mean 0, std 1) or "none".
        offset_: (F,) value subtracted from each column.
        scale_: (F,) positive divisor of each column.
    """

    kind: str
    offset_: NDArray[np.float64]
    scale_: NDArray[np.float64]

    @classmethod
    def fit(cls, values: ArrayLike, kind: str, *, train_end: int | None = None) -> Scaler:
        """Learn offsets and scales from ``values[:train_end]`` (all of values when None).

        Args:
            values: (T,) or (T, F) series; columns are scaled independently.
            kind: One of minmax, standard, none.
            train_end: End of the training part; later values are never looked at.

        Raises:
            OptionError: For an unknown kind or a bad train_end.
            DataError: For an empty training part, non-finite values, or a column that is
                constant (or nearly so) over the training part.
        """
        check(kind in SCALINGS, "kind", f"must be one of {', '.join(SCALINGS)}", kind)
        arr = _columns(values, "values")
        end = arr.shape[0] if train_end is None else train_end
        check(0 <= end <= arr.shape[0], "train_end", f"must lie in [0, {arr.shape[0]}]", end)
        train = arr[:end]
        if train.shape[0] == 0:
            raise DataError("cannot fit a scaler on an empty training part")
        bad = ~np.isfinite(train).all(axis=0)
        if bad.any():
            raise DataError(f"column {int(np.argmax(bad))} has NaN or infinite training values")
        low, high = train.min(axis=0), train.max(axis=0)
        if kind == "minmax":
            offset, scale = low, high - low
        elif kind == "standard":
            offset, scale = train.mean(axis=0), train.std(axis=0)
        else:
            offset, scale = np.zeros(arr.shape[1]), np.ones(arr.shape[1])
        for j in range(arr.shape[1]):
            if kind != "none" and low[j] == high[j]:
                raise DataError(
                    f"column {j} is constant ({low[j]}) over the training part: it cannot be scaled"
                )
            if not (np.isfinite(scale[j]) and scale[j] > np.finfo(np.float64).tiny):
                raise DataError(
                    f"column {j} varies too little over the training part (from {low[j]} "
                    f"to {high[j]}): it cannot be scaled"
                )
        return cls(kind, offset.astype(np.float64), scale.astype(np.float64))

    @property
    def n_columns(self) -> int:
        """Number of columns the scaler was fitted on."""
        return int(self.offset_.shape[0])

    def transform(self, a: ArrayLike, column: int | None = None) -> NDArray[np.float64]:
        """Scale a; its last axis holds the columns, or every value belongs to ``column``."""
        offset, scale = self._params(a, column)
        return (np.asarray(a, dtype=np.float64) - offset) / scale

    def inverse_transform(self, a: ArrayLike, column: int | None = None) -> NDArray[np.float64]:
        """Undo transform; ``column=0`` inverts predictions of the target (column 0)."""
        offset, scale = self._params(a, column)
        return np.asarray(a, dtype=np.float64) * scale + offset

    def _params(self, a: ArrayLike, column: int | None) -> tuple[Any, Any]:
        """Offset and scale that broadcast against a."""
        if column is not None:
            check(
                isinstance(column, (int, np.integer)) and 0 <= column < self.n_columns,
                "column",
                f"must be an integer in [0, {self.n_columns})",
                column,
            )
            return self.offset_[column], self.scale_[column]
        shape = np.shape(a)
        if self.n_columns != 1 and (not shape or shape[-1] != self.n_columns):
            raise OptionError(
                f"the last axis must hold the scaler's {self.n_columns} columns "
                f"(or pass column=), got shape {shape}"
            )
        return self.offset_, self.scale_

    def to_dict(self) -> dict[str, Any]:
        """Plain floats and lists, for saving in a model file."""
        return {"kind": self.kind, "offset": self.offset_.tolist(), "scale": self.scale_.tolist()}

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> Scaler:
        """Rebuild a scaler written by to_dict.

        Raises:
            ModelFileError: When keys are missing or the values do not form a scaler.
        """
        return cls(*read_affine(payload, "scaler"))


def read_affine(
    payload: dict[str, Any], entry: str
) -> tuple[str, NDArray[np.float64], NDArray[np.float64]]:
    """The kind, offsets and scales of a saved scaler's payload (a per-column Scaler's or a
    per-series PanelScaler's).

    Raises:
        ModelFileError: Naming the entry, when keys are missing or the values do not form a
            scaler.
    """
    try:
        kind = str(payload["kind"])
        offset = np.asarray(payload["offset"], dtype=np.float64).reshape(-1)
        scale = np.asarray(payload["scale"], dtype=np.float64).reshape(-1)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ModelFileError(f"{entry} entry is not valid: {exc!r}") from exc
    if kind not in SCALINGS or offset.shape != scale.shape or not (scale > 0).all():
        raise ModelFileError(
            f"{entry} entry is not valid: kind {kind!r}, {offset.size} offsets, "
            f"{scale.size} scales (kind must be one of {', '.join(SCALINGS)}, "
            "sizes equal, scales > 0)"
        )
    return kind, offset, scale


def _columns(values: ArrayLike, argument: str) -> NDArray[np.float64]:
    """(T,) -> (T, 1); (T, F) unchanged; float64."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise OptionError(f"{argument} must be (T,) or (T, F), got shape {arr.shape}")
    return arr


@dataclass(frozen=True)
class Split:
    """Windows of a series of length n split at train_end.

    Training windows read and forecast only values before train_end. Validation windows
    forecast values at or after train_end; their inputs may be training values (no leak).

    Attributes:
        n: Number of values the split may use; values from n on do not exist for it.
        train_end: First index that is not training data.
        lags: Input window length.
        horizon: Forecast length.
    """

    n: int
    train_end: int
    lags: int
    horizon: int

    def __post_init__(self) -> None:
        check(self.lags >= 1, "lags", "must be >= 1", self.lags)
        check(self.horizon >= 1, "horizon", "must be >= 1", self.horizon)
        check(
            self.lags <= self.train_end <= self.n,
            "train_end",
            f"must lie in [lags={self.lags}, n={self.n}]",
            self.train_end,
        )

    @property
    def train_origins(self) -> NDArray[np.int64]:
        """Origins o with lags <= o and o + horizon <= train_end."""
        return np.arange(self.lags, self.train_end - self.horizon + 1, dtype=np.int64)

    @property
    def val_origins(self) -> NDArray[np.int64]:
        """Origins o with train_end <= o and o + horizon <= n."""
        return np.arange(self.train_end, self.n - self.horizon + 1, dtype=np.int64)


def held_out(n: int, fraction: float) -> int:
    """Number of values at the end of n held out for a fraction, rounded half up.

    Half up rather than Python's round (halves to even) keeps the training part growing
    with n, so a minimum series length is a true threshold.
    """
    return math.floor(n * fraction + 0.5)


def _minimum_length(passes: Callable[[int], bool], start: int) -> int:
    """Smallest n >= start with passes(n), for a passes that is monotone in n."""
    high = max(start, 1)
    while not passes(high):
        high *= 2
    low = start
    while low < high:
        mid = (low + high) // 2
        low, high = (low, mid) if passes(mid) else (mid + 1, high)
    return low


def _check_length(n: int) -> int:
    check(isinstance(n, (int, np.integer)) and n >= 0, "n", "must be an integer >= 0", n)
    return int(n)


def train_val_split(n: int, window: WindowSpec, val_fraction: float) -> Split:
    """Hold out the last ``held_out(n, val_fraction)`` values for validation.

    Args:
        n: Series length.
        window: Lags and horizon.
        val_fraction: Share of values held out at the end; 0 means no validation.

    Raises:
        OptionError: When val_fraction is not in [0, 1).
        DataError: When there is no training window, or no validation window although
            val_fraction > 0; the message gives the minimum series length.
    """
    n = _check_length(n)
    check(0.0 <= val_fraction < 1.0, "val_fraction", "must be in [0, 1)", val_fraction)
    lags, horizon = window.lags, window.horizon

    def passes(size: int) -> bool:
        n_val = held_out(size, val_fraction)
        return size - n_val >= lags + horizon and (val_fraction == 0 or n_val >= horizon)

    if not passes(n):
        need = _minimum_length(passes, lags + horizon)
        raise DataError(
            f"series of length {n} is too short for {lags} lags, horizon {horizon} and "
            f"val_fraction {val_fraction}: need at least {need} values"
        )
    return Split(n=n, train_end=n - held_out(n, val_fraction), lags=lags, horizon=horizon)


def _fold_layout(n: int, window: WindowSpec, folds: int, test_fraction: float) -> tuple[int, int]:
    """(dev_end, block) of rolling_origin_folds; block <= 0 or a short test means too short."""
    dev_end = n - held_out(n, test_fraction)
    first_min = max(math.ceil(dev_end / 2), window.lags + window.horizon)
    return dev_end, (dev_end - first_min) // folds


def rolling_origin_folds(
    n: int, window: WindowSpec, folds: int, test_fraction: float
) -> tuple[list[Split], Split]:
    """Expanding-window folds on the development part and one final test split.

    The last ``held_out(n, test_fraction)`` values form a test block never used for
    selection. The development part ``[0, dev_end)`` ends in ``folds`` equal blocks of size
    ``(dev_end - m) // folds`` with ``m = max(ceil(dev_end / 2), lags + horizon)``; the first
    training part is everything before them (at least m values, so at least half of the
    development part, plus any remainder). Fold k trains on ``[0, train_end_k)`` and validates
    on the block ``[train_end_k, train_end_k + block)``; its Split has
    ``n = train_end_k + block``, so it cannot see later values. The last fold ends at dev_end.

    Args:
        n: Series length.
        window: Lags and horizon.
        folds: Number of folds, >= 1.
        test_fraction: Share of values in the test block; 0 means no test block.

    Returns:
        The folds in time order, and the test Split (train_end = dev_end, n = n).

    Raises:
        OptionError: For folds < 1 or test_fraction outside [0, 1).
        DataError: When a block is shorter than the horizon or the test block has no
            window; the message gives the minimum series length.
    """
    n = _check_length(n)
    check(
        isinstance(folds, (int, np.integer)) and folds >= 1,
        "folds",
        "must be an integer >= 1",
        folds,
    )
    check(0.0 <= test_fraction < 1.0, "test_fraction", "must be in [0, 1)", test_fraction)
    lags, horizon = window.lags, window.horizon

    def passes(size: int) -> bool:
        n_test = held_out(size, test_fraction)
        _, block = _fold_layout(size, window, folds, test_fraction)
        return block >= horizon and (test_fraction == 0 or n_test >= horizon)

    if not passes(n):
        need = _minimum_length(passes, lags + horizon)
        raise DataError(
            f"series of length {n} is too short for {lags} lags, horizon {horizon}, "
            f"{folds} folds and test_fraction {test_fraction}: need at least {need} values"
        )
    dev_end, block = _fold_layout(n, window, folds, test_fraction)
    first_end = dev_end - folds * block
    splits = [
        Split(
            n=first_end + (k + 1) * block,
            train_end=first_end + k * block,
            lags=lags,
            horizon=horizon,
        )
        for k in range(folds)
    ]
    return splits, Split(n=n, train_end=dev_end, lags=lags, horizon=horizon)
