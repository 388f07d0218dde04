"""Capacity diagnostics: participation ratio, principal components, dead and saturated units."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from lstmsizer.config import ModelSpec, TrainSpec, WindowSpec
from lstmsizer.datasets import get
from lstmsizer.diagnostics import (
    Probe,
    covariance_spectrum,
    model_capacity,
    participation_ratio,
    variance_components,
)
from lstmsizer.diagnostics.capacity import dead_units, net_capacity, saturated_units
from lstmsizer.errors import DataError, NotFittedError, OptionError
from lstmsizer.forecaster import LSTMForecaster
from lstmsizer.models import ForecastNet

torch.set_num_threads(1)


def _hadamard(n: int) -> np.ndarray:
    h = np.ones((1, 1))
    while h.shape[0] < n:
        h = np.block([[h, h], [h, -h]])
    return h


def _states(k: int, units: int = 8, windows: int = 16) -> np.ndarray:
    # rows 1..k of a Hadamard matrix: zero-mean, orthogonal, equal-norm directions over windows
    z = _hadamard(windows)[1 : k + 1].T  # (N, k)
    q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((units, units)))
    return 0.3 + z @ q[:, :k].T  # (N, U), a constant offset changes no variance


@pytest.mark.parametrize("k", [1, 3, 5, 8])
def test_participation_ratio_counts_equal_independent_directions(k: int) -> None:
    spectrum = covariance_spectrum(_states(k))
    assert participation_ratio(spectrum) == pytest.approx(k, rel=1e-9)
    assert variance_components(spectrum, 0.9) == k
    assert variance_components(spectrum, 0.99) == k


def test_one_dominant_direction_gives_a_ratio_near_one() -> None:
    rng = np.random.default_rng(1)
    states = rng.standard_normal((500, 1)) @ rng.standard_normal((1, 10))
    states += 1e-3 * rng.standard_normal((500, 10))
    spectrum = covariance_spectrum(states)
    assert participation_ratio(spectrum) == pytest.approx(1.0, abs=0.01)
    assert variance_components(spectrum, 0.9) == 1


def test_spectrum_is_the_sample_covariance_eigenvalues_largest_first() -> None:
    states = np.random.default_rng(2).standard_normal((40, 5))
    expected = np.sort(np.linalg.eigvalsh(np.cov(states, rowvar=False)))[::-1]
    np.testing.assert_allclose(covariance_spectrum(states), expected, rtol=1e-10, atol=1e-12)


def test_components_on_a_constructed_spectrum() -> None:
    spectrum = [0.5, 5.0, 1.0, 3.0, 0.5]  # any order; total 10
    assert variance_components(spectrum, 0.9) == 3  # 5 + 3 + 1 = 9 reaches 90%
    assert variance_components(spectrum, 0.99) == 5  # 9.5 < 9.9 <= 10
    assert variance_components(spectrum, 0.5) == 1
    assert variance_components([0.0, 0.0], 0.9) == 0
    with pytest.raises(OptionError, match="level"):
        variance_components(spectrum, 1.5)


def test_constant_states_use_no_dimension() -> None:
    spectrum = covariance_spectrum(np.full((20, 4), 0.7))
    assert participation_ratio(spectrum) == 0.0
    assert variance_components(spectrum, 0.9) == 0


def test_dead_units_are_near_constant_relative_to_the_layer_scale() -> None:
    rng = np.random.default_rng(3)
    states = rng.standard_normal((200, 4))
    states[:, 1] = 0.4  # constant
    states[:, 3] = 0.4 + 1e-4 * rng.standard_normal(200)  # std 1e-4 of a scale ~1: dead
    assert dead_units(states).tolist() == [1, 3]
    assert dead_units(1000 * states).tolist() == [1, 3]  # relative, so scale-free
    relu = np.maximum(states, 0.0)
    relu[:, 0] = 0.0  # a relu unit that is zero in every window
    assert 0 in dead_units(relu).tolist()
    assert dead_units(np.zeros((10, 3))).tolist() == [0, 1, 2]


def test_saturated_units_need_more_than_95_percent_of_windows_beyond_099() -> None:
    states = np.zeros((100, 3))
    states[:96, 0] = 0.995
    states[:90, 1] = -0.999
    states[:, 2] = 0.98
    assert saturated_units(states).tolist() == [0]


def _windows(n: int = 64, lags: int = 5, features: int = 1) -> torch.Tensor:
    return torch.randn(n, lags, features, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("layers", [1, 2])
def test_a_unit_with_constant_state_is_detected_dead(layers: int) -> None:
    torch.manual_seed(0)
    net = ForecastNet(1, ModelSpec("lstm", units=5, layers=layers))
    u, j = 5, 2
    rows = [j + g * u for g in range(4)]  # unit j's rows in the i, f, g, o blocks
    with torch.no_grad():
        for recurrent in net.recurrent:
            recurrent.get_parameter("weight_ih_l0")[rows] = 0.0
            recurrent.get_parameter("weight_hh_l0")[rows] = 0.0
    found = net_capacity(net, _windows())
    assert len(found.layers) == layers
    for layer in found.layers:
        assert layer.dead_units == (j,)
        assert layer.dead_share == pytest.approx(1 / 5)
        assert len(layer.spectrum) == len(layer.unit_std) == 5


def test_relu_layers_have_no_saturation_share() -> None:
    torch.manual_seed(0)
    net = ForecastNet(1, ModelSpec("lstm", units=3, activation="relu"))
    layer = net_capacity(net, _windows()).layers[0]
    assert layer.saturated_units == ()
    assert math.isnan(layer.saturated_share)
    assert layer.to_dict()["saturated_share"] is None


@pytest.fixture(scope="module")
def fitted() -> tuple[LSTMForecaster, np.ndarray]:
    data = get("sine", n=120)
    train = TrainSpec(epochs=3, seed=0, progress=False)
    model = LSTMForecaster(WindowSpec(4), ModelSpec(units=6, layers=2), train)
    return model.fit(data.values, train_end=96), data.values


def test_capacity_of_a_fitted_forecaster_reads_every_layer(
    fitted: tuple[LSTMForecaster, np.ndarray],
) -> None:
    model, y = fitted
    found = model_capacity(Probe(model, y, np.arange(96, 120)))
    assert found.windows == 24 and found.cell == "lstm" and found.activation == "tanh"
    assert [layer.layer for layer in found.layers] == [1, 2]
    for layer in found.layers:
        assert 0.0 < layer.participation_ratio <= 6.0
        assert 1 <= layer.components_90 <= layer.components_99 <= 6
    plain = found.to_dict()
    json.dumps(plain, allow_nan=False)
    assert set(plain["layers"][0]) == {
        "layer",
        "units",
        "participation_ratio",
        "components_90",
        "components_99",
        "dead_units",
        "saturated_units",
        "dead_share",
        "saturated_share",
        "spectrum",
        "unit_std",
    }


def test_capacity_rejects_an_unfitted_model_and_bad_origins(
    fitted: tuple[LSTMForecaster, np.ndarray],
) -> None:
    model, y = fitted
    with pytest.raises(NotFittedError):
        model_capacity(Probe(LSTMForecaster(WindowSpec(4)), y, [10]))
    with pytest.raises(OptionError, match="origins"):
        model_capacity(Probe(model, y, [2]))
    with pytest.raises(DataError, match="origins"):
        model_capacity(Probe(model, y, [120]))  # no target to score after the end


def test_final_states_are_the_same_in_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    import lstmsizer.diagnostics.capacity as module

    torch.manual_seed(0)
    net = ForecastNet(1, ModelSpec("gru", units=3, layers=2))
    x = _windows(n=10)
    whole = module.final_states(net, x)
    monkeypatch.setattr(module, "_CHUNK", 3)
    chunked = module.final_states(net, x)
    for a, b in zip(whole, chunked, strict=True):
        assert a.shape == (10, 3)
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
