"""The records of diagnostics.json, speed.json and claims.json: the producers write them, the
readers read them back, key for key."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

from lstmsizer.claims import rules
from lstmsizer.claims.experiments import SPEED, make_claim
from lstmsizer.claims.result import figure
from lstmsizer.config import ModelSpec, TrainSpec, WindowSpec
from lstmsizer.datasets import get
from lstmsizer.diagnostics import Probe, deep_vs_wide, diagnose_model
from lstmsizer.errors import DataError
from lstmsizer.forecaster import LSTMForecaster
from lstmsizer.intervals import Interval
from lstmsizer.rundir.convert import plain
from lstmsizer.rundir.measurements import (
    CapacityResult,
    Claim,
    DepthPair,
    GradientProfile,
    LayerCapacity,
    SpeedResult,
    SpeedRow,
    read_capacity,
    read_claims,
    read_deep_wide,
    read_gradients,
    read_speed,
)
from lstmsizer.speed import measure_speed

torch.set_num_threads(1)

# the keys the producers wrote before the records were shared: a change here changes files
CAPACITY_KEYS = ["windows", "cell", "activation", "dead_tolerance", "layers"]
LAYER_KEYS = [
    *("layer", "units", "participation_ratio", "components_90", "components_99"),
    *("dead_units", "saturated_units", "dead_share", "saturated_share", "spectrum", "unit_std"),
]
PROFILE_KEYS = [
    *("stage", "windows", "lags", "saliency", "saliency_ratio", "hidden", "hidden_ratio"),
    "loss",
]
PAIR_KEYS = [
    *("deep_config", "deep_layers", "deep_units", "deep_parameters", "deep_mean_rmse"),
    *("deep_se_rmse", "deep_seconds", "wide_config", "wide_units", "wide_parameters"),
    *("wide_mean_rmse", "wide_se_rmse", "wide_seconds", "difference", "se_difference"),
    "verdict",
]
SPEED_KEYS = [
    *("rows", "device", "device_name", "threads", "lags", "features", "batch_size", "cell"),
    *("layers", "activation", "fused", "repeats", "warmup", "matmul_gflops", "comparisons"),
    *("verdict", "versions"),
]
ROW_KEYS = [
    *("units", "parameters", "flops_per_step", "step_ms", "step_ms_iqr", "samples_per_s"),
    "gflops",
]
CLAIM_KEYS = ["claim", "verdict", "evidence", "numbers", "seconds", "figures", "threshold"]


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value))


@pytest.fixture(scope="module")
def diagnosed() -> dict[str, Any]:
    """diagnose_model's record of a tiny fitted two-layer LSTM, as diagnostics.json holds it."""
    data = get("sine", n=80)
    train = TrainSpec(epochs=2, seed=0, progress=False)
    model = LSTMForecaster(WindowSpec(4), ModelSpec(units=3, layers=2), train)
    model.fit(data.values, train_end=60)
    found = diagnose_model(Probe(model, data.values, np.arange(60, 80)), at_init=True)
    return _json(plain(found))


def test_capacity_as_diagnose_writes_it(diagnosed: dict[str, Any]) -> None:
    written = diagnosed["capacity"]
    assert list(written) == CAPACITY_KEYS and list(written["layers"][0]) == LAYER_KEYS
    record = CapacityResult.from_dict(written)
    assert record.to_dict() == written
    assert isinstance(record.last, LayerCapacity) and record.last.layer == 2
    assert record.last.units == 3 and len(record.layers) == 2
    assert math.isnan(CapacityResult.from_dict(_json(record.to_dict())).last.saturated_share) is (
        written["layers"][-1]["saturated_share"] is None
    )


def test_gradient_profiles_as_diagnose_writes_them(diagnosed: dict[str, Any]) -> None:
    for key, stage in (("gradients", "trained"), ("gradients_init", "init")):
        written = diagnosed[key]
        assert list(written) == PROFILE_KEYS
        record = GradientProfile.from_dict(written)
        assert record.to_dict() == written and record.stage == stage
        assert record.lags == (1, 2, 3, 4) and len(record.hidden) == 2


