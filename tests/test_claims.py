"""Tests for the forum-claims check: each verdict rule on constructed numbers, and one real run."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from helpers import TINY, patch_sweep_baselines

from lstmsizer.claims import (
    CLAIMS_FILE,
    INCONCLUSIVE,
    NOT_SUPPORTED,
    SUPPORTED,
    VERDICTS,
    ClaimsResult,
    Settings,
    depth_verdict,
    gradients_verdict,
    linear_series_verdict,
    linear_unit_verdict,
    memory_verdict,
    run_claims,
    speed_verdict,
)
from lstmsizer.datasets import get
from lstmsizer.diagnostics import width_trend
from lstmsizer.errors import DataError, OptionError

CLAIMS = (
    "more units for longer windows",
    "multiples of 32 are faster",
    "wide layers make gradients vanish",
    "3 x 128 beats 1 x 512",
    "one unit is a linear regressor",
    "a linear series needs no LSTM",
)


def memory(smallest: tuple[int | None, ...], widths: tuple[int, ...] = (1, 2, 4, 8)) -> str:
    delays = tuple(range(1, len(smallest) + 1))
    rho, _ = width_trend(smallest, delays)
    return memory_verdict(delays, smallest, rho, widths, 0.5)[0]


def test_memory_supported_when_the_width_grows_with_the_delay() -> None:
    assert memory((1, 2, 4, 8)) == SUPPORTED
    assert memory((1, 2, 4, 8, 8, 4)) == SUPPORTED  # the run on the defaults: rho 0.74
    assert memory((1, 2, None)) == SUPPORTED  # no width sufficed: needs more than 8


def test_memory_not_supported_when_flat_or_falling() -> None:
    assert memory((2, 2, 2)) == NOT_SUPPORTED  # correlation NaN: one width for every delay
    assert memory((8, 4, 2, 1)) == NOT_SUPPORTED
    verdict, evidence = memory_verdict((1, 2), (4, 4), math.nan, (1, 4), 0.5)
    assert verdict == NOT_SUPPORTED and "same width" in evidence


def test_memory_inconclusive_when_never_reached_or_weak() -> None:
    verdict, evidence = memory_verdict((1, 2, 3), (None, None, None), math.nan, (1, 8), 0.5)
    assert verdict == INCONCLUSIVE and "no width up to 8" in evidence
    assert memory_verdict((1, 2, 3), (1, 4, 2), 0.49, (1, 2, 4), 0.5)[0] == INCONCLUSIVE
    assert memory_verdict((1, 2, 3), (1, 4, 2), 0.5, (1, 2, 4), 0.5)[0] == SUPPORTED
    assert memory_verdict((1, 2, 3), (1, 4, 1), 0.6, (1, 2, 4), 0.5)[0] == NOT_SUPPORTED


def pair(a: int, b: int, per_flop: float, flop_ratio: float = 1.02) -> dict[str, Any]:
    return {"a": a, "b": b, "flop_ratio": flop_ratio, "time_per_flop_ratio": per_flop}


@pytest.mark.parametrize(
    ("ratios", "expected", "says"),
    [
        ((0.90, 0.92, 0.94), SUPPORTED, "faster"),
        ((0.949, 0.949, 0.949), SUPPORTED, "faster"),
        ((0.95, 0.95, 0.95), NOT_SUPPORTED, "within"),
        ((1.05, 1.00, 0.97), NOT_SUPPORTED, "within"),
        ((1.10, 1.20, 0.90), NOT_SUPPORTED, "slower"),
    ],
)
def test_speed_rule_uses_the_median_of_close_pairs(
    ratios: tuple[float, ...], expected: str, says: str
) -> None:
    comparisons = [pair(a, 128, r) for a, r in zip((127, 129, 130), ratios, strict=True)]
    comparisons.append(pair(100, 128, 0.5, flop_ratio=1.6))  # far pair: never counted
    verdict, evidence = speed_verdict(comparisons)
    assert verdict == expected and says in evidence


def test_speed_inconclusive_without_close_pairs() -> None:
    assert speed_verdict([])[0] == INCONCLUSIVE
    assert speed_verdict([pair(100, 128, 0.5, flop_ratio=1.6)])[0] == INCONCLUSIVE


def test_gradients_rule_compares_wide_with_narrow() -> None:
    assert gradients_verdict(4, 256, 0.1, 0.04, 0.2, 0.05)[0] == SUPPORTED
    assert gradients_verdict(4, 256, 0.1, 0.05, 0.2, 0.1)[0] == NOT_SUPPORTED  # 0.5x exactly
    verdict, evidence = gradients_verdict(4, 256, 7e-5, 3e-3, 2e-4, 3e-3)
    assert verdict == NOT_SUPPORTED and "4 units" in evidence and "256" in evidence
    assert gradients_verdict(4, 256, 0.1, 0.01, 0.1, 0.2)[0] == INCONCLUSIVE  # stages disagree


def test_gradients_rule_without_a_trained_profile_or_with_missing_numbers() -> None:
    assert gradients_verdict(4, 256, 0.1, 0.01)[0] == SUPPORTED
    assert gradients_verdict(4, 256, 0.1, 0.01, math.nan, 0.2)[0] == SUPPORTED
    assert gradients_verdict(4, 256, math.nan, 0.01)[0] == INCONCLUSIVE
    assert gradients_verdict(4, 256, 0.0, 0.01)[0] == INCONCLUSIVE


def test_depth_rule_needs_deep_better_by_more_than_one_se() -> None:
    deep, wide = "3-layer LSTM(16)", "LSTM(36)"
    assert depth_verdict(deep, 10.0, 0.3, wide, 11.0, 0.4)[0] == SUPPORTED  # -1 vs SE 0.5
    verdict, evidence = depth_verdict(deep, 10.5, 0.3, wide, 11.0, 0.4)  # -0.5: exactly one SE
    assert verdict == NOT_SUPPORTED and "tie" in evidence and "beats" in evidence
    verdict, evidence = depth_verdict(deep, 12.0, 0.3, wide, 11.0, 0.4)
    assert verdict == NOT_SUPPORTED and "wide better" in evidence
    assert depth_verdict(deep, math.nan, 0.3, wide, 11.0, 0.4)[0] == INCONCLUSIVE


def test_linear_unit_rule() -> None:
    assert linear_unit_verdict(20.5, 0.5, 20.0, 0.97)[0] == SUPPORTED
    assert linear_unit_verdict(29.0, 0.5, 20.0, 0.99)[0] == SUPPORTED  # worse, same shape
    assert linear_unit_verdict(19.5, 0.5, 20.0, 0.99)[0] == SUPPORTED  # better by one SE only
    verdict, evidence = linear_unit_verdict(18.0, 0.5, 20.0, 0.99)
    assert verdict == NOT_SUPPORTED and "beats linear AR" in evidence
    verdict, evidence = linear_unit_verdict(29.9, 0.57, 20.06, 0.91)
    assert verdict == NOT_SUPPORTED and "different model" in evidence
    assert linear_unit_verdict(20.5, 0.5, 20.0, 0.95)[0] == NOT_SUPPORTED  # boundary excluded
    assert linear_unit_verdict(math.nan, 0.5, 20.0, 0.99)[0] == INCONCLUSIVE


def test_linear_series_rule() -> None:
    verdict, evidence = linear_series_verdict(False, "LSTM(8)", 1.03, "ARIMA", 1.01)
    assert verdict == SUPPORTED and "ARIMA" in evidence and "LSTM(8)" in evidence
    assert linear_series_verdict(True, "LSTM(8)", 0.8, "ARIMA", 1.01)[0] == NOT_SUPPORTED


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"gradient_units": (8, 4)}, "gradient_units"),
        ({"depth_layers": 1}, "depth_layers"),
        ({"seeds": 0}, "seeds"),
        ({"lr": 0.0}, "lr"),
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


@pytest.fixture
def numpy_baselines(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Leave out ETS and ARIMA, which take seconds to fit, from the sweeps' baselines."""

    patch_sweep_baselines(monkeypatch)
    yield


