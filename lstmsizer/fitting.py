"""`lstmsizer.fit`: one configuration trained and scored beside the baselines, on one series
or on a panel of many."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lstmsizer.baselines import BaselineFactory
from lstmsizer.config import ModelSpec, SplitSpec, TrainSpec, WindowSpec
from lstmsizer.contract import Forecaster
from lstmsizer.datasets import Dataset, resolve
from lstmsizer.errors import OptionError
from lstmsizer.evaluation import FitResult, fit_and_score
from lstmsizer.panel import Panel
from lstmsizer.panelfit import PanelFitResult, fit_and_score_panel


def fit(
    data: Any,
    window: WindowSpec,
    model: ModelSpec,
    train: TrainSpec,
    split: SplitSpec | None = None,
    *,
    steps: int | None = None,
    baselines: BaselineFactory | Sequence[Forecaster] | None = None,
    id_column: str | None = None,
    wide: bool = False,
    drop_short: bool = False,
    workers: int | None = None,
) -> FitResult | PanelFitResult:
    """Train the LSTM on the training part and compare it with every baseline.

    One series goes to evaluation.fit_and_score; a panel (a Panel, or a table read as one:
    id_column, wide, or the columns unique_id, ds and y) to panelfit.fit_and_score_panel,
    one global model over every series.

    Args:
        data: A Dataset, a Panel, or data for datasets.resolve (array, DataFrame, file).
        window, model, train, split, steps, baselines: As fit_and_score.
        id_column: Series id column of a table given as data: it is read as a panel.
        wide: A table given as data has one column per series.
        drop_short: Leave out a panel's series shorter than lags + horizon, named.
        workers: Processes fitting a panel's per-series baselines.

    Returns:
        FitResult for one series, PanelFitResult for a panel.

    Raises:
        OptionError: A panel option for one series, or the reverse.
    """
    if not isinstance(data, (Dataset, Panel)):
        data = resolve(data, id_column=id_column, wide=wide)
    elif id_column is not None or wide:
        raise OptionError(f"id_column and wide apply to tables, got a loaded {data.name!r}")
    if isinstance(data, Panel):
        data = data.check_window(window.lags, window.horizon, drop_short=drop_short)
        return fit_and_score_panel(
            data, window, model, train, split, steps=steps, baselines=baselines, workers=workers
        )
    given = {"workers": workers is not None, "drop_short": drop_short}
    for name, on in given.items():
        if on:
            raise OptionError(f"{name} applies to a panel of many series, got one series")
    return fit_and_score(data, window, model, train, split, steps=steps, baselines=baselines)
