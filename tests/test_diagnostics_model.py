"""diagnose_model bundles capacity, ablation and gradients of one fitted forecaster."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from lstmsizer.config import ModelSpec, TrainSpec, WindowSpec
from lstmsizer.datasets import get
from lstmsizer.diagnostics import diagnose_model, model_capacity, model_gradients, unit_ablation
from lstmsizer.forecaster import LSTMForecaster

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> tuple[LSTMForecaster, np.ndarray]:
    data = get("delay", n=150, d=2)
    train = TrainSpec(epochs=3, seed=1, progress=False)
    model = LSTMForecaster(WindowSpec(4, horizon=2), ModelSpec("gru", units=5), train)
    model.fit(data.values, data.features, train_end=120)
    path = model.save(tmp_path_factory.mktemp("model") / "model.pt")
    return LSTMForecaster.load(path), data.features


def test_diagnose_model_bundles_every_diagnostic(
    fitted: tuple[LSTMForecaster, np.ndarray],
) -> None:
    model, X = fitted
    y = get("delay", n=150, d=2).values
    origins = np.arange(120, 149)  # the last origin whose two-step horizon lies inside y
    found = diagnose_model(model, y, origins, X, at_init=True)
    assert (found.model, found.cell, found.units, found.layers) == ("GRU(5)", "gru", 5, 1)
    assert found.parameters == model.num_parameters() and found.lags == 4
    assert found.capacity == model_capacity(model, y, origins, X)
    assert found.ablation == unit_ablation(model, y, origins, X)
    assert found.gradients == model_gradients(model, y, origins, X)
    assert found.gradients_init == model_gradients(model, y, origins, X, at_init=True)
    expected = np.sqrt(np.mean((model.predict(y, origins, X) - y[origins[:, None] + [0, 1]]) ** 2))
    assert found.rmse == pytest.approx(expected, rel=1e-5)
    plain = found.to_dict()
    json.dumps(plain, allow_nan=False)
    assert set(plain) == {
        "model",
        "cell",
        "units",
        "layers",
        "activation",
        "parameters",
        "lags",
        "rmse",
        "capacity",
        "ablation",
        "gradients",
        "gradients_init",
    }
    assert diagnose_model(model, y, origins, X).gradients_init is None
