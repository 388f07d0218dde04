"""Score a global LSTM on a panel: per series, and across series under the usual metric names."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from lstmsizer.forecaster import LSTMForecaster
from lstmsizer.metrics import METRICS
from lstmsizer.panel import Panel
from lstmsizer.panelscaling import PanelScaler
from lstmsizer.panelscores import across_series, naive_scale, series_scores
from lstmsizer.panelsplits import PanelSplit


def score_panel(
    forecaster: LSTMForecaster, panel: Panel, split: PanelSplit, *, fitted: bool = False
) -> tuple[dict[str, object], pd.DataFrame]:
    """Fit (unless fitted) on every series' training part; score on the validation targets.

    Returns:
        The cross-series row (model, the metrics of METRICS as panelscores defines them for
        a panel, seconds) and the per-series scores (empty without validation windows).
    """
    start = time.perf_counter()
    if not fitted:
        forecaster.fit_panel(panel, split)
    row: dict[str, object] = {"model": forecaster.name}
    row.update({name: np.nan for name in METRICS})
    per = pd.DataFrame()
    origins = split.val_origins
    if origins.size:
        pred = forecaster.predict_panel(panel, origins)
        if np.isfinite(pred).all():
            per = panel_scores(panel, split, origins, pred, forecaster.scaler_)
            row.update(across_series(per))
        else:
            row["error"] = "non-finite forecasts (training diverged)"
    row["seconds"] = time.perf_counter() - start
    return row, per


def panel_scores(
    panel: Panel,
    split: PanelSplit,
    origins: np.ndarray,
    pred: np.ndarray,
    scaler: object,
) -> pd.DataFrame:
    """Per-series scores of forecasts pred (N, H) made at global origins, with their ids."""
    assert isinstance(scaler, PanelScaler)
    horizon = pred.shape[1]
    true = panel.values[origins[:, None] + np.arange(horizon)]  # (N, H)
    naive = naive_scale(panel.values, panel.starts, split.train_end)
    series = split.series_of(origins)
    per = series_scores(true, pred, series, panel.n_series, naive, scaler.scale_)
    return per.assign(id=[panel.ids[i] for i in per["series"]])
