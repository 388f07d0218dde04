"""Tests for lstmsizer.speed: step timing, FLOP accounting, comparisons and the verdict."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from scipy import stats

from lstmsizer.claims import rules
from lstmsizer.config import ModelSpec, WindowSpec
from lstmsizer.errors import OptionError
from lstmsizer.intervals import Interval
from lstmsizer.rundir.measurements import SpeedResult, SpeedRow
from lstmsizer.sizes import TRAINING_FLOPS_FACTOR, flops_per_sample
from lstmsizer.speed import compare, measure_speed, pair_intervals, verdict
from lstmsizer.timing import matmul_peak

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
    assert forward == flops_per_sample(ModelSpec(units=16), WindowSpec(lags=4), 1)
    row = next(r for r in result.rows if r.units == 16)
    assert row.flops_per_step == forward * 3 * 8 == forward * TRAINING_FLOPS_FACTOR * 8


def test_to_dict_round_trips_through_json(result: SpeedResult) -> None:
    data = json.loads(json.dumps(result.to_dict()))
    assert data["rows"][1]["units"] == 16
    assert data["matmul_gflops"] == pytest.approx(result.matmul_gflops)
    assert data["verdict"] == result.verdict


def test_compare_reports_time_and_time_per_flop_ratios() -> None:
    rows = [_row(127, 10.0, 1000), _row(128, 10.0, 1100), _row(8, 1.0, 10)]
    fast = Interval(0.9, 0.88, 0.93, 0.9, "t", 3)
    (only,) = compare(rows, {(127, 128): fast})  # only the pair with both sizes measured
    assert (only["a"], only["b"]) == (127, 128)
    assert only["time_ratio"] == pytest.approx(1.0)
    assert only["flop_ratio"] == pytest.approx(1.1)
    assert only["time_per_flop_ratio"] == pytest.approx(1 / 1.1)
    assert only["verdict"] == (
        "128 units took 0.9x (90% CI 0.88x to 0.93x) the time of 127 per FLOP: faster"
    )
    straddles = Interval(0.95, 0.9, 1.0, 0.9, "t", 3)
    assert compare(rows, {(127, 128): straddles})[0]["verdict"].endswith("cannot tell")


FLOPS = {127: 1000, 128: 1000, 8: 10}


def _blocks(ratios: list[float], rounds: int = 5) -> list[dict[int, list[float]]]:
    """Timings whose 128-unit steps take `ratio` of the 127-unit ones per FLOP, one block
    per ratio, with a little noise shared by both sizes of a round."""
    noise = np.random.default_rng(0).uniform(0.99, 1.01, size=(len(ratios), rounds))
    return [
        {127: list(10.0 * n), 128: list(10.0 * r * n), 8: list(0.1 * n)}
        for r, n in zip(ratios, noise, strict=True)
    ]


def _reference(ratios: list[float], drift: float) -> tuple[float, float, float]:
    """The ratio's figure and interval: t over the blocks' log ratios, widened by drift."""
    logs = np.log(ratios)
    half = stats.t.ppf(0.95, len(logs) - 1) * logs.std(ddof=1) / np.sqrt(len(logs))
    half = np.hypot(half, np.log1p(drift))
    return (
        float(np.exp(logs.mean())),
        float(np.exp(logs.mean() - half)),
        float(np.exp(logs.mean() + half)),
    )


def test_a_known_ratio_below_the_threshold_is_faster() -> None:
    ratios = [0.8, 0.82, 0.78]
    figure, low, high = _reference(ratios, 0.032)
    assert high < 1 - rules.TOLERANCE  # the claim's rule decides "supported"
    text = verdict(_blocks(ratios), FLOPS, 0.032)
    assert text.startswith("Multiples of 32 were faster on this CPU")
    assert f"{figure:.3g}x (90% CI {low:.3g}x to {high:.3g}x)" in text
    assert "3 blocks of 5 rounds, widened by ±3.2% run-to-run drift" in text
    (pair,) = pair_intervals(_blocks(ratios), FLOPS, 0.032).values()
    assert (pair.estimate, pair.low, pair.high) == pytest.approx((figure, low, high))


def test_a_known_ratio_of_one_is_not_faster_and_a_wide_one_cannot_tell() -> None:
    text = verdict(_blocks([1.0, 1.01, 0.99]), FLOPS, 0.032, "GPU")
    assert text.startswith("Multiples of 32 were not faster on this GPU")
    assert "5% less time per FLOP" in text
    assert verdict(_blocks([0.8, 1.1, 0.9]), FLOPS).startswith("Cannot tell whether multiples")


def test_the_verdict_is_the_claims_verdict_on_the_same_interval() -> None:
    for ratios in ([0.8, 0.82, 0.78], [1.0, 1.01, 0.99], [0.8, 1.1, 0.9], [0.94, 0.96, 0.95]):
        figure, low, high = _reference(ratios, 0.0)
        interval = Interval(figure, low, high, 0.9, "t", 3)
        word = rules.decide(interval, rules.SPEED_NEEDS)
        heads = {
            rules.SUPPORTED: "Multiples of 32 were faster",
            rules.CANNOT_TELL: "Cannot",
            rules.NOT_SUPPORTED: "Multiples of 32 were not faster",
        }
        assert verdict(_blocks(ratios), FLOPS).startswith(heads[word])


def test_verdict_ignores_pairs_far_apart_in_flops() -> None:
    # 128 vs 100 differs by 60% in FLOPs: size effects, not alignment, would dominate
    blocks = [{100: [10.0, 10.0], 128: [8.0, 8.0]}] * 3
    assert verdict(blocks, {100: 1000, 128: 1600}).startswith("Not enough sizes")
    rows = [_row(100, 10.0, 1000), _row(128, 8.0, 1600)]
    (pair,) = compare(rows, pair_intervals(blocks, {100: 1000, 128: 1600}))
    assert pair["time_per_flop_ratio"] == pytest.approx(0.5)


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
        ({"blocks": 1}, "blocks"),
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
