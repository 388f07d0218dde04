"""The one fit/predict contract shared by the LSTM forecaster and every baseline."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lstmsizer.errors import NotFittedError


@runtime_checkable
class Forecaster(Protocol):
    """Forecasts y[o : o + horizon] from y[:o] for each origin o.

    Attributes:
        name: Short label used in result tables.
        horizon: Number of steps forecast from each origin.
    """

    name: str
    horizon: int

    def fit(self, y: ArrayLike, X: ArrayLike | None = None, *, train_end: int | None = None) -> Any:
        """Learn from y[:train_end] (all of y when None); return self."""
        ...

    def predict(
        self, y: ArrayLike, origins: ArrayLike, X: ArrayLike | None = None
    ) -> NDArray[np.float64]:
        """Return (len(origins), horizon) forecasts; row j uses y[:origins[j]] only."""
        ...


def check_fitted(model: object, attribute: str) -> None:
    """Raise NotFittedError unless the learned attribute exists."""
    if getattr(model, attribute, None) is None:
        raise NotFittedError(
            f"{type(model).__name__} is not fitted yet: call fit() before predict()"
        )


def as_origins(origins: ArrayLike, n: int, lags: int) -> NDArray[np.int64]:
    """Validate forecast origins against a series of length n and a lag window."""
    from lstmsizer.errors import OptionError

    arr = np.asarray(origins, dtype=np.int64).reshape(-1)
    if arr.size and (arr.min() < lags or arr.max() > n):
        raise OptionError(
            f"origins must lie in [{lags}, {n}] for {lags} lags on a series of length {n}, "
            f"got values from {arr.min()} to {arr.max()}"
        )
    return arr


def as_series(y: ArrayLike, argument: str = "y") -> NDArray[np.float64]:
    """A 1-D float64 copy-free view of y, or OptionError naming the argument."""
    from lstmsizer.errors import OptionError

    arr = np.asarray(y, dtype=np.float64)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise OptionError(f"{argument} must be one-dimensional, got shape {arr.shape}")
    return arr
