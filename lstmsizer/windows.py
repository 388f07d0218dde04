"""Supervised windows from a series: Keras's TimeseriesGenerator and zero-copy window views."""

from __future__ import annotations

import operator
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, overload

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike, NDArray

from lstmsizer.contract import as_origins
from lstmsizer.errors import DataError, OptionError

if TYPE_CHECKING:
    import torch

Batch = tuple[NDArray[Any], NDArray[Any]]


def _is_tensor(value: object) -> bool:
    """True for a torch tensor; torch is only looked up if something already imported it."""
    torch_module = sys.modules.get("torch")
    return torch_module is not None and isinstance(value, torch_module.Tensor)


def _check_int(value: object, argument: str, minimum: int) -> int:
    """Return value as an int, or raise OptionError unless it is an integer >= minimum."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise OptionError(f"{argument} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _as_numeric(values: ArrayLike, argument: str) -> NDArray[Any]:
    """An array of values: float input keeps its dtype, integers and booleans become float64."""
    arr = np.asarray(values)
    if arr.ndim == 0:
        raise OptionError(f"{argument} must be a sequence of time steps, got a scalar {arr!r}")
    if arr.dtype.kind in "fc":
        return arr
    try:
        return arr.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{argument} must be numeric, got values of dtype {arr.dtype}") from exc


class TimeseriesGenerator:
    """Batches of (window, target) pairs with the semantics of Keras's TimeseriesGenerator.

    For each row i from ``start_index + length`` to ``end_index`` in steps of ``stride`` the
    sample is ``data[i - length : i : sampling_rate]`` and the target is ``targets[i]``. Rows
    are grouped into ``len(self)`` batches of ``batch_size``; the last batch may be shorter.
    As in Keras, ``self.start_index`` holds ``start_index + length``.

    Deliberate differences from Keras, where Keras is wrong:

    * An out-of-range batch index raises IndexError (Keras returns an empty batch, so a loop
      without ``len()`` never ends); negative indices count from the end, as for a sequence.
    * ``shuffle=True`` visits every row exactly once per epoch in the order of a permutation
      drawn from ``numpy.random.default_rng(seed)`` and redrawn by ``on_epoch_end()``. Keras
      draws ``batch_size`` rows with replacement for every batch, ignoring ``stride``, so some
      rows are seen twice and others never, and results are not reproducible.
    * Impossible settings raise OptionError naming the argument (Keras fails later or
      silently), and integer or boolean data become float64 so batches feed a network as is.

    Args:
        data: (T, ...) values; axis 0 is time. Lists, arrays, pandas Series or DataFrames.
        targets: (T, ...) targets, the same length as data.
        length: Number of time steps each window spans (before sampling).
        sampling_rate: Period between the time steps taken inside a window.
        stride: Period between successive rows.
        start_index: Data before this index is never used.
        end_index: Last row that may be a target; None means ``len(data) - 1``.
        shuffle: Visit the rows in a fresh random order every epoch.
        reverse: Return each window in reverse time order.
        batch_size: Rows per batch (the last batch may be shorter).
        seed: Seed of the shuffling generator; None draws fresh entropy.

    Raises:
        OptionError: For impossible settings; the message names the argument and its value.
        DataError: When data or targets are not numeric.
    """

    def __init__(
        self,
        data: ArrayLike,
        targets: ArrayLike,
        length: int,
        sampling_rate: int = 1,
        stride: int = 1,
        start_index: int = 0,
        end_index: int | None = None,
        shuffle: bool = False,
        reverse: bool = False,
        batch_size: int = 128,
        seed: int | None = None,
    ) -> None:
        self.length = _check_int(length, "length", 1)
        self.sampling_rate = _check_int(sampling_rate, "sampling_rate", 1)
        self.stride = _check_int(stride, "stride", 1)
        self.batch_size = _check_int(batch_size, "batch_size", 1)
        start = _check_int(start_index, "start_index", 0)
        self.data = _as_numeric(data, "data")
        self.targets = _as_numeric(targets, "targets")
        n = len(self.data)
        if len(self.targets) != n:
            raise OptionError(
                f"data and targets must have the same length, got len(data)={n} "
                f"and len(targets)={len(self.targets)}"
            )
        end = n - 1 if end_index is None else _check_int(end_index, "end_index", 0)
        if end >= n:
            raise OptionError(f"end_index must be < len(data)={n}, got {end}")
        self.start_index = start + self.length
        self.end_index = end
        if self.start_index > self.end_index:
            raise OptionError(
                f"start_index+length={self.start_index} > end_index={self.end_index} is "
                f"disallowed (start_index={start}, length={self.length}): no row would be left "
                "to use as the current step"
            )
        self.shuffle = bool(shuffle)
        self.reverse = bool(reverse)
        # Offsets of a window's time steps relative to its row: (W,), W = ceil(length / rate).
        offsets = np.arange(-self.length, 0, self.sampling_rate, dtype=np.int64)
        self._offsets = offsets[::-1].copy() if self.reverse else offsets
        self._n_rows = (self.end_index - self.start_index) // self.stride + 1
        self._rng = np.random.default_rng(seed)
        self._order: NDArray[np.int64] | None = None
        if self.shuffle:
            self.on_epoch_end()

    def __len__(self) -> int:
        """Number of batches, by Keras's formula."""
        step = self.batch_size * self.stride
        return (self.end_index - self.start_index + step) // step

    def __getitem__(self, index: int) -> Batch:
        """Return batch ``index`` as (samples (B, W, ...), targets (B, ...)).

        Raises:
            IndexError: When index is not in ``[-len(self), len(self))``.
        """
        n_batches = len(self)
        position = operator.index(index)
        if position < 0:
            position += n_batches
        if not 0 <= position < n_batches:
            raise IndexError(f"batch index {index} is out of range for {n_batches} batches")
        first = position * self.batch_size
        last = min(first + self.batch_size, self._n_rows)
        if self._order is None:
            rows = self.start_index + self.stride * np.arange(first, last, dtype=np.int64)
        else:
            rows = self._order[first:last]
        # (B, 1) + (1, W) -> (B, W) indices; one gather builds the whole batch.
        samples = self.data[rows[:, None] + self._offsets[None, :]]
        return samples, self.targets[rows]

    def __iter__(self) -> Iterator[Batch]:
        """Yield every batch of the current epoch in order."""
        for index in range(len(self)):
            yield self[index]

    def on_epoch_end(self) -> None:
        """Draw a new visiting order of the rows when shuffling; otherwise do nothing."""
        if self.shuffle:
            rows = self.start_index + self.stride * np.arange(self._n_rows, dtype=np.int64)
            self._order = self._rng.permutation(rows)


