"""Gradients through time: the unrolled forward, saliency against finite differences, and
hidden-state gradients through the recurrence."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from lstmsizer.config import ModelSpec, TrainSpec, WindowSpec
from lstmsizer.datasets import get
from lstmsizer.diagnostics import Probe, gradient_profile, model_gradients
from lstmsizer.diagnostics.gradients import hidden_gradients_by_lag, saliency_by_lag, unrolled
from lstmsizer.forecaster import LSTMForecaster
from lstmsizer.models import ForecastNet

torch.set_num_threads(1)

SPECS = [
    ModelSpec("lstm", units=3),
    ModelSpec("gru", units=3, layers=2),
    ModelSpec("rnn", units=4),
    ModelSpec("lstm", units=3, activation="relu", layers=2),
]


def _net(spec: ModelSpec, features: int = 2, horizon: int = 1) -> ForecastNet:
    torch.manual_seed(0)
    return ForecastNet(features, spec, horizon).double()


def _x(n: int = 5, lags: int = 4, features: int = 2) -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    return torch.randn(n, lags, features, generator=g, dtype=torch.float64)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{s.cell}-{s.activation}-{s.layers}")
def test_unrolled_forward_equals_the_network(spec: ModelSpec) -> None:
    net, x = _net(spec), _x()
    with torch.no_grad():
        out, states = net.forward_states(x)
        got, steps = unrolled(net, x)
    torch.testing.assert_close(got, out, rtol=1e-12, atol=1e-12)
    for layer, seq in zip(states, steps, strict=True):
        torch.testing.assert_close(torch.stack(seq, 1), layer, rtol=1e-12, atol=1e-12)


def _finite_difference_saliency(net: ForecastNet, x: torch.Tensor, eps: float = 1e-6) -> np.ndarray:
    n, lags, features = x.shape
    square = np.zeros((n, lags))
    with torch.no_grad():
        for p in range(lags):
            for f in range(features):
                up, down = x.clone(), x.clone()
                up[:, p, f] += eps
                down[:, p, f] -= eps
                d = (net(up) - net(down)).reshape(n, -1) / (2 * eps)  # (N, H*K)
                square[:, p] += (d**2).sum(dim=1).numpy()
    return np.sqrt(square).mean(axis=0)[::-1]  # lag 1 (newest) first


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{s.cell}-{s.activation}-{s.layers}")
@pytest.mark.parametrize("horizon", [1, 2])
def test_saliency_equals_finite_differences_for_each_lag(spec: ModelSpec, horizon: int) -> None:
    net, x = _net(spec, horizon=horizon), _x()
    expected = _finite_difference_saliency(net, x)
    np.testing.assert_allclose(saliency_by_lag(net, x), expected, rtol=1e-6, atol=1e-10)


def test_hidden_gradient_at_lag_one_is_the_heads_gradient() -> None:
    net, x = _net(ModelSpec("lstm", units=3)), _x()
    y = torch.randn(5, 1, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        out = net(x)[:, :, 0]  # (N, 1)
    # per-window loss (out - y)^2: d/dh = 2 (out - y) w for the final state
    per_window = (2 * (out - y) * net.head.weight.detach()).norm(dim=1)  # (N,)
    hidden, loss = hidden_gradients_by_lag(net, x, y)
    assert hidden.shape == (1, 4)
    assert hidden[0, 0] == pytest.approx(float(per_window.mean()), rel=1e-10)
    assert loss == pytest.approx(float(((out - y) ** 2).mean()), rel=1e-10)


def test_hidden_gradients_follow_the_recurrence_back_in_time() -> None:
    # a linear RNN with W_hh = a I: d loss / d h_{t-k} = a^(k-1) d loss / d h_{t-1} exactly,
    # which a gradient on a fused layer's output sequence (zero before the last step) misses
    net = _net(ModelSpec("rnn", units=3, activation="linear"))
    a = 0.5
    with torch.no_grad():
        net.recurrent[0].get_parameter("weight_hh_l0").copy_(a * torch.eye(3, dtype=torch.float64))
    x, y = _x(lags=6), torch.zeros(5, 1, dtype=torch.float64)
    hidden, _ = hidden_gradients_by_lag(net, x, y)
    np.testing.assert_allclose(hidden[0], hidden[0, 0] * a ** np.arange(6), rtol=1e-12)
    profile = gradient_profile(net, x, y)
    assert profile.hidden_ratio[0] == pytest.approx(a**5, rel=1e-12)
    assert profile.lags == (1, 2, 3, 4, 5, 6)


def test_profile_has_one_row_per_layer_and_json_ready_values() -> None:
    net, x = _net(ModelSpec("gru", units=3, layers=2)), _x()
    profile = gradient_profile(net, x, torch.zeros(5, 1, dtype=torch.float64), stage="init")
    assert len(profile.hidden) == 2 and len(profile.hidden_ratio) == 2
    assert profile.saliency_ratio == pytest.approx(profile.saliency[-1] / profile.saliency[0])
    plain = profile.to_dict()
    json.dumps(plain, allow_nan=False)
    assert set(plain) == {
        "stage",
        "windows",
        "lags",
        "saliency",
        "saliency_ratio",
        "hidden",
        "hidden_ratio",
        "loss",
    }
    assert all(p.grad is None for p in net.parameters())  # the weights' gradients are untouched


def test_gradients_at_init_use_the_starting_weights_and_keep_the_rng() -> None:
    data = get("sine", n=100)
    train = TrainSpec(epochs=3, seed=4, progress=False)
    model = LSTMForecaster(WindowSpec(5), ModelSpec(units=4), train).fit(data.values, train_end=80)
    origins = np.arange(80, 100)
    state = torch.get_rng_state()
    init = model_gradients(Probe(model, data.values, origins), at_init=True)
    assert torch.equal(torch.get_rng_state(), state)
    trained = model_gradients(Probe(model, data.values, origins))
    assert init.stage == "init" and trained.stage == "trained"
    torch.manual_seed(4)
    fresh = ForecastNet(1, ModelSpec(units=4))
    assert model.scaler_ is not None
    scaled = model.scaler_.transform(data.values[:, None]).astype(np.float32)
    x = torch.from_numpy(np.stack([scaled[o - 5 : o] for o in origins]))
    np.testing.assert_allclose(init.saliency, saliency_by_lag(fresh, x), rtol=1e-5)
    assert init.saliency != trained.saliency


def test_long_inputs_are_subsampled_evenly(monkeypatch: pytest.MonkeyPatch) -> None:
    import lstmsizer.diagnostics.gradients as module

    monkeypatch.setattr(module, "MAX_WINDOWS", 3)
    net, x = _net(ModelSpec("lstm", units=3)), _x(n=7)
    y = torch.zeros(7, 1, dtype=torch.float64)
    profile = gradient_profile(net, x, y)
    assert profile.windows == 3
    every_third = x[[0, 3, 6]]
    np.testing.assert_allclose(profile.saliency, saliency_by_lag(net, every_third), rtol=1e-12)
