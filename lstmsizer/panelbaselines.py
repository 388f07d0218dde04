"""Baselines of a panel: every baseline per series in worker processes, and one pooled linear AR."""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike, NDArray

from lstmsizer.baselines import BaselineFactory, check_factory, make_baselines
from lstmsizer.config import SCALINGS
from lstmsizer.contract import check_fitted
from lstmsizer.errors import DataError, OptionError, check_choice, check_int
from lstmsizer.evaluation import score_forecaster
from lstmsizer.metrics import METRICS
from lstmsizer.panel import Panel
from lstmsizer.panelscaling import PanelScaler
from lstmsizer.panelscores import SERIES_COLUMNS, across_series, naive_scale, series_scores
from lstmsizer.panelsplits import PanelSplit
from lstmsizer.progress import progress_bar
from lstmsizer.series import Dataset
from lstmsizer.splits import Split

Array = NDArray[np.float64]
Row = dict[str, Any]
Task = tuple[int, str, Dataset, Split]
"""One series to score: its index, its id, its values (a Dataset) and its own split."""

CHUNKS_PER_WORKER = 4
"""Chunks of series per worker process: one slow ARIMA then leaves the others work to do."""
WINDOWS_PER_CHUNK = 1_000_000
"""Most windows the pooled AR gathers at once; its normal equations add up chunk by chunk."""
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _one_thread() -> None:
    """First thing in a worker: one BLAS and torch thread, as workers share the cores."""
    for name in _THREAD_VARIABLES:  # for libraries loaded later
        os.environ[name] = "1"
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        pass
    else:
        threadpool_limits(limits=1)
    import torch

    torch.set_num_threads(1)


def _score_series(baseline: Any, task: Task) -> Row:
    """One baseline fitted on one series' training part and scored on its validation."""
    index, ident, dataset, split = task
    family = baseline.name
    windows = int(split.val_origins.size)
    start = time.perf_counter()
    try:
        scored = score_forecaster(baseline, dataset, split)
    # a failed fit must not stop the other series: its row keeps the message instead
    except Exception as exc:
        scored = {"model": family, **dict.fromkeys(METRICS, np.nan)}
        scored["error"] = f"{type(exc).__name__}: {exc}"
    row: Row = {"model": family, "fitted": scored["model"], "series": index, "id": ident}
    row.update(windows=windows, values=windows * split.horizon)
    row.update({name: scored[name] for name in METRICS})
    row["seconds"] = time.perf_counter() - start
    if "error" in scored:
        row["error"] = scored["error"]
    return row


def _score_chunk(
    tasks: Sequence[Task], baselines: BaselineFactory | None, lags: int, horizon: int
) -> list[Row]:
    """Every baseline on every series of a chunk, series after series."""
    rows = []
    for task in tasks:
        for baseline in make_baselines(baselines, lags, horizon):
            rows.append(_score_series(baseline, task))
    return rows


def score_series_baselines(
    panel: Panel,
    split: PanelSplit,
    baselines: BaselineFactory | None,
    workers: int,
    progress: bool | None = None,
) -> list[Row]:
    """Every baseline fitted per series on its own training part and scored on its validation.

    Args:
        panel: The series.
        split: The panel split; only its active series are scored, each by its local split.
        baselines: Factory of the baselines; None is default_baselines. With workers > 1 it
            must pickle (a module-level function does).
        workers: Processes to spread the series over ("spawn", one BLAS and torch thread
            each); 1 scores them here, without a pool.
        progress: A "baselines" bar on stderr, one step per series; None shows it on a
            terminal.

    Returns:
        One row per baseline and active series, series after series in the factory's order:
        model (the family's name before fitting), fitted (after fitting), series (index), id,
        windows, values (windows * horizon), the metrics of METRICS on the original scale,
        seconds, and error when the fit failed or its forecasts were not finite (metrics NaN).

    Raises:
        OptionError: For workers below 1, or a factory that is bad or does not pickle.
    """
    check_int("workers", workers)
    lags, horizon = split.lags, split.horizon
    active = np.flatnonzero(split.active)
    tasks = [(int(i), panel.ids[i], panel.series(int(i)), split.local(int(i))) for i in active]
    if workers > 1:
        check_factory(baselines, lags, horizon)
    else:
        make_baselines(baselines, lags, horizon)  # a bad factory fails before any fit
    with progress_bar("baselines", len(tasks), progress) as ticker:
        if workers == 1 or len(tasks) <= 1:
            rows = []
            for task in tasks:
                rows += _score_chunk([task], baselines, lags, horizon)
                ticker.advance(f"series {task[1]}")
            return rows
        parts = np.array_split(np.arange(len(tasks)), min(len(tasks), CHUNKS_PER_WORKER * workers))
        chunks = [[tasks[k] for k in part] for part in parts]
        done: dict[int, list[Row]] = {}
        context = mp.get_context("spawn")  # as the sweep's workers: no forked torch or BLAS state
        with ProcessPoolExecutor(
            min(workers, len(chunks)), mp_context=context, initializer=_one_thread
        ) as pool:
            futures = {
                pool.submit(_score_chunk, chunk, baselines, lags, horizon): k
                for k, chunk in enumerate(chunks)
            }
            for future in as_completed(futures):
                done[futures[future]] = future.result()
                ticker.set(sum(len(chunks[k]) for k in done))
    return [row for k in range(len(chunks)) for row in done[k]]


