"""The early-stopping block carved from the end of a training part, and the thin-data warning."""

from __future__ import annotations

import math
from dataclasses import dataclass

from lstmsizer.errors import LstmsizerWarning, check, check_int

MIN_STOP_WINDOWS = 3
"""Fewest windows an early-stopping block may have; a smaller one is not carved at all."""

THIN_WINDOWS = 10
"""Below this many training windows, the figures of a fit are not meaningful."""


class ThinDataWarning(LstmsizerWarning):
    """Too few windows for meaningful figures; training still goes on where it can."""


@dataclass(frozen=True)
class StopBlock:
    """How the training windows of one fit are divided.

    The training windows (all targets before train_end) are, in time order, the fitted
    windows, then horizon - 1 skipped windows whose targets would reach into the block, then
    the early-stopping block. The block is only monitored, never fitted, and the fold's
    validation block after train_end is only scored.

    Attributes:
        train: Training windows of the part (fitted + skipped + block).
        fit: Windows the weights are fitted on (the first ones).
        stop: Windows in the early-stopping block (the last ones); 0 when none was carved.
        wanted: Whether a block was asked for (fraction > 0).
    """

    train: int
    fit: int
    stop: int
    wanted: bool = True

    @property
    def warning(self) -> str | None:
        """One line saying why the figures are not meaningful, or None when they are."""
        if self.train < THIN_WINDOWS:
            return (
                f"only {self.train} training window(s) (fewer than {THIN_WINDOWS}): the fit "
                "and its figures are not meaningful"
            )
        if self.stop == 0 and self.wanted:
            return (
                f"{self.train} training windows leave no early-stopping block of "
                f"{MIN_STOP_WINDOWS} or more windows: training monitors its own loss and its "
                "figures are not meaningful"
            )
        return None


def stop_block(train: int, horizon: int, fraction: float) -> StopBlock:
    """Carve the early-stopping block from the end of `train` training windows.

    The block has round(fraction * train) windows, at least MIN_STOP_WINDOWS; it is carved
    only when at least as many windows remain to fit. With fraction 0 there is no block.

    Args:
        train: Training windows (targets all before the end of the training part).
        horizon: Forecast steps per window; the horizon - 1 windows before the block are
            skipped so that no fitted target lies inside the block.
        fraction: Share of the training windows held out; 0 disables the block.

    Returns:
        The division of the windows.
    """
    check_int("train", train, minimum=0)
    check_int("horizon", horizon)
    check(0 <= fraction <= 0.5, "fraction", "must be in [0, 0.5]", fraction)
    if fraction == 0:
        return StopBlock(train, train, 0, wanted=False)
    stop = max(MIN_STOP_WINDOWS, math.floor(fraction * train + 0.5))
    fit = train - stop - (horizon - 1)
    if fit < MIN_STOP_WINDOWS:
        return StopBlock(train, train, 0)
    return StopBlock(train, fit, stop)


def describe_rule(fraction: float) -> str:
    """The sentence a run folder records about how its early-stopping blocks were chosen."""
    if fraction == 0:
        return "No early-stopping block: training monitored its own loss."
    return (
        f"Early stopping watched the last {fraction:.0%} of each training part's windows "
        f"(at least {MIN_STOP_WINDOWS}), which were never fitted; the validation blocks were "
        "only scored."
    )
