"""Tests for the bootstrap of the paired one-standard-error rule."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from lstmsizer.errors import DataError, OptionError
from lstmsizer.stability import Stability, bootstrap


def cell_runs(
    values: dict[str, list[float]], parameters: dict[str, int], folds: int = 3
) -> pd.DataFrame:
    """Runs given as config -> rmse per cell; cell k is seed k // folds, fold k % folds."""
    return pd.DataFrame(
        [
            {
                "config": c,
                "seed": k // folds,
                "fold": k % folds,
                "rmse": r,
                "parameters": parameters[c],
            }
            for c, rmses in values.items()
            for k, r in enumerate(rmses)
        ]
    )


def exchangeable(seed: int = 1) -> pd.DataFrame:
    """Two configs of equal size: per cell one is ahead by a_i, and in a twin cell the other.

    Swapping each cell with its twin maps a resample where "a" has the lower mean to one
    where "b" has, with the same probability: each is the best, so recommended, half the time.
    """
    rng = np.random.default_rng(seed)
    base = rng.uniform(10, 40, size=10)
    gaps = np.repeat([0.3, 0.5, 0.7, 1.1, 1.3], 2) * np.tile([1, -1], 5)
    values = {"a": list(base + gaps / 2), "b": list(base - gaps / 2)}
    return cell_runs(values, {"a": 100, "b": 100}, folds=2)


def reference_rule(m: np.ndarray, parameters: np.ndarray) -> int:
    """The paired one-SE rule written out, one configuration at a time, for complete cells."""
    n = m.shape[1]
    means = [float(np.mean(row)) for row in m]
    best = min(range(len(m)), key=lambda c: (means[c], parameters[c], c))
    within = []
    for c in range(len(m)):
        d = m[c] - m[best]
        se = 0.0 if c == best else float(np.std(d, ddof=1)) / math.sqrt(n)
        if c == best or float(np.mean(d)) <= se:
            within.append(c)
    return min(within, key=lambda c: (parameters[c], means[c], c))


def test_a_dominant_configuration_is_picked_by_every_resample() -> None:
    rng = np.random.default_rng(0)
    hard = rng.uniform(10, 30, size=9)
    values = {"small": list(hard), "mid": list(hard + 0.5), "big": list(hard + 1.0)}
    out = bootstrap(cell_runs(values, {"small": 10, "mid": 100, "big": 1000}))
    assert isinstance(out, Stability)
    assert (out.chosen, out.chosen_share, out.cells, out.resamples) == ("small", 1.0, 9, 1000)
    assert out.shares == {"big": 0.0, "mid": 0.0, "small": 1.0}
    assert (out.runner_up, out.runner_up_share) == (None, 0.0)


def test_exchangeable_configurations_split_the_resamples() -> None:
    out = bootstrap(exchangeable(), "a")
    assert 0.4 <= out.shares["a"] <= 0.6
    assert out.shares["a"] + out.shares["b"] == pytest.approx(1.0)
    assert (out.chosen_share, out.runner_up, out.runner_up_share) == (
        out.shares["a"], "b", out.shares["b"]
    )  # fmt: skip


def test_same_seed_same_shares_other_seeds_differ() -> None:
    runs = exchangeable()
    first = bootstrap(runs, "a", seed=5)
    assert bootstrap(runs, "a", seed=5) == first
    assert first.seed == 5
    others = {bootstrap(runs, "a", seed=s).shares["a"] for s in range(6)}
    assert len(others) > 1
    assert bootstrap(runs, "a", seed=-3).seed == -3  # a sweep's seed may be negative


def test_vectorised_bootstrap_matches_a_loop_over_resamples() -> None:
    # resample r takes the cells rng.integers(0, cells, size=(resamples, cells))[r]
    rng = np.random.default_rng(11)
    configs = ["c0", "c1", "c2", "c3", "c4"]
    parameters = np.array([50, 50, 200, 400, 800])
    m = rng.normal(10, 1, size=(5, 9)) + rng.uniform(0, 10, size=9) - np.arange(5)[:, None] * 0.3
    runs = cell_runs(
        dict(zip(configs, m.tolist(), strict=True)),
        dict(zip(configs, parameters.tolist(), strict=True)),
    )
    out = bootstrap(runs, "c0", resamples=300, seed=4)
    draws = np.random.default_rng(4).integers(0, 9, size=(300, 9))
    picks = [configs[reference_rule(m[:, cells], parameters)] for cells in draws]
    assert out.shares == {c: picks.count(c) / 300 for c in configs}
    assert len({c for c in picks}) > 1  # the case is not trivial


def test_only_complete_cells_and_configs_with_a_success_count() -> None:
    values = {
        "a": [10.0, 11.0, np.nan, 12.0, 13.0, 14.0],
        "b": [12.0, 13.0, 14.0, np.inf, 15.0, 16.0],
        "dead": [np.nan] * 6,
    }
    out = bootstrap(cell_runs(values, {"a": 10, "b": 20, "dead": 1}), "a")
    assert out.cells == 4  # cells 2 and 3 each lack one configuration's result
    assert set(out.shares) == {"a", "b"} and out.chosen_share == 1.0
    gaps = {"a": [10.0, np.nan, 12.0], "b": [np.nan, 11.0, np.nan]}
    none = bootstrap(cell_runs(gaps, {"a": 10, "b": 20}), "a")
    assert none.cells == 0 and math.isnan(none.chosen_share) and none.runner_up is None


def test_default_chosen_is_the_rule_on_every_run() -> None:
    values = {"a": [10.0, 10.5, 11.0, 12.0], "b": [9.0, 9.5, 10.0, 11.0]}
    out = bootstrap(cell_runs(values, {"a": 10, "b": 20}, folds=2))
    assert out.chosen == "b" and out.chosen_share == 1.0  # a is 1 worse in every cell


def test_bad_arguments_name_themselves() -> None:
    runs = exchangeable()
    with pytest.raises(OptionError, match="resamples"):
        bootstrap(runs, resamples=0)
    with pytest.raises(OptionError, match="chosen"):
        bootstrap(runs, "zzz")
    with pytest.raises(OptionError, match="seed"):
        bootstrap(runs, seed=1.5)  # type: ignore[arg-type]
    with pytest.raises(DataError, match="one row per config, seed and fold"):
        bootstrap(pd.concat([runs, runs.iloc[:1]]))
    with pytest.raises(DataError, match="parameters"):
        bootstrap(runs.drop(columns="parameters"))


def test_module_imports_neither_torch_nor_optuna() -> None:
    code = (
        "import sys, lstmsizer.stability, lstmsizer.onese; "
        "print(sorted(m for m in ('torch', 'optuna') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
