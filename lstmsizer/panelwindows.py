"""A panel's windows: zero-copy views over every series, and index rows that stay inside one."""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import NDArray

from lstmsizer.holdout import MIN_STOP_WINDOWS, StopBlock
from lstmsizer.panelsplits import PanelSplit, ranges
from lstmsizer.training import TrainData
from lstmsizer.windows import make_windows

PREDICT_CHUNK = 65_536
"""Windows gathered per forward pass when forecasting a panel: bounded memory for any size."""


def stop_origins(
    split: PanelSplit, fraction: float
) -> tuple[NDArray[np.int64], NDArray[np.int64], StopBlock]:
    """Each active series' fitted windows, and the early-stopping block of its last windows.

    Series i has train_i windows with targets before its train_end. Its block is its last
    round(fraction * train_i) windows, after horizon - 1 skipped ones, carved only where at
    least one window is left to fit; a panel's block is the union of the series' blocks, and
    it is used only when it holds MIN_STOP_WINDOWS windows or more, as for one series.

    Returns:
        Global origins of the fitted windows and of the block, and the division in totals.
    """
    lags, horizon = split.lags, split.horizon
    train = np.where(split.active, np.maximum(split.train_end - lags - horizon + 1, 0), 0)
    stop = np.floor(fraction * train + 0.5).astype(np.int64)
    fit = train - stop - (horizon - 1)
    keep = (stop > 0) & (fit >= 1)
    if int(np.where(keep, stop, 0).sum()) < MIN_STOP_WINDOWS:
        keep[:] = False
    stop, fit = np.where(keep, stop, 0), np.where(keep, fit, train)
    first = split.starts[:-1] + lags  # global origin of each series' first window
    block = StopBlock(int(train.sum()), int(fit.sum()), int(stop.sum()), wanted=fraction > 0)
    return ranges(first, fit), ranges(first + train - stop, stop), block


def panel_train_data(
    scaled: torch.Tensor, split: PanelSplit, fraction: float
) -> tuple[TrainData, StopBlock]:
    """Training data over a panel's scaled values (T, F): one view of every window, and rows.

    The views include windows that cross from one series into the next; the rows never pick
    them (window j reads values j .. j + lags - 1, its origin is j + lags).
    """
    x, y = make_windows(scaled, scaled[:, :1], split.lags, split.horizon)
    fit, stop, block = stop_origins(split, fraction)
    device = scaled.device
    rows = torch.from_numpy(fit - split.lags).to(device)
    val_rows = torch.from_numpy(stop - split.lags).to(device)
    return TrainData(x, y, x, y, rows=rows, val_rows=val_rows), block
