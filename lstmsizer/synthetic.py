"""Seeded synthetic series: sine, linear AR, chaotic Mackey-Glass and a pure delay task."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from lstmsizer.errors import check


def _rng(seed: int) -> np.random.Generator:
    check(
        isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0,
        "seed",
        "must be an integer >= 0",
        seed,
    )
    return np.random.default_rng(int(seed))


def _check_length(n: int) -> None:
    check(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1,
        "n",
        "must be an integer >= 1",
        n,
    )


def sine(
    n: int = 500,
    *,
    seed: int = 0,
    period: float = 25.0,
    noise: float = 0.1,
    amplitude: float = 1.0,
) -> NDArray[np.float64]:
    """A noisy sine wave: amplitude * sin(2 pi t / period) + noise * N(0, 1).

    Args:
        n: Number of values.
        seed: Seed of the noise.
        period: Length of one cycle in time steps.
        noise: Standard deviation of the added Gaussian noise.
        amplitude: Peak height of the clean wave.

    Returns:
        (n,) float64 series starting at phase 0.
    """
    _check_length(n)
    check(period > 0, "period", "must be > 0", period)
    check(noise >= 0, "noise", "must be >= 0", noise)
    rng = _rng(seed)
    t = np.arange(n, dtype=np.float64)
    return amplitude * np.sin(2.0 * np.pi * t / period) + noise * rng.standard_normal(n)


def ar(
    n: int = 500,
    *,
    seed: int = 0,
    phi: Sequence[float] = (0.6, -0.3),
    sigma: float = 1.0,
    burn_in: int = 200,
) -> NDArray[np.float64]:
    """A stationary linear autoregression y[t] = sum_k phi[k] y[t-1-k] + sigma * e[t].

    The process starts at zero and the first burn_in values are discarded, so what is returned
    is a draw from the stationary distribution. The best forecaster is linear AR itself.

    Args:
        n: Number of values returned.
        seed: Seed of the innovations.
        phi: AR coefficients for lags 1, 2, ...; the process must be stationary.
        sigma: Standard deviation of the Gaussian innovations.
        burn_in: Number of leading values generated and discarded.

    Returns:
        (n,) float64 series.
    """
    _check_length(n)
    coefs = np.asarray(phi, dtype=np.float64).reshape(-1)
    check(coefs.size >= 1, "phi", "must hold at least one coefficient", tuple(phi))
    # Stationary iff every root of z^p - phi_1 z^(p-1) - ... - phi_p lies inside the unit circle.
    roots = np.roots(np.concatenate(([1.0], -coefs)))
    check(
        bool(np.all(np.abs(roots) < 1.0)),
        "phi",
        "must give a stationary process (all characteristic roots inside the unit circle)",
        tuple(phi),
    )
    check(sigma > 0, "sigma", "must be > 0", sigma)
    check(isinstance(burn_in, int) and burn_in >= 0, "burn_in", "must be an integer >= 0", burn_in)
    rng = _rng(seed)
    p = coefs.size
    total = n + burn_in
    e = sigma * rng.standard_normal(total)
    y = np.zeros(total + p)  # p leading zeros as the starting history
    reversed_coefs = coefs[::-1]
    for t in range(total):
        y[t + p] = reversed_coefs @ y[t : t + p] + e[t]
    return y[p + burn_in :].copy()


def mackey_glass(
    n: int = 1000,
    *,
    seed: int = 0,
    tau: float = 17.0,
    beta: float = 0.2,
    gamma: float = 0.1,
    power: float = 10.0,
    dt: float = 0.1,
    burn_in: int = 500,
    step: int = 1,
) -> NDArray[np.float64]:
    """The Mackey-Glass delay differential equation, chaotic for tau = 17.

    dx/dt = beta * x(t - tau) / (1 + x(t - tau) ** power) - gamma * x(t), integrated with
    explicit Euler steps of length dt over a history buffer of tau / dt values, and sampled
    once every `step` time units (step 1 is smooth enough for linear AR to forecast one step
    almost exactly; coarser sampling makes the nonlinearity matter). The constant initial
    history is drawn uniformly from [0.9, 1.5] with
    the seed; the first burn_in time units are discarded so the transient is gone.

    Args:
        n: Number of values returned (one per time unit).
        seed: Seed of the initial history.
        tau: Delay in time units; must be a multiple of dt.
        beta: Production rate.
        gamma: Decay rate.
        power: Exponent of the delayed term (the "n" of the usual notation).
        dt: Integration step; 1 / dt must be an integer.
        burn_in: Time units integrated and discarded.
        step: Sampling interval in time units.

    Returns:
        (n,) float64 series, positive and bounded (about 0.2 to 1.4 for the defaults).
    """
    _check_length(n)
    check(0 < dt <= 1 and abs(1 / dt - round(1 / dt)) < 1e-9, "dt", "must be 1/k, k >= 1", dt)
    check(
        tau >= dt and abs(tau / dt - round(tau / dt)) < 1e-6, "tau", "must be a multiple of dt", tau
    )
    check(
        beta > 0 and gamma > 0 and power > 0,
        "beta, gamma, power",
        "must be > 0",
        (beta, gamma, power),
    )
    check(isinstance(burn_in, int) and burn_in >= 0, "burn_in", "must be an integer >= 0", burn_in)
    check(isinstance(step, int) and step >= 1, "step", "must be an integer >= 1", step)
    rng = _rng(seed)
    per_unit = round(1 / dt)
    lag = round(tau / dt)
    steps = (n * step + burn_in) * per_unit
    x = np.empty(lag + steps + 1)  # x[:lag + 1] is the history x(-tau) .. x(0)
    x[: lag + 1] = 0.9 + 0.6 * rng.random()
    for i in range(lag, lag + steps):
        delayed = x[i - lag]
        x[i + 1] = x[i] + dt * (beta * delayed / (1.0 + delayed**power) - gamma * x[i])
    sampled = x[lag::per_unit]  # x(0), x(1), ... once per time unit
    return sampled[burn_in + 1 : burn_in + 1 + n * step : step].copy()


def delay(
    n: int = 500, *, seed: int = 0, d: int = 5
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """A memory task: the target is the input d steps back, y[t] = x[t - d].

    x is iid N(0, 1). n + d values of x are drawn and the first d rows, whose target would
    need x before the start, are dropped, so y[t] == x[t - d] for every t >= d of the result
    and no value is made up. A forecaster must remember x for d steps to predict y.

    Args:
        n: Number of rows returned.
        seed: Seed of x.
        d: Delay in time steps.

    Returns:
        (y, x), each (n,) float64.
    """
    _check_length(n)
    check(
        isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 1,
        "d",
        "must be an integer >= 1",
        d,
    )
    raw = _rng(seed).standard_normal(n + d)
    return raw[:n].copy(), raw[d:].copy()
