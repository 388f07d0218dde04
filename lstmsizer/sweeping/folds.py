"""Train one configuration fold by fold: the rate chosen on fold 0, each fold kept once done."""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lstmsizer.datasets import Dataset
from lstmsizer.history import History
from lstmsizer.holdout import ThinDataWarning
from lstmsizer.panel import Panel
from lstmsizer.splits import Split
from lstmsizer.sweeping.plan import Configuration, SweepSpec
from lstmsizer.sweeping.runs import Run, candidate_rates, later_folds, runs_at_best_rate

RunCallback = Callable[[int, dict[str, object]], None]
"""Called after each run with (run index, row); may raise optuna.TrialPruned."""


@dataclass
class Trained:
    """What training one configuration produced besides its result rows.

    Attributes:
        rows: One result row per (seed, fold) run.
        lr: The learning rate every run used.
        lr_search: One row per candidate rate tried (empty when the rate was given).
        curve: Per-epoch losses and rates of the first seed's run on the last fold.
        resumed: Folds taken from an interrupted trial instead of trained again.
    """

    rows: list[dict[str, object]] = field(default_factory=list)
    lr: float = math.nan
    lr_search: list[dict[str, object]] = field(default_factory=list)
    curve: dict[str, list[float]] = field(default_factory=dict)
    resumed: list[int] = field(default_factory=list)


@dataclass
class FoldRuns:
    """One fold's finished runs, stored as soon as the fold ends so that an interrupted trial
    keeps them: a fold's seeds (and rates) train together, so the fold is the unit of work.

    Attributes:
        rows: One result row per seed, in seed order, at the fold's rate.
        lr: The rate of the rows: on the first fold the one chosen under --lr auto.
        lr_search: First fold only: one row per candidate rate (empty when the rate was given).
        curve: Last fold only: per-epoch losses and rates of the first seed's run.
    """

    rows: list[dict[str, object]]
    lr: float
    lr_search: list[dict[str, object]] = field(default_factory=list)
    curve: dict[str, list[float]] = field(default_factory=dict)

    @classmethod
    def of(
        cls, runs: list[Run], lr: float, lr_search: list[dict[str, object]], *, last: bool
    ) -> FoldRuns:
        """The record of a fold's runs at its rate; the last fold keeps a curve."""
        history = next((model.history_ for _, model in runs if model.history_ is not None), None)
        curve = curve_of(history) if last and history is not None else {}
        return cls([row for row, _ in runs], lr, lr_search, curve)

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready values, as stored in a trial's user attributes."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FoldRuns:
        """The record to_dict wrote."""
        return cls(
            rows=[dict(r) for r in data["rows"]],
            lr=float(data["lr"]),
            lr_search=[dict(r) for r in data.get("lr_search", [])],
            curve={k: list(v) for k, v in data.get("curve", {}).items()},
        )


def curve_of(history: History) -> dict[str, list[float]]:
    """Per-epoch losses and learning rates of one run, for the report's curves."""
    return {"train_loss": history.train_loss, "val_loss": history.val_loss, "lr": history.lr}


def train_configuration(
    config: Configuration,
    spec: SweepSpec,
    dataset: Dataset | Panel,
    folds: Sequence[Split],
    callback: RunCallback | None = None,
    done: Mapping[int, FoldRuns] | None = None,
    on_fold: Callable[[int, FoldRuns], None] | None = None,
    stop: Callable[[int, list[dict[str, object]]], bool] | None = None,
) -> Trained:
    """Every seed on every fold of one configuration, its learning rate chosen on the first.

    Under --lr auto the first fold trains every seed at every rate of LR_CANDIDATES with the
    full protocol; the rate with the lowest mean loss on the early-stopping blocks (never on
    the validation block) is the configuration's rate, and its runs are the first fold's
    runs. The other folds train at that rate, where batching pays together as one network
    of seeds x folds (runs.later_folds), each still stored on its own. Warnings about thin
    data are said once by the sweep, not by every run.

    Args:
        done: Folds an interrupted trial of the same configuration finished; the leading
            ones (0, 1, ...) are taken as they are, rate included, and only the rest train.
            Runs are seeded, so the result equals one uninterrupted training.
        on_fold: Called with each fold trained here as soon as it ends, to store it.
        stop: Asked with the fold just finished and every row so far, never after the
            last fold nor before folds already trained together with it; True ends
            training there (racing) and returns the rows so far.
    """
    out = Trained()
    rates = candidate_rates(config, spec)
    ahead: dict[int, list[Run]] | None = None  # the later folds' runs, where trained as one
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ThinDataWarning)
        for fold, split in enumerate(folds):
            part = (done or {}).get(fold) if len(out.resumed) == fold else None
            if part is None:
                tried = rates if fold == 0 else (out.lr,)
                if fold > 0 and ahead is None:
                    ahead = later_folds(config, spec, dataset, folds, out.lr)
                runs = (ahead or {}).get(fold)
                found = (
                    runs_at_best_rate(config, spec, dataset, split, fold, tried)
                    if runs is None
                    else (runs, out.lr, [])
                )
                part = FoldRuns.of(*found, last=fold == len(folds) - 1)
                if on_fold is not None:
                    on_fold(fold, part)
            else:
                out.resumed.append(fold)
            if fold == 0:
                out.lr, out.lr_search = part.lr, part.lr_search
            out.curve = part.curve or out.curve
            for row in part.rows:
                out.rows.append(row)
                if callback is not None:
                    callback(len(out.rows) - 1, row)
            ready = ahead is not None and fold + 1 in ahead  # trained already: nothing to save
            if stop is not None and fold < len(folds) - 1 and not ready and stop(fold, out.rows):
                break
    return out
