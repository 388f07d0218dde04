"""Statistical baselines through statsmodels: ETS and ARIMA with orders chosen by AIC."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

# Imported at module level, not inside the fits: importing statsmodels installs an "always"
# filter for its warnings, which would undo warnings.catch_warnings() around the first fit.
from statsmodels.tsa.arima.model import ARIMA
from statsmodels.tsa.statespace.exponential_smoothing import ExponentialSmoothing

from lstmsizer.baselines import detect_period, training_part
from lstmsizer.contract import as_origins, as_series, check_fitted
from lstmsizer.errors import DataError, check_int

Array = NDArray[np.float64]

# Each grid point: (label, function fitting the statsmodels model on y_train).
Candidate = tuple[str, Callable[[Array], Any]]


def _one_blas_thread() -> AbstractContextManager[Any]:
    """Limit BLAS to one thread while statsmodels runs, when threadpoolctl is installed.

    The Kalman filter makes thousands of tiny LAPACK calls; OpenBLAS threads only spin on
    them (scipy's OpenBLAS), and on a busy machine that made a sunspots ETS + ARIMA selection
    take about 60 s instead of 2 s.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _select_by_aic(y_train: Array, candidates: Iterable[Candidate], who: str) -> tuple[str, Any]:
    """Fit every candidate, skipping those that fail; return the label and results of min AIC."""
    best: tuple[str, Any] | None = None
    errors: list[str] = []
    # Optimiser and start-parameter warnings are expected on a grid; the AIC decides.
    with warnings.catch_warnings(), _one_blas_thread():
        warnings.simplefilter("ignore")
        for label, build in candidates:
            try:
                res = build(y_train)
            # statsmodels fails in many ways (LinAlgError, ValueError, ...) on a bad grid
            # point; any of them only removes that point from the selection.
            except Exception as exc:
                errors.append(f"{label}: {exc}")
                continue
            if np.isfinite(res.aic) and (best is None or res.aic < best[1].aic):
                best = (label, res)
    if best is None:
        detail = "; ".join(errors[:3]) or "no finite AIC"
        raise DataError(f"{who}: no model could be fitted on {y_train.size} values ({detail})")
    return best


def _fit_ets(y: Array, trend: bool, damped: bool, seasonal: int | None) -> Any:
    model = ExponentialSmoothing(y, trend=trend, damped_trend=damped, seasonal=seasonal)
    # cov_type "none": parameter standard errors cost a numerical Hessian and are not used.
    return model.fit(disp=False, cov_type="none")


def _fit_arima(y: Array, order: tuple[int, int, int], trend: str) -> Any:
    return ARIMA(y, order=order, trend=trend).fit(cov_type="none")


def ets_candidates(n_train: int, period: int | None) -> list[Candidate]:
    """ETS grid: trend none/additive/damped x seasonal none/additive (with >= 2 periods)."""
    seasonals: list[int | None] = [None]
    if period is not None and period >= 2 and n_train >= 2 * period:
        seasonals.append(period)
    trends = ((False, False, "N"), (True, False, "A"), (True, True, "Ad"))
    return [
        (
            f"ETS(A,{code},{'N' if seasonal is None else 'A'})",
            partial(_fit_ets, trend=trend, damped=damped, seasonal=seasonal),
        )
        for seasonal in seasonals
        for trend, damped, code in trends
    ]


def arima_candidates() -> list[Candidate]:
    """ARIMA grid: p, q in 0..2; d = 0 with a constant, d = 1 without and with a drift."""
    return [
        (f"ARIMA({p},{d},{q})", partial(_fit_arima, order=(p, d, q), trend=trend))
        for d, trends in ((0, ("c",)), (1, ("n", "t")))
        for p in range(3)
        for q in range(3)
        for trend in trends
    ]


def state_space_forecast(y: ArrayLike, origins: ArrayLike, horizon: int, *, results: Any) -> Array:
    """Forecasts of fitted statsmodels state-space results at each origin, from y[:o] only.

    The fitted parameters are applied to y without refitting; for each origin o the
    prediction of y[o : o + horizon] is dynamic from o, so it conditions on y[:o] only
    (for o = len(y) it is the out-of-sample forecast).

    Args:
        y: The whole series, 1-D.
        origins: Forecast origins in [1, len(y)].
        horizon: Steps per forecast.
        results: Fitted results of a statsmodels state-space model (MLEResults).

    Returns:
        (len(origins), horizon) forecasts.
    """
    arr = as_series(y)
    o = as_origins(origins, arr.size, 1)
    out = np.empty((o.size, horizon))
    with warnings.catch_warnings(), _one_blas_thread():
        warnings.simplefilter("ignore")
        applied = results.apply(arr)
        if horizon == 1 and o.size:
            # One-step predictions of a filter pass condition on y[:o] for every o at once.
            first = int(o.min())
            pred = applied.get_prediction(start=first, end=int(o.max()))
            return np.asarray(pred.predicted_mean, dtype=np.float64)[o - first, None]
        for row, origin in enumerate(o):
            pred = applied.get_prediction(start=origin, end=origin + horizon - 1, dynamic=True)
            out[row] = np.asarray(pred.predicted_mean, dtype=np.float64)
    return out


class AutoETS:
    """Additive-error ETS, trend and seasonality chosen by AIC (statsmodels state space).

    The period is given or detected on the training part; the seasonal models join the grid
    only when the training part holds at least two full periods.
    """

    def __init__(self, period: int | None = None, horizon: int = 1) -> None:
        check_int("period", period, optional=True)
        check_int("horizon", horizon)
        self.period = period
        self.horizon = horizon
        self.name = "ETS"

    def fit(
        self, y: ArrayLike, X: ArrayLike | None = None, *, train_end: int | None = None
    ) -> AutoETS:
        train = training_part(y, train_end, 4, self.name)
        period = self.period if self.period is not None else detect_period(train)
        self.name, self.results_ = _select_by_aic(train, ets_candidates(train.size, period), "ETS")
        return self

    def predict(self, y: ArrayLike, origins: ArrayLike, X: ArrayLike | None = None) -> Array:
        check_fitted(self, "results_")
        return state_space_forecast(y, origins, self.horizon, results=self.results_)


class AutoARIMA:
    """ARIMA(p, d, q) with p, q <= 2 and d <= 1 chosen by AIC (statsmodels state space).

    With d = 0 the model has a constant; with d = 1 it is fitted both without and with a
    drift (trend "t"). AIC values across d are compared as statsmodels reports them (the d = 1
    likelihood skips the first, diffuse, observation), a simple and common approximation.
    """

    def __init__(self, horizon: int = 1) -> None:
        check_int("horizon", horizon)
        self.horizon = horizon
        self.name = "ARIMA"

    def fit(
        self, y: ArrayLike, X: ArrayLike | None = None, *, train_end: int | None = None
    ) -> AutoARIMA:
        train = training_part(y, train_end, 4, self.name)
        self.name, self.results_ = _select_by_aic(train, arima_candidates(), "ARIMA")
        return self

    def predict(self, y: ArrayLike, origins: ArrayLike, X: ArrayLike | None = None) -> Array:
        check_fitted(self, "results_")
        return state_space_forecast(y, origins, self.horizon, results=self.results_)
