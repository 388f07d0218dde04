"""Diagnose a finished sweep: retrain a spread of its sizes and explain the recommended one."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lstmsizer.atomic import write_text
from lstmsizer.diagnostics.depth import DepthResult, deep_vs_wide
from lstmsizer.diagnostics.gradnorms import GradientNormLog, GradientNormRecorder
from lstmsizer.diagnostics.inputs import Probe
from lstmsizer.diagnostics.model import ModelDiagnostics, diagnose_model
from lstmsizer.diagnostics.panelrun import ReadOptions
from lstmsizer.diagnostics.result import Result
from lstmsizer.diagnostics.sweeprun import (
    SweepRun,
    configuration,
    last_split,
    run_dataset,
    select_sizes,
    sweep_run,
)
from lstmsizer.forecaster import LSTMForecaster
from lstmsizer.panel import Panel
from lstmsizer.panelsplits import PanelSplit
from lstmsizer.progress import progress_bar
from lstmsizer.rundir.files import DIAGNOSTICS_FILE
from lstmsizer.splits import Split

PANEL_BASIS = (
    "one global model over every series: retrained on every active series' training part of "
    "the last fold and diagnosed on the validation windows of every active series, pooled "
    "(each window inside one series, scaled by that series' scaler); RMSE pools the errors "
    "on each series' own scale, as the sweep's scores across series"
)
"""What the numbers of a panel run's diagnostics describe."""


@dataclass(frozen=True)
class SizeDiagnostics(Result):
    """One configuration of the sweep, retrained on its last fold and diagnosed.

    Attributes:
        config: The sweep's configuration id, e.g. lstm-u32-l1.
        recommended: Whether the sweep recommended it.
        sweep_rmse: The sweep's RMSE of the same run (last fold, first seed) from runs.csv,
            NaN when not recorded. The retraining repeats that run, so its RMSE matches on the
            same machine (closely, not bit for bit, when the sweep trained its seeds batched).
        diagnostics: Capacity, ablation and gradients (at initialisation and trained) on the
            last fold's validation windows.
        gradient_norms: Per-layer gradient norms recorded during the retraining, with
            exploding norms flagged.
    """

    config: str
    recommended: bool
    sweep_rmse: float
    diagnostics: ModelDiagnostics
    gradient_norms: GradientNormLog


@dataclass(frozen=True)
class RunDiagnostics(Result):
    """Why the sweep in run_dir recommends its size.

    Attributes:
        run_dir: The run folder (diagnostics.json is written there).
        dataset: Name of the data set.
        recommended: The recommended configuration id.
        train_end, n: The last fold: trained on values [0, train_end), scored on [train_end, n).
        sizes: One SizeDiagnostics per retrained configuration, by increasing parameters.
        units_given: Units of the last layer of each size.
        units_used: Units of the last layer each size cannot lose without a 1% RMSE increase.
        participation: Participation ratio of each size's last layer.
        deep_vs_wide: Stacked configurations against one-layer ones of equal parameter budget.
    """

    run_dir: str
    dataset: str
    recommended: str
    train_end: int
    n: int
    sizes: tuple[SizeDiagnostics, ...]
    units_given: tuple[int, ...]
    units_used: tuple[int, ...]
    participation: tuple[float, ...]
    deep_vs_wide: DepthResult


@dataclass(frozen=True)
class PanelBasis(Result):
    """The panel a panel run's diagnostics read, and how they read it.

    Attributes:
        series: Series of the panel.
        active: Series taking part in the last fold.
        cut: How the last fold was cut (PanelSplit.cut).
        train_values: Training values of the active series in the last fold, together.
        windows: Validation windows diagnosed, of every active series.
        basis: What the numbers describe (PANEL_BASIS).
    """

    series: int
    active: int
    cut: str
    train_values: int
    windows: int
    basis: str


@dataclass(frozen=True)
class PanelRunDiagnostics(RunDiagnostics):
    """RunDiagnostics of a panel sweep: train_end and n count the last fold's training and
    usable values over every active series; panel says what was diagnosed."""

    panel: PanelBasis


def _sweep_rmse(run: SweepRun, config: str) -> float:
    runs = run.runs
    if not {"config", "fold", "seed", "rmse"} <= set(runs.columns):
        return math.nan
    fold = len(run.info["data"]["folds"]) - 1
    match = runs[(runs["config"] == config) & (runs["fold"] == fold)]
    match = match[match["seed"] == run.spec.seed]
    return float(match["rmse"].iloc[0]) if len(match) else math.nan


