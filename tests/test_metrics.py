"""Tests of lstmsizer.metrics: hand-computed values, MASE scaling and input errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lstmsizer.errors import OptionError
from lstmsizer.metrics import METRICS, mae, mase, rmse, score, smape

TRUE = [1.0, 2.0, 3.0]
PRED = [2.0, 2.0, 5.0]  # errors 1, 0, 2


def test_mae_by_hand() -> None:
    assert mae(TRUE, PRED) == pytest.approx(1.0)


def test_rmse_by_hand() -> None:
    assert rmse(TRUE, PRED) == pytest.approx(math.sqrt(5.0 / 3.0))


def test_smape_by_hand_in_percent() -> None:
    # 200 * 1 / 3, 0, 200 * 2 / 8
    assert smape(TRUE, PRED) == pytest.approx((200.0 / 3.0 + 0.0 + 50.0) / 3.0)


def test_smape_counts_zero_over_zero_as_perfect() -> None:
    assert smape([0.0, 2.0], [0.0, 2.0]) == 0.0
    assert smape([0.0, 0.0], [0.0, 1.0]) == pytest.approx(100.0)  # (0 + 200) / 2


def test_mase_lag_one_scale() -> None:
    # naive in-sample errors |3-1|, |2-3|, |4-2| -> scale 5/3; MAE 1.
    assert mase(TRUE, PRED, y_train=[1.0, 3.0, 2.0, 4.0]) == pytest.approx(0.6)


def test_mase_uses_the_seasonal_lag() -> None:
    train = [1.0, 3.0, 2.0, 4.0, 3.0]
    # season 2: |2-1|, |4-3|, |3-2| -> scale 1, so MASE equals MAE.
    assert mase(TRUE, PRED, y_train=train, season=2) == pytest.approx(1.0)
    # season 1: |2|, |1|, |2|, |1| -> scale 1.5.
    assert mase(TRUE, PRED, y_train=train, season=1) == pytest.approx(1.0 / 1.5)


def test_mase_with_zero_scale_is_inf_or_nan() -> None:
    assert mase(TRUE, PRED, y_train=[2.0, 2.0, 2.0]) == math.inf
    assert math.isnan(mase(TRUE, TRUE, y_train=[2.0, 2.0, 2.0]))


def test_mase_needs_a_long_enough_training_series() -> None:
    with pytest.raises(OptionError, match="y_train is required"):
        mase(TRUE, PRED)
    with pytest.raises(OptionError, match="longer than season=3"):
        mase(TRUE, PRED, y_train=[1.0, 2.0, 3.0], season=3)
    with pytest.raises(OptionError, match="y_train must not contain NaN"):
        mase(TRUE, PRED, y_train=[1.0, np.nan, 3.0])


def test_any_shape_is_flattened() -> None:
    true = np.arange(6.0).reshape(3, 2)
    pred = true + np.array([[1.0, -1.0], [0.0, 0.0], [2.0, 0.0]])
    assert mae(true, pred) == pytest.approx(mae(true.ravel(), pred.ravel()))
    assert rmse(true, pred) == pytest.approx(math.sqrt(6.0 / 6.0))


def test_shape_mismatch_names_both_shapes() -> None:
    with pytest.raises(OptionError, match=r"\(3,\) and \(3, 1\)"):
        rmse(np.zeros(3), np.zeros((3, 1)))


@pytest.mark.parametrize("name", list(METRICS))
def test_nan_and_empty_inputs_are_rejected(name: str) -> None:
    metric = METRICS[name]
    with pytest.raises(OptionError, match="y_pred must not contain NaN"):
        metric([1.0, 2.0], [1.0, np.nan], y_train=[1.0, 2.0, 4.0])
    with pytest.raises(OptionError, match="y_true must not contain NaN"):
        metric([np.nan, 2.0], [1.0, 2.0], y_train=[1.0, 2.0, 4.0])
    with pytest.raises(OptionError, match="must not be empty"):
        metric([], [], y_train=[1.0, 2.0, 4.0])
    with pytest.raises(OptionError, match="season must be an integer >= 1"):
        metric([1.0], [1.0], y_train=[1.0, 2.0, 4.0], season=0)


def test_score_returns_every_metric_in_order() -> None:
    train = [1.0, 3.0, 2.0, 4.0]
    result = score(TRUE, PRED, y_train=train)
    assert list(result) == ["mae", "rmse", "mase", "smape"] == list(METRICS)
    assert result["mae"] == mae(TRUE, PRED)
    assert result["mase"] == mase(TRUE, PRED, y_train=train)
    assert all(isinstance(value, float) for value in result.values())
