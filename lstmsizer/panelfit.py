"""Fit one configuration on a panel, score it beside the baselines across series, forecast."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lstmsizer.baselines import BaselineFactory
from lstmsizer.config import ModelSpec, SplitSpec, TrainSpec, WindowSpec
from lstmsizer.contract import Forecaster, check_fitted
from lstmsizer.errors import OptionError, check_int
from lstmsizer.evaluation import COLUMNS
from lstmsizer.forecaster import LSTMForecaster
from lstmsizer.panel import Panel
from lstmsizer.panelbaselines import baseline_panel_rows, score_pooled, score_series_baselines
from lstmsizer.panelevaluation import score_panel
from lstmsizer.panelscaling import PanelScaler
from lstmsizer.panelscores import naive_scale
from lstmsizer.panelsplits import PanelSplit, panel_train_val_split
from lstmsizer.runtime import default_workers
from lstmsizer.series import Dataset

PANEL_COLUMNS = (*COLUMNS, "series", "error")
"""Columns of a panel's table: those of a single series, how many series each row scored,
and what failed (None when nothing did)."""
FORECAST_COLUMNS = ("id", "step", "time", "value")
POOL_MIN_SERIES = 16
"""Fewer series than this fit their baselines in this process: starting a worker (it imports
torch and statsmodels) costs seconds, more than fitting a few series."""

Row = dict[str, Any]


@dataclass
class PanelFitResult:
    """One global LSTM fitted on a panel and how it compares with the baselines.

    Attributes:
        dataset: The panel that was used.
        split: Each series' training and validation parts (panel_train_val_split).
        forecaster: The trained global LSTM forecaster.
        table: One row per model, columns PANEL_COLUMNS, sorted by RMSE: the LSTM (kind
            lstm), every baseline family fitted per series and the pooled linear AR (kind
            baseline); scored across series as panelscores.across_series defines it.
        per_series: The LSTM's scores per series (panelscores.SERIES_COLUMNS plus id).
        forecast: The next values of every series: columns FORECAST_COLUMNS.
    """

    dataset: Panel
    split: PanelSplit
    forecaster: LSTMForecaster
    table: pd.DataFrame
    per_series: pd.DataFrame
    forecast: pd.DataFrame


def fit_and_score_panel(
    panel: Panel,
    window: WindowSpec,
    model: ModelSpec,
    train: TrainSpec,
    split: SplitSpec | None = None,
    *,
    steps: int | None = None,
    baselines: BaselineFactory | Sequence[Forecaster] | None = None,
    workers: int | None = None,
) -> PanelFitResult:
    """Train one global LSTM on every series and compare it with the baselines across series.

    Args:
        panel: The series.
        window: Lags and horizon.
        model: The network configuration.
        train: The training settings; train.progress shows the baselines' bar.
        split: Validation share of each series and scaling; val_fraction 0 trains on all.
        steps: Future values forecast per series; defaults to the horizon.
        baselines: A factory (lags, horizon, period) -> forecasters, fresh ones per series;
            None is default_baselines; an empty sequence scores no baseline. Baselines are
            scored only when there is a validation part.
        workers: Processes fitting the per-series baselines; None is one per core
            (lstmsizer.runtime.default_workers) from POOL_MIN_SERIES series on, else 1.

    Returns:
        PanelFitResult with the sorted table, the LSTM's per-series scores and the forecast.

    Raises:
        OptionError: A non-empty sequence of baselines (a panel needs fresh ones per series),
            or workers below 1.
        DataError: A series too short for the window and the validation share.
    """
    split = split or SplitSpec()
    check_int("workers", workers, optional=True)
    wanted, factory = _factory(baselines)
    cut = panel_train_val_split(panel, window, split.val_fraction)
    lstm = LSTMForecaster(window, model, train, scaling=split.scaling)
    start = time.perf_counter()
    lstm.fit_panel(panel, cut)
    fit_seconds = time.perf_counter() - start
    row, per = score_panel(lstm, panel, cut, fitted=True)
    row.update(kind="lstm", parameters=lstm.num_parameters(), series=len(per))
    row["seconds"] = float(row["seconds"]) + fit_seconds  # type: ignore[arg-type]
    rows = [row]
    if wanted and cut.val_origins.size:
        count = _workers(workers, panel)
        rows += _baseline_rows(panel, cut, factory, count, train.progress, split.scaling)
    table = pd.DataFrame(rows).reindex(columns=list(PANEL_COLUMNS))
    table["error"] = table["error"].astype(object).where(table["error"].notna(), None)
    table = table.sort_values("rmse", kind="stable").reset_index(drop=True)
    per_series = per.reindex(columns=["id", *per.columns.drop("id", errors="ignore")])
    forecast = forecast_panel(lstm, panel, steps)
    return PanelFitResult(panel, cut, lstm, table, per_series, forecast)


def _factory(baselines: BaselineFactory | Sequence[Forecaster] | None) -> tuple[bool, Any]:
    """Whether to score baselines, and their factory (None: default_baselines)."""
    if baselines is None or callable(baselines):
        return True, baselines
    if len(baselines) == 0:
        return False, None
    raise OptionError(
        "baselines must be a factory (lags, horizon, period) -> forecasters for a panel, "
        f"which fits fresh baselines on each series, got a sequence of {len(baselines)}"
    )


def _workers(workers: int | None, panel: Panel) -> int:
    if workers is not None:
        return workers
    if panel.n_series < POOL_MIN_SERIES:
        return 1
    return default_workers()


def _baseline_rows(
    panel: Panel,
    split: PanelSplit,
    factory: BaselineFactory | None,
    workers: int,
    progress: bool | None,
    scaling: str,
) -> list[Row]:
    """Each family fitted per series and scored across series, then the pooled linear AR."""
    per = score_series_baselines(panel, split, factory, workers, progress)
    naive = naive_scale(panel.values, split.starts, split.train_end)
    scale = PanelScaler.fit(panel.values, split, scaling).scale_
    pooled, _ = score_pooled(panel, split, split.lags, split.horizon, scaling)
    rows = [*baseline_panel_rows(per, naive, scale), pooled]
    for row in rows:
        row.update(kind="baseline", parameters=np.nan)
    return rows


def check_model_data(forecaster: LSTMForecaster, data: Dataset | Panel) -> None:
    """Refuse data of another kind than the model's, or a panel with other series.

    Raises:
        OptionError: A panel model given one series (or the reverse), or a panel whose ids
            are not the model's ids in the model's order; the message says what differs.
    """
    ids = forecaster.ids_
    if ids and not isinstance(data, Panel):
        raise OptionError(
            f"data must be a panel of the model's {len(ids)} series (a long table with "
            f"--id-column, --wide, or unique_id/ds/y columns), got one series {data.name!r}"
        )
    if not ids and isinstance(data, Panel):
        raise OptionError(
            f"data must be one series: the model was fitted on one, got a panel of "
            f"{data.n_series} series ({data.name})"
        )
    if not isinstance(data, Panel) or data.ids == ids:
        return
    missing = [i for i in ids if i not in set(data.ids)]
    extra = [i for i in data.ids if i not in set(ids)]
    if missing or extra:
        said = [f"{len(missing)} missing ({_few(missing)})"] * bool(missing)
        said += [f"{len(extra)} not in the model ({_few(extra)})"] * bool(extra)
        differ = "; ".join(said)
    else:
        k = next(k for k, (a, b) in enumerate(zip(ids, data.ids, strict=True)) if a != b)
        differ = f"same ids in another order, position {k}: model {ids[k]!r}, data {data.ids[k]!r}"
    raise OptionError(
        f"data must hold the model's {len(ids)} series in its order, got {data.n_series} "
        f"series of {data.name}: {differ}"
    )


def _few(names: Sequence[str]) -> str:
    return ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")


def forecast_panel(
    forecaster: LSTMForecaster,
    panel: Panel,
    steps: int | None = None,
    series: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The next values after the end of each chosen series, all series forecast at once.

    The first horizon values come from the window ending at each series' end
    (predict_panel at panel.starts[i + 1]); beyond the horizon each forecast feeds the next
    window, every series in the same batch.

    Args:
        forecaster: A model fitted on this panel's series (same ids, same order).
        panel: The series to forecast from.
        steps: Future values per series, >= 1; defaults to the horizon.
        series: Ids of the series to forecast, in the order wanted; None is every series.

    Returns:
        Columns FORECAST_COLUMNS, series after series: id, step (1..steps), time (the
        series' last time stamp plus step times the panel's frequency, or its numeric time
        step; None when the panel has neither) and value.

    Raises:
        OptionError: Bad steps, an empty or repeated series list, or a model of other series.
        DataError: An id that is not in the panel.
    """
    check_fitted(forecaster, "net_")
    check_model_data(forecaster, panel)
    steps = forecaster.horizon if steps is None else steps
    check_int("steps", steps)
    chosen = _chosen(panel, series)
    ends = panel.starts[chosen + 1]  # (S',) each series' end: the origin of its future
    lags = forecaster.window.lags
    buffer = panel.values[ends[:, None] - lags + np.arange(lags)]  # (S', L) original scale
    pred = forecaster.predict_panel(panel, ends)  # (S', H)
    while True:
        buffer = np.concatenate([buffer, pred], axis=1)
        if buffer.shape[1] - lags >= steps:
            break
        pred = forecaster.predict_windows(buffer[:, -lags:], chosen)
    values = buffer[:, lags : lags + steps]  # (S', steps)
    times = future_times(panel, ends - 1, steps)
    return pd.DataFrame(
        {
            "id": np.repeat(np.asarray(panel.ids, dtype=object)[chosen], steps),
            "step": np.tile(np.arange(1, steps + 1), chosen.size),
            "time": [None] * values.size if times is None else times.reshape(-1).tolist(),
            "value": values.reshape(-1),
        },
        columns=list(FORECAST_COLUMNS),
    )