def baseline_panel_rows(
    series_rows: Sequence[Row], naive: ArrayLike, scale: ArrayLike
) -> list[Row]:
    """One cross-series row per baseline family from its per-series rows.

    Args:
        series_rows: Rows of score_series_baselines.
        naive: (S,) in-sample naive MAE of each series (naive_scale); the per-series MASE
            is recomputed as mae / naive, NaN where naive is.
        scale: (S,) each series' scaling divisor (PanelScaler.scale_).

    Returns:
        Per family, in first-seen order: model, the cross-series metrics (across_series over
        the series it scored), seconds (summed over all its series) and series (how many it
        scored); error, when some series failed, says how many and the first message.
    """
    naive_s = np.asarray(naive, dtype=np.float64)
    scale_s = np.asarray(scale, dtype=np.float64)
    out = []
    for family in dict.fromkeys(str(row["model"]) for row in series_rows):
        rows = [row for row in series_rows if row["model"] == family]
        failed = [row for row in rows if "error" in row]
        ok = [row for row in rows if "error" not in row and row["windows"]]
        index = np.asarray([row["series"] for row in ok], dtype=np.int64)
        values = np.asarray([row["values"] for row in ok], dtype=np.float64)
        rmse = np.asarray([row["rmse"] for row in ok], dtype=np.float64)
        mae = np.asarray([row["mae"] for row in ok], dtype=np.float64)
        per_series = pd.DataFrame(
            {
                "series": index,
                "windows": [row["windows"] for row in ok],
                "rmse": rmse,
                "mae": mae,
                "mase": mae / naive_s[index],
                "smape": [row["smape"] for row in ok],
                "sse_scaled": rmse**2 * values / scale_s[index] ** 2,
                "sae_scaled": mae * values / scale_s[index],
                "values": values,
            },
            columns=list(SERIES_COLUMNS),
        )
        row: Row = {"model": family, **across_series(per_series)}
        row.update(seconds=float(sum(r["seconds"] for r in rows)), series=len(ok))
        if failed:
            first = failed[0]
            row["error"] = (
                f"{len(failed)} of {len(rows)} series failed; series {first['id']!r}: "
                f"{first['error']}"
            )
        out.append(row)
    return out


