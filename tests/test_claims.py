"""Tests for the forum-claims check: each verdict rule on constructed numbers, and one real run."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from helpers import TINY, numpy_only

from lstmsizer.claims import (
    CANNOT_TELL,
    CLAIMS_FILE,
    NOT_SUPPORTED,
    SUPPORTED,
    VERDICTS,
    ClaimsResult,
    Settings,
    Threshold,
    decide,
    depth_verdict,
    gradients_verdict,
    linear_series_verdict,
    linear_unit_verdict,
    memory_verdict,
    run_claims,
    speed_verdict,
)
from lstmsizer.claims.experiments import _trend_interval
from lstmsizer.claims.protocol import paired_change
from lstmsizer.claims.rules import all_of, precise
from lstmsizer.claims.timing import PRECISE, TIME_LIMIT, time_pairs
from lstmsizer.datasets import get
from lstmsizer.errors import DataError, OptionError
from lstmsizer.intervals import Interval, ratio_interval

CLAIMS = (
    "more units for longer windows",
    "multiples of 32 are faster",
    "wide layers make gradients vanish",
    "3 x 128 beats 1 x 512",
    "one unit is a linear regressor",
    "a linear series needs no LSTM",
)


def iv(estimate: float, low: float, high: float, n: int = 6) -> Interval:
    return Interval(estimate, low, high, 0.9, "t", n)


@pytest.mark.parametrize(
    ("below", "low", "high", "expected"),
    [
        (True, 0.80, 0.90, SUPPORTED),  # wholly below 0.95
        (True, 0.90, 0.99, CANNOT_TELL),  # straddles
        (True, 0.95, 1.02, NOT_SUPPORTED),  # wholly at or above
        (True, 0.94, 0.949, SUPPORTED),
        (False, 0.96, 0.99, SUPPORTED),  # the claim needs above 0.95
        (False, 0.90, 0.99, CANNOT_TELL),
        (False, 0.80, 0.95, NOT_SUPPORTED),
        (True, math.nan, math.nan, CANNOT_TELL),
        (True, -math.inf, math.inf, CANNOT_TELL),  # one observation: an open interval
    ],
)
def test_decide_compares_the_whole_interval_with_the_threshold(
    below: bool, low: float, high: float, expected: str
) -> None:
    assert decide(iv((low + high) / 2, low, high), Threshold(0.95, below, "")) == expected


def test_timings_stop_on_the_interval_width_alone() -> None:
    assert precise(iv(0.95, 0.945, 0.955))  # +/-0.5%, astride the threshold or not
    assert precise(iv(0.80, 0.795, 0.805))
    assert not precise(iv(0.80, 0.70, 0.90))  # decided, but not yet precise
    assert not precise(iv(0.95, -math.inf, math.inf))


def test_all_of_needs_every_part() -> None:
    assert all_of([SUPPORTED, SUPPORTED]) == SUPPORTED
    assert all_of([SUPPORTED, CANNOT_TELL]) == CANNOT_TELL
    assert all_of([CANNOT_TELL, NOT_SUPPORTED]) == NOT_SUPPORTED
    assert all_of([SUPPORTED, NOT_SUPPORTED]) == NOT_SUPPORTED


def blocks(center: float, noise: float, n: int, seed: int = 0) -> np.ndarray:
    """Per-block log ratios of a multiple of 32 over a neighbour: lognormal step times."""
    return np.random.default_rng(seed).normal(np.log(center), noise, n)


def test_a_timing_distribution_straddling_the_threshold_cannot_tell() -> None:
    ratio = ratio_interval(blocks(0.95, 0.03, 8))
    assert ratio.low < 0.95 < ratio.high
    verdict, evidence = speed_verdict(ratio, {"128 vs 127": 0.95}, "time limit reached")
    assert verdict == CANNOT_TELL and "straddles" in evidence and "time limit" in evidence


def test_a_timing_distribution_clearly_beyond_the_threshold_is_decided() -> None:
    fast = ratio_interval(blocks(0.80, 0.03, 6))
    assert speed_verdict(fast, {"128 vs 127": 0.8}, "decided")[0] == SUPPORTED
    slow = ratio_interval(blocks(1.00, 0.02, 6))
    assert speed_verdict(slow, {"128 vs 127": 1.0}, "decided")[0] == NOT_SUPPORTED
    assert speed_verdict(slow, {}, "decided")[0] == CANNOT_TELL  # no close pair measured


def test_timing_adds_blocks_until_precise_or_the_time_limit() -> None:
    torch.set_num_threads(1)
    small = {"lags": 2, "features": 1, "batch_sizes": (4,), "rounds": 2, "blocks": 2}
    found = time_pairs((31, 32), **small, seconds=600, enough=lambda i: i.n >= 4)
    assert (found.ratio.n, found.rounds, found.stopped) == (4, 8, PRECISE)
    assert found.pairs == ((4, 31, 32),) and set(found.step_ms) == {"4x31", "4x32"}
    assert found.ratio.low <= found.ratio.estimate <= found.ratio.high
    limited = time_pairs((31, 32), **small, seconds=0, enough=lambda i: False)
    assert (limited.ratio.n, limited.stopped) == (2, TIME_LIMIT)  # the first blocks always run
    alone = time_pairs((32,), **small, seconds=600, enough=lambda i: False)
    assert alone.pairs == () and math.isnan(alone.ratio.estimate)


def test_memory_rule_on_the_correlation_interval() -> None:
    verdict, evidence = memory_verdict(iv(0.9, 0.7, 1.0), (1, 2, 3), (1, 2, 4), (1, 2, 4), 0.5)
    assert verdict == SUPPORTED and "d=3: 4" in evidence
    assert memory_verdict(iv(0.6, 0.2, 0.9), (1, 2), (1, 2), (1, 2), 0.5)[0] == CANNOT_TELL
    assert memory_verdict(iv(0.0, 0.0, 0.0), (1, 2), (2, 2), (1, 2), 0.5)[0] == NOT_SUPPORTED
    verdict, evidence = memory_verdict(iv(0, 0, 0), (1, 2), (None, None), (1, 8), 0.5)
    assert verdict == CANNOT_TELL and "no width up to 8" in evidence


def test_gradients_rule_needs_both_stages() -> None:
    small, large, open_ = iv(0.1, 0.05, 0.2), iv(2.0, 1.0, 4.0), iv(0.6, 0.3, 1.2)
    assert gradients_verdict(4, 256, small, small)[0] == SUPPORTED
    assert gradients_verdict(4, 256, small)[0] == SUPPORTED  # no trained profile
    assert gradients_verdict(4, 256, small, large)[0] == NOT_SUPPORTED
    verdict, evidence = gradients_verdict(4, 256, small, open_)
    assert verdict == CANNOT_TELL and "256 units over 4" in evidence


def test_depth_rule_needs_deep_better_by_the_margin() -> None:
    deep, wide, means = "3-layer LSTM(16)", "LSTM(36)", (10.0, 11.0)
    assert depth_verdict(iv(-0.09, -0.12, -0.05), deep, wide, means)[0] == SUPPORTED
    assert depth_verdict(iv(-0.02, -0.05, 0.01), deep, wide, means)[0] == CANNOT_TELL
    verdict, evidence = depth_verdict(iv(0.0, -0.005, 0.004), deep, wide, means)
    assert verdict == NOT_SUPPORTED and "-0.5%" in evidence  # a tight tie: deep does not beat
    assert evidence == (
        "validation RMSE 3-layer LSTM(16) 10 vs LSTM(36) 11, a change of 0% (90% CI -0.5% to "
        "0.4%) over 6 seed x fold pairs: the whole interval is on the other side of the threshold"
    )
    assert depth_verdict(iv(math.nan, math.nan, math.nan), deep, wide, means)[0] == CANNOT_TELL


def test_linear_unit_rule_needs_no_gain_and_the_same_forecasts() -> None:
    same, different = iv(0.98, 0.97, 0.99, 100), iv(0.9, 0.85, 0.93, 100)
    worse, better = iv(0.4, 0.3, 0.5), iv(-0.1, -0.15, -0.05)
    assert linear_unit_verdict(worse, same, (28.0, 20.0))[0] == SUPPORTED
    assert linear_unit_verdict(better, same, (18.0, 20.0))[0] == NOT_SUPPORTED
    verdict, evidence = linear_unit_verdict(worse, different, (28.0, 20.0))
    assert verdict == NOT_SUPPORTED and "0.9" in evidence
    assert linear_unit_verdict(iv(0, -0.05, 0.05), same, (20.0, 20.0))[0] == CANNOT_TELL


def test_linear_series_rule() -> None:
    verdict, evidence = linear_series_verdict(
        iv(0.04, 0.02, 0.06), "LSTM(8)", "ARIMA", (1.05, 1.01)
    )
    assert verdict == SUPPORTED and "ARIMA" in evidence and "LSTM(8)" in evidence
    assert evidence == (
        "on a linear AR series, best LSTM LSTM(8) RMSE 1.05 vs best baseline ARIMA 1.01, a "
        "change of 4% (90% CI 2% to 6%) over 6 seed x fold pairs: the whole interval is on the "
        "claim's side of the threshold"
    )
    missing = linear_series_verdict(iv(math.nan, math.nan, math.nan), "LSTM(8)", "ARIMA", (1, 1))
    assert missing == (CANNOT_TELL, "LSTM(8) or ARIMA has no validation RMSE")
    assert linear_series_verdict(iv(-0.2, -0.3, -0.1), "LSTM(8)", "ARIMA", (0.8, 1.0))[0] == (
        NOT_SUPPORTED
    )


def test_paired_change_against_a_hand_computation() -> None:
    runs = pd.DataFrame(
        {"config": ["m"] * 4, "seed": [0, 1, 0, 1], "fold": [0, 0, 1, 1], "rmse": [9, 8, 12, 10]}
    )
    reference = pd.DataFrame({"fold": [0, 1], "rmse": [10.0, 10.0]})
    found = paired_change(runs, "m", reference, ("fold",))
    changes = np.array([-0.1, -0.2, 0.2, 0.0])
    half = 2.3533634 * changes.std(ddof=1) / 2  # t(0.95, 3) by table
    assert found.estimate == pytest.approx(changes.mean())
    assert (found.low, found.high) == pytest.approx((changes.mean() - half, changes.mean() + half))


def test_trend_interval_of_a_perfect_and_of_a_flat_trend() -> None:
    perfect = _trend_interval((1, 2, 3, 4, 5), (1, 2, 4, 8, None), seed=0)
    assert (perfect.estimate, perfect.low, perfect.high) == pytest.approx((1.0, 1.0, 1.0))
    flat = _trend_interval((1, 2, 3, 4), (4, 4, 4, 4), seed=0)
    assert (flat.estimate, flat.low, flat.high) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"gradient_units": (8, 4)}, "gradient_units"),
        ({"depth_layers": 1}, "depth_layers"),
        ({"seeds": 0}, "seeds"),
        ({"speed_seconds": 0.0}, "speed_seconds"),
        ({"speed_batch_sizes": ()}, "speed_batch_sizes"),
    ],
)
def test_settings_reject_bad_sizes(changes: dict[str, Any], named: str) -> None:
    with pytest.raises(OptionError, match=named):
        Settings(**changes)


def test_run_claims_fails_fast_on_short_data_and_bad_options() -> None:
    with pytest.raises(DataError, match="too short"):
        run_claims(get("seed"), lags=12)
    with pytest.raises(OptionError, match="lags"):
        run_claims(get("sine"), lags=0)


def test_run_claims_rejects_baselines_a_sweep_could_not_use_before_any_work(
    tmp_path: Path,
) -> None:
    with pytest.raises(OptionError, match=r"^baselines must be picklable"):
        run_claims(get("sine"), lags=4, workdir=tmp_path, baselines=lambda *_: [])
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_run_claims_returns_six_verdicts_and_a_json_round_trip(tmp_path: Path) -> None:
    torch.set_num_threads(1)
    data = get("sine", n=150)
    result = run_claims(data, lags=4, settings=TINY, workdir=tmp_path, baselines=numpy_only)
    assert isinstance(result, ClaimsResult) and not result.quick
    assert [c.claim for c in result.claims] == list(CLAIMS)
    for claim in result.claims:
        assert claim.verdict in VERDICTS and claim.evidence and claim.seconds > 0
    assert result.seconds >= sum(c.seconds for c in result.claims)
    assert {"deep-vs-wide", "linear-series"} <= {p.name for p in tmp_path.iterdir()}
    scored = pd.read_csv(tmp_path / "linear-series" / "baselines.csv")["model"]
    assert set(scored) == {b.name for b in numpy_only(4)}  # the baselines passed in
    assert list(result.table["verdict"]) == [c.verdict for c in result.claims]
    payload = result.to_dict()
    text = json.dumps(payload, allow_nan=False)
    assert json.loads(text) == payload
    (tmp_path / CLAIMS_FILE).write_text(text)
    rows = json.loads((tmp_path / CLAIMS_FILE).read_text())["claims"]
    assert {"claim", "verdict", "evidence", "numbers", "figures", "threshold"} <= set(rows[0])
    assert payload["environment"]["torch"] == torch.__version__
    assert payload["settings"]["memory_delays"] == [1, 3]
    speed = payload["claims"][1]
    assert set(speed["numbers"]["step_ms"]) == {"32x127", "32x128"}
    assert speed["numbers"]["lags"] == 4 and speed["numbers"]["stopped"] in (PRECISE, TIME_LIMIT)
    assert speed["numbers"]["blocks"] >= TINY.speed_blocks
    ratio = speed["figures"]["time per FLOP"]
    assert ratio["unit"] == "x" and ratio["low"] <= ratio["estimate"] <= ratio["high"]
    assert "5% less time per FLOP" in speed["threshold"]
    depth = result.claims[3]
    assert "scaled down" in depth.tested and "3 x 128" in depth.tested
    # every training followed the sweep's protocol: the rate was chosen among the candidates
    assert result.claims[4].numbers["lr"] in (1e-3, 3e-3, 1e-2)
