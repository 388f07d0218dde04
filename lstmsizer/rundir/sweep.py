"""What a sweep writes to its run folder: the recommendation, summary and baseline rows, and
the columns of its other tables."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import pandas as pd

from lstmsizer.racing import RaceEvidence
from lstmsizer.rundir.convert import build, json_ready, to_bool
from lstmsizer.rundir.files import BASELINES_FILE, RECOMMENDATION_FILE, SUMMARY_FILE
from lstmsizer.sizes import config_label


@dataclass(frozen=True)
class ConfigFields:
    """The fields naming a configuration, first in every record of one (a summary.csv row,
    the recommendation): its id, cell, units, layers, activation and parameter count."""

    config: str
    cell: str
    units: int
    layers: int
    activation: str
    parameters: int

    @property
    def label(self) -> str:
        """Keras-style name such as LSTM(32) or 2-layer LSTM(64)."""
        return config_label(self.cell, self.units, self.layers, self.activation)


@dataclass(frozen=True)
class Recommendation(ConfigFields):
    """The smallest configuration as good as the best, and whether it beats the baselines.

    recommendation.json's "recommendation" object, key for key.

    Attributes:
        config, cell, units, layers, activation, parameters: The recommended configuration.
        mean_rmse, se_rmse: Its validation RMSE over seeds x folds (unpaired, for reading).
        paired_diff, paired_se: Its RMSE minus the best's, paired over the (seed, fold) cells:
            mean and standard error of the differences (0 and 0 when it is the best).
        best_config, best_mean_rmse, best_se_rmse: The configuration with the lowest mean RMSE.
        threshold: best_mean_rmse + best_se_rmse, the unpaired bound, for reading only.
        baseline, baseline_rmse, baseline_se: The baseline with the lowest mean RMSE.
        baseline_diff, baseline_diff_se: That baseline's RMSE minus the recommendation's
            (its mean over seeds), paired per fold: mean and standard error over the folds.
        folds_paired: Folds both were scored on.
        lstm_needed: True when baseline_diff > baseline_diff_se.
        stability_share: Share of bootstrap resamples of the cells that recommend it.
        selection_shares: Share of resamples recommending each configuration, by id.
        runner_up, runner_up_label, runner_up_share: The configuration the resamples
            recommend most often otherwise (None when none does), its label and its share.
        resamples: Bootstrap resamples drawn.
        warnings: Training-health warnings for the configurations within one standard error.
        verdict: Plain sentences saying the above.
        keras_code, pytorch_code: Runnable code building the recommended model.
    """

    mean_rmse: float
    se_rmse: float
    paired_diff: float
    paired_se: float
    best_config: str
    best_mean_rmse: float
    best_se_rmse: float
    threshold: float
    baseline: str
    baseline_rmse: float
    baseline_se: float
    baseline_diff: float
    baseline_diff_se: float
    folds_paired: int
    lstm_needed: bool
    stability_share: float
    selection_shares: dict[str, float]
    runner_up: str | None
    runner_up_label: str | None
    runner_up_share: float
    resamples: int
    warnings: tuple[str, ...]
    verdict: str
    keras_code: str
    pytorch_code: str

    @property
    def label(self) -> str:
        """Keras-style name such as LSTM(32) or 2-layer LSTM(64); empty without units."""
        return super().label if self.units > 0 else ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values: warnings as a list, NaN as None."""
        out = {**asdict(self), "warnings": list(self.warnings)}
        return {k: json_ready(v) for k, v in out.items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Recommendation:
        """The record from recommendation.json's "recommendation" object (None as NaN)."""
        return build(cls, data, f"{RECOMMENDATION_FILE}'s recommendation")


@dataclass(frozen=True)
class Health:
    """How a configuration trained: summary.csv's training-health columns.

    Attributes:
        lr: The learning rate its runs used (the first run's).
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

    lr: float
    median_epochs: float
    epoch_cap: float
    converged_share: float
    under_trained_share: float
    restarted_share: float
    stuck_share: float
    sd_rmse: float
    paired_diff: float
    paired_se: float
    within_one_se: bool | None
    selected_share: float

    @property
    def troubled(self) -> bool:
        """Some runs hit the epoch cap still improving, or stayed stuck at the trivial solution."""
        return self.under_trained_share > 0 or self.stuck_share > 0

    def to_dict(self) -> dict[str, Any]:
        """The summary.csv columns, in file order."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Health:
        """The record from a summary.csv row with every health column."""
        return build(cls, data, SUMMARY_FILE)


@dataclass(frozen=True)
class SummaryRow(ConfigFields):
    """One row of summary.csv: a configuration's validation scores over seeds x folds.

    health is None for a row written before sweeps recorded training health; race is the
    evidence a configuration was raced out with (its scores then cover fewer folds), None
    for one that ran every fold.
    """

    runs: int
    failed: int
    mean_rmse: float
    se_rmse: float
    mean_mae: float
    mean_mase: float
    mean_smape: float
    mean_train_loss: float
    mean_val_loss: float
    mean_epochs: float
    seconds: float
    health: Health | None = None
    race: RaceEvidence | None = None

    def to_dict(self) -> dict[str, Any]:
        """The summary.csv columns, in file order (no health columns when health is None)."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _PARTS}
        out |= race_record(self.race)
        return out | (self.health.to_dict() if self.health is not None else {})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SummaryRow:
        """The record from a summary.csv row; health when the row has its columns, race
        when its raced column says so (a row without one ran every fold)."""
        health = Health.from_dict(data) if HEALTH_COLUMNS[0] in data else None
        race = None
        if to_bool(data.get(RACED_COLUMN)):
            race = RaceEvidence.from_dict({f: data[f"race_{f}"] for f in _EVIDENCE})
        return build(cls, data, SUMMARY_FILE, health=health, race=race)


@dataclass(frozen=True)
class BaselineRun:
    """One row of baselines.csv: a baseline scored on one fold.

    Attributes:
        model: The baseline's family name (as the recommendation names it).
        mae, rmse, mase, smape: Validation scores; NaN when it failed.
        seconds: Fitting and scoring time.
        fitted: The fitted model's own name, e.g. the order ARIMA chose on this fold.
        fold: The rolling-origin fold.
        error: Why the scores are missing, when the forecasts were not finite.
    """

    model: str
    mae: float
    rmse: float
    mase: float
    smape: float
    seconds: float
    fitted: str
    fold: int
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The baselines.csv columns, in file order; error only when there is one."""
        out = asdict(self)
        error = out.pop("error")
        if error is None:
            return out
        # the scores are written first, then an error, then the timing and the fold
        head = {k: out[k] for k in ("model", "mae", "rmse", "mase", "smape")}
        return head | {"error": error} | {k: v for k, v in out.items() if k not in head}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BaselineRun:
        """The record from a baselines.csv row."""
        return build(cls, data, BASELINES_FILE)


_PARTS = ("health", "race")
_EVIDENCE = tuple(f.name for f in fields(RaceEvidence))
HEALTH_COLUMNS = tuple(f.name for f in fields(Health))
RACED_COLUMN = "raced"
RACE_COLUMNS = (RACED_COLUMN, *(f"race_{name}" for name in _EVIDENCE))
"""summary.csv's racing columns: raced, then the evidence (RaceEvidence's fields, prefixed);
empty evidence for a configuration that ran every fold."""
SUMMARY_COLUMNS = (
    *(f.name for f in fields(SummaryRow) if f.name not in _PARTS),
    *RACE_COLUMNS,
    *HEALTH_COLUMNS,
)
BASELINE_RUN_COLUMNS = tuple(f.name for f in fields(BaselineRun) if f.name != "error")
ERROR_COLUMN = "error"
"""Written beside the scores of a run whose forecasts were not finite, in any table."""

RUN_CELL_COLUMNS = ("config", "seed", "fold", "rmse")
"""runs.csv's columns naming one scored run (the cell of the paired rules) and its score."""
TEST_COLUMNS = ("model", "mae", "rmse", "mase", "smape", "seconds", "kind", "fitted")
"""test.csv: the recommended model's row (kind lstm) and each baseline's (kind baseline, with
its fitted name); fitted is absent when no baseline was scored."""
LSTM_KIND, BASELINE_KIND = "lstm", "baseline"
SERIES_COLUMNS = ("position", "time", "value")
FORECAST_COLUMNS = ("position", "time", "span", "actual", "recommended", "best_baseline")
"""forecasts.csv: span is "validation" (the last fold's block) or "test"."""
ID_COLUMN = "id"
"""Added first to series.csv and forecasts.csv of a panel: the series each row belongs to
(position then counts within that series)."""
PANEL_SCORE_COLUMNS = ("id", "model", "kind", "windows", "rmse", "mae", "mase", "smape")
"""panel_scores.csv, a panel's test share scored per series: the recommended model (kind lstm),
each per-series baseline family (kind baseline, fitted on that series alone) and the pooled
linear AR (kind pooled); metrics on the series' original scale, MASE scaled by the series'
in-sample naive error. STATISTICAL_FAMILIES name the series' own statistical baselines."""
STATISTICAL_FAMILIES = ("ETS", "ARIMA")
POOLED_KIND = "pooled"
CURVE_COLUMNS = ("config", "seed", "fold", "epoch", "train_loss", "val_loss", "lr")
LR_SEARCH_COLUMNS = ("config", "lr", "val_loss", "epochs", "restarts", "seconds", "chosen")


def conform(
    frame: pd.DataFrame, columns: Sequence[str], optional: Sequence[str] = ()
) -> pd.DataFrame:
    """The table as it is, once checked to have the file's columns in the file's order.

    Args:
        frame: A table about to be written.
        columns: The file's columns, in order.
        optional: Columns that may be absent, or present beyond `columns` (such as error).

    Raises:
        ValueError: A column is missing, unknown or out of order.
    """
    names = [str(c) for c in frame.columns]
    unknown = [c for c in names if c not in columns and c not in optional]
    missing = [c for c in columns if c not in names and c not in optional]
    ordered = [c for c in names if c in columns] == [c for c in columns if c in names]
    if unknown or missing or not ordered:
        raise ValueError(f"a run-folder table must have the columns {list(columns)}, got {names}")
    return frame


def race_record(race: RaceEvidence | None) -> dict[str, Any]:
    """summary.csv's racing columns of one configuration: raced and the evidence, if any."""
    evidence = race.to_dict() if race is not None else dict.fromkeys(_EVIDENCE)
    return {RACED_COLUMN: race is not None} | {f"race_{k}": v for k, v in evidence.items()}


def race_columns(configs: Sequence[str], raced: Mapping[str, RaceEvidence]) -> pd.DataFrame:
    """summary.csv's racing columns of these configurations, counts as whole numbers."""
    frame = pd.DataFrame([race_record(raced.get(c)) for c in configs], columns=RACE_COLUMNS)
    counts = [f"race_{f.name}" for f in fields(RaceEvidence) if f.type == "int"]
    return frame.astype(dict.fromkeys(counts, "Int64"))


def raced_ids(summary: pd.DataFrame) -> frozenset[str]:
    """Ids of the configurations summary.csv records as raced out (none without the column)."""
    if RACED_COLUMN not in summary.columns:
        return frozenset()
    raced = summary[RACED_COLUMN].map(lambda v: bool(to_bool(v)))
    return frozenset(summary.loc[raced, "config"].astype(str))


def ran_every_fold(frame: pd.DataFrame, raced: Collection[str]) -> pd.DataFrame:
    """The rows of frame (runs.csv's or summary.csv's) of configurations that ran every fold.

    A raced-out configuration stopped after the folds it ran: its runs are real and stay in
    runs.csv, but the one-SE rule, stability, the baseline comparison, claims and diagnose
    pair configurations over every cell, so they use only these rows.

    Args:
        frame: A table with a config column.
        raced: Ids of the raced-out configurations (raced_ids, or the sweep's own record).
    """
    if not raced:
        return frame
    return frame[~frame["config"].astype(str).isin(set(raced))].reset_index(drop=True)
