"""The end of a panel sweep: baselines per series and pooled, and the test share per series."""

from __future__ import annotations

import dataclasses
from typing import Any, cast

import numpy as np
import pandas as pd

from lstmsizer.forecaster import LSTMForecaster
from lstmsizer.panel import Panel
from lstmsizer.panelbaselines import (
    PooledAR,
    baseline_panel_rows,
    score_pooled,
    score_series_baselines,
)
from lstmsizer.panelevaluation import score_panel
from lstmsizer.panelscaling import PanelScaler
from lstmsizer.panelscores import naive_scale
from lstmsizer.panelsplits import PanelSplit
from lstmsizer.rundir import sweep as schema
from lstmsizer.sweeping.engine import Job

Row = dict[str, object]


def panel_of(job: Job) -> Panel:
    """The job's data as the Panel it is (callers branch on is_panel first)."""
    assert isinstance(job.dataset, Panel)
    return job.dataset


def baseline_split(job: Job, split: PanelSplit, fold: int) -> tuple[list[Row], pd.DataFrame]:
    """Every baseline family across series on one split, then the pooled linear AR.

    Each family is fitted on every series alone (in parallel over the sweep's workers) and
    scored across series as the LSTM is: RMSE and MAE on each series' own scale, mean MASE.

    Returns:
        One cross-series row per family (baselines.csv layout, fold set) and the per-series
        rows of every family and the pooled AR (PANEL_SCORE_COLUMNS plus series).
    """
    panel, spec = panel_of(job), job.spec
    lags, horizon, scaling = split.lags, split.horizon, spec.split.scaling
    per = score_series_baselines(panel, split, job.baselines, job.workers, job.progress)
    naive = naive_scale(panel.values, split.starts, split.train_end)
    scale = PanelScaler.fit(panel.values, split, scaling).scale_
    rows = baseline_panel_rows(per, naive, scale)
    for row in rows:
        fitted = sorted({str(r["fitted"]) for r in per if r["model"] == row["model"]})
        row["fitted"] = fitted[0] if len(fitted) == 1 else f"{row['model']} ({len(fitted)} fits)"
    pooled, pooled_per = score_pooled(panel, split, lags, horizon, scaling)
    rows.append(pooled)
    for row in rows:
        row["fold"] = fold
        row.pop("series", None)
    series = pd.DataFrame(per)
    if len(series):
        series = series.assign(
            kind=schema.BASELINE_KIND, mase=series["mae"] / naive[series["series"]]
        )
    pooled_frame = pooled_per.assign(
        model=str(pooled["model"]), kind=schema.POOLED_KIND, id=lambda f: _ids(panel, f)
    )
    return rows, pd.concat([series, pooled_frame], ignore_index=True)


def _ids(panel: Panel, frame: pd.DataFrame) -> list[str]:
    return [panel.ids[int(i)] for i in frame["series"]]


def panel_baseline_runs(job: Job, folds: list[PanelSplit]) -> pd.DataFrame:
    """baselines.csv of a panel: each family and the pooled AR across series, fold by fold."""
    rows = [row for fold, split in enumerate(folds) for row in baseline_split(job, split, fold)[0]]
    return pd.DataFrame(rows)


def development_split(folds: list[PanelSplit], test: PanelSplit) -> PanelSplit:
    """The final model's split: the last fold's training parts, validated up to the test share."""
    return dataclasses.replace(folds[-1], n=np.minimum(test.train_end, test.n))


def panel_test(
    job: Job, model: LSTMForecaster, test: PanelSplit
) -> tuple[Row, list[Row], pd.DataFrame]:
    """The test share scored across series and per series, for the model and every baseline.

    Returns:
        The model's cross-series row, each baseline family's (and the pooled AR's), and
        panel_scores.csv (PANEL_SCORE_COLUMNS): one row per series and model.
    """
    panel = panel_of(job)
    lstm_row, lstm_per = score_panel(model, panel, test, fitted=True)
    if not test.val_origins.size:
        return lstm_row, [], pd.DataFrame(columns=list(schema.PANEL_SCORE_COLUMNS))
    rows, baseline_per = baseline_split(job, test, 0)
    for row in rows:
        row.pop("fold", None)
    lstm_frame = lstm_per.assign(model=model.name, kind=schema.LSTM_KIND)
    scores = pd.concat([lstm_frame, baseline_per], ignore_index=True)
    return lstm_row, rows, scores.reindex(columns=list(schema.PANEL_SCORE_COLUMNS))


def panel_series_frame(panel: Panel) -> pd.DataFrame:
    """series.csv of a panel: id, then position within the series, time and value."""
    position = np.arange(panel.n_values) - np.repeat(panel.starts[:-1], panel.lengths)
    time = [None] * panel.n_values if panel.time is None else [str(t) for t in panel.time]
    frame = pd.DataFrame(
        dict(zip(schema.SERIES_COLUMNS, (position, time, panel.values), strict=True))
    )
    frame.insert(0, schema.ID_COLUMN, np.repeat(np.asarray(panel.ids, dtype=object), panel.lengths))
    return frame


def panel_forecast_frame(
    job: Job, model: LSTMForecaster, spans: list[tuple[str, PanelSplit]]
) -> pd.DataFrame:
    """forecasts.csv of a panel: every series' first-step forecasts over each span, from the
    recommended model and the pooled linear AR (the one baseline that forecasts a panel in
    one fit; the per-series baselines are scored in panel_scores.csv)."""
    panel, spec = panel_of(job), job.spec
    frames = []
    for span, split in spans:
        origins = split.val_origins
        if not origins.size:
            continue
        pooled = PooledAR(split.lags, split.horizon, spec.split.scaling).fit_panel(panel, split)
        series = split.series_of(origins)
        frames.append(
            pd.DataFrame(
                {
                    schema.ID_COLUMN: [panel.ids[i] for i in series],
                    "position": origins - panel.starts[series],
                    "time": [None if panel.time is None else str(panel.time[o]) for o in origins],
                    "span": span,
                    "actual": panel.values[origins],
                    "recommended": model.predict_panel(panel, origins)[:, 0],
                    "best_baseline": pooled.predict_panel(panel, origins)[:, 0],
                }
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def panel_info(panel: Panel, folds: list[PanelSplit], test: PanelSplit, align: str) -> Row:
    """recommendation.json's data.panel: the series, how the folds were cut, what was filled."""
    filled = panel.filled
    return {
        **panel.facts(),
        "description": panel.description,
        "align": align,
        "folds": [split.to_dict() for split in folds],
        "test": test.to_dict(),
        "filled": dict(filled),
        "scores": (
            "rmse and mae on each series' own scale (its scaler fitted on the fold's training "
            "part), pooled over values; mase and smape the mean over series"
        ),
    }


def panel_data(job: Job) -> dict[str, Any]:
    """recommendation.json's data of a panel sweep, with data.panel (panel_info)."""
    panel = panel_of(job)
    folds, test = job.folds
    info = panel_info(
        panel, cast(list[PanelSplit], folds), cast(PanelSplit, test), job.spec.split.align
    )
    return {
        "name": panel.name,
        "length": panel.n_values,
        "frequency": panel.frequency,
        "source": panel.source,
        "filled": int(sum(panel.filled.values())),
        "folds": info["folds"],
        "test_start": None,  # each series' own: data.panel.test
        "panel": info,
    }
