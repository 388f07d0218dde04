"""The LSTM forecaster and the one contract it shares with every baseline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lstmsizer.baselines import default_baselines
from lstmsizer.config import ModelSpec, TrainSpec, WindowSpec
from lstmsizer.contract import Forecaster
from lstmsizer.datasets import get
from lstmsizer.errors import ModelFileError, NotFittedError, OptionError
from lstmsizer.forecaster import LSTMForecaster, restart_seed
from lstmsizer.holdout import ThinDataWarning

LAGS = 6


def _lstm(horizon: int = 1, seed: int = 0) -> LSTMForecaster:
    return LSTMForecaster(
        WindowSpec(LAGS, horizon),
        ModelSpec(units=4),
        TrainSpec(epochs=3, batch_size=16, seed=seed, progress=False),
    )


def _forecasters(horizon: int) -> list[Forecaster]:
    return [_lstm(horizon), *default_baselines(LAGS, horizon)]


@pytest.mark.parametrize("horizon", [1, 3])
def test_every_forecaster_keeps_the_contract(horizon: int) -> None:
    y = get("sine", n=120, seed=1).values
    origins = np.arange(90, 121 - horizon)
    for model in _forecasters(horizon):
        with pytest.raises(NotFittedError):
            model.predict(y, origins)
        assert model.fit(y, train_end=90) is model
        first = model.predict(y, origins)
        assert first.shape == (origins.size, horizon), model.name
        assert np.isfinite(first).all(), model.name
        assert model.predict(y, [len(y)]).shape == (1, horizon)
        # The same settings and seed give the same forecasts (a fresh LSTM, a refitted baseline).
        twin = _lstm(horizon) if isinstance(model, LSTMForecaster) else model
        np.testing.assert_array_equal(twin.fit(y, train_end=90).predict(y, origins), first)


def test_lstm_forecast_uses_only_the_history_before_each_origin() -> None:
    y = get("sine", n=120).values
    model = _lstm().fit(y, train_end=90)
    changed = y.copy()
    changed[100:] += 5.0
    np.testing.assert_array_equal(model.predict(y, [100]), model.predict(changed, [100]))


def test_early_stopping_watches_the_end_of_the_training_part_only() -> None:
    y = get("sine", n=120).values
    spec = TrainSpec(epochs=20, batch_size=16, patience=3, progress=False)
    model = LSTMForecaster(WindowSpec(LAGS), ModelSpec(units=4), spec).fit(y, train_end=90)
    changed = y.copy()
    changed[90:] = 100.0 * np.cos(np.arange(30))  # the validation part: must not matter
    other = LSTMForecaster(WindowSpec(LAGS), ModelSpec(units=4), spec).fit(changed, train_end=90)
    assert model.history_ is not None and other.history_ is not None
    assert model.history_.val_loss == other.history_.val_loss
    assert model.history_.train_loss == other.history_.train_loss
    # 84 training windows: round(0.15 * 84) = 13 in the block, the first 71 fitted
    assert model.stop_block_ is not None
    assert (model.stop_block_.fit, model.stop_block_.stop) == (71, 13)
    assert model.scaler_ is not None
    assert model.scaler_.offset_[0] == pytest.approx(y[:90].min())


def test_without_early_stopping_every_training_window_is_fitted() -> None:
    y = get("sine", n=120).values
    model = _lstm().fit(y, train_end=90)
    assert model.history_ is not None and model.history_.val_loss == []
    assert model.stop_block_ is not None and model.stop_block_.fit == 90 - LAGS


def test_a_run_stuck_at_the_trivial_solution_is_restarted_with_a_derived_seed() -> None:
    y = get("sine", n=120).values
    calls = []

    def stop_the_first_attempt(epoch: int, history: object) -> bool:
        calls.append(epoch)
        return len(calls) == 1  # the first attempt stops after one epoch, near its init

    spec = TrainSpec(
        epochs=60, batch_size=16, lr=1e-2, patience=10, restarts=2, seed=5, progress=False
    )
    model = LSTMForecaster(WindowSpec(LAGS), ModelSpec(units=8), spec)
    model.fit(y, train_end=90, callbacks=[stop_the_first_attempt])
    history = model.history_
    assert history is not None
    assert history.restarts == 1 and history.init_seed == restart_seed(5, 1) != 5
    assert not history.stuck and history.best_val_loss < history.trivial_loss
    assert model.train.seed == 5  # the run keeps its own seed; the restart is recorded


def test_a_run_that_never_leaves_the_trivial_solution_says_so() -> None:
    y = get("sine", n=120).values
    spec = TrainSpec(
        epochs=3, batch_size=16, lr=1e-9, patience=10, restarts=2, seed=1, progress=False
    )
    model = LSTMForecaster(WindowSpec(LAGS), ModelSpec(units=4), spec).fit(y, train_end=90)
    history = model.history_
    assert history is not None and history.stuck
    assert history.restarts == 2 and history.init_seed == restart_seed(1, 2)
    assert restart_seed(1, 0) == 1


def test_too_little_data_trains_with_one_warning() -> None:
    spec = TrainSpec(epochs=3, batch_size=4, patience=5, progress=False)
    model = LSTMForecaster(WindowSpec(4), ModelSpec(units=2), spec)
    with pytest.warns(ThinDataWarning, match="only 2 training window") as caught:
        model.fit(np.arange(6.0))
    assert len(caught) == 1
    assert model.history_ is not None and model.history_.epochs == 3


def test_recursive_forecast_beyond_the_horizon() -> None:
    y = get("sine", n=120).values
    model = _lstm(horizon=2).fit(y)
    steps = model.forecast(y, 5)
    assert steps.shape == (5,)
    np.testing.assert_array_equal(steps[:2], model.predict(y, [len(y)])[0])


def test_name_is_the_keras_style_label() -> None:
    model = ModelSpec(cell="gru", units=8, layers=2, activation="relu")
    assert LSTMForecaster(WindowSpec(LAGS), model).name == "2-layer GRU(8, relu)"
    assert _lstm().name == "LSTM(4)"


def test_save_and_load_give_the_same_forecast(tmp_path: Path) -> None:
    y = get("sine", n=120).values
    model = _lstm().fit(y)
    path = model.save(tmp_path / "m.pt")
    loaded = LSTMForecaster.load(path)
    np.testing.assert_array_equal(loaded.forecast(y, 3), model.forecast(y, 3))
    assert loaded.num_parameters() == model.num_parameters()


def test_a_file_that_is_not_a_model_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pt"
    bad.write_text("hello")
    with pytest.raises(ModelFileError, match="not an lstmsizer model file"):
        LSTMForecaster.load(bad)
    with pytest.raises(ModelFileError, match="does not exist"):
        LSTMForecaster.load(tmp_path / "missing.pt")


def test_wrong_feature_count_is_an_error() -> None:
    y = get("sine", n=120).values
    model = _lstm().fit(y)
    with pytest.raises(OptionError, match="input column"):
        model.predict(y, [100], X=np.zeros((120, 2)))


@pytest.mark.slow
def test_textbook_model_forecasts_about_11() -> None:
    """1..10, 2 lags, LSTM(100, relu), Adam 1e-3, batch 8, 500 epochs: about 1 s a seed."""
    y = np.arange(1.0, 11.0)
    forecasts = [
        LSTMForecaster(
            WindowSpec(2),
            ModelSpec(units=100, activation="relu"),
            TrainSpec(epochs=500, batch_size=8, seed=seed, progress=False),
            scaling="none",
        )
        .fit(y)
        .forecast(y)[0]
        for seed in range(5)
    ]
    assert sum(abs(f - 11.0) <= 0.5 for f in forecasts) >= 4, forecasts


def test_data_shorter_than_the_window_is_a_clear_error() -> None:
    from lstmsizer.errors import DataError

    model = _lstm().fit(get("sine", n=120).values)
    with pytest.raises(DataError, match="need at least 6 values"):
        model.forecast(np.arange(4.0))
