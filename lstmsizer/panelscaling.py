"""Per-series scaling of a panel, fitted on each series' training part only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lstmsizer.config import SCALINGS
from lstmsizer.errors import DataError, ModelFileError, check, check_choice
from lstmsizer.panelsplits import PanelSplit, ranges
from lstmsizer.splits import read_affine


@dataclass(frozen=True, eq=False)
class PanelScaler:
    """Per-series affine scaling of the target ``(x - offset_[i]) / scale_[i]``.

    Fitted on each series' training part only. A series whose training part is constant keeps
    scale 1 and offset that value (a global model still forecasts it); one with no training
    value keeps offset 0 and scale 1.

    Attributes:
        kind: "minmax", "standard" or "none", as for ``splits.Scaler``.
        offset_: (S,) value subtracted from each series.
        scale_: (S,) positive divisor of each series.
        constant_: Number of series whose training part is constant (scale fell back to 1).
    """

    kind: str
    offset_: NDArray[np.float64]
    scale_: NDArray[np.float64]
    constant_: int = 0

    @classmethod
    def fit(cls, values: ArrayLike, split: PanelSplit, kind: str) -> PanelScaler:
        """Learn each series' offset and scale from ``values[lo_i : hi_i]`` of train_bounds.

        Args:
            values: (T,) the panel's values; T = split.starts[-1].
            split: Where each series' training part ends (inactive series included).
            kind: One of minmax, standard, none.

        Raises:
            OptionError: For an unknown kind or values of the wrong shape.
            DataError: For NaN or infinite training values (naming the series position).
        """
        check_choice("kind", kind, SCALINGS)
        arr = np.asarray(values, dtype=np.float64)
        total = int(split.starts[-1])
        check(arr.shape == (total,), "values", f"must have shape ({total},)", arr.shape)
        size = split.train_end
        s = size.shape[0]
        offset, scale = np.zeros(s), np.ones(s)
        if kind == "none" or not size.any():
            return cls(kind, offset, scale, 0)
        train = arr[ranges(split.starts[:-1], size)]  # training values, series after series
        bad = ~np.isfinite(train)
        if bad.any():
            i = int(np.repeat(np.arange(s), size)[int(np.argmax(bad))])
            raise DataError(f"series {i} has NaN or infinite training values: it cannot be scaled")
        used = size > 0
        # reduceat over the non-empty segments only: an empty one would read its neighbour
        first = (np.cumsum(size) - size)[used]
        low = np.minimum.reduceat(train, first)
        high = np.maximum.reduceat(train, first)
        if kind == "minmax":
            shift, spread = low, high - low
        else:
            shift = np.add.reduceat(train, first) / size[used]
            squares = (train - np.repeat(shift, size[used])) ** 2
            spread = np.sqrt(np.add.reduceat(squares, first) / size[used])
        flat = (low == high) | ~np.isfinite(spread) | (spread <= np.finfo(np.float64).tiny)
        offset[used] = np.where(flat, low, shift)
        scale[used] = np.where(flat, 1.0, spread)
        return cls(kind, offset, scale, int(flat.sum()))

    @property
    def n_series(self) -> int:
        """Number of series the scaler was fitted on."""
        return int(self.offset_.shape[0])

    def _params(self, series: ArrayLike, ndim: int) -> tuple[NDArray[Any], NDArray[Any]]:
        """Offset and scale of each row's series, shaped to broadcast over trailing axes."""
        index = np.asarray(series)
        check(
            index.dtype.kind in "iu" and bool(((index >= 0) & (index < self.n_series)).all()),
            "series",
            f"must be integer positions in [0, {self.n_series})",
            index if index.size <= 10 else f"array of {index.size}",
        )
        shape = index.shape + (1,) * max(ndim - index.ndim, 0)
        return self.offset_[index].reshape(shape), self.scale_[index].reshape(shape)

    def transform(self, values: ArrayLike, series_index: ArrayLike) -> NDArray[np.float64]:
        """(T,) values scaled by their series' parameters; series_index is (T,)."""
        arr = np.asarray(values, dtype=np.float64)
        index = np.asarray(series_index)
        check(
            index.shape == arr.shape[:1],
            "series_index",
            f"must have shape {arr.shape[:1]}",
            index.shape,
        )
        offset, scale = self._params(index, arr.ndim)
        return (arr - offset) / scale

    def inverse(self, pred: ArrayLike, series: ArrayLike) -> NDArray[np.float64]:
        """(N, H) scaled forecasts back in the target's units; series is (N,)."""
        arr = np.asarray(pred, dtype=np.float64)
        index = np.asarray(series)
        check(
            index.shape == arr.shape[:1], "series", f"must have shape {arr.shape[:1]}", index.shape
        )
        offset, scale = self._params(index, arr.ndim)
        return arr * scale + offset

    def to_dict(self) -> dict[str, Any]:
        """Plain floats and lists, for saving in a model file."""
        return {
            "kind": self.kind,
            "offset": self.offset_.tolist(),
            "scale": self.scale_.tolist(),
            "constant": self.constant_,
        }

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> PanelScaler:
        """Rebuild a scaler written by to_dict.

        Raises:
            ModelFileError: When keys are missing or the values do not form a scaler.
        """
        kind, offset, scale = read_affine(payload, "panel scaler")
        try:
            constant = int(payload.get("constant", 0))
        except (TypeError, ValueError) as exc:
            raise ModelFileError(f"panel scaler entry is not valid: {exc!r}") from exc
        return cls(kind, offset, scale, constant)