def _as_2d(values: Any, argument: str) -> Any:
    """(T,) -> (T, 1) view; (T, F) unchanged; anything else raises OptionError."""
    if values.ndim == 1:
        return values[:, None]
    if values.ndim != 2:
        raise OptionError(f"{argument} must be (T,) or (T, F), got shape {tuple(values.shape)}")
    return values


@overload
def make_windows(
    inputs: torch.Tensor, targets: torch.Tensor, lags: int, horizon: int = 1
) -> tuple[torch.Tensor, torch.Tensor]: ...
@overload
def make_windows(
    inputs: ArrayLike, targets: ArrayLike, lags: int, horizon: int = 1
) -> tuple[NDArray[Any], NDArray[Any]]: ...
def make_windows(inputs: Any, targets: Any, lags: int, horizon: int = 1) -> tuple[Any, Any]:
    """Every (input window, target window) pair of a series, as views without copying.

    Window j reads ``inputs[j : j + lags]`` and forecasts ``targets[j + lags : j + lags +
    horizon]``; its origin (first target index) is ``j + lags``, see ``window_origins``.

    Args:
        inputs: (T, F) or (T,) numpy array or torch tensor.
        targets: (T, K) or (T,), the same kind and length as inputs.
        lags: Time steps per input window.
        horizon: Time steps per target window.

    Returns:
        X of shape (N, lags, F) and Y of shape (N, horizon, K), N = T - lags - horizon + 1.
        Numpy results are read-only views of the inputs; torch results are views (unfold).

    Raises:
        OptionError: For lags or horizon < 1, mixed kinds, unequal lengths, or N < 1.
    """
    lags = _check_int(lags, "lags", 1)
    horizon = _check_int(horizon, "horizon", 1)
    is_tensor = _is_tensor(inputs)
    if is_tensor != _is_tensor(targets):
        raise OptionError(
            "inputs and targets must both be numpy arrays or both torch tensors, got "
            f"{type(inputs).__name__} and {type(targets).__name__}"
        )
    if not is_tensor:
        inputs, targets = np.asarray(inputs), np.asarray(targets)
    inputs, targets = _as_2d(inputs, "inputs"), _as_2d(targets, "targets")
    n = inputs.shape[0]
    if targets.shape[0] != n:
        raise OptionError(
            f"inputs and targets must have the same length, got {n} and {targets.shape[0]}"
        )
    if n - lags - horizon + 1 < 1:
        raise OptionError(
            f"a series of length {n} has no window for lags={lags} and horizon={horizon}: "
            f"need at least lags + horizon = {lags + horizon} time steps"
        )
    if is_tensor:
        # (T', F) -unfold-> (N, F, L) -transpose-> (N, L, F)
        x = inputs[: n - horizon].unfold(0, lags, 1).transpose(1, 2)
        y = targets[lags:].unfold(0, horizon, 1).transpose(1, 2)
        return x, y
    # (T', F) -sliding_window_view-> (N, F, L) -moveaxis-> (N, L, F)
    x = np.moveaxis(sliding_window_view(inputs[: n - horizon], lags, axis=0), -1, 1)
    y = np.moveaxis(sliding_window_view(targets[lags:], horizon, axis=0), -1, 1)
    return x, y


