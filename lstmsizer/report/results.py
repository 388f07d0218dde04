"""Plain result objects the report is drawn from: numbers and text, no files, no pandas."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lstmsizer.codegen import config_label


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
    """What recommendation.json says: the recommended model, the verdict and the code."""

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
    """A stacked model and a one-layer model with about the same parameter count."""

    deep: str
    wide: str
    deep_parameters: int
    wide_parameters: int
    deep_rmse: float
    deep_se: float
    wide_rmse: float
    wide_se: float
    verdict: str = ""


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
    """One forum claim checked by an experiment."""

    claim: str
    verdict: str
    evidence: str


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
    problems: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
