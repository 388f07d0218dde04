"""Deep versus wide at an equal parameter budget, from a sweep's summary table."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import pandas as pd
import pytest

from lstmsizer.diagnostics import deep_vs_wide
from lstmsizer.errors import DataError
from lstmsizer.models import keras_parameter_count
from lstmsizer.recommend import equal_budget_width
from lstmsizer.sweep.plan import SweepSpec, configurations

COLUMNS = ["config", "cell", "units", "layers", "parameters", "mean_rmse", "se_rmse", "seconds"]


def _summary(rows: Sequence[tuple[object, ...]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[*COLUMNS, "runs"])
    frame["activation"] = "tanh"
    return frame


def test_each_stack_meets_the_one_layer_width_nearest_in_parameters() -> None:
    summary = _summary(
        [
            ("lstm-u8-l1", "lstm", 8, 1, 100, 2.0, 0.1, 6.0, 3),
            ("lstm-u16-l1", "lstm", 16, 1, 300, 2.0, 0.1, 9.0, 3),
            ("lstm-u32-l1", "lstm", 32, 1, 1000, 1.0, 0.1, 12.0, 3),
            ("lstm-u8-l2", "lstm", 8, 2, 310, 1.5, 0.1, 12.0, 3),  # deep better than u16
            ("lstm-u16-l2", "lstm", 16, 2, 900, 1.4, 0.1, 30.0, 3),  # wide (u32) better
            ("lstm-u4-l3", "lstm", 4, 3, 200, 2.1, 0.1, 3.0, 3),  # tie: |2.1-2.0| <= 0.14
            ("gru-u8-l2", "gru", 8, 2, 250, 1.0, 0.1, 3.0, 3),  # no one-layer GRU
        ]
    )
    found = deep_vs_wide(summary)
    pairs = {p.deep_config: p for p in found.pairs}
    assert list(pairs) == ["lstm-u4-l3", "lstm-u8-l2", "lstm-u16-l2"]  # by parameters
    assert pairs["lstm-u8-l2"].wide_config == "lstm-u16-l1"
    assert pairs["lstm-u8-l2"].verdict == "deep better"
    assert pairs["lstm-u8-l2"].difference == pytest.approx(-0.5)
    assert pairs["lstm-u8-l2"].se_difference == pytest.approx(math.sqrt(0.02))
    assert pairs["lstm-u8-l2"].deep_seconds == pytest.approx(4.0)
    assert pairs["lstm-u8-l2"].wide_seconds == pytest.approx(3.0)
    assert pairs["lstm-u16-l2"].wide_config == "lstm-u32-l1"
    assert pairs["lstm-u16-l2"].verdict == "wide better"
    assert pairs["lstm-u4-l3"].wide_config == "lstm-u8-l1"  # 200: 100 and 300 tie, smaller
    assert pairs["lstm-u4-l3"].verdict == "tie"
    assert (found.deep_better, found.wide_better, found.ties) == (1, 1, 1)
    json.dumps(found.to_dict(), allow_nan=False)


def test_missing_scores_give_an_unknown_verdict_and_missing_columns_an_error() -> None:
    summary = _summary(
        [
            ("rnn-u8-l1", "rnn", 8, 1, 90, math.nan, math.nan, 1.0, 1),
            ("rnn-u4-l2", "rnn", 4, 2, 70, 1.0, 0.0, 1.0, 1),
        ]
    )
    found = deep_vs_wide(summary)
    assert found.pairs[0].verdict == "unknown"
    assert found.to_dict()["pairs"][0]["wide_mean_rmse"] is None
    assert deep_vs_wide(summary[summary["layers"] == 1]).pairs == ()
    with pytest.raises(DataError, match="seconds"):
        deep_vs_wide(summary.drop(columns=["seconds"]))


def test_pairs_the_equal_budget_widths_a_sweep_adds() -> None:
    spec = SweepSpec(lags=4, units=(8, 32), layers=(1, 2), seeds=1, folds=1)
    rows = []
    for c in configurations(spec, 1):
        params = keras_parameter_count(c.cell, c.units, c.layers, 1)
        rows.append((c.id, c.cell, c.units, c.layers, params, 1.0, 0.1, 1.0, 1))
    found = deep_vs_wide(_summary(rows))
    assert len(found.pairs) == 2
    for pair in found.pairs:
        width = equal_budget_width("lstm", pair.deep_units, pair.deep_layers, 1)
        assert pair.wide_units == width
        assert pair.verdict == "tie"
