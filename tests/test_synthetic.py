"""Tests of the seeded synthetic series generators."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from lstmsizer import synthetic
from lstmsizer.errors import OptionError


def _acf(x: np.ndarray, lag: int) -> float:
    x = x - x.mean()
    return float(np.dot(x[:-lag], x[lag:]) / np.dot(x, x))


@pytest.mark.parametrize(
    ("generator", "n"),
    [(synthetic.sine, 37), (synthetic.ar, 41), (synthetic.mackey_glass, 53)],
)
def test_length_seed_reproducibility(generator: Callable[..., np.ndarray], n: int) -> None:
    a, b, c = generator(n, seed=3), generator(n, seed=3), generator(n, seed=4)
    assert a.shape == (n,) and a.dtype == np.float64
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_sine_without_noise_is_the_clean_wave() -> None:
    y = synthetic.sine(50, period=10.0, noise=0.0, amplitude=2.0)
    np.testing.assert_allclose(y, 2.0 * np.sin(2 * np.pi * np.arange(50) / 10.0), atol=1e-12)
    np.testing.assert_allclose(y[:40], y[10:50], atol=1e-12)


def test_sine_noise_level() -> None:
    clean = np.sin(2 * np.pi * np.arange(20_000) / 25.0)
    residual = synthetic.sine(20_000, seed=1) - clean
    assert residual.std() == pytest.approx(0.1, rel=0.05)


def test_ar2_autocorrelation_matches_theory() -> None:
    phi1, phi2 = 0.6, -0.3
    y = synthetic.ar(20_000, seed=5, phi=(phi1, phi2))
    rho1 = phi1 / (1 - phi2)  # Yule-Walker for AR(2)
    rho2 = phi1 * rho1 + phi2
    assert _acf(y, 1) == pytest.approx(rho1, abs=0.03)
    assert _acf(y, 2) == pytest.approx(rho2, abs=0.03)
    # Stationary variance of AR(2) with unit innovations.
    var = (1 - phi2) / ((1 + phi2) * ((1 - phi2) ** 2 - phi1**2))
    assert y.var() == pytest.approx(var, rel=0.1)


def test_ar_least_squares_recovers_phi() -> None:
    y = synthetic.ar(20_000, seed=2, phi=(0.5, 0.2, -0.3))
    design = np.column_stack([y[2:-1], y[1:-2], y[:-3]])
    coef, *_ = np.linalg.lstsq(design, y[3:], rcond=None)
    np.testing.assert_allclose(coef, [0.5, 0.2, -0.3], atol=0.03)


def test_ar_rejects_non_stationary_phi() -> None:
    with pytest.raises(OptionError, match="phi must give a stationary process"):
        synthetic.ar(10, phi=(1.0,))
    with pytest.raises(OptionError, match="phi must hold at least one"):
        synthetic.ar(10, phi=())


def test_mackey_glass_is_bounded_and_not_periodic() -> None:
    y = synthetic.mackey_glass(1000, seed=0)
    assert np.all(np.isfinite(y))
    assert y.min() > 0.1 and y.max() < 1.6
    assert y.std() > 0.15  # settled on the attractor, not on a fixed point
    # No shift up to 300 steps reproduces the series: it is not a trivial cycle.
    for lag in range(1, 301):
        assert np.mean(np.abs(y[lag:] - y[:-lag])) > 0.02 * y.std()


def test_mackey_glass_seeds_diverge() -> None:
    a = synthetic.mackey_glass(300, seed=0)
    b = synthetic.mackey_glass(300, seed=1)
    assert np.mean(np.abs(a - b)) > 0.05


def test_mackey_glass_options_checked() -> None:
    with pytest.raises(OptionError, match="dt must be 1/k"):
        synthetic.mackey_glass(10, dt=0.3)
    with pytest.raises(OptionError, match="tau must be a multiple of dt"):
        synthetic.mackey_glass(10, tau=17.05)


def test_delay_target_is_input_d_steps_back() -> None:
    y, x = synthetic.delay(100, seed=7, d=4)
    assert y.shape == x.shape == (100,)
    np.testing.assert_array_equal(y[4:], x[:-4])
    assert not np.allclose(y[:4], x[:4])


@pytest.mark.parametrize("n", [0, -3, 2.5, True])
def test_bad_length(n: object) -> None:
    with pytest.raises(OptionError, match="n must be an integer >= 1"):
        synthetic.sine(n)  # type: ignore[arg-type]


def test_bad_seed_and_options() -> None:
    with pytest.raises(OptionError, match="seed must be an integer >= 0"):
        synthetic.sine(10, seed=-1)
    with pytest.raises(OptionError, match="noise must be >= 0"):
        synthetic.sine(10, noise=-0.1)
    with pytest.raises(OptionError, match="d must be an integer >= 1"):
        synthetic.delay(10, d=0)


def test_mackey_glass_step_samples_every_step_time_units() -> None:
    fine = synthetic.mackey_glass(150, seed=2)
    coarse = synthetic.mackey_glass(50, seed=2, step=3)
    np.testing.assert_array_equal(coarse, fine[::3])
