"""Unit ablation of the last layer: exact zero effects, importance order, greedy removal."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from lstmsizer.config import ModelSpec, TrainSpec, WindowSpec
from lstmsizer.datasets import get
from lstmsizer.diagnostics import Probe, head_ablation, unit_ablation
from lstmsizer.errors import OptionError
from lstmsizer.forecaster import LSTMForecaster
from lstmsizer.metrics import rmse
from lstmsizer.splits import Scaler

torch.set_num_threads(1)

ORIGINS = np.arange(96, 120)


@pytest.fixture()
def fitted() -> tuple[LSTMForecaster, np.ndarray]:
    data = get("sine", n=120)
    train = TrainSpec(epochs=5, seed=0, progress=False)
    model = LSTMForecaster(WindowSpec(4), ModelSpec(units=6), train)
    return model.fit(data.values, train_end=96), data.values


def test_base_rmse_is_the_forecasters_rmse_on_the_original_scale(
    fitted: tuple[LSTMForecaster, np.ndarray],
) -> None:
    model, y = fitted
    found = unit_ablation(Probe(model, y, ORIGINS))
    expected = rmse(y[ORIGINS], model.predict(y, ORIGINS)[:, 0])
    assert found.base_rmse == pytest.approx(expected, rel=1e-5)
    assert found.removal_rmse[0] == found.base_rmse
    assert found.units == 6 and found.windows == 24
    assert sorted(found.order) == list(range(6))
    assert len(found.removal_rmse) == 7
    json.dumps(found.to_dict(), allow_nan=False)


def test_a_unit_the_head_ignores_changes_nothing_and_goes_first(
    fitted: tuple[LSTMForecaster, np.ndarray],
) -> None:
    model, y = fitted
    assert model.net_ is not None
    with torch.no_grad():
        model.net_.head.weight[:, 3] = 0.0
    found = unit_ablation(Probe(model, y, ORIGINS))
    assert found.rmse_delta[3] == 0.0
    assert found.importance[3] == 0.0
    assert found.order[0] == 3
    assert found.removal_rmse[1] == found.base_rmse
    assert found.removable >= 1
    assert all(v > 0 for j, v in enumerate(found.importance) if j != 3)


def test_zeroing_a_head_column_is_zeroing_the_unit(
    fitted: tuple[LSTMForecaster, np.ndarray],
) -> None:
    model, y = fitted
    before = unit_ablation(Probe(model, y, ORIGINS))
    assert model.net_ is not None
    with torch.no_grad():
        model.net_.head.weight[:, 1] = 0.0
    pred = model.predict(y, ORIGINS)[:, 0]
    assert rmse(y[ORIGINS], pred) - before.base_rmse == pytest.approx(
        before.rmse_delta[1], abs=1e-5
    )


def test_greedy_removal_keeps_the_units_that_matter() -> None:
    rng = np.random.default_rng(0)
    states = rng.standard_normal((200, 6))
    weight = np.array([[2.0, -1.5, 1e-4, -1e-4, 2e-4, 0.0]])  # (H=1, U=6)
    target = states @ weight[0] + 0.5 + rng.standard_normal(200)  # noise RMSE about 1
    found = head_ablation(states, weight, [0.5], target[:, None])
    assert found.order[0] == 5
    assert set(found.order[:4]) == {2, 3, 4, 5}
    assert found.removable == 4 and found.used == 2
    assert found.statement == "4 of 6 units can be removed with under 1% RMSE increase"
    assert (np.asarray(found.removal_rmse[5:]) > found.base_rmse * 1.01).all()


def test_removal_uses_the_scaler_and_tolerance() -> None:
    rng = np.random.default_rng(1)
    states = rng.standard_normal((100, 3))
    weight = np.array([[1.0, 0.1, 0.01]])
    scaler = Scaler.fit(rng.standard_normal(50) * 10 + 3, "standard")
    exact = scaler.inverse_transform(states @ weight[0], column=0)[:, None]
    noisy = exact + rng.standard_normal((100, 1))
    perfect = head_ablation(states, weight, [0.0], exact, scaler, tolerance=0.5)
    assert perfect.base_rmse == pytest.approx(0.0, abs=1e-12)
    assert perfect.removable == 0 and perfect.used == 3  # every removal adds error
    loose = head_ablation(states, weight, [0.0], noisy, scaler, tolerance=1e6)
    assert loose.base_rmse == pytest.approx(float(np.sqrt(np.mean((noisy - exact) ** 2))))
    assert loose.removable == 3 and loose.used == 0
    # the scale of the target is the scaler's: unit 0 moves forecasts by about 10 x 1.0
    assert loose.importance[0] == pytest.approx(scaler.scale_[0] * np.std(states[:, 0]), rel=0.1)
    with pytest.raises(OptionError, match="tolerance"):
        head_ablation(states, weight, [0.0], noisy, scaler, tolerance=-0.1)
