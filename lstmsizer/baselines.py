"""Numpy baselines (naive, seasonal naive, drift, moving average, linear and polynomial AR)."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lstmsizer.contract import as_origins, as_series, check_fitted
from lstmsizer.errors import DataError, check, check_int
from lstmsizer.windows import make_windows, windows_at

if TYPE_CHECKING:
    from lstmsizer.contract import Forecaster

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


def _train_windows(y_train: Array, lags: int, horizon: int) -> tuple[Array, Array]:
    """Training windows as (N, lags) lag matrix and (N, horizon) targets."""
    if y_train.size < lags + horizon:
        raise DataError(
            f"the training series must have at least lags + horizon = {lags + horizon} values "
            f"for {lags} lags and horizon {horizon}, got {y_train.size}"
        )
    X, Y = make_windows(y_train[:, None], y_train[:, None], lags, horizon)
    return X[:, :, 0], Y[:, :, 0]


def fit_linear_ar(y_train: ArrayLike, lags: int, horizon: int = 1) -> Array:
    """Least-squares AR with intercept, one coefficient column per step (direct multi-step).

    Args:
        y_train: Training series, 1-D.
        lags: Number of past values each forecast reads.
        horizon: Number of steps; step h has its own coefficients.

    Returns:
        coef (lags + 1, horizon): row 0 the intercepts, rows 1.. the lags, oldest first.
    """
    lagged, target = _train_windows(as_series(y_train, "y_train"), lags, horizon)
    design = np.hstack([np.ones((lagged.shape[0], 1)), lagged])  # (N, 1 + lags)
    coef, *_ = np.linalg.lstsq(design, target, rcond=None)
    return np.asarray(coef, dtype=np.float64)


def linear_ar_forecast(y: ArrayLike, origins: ArrayLike, horizon: int, *, coef: Array) -> Array:
    """Forecasts of a fitted linear AR from the windows y[o - lags : o]."""
    lags = coef.shape[0] - 1
    check(coef.shape[1] == horizon, "horizon", f"must match coef ({coef.shape[1]})", horizon)
    arr = as_series(y)
    lagged = windows_at(arr[:, None], lags, as_origins(origins, arr.size, lags))[:, :, 0]
    return coef[0][None, :] + lagged @ coef[1:]


@dataclass(frozen=True)
class PolyARParams:
    """A fitted degree-2 ridge AR: standardisation of the monomials and the coefficients."""

    lags: int
    mean: Array  # (P,) training mean of each monomial
    scale: Array  # (P,) training standard deviation (1 where constant)
    coef: Array  # (P, horizon)
    intercept: Array  # (horizon,)


def _monomials(lagged: Array) -> Array:
    """All monomials of degree 1 and 2 of the lags: (N, L) -> (N, L + L (L + 1) / 2)."""
    n, lags = lagged.shape
    i, j = np.triu_indices(lags)
    out = np.empty((n, lags + i.size))
    out[:, :lags] = lagged
    # Column by column: no (N, P) temporaries, which dominate memory on long series.
    for k, (a, b) in enumerate(zip(i, j, strict=True)):
        np.multiply(lagged[:, a], lagged[:, b], out=out[:, lags + k])
    return out


def fit_poly_ar(
    y_train: ArrayLike, lags: int, horizon: int = 1, *, alpha: float = 1.0
) -> PolyARParams:
    """Degree-2 polynomial AR by ridge regression, direct multi-step.

    Features are the lags, their squares and pairwise products, each standardised on the
    training windows; the intercept is not penalised. The penalty alpha applies to the
    standardised features (their Gram matrix has N on its diagonal), so the default 1.0 is
    a light, fixed regularisation that only matters when features are nearly collinear.

    Args:
        y_train: Training series, 1-D.
        lags: Number of past values each forecast reads.
        horizon: Number of steps; step h has its own coefficients.
        alpha: Ridge penalty (>= 0).

    Returns:
        The fitted parameters.
    """
    check(alpha >= 0, "alpha", "must be >= 0", alpha)
    lagged, target = _train_windows(as_series(y_train, "y_train"), lags, horizon)
    z = _monomials(lagged)
    mean = z.mean(axis=0)
    scale = z.std(axis=0)
    scale[scale == 0] = 1.0
    z -= mean  # in place: the monomials are not needed any more
    z /= scale
    y_mean = target.mean(axis=0)
    gram = z.T @ z + alpha * np.eye(z.shape[1])
    coef = np.linalg.solve(gram, z.T @ (target - y_mean))
    return PolyARParams(lags, mean, scale, coef, y_mean)


def poly_ar_forecast(
    y: ArrayLike, origins: ArrayLike, horizon: int, *, params: PolyARParams
) -> Array:
    """Forecasts of a fitted polynomial AR from the windows y[o - lags : o]."""
    check(params.coef.shape[1] == horizon, "horizon", "must match the fitted horizon", horizon)
    arr = as_series(y)
    lagged = windows_at(arr[:, None], params.lags, as_origins(origins, arr.size, params.lags))
    z = (_monomials(lagged[:, :, 0]) - params.mean) / params.scale
    return params.intercept[None, :] + z @ params.coef


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


class Naive:
    """Last value: forecast y[o - 1] for every step."""

    def __init__(self, horizon: int = 1) -> None:
        check_int("horizon", horizon)
        self.horizon = horizon
        self.name = "naive"

    def fit(
        self, y: ArrayLike, X: ArrayLike | None = None, *, train_end: int | None = None
    ) -> Naive:
        self.n_train_ = training_part(y, train_end, 1, self.name).size
        return self

    def predict(self, y: ArrayLike, origins: ArrayLike, X: ArrayLike | None = None) -> Array:
        check_fitted(self, "n_train_")
        return naive_forecast(y, origins, self.horizon)


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


class Drift:
    """Random walk with drift estimated from all the history y[:o] before each origin."""

    def __init__(self, horizon: int = 1) -> None:
        check_int("horizon", horizon)
        self.horizon = horizon
        self.name = "drift"

    def fit(
        self, y: ArrayLike, X: ArrayLike | None = None, *, train_end: int | None = None
    ) -> Drift:
        self.n_train_ = training_part(y, train_end, 2, self.name).size
        return self

    def predict(self, y: ArrayLike, origins: ArrayLike, X: ArrayLike | None = None) -> Array:
        check_fitted(self, "n_train_")
        return drift_forecast(y, origins, self.horizon)


class MovingAverage:
    """Mean of the last lags values, for every step."""

    def __init__(self, lags: int, horizon: int = 1) -> None:
        check_int("lags", lags)
        self.lags = lags
        check_int("horizon", horizon)
        self.horizon = horizon
        self.name = f"moving average({lags})"

    def fit(
        self, y: ArrayLike, X: ArrayLike | None = None, *, train_end: int | None = None
    ) -> MovingAverage:
        self.n_train_ = training_part(y, train_end, self.lags, self.name).size
        return self

    def predict(self, y: ArrayLike, origins: ArrayLike, X: ArrayLike | None = None) -> Array:
        check_fitted(self, "n_train_")
        return moving_average_forecast(y, origins, self.horizon, lags=self.lags)


class LinearAR:
    """Least-squares AR(lags) with intercept, direct multi-step."""

    def __init__(self, lags: int, horizon: int = 1) -> None:
        check_int("lags", lags)
        self.lags = lags
        check_int("horizon", horizon)
        self.horizon = horizon
        self.name = f"linear AR({lags})"

    def fit(
        self, y: ArrayLike, X: ArrayLike | None = None, *, train_end: int | None = None
    ) -> LinearAR:
        train = training_part(y, train_end, self.lags + self.horizon, self.name)
        self.coef_ = fit_linear_ar(train, self.lags, self.horizon)
        return self

    def predict(self, y: ArrayLike, origins: ArrayLike, X: ArrayLike | None = None) -> Array:
        check_fitted(self, "coef_")
        return linear_ar_forecast(y, origins, self.horizon, coef=self.coef_)


class PolyAR:
    """Degree-2 polynomial AR(lags) by ridge regression, direct multi-step."""

    def __init__(self, lags: int, horizon: int = 1, alpha: float = 1.0) -> None:
        check_int("lags", lags)
        self.lags = lags
        check_int("horizon", horizon)
        self.horizon = horizon
        check(alpha >= 0, "alpha", "must be >= 0", alpha)
        self.alpha = alpha
        self.name = f"poly AR({lags}, deg 2)"

    def fit(
        self, y: ArrayLike, X: ArrayLike | None = None, *, train_end: int | None = None
    ) -> PolyAR:
        train = training_part(y, train_end, self.lags + self.horizon, self.name)
        with one_blas_thread():
            self.params_ = fit_poly_ar(train, self.lags, self.horizon, alpha=self.alpha)
        return self

    def predict(self, y: ArrayLike, origins: ArrayLike, X: ArrayLike | None = None) -> Array:
        check_fitted(self, "params_")
        return poly_ar_forecast(y, origins, self.horizon, params=self.params_)


def default_baselines(lags: int, horizon: int = 1, period: int | None = None) -> list[Forecaster]:
    """One unfitted instance of every baseline, in the order of result tables.

    Args:
        lags: Lag window of the moving average and the AR baselines (the LSTM's lags).
        horizon: Number of steps forecast from each origin.
        period: Seasonal period; None detects it on the training part at fit time.

    Returns:
        naive, seasonal naive, drift, moving average, linear AR, poly AR, ETS, ARIMA.
    """
    # Imported here: statbaselines uses detect_period from this module, and statsmodels is
    # slow to import for callers that only want the numpy baselines.
    from lstmsizer.statbaselines import AutoARIMA, AutoETS

    return [
        Naive(horizon),
        SeasonalNaive(period, horizon),
        Drift(horizon),
        MovingAverage(lags, horizon),
        LinearAR(lags, horizon),
        PolyAR(lags, horizon),
        AutoETS(period, horizon),
        AutoARIMA(horizon),
    ]
