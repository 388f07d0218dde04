"""The LSTM forecaster: windows, scaling, network and training behind the shared contract."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray

from lstmsizer.config import ModelSpec, SplitSpec, TrainSpec, WindowSpec
from lstmsizer.contract import as_origins, as_series, check_fitted
from lstmsizer.errors import DataError, OptionError
from lstmsizer.holdout import StopBlock, ThinDataWarning, stop_block
from lstmsizer.modelfile import ModelFile
from lstmsizer.models import ForecastNet
from lstmsizer.panel import Panel
from lstmsizer.panelscaling import PanelScaler
from lstmsizer.panelsplits import PanelSplit
from lstmsizer.panelwindows import PREDICT_CHUNK, panel_train_data
from lstmsizer.precision import resolve_precision
from lstmsizer.runtime import resolve_device, seed_everything, using_threads
from lstmsizer.sizes import config_label
from lstmsizer.splits import Scaler
from lstmsizer.training import Callback, History, TrainData, fit
from lstmsizer.windows import make_windows, windows_at


def stack_inputs(y: ArrayLike, X: ArrayLike | None) -> NDArray[np.float64]:
    """Network inputs (T, 1 + F): the target first, then the extra features."""
    target = as_series(y)
    if X is None:
        return target[:, None]
    extra = np.asarray(X, dtype=np.float64)
    if extra.ndim == 1:
        extra = extra[:, None]
    if extra.ndim != 2 or extra.shape[0] != target.shape[0]:
        raise OptionError(
            f"X must have shape ({target.shape[0]}, n_features) to match y, got {extra.shape}"
        )
    return np.column_stack([target, extra])


class LSTMForecaster:
    """A recurrent forecaster with Keras semantics, trained by lstmsizer's one loop.

    Args:
        window: Lags read and horizon forecast per window.
        model: Cell, units, layers, activation, dropout and initialisation.
        train: Training loop settings, including the seed.
        scaling: Scaler fitted on the training part only: minmax, standard or none.

    Attributes:
        net_: The trained ForecastNet.
        scaler_: The scaler fitted on the training part (a PanelScaler, one offset and scale
            per series, for a model fitted on a panel).
        history_: Losses and seconds per epoch.
        stop_block_: How the training windows were divided into fitted and early-stopping.
        n_features_: Number of network inputs (target plus extra features, plus the
            series-id column of a panel model with an id embedding).
        n_ids_: Series the id embedding has a row for; 0 without one.
        ids_: A panel model's series ids, in its scaler's order; empty for one series.
    """

    def __init__(
        self,
        window: WindowSpec | None = None,
        model: ModelSpec | None = None,
        train: TrainSpec | None = None,
        scaling: str = "minmax",
    ) -> None:
        self.window = window or WindowSpec(lags=12)
        self.model = model or ModelSpec()
        self.train = train or TrainSpec()
        self.scaling = SplitSpec(scaling=scaling).scaling  # type: ignore[arg-type]
        self.horizon = self.window.horizon
        self.name = config_label(
            self.model.cell, self.model.units, self.model.layers, self.model.activation
        )
        self.net_: ForecastNet | None = None
        self.scaler_: Scaler | PanelScaler | None = None
        self.history_: History | None = None
        self.n_features_: int | None = None
        self.n_ids_ = 0
        self.ids_: tuple[str, ...] = ()
        self.stop_block_: StopBlock | None = None

    def fit(
        self,
        y: ArrayLike,
        X: ArrayLike | None = None,
        *,
        train_end: int | None = None,
        callbacks: Sequence[Callback] = (),
    ) -> LSTMForecaster:
        """Train on the windows whose targets lie before train_end.

        With early stopping (train.patience), the last windows of the training part form the
        early-stopping block (holdout.stop_block), which is monitored and never fitted.
        Windows whose targets lie at or after train_end are never used. A run no better on
        its block than a constant at the training mean is restarted up to train.restarts
        times from a fresh initialisation (seed restart_seed(seed, k)). Too few windows give
        one ThinDataWarning and training goes on.

        Args:
            y: Target series (T,).
            X: Extra input features (T, F) or None.
            train_end: End of the training part; None trains on all of y.
            callbacks: Called by the training loop after every epoch (training.Callback).

        Returns:
            self
        """
        inputs, data = self._prepare(y, X, train_end)
        self._fit_from(inputs.shape[1], data, callbacks, first_attempt=0)
        return self

    def _fit_from(
        self, n_features: int, data: TrainData, callbacks: Sequence[Callback], first_attempt: int
    ) -> None:
        """Train attempts first_attempt, ... until one leaves the trivial solution."""
        attempt = first_attempt
        precision = resolve_precision(self.train.precision, self.model, data.x.device)
        with using_threads(self.train.threads):
            while True:
                seed = restart_seed(self.train.seed, attempt)
                seed_everything(seed)
                # set before training: callbacks may look at the net being trained
                net = ForecastNet(n_features, self.model, self.horizon, n_ids=self.n_ids_)
                self.net_ = net.to(data.x.device)
                spec = dataclasses.replace(self.train, seed=seed, precision=precision)
                history = fit(self.net_, data, spec, callbacks)
                history.restarts, history.init_seed = attempt, seed
                self.history_ = history
                if not history.stuck or attempt >= self.train.restarts:
                    return
                attempt += 1

    def _prepare(
        self, y: ArrayLike, X: ArrayLike | None, train_end: int | None
    ) -> tuple[NDArray[np.float64], TrainData]:
        """Fit the scaler on the training part; training and validation windows as views."""
        inputs = stack_inputs(y, X)
        n = inputs.shape[0]
        lags, horizon = self.window.lags, self.window.horizon
        end = n if train_end is None else int(train_end)
        if not lags + horizon <= end <= n:
            raise DataError(
                f"train_end must lie in [{lags + horizon}, {n}] for {lags} lags and horizon "
                f"{horizon} on a series of length {n}, got {end}"
            )
        self.scaler_ = Scaler.fit(inputs[:end], self.scaling)
        self.n_features_ = inputs.shape[1]
        scaled = self.scaler_.transform(inputs).astype(np.float32)
        series = torch.from_numpy(scaled).to(resolve_device(self.train.device))
        x, y_windows = make_windows(series, series[:, :1], lags, horizon)
        block = stop_block(end - lags - horizon + 1, horizon, self.train.stop_share)
        if block.warning is not None:
            warnings.warn(block.warning, ThinDataWarning, stacklevel=3)
        self.stop_block_ = block
        # fitted windows, then horizon - 1 skipped, then the block; later windows are unused
        first_stop = block.train - block.stop
        data = TrainData(
            x[: block.fit],
            y_windows[: block.fit],
            x[first_stop : block.train],
            y_windows[first_stop : block.train],
        )
        return inputs, data

    def fit_panel(
        self, panel: Panel, split: PanelSplit, callbacks: Sequence[Callback] = ()
    ) -> LSTMForecaster:
        """Train one global model on the windows of every active series of a panel.

        Each series is scaled by its own scaler fitted on its training part only; windows
        never cross two series; the early-stopping block is the last windows of each
        series' training part (panelwindows.stop_origins), monitored and never fitted.

        Returns:
            self
        """
        data = self._prepare_panel(panel, split)
        assert self.n_features_ is not None
        self._fit_from(self.n_features_, data, callbacks, first_attempt=0)
        return self

    def _prepare_panel(self, panel: Panel, split: PanelSplit) -> TrainData:
        """Per-series scaler, then the panel's window views and the rows fitted and monitored."""
        self.scaler_ = PanelScaler.fit(panel.values, split, self.scaling)
        embedded = self.model.id_embedding > 0
        self.n_features_, self.n_ids_ = 1 + embedded, panel.n_series * embedded
        self.ids_ = panel.ids
        scaled = torch.from_numpy(self._scaled_panel(panel))
        data, block = panel_train_data(
            scaled.to(resolve_device(self.train.device)), split, self.train.stop_share
        )
        if block.warning is not None:
            warnings.warn(block.warning, ThinDataWarning, stacklevel=3)
        self.stop_block_ = block
        return data

    def _scaled_panel(self, panel: Panel) -> NDArray[np.float32]:
        """(T, F) every series on its own scale, as the network reads it."""
        return self._network_inputs(panel.values, panel.series_index)

    def _network_inputs(self, values: ArrayLike, series: ArrayLike) -> NDArray[np.float32]:
        """Values (N, ...) on the scale of their series (N,), as the network reads them:
        (N, ..., 1), or (N, ..., 2) with the series index last when the model embeds it
        (exact in float32 below 2**24 series)."""
        assert isinstance(self.scaler_, PanelScaler)
        index = np.asarray(series)
        scaled = self.scaler_.transform(values, index)
        if not self.n_ids_:
            return scaled.astype(np.float32)[..., None]
        ids = np.broadcast_to(index.reshape(index.shape + (1,) * (scaled.ndim - 1)), scaled.shape)
        return np.stack((scaled, ids), axis=-1).astype(np.float32)

    def predict_panel(self, panel: Panel, origins: ArrayLike) -> NDArray[np.float64]:
        """Forecast values[o : o + horizon] from the lags values before each global origin o.

        Each origin must have at least lags values of its own series before it; the series
        end (the next series' start) forecasts that series' unseen future.

        Returns:
            Array (len(origins), horizon) on each series' original scale.
        """
        check_fitted(self, "net_")
        assert self.net_ is not None
        if not isinstance(self.scaler_, PanelScaler) or self.ids_ != panel.ids:
            raise OptionError(
                f"the model was not fitted on the series of {panel.name} "
                f"({panel.n_series} series): a panel model forecasts the series it was "
                "fitted on, with the same ids in the same order"
            )
        at = np.asarray(origins, dtype=np.int64).reshape(-1)
        series = panel.series_before(at)
        lags = self.window.lags
        bad = (at < lags) | (at - lags < panel.starts[np.clip(series, 0, None)])
        if bad.any():
            raise DataError(
                f"origin {int(at[np.argmax(bad)])} has fewer than {lags} values of its own "
                "series before it"
            )
        out = np.empty((at.shape[0], self.horizon))
        for first in range(0, at.shape[0], PREDICT_CHUNK):
            chunk = slice(first, first + PREDICT_CHUNK)
            windows = panel.values[at[chunk, None] + np.arange(-lags, 0)]  # (n, L)
            out[chunk] = self.predict_windows(windows, series[chunk])
        return out

    def predict_windows(self, windows: ArrayLike, series: ArrayLike) -> NDArray[np.float64]:
        """Forecasts (N, H) from input windows (N, lags) on the original scale of their series.

        A panel model's step for any windows, such as those of a recursive forecast beyond
        the horizon: each window scaled by its series' parameters, the forecasts returned in
        that series' units.
        """
        check_fitted(self, "net_")
        assert self.net_ is not None and isinstance(self.scaler_, PanelScaler)
        index = np.asarray(series)
        x = self._network_inputs(windows, index)  # (N, L, F)
        out = np.empty((x.shape[0], self.horizon))
        device = next(self.net_.parameters()).device
        self.net_.eval()
        with using_threads(self.train.threads), torch.no_grad():
            for first in range(0, x.shape[0], PREDICT_CHUNK):
                part = torch.from_numpy(np.ascontiguousarray(x[first : first + PREDICT_CHUNK]))
                pred = self.net_(part.to(device))[..., 0]  # (n, L, F) -> (n, H)
                out[first : first + pred.shape[0]] = pred.double().cpu().numpy()
        return np.asarray(self.scaler_.inverse(out, index), dtype=np.float64)

    def num_parameters(self) -> int:
        """Trainable parameters of the network (Keras convention)."""
        check_fitted(self, "net_")
        assert self.net_ is not None
        return self.net_.num_parameters()

    def predict(
        self, y: ArrayLike, origins: ArrayLike, X: ArrayLike | None = None
    ) -> NDArray[np.float64]:
        """Forecast y[o : o + horizon] from y[:o] for each origin o.

        Returns:
            Array (len(origins), horizon) on the original scale.
        """
        check_fitted(self, "net_")
        assert self.net_ is not None and isinstance(self.scaler_, Scaler)
        inputs = stack_inputs(y, X)
        if inputs.shape[1] != self.n_features_:
            raise OptionError(
                f"data must have {self.n_features_} input column(s) as in training "
                f"(target plus features), got {inputs.shape[1]}"
            )
        if inputs.shape[0] < self.window.lags:
            raise DataError(
                f"data has {inputs.shape[0]} values but the model reads windows of "
                f"{self.window.lags} lags: need at least {self.window.lags} values"
            )
        at = as_origins(origins, inputs.shape[0], self.window.lags)
        scaled = self.scaler_.transform(inputs).astype(np.float32)
        x = torch.from_numpy(np.ascontiguousarray(windows_at(scaled, self.window.lags, at)))
        device = next(self.net_.parameters()).device
        self.net_.eval()
        with using_threads(self.train.threads), torch.no_grad():
            out = self.net_(x.to(device))  # (N, L, F) -> (N, H, 1)
        pred = out[..., 0].double().cpu().numpy()
        return np.asarray(self.scaler_.inverse_transform(pred, column=0), dtype=np.float64)

    def forecast(
        self, y: ArrayLike, steps: int | None = None, X: ArrayLike | None = None
    ) -> NDArray[np.float64]:
        """The next values after the end of y, recursively beyond the horizon.

        Args:
            y: History to forecast from (at least lags values).
            steps: Number of future values; defaults to the horizon.
            X: Extra features of the history; recursion beyond the horizon needs none.
        """
        steps = self.horizon if steps is None else steps
        if not isinstance(steps, int) or steps < 1:
            raise OptionError(f"steps must be an integer >= 1, got {steps!r}")
        if steps > self.horizon and X is not None:
            raise OptionError(
                f"steps > horizon ({steps} > {self.horizon}) needs future feature values; "
                "recursive forecasts work only for a univariate model"
            )
        history = as_series(y).copy()
        out: list[float] = []
        while len(out) < steps:
            nxt = self.predict(history, [history.shape[0]], X)[0]
            out.extend(nxt[: steps - len(out)].tolist())
            history = np.concatenate([history, nxt])
        return np.asarray(out, dtype=np.float64)

    def save(self, path: str | Path) -> Path:
        """Write weights, specs, scaler and versions to one file for `lstmsizer predict`."""
        check_fitted(self, "net_")
        assert self.net_ is not None and self.scaler_ is not None and self.history_ is not None
        assert self.n_features_ is not None
        specs = (self.window, self.model, self.train, self.scaling)
        file = ModelFile(
            *specs, self.scaler_, self.n_features_, self.history_, self.net_, self.ids_
        )
        return file.write(path)

    @classmethod
    def load(cls, path: str | Path, device: str | None = None) -> LSTMForecaster:
        """Read a file written by save(); errors name the file and what is wrong."""
        file = ModelFile.read(path, device)
        model = cls(file.window, file.model, file.train)
        model.scaling, model.scaler_ = file.scaling, file.scaler
        model.n_features_, model.history_ = file.n_features, file.history
        model.n_ids_, model.ids_ = file.n_ids, file.ids
        model.net_ = file.net.to(resolve_device(device))
        return model


def restart_seed(seed: int, attempt: int) -> int:
    """Seed of restart `attempt` of a run with `seed`: the seed itself for the first try.

    Restarts step by a large prime so they never meet the seeds of a sweep (seed, seed + 1,
    ...) unless it has over a million seeds.
    """
    return (seed + attempt * 1_000_003) % 2**63
