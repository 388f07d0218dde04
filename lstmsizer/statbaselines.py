"""Statistical baselines through statsmodels: ETS and ARIMA with orders chosen by AIC."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

# Imported at module level, not inside the fits: importing statsmodels installs an "always"
# filter for its warnings, which would undo warnings.catch_warnings() around the first fit.
from statsmodels.tsa.arima.model import ARIMA
from statsmodels.tsa.statespace import kalman_filter
from statsmodels.tsa.statespace.exponential_smoothing import ExponentialSmoothing
from statsmodels.tsa.stattools import kpss

from lstmsizer.contract import as_origins, as_series, check_fitted
from lstmsizer.errors import DataError, check_int
from lstmsizer.simplebaselines import detect_period, one_blas_thread, training_part

if TYPE_CHECKING:
    from typing import Self

Array = NDArray[np.float64]

# Each grid point: (label, function fitting the statsmodels model on y_train).
Candidate = tuple[str, Callable[[Array], Any]]

FIT_VALUES = 1_000
"""ETS and ARIMA are fitted on at most this many training values: the last ones.

Their AIC searches fit up to 6 ETS and 27 ARIMA models by maximum likelihood, each some
dozens of Kalman filter passes over the values fitted: on all 160,000 training values of a
200,000-value AR(2) series, ETS alone ran for over 10 minutes and 3 GB. On a shared 2-core
AMD EPYC (Python 3.11, statsmodels 0.15.0, scipy 1.17.1, numpy 2.4.6, torch 2.13.0, one
BLAS thread, load average 2 to 4), `python bench/baselines.py --lengths ""
--fit-values 500,1000,2000,5000` timed the ETS + ARIMA searches on 100,000 values at
4.0 + 1.4 s with 500, 4.9 + 1.6 s with 1,000, 9.4 + 3.1 s with 2,000 and 18.4 + 6.3 s with
5,000 (one run; others differed by up to a third). A sweep fits them on 3 folds and a
test split, so 1,000 keeps its baselines on 200,000 values near 20 s, while estimating at
most 6 parameters from 1,000 values. Training parts of FIT_VALUES values or fewer are
fitted whole, exactly as before.
"""

LONG_SEASON = 12
"""Longest period the seasonal ETS models try when the fit is cut to FIT_VALUES values.