def _chunks(size: int, width: int) -> list[slice]:
    """Slices of about WINDOWS_PER_CHUNK windows (fewer for wide windows) covering size."""
    step = max(1024, min(WINDOWS_PER_CHUNK, 16_000_000 // max(width, 1)))
    return [slice(lo, min(lo + step, size)) for lo in range(0, size, step)]


class PooledAR:
    """One least-squares AR(lags) with intercept for every series, direct multi-step.

    Fitted on the training windows of all active series pooled, each series scaled by its own
    training part (PanelScaler); forecasts go back to each series' units.

    Attributes (after fit_panel):
        coef_: (lags + 1, horizon); row 0 the intercepts, rows 1.. the lags, oldest first.
        scaler_: The per-series scaling.
    """

    def __init__(self, lags: int, horizon: int, scaling: str = "minmax") -> None:
        check_int("lags", lags)
        check_int("horizon", horizon)
        check_choice("scaling", scaling, SCALINGS)
        self.lags, self.horizon, self.scaling = lags, horizon, scaling
        self.name = f"pooled linear AR({lags})"

    def fit_panel(self, panel: Panel, split: PanelSplit) -> PooledAR:
        """Least squares on every training window of the split's active series.

        Raises:
            OptionError: When the split's lags or horizon differ from this model's.
            DataError: When no active series has a training window.
        """
        if (split.lags, split.horizon) != (self.lags, self.horizon):
            raise OptionError(
                f"split must have lags {self.lags} and horizon {self.horizon}, "
                f"got {split.lags} and {split.horizon}"
            )
        origins = split.train_origins
        if origins.size == 0:
            raise DataError(
                f"no training window in {panel.name}: every active series needs "
                f"lags + horizon = {self.lags + self.horizon} training values"
            )
        self.scaler_ = PanelScaler.fit(panel.values, split, self.scaling)
        scaled = self.scaler_.transform(panel.values, panel.series_index)  # (T,)
        # row j is scaled[j : j + lags + horizon]: the inputs and targets of origin j + lags
        view = sliding_window_view(scaled, self.lags + self.horizon)
        width = self.lags + 1
        gram = np.zeros((width, width))
        cross = np.zeros((width, self.horizon))
        for part in _chunks(origins.size, width + self.horizon):
            window = view[origins[part] - self.lags]  # (n, lags + horizon), a copy
            design = np.empty((window.shape[0], width))
            design[:, 0] = 1.0
            design[:, 1:] = window[:, : self.lags]
            gram += design.T @ design
            cross += design.T @ window[:, self.lags :]
        # lstsq on the normal equations: pinv(X'X) X'Y is least squares' minimum-norm solution
        coef, *_ = np.linalg.lstsq(gram, cross, rcond=None)
        self.coef_ = np.asarray(coef, dtype=np.float64)
        return self

    def predict_panel(self, panel: Panel, origins: ArrayLike) -> Array:
        """Forecasts from global origins, each reading the lags values of its own series.

        Args:
            panel: The panel the model was fitted on (or one with the same series).
            origins: (N,) global origins; origin o forecasts values o .. o + horizon - 1 of
                the series holding value o - 1, whose lags values before o must all exist.

        Returns:
            (N, horizon) forecasts in each series' units.

        Raises:
            OptionError: An origin whose window leaves its series, or a panel with another
                number of series.
        """
        check_fitted(self, "coef_")
        if panel.n_series != self.scaler_.n_series:
            raise OptionError(
                f"panel must have the {self.scaler_.n_series} series fitted, got {panel.n_series}"
            )
        at = np.asarray(origins, dtype=np.int64).reshape(-1)
        series = np.searchsorted(panel.starts, at - 1, side="right") - 1  # (N,)
        bad = (at < 1) | (at > panel.n_values)
        bad |= ~bad & (at - self.lags < panel.starts[np.clip(series, 0, panel.n_series - 1)])
        if bad.any():
            o = int(at[int(np.argmax(bad))])
            raise OptionError(
                f"origins must each have {self.lags} values of their own series before them, "
                f"got origin {o}"
            )
        view = sliding_window_view(panel.values, self.lags)
        pred = np.empty((at.size, self.horizon))
        for part in _chunks(at.size, self.lags):
            lagged = self.scaler_.transform(view[at[part] - self.lags], series[part])  # (n, L)
            scaled = self.coef_[0][None, :] + lagged @ self.coef_[1:]  # (n, L) -> (n, H)
            pred[part] = self.scaler_.inverse(scaled, series[part])
        return pred


def score_pooled(
    panel: Panel, split: PanelSplit, lags: int, horizon: int, scaling: str = "minmax"
) -> tuple[Row, pd.DataFrame]:
    """The pooled linear AR fitted on the split's training windows and scored on its validation.

    Returns:
        The cross-series row (model, fitted, the metrics of across_series, seconds, series
        scored; error when the forecasts were not finite) and the per-series table of
        series_scores (empty without validation windows or finite forecasts).
    """
    start = time.perf_counter()
    model = PooledAR(lags, horizon, scaling).fit_panel(panel, split)
    origins = split.val_origins
    per_series = pd.DataFrame(columns=list(SERIES_COLUMNS))
    row: Row = {"model": model.name, "fitted": model.name, **dict.fromkeys(METRICS, np.nan)}
    if origins.size:
        pred = model.predict_panel(panel, origins)
        true = sliding_window_view(panel.values, horizon)[origins]  # (N, H)
        if np.isfinite(pred).all():
            naive = naive_scale(panel.values, split.starts, split.train_end)
            series = split.series_of(origins)
            per_series = series_scores(
                true, pred, series, panel.n_series, naive, model.scaler_.scale_
            )
            row.update(across_series(per_series))
        else:
            row["error"] = "non-finite forecasts"
    row.update(seconds=time.perf_counter() - start, series=len(per_series))
    return row, per_series
