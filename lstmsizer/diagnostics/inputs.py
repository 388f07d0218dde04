"""The windows a diagnostic reads: a fitted forecaster's scaled inputs and targets at origins."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray

from lstmsizer.contract import as_origins, check_fitted
from lstmsizer.errors import DataError, OptionError
from lstmsizer.forecaster import LSTMForecaster, stack_inputs
from lstmsizer.models import ForecastNet
from lstmsizer.panel import Panel
from lstmsizer.panelscaling import PanelScaler
from lstmsizer.runtime import seed_everything
from lstmsizer.splits import Scaler
from lstmsizer.windows import windows_at


@dataclass(frozen=True)
class Windows:
    """Network inputs and targets at a set of forecast origins.

    Attributes:
        x: (N, L, F) scaled input windows, float32 on the network's device.
        y: (N, H) scaled targets, float32 on the network's device.
        target: (N, H) targets on the original scale; for a panel on each series' own scale
            (the scaled targets in float64), where the errors of all series pool into the
            cross-series RMSE of panelscores.across_series.
        scaler: The forecaster's scaler, to bring forecasts back to the original scale; None
            for a panel, whose forecasts are compared on each series' own scale.
    """

    x: torch.Tensor
    y: torch.Tensor
    target: NDArray[np.float64]
    scaler: Scaler | None


def fitted_net(model: LSTMForecaster) -> ForecastNet:
    """The trained network of a fitted forecaster, or NotFittedError."""
    check_fitted(model, "net_")
    net = model.net_
    if net is None:  # unreachable after check_fitted; narrows the type
        raise OptionError("model must be a fitted LSTMForecaster, got one without a network")
    return net


def model_windows(
    model: LSTMForecaster, y: ArrayLike, origins: ArrayLike, X: ArrayLike | None = None
) -> Windows:
    """Scaled windows and targets for every origin whose whole horizon lies inside y.

    Args:
        model: A fitted LSTMForecaster.
        y: Target series (T,), as given to fit.
        origins: Forecast origins; each needs lags values before it and horizon after it.
        X: Extra features (T, F) as given to fit, or None.

    Raises:
        DataError: When no origin is given or a horizon runs past the end of y.
    """
    net = fitted_net(model)
    scaler = model.scaler_
    if isinstance(scaler, PanelScaler):
        raise OptionError(
            f"y must be the panel the model was fitted on ({len(model.ids_)} series), got one "
            "series"
        )
    if scaler is None:
        raise OptionError("model must be a fitted LSTMForecaster, got one without a scaler")
    inputs = stack_inputs(y, X)
    if inputs.shape[1] != net.n_features:
        raise OptionError(
            f"data must have {net.n_features} input column(s) as in training "
            f"(target plus features), got {inputs.shape[1]}"
        )
    lags, horizon = model.window.lags, model.window.horizon
    at = as_origins(origins, inputs.shape[0], lags)
    if at.size == 0 or at.max() + horizon > inputs.shape[0]:
        last = inputs.shape[0] - horizon
        raise DataError(
            f"origins must be non-empty and lie in [{lags}, {last}] so that every forecast "
            f"can be scored, got {at.size} origins up to {at.max() if at.size else None}"
        )
    scaled = scaler.transform(inputs)
    target = inputs[at[:, None] + np.arange(horizon), 0]  # (N, H)
    device = next(net.parameters()).device
    x = windows_at(scaled.astype(np.float32), lags, at)  # (N, L, F)
    y_scaled = scaler.transform(target, column=0).astype(np.float32)
    return Windows(
        x=torch.from_numpy(np.ascontiguousarray(x)).to(device),
        y=torch.from_numpy(y_scaled).to(device),
        target=target,
        scaler=scaler,
    )


def panel_model_windows(model: LSTMForecaster, panel: Panel, origins: ArrayLike) -> Windows:
    """Scaled windows and targets of a panel model at global origins, each inside its series.

    Every window reads lags values of the origin's own series and its horizon lies inside
    that series, so no window crosses two; the values are scaled by each series' own scaler
    (and carry the series-id column when the model embeds it), as the network read them.

    Raises:
        OptionError: When the model was not fitted on this panel (same ids, same order).
        DataError: When no origin is given, or a window or horizon leaves its series.
    """
    net = fitted_net(model)
    scaler = model.scaler_
    if not isinstance(scaler, PanelScaler) or tuple(model.ids_) != panel.ids:
        raise OptionError(
            f"model must be fitted on the panel {panel.name} ({panel.n_series} series, the "
            f"same ids in the same order), got one fitted on {len(model.ids_) or 'one'} series"
        )
    lags, horizon = model.window.lags, model.window.horizon
    at = np.asarray(origins, dtype=np.int64).reshape(-1)
    series = np.searchsorted(panel.starts, at, side="right") - 1  # (N,) owner of value o
    inside = (series >= 0) & (series < panel.n_series)
    first, end = panel.starts[:-1], panel.starts[1:]
    owner = np.clip(series, 0, panel.n_series - 1)
    inside &= (at - lags >= first[owner]) & (at + horizon <= end[owner])
    if at.size == 0 or not inside.all():
        bad = int(at[np.argmin(inside)]) if at.size else None
        raise DataError(
            f"origins must be non-empty, each with {lags} values of its own series before it "
            f"and {horizon} from it, got {at.size} origins (origin {bad} is not)"
        )
    raw = panel.values[at[:, None] + np.arange(-lags, 0)]  # (N, L)
    x = model._network_inputs(raw, owner)  # (N, L, F): exactly as the network reads them
    target = scaler.transform(panel.values[at[:, None] + np.arange(horizon)], owner)  # (N, H)
    device = next(net.parameters()).device
    return Windows(
        x=torch.from_numpy(np.ascontiguousarray(x)).to(device),
        y=torch.from_numpy(target.astype(np.float32)).to(device),
        target=target,
        scaler=None,
    )


@dataclass(frozen=True)
class Probe:
    """A fitted forecaster and the data a diagnostic reads it on: the windows before origins.

    Args:
        model: A fitted LSTMForecaster, e.g. LSTMForecaster.load("model.pt").
        y: Target series (T,), on the original scale, as given to fit; or the Panel a
            global model was fitted on (fit_panel).
        origins: Forecast origins, usually the validation or test origins; each needs lags
            values before it and its whole horizon inside y (for a panel: global origins,
            each inside its own series, such as PanelSplit.val_origins).
        X: Extra features (T, F) as given to fit, or None; none for a panel.
    """

    model: LSTMForecaster
    y: ArrayLike | Panel
    origins: ArrayLike
    X: ArrayLike | None = None

    def windows(self) -> Windows:
        """The scaled windows and targets at the origins (model_windows, or
        panel_model_windows for a panel)."""
        if isinstance(self.y, Panel):
            if self.X is not None:
                raise OptionError("X applies to one series; a panel has no extra features")
            return panel_model_windows(self.model, self.y, self.origins)
        return model_windows(self.model, self.y, self.origins, self.X)


def initial_net(model: LSTMForecaster) -> ForecastNet:
    """The network a fitted forecaster started training from: same seed, spec and device."""
    net = fitted_net(model)
    # fit seeds the global generator; fork it so that asking for the initial net changes nothing
    with torch.random.fork_rng(devices=[]):
        seed_everything(model.train.seed)
        fresh = ForecastNet(
            net.n_features, model.model, model.horizon, net.n_targets, n_ids=net.n_ids
        )
    return fresh.to(next(net.parameters()).device)
