"""How stable the recommendation is: the paired one-SE rule on bootstrap resamples of the cells."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from lstmsizer.errors import check, check_int
from lstmsizer.onese import one_se_rule, rmse_matrix

STABLE_SHARE = 0.5
"""A recommendation chosen in fewer resamples than this cannot be told apart from others."""


@dataclass(frozen=True)
class Stability:
    """Shares of bootstrap resamples of the (seed, fold) cells that recommend each configuration.

    Attributes:
        resamples: Resamples drawn.
        seed: Seed of numpy.random.default_rng.
        cells: Cells resampled: those where every configuration has a finite RMSE (0: none,
            and then every share is NaN).
        shares: Configuration id -> share of resamples that recommend it.
        chosen: The configuration whose share is reported.
        chosen_share: Its share.
        runner_up: The other configuration with the highest share; None if no other got any.
        runner_up_share: Its share (0 when None).
    """

    resamples: int
    seed: int
    cells: int
    shares: dict[str, float]
    chosen: str
    chosen_share: float
    runner_up: str | None
    runner_up_share: float

    @property
    def stable(self) -> bool:
        """True when the chosen configuration's share is at least STABLE_SHARE."""
        return self.chosen_share >= STABLE_SHARE

    def to_dict(self) -> dict[str, Any]:
        """Plain values (NaN shares stay NaN)."""
        return asdict(self)


def bootstrap(
    runs: pd.DataFrame, chosen: str | None = None, *, resamples: int = 1000, seed: int = 0
) -> Stability:
    """Resample the (seed, fold) cells with replacement and apply the paired one-SE rule to each.

    Only cells where every configuration has a finite RMSE are resampled; configurations
    whose runs all failed are left out. All resamples go through onese.one_se_rule at once.

    Args:
        runs: One row per run with config, seed, fold, rmse and parameters.
        chosen: The configuration whose share to report; None: the rule's choice on every
            run, as recommend.recommend makes it.
        resamples: Number of resamples, >= 1.
        seed: Seed for numpy.random.default_rng (any integer; taken modulo 2**64).

    Returns:
        The Stability.

    Raises:
        OptionError: resamples or seed is not a valid integer, or chosen is not in runs.
        DataError: runs lacks a column, repeats a cell, or every run failed.
    """
    check_int("resamples", resamples)
    check(isinstance(seed, int) and not isinstance(seed, bool), "seed", "must be an integer", seed)
    matrix = rmse_matrix(runs)
    configs = matrix.configs
    rmse = matrix.complete()
    cells = rmse.shape[1]
    if chosen is None:
        chosen = configs[int(one_se_rule(matrix.rmse, matrix.parameters).recommended)]
    check(chosen in configs, "chosen", "must be a configuration with a successful run", chosen)
    if not cells:
        shares = dict.fromkeys(configs, math.nan)
        return Stability(resamples, seed, 0, shares, chosen, math.nan, None, math.nan)
    rng = np.random.default_rng(seed % 2**64)  # a sweep's seed may be negative
    draws = rng.integers(0, cells, size=(resamples, cells))
    batch = np.moveaxis(rmse[:, draws], 1, 0)  # (C, R, K) -> (R, C, K)
    picked = one_se_rule(batch, matrix.parameters).recommended
    counts = np.bincount(picked, minlength=len(configs)) / resamples
    shares = {c: float(s) for c, s in zip(configs, counts, strict=True)}
    others = [(s, c) for c, s in shares.items() if c != chosen and s > 0]
    runner_up = min(others, key=lambda sc: (-sc[0], sc[1]))[1] if others else None
    return Stability(
        resamples=resamples,
        seed=seed,
        cells=cells,
        shares=shares,
        chosen=chosen,
        chosen_share=shares[chosen],
        runner_up=runner_up,
        runner_up_share=shares[runner_up] if runner_up is not None else 0.0,
    )
