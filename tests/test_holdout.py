"""The early-stopping block: its size, the skipped windows, and the thin-data warning."""

from __future__ import annotations

import pytest

from lstmsizer.errors import OptionError
from lstmsizer.holdout import MIN_STOP_WINDOWS, THIN_WINDOWS, describe_rule, stop_block


@pytest.mark.parametrize(
    ("train", "horizon", "fraction", "fit", "stop"),
    [
        (100, 1, 0.15, 85, 15),  # 15% of 100
        (100, 3, 0.15, 83, 15),  # 2 windows skipped so no fitted target reaches the block
        (101, 1, 0.15, 86, 15),  # 15.15 rounds to 15
        (30, 1, 0.15, 25, 5),  # 4.5 rounds half up to 5
        (10, 1, 0.15, 7, 3),  # 1.5 -> 2, raised to the minimum of 3
        (6, 1, 0.15, 3, 3),  # the smallest split that still fits 3 windows
        (5, 1, 0.15, 5, 0),  # 2 windows would be left to fit: no block
        (100, 1, 0.0, 100, 0),  # no block asked for
    ],
)
def test_block_sizes(train: int, horizon: int, fraction: float, fit: int, stop: int) -> None:
    block = stop_block(train, horizon, fraction)
    assert (block.train, block.fit, block.stop) == (train, fit, stop)
    if block.stop:
        assert block.stop >= MIN_STOP_WINDOWS
        assert block.fit + (horizon - 1) + block.stop == train


def test_warning_for_thin_data_only() -> None:
    assert stop_block(THIN_WINDOWS, 1, 0.15).warning is None
    thin = stop_block(THIN_WINDOWS - 1, 1, 0.15).warning
    assert thin is not None and f"only {THIN_WINDOWS - 1} training window" in thin
    # enough windows overall, but a horizon so long that no block fits
    none = stop_block(12, 8, 0.15).warning
    assert none is not None and "no early-stopping block" in none
    # no block because none was asked for is not a warning
    assert stop_block(50, 1, 0.0).warning is None


def test_bad_fraction_names_the_argument() -> None:
    with pytest.raises(OptionError, match="fraction must be in"):
        stop_block(100, 1, 0.9)


def test_rule_sentence() -> None:
    assert "last 15%" in describe_rule(0.15)
    assert "only scored" in describe_rule(0.15)
    assert "No early-stopping block" in describe_rule(0.0)
