"""Memory length on the delay task: the smallest sufficient width per delay."""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd
import pytest
import torch

from lstmsizer.diagnostics import memory_length, smallest_sufficient_units, width_trend
from lstmsizer.errors import DataError, OptionError

torch.set_num_threads(1)


def test_smallest_sufficient_units_on_a_constructed_grid() -> None:
    rows = [
        # d = 1: 2 units suffice on average over the seeds (0.3, 0.6 -> 0.45)
        (1, 1, 0, 0.9),
        (1, 1, 1, 0.8),
        (1, 2, 0, 0.3),
        (1, 2, 1, 0.6),
        (1, 4, 0, 0.1),
        (1, 4, 1, 0.1),
        # d = 2: the mean at 2 units is 0.5, not below the target; 4 units suffice
        (2, 1, 0, 0.9),
        (2, 2, 0, 0.4),
        (2, 2, 1, 0.6),
        (2, 4, 0, 0.2),
        # d = 3: nothing suffices; a failed run (NaN) never counts
        (3, 1, 0, 0.9),
        (3, 4, 0, math.nan),
    ]
    grid = pd.DataFrame(rows, columns=["d", "units", "seed", "rmse"])
    assert smallest_sufficient_units(grid, 0.5) == {1: 2, 2: 4, 3: None}
    assert smallest_sufficient_units(grid, 0.95) == {1: 1, 2: 1, 3: 1}
    with pytest.raises(DataError, match="rmse"):
        smallest_sufficient_units(grid.drop(columns=["rmse"]), 0.5)


def test_width_trend_ranks_missing_widths_above_every_width() -> None:
    rho, monotone = width_trend([1, 2, 4, None], [1, 2, 3, 4])
    assert rho == pytest.approx(1.0) and monotone
    rho, monotone = width_trend([4, 2, 1], [1, 2, 3])
    assert rho == pytest.approx(-1.0) and not monotone
    rho, monotone = width_trend([2, 2, 2], [1, 2, 3])
    assert math.isnan(rho) and monotone
    assert width_trend([None, 2], [1, 2]) == (pytest.approx(-1.0), False)


def test_bad_settings_are_rejected_before_training() -> None:
    with pytest.raises(OptionError, match="units"):
        memory_length(lags=3, units=(0, 2))
    with pytest.raises(OptionError, match="delays"):
        memory_length(lags=3, delays=())
    with pytest.raises(OptionError, match="cell"):
        memory_length(lags=3, cell="transformer")
    with pytest.raises(OptionError, match="target_rmse"):
        memory_length(lags=3, target_rmse=0.0)


@pytest.mark.slow
def test_memory_length_on_tiny_settings_gives_a_width_per_delay() -> None:
    seen: list[int] = []
    found = memory_length(
        lags=4, units=(1, 2, 4, 8), seeds=1, n=400, epochs=30, on_run=lambda r: seen.append(r.d)
    )
    assert found.delays == (1, 2, 3, 4)
    assert len(found.runs) == len(seen) == 16
    assert len(found.smallest_units) == 4
    assert all(u is None or u in (1, 2, 4, 8) for u in found.smallest_units)
    assert all(0 <= r.rmse < 2 for r in found.runs)
    # recalling the newest input is easy: some width reaches the target at d = 1
    assert found.smallest_units[0] is not None
    plain = found.to_dict()
    json.dumps(plain, allow_nan=False)
    assert {"delays", "units", "runs", "smallest_units", "correlation", "monotone"} <= set(plain)


def test_a_given_fit_replaces_the_training_and_first_sufficient_stops_at_the_smallest() -> None:
    scores = {1: 0.9, 2: 0.3, 4: 0.1}  # mean RMSE per width at every delay; target 0.5
    calls: list[tuple[int, int]] = []

    def fit(data: Any, split: Any, width: int) -> list[float]:
        calls.append((data.seed, width))
        return [scores[width] - 0.05, scores[width] + 0.05]  # two seeds

    found = memory_length(lags=3, delays=(1, 2), units=(4, 1, 2), seeds=2, fit=fit,
                          first_sufficient=True)  # fmt: skip
    assert [w for _, w in calls] == [1, 2, 1, 2]  # 4 never trained: 2 already sufficed
    assert found.smallest_units == (2, 2) and len(found.runs) == 8
    calls.clear()
    every = memory_length(lags=3, delays=(1, 2), units=(1, 2, 4), seeds=2, fit=fit)
    assert [w for _, w in calls] == [1, 2, 4, 1, 2, 4] and every.smallest_units == (2, 2)
