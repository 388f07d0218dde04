"""Paired comparisons: the one-SE rule over (seed, fold) cells, the baseline check per fold."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lstmsizer.errors import DataError

CELL = ("seed", "fold")
"""The columns naming a cell: every configuration is trained on the same (seed, fold) cells."""


@dataclass(frozen=True)
class RmseMatrix:
    """Validation RMSE of each configuration on each (seed, fold) cell.

    Attributes:
        configs: Configuration ids, sorted; a lower index wins a final tie.
        parameters: (C,) parameter count of each configuration.
        rmse: (C, N) RMSE, NaN where a run failed or is missing.
    """

    configs: tuple[str, ...]
    parameters: np.ndarray
    rmse: np.ndarray

    def complete(self) -> np.ndarray:
        """(C, K) RMSE on the K cells where every configuration has a finite RMSE."""
        return self.rmse[:, np.isfinite(self.rmse).all(axis=0)]


@dataclass(frozen=True)
class PairedRule:
    """The rule's result on one RMSE matrix, or on a batch of them (leading axes ...).

    Attributes:
        best: (...) index of the lowest mean RMSE (ties: fewer parameters, then index).
        recommended: (...) index of the fewest parameters within one paired SE of the best
            (ties: lower mean RMSE, then index).
        mean: (..., C) mean RMSE over each configuration's finite cells (inf for none).
        diff: (..., C) mean of rmse_c - rmse_best over the cells both have.
        se: (..., C) std(ddof=1) / sqrt(n) of those differences; 0 for the best itself,
            NaN when fewer than two cells pair.
        within: (..., C) diff <= se.
    """

    best: np.ndarray
    recommended: np.ndarray
    mean: np.ndarray
    diff: np.ndarray
    se: np.ndarray
    within: np.ndarray


def rmse_matrix(runs: pd.DataFrame) -> RmseMatrix:
    """Pivot runs to configurations x (seed, fold) cells, leaving out configs that only failed.

    Args:
        runs: One row per run with config, seed, fold, rmse and parameters; a NaN or
            infinite rmse is a failed run.

    Returns:
        The RmseMatrix, configurations sorted by id.

    Raises:
        DataError: A column is missing, a (config, seed, fold) appears twice, or every run failed.
    """
    missing = [c for c in ("config", *CELL, "rmse", "parameters") if c not in runs.columns]
    if missing:
        raise DataError(f"runs must have the columns {', '.join(missing)}, which are missing")
    keys = runs[["config", *CELL]]
    twice = keys[keys.duplicated()]
    if len(twice):
        first = twice.iloc[0]
        raise DataError(
            f"runs must have one row per config, seed and fold, got {len(twice) + 1} or more "
            f"for config {first['config']}, seed {first['seed']}, fold {first['fold']}"
        )
    frame = runs.assign(config=runs["config"].astype(str), rmse=finite(runs["rmse"]))
    table = frame.pivot(index="config", columns=list(CELL), values="rmse").sort_index()
    table = table[table.notna().any(axis=1)]
    if table.empty:
        n = frame["config"].nunique()
        got = f"{n} whose runs all failed (NaN RMSE)" if n else "none"
        raise DataError(
            f"runs must have at least one configuration with a successful run, got {got}"
        )
    parameters = frame.groupby("config")["parameters"].first().reindex(table.index)
    return RmseMatrix(
        configs=tuple(table.index),
        parameters=parameters.to_numpy(dtype=float),
        rmse=table.to_numpy(dtype=float),
    )


def one_se_rule(rmse: np.ndarray, parameters: np.ndarray) -> PairedRule:
    """Apply the paired one-standard-error rule to an RMSE matrix or a batch of them.

    The best configuration has the lowest mean RMSE (ties: fewer parameters, then lower
    index). Each configuration c is compared with it over the cells where both have a finite
    RMSE: d = rmse_c - rmse_best, diff = mean(d), se = std(d, ddof=1) / sqrt(n). c is within
    one standard error when diff <= se; the recommendation is the configuration within with
    the fewest parameters (ties: lower mean RMSE, then lower index).

    Args:
        rmse: (..., C, N) RMSE of C configurations on N shared cells, NaN for a failed run.
            Order the configurations by id: the index breaks the last tie.
        parameters: (C,) parameter counts.

    Returns:
        The PairedRule, with the leading axes of rmse.
    """
    rmse = np.asarray(rmse, dtype=float)
    ok = np.isfinite(rmse)
    count = ok.sum(axis=-1)
    total = np.where(ok, rmse, 0.0).sum(axis=-1)
    mean = np.where(count > 0, total / np.maximum(count, 1), np.inf)
    index = np.broadcast_to(np.arange(rmse.shape[-2]), mean.shape)
    params = np.broadcast_to(np.asarray(parameters, dtype=float), mean.shape)
    best = np.lexsort((index, params, mean), axis=-1)[..., 0]
    d = rmse - np.take_along_axis(rmse, best[..., None, None], axis=-2)
    diff, se, _ = paired_stats(d)
    is_best = index == best[..., None]
    diff, se = np.where(is_best, 0.0, diff), np.where(is_best, 0.0, se)
    within = (diff <= se) | is_best
    candidates = np.where(within, params, np.inf)
    recommended = np.lexsort((index, mean, candidates), axis=-1)[..., 0]
    return PairedRule(best, recommended, mean, diff, se, within)


def paired_stats(d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, standard error and count of paired differences over the last axis of d.

    NaN differences (a failed or missing run) are left out; the SE is std(ddof=1) / sqrt(n),
    NaN when fewer than two differences remain, and the mean is NaN when none does.
    """
    pair = np.isfinite(d)
    n = pair.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = np.where(pair, d, 0.0).sum(axis=-1) / n
        squares = np.where(pair, (d - diff[..., None]) ** 2, 0.0).sum(axis=-1)
        se = np.sqrt(squares / (n - 1) / n)
    return diff, np.where(n < 2, np.nan, se), n


