"""Run every claim experiment in turn, with a progress bar over the claims."""

from __future__ import annotations

import contextlib
import dataclasses
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from lstmsizer.baselines import BaselineFactory, check_factory
from lstmsizer.claims import comparisons as cmp
from lstmsizer.claims import experiments as ex
from lstmsizer.claims.result import FULL, QUICK, Claim, ClaimsResult, Settings
from lstmsizer.config import WindowSpec
from lstmsizer.datasets import Dataset, resolve
from lstmsizer.environment import environment
from lstmsizer.errors import check_int
from lstmsizer.progress import progress_bar
from lstmsizer.splits import rolling_origin_folds, train_val_split

EXPERIMENTS: tuple[tuple[str, Callable[[ex.Context], Claim]], ...] = (
    (ex.MEMORY, ex.more_units_for_longer_windows),
    (ex.SPEED, ex.multiples_of_32_are_faster),
    (ex.GRADIENTS, ex.wide_layers_make_gradients_vanish),
    (ex.DEPTH, cmp.stacking_beats_width),
    (ex.LINEAR_UNIT, cmp.one_unit_is_linear),
    (ex.LINEAR_SERIES, cmp.linear_series_needs_no_lstm),
)


def run_claims(
    dataset: Any = None,
    *,
    lags: int = 12,
    seed: int = 0,
    quick: bool = True,
    progress: bool | None = False,
    workdir: str | Path | None = None,
    settings: Settings | None = None,
    baselines: BaselineFactory | None = None,
) -> ClaimsResult:
    """Check the forum claims about LSTM sizes with small experiments, on this data and machine.

    Six claims, one experiment each (see lstmsizer.claims.experiments): more units for longer
    windows (the delay task), multiples of 32 are faster (step time per FLOP), wide layers make
    gradients vanish (input saliency across the lags), 3 x 128 beats 1 x 512 (a scaled-down
    stack against one layer of equal budget), one unit is a linear regressor (LSTM(1) against
    linear AR) and a linear series needs no LSTM (a sweep on the ``ar`` generator). Every
    training follows the sweep's protocol. Each figure comes with a confidence interval, and
    each claim returns "supported", "not supported" or "cannot tell" (the interval straddles
    the threshold the claim needs) by the rules of claims.rules.

    Args:
        dataset: A Dataset or anything datasets.resolve takes; None is the sunspots data.
        lags: Window length of the experiments on the data and of the speed measurement.
        seed: Seed of every training and every synthetic series.
        quick: QUICK settings (a few minutes) or FULL ones (the claims at their own sizes).
        progress: Progress bar over the claims on stderr; None shows it on a terminal.
        workdir: Folder for the run folders of the two small sweeps; None uses a temporary
            one. Re-running with the same folder and settings resumes those sweeps.
        settings: Experiment sizes that replace the QUICK or FULL preset.
        baselines: Factory of the baselines the two small sweeps score, as for
            lstmsizer.sweep; None is default_baselines.

    Returns:
        The ClaimsResult; ``to_dict()`` is what claims.json holds.

    Raises:
        DataError: The data are too short for the lags and the folds.
        OptionError: An argument is out of range.
    """
    chosen = settings or (QUICK if quick else FULL)
    data = _checked_data(dataset, lags, seed, chosen)
    start = time.perf_counter()
    with _folder(workdir) as folder:
        ctx = ex.Context(data, lags, seed, chosen, folder, baselines)
        check_factory(baselines, lags, ctx.spec().window.horizon)  # as the sweeps will, now
        claims = _run_experiments(ctx, progress)
    return ClaimsResult(
        dataset=data.name,
        lags=lags,
        seed=seed,
        quick=chosen == QUICK,
        claims=tuple(claims),
        seconds=time.perf_counter() - start,
        environment=environment(),
        settings=chosen,
    )


def _checked_data(dataset: Any, lags: int, seed: int, settings: Settings) -> Dataset:
    """The data, once the options and its length suit every experiment: a mistake fails here,
    before a minute of work."""
    check_int("lags", lags)
    check_int("seed", seed, minimum=0)
    data = dataset if isinstance(dataset, Dataset) else resolve(dataset)
    window = WindowSpec(lags)
    train_val_split(len(data), window, ex.VAL_FRACTION)
    rolling_origin_folds(len(data), window, settings.folds, ex.SWEEP_TEST_FRACTION)
    return data


def _run_experiments(ctx: ex.Context, progress: bool | None) -> list[Claim]:
    """Every experiment in turn, each claim with the seconds it took, under one bar."""
    claims: list[Claim] = []
    with progress_bar("claims", len(EXPERIMENTS), progress) as bar:
        for index, (name, experiment) in enumerate(EXPERIMENTS):
            bar.set(index, note=name)
            began = time.perf_counter()
            claim = experiment(ctx)
            claims.append(dataclasses.replace(claim, seconds=time.perf_counter() - began))
        bar.set(len(EXPERIMENTS), note="done")
    return claims


@contextlib.contextmanager
def _folder(workdir: str | Path | None) -> Iterator[Path]:
    if workdir is not None:
        Path(workdir).mkdir(parents=True, exist_ok=True)
        yield Path(workdir)
        return
    with tempfile.TemporaryDirectory(prefix="lstmsizer-claims-") as folder:
        yield Path(folder)
