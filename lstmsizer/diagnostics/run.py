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
from lstmsizer.diagnostics.result import Result
from lstmsizer.diagnostics.sweeprun import (
    SweepRun,
    configuration,
    run_dataset,
    select_sizes,
    sweep_run,
)
from lstmsizer.forecaster import LSTMForecaster
from lstmsizer.progress import progress_bar
from lstmsizer.rundir.files import DIAGNOSTICS_FILE


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


def _sweep_rmse(run: SweepRun, config: str) -> float:
    runs = run.runs
    if not {"config", "fold", "seed", "rmse"} <= set(runs.columns):
        return math.nan
    fold = len(run.info["data"]["folds"]) - 1
    match = runs[(runs["config"] == config) & (runs["fold"] == fold)]
    match = match[match["seed"] == run.spec.seed]
    return float(match["rmse"].iloc[0]) if len(match) else math.nan


def diagnose_size(run: SweepRun, dataset: Any, config_id: str) -> SizeDiagnostics:
    """Retrain one configuration on the last fold with the sweep's settings and diagnose it."""
    split = run.last_fold
    config = configuration(run, config_id)
    spec = run.spec
    train = spec.train.train_spec(spec.seed, **config.train_changes())
    model = LSTMForecaster(spec.window, config.model, train, scaling=spec.split.scaling)
    y = dataset.values[: split.n]
    X = dataset.features[: split.n] if dataset.features.shape[1] else None
    recorder = GradientNormRecorder(lambda: model.net_)
    model.fit(y, X, train_end=split.train_end, callbacks=[recorder])
    found = diagnose_model(Probe(model, y, split.val_origins, X), at_init=True)
    recommended = config_id == run.recommended
    sweep_rmse = _sweep_rmse(run, config_id)
    return SizeDiagnostics(config_id, recommended, sweep_rmse, found, recorder.result())


def diagnose_run(
    run_dir: str | Path, sizes: int = 3, progress: bool | None = False, data: Any = None
) -> RunDiagnostics:
    """Retrain the recommended size and a spread of others, diagnose them, write the JSON.

    Reads the run folder (rundir.read_run, with the settings rebuilt by sweeprun.sweep_run),
    re-creates the data set (sweeprun.run_dataset), retrains ``sizes`` configurations (the
    recommended one, the smallest and largest of its cell and depth, then ones between) on
    the last fold with the sweep's settings and first seed, and computes capacity, unit
    ablation and gradients at initialisation and after training on that fold's validation
    windows, plus deep-versus-wide from summary.csv and runs.csv (deepwide's rule, as the
    report applies it). Writes RUN_DIR/diagnostics.json (to_dict()).

    Args:
        run_dir: A sweep's run folder.
        sizes: Number of configurations to retrain.
        progress: Progress bar on stderr; None shows it when stderr is a terminal.
        data: The data set, needed only when the run's data cannot be re-read (an in-memory
            array, a file that moved); anything datasets.resolve takes.

    Returns:
        The RunDiagnostics.
    """
    run = sweep_run(run_dir)
    dataset = run_dataset(run, data)
    recommended = run.recommended
    chosen = select_sizes(run.summary, recommended, sizes)
    results: list[SizeDiagnostics] = []
    with progress_bar("diagnosing sizes", len(chosen), progress) as bar:
        for config_id in chosen:
            results.append(diagnose_size(run, dataset, config_id))
            bar.advance()
    split = run.last_fold
    last = [r.diagnostics.capacity.layers[-1] for r in results]
    found = RunDiagnostics(
        run_dir=str(run.path),
        dataset=dataset.name,
        recommended=recommended,
        train_end=split.train_end,
        n=split.n,
        sizes=tuple(results),
        units_given=tuple(r.diagnostics.ablation.units for r in results),
        units_used=tuple(r.diagnostics.ablation.used for r in results),
        participation=tuple(layer.participation_ratio for layer in last),
        deep_vs_wide=deep_vs_wide(run.summary, run.runs),
    )
    write_text(run.path / DIAGNOSTICS_FILE, json.dumps(found.to_dict(), indent=2))
    return found