def add_paired_columns(summary: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """The summary with the paired rule's columns paired_diff, paired_se and within_one_se.

    Args:
        summary: One row per configuration with a config column (recommend.summarize).
        runs: The runs it summarises: config, seed, fold, rmse, parameters.

    Returns:
        A copy of summary; configurations whose runs all failed get NaN, NaN and False.
    """
    matrix = rmse_matrix(runs)
    rule = one_se_rule(matrix.rmse, matrix.parameters)
    keys = summary["config"].astype(str)
    out = summary.copy()
    out["paired_diff"] = keys.map(dict(zip(matrix.configs, rule.diff.tolist(), strict=True)))
    out["paired_se"] = keys.map(dict(zip(matrix.configs, rule.se.tolist(), strict=True)))
    within = dict(zip(matrix.configs, rule.within.tolist(), strict=True))
    out["within_one_se"] = keys.map(within).fillna(False).astype(bool)
    return out


@dataclass(frozen=True)
class FoldPairing:
    """The best baseline's RMSE minus the recommendation's, paired per fold.

    Attributes:
        diff: Mean over folds of baseline_f - lstm_f, lstm_f the mean over seeds; NaN for none.
        se: std(ddof=1) / sqrt(n) of those differences; 0 for one fold, NaN for none.
        folds: Folds both have a finite RMSE on.
    """

    diff: float
    se: float
    folds: int

    @property
    def lstm_needed(self) -> bool:
        """True when the baseline is worse by more than one standard error."""
        return self.diff > self.se


def pair_folds(
    runs: pd.DataFrame, baseline_runs: pd.DataFrame, config: str, model: str
) -> FoldPairing:
    """Compare one configuration with one baseline fold by fold.

    Args:
        runs: One row per run with config, fold and rmse.
        baseline_runs: One row per baseline per fold with model, fold and rmse.
        config: The configuration, averaged over its successful seeds in each fold.
        model: The baseline.

    Returns:
        The FoldPairing over the folds where both have a finite RMSE.
    """
    ours = runs[runs["config"].astype(str) == config]
    theirs = baseline_runs[baseline_runs["model"].astype(str) == model]
    lstm = finite(ours["rmse"]).groupby(ours["fold"]).mean()
    base = finite(theirs["rmse"]).groupby(theirs["fold"]).mean()
    e = (base - lstm).dropna().to_numpy(dtype=float)
    if not e.size:
        return FoldPairing(math.nan, math.nan, 0)
    se = float(np.std(e, ddof=1) / math.sqrt(e.size)) if e.size > 1 else 0.0
    return FoldPairing(float(e.mean()), se, int(e.size))


def finite(values: pd.Series) -> pd.Series:
    """The values as floats, NaN where they are missing, non-numeric or infinite."""
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    return numbers.where(np.isfinite(numbers))
