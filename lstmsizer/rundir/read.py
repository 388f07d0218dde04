"""Read a sweep's run folder, with what diagnose, speed and claims added to it: the one reader."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from lstmsizer.errors import DataError
from lstmsizer.rundir.files import (
    BASELINES_FILE,
    CLAIMS_FILE,
    CURVES_FILE,
    DIAGNOSTICS_FILE,
    FORECASTS_FILE,
    LINKED,
    LR_SEARCH_FILE,
    RECOMMENDATION_FILE,
    REQUIRED,
    RUNS_FILE,
    SERIES_FILE,
    SPEED_FILE,
    SUMMARY_FILE,
    TEST_FILE,
    VERSION_KEY,
)
from lstmsizer.rundir.measurements import (
    CapacityResult,
    Claim,
    DepthPair,
    Saliency,
    SpeedResult,
    read_capacity,
    read_claims,
    read_deep_wide,
    read_gradients,
    read_speed,
)
from lstmsizer.rundir.sweep import (
    BaselineRun,
    Recommendation,
    SummaryRow,
    raced_ids,
    ran_every_fold,
)
from lstmsizer.rundir.tables import (
    Cells,
    Curve,
    Forecasts,
    Series,
    read_cells,
    read_curves,
    read_forecasts,
    read_series,
)
from lstmsizer.rundir.upgrade import upgrade

_READ_ERRORS = (OSError, ValueError, KeyError, TypeError, IndexError, pd.errors.ParserError)


@dataclass(frozen=True, eq=False)
class RunFolder:
    """A run folder's contents; None marks an optional file it does not have (or that could
    not be read: problems says which).

    Attributes:
        path: The run folder.
        version: The layout version it was written at (1 when not recorded); the contents
            are upgraded to the current version.
        recommendation: recommendation.json's recommendation.
        info: recommendation.json's data, spec, study, storage, environment and seconds.
        summary: summary.csv as a table; configs: its rows as records, in file order.
        runs: runs.csv, one row per trained model.
        baselines: baselines.csv, one row per baseline per fold (empty without the file).
        test: test.csv, the final test share's scores.
        series, forecasts, curves: series.csv, forecasts.csv, curves.csv.
        lr_search: lr_search.csv, every learning rate tried per configuration.
        cells: runs.csv's validation RMSE per configuration and (seed, fold), for paired
            differences, of the configurations that ran every fold (rundir.sweep.
            ran_every_fold); None when runs.csv names no distinct cells.
        capacity, gradients, deep_wide: diagnostics.json.
        speed, claims: speed.json and claims.json.
        problems: One sentence per optional file that was there but could not be read.
        files: The run folder's data files, in the order a report links them.
    """

    path: Path
    version: int
    recommendation: Recommendation
    info: dict[str, Any]
    summary: pd.DataFrame
    configs: tuple[SummaryRow, ...]
    runs: pd.DataFrame | None = None
    baselines: tuple[BaselineRun, ...] = ()
    test: pd.DataFrame | None = None
    series: Series | None = None
    forecasts: Forecasts | None = None
    curves: tuple[Curve, ...] | None = None
    lr_search: pd.DataFrame | None = None
    cells: Cells | None = None
    capacity: tuple[CapacityResult, ...] | None = None
    gradients: tuple[Saliency, ...] | None = None
    deep_wide: tuple[DepthPair, ...] | None = None
    speed: SpeedResult | None = None
    claims: tuple[Claim, ...] | None = None
    problems: tuple[str, ...] = ()
    files: tuple[str, ...] = ()

    @property
    def raced(self) -> frozenset[str]:
        """Ids of the configurations raced out: their runs cover fewer folds."""
        return raced_ids(self.summary)

    @property
    def compared(self) -> tuple[SummaryRow, ...]:
        """The configurations that ran every fold, in file order: what comparisons use."""
        raced = self.raced
        return tuple(c for c in self.configs if c.config not in raced)

    @property
    def trained(self) -> int:
        """Models the sweep trained: rows of runs.csv, else the summary's run counts."""
        return len(self.runs) if self.runs is not None else sum(c.runs for c in self.configs)