A seasonal ETS state holds one value per season and a filter step costs about the cube of
the state size: on 1,000 values of a noisy sine the three seasonal models took 3.7 s in all
for period 7 and 7.6 s for 12, and one of them alone 4.8 s for 24 and 59 s for 52 (same
machine as FIT_VALUES). Seasonal naive still uses any detected period; training parts of
FIT_VALUES values or fewer try every period, as before.
"""

# Kalman filter output kept for forecasting: only the predicted state means.
_PREDICTED_MEAN_ONLY = (
    kalman_filter.MEMORY_NO_FORECAST
    | kalman_filter.MEMORY_NO_PREDICTED_COV
    | kalman_filter.MEMORY_NO_FILTERED
    | kalman_filter.MEMORY_NO_LIKELIHOOD
    | kalman_filter.MEMORY_NO_GAIN
    | kalman_filter.MEMORY_NO_SMOOTHING
    | kalman_filter.MEMORY_NO_STD_FORECAST
)


def _select_by_aic(y_train: Array, candidates: Iterable[Candidate], who: str) -> tuple[str, Any]:
    """Fit every candidate, skipping those that fail; return the label and results of min AIC."""
    best: tuple[str, Any] | None = None
    errors: list[str] = []
    # Optimiser and start-parameter warnings are expected on a grid; the AIC decides.
    with warnings.catch_warnings(), one_blas_thread():
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


def _fit_arima(
    y: Array, order: tuple[int, int, int], trend: str, drift: float | None = None
) -> Any:
    model = ARIMA(y, order=order, trend=trend)
    if drift is None or trend != "t":
        return model.fit(cov_type="none")
    with model.fix_params({"x1": drift}):  # x1: the coefficient of t, the mean step
        return model.fit(cov_type="none")


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


def arima_candidates(differences: int | None = None, drift: float | None = None) -> list[Candidate]:
    """ARIMA grid: p, q in 0..2; d = 0 with a constant, d = 1 without and with a drift.

    Args:
        differences: Keep only the models with this d; None keeps d = 0 and d = 1.
        drift: Fixed value of the drift; None estimates it with the other parameters.
    """
    return [
        (f"ARIMA({p},{d},{q})", partial(_fit_arima, order=(p, d, q), trend=trend, drift=drift))
        for d, trends in ((0, ("c",)), (1, ("n", "t")))
        if differences in (None, d)
        for p in range(3)
        for q in range(3)
        for trend in trends
    ]


def state_space_forecast(
    y: ArrayLike, origins: ArrayLike, horizon: int, *, results: Any, start: int = 0
) -> Array:
    """Forecasts of fitted statsmodels state-space results at each origin, from y[:o] only.

    The fitted parameters are applied to y without refitting, and the Kalman filter runs
    from y[start], the first value the model was fitted on, through each origin o, so every
    value after that reaches the state; origins before start are filtered from y[0]. The
    forecast of y[o : o + horizon] is the filter's prediction at o carried forward through
    the system matrices (for o = len(y) it is the out-of-sample forecast). Only the
    predicted state means are kept, so time and memory grow linearly with len(y).

    Args:
        y: The whole series, 1-D.
        origins: Forecast origins in [1, len(y)].
        horizon: Steps per forecast.
        results: Fitted results of a statsmodels state-space model (MLEResults).
        start: Position in y of the first value the results were fitted on.

    Returns:
        (len(origins), horizon) forecasts.
    """
    arr = as_series(y)
    o = as_origins(origins, arr.size, 1)
    out = np.empty((o.size, horizon))
    late = o >= start
    with warnings.catch_warnings(), one_blas_thread():
        warnings.simplefilter("ignore")
        for first, rows in ((start, late), (0, ~late)):
            if rows.any():
                history = arr[first : int(o[rows].max())]
                out[rows] = _carried_forward(history, o[rows] - first, horizon, results)
    return out


def _carried_forward(
    history: Array, origins: NDArray[np.int64], horizon: int, results: Any
) -> Array:
    """Filter the history once, then carry the predicted state at each origin forward."""
    # NaN after the history: time-varying system matrices (an ARIMA drift) cover the horizon.
    model = results.model.clone(np.concatenate([history, np.full(horizon, np.nan)]))
    model.update(results.params)
    ssm = model.ssm
    state = ssm.filter(conserve_memory=_PREDICTED_MEAN_ONLY).predicted_state[:, origins]  # (S, N)
    out = np.empty((origins.size, horizon))
    for step in range(horizon):
        t = origins + step
        design, intercept = _at(ssm.design, t)[0], _at(ssm.obs_intercept, t)[0]  # (S, N), (N,)
        out[:, step] = (design * state).sum(axis=0) + intercept
        transition = _at(ssm.transition, t)  # (S, S, N)
        state = np.einsum("rsn,sn->rn", transition, state) + _at(ssm.state_intercept, t)
    return out


def _at(matrix: Array, t: NDArray[np.int64]) -> Array:
    """A system matrix at times t: (..., T) or time-invariant (..., 1) -> (..., len(t))."""
    return matrix[..., t if matrix.shape[-1] > 1 else np.zeros_like(t)]


def kpss_differences(y: Array) -> int:
    """d for ARIMA by a KPSS test: 1 when level stationarity is rejected at 5 %, else 0."""
    if np.ptp(y) == 0:
        return 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the p-value is clipped to its table's 0.01..0.1
        p_value = kpss(y, regression="c", nlags="auto")[1]
    return int(p_value < 0.05)


def fitted_window(train: Array) -> Array:
    """The values ETS and ARIMA are fitted on: the last FIT_VALUES of the training part."""
    return train[-FIT_VALUES:]


def window_note(fitted: int, train: int) -> str:
    """What a fitted name adds when the fit was cut: " on the last 1,000 values"."""
    return f" on the last {fitted:,} values" if fitted < train else ""


class _StateSpace:
    """What ETS and ARIMA share: a model chosen on the last FIT_VALUES training values (the
    subclass's _select), and forecasts that filter the whole history with its parameters."""

    name: str
    horizon: int

    def fit(
        self, y: ArrayLike, X: ArrayLike | None = None, *, train_end: int | None = None
    ) -> Self:
        train = training_part(y, train_end, 4, self.name)
        window = fitted_window(train)
        label, self.results_, note = self._select(train, window)
        self.name = label + note
        self.start_ = train.size - window.size
        return self

    def predict(self, y: ArrayLike, origins: ArrayLike, X: ArrayLike | None = None) -> Array:
        check_fitted(self, "results_")
        return state_space_forecast(
            y, origins, self.horizon, results=self.results_, start=self.start_
        )

    def _select(self, train: Array, window: Array) -> tuple[str, Any, str]:
        """The chosen model's label, its fitted results and the note the name adds."""
        raise NotImplementedError


class AutoETS(_StateSpace):
    """Additive-error ETS, trend and seasonality chosen by AIC (statsmodels state space).

    The period is given or detected on the training part; the seasonal models join the grid
    only when the values fitted hold at least two full periods. A training part longer than
    FIT_VALUES is fitted on its last FIT_VALUES values, with seasonal models only up to
    period LONG_SEASON, and the name says so.
    """

    def __init__(self, period: int | None = None, horizon: int = 1) -> None:
        check_int("period", period, optional=True)
        check_int("horizon", horizon)
        self.period = period
        self.horizon = horizon
        self.name = "ETS"

    def _select(self, train: Array, window: Array) -> tuple[str, Any, str]:
        period = self.period if self.period is not None else detect_period(train)
        note = window_note(window.size, train.size)
        if note and period is not None and period > LONG_SEASON:
            note += f", season {period} not tried"
            period = None
        label, results = _select_by_aic(window, ets_candidates(window.size, period), "ETS")
        return label, results, note


class AutoARIMA(_StateSpace):
    """ARIMA(p, d, q) with p, q <= 2 and d <= 1 chosen by AIC (statsmodels state space).

    With d = 0 the model has a constant; with d = 1 it is fitted both without and with a
    drift (trend "t"). AIC values across d are compared as statsmodels reports them (the d = 1
    likelihood skips the first, diffuse, observation), a simple and common approximation.
    A training part longer than FIT_VALUES is fitted on its last FIT_VALUES values, and the
    name says so; d is then chosen first by a KPSS test (as auto.arima does) and the drift is
    the mean step, both on the whole training part.
    """

    def __init__(self, horizon: int = 1) -> None:
        check_int("horizon", horizon)
        self.horizon = horizon
        self.name = "ARIMA"

    def _select(self, train: Array, window: Array) -> tuple[str, Any, str]:
        grid = arima_candidates()
        note = window_note(window.size, train.size)
        if note:
            # Chosen by AIC on the window alone, an over-differenced ARIMA(2,1,1) with a drift
            # estimated on 1,000 values of a stationary AR(2) carried that drift over 40,000
            # validation values, at twice the naive RMSE. The whole training part fixes both.
            mean_step = float(train[-1] - train[0]) / (train.size - 1)
            grid = arima_candidates(kpss_differences(train), mean_step)
            note += ", d by KPSS"
        label, results = _select_by_aic(window, grid, "ARIMA")
        if note and results.model.trend == "t":
            note += ", drift from all values"
        return label, results, note
