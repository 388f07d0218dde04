"""Deep versus wide at an equal parameter budget, from a sweep's summary and runs tables."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest

from lstmsizer.config import ModelSpec, WindowSpec
from lstmsizer.diagnostics import deep_vs_wide
from lstmsizer.errors import DataError
from lstmsizer.sizes import equal_budget_width, keras_parameter_count
from lstmsizer.sweeping.plan import SweepSpec, configurations

COLUMNS = ["config", "cell", "units", "layers", "parameters", "mean_rmse", "se_rmse", "seconds"]


def _summary(rows: Sequence[tuple[object, ...]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[*COLUMNS, "runs"])
    frame["activation"] = "tanh"
    return frame


def _runs(means: dict[str, float], shifts: Sequence[float]) -> pd.DataFrame:
    """Runs on four (seed, fold) cells: each configuration's mean plus the cell's shift."""
    cells = [(0, 0), (0, 1), (1, 0), (1, 1)]
    rows = [
        (config, seed, fold, mean + shift)
        for config, mean in means.items()
        for (seed, fold), shift in zip(cells, shifts, strict=True)
    ]
    return pd.DataFrame(rows, columns=["config", "seed", "fold", "rmse"])


def test_each_stack_meets_the_one_layer_width_nearest_in_parameters() -> None:
    summary = _summary(
        [
            ("lstm-u8-l1", "lstm", 8, 1, 180, 2.0, 0.1, 6.0, 3),
            ("lstm-u16-l1", "lstm", 16, 1, 300, 2.0, 0.1, 9.0, 3),
            ("lstm-u32-l1", "lstm", 32, 1, 1000, 1.0, 0.1, 12.0, 3),
            ("lstm-u8-l2", "lstm", 8, 2, 310, 1.5, 0.1, 12.0, 3),  # deep better than u16
            ("lstm-u16-l2", "lstm", 16, 2, 900, 1.4, 0.1, 30.0, 3),  # wide (u32) better
            ("lstm-u4-l3", "lstm", 4, 3, 240, 2.01, 0.1, 3.0, 3),  # 180 and 300 as near: a tie
            ("gru-u8-l2", "gru", 8, 2, 250, 1.0, 0.1, 3.0, 3),  # no one-layer GRU
        ]
    )
    means = dict(zip(summary["config"], summary["mean_rmse"], strict=True))
    # the cells share a large shift: unpaired, every SE would be about 0.5
    runs = _runs(means, [-1.0, 1.0, -0.5, 0.5])
    tie = runs["config"] == "lstm-u4-l3"
    runs.loc[tie, "rmse"] += [0.04, -0.04, 0.0, 0.0]
    found = deep_vs_wide(summary, runs)
    pairs = {p.deep_config: p for p in found.pairs}
    assert list(pairs) == ["lstm-u4-l3", "lstm-u8-l2", "lstm-u16-l2"]  # by parameters
    assert pairs["lstm-u8-l2"].wide_config == "lstm-u16-l1"
    assert pairs["lstm-u8-l2"].verdict == "deep better"
    assert pairs["lstm-u8-l2"].difference == pytest.approx(-0.5)
    assert pairs["lstm-u8-l2"].se_difference == pytest.approx(0.0, abs=1e-12)
    assert pairs["lstm-u8-l2"].deep_seconds == pytest.approx(4.0)
    assert pairs["lstm-u8-l2"].wide_seconds == pytest.approx(3.0)
    assert pairs["lstm-u16-l2"].wide_config == "lstm-u32-l1"
    assert pairs["lstm-u16-l2"].verdict == "wide better"
    pair = pairs["lstm-u4-l3"]
    assert pair.wide_config == "lstm-u8-l1"
    d = np.array([0.05, -0.03, 0.01, 0.01])  # deep - wide per cell, by hand
    assert pair.difference == pytest.approx(d.mean())
    assert pair.se_difference == pytest.approx(d.std(ddof=1) / 2)
    assert abs(d.mean()) <= d.std(ddof=1) / 2 and pair.verdict == "tie"
    assert (found.deep_better, found.wide_better, found.ties) == (1, 1, 1)
    json.dumps(found.to_dict(), allow_nan=False)
    # each side's fields are its summary row's, seconds per run
    assert (pair.deep_config, pair.deep_layers, pair.deep_units) == ("lstm-u4-l3", 3, 4)
    assert (pair.deep_parameters, pair.deep_mean_rmse, pair.deep_se_rmse) == (240, 2.01, 0.1)
    assert (pair.wide_units, pair.wide_parameters) == (8, 180)
    assert (pair.wide_mean_rmse, pair.wide_se_rmse) == (2.0, 0.1)
    assert (pair.deep_seconds, pair.wide_seconds) == (1.0, 2.0)


def test_without_runs_or_scores_the_verdict_is_unknown_and_missing_columns_an_error() -> None:
    summary = _summary(
        [
            ("rnn-u8-l1", "rnn", 8, 1, 90, 1.1, 0.1, 1.0, 1),
            ("rnn-u9-l1", "rnn", 9, 1, 110, math.nan, math.nan, 1.0, 1),  # every run failed
            ("rnn-u4-l2", "rnn", 4, 2, 100, 1.0, 0.0, 1.0, 1),
        ]
    )
    (pair,) = deep_vs_wide(summary).pairs
    assert pair.wide_config == "rnn-u8-l1" and pair.verdict == "unknown"
    assert deep_vs_wide(summary).to_dict()["pairs"][0]["se_difference"] is None
    assert deep_vs_wide(summary[summary["layers"] == 1]).pairs == ()
    with pytest.raises(DataError, match="seconds"):
        deep_vs_wide(summary.drop(columns=["seconds"]))
    repeated = pd.DataFrame(
        {"config": ["rnn-u4-l2", "rnn-u8-l1"] * 2, "seed": 0, "fold": 0, "rmse": [1.0, 2.0] * 2}
    )  # every run on one cell: nothing to pair on, as the report reads it
    assert deep_vs_wide(summary, repeated).pairs[0].verdict == "unknown"
    with pytest.raises(DataError, match=r"runs\.csv must have the columns fold"):
        deep_vs_wide(summary, pd.DataFrame({"config": [], "seed": [], "rmse": []}))


def test_pairs_the_equal_budget_widths_a_sweep_adds() -> None:
    spec = SweepSpec().replace(lags=4, units=(8, 32), layers=(1, 2), seeds=1, folds=1)
    rows = []
    for c in configurations(spec, 1):
        params = keras_parameter_count(c.model, spec.window, 1)
        m = c.model
        rows.append((c.id, m.cell, m.units, m.layers, params, 1.0, 0.1, 1.0, 1))
    found = deep_vs_wide(_summary(rows))
    assert len(found.pairs) == 2
    for pair in found.pairs:
        deep = ModelSpec(units=pair.deep_units, layers=pair.deep_layers)
        width = equal_budget_width(deep, WindowSpec(lags=4), 1)
        assert pair.wide_units == width
        assert pair.verdict == "unknown"  # no runs to pair on