def read_run(run_dir: str | os.PathLike[str]) -> RunFolder:
    """Read a run folder; optional files that are missing or unreadable become None.

    Args:
        run_dir: Folder written by lstmsizer.sweep: summary.csv and recommendation.json at
            least, and the other files of rundir.files when present.

    Raises:
        DataError: run_dir is not a folder, lacks a required file, or one is unreadable.
    """
    path = Path(run_dir)
    version, payload, summary = upgrade(*_required(path))
    optional = _Optional(path)
    runs = optional(RUNS_FILE, pd.read_csv)
    diagnostics = optional(DIAGNOSTICS_FILE, _load_json)
    configs = _records(SummaryRow.from_dict, summary.to_dict("records"), SUMMARY_FILE)
    found = RunFolder(
        path=path,
        version=version,
        recommendation=_recommendation(payload),
        info={k: v for k, v in payload.items() if k not in ("recommendation", "test", VERSION_KEY)},
        summary=summary,
        configs=configs,
        runs=runs,
        baselines=optional(BASELINES_FILE, _baseline_runs) or (),
        test=optional(TEST_FILE, pd.read_csv),
        series=optional(SERIES_FILE, read_series),
        forecasts=optional(FORECASTS_FILE, read_forecasts),
        curves=optional(CURVES_FILE, lambda f: read_curves(pd.read_csv(f))),
        lr_search=optional(LR_SEARCH_FILE, pd.read_csv),
        cells=None if runs is None else optional(RUNS_FILE, _cells, runs, raced_ids(summary)),
        capacity=optional(DIAGNOSTICS_FILE, read_capacity, diagnostics),
        gradients=optional(DIAGNOSTICS_FILE, read_gradients, diagnostics),
        deep_wide=optional(DIAGNOSTICS_FILE, read_deep_wide, diagnostics),
        speed=optional(SPEED_FILE, read_speed, optional(SPEED_FILE, _load_json)),
        claims=optional(CLAIMS_FILE, read_claims, optional(CLAIMS_FILE, _load_json)),
        files=tuple(name for name in LINKED if (path / name).is_file()),
    )
    return replace(found, problems=tuple(optional.problems))


@dataclass
class _Optional:
    """Reads optional files of one folder, noting each that is there but unreadable."""

    path: Path
    problems: list[str] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)

    def __call__(self, name: str, read: Callable[..., Any], *args: Any) -> Any:
        file = self.path / name
        if not file.is_file():
            return None
        try:
            return read(*args) if args else read(file)
        except pd.errors.EmptyDataError:
            return None  # an empty file: nothing to show, said as for a missing one
        except (*_READ_ERRORS, DataError) as error:
            if name not in self.failed:  # one sentence per file, however many parts fail
                self.failed.add(name)
                self.problems.append(f"{name} could not be read ({error}); that part is left out.")
            return None


def _cells(runs: pd.DataFrame, raced: frozenset[str]) -> Cells | None:
    return read_cells(ran_every_fold(runs, raced))


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise DataError(f"{path.name} must be valid JSON: {error}") from None


def _required(path: Path) -> tuple[dict[str, Any], pd.DataFrame]:
    # recommendation.json and summary.csv, or the error saying why the folder is no run folder
    if not path.is_dir():
        raise DataError(f"run_dir must be a sweep run folder, got {str(path)!r}, not a folder")
    missing = [name for name in REQUIRED if not (path / name).is_file()]
    if missing:
        raise DataError(
            f"run_dir must hold {' and '.join(missing)} (written by lstmsizer sweep), "
            f"got {str(path)!r} without them"
        )
    payload = _load_json(path / RECOMMENDATION_FILE)
    if not isinstance(payload, dict):
        raise DataError(f"{RECOMMENDATION_FILE} must hold a JSON object, got {payload!r:.60}")
    try:
        return payload, pd.read_csv(path / SUMMARY_FILE)
    except _READ_ERRORS as error:
        raise DataError(f"{SUMMARY_FILE} must be a CSV table: {error}") from None


def _recommendation(payload: dict[str, Any]) -> Recommendation:
    rec = payload.get("recommendation")
    if not isinstance(rec, dict):
        raise DataError(f"{RECOMMENDATION_FILE} must have a recommendation object, got {rec!r:.60}")
    return Recommendation.from_dict(rec)


def _records(read: Callable[[Any], Any], rows: Sequence[Any], name: str) -> tuple[Any, ...]:
    try:
        return tuple(read(row) for row in rows)
    except (TypeError, ValueError) as error:
        raise DataError(f"{name} must hold the values a sweep writes: {error}") from None


def _baseline_runs(path: Path) -> tuple[BaselineRun, ...]:
    return _records(BaselineRun.from_dict, pd.read_csv(path).to_dict("records"), path.name)