def diagnose_size(run: SweepRun, dataset: Any, config_id: str) -> SizeDiagnostics:
    """Retrain one configuration on the last fold with the sweep's settings and diagnose it.

    On a panel it is the one global model the sweep trained (fit_panel on the last fold's
    split), diagnosed on the validation windows of every active series.
    """
    split = last_split(run, dataset)
    config = configuration(run, config_id)
    spec = run.spec
    train = spec.train.train_spec(spec.seed, **config.train_changes())
    model = LSTMForecaster(spec.window, config.model, train, scaling=spec.split.scaling)
    recorder = GradientNormRecorder(lambda: model.net_)
    if isinstance(dataset, Panel):
        assert isinstance(split, PanelSplit)
        model.fit_panel(dataset, split, callbacks=[recorder])
        probe = Probe(model, dataset, split.val_origins)
    else:
        assert isinstance(split, Split)
        y = dataset.values[: split.n]
        X = dataset.features[: split.n] if dataset.features.shape[1] else None
        model.fit(y, X, train_end=split.train_end, callbacks=[recorder])
        probe = Probe(model, y, split.val_origins, X)
    found = diagnose_model(probe, at_init=True)
    recommended = config_id == run.recommended
    sweep_rmse = _sweep_rmse(run, config_id)
    return SizeDiagnostics(config_id, recommended, sweep_rmse, found, recorder.result())


def diagnose_run(
    run_dir: str | Path,
    sizes: int = 3,
    progress: bool | None = False,
    data: Any = None,
    read: ReadOptions | None = None,
) -> RunDiagnostics:
    """Retrain the recommended size and a spread of others, diagnose them, write the JSON.

    Reads the run folder (rundir.read_run, with the settings rebuilt by sweeprun.sweep_run),
    re-creates the data set (sweeprun.run_dataset), retrains ``sizes`` configurations (the
    recommended one, the smallest and largest of its cell and depth, then ones between) on
    the last fold with the sweep's settings and first seed, and computes capacity, unit
    ablation and gradients at initialisation and after training on that fold's validation
    windows, plus deep-versus-wide from summary.csv and runs.csv (deepwide's rule, as the
    report applies it). Writes RUN_DIR/diagnostics.json (to_dict()).

    A panel sweep's run (recommendation.json has data.panel) gives a PanelRunDiagnostics:
    the same numbers of the one global model, read on the validation windows of every series
    of the last fold (PANEL_BASIS).

    Args:
        run_dir: A sweep's run folder.
        sizes: Number of configurations to retrain.
        progress: Progress bar on stderr; None shows it when stderr is a terminal.
        data: The data set, needed only when the run's data cannot be re-read (an in-memory
            array or panel, a file that moved); anything datasets.resolve takes.
        read: How the run's file (or data as a path) is read again: the data options the
            sweep read it with, e.g. ReadOptions(id_column="country", time_column="year").

    Returns:
        The RunDiagnostics.
    """
    run = sweep_run(run_dir)
    dataset = run_dataset(run, data, read)
    recommended = run.recommended
    chosen = select_sizes(run.summary, recommended, sizes)
    results: list[SizeDiagnostics] = []
    with progress_bar("diagnosing sizes", len(chosen), progress) as bar:
        for config_id in chosen:
            results.append(diagnose_size(run, dataset, config_id))
            bar.advance()
    split = last_split(run, dataset)
    last = [r.diagnostics.capacity.layers[-1] for r in results]
    fields: dict[str, Any] = dict(
        run_dir=str(run.path),
        dataset=dataset.name,
        recommended=recommended,
        sizes=tuple(results),
        units_given=tuple(r.diagnostics.ablation.units for r in results),
        units_used=tuple(r.diagnostics.ablation.used for r in results),
        participation=tuple(layer.participation_ratio for layer in last),
        deep_vs_wide=deep_vs_wide(run.summary, run.runs),
    )
    found: RunDiagnostics
    if isinstance(split, PanelSplit):
        active = split.active
        train_values = int(split.train_end[active].sum())
        panel = PanelBasis(
            series=int(active.size),
            active=int(active.sum()),
            cut=split.cut,
            train_values=train_values,
            windows=int(split.val_origins.size),
            basis=PANEL_BASIS,
        )
        n = int(split.n[active].sum())
        found = PanelRunDiagnostics(train_end=train_values, n=n, panel=panel, **fields)
    else:
        found = RunDiagnostics(train_end=split.train_end, n=split.n, **fields)
    write_text(run.path / DIAGNOSTICS_FILE, json.dumps(found.to_dict(), indent=2))
    return found
