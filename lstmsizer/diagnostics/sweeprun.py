"""The sweep a run folder records, rebuilt to retrain its sizes: settings, data set, sizes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lstmsizer.datasets import Dataset, get, load, resolve
from lstmsizer.diagnostics.panelrun import ReadOptions, panel_last_fold, panel_of_run
from lstmsizer.errors import DataError, OptionError, check_int
from lstmsizer.panel import Panel
from lstmsizer.panelsplits import PanelSplit
from lstmsizer.rundir import RunFolder, read_run
from lstmsizer.rundir.files import MODEL_FILE, RECOMMENDATION_FILE, RUNS_FILE
from lstmsizer.rundir.sweep import ran_every_fold
from lstmsizer.splits import Scaler, Split

if TYPE_CHECKING:
    from lstmsizer.sweeping.plan import Configuration, SweepSpec


@dataclass(frozen=True, eq=False)
class SweepRun:
    """A finished sweep, as diagnose retrains it.

    Attributes:
        folder: The run folder as read (rundir.read_run).
        spec: The SweepSpec rebuilt from recommendation.json's spec.
        runs: runs.csv, one row per trained model, of the configurations that ran every
            fold (raced-out ones are left out, as by every comparison).
    """

    folder: RunFolder
    spec: SweepSpec
    runs: pd.DataFrame

    @property
    def path(self) -> Path:
        """The run folder."""
        return self.folder.path

    @property
    def info(self) -> dict[str, Any]:
        """recommendation.json's data, spec, study, environment, ..."""
        return self.folder.info

    @property
    def summary(self) -> pd.DataFrame:
        """summary.csv, one row per configuration that ran every fold."""
        return ran_every_fold(self.folder.summary, self.folder.raced)

    @property
    def recommended(self) -> str:
        """The recommended configuration's id."""
        return self.folder.recommendation.config

    @property
    def is_panel(self) -> bool:
        """Whether the sweep ran on a panel (recommendation.json has data.panel)."""
        return "panel" in (self.info.get("data") or {})

    @property
    def last_fold(self) -> Split:
        """The last rolling-origin fold of a one-series sweep (a panel's: last_split)."""
        if self.is_panel:
            raise OptionError(
                f"last_fold is one series' fold, got the panel run {str(self.path)!r}: "
                "use last_split(run, panel)"
            )
        fold, window = self.info["data"]["folds"][-1], self.spec.window
        return Split(int(fold["n"]), int(fold["train_end"]), window.lags, window.horizon)


def last_split(run: SweepRun, dataset: Dataset | Panel) -> Split | PanelSplit:
    """The sweep's last fold: run.last_fold, or for a panel its folds cut again over it."""
    if isinstance(dataset, Panel):
        return panel_last_fold(run, dataset)
    return run.last_fold


def sweep_run(run_dir: str | os.PathLike[str]) -> SweepRun:
    """Read a sweep's run folder and rebuild the settings it ran with.

    Raises:
        DataError: When it is no run folder, runs.csv is missing or unreadable, or
            recommendation.json lacks spec or data.folds.
    """
    from lstmsizer.sweeping.plan import SweepSpec

    folder = read_run(run_dir)
    if folder.runs is None:
        raise DataError(
            f"run_dir {str(folder.path)!r} must be a sweep run folder with a readable "
            f"{RUNS_FILE}, got {' '.join(folder.problems) or 'none'}"
        )
    info = folder.info
    if "spec" not in info or "folds" not in (info.get("data") or {}):
        raise DataError(
            f"{folder.path / RECOMMENDATION_FILE} must have spec and data.folds, "
            f"got keys {sorted(info)}"
        )
    spec = SweepSpec.from_dict(info["spec"])
    return SweepRun(folder, spec, ran_every_fold(folder.runs, folder.raced))


