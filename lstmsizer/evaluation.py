"""Fit one configuration and score it beside every baseline on the same validation targets."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lstmsizer.baselines import BaselineFactory, check_baselines, make_baselines
from lstmsizer.config import ModelSpec, SplitSpec, TrainSpec, WindowSpec
from lstmsizer.contract import Forecaster
from lstmsizer.datasets import Dataset
from lstmsizer.forecaster import LSTMForecaster
from lstmsizer.metrics import METRICS, score
from lstmsizer.panel import Panel
from lstmsizer.panelevaluation import score_panel
from lstmsizer.panelsplits import PanelSplit
from lstmsizer.progress import progress_bar
from lstmsizer.splits import Split, train_val_split

COLUMNS = ("model", "kind", *METRICS, "parameters", "seconds")

BaselineCallback = Callable[[int, dict[str, object]], None]
"""Called after each baseline is fitted and scored with (its index, its table row)."""


@dataclass
class FitResult:
    """One fitted configuration and how it compares with the baselines.

    Attributes:
        dataset: The data that was used.
        split: Where training ends and validation starts.
        forecaster: The trained LSTM forecaster.
        table: One row per model (the LSTM and each baseline), sorted by RMSE; metrics are
            NaN when there was no validation part.
        forecast: The next values after the end of the data, from the LSTM.
    """

    dataset: Dataset
    split: Split
    forecaster: LSTMForecaster
    table: pd.DataFrame
    forecast: NDArray[np.float64]


def score_forecaster(
    forecaster: Forecaster,
    dataset: Dataset | Panel,
    split: Split | PanelSplit,
    *,
    fitted: bool = False,
) -> dict[str, object]:
    """Fit (unless fitted) on the training part and score on the split's validation targets.

    A panel is scored across series (panelevaluation.score_panel): one global LSTM fitted
    on every series, its metrics those panelscores.across_series defines.

    Returns:
        A table row: model, the metrics of METRICS, seconds. Metrics are NaN without
        validation, and also when the forecasts are not finite ("error" then says so).
    """
    if isinstance(dataset, Panel):
        assert isinstance(forecaster, LSTMForecaster) and isinstance(split, PanelSplit)
        return score_panel(forecaster, dataset, split, fitted=fitted)[0]
    assert isinstance(split, Split)
    y = dataset.values[: split.n]
    X = dataset.features[: split.n] if dataset.features.shape[1] else None
    start = time.perf_counter()
    if not fitted:
        forecaster.fit(y, X, train_end=split.train_end)
    origins = split.val_origins
    row: dict[str, object] = {"model": forecaster.name}
    row.update({name: np.nan for name in METRICS})
    if origins.size:
        pred = forecaster.predict(y, origins, X)
        true = y[origins[:, None] + np.arange(forecaster.horizon)]  # (N, H)
        if np.isfinite(pred).all():
            row.update(score(true, pred, y_train=y[: split.train_end]))
        else:
            row["error"] = "non-finite forecasts (training diverged)"
    row["seconds"] = time.perf_counter() - start
    return row


def baseline_rows(
    baselines: Sequence[Forecaster],
    dataset: Dataset,
    split: Split,
    callback: BaselineCallback | None = None,
) -> list[dict[str, object]]:
    """Fit each baseline on the training part and score it on the validation targets.

    Args:
        baselines: Unfitted forecasters, scored in this order.
        dataset: The series (and extra features).
        split: Where training ends and validation starts.
        callback: Called after each baseline, e.g. to advance a progress bar.

    Returns:
        One table row per baseline, kind "baseline".
    """
    rows = []
    for index, baseline in enumerate(baselines):
        row = score_forecaster(baseline, dataset, split)
        row.update(kind="baseline", parameters=np.nan)
        rows.append(row)
        if callback is not None:
            callback(index, row)
    return rows


def score_baselines(
    dataset: Dataset,
    splits: Sequence[Split],
    baselines: BaselineFactory | None = None,
    progress: bool | None = None,
) -> list[dict[str, object]]:
    """Every baseline fitted on each split's training part and scored on its validation.

    Args:
        dataset: The series (and extra features).
        splits: The folds (or the test split); each is scored by fresh baselines made for
            its lags and horizon.
        baselines: Factory of the baselines; None is default_baselines.
        progress: A "baselines" bar on stderr, one step per baseline and split; None shows
            it when stderr is a terminal.

    Returns:
        One row per baseline and split: model (the family's name before fitting), the
        metrics, seconds, fitted (the name after fitting) and fold (the split's index).
    """
    made = [make_baselines(baselines, split.lags, split.horizon) for split in splits]
    rows: list[dict[str, object]] = []
    with progress_bar("baselines", sum(len(m) for m in made), progress) as ticker:
        for fold, (split, fresh) in enumerate(zip(splits, made, strict=True)):
            for baseline in fresh:
                # The label before fitting names the family ("ARIMA"); the fitted one names
                # the order chosen on this fold ("ARIMA(2,1,1)"), which may differ by fold.
                family = baseline.name
                start = time.perf_counter()
                row = score_forecaster(baseline, dataset, split)
                row.update(model=family, fitted=row["model"], fold=fold)
                row["seconds"] = time.perf_counter() - start
                rows.append(row)
                ticker.advance(f"{row['fitted']}, split {fold + 1} of {len(splits)}")
    return rows


def fit_and_score(
    dataset: Dataset,
    window: WindowSpec,
    model: ModelSpec,
    train: TrainSpec,
    split: SplitSpec | None = None,
    *,
    steps: int | None = None,
    baselines: BaselineFactory | Sequence[Forecaster] | None = None,
) -> FitResult:
    """Train the LSTM on the training part and compare it with every baseline.

    Args:
        dataset: The series (and extra features) to fit.
        window: Lags and horizon.
        model: The network configuration.
        train: The training settings.
        split: Validation share and scaling; val_fraction 0 trains on everything.
        steps: Number of future values to forecast; defaults to the horizon.
        baselines: Unfitted forecasters to compare with, fitted here in place; or a factory
            (lags, horizon, period) -> forecasters, such as default_baselines (see
            lstmsizer.baselines.BaselineFactory); None is default_baselines. Their progress
            shows as a "baselines" bar when train.progress says so.

    Returns:
        FitResult with the sorted table and the next forecast.
    """
    split = split or SplitSpec()
    cut = train_val_split(len(dataset), window, split.val_fraction)
    lstm = LSTMForecaster(window, model, train, scaling=split.scaling)
    start = time.perf_counter()
    X = dataset.features if dataset.features.shape[1] else None
    lstm.fit(dataset.values, X, train_end=cut.train_end)
    fit_seconds = time.perf_counter() - start
    rows = [score_forecaster(lstm, dataset, cut, fitted=True)]
    rows[0].update(kind="lstm", parameters=lstm.num_parameters())
    rows[0]["seconds"] = float(rows[0]["seconds"]) + fit_seconds  # type: ignore[arg-type]
    if baselines is None or callable(baselines):
        baselines = make_baselines(baselines, window.lags, window.horizon)
    else:
        baselines = check_baselines(baselines, window.horizon)
    with progress_bar("baselines", len(baselines), train.progress) as ticker:
        rows += baseline_rows(
            baselines, dataset, cut, lambda _, row: ticker.advance(str(row["model"]))
        )
    table = pd.DataFrame(rows, columns=list(COLUMNS)).sort_values("rmse", kind="stable")
    forecast = lstm.forecast(dataset.values, steps, X)
    return FitResult(dataset, cut, lstm, table.reset_index(drop=True), forecast)
