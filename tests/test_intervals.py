"""Tests for the confidence intervals: against scipy's formulas and by simulated coverage."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from lstmsizer.errors import OptionError
from lstmsizer.intervals import (
    Interval,
    bootstrap_interval,
    correlation,
    correlation_interval,
    describe,
    ratio_interval,
    t_interval,
    widen_ratio,
)


def test_t_interval_matches_scipy() -> None:
    x = np.array([1.2, 0.7, 1.9, 1.1, 0.4, 1.6])
    found = t_interval(x, level=0.9)
    low, high = stats.t.interval(0.9, x.size - 1, loc=x.mean(), scale=stats.sem(x))
    assert (found.estimate, found.n, found.method) == (pytest.approx(x.mean()), 6, "t")
    assert (found.low, found.high) == pytest.approx((low, high))


def test_t_interval_of_one_or_no_value_is_open() -> None:
    one = t_interval([2.0])
    assert (one.estimate, one.low, one.high) == (2.0, -math.inf, math.inf)
    none = t_interval([math.nan])
    assert math.isnan(none.estimate) and none.n == 0


def test_ratio_interval_covers_the_true_ratio_at_about_the_nominal_rate() -> None:
    # step times lognormal around known medians: per-block log ratios are normal around
    # log(true ratio), so a 90% interval should hold the true ratio about 90% of the time
    rng = np.random.default_rng(1)
    true, hits, draws = 0.93, 0, 2000
    for _ in range(draws):
        common = rng.normal(0, 0.3, 6)  # load that hits both sizes of a block alike
        a = np.exp(common + rng.normal(0, 0.02, 6))
        b = true * np.exp(common + rng.normal(0, 0.02, 6))
        found = ratio_interval(np.log(b / a), level=0.9)
        hits += found.low <= true <= found.high
    assert 0.87 <= hits / draws <= 0.93


def test_t_interval_covers_the_mean_at_the_nominal_rate() -> None:
    rng = np.random.default_rng(2)
    hits = sum(
        (i := t_interval(rng.normal(-0.02, 0.05, 6), level=0.9)).low <= -0.02 <= i.high
        for _ in range(2000)
    )
    assert 0.87 <= hits / 2000 <= 0.93


def test_correlation_interval_covers_a_known_correlation() -> None:
    rng = np.random.default_rng(3)
    rho, hits, draws = 0.8, 0, 200
    cov = [[1, rho], [rho, 1]]
    for k in range(draws):
        a, b = rng.multivariate_normal([0, 0], cov, 80).T
        found = correlation_interval(a, b, seed=k, level=0.9)
        hits += found.low <= rho <= found.high
    assert 0.82 <= hits / draws <= 0.96


def test_correlation_matches_numpy_and_scipy() -> None:
    a, b = np.array([1.0, 2, 3, 4, 10]), np.array([2.0, 1, 4, 3, 5])
    assert correlation(a, b) == pytest.approx(np.corrcoef(a, b)[0, 1])
    assert correlation(a, b, "spearman") == pytest.approx(stats.spearmanr(a, b).statistic)
    assert math.isnan(correlation(a, np.ones(5)))
    with pytest.raises(OptionError, match="method"):
        correlation(a, b, "kendall")


def test_bootstrap_keeps_pairs_together_and_is_seeded() -> None:
    pairs = np.column_stack([np.arange(20.0), np.arange(20.0) * 2])
    found = bootstrap_interval(pairs, lambda p: float(np.mean(p[:, 1] / np.maximum(p[:, 0], 1))))
    assert found.low == found.high == pytest.approx(2.0, abs=0.2) or found.low <= 2 <= found.high
    again = bootstrap_interval(pairs, lambda p: float(np.mean(p[:, 1] / np.maximum(p[:, 0], 1))))
    assert (found.low, found.high) == (again.low, again.high)
    with pytest.raises(OptionError, match="level"):
        bootstrap_interval(pairs, lambda p: 0.0, level=1.5)


def test_interval_round_trips_through_json_values_and_reads_well() -> None:
    interval = Interval(0.96, 0.94, 0.98, 0.9, "bootstrap", 30)
    assert Interval.from_dict(interval.to_dict()) == interval
    opened = Interval(1.0, -math.inf, math.inf, 0.9, "t", 1)
    assert opened.to_dict()["low"] is None and Interval.from_dict(opened.to_dict()) == opened
    assert describe(interval, "x") == "0.96x (90% CI 0.94x to 0.98x)"
    assert describe(Interval(math.nan, math.nan, math.nan, 0.9, "t", 0)) == "not measured"


def test_widen_ratio_adds_the_drift_in_quadrature_in_log_terms() -> None:
    one_run = Interval(1.0, math.exp(-0.03), math.exp(0.03), 0.9, "t", 8)
    wider = widen_ratio(one_run, math.expm1(0.04))  # log halves 0.03 and 0.04 make 0.05
    assert (wider.low, wider.high) == pytest.approx((math.exp(-0.05), math.exp(0.05)))
    assert wider.estimate == 1.0 and wider.n == 8
    assert widen_ratio(one_run, 0.0) == one_run
    opened = widen_ratio(Interval(0.9, 0.0, math.inf, 0.9, "t", 1), 0.03)
    assert (opened.low, opened.high) == (0.0, math.inf)
