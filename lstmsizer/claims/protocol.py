"""The sweep's training protocol for the claims that train outside a sweep, and paired figures."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from lstmsizer.config import ModelSpec
from lstmsizer.datasets import Dataset
from lstmsizer.forecaster import LSTMForecaster
from lstmsizer.intervals import Interval, t_interval
from lstmsizer.panel import Panel
from lstmsizer.panelsplits import PanelSplit
from lstmsizer.splits import Split
from lstmsizer.sweeping.plan import Configuration, SweepSpec
from lstmsizer.sweeping.runs import candidate_rates, runs_at_best_rate

Fitted = list[tuple[dict[str, object], LSTMForecaster]]
"""One (runs.csv row, fitted model) per seed."""


def protocol_fits(
    spec: SweepSpec,
    dataset: Dataset | Panel,
    splits: Sequence[Split | PanelSplit],
    units: int,
    layers: int = 1,
) -> list[Fitted]:
    """Every seed of LSTM(units) on every split, exactly as a sweep trains a configuration.

    Early stopping on a block carved from each training part, lr cuts, restarts, and under
    lr "auto" the rate chosen on the first split among LR_CANDIDATES by the mean loss on the
    stopping blocks (sweep.runs.choose_rate); the other splits train at that rate. On a
    panel each run is one global model over the series, its rmse scored across series.

    Returns:
        Per split, the seeds' (row, model) pairs; each row has the run's validation rmse.
    """
    config = Configuration(ModelSpec("lstm", units, layers, spec.model.activation))
    rates = candidate_rates(config, spec)
    out: list[Fitted] = []
    for fold, split in enumerate(splits):
        runs, rate, _ = runs_at_best_rate(config, spec, dataset, split, fold, rates)
        rates = (rate,)  # the other splits train at the first one's rate
        out.append(runs)
    return out


def paired_change(
    runs: pd.DataFrame, model: str, reference: pd.DataFrame, on: Sequence[str]
) -> Interval:
    """A model's RMSE change over a reference's, (model - reference) / reference, paired.

    Pairs the model's runs (one row per seed x fold: config, seed, fold, rmse) with the
    reference's rows on the `on` columns (seed and fold, or fold alone for a baseline) and
    gives the mean change with its paired t interval; negative means the model is better.
    """
    mine = runs[runs["config"] == model]
    both = mine.merge(reference[[*on, "rmse"]], on=list(on), suffixes=("", "_ref"))
    change = (both["rmse"] - both["rmse_ref"]) / both["rmse_ref"]
    return t_interval(change.to_numpy(dtype=float))


def rmse_of(fitted: Fitted) -> np.ndarray:
    """The validation RMSE of each seed."""
    return np.array([float(row["rmse"]) for row, _ in fitted])  # type: ignore[arg-type]
