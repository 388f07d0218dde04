"""Tests for lstmsizer.speed: step timing, FLOP accounting, comparisons and the verdict."""

from __future__ import annotations

import json
import math

import pytest
import torch

from lstmsizer.errors import OptionError
from lstmsizer.models import TRAINING_FLOPS_FACTOR, flops_per_sample
from lstmsizer.speed import (
    TOLERANCE,
    SpeedResult,
    SpeedRow,
    compare,
    matmul_peak,
    measure_speed,
    verdict,
)

FAST = {"lags": 4, "batch_size": 8, "repeats": 3, "warmup": 1, "threads": 1}


@pytest.fixture(scope="module")
def result() -> SpeedResult:
    torch.set_num_threads(1)
    return measure_speed((8, 16, 32), device="cpu", **FAST)


def _row(units: int, step_ms: float, flops: int) -> SpeedRow:
    seconds = step_ms / 1e3
    return SpeedRow(units, 0, flops, step_ms, 0.0, 32 / seconds, flops / seconds / 1e9)


def test_result_has_one_row_per_size_and_the_documented_columns(result: SpeedResult) -> None:
    table = result.table
    assert list(table["units"]) == [8, 16, 32]
    assert list(table.columns) == [
        "units",
        "parameters",
        "flops_per_step",
        "step_ms",
        "step_ms_iqr",
        "samples_per_s",
        "gflops",
        "peak_fraction",
    ]
    assert (table["step_ms"] > 0).all() and (table["step_ms_iqr"] >= 0).all()
    assert result.device == "cpu" and result.threads == 1 and result.fused
    assert result.device_name and result.versions["torch"] == torch.__version__
    assert result.comparisons == () and "Not enough sizes" in result.verdict


def test_parameters_are_the_keras_count(result: SpeedResult) -> None:
    # LSTM 4*(F*U + U*U + U) plus Dense U + 1, with F = 1
    assert [row.parameters for row in result.rows] == [
        4 * (u + u * u + u) + u + 1 for u in (8, 16, 32)
    ]


def test_gflops_and_samples_per_second_follow_from_the_median_step(result: SpeedResult) -> None:
    for row in result.rows:
        seconds = row.step_ms / 1e3
        assert row.gflops == pytest.approx(row.flops_per_step / seconds / 1e9)
        assert row.samples_per_s == pytest.approx(FAST["batch_size"] / seconds)


def test_flops_per_step_is_the_closed_form_training_count(result: SpeedResult) -> None:
    # 16 units, 1 feature, 4 lags: per step 2*4*16*(1 + 16) + 17*16 = 2448, times 4 lags,
    # plus the Dense head 2*16; a training step is 3 forward passes of a batch of 8
    forward = (2 * 4 * 16 * (1 + 16) + 17 * 16) * 4 + 2 * 16
    assert forward == flops_per_sample("lstm", 16, 1, 1, 4)
    row = next(r for r in result.rows if r.units == 16)
    assert row.flops_per_step == forward * 3 * 8 == forward * TRAINING_FLOPS_FACTOR * 8


def test_to_dict_round_trips_through_json(result: SpeedResult) -> None:
    data = json.loads(json.dumps(result.to_dict()))
    assert data["rows"][1]["units"] == 16
    assert data["matmul_gflops"] == pytest.approx(result.matmul_gflops)
    assert data["verdict"] == result.verdict


def test_compare_reports_time_and_time_per_flop_ratios() -> None:
    rows = [_row(127, 10.0, 1000), _row(128, 10.0, 1100), _row(8, 1.0, 10)]
    (only,) = compare(rows)  # only the pair with both sizes measured
    assert (only["a"], only["b"]) == (127, 128)
    assert only["time_ratio"] == pytest.approx(1.0)
    assert only["flop_ratio"] == pytest.approx(1.1)
    assert only["time_per_flop_ratio"] == pytest.approx(1 / 1.1)
    assert only["verdict"].startswith("128 units took 0.91x the time of 127 per FLOP: faster")


def test_verdict_says_multiples_are_faster_when_128_is_20_percent_faster_per_flop() -> None:
    rows = [_row(127, 10.0, 1000), _row(128, 8.0, 1000)]
    text = verdict(compare(rows))
    assert text.startswith("Multiples of 32 were faster on this CPU")
    assert "0.80x" in text


def test_verdict_says_no_benefit_when_equal_per_flop() -> None:
    rows = [_row(u, 10.0, 1000) for u in (96, 100, 127, 128, 129)]
    text = verdict(compare(rows), "GPU")
    assert text.startswith("No measurable benefit from multiples of 32 on this GPU")
    assert "1.00x" in text


@pytest.mark.parametrize(
    ("ratio", "start"),
    [
        (1 - TOLERANCE + 0.01, "No measurable"),
        (1 + TOLERANCE - 0.01, "No measurable"),
        (1 + TOLERANCE + 0.01, "Multiples of 32 were slower"),
    ],
)
def test_verdict_tolerance_boundaries(ratio: float, start: str) -> None:
    rows = [_row(255, 10.0, 1000), _row(256, 10.0 * ratio, 1000)]
    assert verdict(compare(rows)).startswith(start)


def test_verdict_ignores_pairs_far_apart_in_flops() -> None:
    # 128 vs 100 differs by 60% in FLOPs: size effects, not alignment, would dominate
    rows = [_row(100, 10.0, 1000), _row(128, 8.0, 1600)]
    (pair,) = compare(rows)
    assert pair["time_per_flop_ratio"] == pytest.approx(0.5)
    assert verdict([pair]).startswith("Not enough sizes")


def test_matmul_peak_is_positive_and_finite() -> None:
    peak = matmul_peak("cpu", threads=1, size=128, repeats=2)
    assert math.isfinite(peak) and peak > 0


@pytest.mark.parametrize(
    ("kwargs", "names"),
    [
        ({"units": ()}, "units"),
        ({"units": (8, 8)}, "units"),
        ({"units": (0,)}, "units"),
        ({"repeats": 0}, "repeats"),
        ({"warmup": -1}, "warmup"),
        ({"cell": "transformer"}, "cell"),
        ({"device": "tpu"}, "device"),
    ],
)
def test_bad_arguments_raise_option_errors_naming_them(kwargs: dict, names: str) -> None:
    with pytest.raises(OptionError, match=names):
        measure_speed(**{"units": (8,), **FAST, **kwargs})


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is present")
def test_asking_for_absent_cuda_is_an_option_error() -> None:
    with pytest.raises(OptionError, match="device needs CUDA"):
        measure_speed((8,), device="cuda", **FAST)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_measures_on_the_gpu() -> None:
    gpu = measure_speed((8, 127, 128), device="cuda", **FAST)
    assert gpu.device.startswith("cuda") and "CPU" not in gpu.verdict
    assert all(row.step_ms > 0 for row in gpu.rows) and gpu.matmul_gflops > 0
    assert gpu.device_name == torch.cuda.get_device_name()


def test_relu_runs_the_hand_written_layers_with_a_progress_bar() -> None:
    relu = measure_speed((4,), activation="relu", progress=True, **{**FAST, "repeats": 1})
    assert not relu.fused and relu.activation == "relu" and relu.rows[0].step_ms > 0
