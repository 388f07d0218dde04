"""Plain result objects the report is drawn from: numbers and text, no files, no pandas."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lstmsizer.codegen import config_label


@dataclass(frozen=True)
class Health:
    """How a configuration trained: summary.csv's training-health columns, NaN when missing.

    Attributes:
        lr: The learning rate chosen for it.
        median_epochs, epoch_cap: Epochs trained (median over seeds x folds) and the cap.
        converged_share, under_trained_share, restarted_share, stuck_share: Shares of its
            runs that stopped on patience, hit the cap still improving, were restarted from
            the trivial solution, and stayed stuck at it.
        sd_rmse: Standard deviation of validation RMSE over seeds x folds.
        paired_diff, paired_se: Mean paired RMSE difference to the best configuration over
            the same seed x fold cells, and its standard error.
        within_one_se: Whether paired_diff <= paired_se (None when not recorded).
        selected_share: Share of bootstrap resamples recommending it.
    """

    lr: float = math.nan
    median_epochs: float = math.nan
    epoch_cap: float = math.nan
    converged_share: float = math.nan
    under_trained_share: float = math.nan
    restarted_share: float = math.nan
    stuck_share: float = math.nan
    sd_rmse: float = math.nan
    paired_diff: float = math.nan
    paired_se: float = math.nan
    within_one_se: bool | None = None
    selected_share: float = math.nan

    @property
    def troubled(self) -> bool:
        """Some runs hit the epoch cap still improving, or stayed stuck at the trivial solution."""
        return self.under_trained_share > 0 or self.stuck_share > 0


@dataclass(frozen=True)
class Config:
    """One row of summary.csv: a configuration's validation scores over seeds x folds."""

    config: str
    cell: str
    units: int
    layers: int
    activation: str
    parameters: int
    runs: int
    failed: int
    mean_rmse: float
    se_rmse: float
    mean_train_loss: float
    mean_val_loss: float
    seconds: float
    health: Health | None = None

    @property
    def label(self) -> str:
        """Keras-style name such as LSTM(32) or 2-layer LSTM(64)."""
        return config_label(self.cell, self.units, self.layers, self.activation)


@dataclass(frozen=True)
class Baseline:
    """One baseline's validation RMSE over the same folds (mean and standard error)."""

    model: str
    mean_rmse: float
    se_rmse: float
    runs: int


@dataclass(frozen=True)
class Recommended:
    """What recommendation.json says: the recommended model, the verdict and the code.

    The fields from paired_diff on are recorded by newer sweeps only (NaN, 0, "" or ()
    otherwise): the paired difference to the best, the best baseline minus this model paired
    over folds_paired folds, and the bootstrap's stability share, runner-up and warnings.
    """

    config: str
    label: str
    parameters: int
    mean_rmse: float
    se_rmse: float
    best_config: str
    best_mean_rmse: float
    best_se_rmse: float
    threshold: float
    baseline: str
    baseline_rmse: float
    baseline_se: float
    lstm_needed: bool | None
    verdict: str
    keras_code: str
    pytorch_code: str
    paired_diff: float = math.nan
    paired_se: float = math.nan
    baseline_diff: float = math.nan
    baseline_diff_se: float = math.nan
    folds_paired: int = 0
    stability_share: float = math.nan
    runner_up: str = ""
    runner_up_label: str = ""
    runner_up_share: float = math.nan
    resamples: int = 0
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Series:
    """The series as swept: x is the time (or the position when there is none)."""

    x: np.ndarray
    value: np.ndarray


@dataclass(frozen=True)
class Forecasts:
    """Forecasts of the validation and test spans beside the actual values."""

    x: np.ndarray
    span: np.ndarray
    actual: np.ndarray
    recommended: np.ndarray
    baseline: np.ndarray


@dataclass(frozen=True)
class Capacity:
    """How many hidden dimensions a trained model of one size really uses."""

    units: int
    layers: int
    participation_ratio: float
    pcs_90: float
    pcs_99: float
    dead_share: float
    saturated_share: float