@pytest.mark.slow
@pytest.mark.usefixtures("numpy_baselines")
def test_run_claims_returns_six_verdicts_and_a_json_round_trip(tmp_path: Path) -> None:
    torch.set_num_threads(1)
    result = run_claims(get("sine", n=150), lags=4, settings=TINY, workdir=tmp_path)
    assert isinstance(result, ClaimsResult) and not result.quick
    assert [c.claim for c in result.claims] == list(CLAIMS)
    for claim in result.claims:
        assert claim.verdict in VERDICTS and claim.evidence and claim.seconds > 0
    assert result.seconds >= sum(c.seconds for c in result.claims)
    assert {"deep-vs-wide", "linear-series"} <= {p.name for p in tmp_path.iterdir()}
    assert list(result.table["verdict"]) == [c.verdict for c in result.claims]
    payload = result.to_dict()
    text = json.dumps(payload, allow_nan=False)
    assert json.loads(text) == payload
    (tmp_path / CLAIMS_FILE).write_text(text)
    rows = json.loads((tmp_path / CLAIMS_FILE).read_text())["claims"]
    assert {"claim", "verdict", "evidence", "numbers"} <= set(rows[0])
    assert payload["environment"]["torch"] == torch.__version__
    assert payload["settings"]["memory_delays"] == [1, 3]
    speed = payload["claims"][1]["numbers"]
    assert set(speed["step_ms"]) == {"127", "128"} and speed["lags"] == 4