def run_dataset(
    run: SweepRun, data: Any = None, read: ReadOptions | None = None
) -> Dataset | Panel:
    """The series (or panel) a sweep ran on: ``data`` when given, else re-created from the run.

    Embedded data sets are read again by name; a synthetic one is drawn with the run's length
    and the generator's default seed (0) and parameters, which is what the CLI uses; a file is
    read again from its path when it has one numeric column, or as ``read`` says. Any other
    source needs ``data``. The result is checked against the run: same length and, when
    model.pt exists, the same scaler as the recommended model's (fitted on the values before
    the last fold's end). A panel run gives its Panel (panelrun.panel_of_run), checked for the
    same values, series ids, folds and per-series scaler.

    Args:
        run: The run folder.
        data: Anything datasets.resolve takes (a Dataset, Panel, array, Series, DataFrame or
            path).
        read: How a file (the run's, or data as a path) is read: the data options the sweep
            read it with, such as a panel's id column, wide layout and time column.

    Raises:
        DataError: When the data cannot be re-created or do not match the run.
    """
    read = read or ReadOptions()
    if run.is_panel:
        return panel_of_run(run, data, read)
    meta = run.info["data"]
    name, source = str(meta.get("name")), str(meta.get("source"))
    hint = "pass the data set the sweep ran on (data=...)"
    if data is not None:
        dataset = resolve(data, **read.given())
    elif source == "embedded":
        dataset = get(name)
    elif source == "synthetic":
        dataset = get(name, n=int(meta["length"]))
    elif source not in ("array", "None") and Path(source).is_file():
        try:
            dataset = resolve(source, **read.given()) if read.given() else load(source)
        except (DataError, OptionError) as exc:
            raise DataError(f"cannot re-read {source!r} ({exc}): {hint}") from None
    else:
        raise DataError(
            f"the data of {str(run.path)!r} (source {source!r}) cannot be re-read: {hint}"
        )
    if isinstance(dataset, Panel):
        raise DataError(f"data must be the one series the sweep ran on, got a panel: {hint}")
    _check_matches(run, dataset, hint)
    return dataset


def _check_matches(run: SweepRun, dataset: Dataset, hint: str) -> None:
    length = int(run.info["data"]["length"])
    if len(dataset) != length:
        raise DataError(
            f"data must have the {length} values the sweep ran on, got {len(dataset)}: {hint}"
        )
    model_file = run.path / MODEL_FILE
    if not model_file.is_file():
        return
    from lstmsizer.forecaster import LSTMForecaster

    saved = LSTMForecaster.load(model_file, device="cpu").scaler_
    if saved is None:
        return
    scaler = Scaler.fit(dataset.inputs[: run.last_fold.train_end], run.spec.split.scaling)
    same = isinstance(saved, Scaler) and scaler.n_columns == saved.n_columns
    same = same and np.allclose(
        [scaler.offset_, scaler.scale_], [saved.offset_, saved.scale_], rtol=1e-9, atol=0
    )
    if not same:
        raise DataError(
            f"data differ from the series the sweep in {str(run.path)!r} ran on (its model's "
            f"scaler does not match): {hint}"
        )


def select_sizes(summary: pd.DataFrame, recommended: str, sizes: int) -> list[str]:
    """The recommended configuration and a spread of others: smallest, largest, between.

    Configurations of the recommended one's cell and depth are preferred, so the spread is a
    spread of widths; when there are fewer than ``sizes`` of them every configuration counts.
    After the recommended, smallest and largest ones, each next pick is the configuration
    farthest (in rank by parameters) from those already picked.

    Returns:
        Up to ``sizes`` configuration ids, by increasing parameters.
    """
    check_int("sizes", sizes)
    ok = summary[np.isfinite(summary["mean_rmse"].to_numpy(dtype=float))]
    ok = ok.sort_values(["parameters", "config"], ignore_index=True)
    if recommended not in set(ok["config"]):
        raise DataError(f"summary must list the recommended configuration {recommended!r}")
    rec = ok[ok["config"] == recommended].iloc[0]
    family = ok[(ok["cell"] == rec["cell"]) & (ok["layers"] == rec["layers"])]
    pool = list((family if len(family) >= sizes else ok)["config"])
    picks = list(dict.fromkeys([pool.index(recommended), 0, len(pool) - 1]))
    while len(picks) < min(sizes, len(pool)):
        rest = [i for i in range(len(pool)) if i not in picks]
        picks.append(max(rest, key=lambda i: (min(abs(i - p) for p in picks), -i)))
    order = list(ok["config"])
    return sorted((pool[i] for i in picks[:sizes]), key=order.index)


def configuration(run: SweepRun, config_id: str) -> Configuration:
    """The Configuration a sweep trained under config_id, with its searched settings."""
    from lstmsizer.sweeping.plan import Configuration

    rows = run.summary[run.summary["config"] == config_id]
    if rows.empty:
        raise DataError(f"summary must list the configuration {config_id!r}")
    row, spec = rows.iloc[0], run.spec
    base: dict[str, Any] = {
        "cell": str(row["cell"]),
        "units": int(row["units"]),
        "layers": int(row["layers"]),
        "activation": str(row.get("activation", spec.model.activation)),
        "dropout": spec.model.dropout,
        "init": spec.model.init,
        "id_embedding": spec.model.id_embedding,
    }
    trained = run.runs[run.runs["config"] == config_id]
    if "lr" in trained and not trained.empty:  # the rate its runs used, chosen or searched
        base["lr"] = float(trained.iloc[0]["lr"])
    if spec.search != "grid" and not trained.empty:
        first = trained.iloc[0]
        base.update(
            dropout=float(first["dropout"]),
            origin="search",
            lr=float(first["lr"]),
            batch_size=int(first["batch_size"]),
        )
    return Configuration.from_dict(base)