@dataclass(frozen=True)
class Gradient:
    """Gradient norm of the forecast with respect to each input lag.

    Attributes:
        units, layers: The model's size.
        stage: "init" (before training) or "trained".
        lags: Steps back of each value (1 is the newest input of the window).
        saliency: Mean norm of d(forecast)/d(input at that lag), one per lag.
    """

    units: int
    layers: int
    stage: str
    lags: tuple[int, ...]
    saliency: tuple[float, ...]


@dataclass(frozen=True)
class DeepWide:
    """A stacked model and a one-layer model with about the same parameter count.

    paired_diff and paired_se are the mean RMSE difference deep - wide over their common
    seed x fold cells (NaN when unpaired); under_trained marks a pair where either side had
    under-trained or stuck runs.
    """

    deep: str
    wide: str
    deep_parameters: int
    wide_parameters: int
    deep_rmse: float
    deep_se: float
    wide_rmse: float
    wide_se: float
    verdict: str = ""
    paired_diff: float = math.nan
    paired_se: float = math.nan
    cells: int = 0
    under_trained: bool = False


@dataclass(frozen=True)
class Curve:
    """Per-epoch losses of one run of a configuration (curves.csv).

    val_loss is the loss on the early-stopping block, carved from the end of the fold's
    training part; lr is the learning rate in force at that epoch.
    """

    config: str
    seed: int
    fold: int
    epoch: tuple[float, ...]
    train_loss: tuple[float, ...]
    val_loss: tuple[float, ...]
    lr: tuple[float, ...]


# validation RMSE of each scored run: config -> {(seed, fold): rmse}
Cells = dict[str, dict[tuple[int, int], float]]


@dataclass(frozen=True)
class SpeedRow:
    """Training speed of one unit count on this machine."""

    units: int
    step_ms: float
    gflops: float
    step_ms_iqr: float = math.nan


@dataclass(frozen=True)
class Speed:
    """speed.json: step time and throughput against units."""

    rows: tuple[SpeedRow, ...]
    matmul_gflops: float
    verdict: str
    device: str
    threads: str


@dataclass(frozen=True)
class Claim:
    """One forum claim checked by an experiment: its verdict, its figures with their
    intervals (intervals.describe_figures), what it needs of them, and what was tested."""

    claim: str
    verdict: str
    evidence: str
    figure: str = ""
    threshold: str = ""
    tested: str = ""

    @property
    def label(self) -> str:
        """The claim, with what was tested when that differs from its words."""
        return self.claim + (f" ({self.tested})" if self.tested else "")


@dataclass(frozen=True)
class Table:
    """A CSV file as it is, for display: column names and rows of plain values."""

    columns: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]


@dataclass(frozen=True)
class RunFolder:
    """Everything the report shows; None marks a part the run folder does not have.

    Attributes:
        path: The run folder.
        recommended: recommendation.json's recommendation.
        info: recommendation.json's data, spec, study, environment and seconds, as written.
        configs: summary.csv, one Config per configuration.
        baselines: baselines.csv summarised, best first.
        summary, test: summary.csv and test.csv as they are, for the tables.
        runs: Models trained (rows of runs.csv).
        series, forecasts, capacity, gradients, deep_wide, speed, claims: The optional parts.
        cells: runs.csv's validation RMSE per configuration and (seed, fold), for paired
            differences; None when runs.csv lacks those columns or repeats a cell.
        curves: curves.csv, one run per configuration.
        lr_search: lr_search.csv as it is.
        problems: One sentence per optional file that was there but could not be read.
        files: The run folder's files the report links to.
    """

    path: Path
    recommended: Recommended
    info: dict[str, Any]
    configs: tuple[Config, ...]
    baselines: tuple[Baseline, ...]
    summary: Table
    test: Table | None
    runs: int
    series: Series | None = None
    forecasts: Forecasts | None = None
    capacity: tuple[Capacity, ...] | None = None
    gradients: tuple[Gradient, ...] | None = None
    deep_wide: tuple[DeepWide, ...] | None = None
    speed: Speed | None = None
    claims: tuple[Claim, ...] | None = None
    cells: Cells | None = None
    curves: tuple[Curve, ...] | None = None
    lr_search: Table | None = None
    problems: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
