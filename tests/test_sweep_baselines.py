"""Baselines passed to a sweep: scored on its folds and test share, and checked before training."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from numpy.typing import ArrayLike, NDArray

from lstmsizer.baselines import Naive
from lstmsizer.config import WindowSpec
from lstmsizer.datasets import get
from lstmsizer.errors import OptionError
from lstmsizer.splits import rolling_origin_folds
from lstmsizer.sweeping import sweep

TINY: dict[str, Any] = dict(
    lags=4, units=(2, 3), layers=(1,), seeds=1, folds=2, epochs=1, patience=None, lr=0.01
)


class TrainingMean:
    """Forecasts the mean of the training part at every origin and step."""

    def __init__(self, horizon: int = 1) -> None:
        self.horizon = horizon
        self.name = "training mean"

    def fit(
        self, y: ArrayLike, X: ArrayLike | None = None, *, train_end: int | None = None
    ) -> TrainingMean:
        self.mean_ = float(np.mean(np.asarray(y, dtype=np.float64)[:train_end]))
        return self

    def predict(
        self, y: ArrayLike, origins: ArrayLike, X: ArrayLike | None = None
    ) -> NDArray[np.float64]:
        return np.full((len(np.asarray(origins)), self.horizon), self.mean_)


def mean_and_naive(lags: int, horizon: int = 1, period: int | None = None) -> list[Any]:
    """A baseline factory at module level, so that it pickles for the worker processes."""
    return [TrainingMean(horizon), Naive(horizon)]


def _rmse(y: NDArray[np.float64], train_end: int, origins: NDArray[np.int64], model: str) -> float:
    """A direct numpy RMSE of one baseline's one-step forecasts at the origins."""
    forecast = np.mean(y[:train_end]) if model == "training mean" else y[origins - 1]
    return float(np.sqrt(np.mean((y[origins] - forecast) ** 2)))


@pytest.mark.slow
def test_baselines_passed_in_are_scored_on_every_fold_and_the_test_share(tmp_path: Path) -> None:
    data = get("sine", n=150)
    # two workers: the factory travels to spawned processes with the sweep's job
    result = sweep(data, out=tmp_path, workers=2, progress=False, baselines=mean_and_naive, **TINY)
    y = data.values
    test_fraction = result.info["spec"]["test_fraction"]
    folds, test = rolling_origin_folds(len(y), WindowSpec(4), 2, test_fraction)
    scored = pd.read_csv(tmp_path / "baselines.csv")
    assert list(scored["model"]) == ["training mean", "naive"] * len(folds)
    for row in scored.itertuples():
        split = folds[int(row.fold)]
        expected = _rmse(y, split.train_end, split.val_origins, str(row.model))
        assert math.isclose(float(row.rmse), expected, rel_tol=1e-12)
    tested = pd.read_csv(tmp_path / "test.csv").set_index("model")
    for model in ("training mean", "naive"):
        expected = _rmse(y, test.train_end, test.val_origins, model)
        assert math.isclose(float(tested.loc[model, "rmse"]), expected, rel_tol=1e-12)
    assert set(result.baselines["model"]) == {"training mean", "naive"}


def wrong_horizon(lags: int, horizon: int = 1, period: int | None = None) -> list[Any]:
    return [Naive(horizon + 1)]


def twice_naive(lags: int, horizon: int = 1, period: int | None = None) -> list[Any]:
    return [Naive(horizon), Naive(horizon)]


def not_a_list(lags: int, horizon: int = 1, period: int | None = None) -> Any:
    return Naive(horizon)


def not_forecasters(lags: int, horizon: int = 1, period: int | None = None) -> list[Any]:
    return ["naive"]


@pytest.mark.parametrize(
    ("baselines", "said"),
    [
        (lambda lags, horizon, period: [Naive(horizon)], "must be picklable"),
        (mean_and_naive(4), "must be a callable"),
        (wrong_horizon, "must forecast horizon 1, got 'naive' with horizon 2"),
        (twice_naive, "must have distinct names"),
        (not_a_list, "must return a sequence of forecasters, got 'Naive'"),
        (not_forecasters, "must be forecasters .* got a str"),
    ],
)
def test_a_bad_baseline_factory_fails_in_one_line_before_any_study(
    tmp_path: Path, baselines: Any, said: str
) -> None:
    with pytest.raises(OptionError, match=f"^baselines {said}") as info:
        sweep(get("sine", n=150), out=tmp_path / "run", workers=1, baselines=baselines, **TINY)
    assert "\n" not in str(info.value)
    assert not (tmp_path / "run").exists()
