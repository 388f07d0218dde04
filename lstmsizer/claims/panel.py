"""What the claim experiments do differently on a panel: windows, linear rival, record."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from lstmsizer.claims.protocol import Fitted
from lstmsizer.diagnostics.gradients import gradient_profile
from lstmsizer.diagnostics.inputs import fitted_net, initial_net
from lstmsizer.forecaster import LSTMForecaster
from lstmsizer.panel import Panel
from lstmsizer.panelbaselines import PooledAR
from lstmsizer.panelevaluation import panel_scores
from lstmsizer.panelscaling import PanelScaler
from lstmsizer.panelscores import across_series
from lstmsizer.panelsplits import PanelSplit
from lstmsizer.rundir.measurements import GradientProfile

SCORED = "across series: RMSE of the errors on each series' own scale, pooled"
"""How a panel's validation RMSE is computed (panelscores.across_series), for the records."""


def describe(panel: Panel, align: str) -> dict[str, Any]:
    """What the claims record of a panel: its series count, values, shortest and longest
    series, how its folds are cut, and its description (naming any series left out)."""
    return {**panel.facts(), "align": align, "description": panel.description}


def probe_windows(
    model: LSTMForecaster, panel: Panel, origins: NDArray[np.int64]
) -> tuple[torch.Tensor, torch.Tensor]:
    """A panel model's scaled input windows (N, L, 1) and targets (N, H) at global origins.

    Each series on its own fitted scale, as the network read it in training; every window
    and its targets lie inside one series (validation origins of a PanelSplit).
    """
    scaler = model.scaler_
    assert isinstance(scaler, PanelScaler)
    lags, horizon = model.window.lags, model.window.horizon
    at = np.asarray(origins, dtype=np.int64)
    series = panel.series_before(at)
    x = model._network_inputs(panel.values[at[:, None] + np.arange(-lags, 0)], series)  # (N, L, 1)
    target = panel.values[at[:, None] + np.arange(horizon)]  # (N, H)
    y = scaler.transform(target, series)
    return (
        torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)),
        torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32)),
    )


def panel_gradients(
    model: LSTMForecaster, panel: Panel, origins: NDArray[np.int64], *, at_init: bool = False
) -> GradientProfile:
    """diagnostics.model_gradients of a global model (no id embedding) on a panel's windows.

    Args:
        model: Fitted with fit_panel on panel, without an id embedding.
        panel: The series it was fitted on.
        origins: Global origins, e.g. a PanelSplit's val_origins.
        at_init: The weights the model started from (same seed) instead of the trained ones;
            the windows are scaled by the fitted per-series scaler either way.
    """
    net = initial_net(model) if at_init else fitted_net(model)
    x, y = probe_windows(model, panel, origins)
    return gradient_profile(net, x, y, model.train.loss, "init" if at_init else "trained")


def linear_unit_runs(
    panel: Panel, folds: list[PanelSplit], fitted: list[Fitted], lags: int, scaling: str
) -> tuple[list[dict[str, object]], list[dict[str, object]], list[Any], list[Any]]:
    """LSTM(1) against the pooled linear AR, the panel's linear rival, fold by fold.

    The AR is fitted on the training windows of every series pooled, scaled as the LSTM
    scales them (panelbaselines.PooledAR), and scored across series as the LSTM is.

    Returns:
        The LSTM's rows (config, seed, fold, rmse across series), the AR's (fold, rmse), and
        per run the first-step forecasts of each (LSTM, AR) on each series' own scale, for
        their correlation: on the original scale the series' levels alone would correlate.
    """
    rows: list[dict[str, object]] = []
    ar_rmse: list[dict[str, object]] = []
    lstm_preds: list[Any] = []
    ar_preds: list[Any] = []
    for fold, (split, runs) in enumerate(zip(folds, fitted, strict=True)):
        origins = split.val_origins
        series = panel.series_before(origins)
        ar = PooledAR(lags, split.horizon, scaling).fit_panel(panel, split)
        ar_pred = ar.predict_panel(panel, origins)  # (N, H)
        score = _score(panel, split, origins, ar_pred, ar.scaler_)
        ar_rmse.append({"fold": fold, "rmse": score})
        ar_scaled = ar.scaler_.transform(ar_pred, series)[:, 0]
        for row, model in runs:
            assert isinstance(model.scaler_, PanelScaler)
            pred = model.predict_panel(panel, origins)
            rows.append({"config": "lstm-u1-l1", "seed": row["seed"], "fold": fold,
                         "rmse": row["rmse"]})  # fmt: skip
            lstm_preds.append(model.scaler_.transform(pred, series)[:, 0])
            ar_preds.append(ar_scaled)
    return rows, ar_rmse, lstm_preds, ar_preds


def _score(
    panel: Panel,
    split: PanelSplit,
    origins: NDArray[np.int64],
    pred: NDArray[np.float64],
    scaler: PanelScaler,
) -> float:
    """The cross-series RMSE of forecasts, NaN when any is not finite (as score_panel says)."""
    if not origins.size or not np.isfinite(pred).all():
        return float("nan")
    return across_series(panel_scores(panel, split, origins, pred, scaler))["rmse"]
