"""Simple baselines (naive, seasonal naive, drift, moving average) and what all baselines share."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lstmsizer.contract import as_origins, as_series, check_fitted
from lstmsizer.errors import DataError, check, check_int
from lstmsizer.windows import windows_at

if TYPE_CHECKING:
    from typing import Self

Array = NDArray[np.float64]


def one_blas_thread() -> AbstractContextManager[Any]:
    """Limit BLAS to one thread, when threadpoolctl is installed.

    The Kalman filter of ETS and ARIMA makes thousands of tiny LAPACK calls; OpenBLAS threads
    only spin on them (scipy's OpenBLAS), and on a busy machine that made a sunspots ETS +
    ARIMA selection take about 60 s instead of 2 s. The poly AR Gram matrix of 200,000
    values took 0.2 to 0.5 s on one thread and 0.2 to 1.3 s on two, up to 3.5 s beside
    another busy process (2-core machine).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def detect_period(y_train: ArrayLike, max_period: int | None = None) -> int | None:
    """The seasonal period of a series from its autocorrelation, or None.

    The series is first detrended by a least-squares line, so a trend does not pull the peak
    to shorter lags. Among lags 2..K (K = n // 2, or max_period when smaller) the result is
    the lag of the highest autocorrelation that is a local maximum and significant. The
    significance bound z / sqrt(n) uses a Bonferroni z over the K lags searched (about 3.2
    for K = 50 instead of 1.96), so white noise rarely shows a spurious period.

    Args:
        y_train: The training part of the series, 1-D.
        max_period: Largest period considered; None searches up to n // 2.

    Returns:
        The period (>= 2), or None when no significant seasonal peak exists.
    """
    y = as_series(y_train, "y_train")
    check(max_period is None or max_period >= 2, "max_period", "must be >= 2 or None", max_period)
    n = y.size
    k_max = n // 2 if max_period is None else min(max_period, n // 2)
    if k_max < 2 or not np.isfinite(y).all():
        return None
    t = np.arange(n, dtype=np.float64)
    slope, intercept = np.polyfit(t, y, 1)
    x = y - (intercept + slope * t)
    spectrum = np.fft.rfft(x, 2 * n)  # zero padding: a linear, not circular, correlation
    acov = np.fft.irfft(spectrum * np.conj(spectrum))[: k_max + 2]
    if acov[0] <= 1e-12 * max(1.0, float(np.mean(y**2))) * n:
        return None
    acf = acov / acov[0]
    lags = np.arange(2, k_max + 1)
    z = NormalDist().inv_cdf(1.0 - 0.025 / (k_max - 1))
    peak = (acf[lags] > z / np.sqrt(n)) & (acf[lags] > acf[lags - 1]) & (acf[lags] >= acf[lags + 1])
    if not peak.any():
        return None
    candidates = lags[peak]
    return int(candidates[np.argmax(acf[candidates])])


def training_part(y: ArrayLike, train_end: int | None, need: int, who: str) -> Array:
    """The training part y[:train_end] of a series, checked for fitting a forecaster.

    Args:
        y: The whole series.
        train_end: End of the training part; None uses all of y.
        need: Minimum number of training values.
        who: Name of the forecaster, for the error message.

    Raises:
        OptionError: train_end outside [1, len(y)].
        DataError: Non-finite or too few training values.
    """
    arr = as_series(y)
    end = arr.size if train_end is None else train_end
    check(
        isinstance(end, (int, np.integer)) and 1 <= end <= arr.size,
        "train_end",
        f"must be an integer in [1, {arr.size}] (the length of y)",
        train_end,
    )
    train = arr[:end]
    if not np.isfinite(train).all():
        raise DataError(
            f"y must be finite in the training part, got {(~np.isfinite(train)).sum()} NaN/inf"
        )
    if train.size < need:
        raise DataError(f"{who} needs at least {need} training values, got {train.size}")
    return train


def naive_forecast(y: ArrayLike, origins: ArrayLike, horizon: int) -> Array:
    """Last value y[o - 1] repeated for every step; (len(origins), horizon)."""
    arr = as_series(y)
    o = as_origins(origins, arr.size, 1)
    return np.repeat(arr[o - 1][:, None], horizon, axis=1)


def seasonal_naive_forecast(
    y: ArrayLike, origins: ArrayLike, horizon: int, *, period: int
) -> Array:
    """Value one period back, y[o - m + ((h - 1) % m)] for step h; needs o >= m."""
    arr = as_series(y)
    o = as_origins(origins, arr.size, period)
    steps = np.arange(horizon) % period  # (h - 1) % m for h = 1..horizon
    return arr[o[:, None] - period + steps[None, :]]


def drift_forecast(y: ArrayLike, origins: ArrayLike, horizon: int) -> Array:
    """Random walk with drift: y[o-1] + h * (y[o-1] - y[0]) / (o - 1); needs o >= 2.

    The drift is the mean step over all the history y[:o], not only the training part.
    """
    arr = as_series(y)
    o = as_origins(origins, arr.size, 2)
    last = arr[o - 1]
    slope = (last - arr[0]) / (o - 1)
    return last[:, None] + slope[:, None] * np.arange(1, horizon + 1)[None, :]


def moving_average_forecast(y: ArrayLike, origins: ArrayLike, horizon: int, *, lags: int) -> Array:
    """Mean of the lag window y[o - lags : o] repeated for every step."""
    arr = as_series(y)
    o = as_origins(origins, arr.size, lags)
    means = windows_at(arr[:, None], lags, o).mean(axis=(1, 2))  # (len(origins), lags, 1) -> (n,)
    return np.repeat(means[:, None], horizon, axis=1)


class _Rule:
    """A baseline with nothing to learn: fit only checks the training part, predict applies
    the rule of the subclass to the history before each origin."""

    _need = 1  # fewest training values the rule reads

    def __init__(self, name: str, horizon: int) -> None:
        check_int("horizon", horizon)
        self.horizon = horizon
        self.name = name

    def fit(
        self, y: ArrayLike, X: ArrayLike | None = None, *, train_end: int | None = None
    ) -> Self:
        self.n_train_ = training_part(y, train_end, self._need, self.name).size
        return self

    def predict(self, y: ArrayLike, origins: ArrayLike, X: ArrayLike | None = None) -> Array:
        check_fitted(self, "n_train_")
        return self._rule(y, origins)

    def _rule(self, y: ArrayLike, origins: ArrayLike) -> Array:
        raise NotImplementedError


class Naive(_Rule):
    """Last value: forecast y[o - 1] for every step."""

    def __init__(self, horizon: int = 1) -> None:
        super().__init__("naive", horizon)

    def _rule(self, y: ArrayLike, origins: ArrayLike) -> Array:
        return naive_forecast(y, origins, self.horizon)


class Drift(_Rule):
    """Random walk with drift estimated from all the history y[:o] before each origin."""

    _need = 2

    def __init__(self, horizon: int = 1) -> None:
        super().__init__("drift", horizon)

    def _rule(self, y: ArrayLike, origins: ArrayLike) -> Array:
        return drift_forecast(y, origins, self.horizon)


class MovingAverage(_Rule):
    """Mean of the last lags values, for every step."""

    def __init__(self, lags: int, horizon: int = 1) -> None:
        check_int("lags", lags)
        self.lags = lags
        self._need = lags
        super().__init__(f"moving average({lags})", horizon)

    def _rule(self, y: ArrayLike, origins: ArrayLike) -> Array:
        return moving_average_forecast(y, origins, self.horizon, lags=self.lags)


class SeasonalNaive:
    """Value one season back; the period is given or detected on the training part.

    When no period is given and none is detected, it is the naive forecast (period 1) and its
    name says so.
    """

    def __init__(self, period: int | None = None, horizon: int = 1) -> None:
        check_int("period", period, optional=True)
        self.period = period
        check_int("horizon", horizon)
        self.horizon = horizon
        self.name = "seasonal naive" if period is None else f"seasonal naive({period})"

    def fit(
        self, y: ArrayLike, X: ArrayLike | None = None, *, train_end: int | None = None
    ) -> SeasonalNaive:
        train = training_part(y, train_end, self.period or 1, self.name)
        period = self.period if self.period is not None else detect_period(train)
        self.period_ = 1 if period is None else period
        if self.period is None:
            self.name = (
                "seasonal naive(none: naive)" if period is None else f"seasonal naive({period})"
            )
        return self

    def predict(self, y: ArrayLike, origins: ArrayLike, X: ArrayLike | None = None) -> Array:
        check_fitted(self, "period_")
        return seasonal_naive_forecast(y, origins, self.horizon, period=self.period_)
