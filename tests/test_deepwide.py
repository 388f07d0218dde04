"""The deep-versus-wide rule: the pairing by parameters and the paired one-SE verdict."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lstmsizer.deepwide import (
    DEEP_BETTER,
    TIE,
    UNKNOWN,
    WIDE_BETTER,
    Candidate,
    candidates,
    equal_budget_pairs,
    nearest_wide,
    paired_difference,
)

WIDE = {(0, 0): 1.0, (0, 1): 2.0, (1, 0): 3.0, (1, 1): 2.4}


def _size(config: str, layers: int, parameters: int, cell: str = "lstm", act: str = "tanh"):
    return Candidate(config, cell, act, 4, layers, parameters, 1.0)


def _reference(deep: dict, wide: dict) -> tuple[float, float]:
    """Mean and standard error of deep - wide over the common cells, by numpy."""
    d = np.array([deep[k] - wide[k] for k in deep if k in wide])
    return float(d.mean()), float(d.std(ddof=1) / math.sqrt(d.size))


def test_a_consistent_gain_is_decided_though_each_side_varies_more() -> None:
    shift = {(0, 0): -0.11, (0, 1): -0.09, (1, 0): -0.1, (1, 1): -0.1}
    deep = {k: v + shift[k] for k, v in WIDE.items()}
    found = paired_difference(deep, WIDE)
    mean, se = _reference(deep, WIDE)
    assert found.diff == pytest.approx(mean) and found.se == pytest.approx(se)
    assert mean == pytest.approx(-0.1) and se == pytest.approx(np.std([1, -1, 0, 0], ddof=1) / 200)
    assert found.verdict == DEEP_BETTER and found.cells == tuple(WIDE)
    # unpaired, the SEs of the two means (about 0.4 each) would swallow a 0.1 difference
    assert np.std(list(WIDE.values()), ddof=1) / 2 > 0.4
    worse = paired_difference({k: v - 2 * shift[k] for k, v in WIDE.items()}, WIDE)
    assert worse.verdict == WIDE_BETTER


def test_a_pair_inside_one_paired_standard_error_is_a_tie() -> None:
    shift = {(0, 0): 0.3, (0, 1): -0.2, (1, 0): 0.1, (1, 1): -0.1}  # mean 0.025
    deep = {k: v + shift[k] for k, v in WIDE.items()}
    found = paired_difference(deep, WIDE)
    mean, se = _reference(deep, WIDE)
    assert abs(mean) <= se and found.verdict == TIE
    assert found.se == pytest.approx(se)


def test_only_common_finite_cells_pair() -> None:
    deep = {(0, 0): 0.5, (0, 1): 1.5, (1, 0): math.nan, (2, 0): 9.0}
    found = paired_difference(deep, WIDE)
    assert found.cells == ((0, 0), (0, 1)) and found.deep == (0.5, 1.5)
    assert found.wide == (1.0, 2.0)
    np.testing.assert_allclose(found.relative(), [-0.5, -0.25])
    one = paired_difference({(0, 0): 0.5}, WIDE)
    assert one.verdict == UNKNOWN and math.isnan(one.se) and one.diff == pytest.approx(-0.5)
    assert paired_difference({}, WIDE).verdict == UNKNOWN


def test_the_partner_is_the_nearest_one_layer_size_of_the_same_cell_and_activation() -> None:
    sizes = [
        _size("lstm-u8-l1", 1, 180),
        _size("lstm-u16-l1", 1, 220),
        _size("lstm-relu", 1, 200, act="relu"),
        _size("gru-u16-l1", 1, 200, cell="gru"),
        _size("lstm-u4-l3", 3, 200),  # 180 and 220 are as near: the smaller
        _size("lstm-u6-l3", 3, 290),  # 220 is 24% away
        _size("lstm-u2-l2", 2, 60),  # 180 is 200% away: no partner within 25%
    ]
    assert nearest_wide(sizes[4], sizes).config == "lstm-u8-l1"
    assert nearest_wide(sizes[5], sizes).config == "lstm-u16-l1"
    assert nearest_wide(sizes[6], sizes) is None
    assert nearest_wide(sizes[6], sizes, tolerance=2.0).config == "lstm-u8-l1"
    pairs = equal_budget_pairs(sizes)
    assert [(p.deep.config, p.wide.config) for p in pairs] == [
        ("lstm-u4-l3", "lstm-u8-l1"),
        ("lstm-u6-l3", "lstm-u16-l1"),
    ]
    assert all(p.difference.verdict == UNKNOWN for p in pairs)  # no cells given


def test_configurations_that_only_failed_take_no_part() -> None:
    failed = Candidate("lstm-u16-l1", "lstm", "tanh", 16, 1, 210, math.nan)
    sizes = [_size("lstm-u8-l1", 1, 150), failed, _size("lstm-u4-l3", 3, 200)]
    (pair,) = equal_budget_pairs(sizes)
    assert pair.wide.config == "lstm-u8-l1"


def test_summary_rows_are_read_in_file_order() -> None:
    summary = pd.DataFrame(
        {"config": ["a", "b"], "cell": "lstm", "units": [4, 2], "layers": [1, 2],
         "parameters": [101, 75], "mean_rmse": [1.0, 2.0]}
    )  # fmt: skip
    first, second = candidates(summary)
    assert first == Candidate("a", "lstm", "", 4, 1, 101, 1.0) and second.layers == 2
