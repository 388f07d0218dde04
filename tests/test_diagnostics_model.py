"""diagnose_model bundles capacity, ablation and gradients of one fitted forecaster.

Every number is checked against a reference built from torch's own GRUCell with the model's
weights copied in, run in float64 on windows cut here with numpy.
"""

from __future__ import annotations

import dataclasses
import json
from typing import NamedTuple

import numpy as np
import pytest
import torch
from torch import nn

from lstmsizer.config import ModelSpec, TrainSpec, WindowSpec
from lstmsizer.datasets import get
from lstmsizer.diagnostics import Probe, diagnose_model
from lstmsizer.forecaster import LSTMForecaster

torch.set_num_threads(1)

LAGS, HORIZON, UNITS, TRAIN_END = 4, 2, 5, 120
TRAIN = TrainSpec(epochs=3, seed=1, progress=False)


def _forecaster(train: TrainSpec) -> LSTMForecaster:
    data = get("delay", n=150, d=2)
    model = LSTMForecaster(WindowSpec(LAGS, horizon=HORIZON), ModelSpec("gru", units=UNITS), train)
    return model.fit(data.values, data.features, train_end=TRAIN_END)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> LSTMForecaster:
    path = _forecaster(TRAIN).save(tmp_path_factory.mktemp("model") / "model.pt")
    return LSTMForecaster.load(path)


class Reference(NamedTuple):
    """What a diagnosis measures, computed step by step with torch.nn.GRUCell."""

    states: np.ndarray  # (N, U) final hidden states
    forecast: np.ndarray  # (N, H) on the original scale
    ablated_rmse: np.ndarray  # (U,) RMSE with head column j zeroed
    saliency: np.ndarray  # (L,) lag 1 (newest) first
    hidden: np.ndarray  # (L,) lag 1 first
    loss: float  # mse on the scaled targets


def _reference(
    model: LSTMForecaster, y: np.ndarray, X: np.ndarray, origins: np.ndarray
) -> Reference:
    assert model.net_ is not None and model.scaler_ is not None
    scaler, layer, head = model.scaler_, model.net_.recurrent[0], model.net_.head
    scaled = scaler.transform(np.column_stack((y, X)))  # (T, F)
    x = torch.tensor(np.stack([scaled[o - LAGS : o] for o in origins]), requires_grad=True)
    target = y[origins[:, None] + np.arange(HORIZON)]  # (N, H)
    cell = nn.GRUCell(x.shape[2], UNITS).double()
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(layer.get_parameter(f"{name}_l0"))
    weight, bias = head.weight.detach().double(), head.bias.detach().double()  # (H, U), (H,)
    h = torch.zeros(len(origins), UNITS, dtype=torch.float64)
    steps = []
    for t in range(LAGS):
        h = cell(x[:, t], h)
        steps.append(h)
    out = h @ weight.T + bias  # (N, U) -> (N, H), scaled
    y_scaled = torch.tensor(scaler.transform(target, column=0))
    loss = nn.functional.mse_loss(out, y_scaled) * len(origins)
    hidden = torch.autograd.grad(loss, steps, retain_graph=True)
    square = torch.zeros_like(x)
    for j in range(HORIZON):
        square += torch.autograd.grad(out[:, j].sum(), x, retain_graph=True)[0] ** 2
    states, scaled_out, w = h.detach().numpy(), out.detach().numpy(), weight.numpy()
    # zeroing column j of the head's weight removes unit j's share of every forecast
    ablated = [
        _rmse(
            scaler.inverse_transform(scaled_out - np.outer(states[:, j], w[:, j]), column=0), target
        )
        for j in range(UNITS)
    ]
    return Reference(
        states=states,
        forecast=scaler.inverse_transform(scaled_out, column=0),
        ablated_rmse=np.array(ablated),
        saliency=square.sum(dim=2).sqrt().mean(dim=0).flip(0).numpy(),
        hidden=np.array([float(g.norm(dim=1).mean()) for g in hidden])[::-1],
        loss=float(loss.detach()) / len(origins),
    )


def _rmse(pred: np.ndarray, target: np.ndarray) -> float:
    return float(np.sqrt(np.mean((pred - target) ** 2)))


def _data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    data = get("delay", n=150, d=2)
    origins = np.arange(TRAIN_END, 149)  # the last origin whose two-step horizon lies inside y
    return data.values, data.features, origins


def test_diagnose_model_matches_a_torch_reference(fitted: LSTMForecaster) -> None:
    y, X, origins = _data()
    found = diagnose_model(Probe(fitted, y, origins, X))
    ref = _reference(fitted, y, X, origins)
    target = y[origins[:, None] + np.arange(HORIZON)]
    base = _rmse(ref.forecast, target)
    np.testing.assert_allclose(fitted.predict(y, origins, X), ref.forecast, rtol=1e-5, atol=1e-6)

    assert found.rmse == pytest.approx(base, rel=1e-5)
    features = X.shape[1] + 1
    # torch's GRU layout (Keras reset_after): three gates, input and recurrent biases
    assert found.parameters == 3 * UNITS * (features + UNITS + 2) + (UNITS + 1) * HORIZON

    (layer,) = found.capacity.layers
    cov = np.cov(ref.states, rowvar=False)
    assert found.capacity.windows == len(origins) and layer.units == UNITS
    assert layer.participation_ratio == pytest.approx(
        np.trace(cov) ** 2 / np.trace(cov @ cov), rel=1e-4
    )
    np.testing.assert_allclose(layer.unit_std, ref.states.std(axis=0), rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(sum(layer.spectrum), np.trace(cov), rtol=1e-4)

    assert found.ablation.base_rmse == pytest.approx(base, rel=1e-5)
    np.testing.assert_allclose(
        found.ablation.rmse_delta, ref.ablated_rmse - base, rtol=1e-3, atol=1e-6 * base
    )

    assert found.gradients.stage == "trained" and found.gradients.lags == (1, 2, 3, 4)
    np.testing.assert_allclose(found.gradients.saliency, ref.saliency, rtol=1e-4)
    np.testing.assert_allclose(found.gradients.hidden[0], ref.hidden, rtol=1e-4)
    assert found.gradients.loss == pytest.approx(ref.loss, rel=1e-5)
    assert found.gradients_init is None


def test_gradients_at_init_are_those_of_the_weights_training_started_from(
    fitted: LSTMForecaster,
) -> None:
    # a rate of 1e-30 moves no float32 weight: this twin's net is the one training started from
    start = _forecaster(dataclasses.replace(TRAIN, epochs=1, lr=1e-30))
    y, X, origins = _data()
    init = diagnose_model(Probe(fitted, y, origins, X), at_init=True).gradients_init
    ref = _reference(start, y, X, origins)
    assert init is not None and init.stage == "init"
    np.testing.assert_allclose(init.saliency, ref.saliency, rtol=1e-4)
    np.testing.assert_allclose(init.hidden[0], ref.hidden, rtol=1e-4)
    assert init.loss == pytest.approx(ref.loss, rel=1e-5)


def test_diagnose_model_is_plain_json(fitted: LSTMForecaster) -> None:
    y, X, origins = _data()
    found = diagnose_model(Probe(fitted, y, origins, X), at_init=True)
    assert (found.model, found.cell, found.units, found.layers) == ("GRU(5)", "gru", 5, 1)
    assert found.lags == LAGS and found.activation == "tanh"
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
