"""Every baseline by one import: the default set, and how a caller passes its own."""

from __future__ import annotations

import pickle
from collections.abc import Callable, Sequence

from lstmsizer.arbaselines import (
    LinearAR,
    PolyAR,
    PolyARParams,
    fit_linear_ar,
    fit_poly_ar,
    linear_ar_forecast,
    poly_ar_forecast,
)
from lstmsizer.contract import Forecaster
from lstmsizer.errors import OptionError, check
from lstmsizer.simplebaselines import (
    Drift,
    MovingAverage,
    Naive,
    SeasonalNaive,
    detect_period,
    drift_forecast,
    moving_average_forecast,
    naive_forecast,
    one_blas_thread,
    seasonal_naive_forecast,
    training_part,
)

__all__ = [
    "BaselineFactory",
    "Drift",
    "LinearAR",
    "MovingAverage",
    "Naive",
    "PolyAR",
    "PolyARParams",
    "SeasonalNaive",
    "check_baselines",
    "check_factory",
    "default_baselines",
    "detect_period",
    "drift_forecast",
    "fit_linear_ar",
    "fit_poly_ar",
    "linear_ar_forecast",
    "make_baselines",
    "moving_average_forecast",
    "naive_forecast",
    "one_blas_thread",
    "poly_ar_forecast",
    "seasonal_naive_forecast",
    "training_part",
]

BaselineFactory = Callable[[int, int, "int | None"], Sequence[Forecaster]]
"""Makes fresh, unfitted baselines from (lags, horizon, period); default_baselines is one.

It is called for every split scored and must return new instances each time. Pass one as
`baselines=` to lstmsizer.fit, lstmsizer.sweep or lstmsizer.claims.run_claims. A sweep sends
it to its worker processes, so it must pickle there: a module-level function does, a lambda
or a nested function does not.
"""


def default_baselines(lags: int, horizon: int = 1, period: int | None = None) -> list[Forecaster]:
    """One unfitted instance of every baseline, in the order of result tables.

    Args:
        lags: Lag window of the moving average and the AR baselines (the LSTM's lags).
        horizon: Number of steps forecast from each origin.
        period: Seasonal period; None detects it on the training part at fit time.

    Returns:
        naive, seasonal naive, drift, moving average, linear AR, poly AR, ETS, ARIMA.
    """
    # Imported here: statsmodels is slow to import for callers that only want the numpy
    # baselines.
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


def make_baselines(
    baselines: BaselineFactory | None, lags: int, horizon: int, period: int | None = None
) -> list[Forecaster]:
    """Fresh, unfitted baselines from a factory, checked against the forecaster contract.

    Args:
        baselines: The factory; None is default_baselines, looked up at each call so that
            this module alone decides the default.
        lags: The LSTM's lag window, passed to the factory.
        horizon: Steps per forecast; every baseline must forecast this many.
        period: Seasonal period passed to the factory; None lets the baselines detect it.

    Returns:
        The baselines, in the factory's order.

    Raises:
        OptionError: baselines is not callable, or what it returned is not a sequence of
            forecasters of this horizon with distinct names.
    """
    factory = default_baselines if baselines is None else baselines
    rule = "must be a callable (lags, horizon, period) -> sequence of forecasters"
    check(callable(factory), "baselines", rule, factory)
    made = factory(lags, horizon, period)
    kind = type(made).__name__
    check(isinstance(made, Sequence), "baselines", "must return a sequence of forecasters", kind)
    return check_baselines(made, horizon)


def check_baselines(baselines: Sequence[Forecaster], horizon: int) -> list[Forecaster]:
    """The baselines as a list, once each is a forecaster of this horizon with its own name.

    Raises:
        OptionError: One is no forecaster (name, horizon, fit, predict), has another
            horizon, or shares its name with another (result tables key on it).
    """
    for item in baselines:
        if not isinstance(item, Forecaster):
            raise OptionError(
                f"baselines must be forecasters (name, horizon, fit, predict), "
                f"got a {type(item).__name__}"
            )
        if item.horizon != horizon:
            raise OptionError(
                f"baselines must forecast horizon {horizon}, "
                f"got {item.name!r} with horizon {item.horizon!r}"
            )
    names = [item.name for item in baselines]
    check(len(set(names)) == len(names), "baselines", "must have distinct names", names)
    return list(baselines)


def check_factory(baselines: BaselineFactory | None, lags: int, horizon: int) -> None:
    """Fail at once on a factory a sweep could only reject after training: one that does not
    pickle (the sweep's worker processes receive it with the job) or makes bad baselines.

    Raises:
        OptionError: Naming baselines, as make_baselines does, or for a factory that does
            not pickle (a lambda or a nested function; a module-level function does).
    """
    try:
        pickle.dumps(baselines)
    # pickle fails with PicklingError, AttributeError or TypeError, by what it met
    except Exception as exc:
        raise OptionError(
            f"baselines must be picklable (a module-level function is), got {baselines!r}: {exc}"
        ) from None
    make_baselines(baselines, lags, horizon)
