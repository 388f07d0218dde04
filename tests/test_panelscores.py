"""Panel scores per series and across series, per-series baselines, and the pooled linear AR."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from numpy.typing import ArrayLike, NDArray

from lstmsizer.baselines import Drift, LinearAR, Naive
from lstmsizer.config import WindowSpec
from lstmsizer.contract import Forecaster
from lstmsizer.errors import DataError, OptionError
from lstmsizer.metrics import mae, mase, rmse, smape
from lstmsizer.panel import Panel
from lstmsizer.panelbaselines import (
    PooledAR,
    baseline_panel_rows,
    score_pooled,
    score_series_baselines,
)
from lstmsizer.panelscores import SERIES_COLUMNS, across_series, naive_scale, series_scores
from lstmsizer.panelsplits import PanelSplit, panel_train_val_split


def make_panel(series: list[NDArray[np.float64]]) -> Panel:
    lengths = [len(s) for s in series]
    return Panel(
        name="test",
        target="y",
        ids=tuple(f"s{i}" for i in range(len(series))),
        starts=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        values=np.concatenate(series).astype(np.float64),
        time=None,
        frequency=None,
        description="a test panel",
    )


def random_walks(lengths: list[int], seed: int = 0) -> Panel:
    rng = np.random.default_rng(seed)
    return make_panel([rng.normal(0, 1 + i, n).cumsum() + 10 * i for i, n in enumerate(lengths)])


def direct_naive(train: NDArray[np.float64]) -> float:
    if train.size < 2:
        return math.nan
    total = 0.0
    for t in range(1, train.size):
        total += abs(train[t] - train[t - 1])
    scale = total / (train.size - 1)
    return math.nan if scale == 0 else scale


def test_naive_scale_matches_a_direct_loop() -> None:
    rng = np.random.default_rng(1)
    series = [rng.normal(size=n).cumsum() for n in (9, 5, 12, 3)]
    series.append(np.full(6, 2.0))  # constant training part: scale 0, MASE undefined
    panel = make_panel(series)
    train_end = np.array([7, 5, 2, 1, 4])
    got = naive_scale(panel.values, panel.starts, train_end)
    want = [direct_naive(s[:e]) for s, e in zip(series, train_end, strict=True)]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert np.isnan(got[3]) and np.isnan(got[4])


def test_naive_scale_rejects_a_train_end_beyond_its_series() -> None:
    panel = make_panel([np.arange(4.0), np.arange(3.0)])
    with pytest.raises(OptionError, match="train_end"):
        naive_scale(panel.values, panel.starts, np.array([4, 4]))


def scored_example() -> dict[str, Any]:
    """Forecasts of 4 series (series 2 has none), with a constant training part in series 3."""
    rng = np.random.default_rng(2)
    horizon, n_series = 3, 5
    series = np.array([0, 0, 1, 3, 0, 1, 4, 4, 4, 1, 3])
    true = rng.normal(size=(series.size, horizon)) * 5
    pred = true + rng.normal(size=true.shape)
    pred[0, 0] = true[0, 0] = 0.0  # a 0 / 0 sMAPE term counts as 0
    trains = [rng.normal(size=8).cumsum() for _ in range(n_series)]
    trains[3] = np.full(8, 1.5)
    naive = np.array([direct_naive(t) for t in trains])
    scale = rng.uniform(0.5, 3.0, n_series)
    return dict(true=true, pred=pred, series=series, trains=trains, naive=naive, scale=scale)


def test_series_scores_match_the_metrics_on_each_series() -> None:
    ex = scored_example()
    table = series_scores(ex["true"], ex["pred"], ex["series"], 5, ex["naive"], ex["scale"])
    assert tuple(table.columns) == SERIES_COLUMNS
    assert table["series"].tolist() == [0, 1, 3, 4]
    for _, row in table.iterrows():
        i = int(row["series"])
        rows = ex["series"] == i
        true, pred = ex["true"][rows], ex["pred"][rows]
        assert row["windows"] == rows.sum() and row["values"] == true.size
        assert row["rmse"] == pytest.approx(rmse(true, pred), rel=1e-12)
        assert row["mae"] == pytest.approx(mae(true, pred), rel=1e-12)
        assert row["smape"] == pytest.approx(smape(true, pred), rel=1e-12)
        direct = np.mean([abs(a - b) for a, b in zip(true.ravel(), pred.ravel(), strict=True)])
        if i == 3:  # a constant training part: MASE undefined, not inf
            assert np.isnan(row["mase"])
        else:
            assert row["mase"] == pytest.approx(direct / direct_naive(ex["trains"][i]), rel=1e-12)
            assert row["mase"] == pytest.approx(mase(true, pred, y_train=ex["trains"][i]))
        assert row["sse_scaled"] == pytest.approx(np.sum(((pred - true) / ex["scale"][i]) ** 2))


def test_across_series_pools_scaled_errors_and_averages_mase_over_series() -> None:
    ex = scored_example()
    table = series_scores(ex["true"], ex["pred"], ex["series"], 5, ex["naive"], ex["scale"])
    got = across_series(table)
    scaled = (ex["pred"] - ex["true"]) / ex["scale"][ex["series"]][:, None]
    assert list(got) == ["mae", "rmse", "mase", "smape"]
    assert got["rmse"] == pytest.approx(math.sqrt(np.mean(scaled**2)), rel=1e-12)
    assert got["mae"] == pytest.approx(np.mean(np.abs(scaled)), rel=1e-12)
    per_series_mase = []
    per_series_smape = []
    for i in (0, 1, 3, 4):
        rows = ex["series"] == i
        true, pred = ex["true"][rows], ex["pred"][rows]
        per_series_smape.append(smape(true, pred))
        if i != 3:  # undefined MASE is left out of the mean
            per_series_mase.append(mase(true, pred, y_train=ex["trains"][i]))
    assert got["mase"] == pytest.approx(np.mean(per_series_mase), rel=1e-12)
    assert got["smape"] == pytest.approx(np.mean(per_series_smape), rel=1e-12)


def test_across_series_of_no_series_is_nan() -> None:
    empty = pd.DataFrame(columns=list(SERIES_COLUMNS))
    assert all(math.isnan(v) for v in across_series(empty).values())


def test_series_scores_reject_nan_and_series_outside_the_panel() -> None:
    ex = scored_example()
    args = (ex["naive"], ex["scale"])
    bad = ex["pred"].copy()
    bad[1, 1] = np.nan
    with pytest.raises(OptionError, match="pred must be finite"):
        series_scores(ex["true"], bad, ex["series"], 5, *args)
    with pytest.raises(OptionError, match="series must lie in"):
        series_scores(ex["true"], ex["pred"], ex["series"] + 1, 5, *args)


def loop_design(
    panel: Panel, split: PanelSplit, lags: int, horizon: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], list[tuple[float, float]]]:
    """The pooled design by loops: minmax scaling per series on its training part."""
    rows, targets, params = [], [], []
    for i in range(panel.n_series):
        y = panel.values[panel.starts[i] : panel.starts[i + 1]]
        train = y[: split.train_end[i]]
        low, high = float(train.min()), float(train.max())
        params.append((low, high - low))
        if not split.active[i]:
            continue
        z = (y - low) / (high - low)
        for o in range(lags, int(split.train_end[i]) - horizon + 1):
            rows.append([1.0, *z[o - lags : o]])
            targets.append(z[o : o + horizon])
    return np.array(rows), np.array(targets), params


def test_pooled_ar_matches_lstsq_on_the_pooled_scaled_design() -> None:
    lags, horizon = 3, 2
    panel = random_walks([40, 25, 60, 31])
    split = panel_train_val_split(panel, WindowSpec(lags, horizon), 0.25)
    split = PanelSplit(
        split.starts, split.n, split.train_end, lags, horizon, np.array([1, 1, 0, 1], bool), "x"
    )
    model = PooledAR(lags, horizon).fit_panel(panel, split)
    design, target, params = loop_design(panel, split, lags, horizon)
    want, *_ = np.linalg.lstsq(design, target, rcond=None)
    assert model.name == "pooled linear AR(3)"
    assert model.coef_.shape == (lags + 1, horizon)
    np.testing.assert_allclose(model.coef_, want, rtol=1e-7, atol=1e-9)

    origins = split.val_origins
    pred = model.predict_panel(panel, origins)
    for k, o in enumerate(origins):
        i = int(np.searchsorted(panel.starts, o, side="right") - 1)
        low, spread = params[i]
        z = (panel.values[o - lags : o] - low) / spread
        direct = (want[0] + z @ want[1:]) * spread + low
        np.testing.assert_allclose(pred[k], direct, rtol=1e-7, atol=1e-7)
    assert 2 not in set(split.series_of(origins))


def test_pooled_ar_refuses_an_origin_reading_another_series() -> None:
    panel = random_walks([20, 20])
    split = panel_train_val_split(panel, WindowSpec(3, 1), 0.25)
    model = PooledAR(3, 1).fit_panel(panel, split)
    with pytest.raises(OptionError, match="origins"):
        model.predict_panel(panel, np.array([22]))  # reads values 19..21: two series


def test_score_pooled_pools_the_scaled_errors_of_its_forecasts() -> None:
    lags, horizon = 4, 3
    panel = random_walks([50, 80, 45])
    split = panel_train_val_split(panel, WindowSpec(lags, horizon), 0.3)
    row, per_series = score_pooled(panel, split, lags, horizon, "minmax")
    design, target, params = loop_design(panel, split, lags, horizon)
    coef, *_ = np.linalg.lstsq(design, target, rcond=None)
    squares, count, mases = 0.0, 0, []
    for i in range(panel.n_series):
        y = panel.values[panel.starts[i] : panel.starts[i + 1]]
        low, spread = params[i]
        end = int(split.train_end[i])
        errors = []
        for o in range(end, y.size - horizon + 1):
            z = (y[o - lags : o] - low) / spread
            errors.append((coef[0] + z @ coef[1:]) * spread + low - y[o : o + horizon])
        err = np.array(errors)
        squares += float(np.sum((err / spread) ** 2))
        count += err.size
        mases.append(np.mean(np.abs(err)) / direct_naive(y[:end]))
    assert row["model"] == "pooled linear AR(4)" and row["series"] == 3
    assert row["rmse"] == pytest.approx(math.sqrt(squares / count), rel=1e-6)
    assert row["mase"] == pytest.approx(np.mean(mases), rel=1e-6)
    assert per_series["series"].tolist() == [0, 1, 2]


class FailsOnShort:
    """Fits only series of at least 40 values; shows how a failed fit is kept."""

    def __init__(self, horizon: int) -> None:
        self.horizon, self.name = horizon, "fails on short"

    def fit(
        self, y: ArrayLike, X: ArrayLike | None = None, *, train_end: int | None = None
    ) -> FailsOnShort:
        if len(np.asarray(y)) < 40:
            raise DataError("series too short for this baseline")
        return self

    def predict(self, y: ArrayLike, origins: ArrayLike, X: ArrayLike | None = None) -> Any:
        return np.zeros((np.asarray(origins).size, self.horizon))


def few_baselines(lags: int, horizon: int, period: int | None = None) -> list[Forecaster]:
    return [Naive(horizon), Drift(horizon), LinearAR(lags, horizon), FailsOnShort(horizon)]


class ThreadCount(FailsOnShort):
    """Names the torch and BLAS threads of the process that fits it."""

    def __init__(self, horizon: int) -> None:
        self.horizon, self.name = horizon, "threads"

    def fit(
        self, y: ArrayLike, X: ArrayLike | None = None, *, train_end: int | None = None
    ) -> ThreadCount:
        import torch
        from threadpoolctl import threadpool_info

        blas = max(pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas")
        self.name = f"torch {torch.get_num_threads()}, blas {blas}"
        return self


def counting_threads(lags: int, horizon: int, period: int | None = None) -> list[Forecaster]:
    return [*few_baselines(lags, horizon), ThreadCount(horizon)]


def naive_only(lags: int, horizon: int, period: int | None = None) -> list[Forecaster]:
    return [Naive(horizon)]


def _comparable(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    keys = ("model", "fitted", "series", "id", "windows", "values", "error")
    out = []
    for row in rows:
        # NaN as None: two NaN objects never compare equal
        metrics = tuple(
            None if math.isnan(row[m]) else round(float(row[m]), 10)
            for m in ("rmse", "mae", "mase", "smape")
        )
        out.append((*(row.get(k) for k in keys), *metrics))
    return sorted(out, key=str)


def test_series_baselines_in_two_workers_match_one() -> None:
    panel = random_walks([30, 45, 60, 35, 50, 41])
    split = panel_train_val_split(panel, WindowSpec(3, 2), 0.25)
    one = score_series_baselines(panel, split, few_baselines, workers=1, progress=False)
    two = score_series_baselines(panel, split, counting_threads, workers=2, progress=False)
    assert len(one) == 4 * panel.n_series
    assert _comparable(one) == _comparable([row for row in two if row["model"] != "threads"])
    assert {row["fitted"] for row in two if row["model"] == "threads"} == {"torch 1, blas 1"}
    failed = [row for row in one if "error" in row]
    assert {row["id"] for row in failed} == {"s0", "s3"}
    assert all(math.isnan(row["rmse"]) and "too short" in row["error"] for row in failed)


def test_naive_baseline_mase_per_series_and_across_series() -> None:
    lags, horizon = 2, 3
    panel = random_walks([30, 44, 52], seed=5)
    split = panel_train_val_split(panel, WindowSpec(lags, horizon), 0.3)
    rows = score_series_baselines(panel, split, naive_only, workers=1, progress=False)
    scale = np.array([4.0, 0.5, 2.0])
    naive = naive_scale(panel.values, panel.starts, split.train_end)
    squares, count, mases = 0.0, 0, []
    for row, i in zip(rows, range(panel.n_series), strict=True):
        y = panel.values[panel.starts[i] : panel.starts[i + 1]]
        end = int(split.train_end[i])
        err = np.array([y[o : o + horizon] - y[o - 1] for o in range(end, y.size - horizon + 1)])
        want = np.mean(np.abs(err)) / np.mean(np.abs(np.diff(y[:end])))
        assert row["series"] == i and row["model"] == "naive"
        assert row["mase"] == pytest.approx(want, rel=1e-12)
        squares += float(np.sum((err / scale[i]) ** 2))
        count += err.size
        mases.append(want)
    (family,) = baseline_panel_rows(rows, naive, scale)
    assert family["model"] == "naive" and family["series"] == 3
    assert family["rmse"] == pytest.approx(math.sqrt(squares / count), rel=1e-10)
    assert family["mase"] == pytest.approx(np.mean(mases), rel=1e-10)
    assert "error" not in family


def test_baseline_panel_rows_count_failed_series() -> None:
    panel = random_walks([30, 45, 60])
    split = panel_train_val_split(panel, WindowSpec(3, 1), 0.25)
    rows = score_series_baselines(panel, split, few_baselines, workers=1, progress=False)
    naive = naive_scale(panel.values, panel.starts, split.train_end)
    table = {r["model"]: r for r in baseline_panel_rows(rows, naive, np.ones(3))}
    assert list(table) == ["naive", "drift", "linear AR(3)", "fails on short"]
    assert table["fails on short"]["series"] == 2
    assert table["fails on short"]["error"].startswith("1 of 3 series failed; series 's0'")
    assert table["naive"]["series"] == 3