def window_origins(n: int, lags: int, horizon: int = 1) -> NDArray[np.int64]:
    """Origins of the windows ``make_windows`` builds on a series of length n.

    The origin of window j is ``j + lags``, the index of its first target value.

    Returns:
        ``arange(lags, n - horizon + 1)`` as int64; empty when the series is too short.
    """
    n = _check_int(n, "n", 0)
    lags = _check_int(lags, "lags", 1)
    horizon = _check_int(horizon, "horizon", 1)
    return np.arange(lags, n - horizon + 1, dtype=np.int64)


@overload
def windows_at(inputs: torch.Tensor, lags: int, origins: ArrayLike) -> torch.Tensor: ...
@overload
def windows_at(inputs: ArrayLike, lags: int, origins: ArrayLike) -> NDArray[Any]: ...
def windows_at(inputs: Any, lags: int, origins: ArrayLike) -> Any:
    """The input windows ending just before each origin: ``inputs[o - lags : o]``.

    Args:
        inputs: (T, F) or (T,) numpy array or torch tensor.
        lags: Time steps per window.
        origins: Forecast origins, each in ``[lags, T]``; T itself forecasts unseen values.

    Returns:
        (len(origins), lags, F) array (a copy, gathered in one fancy index).

    Raises:
        OptionError: For lags < 1 or an origin outside ``[lags, T]``.
    """
    lags = _check_int(lags, "lags", 1)
    if not _is_tensor(inputs):
        inputs = np.asarray(inputs)
    inputs = _as_2d(inputs, "inputs")
    starts = as_origins(origins, inputs.shape[0], lags)
    # (n, 1) + (1, L) -> (n, L) time indices
    index = starts[:, None] + np.arange(-lags, 0, dtype=np.int64)[None, :]
    if _is_tensor(inputs):
        import torch

        return inputs[torch.as_tensor(index, device=inputs.device)]
    return inputs[index]