def _chosen(panel: Panel, series: Sequence[str] | None) -> NDArray[np.int64]:
    if series is None:
        return np.arange(panel.n_series, dtype=np.int64)
    if isinstance(series, str) or len(series) == 0 or len(set(series)) != len(series):
        raise OptionError(f"series must be a non-empty list of distinct ids, got {series!r}")
    return np.asarray([panel.position(s) for s in series], dtype=np.int64)


def future_times(panel: Panel, last: NDArray[np.int64], steps: int) -> NDArray[Any] | None:
    """(S', steps) time stamps after the values at global rows last, or None.

    Datetime stamps step by the panel's frequency (none: None); numeric stamps by the most
    common difference between neighbours within a series.
    """
    if panel.time is None:
        return None
    k = np.arange(1, steps + 1)
    end = panel.time[last]
    if isinstance(panel.time, pd.DatetimeIndex):
        if panel.frequency is None:
            return None
        offset = pd.tseries.frequencies.to_offset(panel.frequency)
        ends = pd.DatetimeIndex(end)
        return np.column_stack([ends.shift(int(j), offset).to_numpy(object) for j in k])
    if not pd.api.types.is_numeric_dtype(panel.time.dtype):
        return None
    stamps = np.asarray(panel.time)
    inside = np.ones(max(stamps.size - 1, 0), dtype=bool)
    inside[panel.starts[1:-1] - 1] = False  # no difference across two series
    gaps = np.diff(stamps)[inside]
    gaps = gaps[gaps > 0]
    if gaps.size == 0:
        return None
    found, counts = np.unique(gaps, return_counts=True)
    return np.asarray(end)[:, None] + found[np.argmax(counts)] * k  # (S', steps)