def test_the_readers_take_diagnose_s_layout(diagnosed: dict[str, Any]) -> None:
    summary = pd.DataFrame(
        [("lstm-u3-l2", "lstm", 3, 2, 100, 1.0, 0.1, 4.0), ("lstm-u5-l1", "lstm", 5, 1, 96,
         1.2, 0.1, 2.0)],
        columns=["config", "cell", "units", "layers", "parameters", "mean_rmse", "se_rmse",
                 "seconds"],
    )  # fmt: skip
    runs = pd.DataFrame(
        {"config": ["lstm-u3-l2"] * 2 + ["lstm-u5-l1"] * 2, "seed": [0, 1, 0, 1],
         "fold": [0, 0, 0, 0], "rmse": [1.0, 1.1, 1.3, 1.0]}
    )  # fmt: skip
    depth = deep_vs_wide(summary, runs).to_dict()
    payload = _json({"sizes": [{"config": "lstm-u3-l2", "diagnostics": diagnosed}],
                     "deep_vs_wide": depth})  # fmt: skip
    (capacity,) = read_capacity(payload) or ()
    assert capacity.to_dict() == diagnosed["capacity"]
    init, trained = read_gradients(payload) or ()
    assert (init.units, init.layers, init.profile.stage) == (3, 2, "init")
    assert trained.profile.to_dict() == diagnosed["gradients"]
    (pair,) = read_deep_wide(payload) or ()
    assert list(depth["pairs"][0]) == PAIR_KEYS and pair.to_dict() == depth["pairs"][0]
    # deep - wide per cell: -0.3 and 0.1, mean -0.1, SE 0.2: a tie
    assert pair.difference == pytest.approx(-0.1) and pair.se_difference == pytest.approx(0.2)
    assert pair.verdict == "tie" and pair.deep_seconds == 4.0
    assert read_capacity({"sizes": []}) is None and read_deep_wide([]) is None
    with pytest.raises(DataError, match="deep_units"):
        DepthPair.from_dict({k: v for k, v in pair.to_dict().items() if k != "deep_units"})


def test_speed_as_lstmsizer_speed_writes_it() -> None:
    found = measure_speed((8, 16), lags=3, batch_size=4, repeats=2, warmup=1, threads=1)
    written = _json(found.to_dict())
    assert list(written) == SPEED_KEYS and list(written["rows"][0]) == ROW_KEYS
    record = read_speed(written)
    assert record is not None and record.to_dict() == written
    assert record.rows[1] == found.rows[1] and isinstance(record.rows[0], SpeedRow)
    assert SpeedResult.from_dict(written).table.shape == (2, len(ROW_KEYS) + 1)
    assert read_speed({"rows": []}) is None
    with pytest.raises(DataError, match="step_ms"):
        read_speed({**written, "rows": [{"units": 3}]})


def test_a_claim_as_the_claims_write_it() -> None:
    ratio = Interval(0.9, 0.85, 0.93, 0.9, "t", 6)
    claim = make_claim(
        SPEED, rules.speed_verdict(ratio, {"128 vs 127": 0.9}, "precise"),
        {"step_ms": {"32x128": 1.5}}, {"time per FLOP": figure(ratio, "x")},
        rules.SPEED_NEEDS.says, "tested small",
    )  # fmt: skip
    written = _json(plain(claim))
    assert list(written) == [*CLAIM_KEYS, "tested"] and claim.to_dict() == written
    (record,) = read_claims({"claims": [written]}) or ()
    assert record == claim and record.verdict == rules.SUPPORTED
    assert record.figure == "time per FLOP 0.9x (90% CI 0.85x to 0.93x)"
    assert record.label == "multiples of 32 are faster (tested small)"
    assert Claim.from_dict({"claim": "c", "verdict": "v", "evidence": "e"}).figures == {}
    assert read_claims({"claims": "none"}) is None
