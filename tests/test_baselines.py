"""Tests of the baselines (simple, AR, statistical) and their registry: values, references."""

from __future__ import annotations

import contextlib
import functools
import re
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import lstmsizer
import lstmsizer.baselines
from lstmsizer import statbaselines
from lstmsizer.baselines import (
    Drift,
    LinearAR,
    MovingAverage,
    Naive,
    PolyAR,
    SeasonalNaive,
    default_baselines,
    detect_period,
    drift_forecast,
    fit_linear_ar,
    linear_ar_forecast,
    make_baselines,
    moving_average_forecast,
    naive_forecast,
    seasonal_naive_forecast,
)
from lstmsizer.config import ModelSpec, TrainSpec, WindowSpec
from lstmsizer.contract import Forecaster
from lstmsizer.datasets import resolve
from lstmsizer.errors import DataError, NotFittedError, OptionError
from lstmsizer.evaluation import baseline_rows
from lstmsizer.splits import train_val_split
from lstmsizer.statbaselines import (
    AutoARIMA,
    AutoETS,
    _select_by_aic,
    arima_candidates,
    ets_candidates,
    kpss_differences,
)

LAGS = 4
NAMES = [model.name for model in default_baselines(LAGS)]
TRAIN_END = 32


def seasonal_series(n: int = 80, seed: int = 0) -> np.ndarray:
    """Period-4 pattern plus a mild trend and noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 10.0 + 0.05 * t + 2.0 * np.sin(2 * np.pi * t / 4) + 0.3 * rng.normal(size=n)


SERIES = seasonal_series(48)


def make(index: int, horizon: int) -> Forecaster:
    return default_baselines(LAGS, horizon)[index]


def test_naive_by_hand() -> None:
    y = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert naive_forecast(y, [3], 1).tolist() == [[3.0]]
    assert naive_forecast(y, [3, 5], 3).tolist() == [[3.0] * 3, [5.0] * 3]


def test_seasonal_naive_repeats_the_last_season() -> None:
    y = [1.0, 2.0, 3.0, 4.0, 11.0, 12.0, 13.0, 14.0, 21.0, 22.0]
    out = seasonal_naive_forecast(y, [8, 10], 6, period=4)
    assert out[0].tolist() == [11.0, 12.0, 13.0, 14.0, 11.0, 12.0]
    assert out[1].tolist() == [13.0, 14.0, 21.0, 22.0, 13.0, 14.0]
    with pytest.raises(OptionError, match="origins"):
        seasonal_naive_forecast(y, [3], 1, period=4)


def test_drift_by_hand() -> None:
    y = [1.0, 2.0, 4.0, 7.0, 11.0]
    # origin 4: last 7, slope (7 - 1) / 3 = 2; origin 5: last 11, slope 10 / 4 = 2.5.
    assert drift_forecast(y, [4, 5], 2).tolist() == [[9.0, 11.0], [13.5, 16.0]]
    with pytest.raises(OptionError, match="origins"):
        drift_forecast(y, [1], 1)


def test_moving_average_by_hand() -> None:
    y = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert moving_average_forecast(y, [3, 5], 2, lags=3).tolist() == [[2.0, 2.0], [4.0, 4.0]]


def test_detect_period_on_a_noisy_sine_and_white_noise() -> None:
    rng = np.random.default_rng(0)
    t = np.arange(240)
    assert detect_period(np.sin(2 * np.pi * t / 12) + 0.3 * rng.normal(size=240)) == 12
    assert detect_period(0.05 * t + np.sin(2 * np.pi * t / 12) + 0.3 * rng.normal(size=240)) == 12
    assert detect_period(np.sin(2 * np.pi * t / 12), max_period=6) is None
    assert detect_period(rng.normal(size=240)) is None
    assert detect_period(np.full(50, 3.0)) is None


def test_detect_period_on_the_trending_airline_training_part() -> None:
    path = Path(lstmsizer.__file__).parent / "data" / "airline_passengers.csv"
    passengers = np.loadtxt(path, delimiter=",", skiprows=1, usecols=1)
    assert detect_period(passengers[:115]) == 12


def test_linear_ar_matches_numpy_least_squares() -> None:
    y = np.random.default_rng(1).normal(size=50).cumsum()
    lags, horizon = 3, 2
    rows, targets = [], []
    for t in range(lags, y.size - horizon + 1):
        rows.append([1.0, *y[t - lags : t]])
        targets.append(y[t : t + horizon])
    expected, *_ = np.linalg.lstsq(np.array(rows), np.array(targets), rcond=None)
    coef = fit_linear_ar(y, lags, horizon)
    np.testing.assert_allclose(coef, expected, rtol=1e-10, atol=1e-10)
    origins = [3, 20, 50]
    manual = [
        [expected[0, h] + y[o - lags : o] @ expected[1:, h] for h in range(2)] for o in origins
    ]
    np.testing.assert_allclose(linear_ar_forecast(y, origins, horizon, coef=coef), manual)


def test_linear_ar_recovers_a_noise_free_ar2_exactly() -> None:
    c, a1, a2 = 1.0, 1.6, -0.95  # y[t] = c + a1 y[t-1] + a2 y[t-2], a slowly damped cycle
    y = np.zeros(60)
    y[:2] = [3.0, -2.0]
    for t in range(2, y.size):
        y[t] = c + a1 * y[t - 1] + a2 * y[t - 2]
    model = LinearAR(2, horizon=2).fit(y)
    # rows: intercept, y[t-2], y[t-1]; step 2 substitutes step 1 into itself.
    np.testing.assert_allclose(model.coef_[:, 0], [c, a2, a1], atol=1e-8)
    np.testing.assert_allclose(model.coef_[:, 1], [c * (1 + a1), a1 * a2, a1**2 + a2], atol=1e-8)
    np.testing.assert_allclose(model.predict(y, [30])[0], y[30:32], atol=1e-8)


def logistic_map(n: int = 300) -> np.ndarray:
    y = np.empty(n)
    y[0] = 0.3
    for t in range(1, n):
        y[t] = 3.7 * y[t - 1] - 3.7 * y[t - 1] ** 2  # a + b y + c y^2 with a = 0
    return y


def test_poly_ar_recovers_a_quadratic_map() -> None:
    y = logistic_map()
    origins = np.arange(200, 300)
    nearly_unpenalised = PolyAR(1, alpha=1e-9).fit(y, train_end=200)
    np.testing.assert_allclose(nearly_unpenalised.predict(y, origins)[:, 0], y[200:], atol=1e-5)
    default = PolyAR(1).fit(y, train_end=200).predict(y, origins)[:, 0]
    linear = LinearAR(1).fit(y, train_end=200).predict(y, origins)[:, 0]
    rmse_poly = np.sqrt(np.mean((default - y[200:]) ** 2))
    rmse_linear = np.sqrt(np.mean((linear - y[200:]) ** 2))
    assert rmse_poly < 0.25 * y.std() and rmse_poly < 0.5 * rmse_linear


def test_ets_and_arima_choose_a_model_and_forecast() -> None:
    ets, arima = fitted(NAMES.index("ETS"), 3), fitted(NAMES.index("ARIMA"), 3)
    assert isinstance(ets, AutoETS) and isinstance(arima, AutoARIMA)
    assert re.fullmatch(r"ETS\(A,(N|A|Ad),(N|A)\)", ets.name)
    assert ets.name.endswith(",A)")  # the period 4 is detected and the seasonal model wins
    assert re.fullmatch(r"ARIMA\([0-2],[01],[0-2]\)", arima.name)
    for model in (ets, arima):
        out = model.predict(SERIES, [TRAIN_END, 40, SERIES.size])
        assert out.shape == (3, 3) and np.isfinite(out).all()
        # A fitted model stays near the level of the series.
        assert np.all(np.abs(out - SERIES.mean()) < 4 * SERIES.std())


@pytest.mark.parametrize("horizon", [1, 3])
@pytest.mark.parametrize("name", ["ETS", "ARIMA"])
def test_state_space_forecasts_equal_a_filter_on_the_history_only(name: str, horizon: int) -> None:
    model = fitted(NAMES.index(name), horizon)
    assert isinstance(model, (AutoETS, AutoARIMA))
    origins = [TRAIN_END, 33, 40, 41, SERIES.size - horizon, SERIES.size]
    out = model.predict(SERIES, origins)
    for row, origin in enumerate(origins):
        # Reference: the same parameters filtered on y[:o] only, then forecast out of sample.
        reference = model.results_.apply(SERIES[:origin]).forecast(horizon)
        np.testing.assert_allclose(out[row], reference, rtol=1e-9, atol=1e-9, err_msg=str(origin))


def test_ets_seasonal_models_need_two_full_periods() -> None:
    assert len(ets_candidates(8, 4)) == 6
    assert len(ets_candidates(7, 4)) == 3
    assert len(ets_candidates(100, None)) == 3


def test_model_selection_fails_with_a_data_error_when_every_fit_fails() -> None:
    def broken(y: np.ndarray) -> object:
        raise np.linalg.LinAlgError("singular")

    with pytest.raises(DataError, match="ARIMA: no model could be fitted on 5 values"):
        _select_by_aic(np.arange(5.0), [("ARIMA(0,0,0)", broken)], "ARIMA")


@functools.cache
def fitted(index: int, horizon: int) -> Forecaster:
    """Each baseline fitted once on the shared series (ETS and ARIMA fits take a while)."""
    model = make(index, horizon)
    assert model.fit(SERIES, train_end=TRAIN_END) is model
    return model


@pytest.mark.parametrize("index", range(len(NAMES)), ids=NAMES)
def test_no_leak_from_values_at_or_after_the_origin(index: int) -> None:
    y = SERIES
    model = fitted(index, 3)
    for origin in (TRAIN_END, 40, y.size - 1):
        changed = y.copy()
        changed[origin:] = 1e3 + np.arange(y.size - origin)
        np.testing.assert_array_equal(
            model.predict(y, [origin]), model.predict(changed, [origin]), err_msg=str(origin)
        )
    # fit reads y[:train_end] only, ignores extra features, is reproducible and silent.
    changed = y.copy()
    changed[TRAIN_END:] = -50.0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        refit = make(index, 3).fit(changed, np.ones((y.size, 2)), train_end=TRAIN_END)
        refit_forecast = refit.predict(y, [32, 44])
    assert [str(w.message) for w in caught] == []
    np.testing.assert_array_equal(refit_forecast, model.predict(y, [32, 44]))


@pytest.mark.parametrize("horizon", [1, 3])
@pytest.mark.parametrize("index", range(len(NAMES)), ids=NAMES)
def test_forecaster_contract(index: int, horizon: int) -> None:
    y = SERIES
    fresh = make(index, horizon)
    assert isinstance(fresh, Forecaster)
    assert fresh.horizon == horizon and isinstance(fresh.name, str) and fresh.name
    with pytest.raises(NotFittedError):
        fresh.predict(y, [40])
    model = fitted(index, horizon)
    origins = [*range(TRAIN_END, y.size - horizon + 1), y.size]
    out = model.predict(y, origins)
    assert out.shape == (len(origins), horizon) and out.dtype == np.float64
    assert np.isfinite(out).all()
    np.testing.assert_array_equal(model.predict(y, origins, np.ones((y.size, 2))), out)
    assert model.predict(y, []).shape == (0, horizon)


CLASSES: list[Callable[[], Forecaster]] = [
    Naive,
    lambda: SeasonalNaive(4),
    Drift,
    lambda: MovingAverage(3),
    lambda: LinearAR(3),
    lambda: PolyAR(3),
]


@pytest.mark.parametrize("build", CLASSES)
def test_bad_input_is_named(build: Callable[[], Forecaster]) -> None:
    y = seasonal_series(40)
    with pytest.raises(OptionError, match="train_end must be an integer in"):
        build().fit(y, train_end=41)
    with pytest.raises(DataError, match="must be finite"):
        build().fit(np.r_[y[:10], np.nan, y[11:]], train_end=20)
    with pytest.raises(OptionError, match="origins must lie in"):
        build().fit(y).predict(y, [41])
    if build is not Naive:  # naive needs one value only
        with pytest.raises(DataError, match="needs at least"):
            build().fit(y, train_end=1)


def test_constructor_arguments_are_checked() -> None:
    with pytest.raises(OptionError, match="horizon must be an integer >= 1"):
        Naive(0)
    with pytest.raises(OptionError, match="lags must be an integer >= 1"):
        LinearAR(0)
    with pytest.raises(OptionError, match="period must be an integer >= 1 or None"):
        AutoETS(period=0)
    with pytest.raises(OptionError, match="alpha must be >= 0"):
        PolyAR(2, alpha=-1.0)


def test_seasonal_naive_names_its_period() -> None:
    y = seasonal_series()
    assert SeasonalNaive(7).name == "seasonal naive(7)"
    model = SeasonalNaive().fit(y, train_end=60)
    assert model.period_ == 4 and model.name == "seasonal naive(4)"
    noise = np.random.default_rng(5).normal(size=80)
    fallback = SeasonalNaive(horizon=2).fit(noise)
    assert fallback.period_ == 1 and fallback.name == "seasonal naive(none: naive)"
    np.testing.assert_array_equal(fallback.predict(noise, [50]), naive_forecast(noise, [50], 2))


def test_default_baselines_order_and_names() -> None:
    models = default_baselines(12, horizon=2, period=12)
    assert [type(m).__name__ for m in models] == [
        "Naive",
        "SeasonalNaive",
        "Drift",
        "MovingAverage",
        "LinearAR",
        "PolyAR",
        "AutoETS",
        "AutoARIMA",
    ]
    assert [m.name for m in models[:6]] == [
        "naive",
        "seasonal naive(12)",
        "drift",
        "moving average(12)",
        "linear AR(12)",
        "poly AR(12, deg 2)",
    ]
    assert all(m.horizon == 2 for m in models)


def ar1_series(n: int, seed: int = 3) -> np.ndarray:
    """A stationary AR(1) around 5, so a KPSS test keeps d = 0."""
    e = np.random.default_rng(seed).normal(size=n)
    y = np.empty(n)
    y[0] = e[0]
    for t in range(1, n):
        y[t] = 0.5 * y[t - 1] + e[t]
    return 5.0 + y


def direct_fit(model: Forecaster, window: np.ndarray) -> Any:
    """The chosen model fitted straight through statsmodels on the given values."""
    from statsmodels.tsa.arima.model import ARIMA
    from statsmodels.tsa.statespace.exponential_smoothing import ExponentialSmoothing

    chosen = model.results_.model  # type: ignore[attr-defined]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if isinstance(model, AutoARIMA):
            return ARIMA(window, order=chosen.order, trend=chosen.trend).fit(cov_type="none")
        period = chosen.seasonal_periods if chosen.seasonal else None
        return ExponentialSmoothing(
            window, trend=chosen.trend, damped_trend=chosen.damped_trend, seasonal=period
        ).fit(disp=False, cov_type="none")


@pytest.mark.parametrize("horizon", [1, 3])
@pytest.mark.parametrize("build", [AutoETS, AutoARIMA])
def test_a_long_training_part_is_fitted_on_its_last_values(
    build: Callable[..., Forecaster], horizon: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(statbaselines, "FIT_VALUES", 60)
    y, train_end = ar1_series(130), 100
    model = build(horizon=horizon).fit(y, train_end=train_end)
    assert isinstance(model, (AutoETS, AutoARIMA))
    assert model.start_ == 40 and model.results_.nobs == 60
    assert re.fullmatch(r"(ETS|ARIMA)\(.*\) on the last 60 values(, d by KPSS)?", model.name)
    reference = direct_fit(model, y[40:train_end])
    np.testing.assert_allclose(model.results_.params, reference.params, rtol=1e-10)
    # Every origin of the validation block, and some before and inside the fitted window.
    origins = [5, 39, 40, 41, 70, *range(train_end, y.size - horizon + 1), y.size]
    out = model.predict(y, origins)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for row, origin in enumerate(origins):
            if origin > train_end:  # the fitted state updated with the values that follow
                expected = reference.append(y[train_end:origin]).forecast(horizon)
            elif origin == train_end:
                expected = reference.forecast(horizon)
            elif origin >= 40:  # inside the window: a dynamic prediction from the origin
                at = origin - 40
                steps = reference.get_prediction(start=at, end=at + horizon - 1, dynamic=True)
                expected = steps.predicted_mean
            else:  # before the window: the same parameters filtered from y[0]
                expected = reference.apply(y[:origin]).forecast(horizon)
            np.testing.assert_allclose(out[row], expected, rtol=1e-8, err_msg=str(origin))


@pytest.mark.parametrize("build", [AutoETS, AutoARIMA])
def test_a_training_part_of_fit_values_or_fewer_is_fitted_whole(
    build: Callable[[], Forecaster], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(statbaselines, "FIT_VALUES", 60)
    y = ar1_series(130)
    model = build().fit(y, train_end=60)
    assert isinstance(model, (AutoETS, AutoARIMA))
    assert model.start_ == 0 and model.results_.nobs == 60
    assert re.fullmatch(r"(ETS|ARIMA)\([^)]*\)", model.name)
    reference = direct_fit(model, y[:60])
    np.testing.assert_allclose(model.results_.params, reference.params, rtol=1e-10)


def test_a_cut_ets_fit_skips_seasons_over_long_season(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(statbaselines, "FIT_VALUES", 60)
    y = seasonal_series(120)
    seasonal = AutoETS(period=4).fit(y, train_end=100)
    assert seasonal.name.endswith(",A) on the last 60 values")
    monkeypatch.setattr(statbaselines, "LONG_SEASON", 3)
    cut = AutoETS(period=4).fit(y, train_end=100)
    assert re.fullmatch(r"ETS\(A,(N|A|Ad),N\) on the last 60 values, season 4 not tried", cut.name)
    assert AutoETS(period=4).fit(y, train_end=60).name.endswith(",A)")  # not cut: tried


def test_arima_chooses_d_by_kpss_and_fixes_the_drift_on_a_cut_fit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(4)
    walk = (0.3 + rng.normal(size=400)).cumsum()
    assert kpss_differences(walk) == 1
    assert kpss_differences(ar1_series(400)) == 0
    assert kpss_differences(np.full(50, 2.0)) == 0
    assert len(arima_candidates()) == 27
    assert len(arima_candidates(0)) == 9 and len(arima_candidates(1)) == 18
    with_drift = [
        b
        for _, b in arima_candidates(1, 0.25)
        if isinstance(b, functools.partial) and b.keywords["trend"] == "t"
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert with_drift[0](walk).params[0] == 0.25
    monkeypatch.setattr(statbaselines, "FIT_VALUES", 100)
    model = AutoARIMA().fit(walk, train_end=300)
    assert model.results_.model.order[1] == 1 and ", d by KPSS" in model.name
    if model.results_.model.trend == "t":
        mean_step = (walk[299] - walk[0]) / 299
        assert model.results_.params[0] == pytest.approx(mean_step, rel=1e-12)
        assert model.name.endswith(", drift from all values")


def test_the_callback_is_called_once_per_baseline() -> None:
    data = resolve(SERIES)
    split = train_val_split(len(data), WindowSpec(lags=LAGS), 0.25)
    calls: list[tuple[int, object]] = []
    rows = baseline_rows(
        default_baselines(LAGS), data, split, lambda i, row: calls.append((i, row["model"]))
    )
    assert calls == [(i, row["model"]) for i, row in enumerate(rows)]
    assert len(rows) == len(NAMES) and all(row["kind"] == "baseline" for row in rows)


def test_fit_shows_one_baselines_tick_per_baseline(monkeypatch: pytest.MonkeyPatch) -> None:
    import lstmsizer.evaluation

    bars: list[tuple[str, int | None, bool | None]] = []
    ticks: list[str] = []

    class Recorder:
        def advance(self, note: str = "") -> None:
            ticks.append(note)

    @contextlib.contextmanager
    def recording_bar(label: str, total: int | None, show: bool | None) -> Iterator[Recorder]:
        bars.append((label, total, show))
        yield Recorder()

    monkeypatch.setattr(lstmsizer.evaluation, "progress_bar", recording_bar)
    baselines: list[Forecaster] = [Naive(), Drift()]
    train = TrainSpec(epochs=1, progress=False)
    result = lstmsizer.fit(
        resolve(SERIES), WindowSpec(lags=LAGS), ModelSpec(units=2), train, baselines=baselines
    )
    assert bars == [("baselines", 2, False)]
    assert ticks == ["naive", "drift"]
    assert set(ticks) < set(result.table["model"])


def naive_and_drift(lags: int, horizon: int = 1, period: int | None = None) -> list[Forecaster]:
    return [Naive(horizon), Drift(horizon)]


def test_fit_scores_the_baselines_a_factory_makes() -> None:
    data = resolve(SERIES)
    train = TrainSpec(epochs=1, progress=False)
    window = WindowSpec(lags=LAGS)
    result = lstmsizer.fit(data, window, ModelSpec(units=2), train, baselines=naive_and_drift)
    table = result.table.set_index("model")
    assert list(table["kind"]).count("lstm") == 1 and len(table) == 3
    assert set(table.index[table["kind"] == "baseline"]) == {"naive", "drift"}
    origins = result.split.val_origins
    expected = np.sqrt(np.mean((SERIES[origins] - SERIES[origins - 1]) ** 2))
    assert table.loc["naive", "rmse"] == pytest.approx(expected, rel=1e-12)


def test_make_baselines_without_a_factory_looks_the_default_up_when_called(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert [b.name for b in make_baselines(None, LAGS, 2)] == [
        b.name for b in default_baselines(LAGS, 2)
    ]
    monkeypatch.setattr(lstmsizer.baselines, "default_baselines", naive_and_drift)
    assert [b.name for b in make_baselines(None, LAGS, 1)] == ["naive", "drift"]


def test_fit_checks_the_baselines_it_is_given() -> None:
    with pytest.raises(OptionError, match=r"^baselines must forecast horizon 1, got 'drift'"):
        lstmsizer.fit(
            resolve(SERIES),
            WindowSpec(lags=LAGS),
            ModelSpec(units=2),
            TrainSpec(epochs=1, progress=False),
            baselines=[Naive(), Drift(horizon=2)],
        )
