"""Run every claim experiment in turn, with a progress bar over the claims."""

from __future__ import annotations

import contextlib
import dataclasses
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from lstmsizer.claims import comparisons as cmp
from lstmsizer.claims import experiments as ex
from lstmsizer.claims.result import FULL, QUICK, Claim, ClaimsResult, Settings
from lstmsizer.config import WindowSpec
from lstmsizer.datasets import Dataset, resolve
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

    Returns:
        The ClaimsResult; ``to_dict()`` is what claims.json holds.

    Raises:
        DataError: The data are too short for the lags and the folds.
        OptionError: An argument is out of range.
    """
    check_int("lags", lags)
    check_int("seed", seed, minimum=0)
    chosen = settings or (QUICK if quick else FULL)
    data = dataset if isinstance(dataset, Dataset) else resolve(dataset)
    window = WindowSpec(lags)
    train_val_split(len(data), window, ex.VAL_FRACTION)  # fail before a minute of work
    rolling_origin_folds(len(data), window, chosen.folds, ex.SWEEP_TEST_FRACTION)
    start = time.perf_counter()
    claims: list[Claim] = []
    with _folder(workdir) as folder, progress_bar("claims", len(EXPERIMENTS), progress) as bar:
        ctx = ex.Context(data, lags, seed, chosen, folder)
        for index, (name, experiment) in enumerate(EXPERIMENTS):
            bar.set(index, note=name)
            began = time.perf_counter()
            claim = experiment(ctx)
            claims.append(dataclasses.replace(claim, seconds=time.perf_counter() - began))
        bar.set(len(EXPERIMENTS), note="done")
    from lstmsizer.sweep.runs import environment

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


@contextlib.contextmanager
def _folder(workdir: str | Path | None) -> Iterator[Path]:
    if workdir is not None:
        Path(workdir).mkdir(parents=True, exist_ok=True)
        yield Path(workdir)
        return
    with tempfile.TemporaryDirectory(prefix="lstmsizer-claims-") as folder:
        yield Path(folder)
