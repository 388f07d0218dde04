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
from lstmsizer.claims.panel import describe
from lstmsizer.claims.result import FULL, QUICK, Claim, ClaimsResult, Settings
from lstmsizer.config import ALIGNS, WindowSpec
from lstmsizer.datasets import Dataset, resolve
from lstmsizer.environment import environment
from lstmsizer.errors import OptionError, check_choice, check_int
from lstmsizer.panel import Panel
from lstmsizer.panelsplits import panel_folds
from lstmsizer.progress import progress_bar
from lstmsizer.splits import rolling_origin_folds, train_val_split
from lstmsizer.sweepspec import FoldSpec

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
    id_column: str | None = None,
    wide: bool = False,
    align: str = FoldSpec.align,
    drop_short: bool = False,
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

    On a panel the claims that train on the data (gradients, deep vs wide, one unit) train
    one global model over every series (LSTMForecaster.fit_panel on the sweep's panel folds,
    the deep-vs-wide sweep through lstmsizer.sweep) and score it across series, as a panel
    sweep does (panelscores.across_series); one unit is compared with the pooled linear AR.
    The delay task and the linear series are synthetic single series either way.

    Args:
        dataset: A Dataset, a Panel or anything datasets.resolve takes (a long table with
            unique_id, ds and y is a panel); None is the sunspots data.
        lags: Window length of the experiments on the data and of the speed measurement.
        seed: Seed of every training and every synthetic series.
        quick: QUICK settings (a few minutes) or FULL ones (the claims at their own sizes).
        progress: Progress bar over the claims on stderr; None shows it on a terminal.
        workdir: Folder for the run folders of the two small sweeps; None uses a temporary
            one. Re-running with the same folder and settings resumes those sweeps.
        settings: Experiment sizes that replace the QUICK or FULL preset.
        baselines: Factory of the baselines the two small sweeps score, as for
            lstmsizer.sweep; None is default_baselines.
        id_column: Series id column of a long table or file: the data are a panel.
        wide: The table or file is a panel with one column per series.
        align: A panel's folds: "time" cuts every series at common time points, "end" at
            the same distance from each series' end (panelsplits.panel_folds).
        drop_short: Leave out a panel's series shorter than lags + horizon (the panel's
            description names them) instead of failing, as lstmsizer.sweep does.

    Returns:
        The ClaimsResult; ``to_dict()`` is what claims.json holds.

    Raises:
        DataError: The data are too short for the lags and the folds (on a panel, the
            message names the shortest series or the calendar).
        OptionError: An argument is out of range.
    """
    chosen = settings or (QUICK if quick else FULL)
    data = resolve(dataset, id_column=id_column, wide=wide)
    data = _checked_data(data, lags, seed, chosen, align, drop_short)
    start = time.perf_counter()
    with _folder(workdir) as folder:
        ctx = ex.Context(data, lags, seed, chosen, folder, baselines, align)
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
        panel=None if ctx.panel is None else describe(ctx.panel, align),
    )


def _checked_data(
    data: Dataset | Panel,
    lags: int,
    seed: int,
    settings: Settings,
    align: str,
    drop_short: bool = False,
) -> Dataset | Panel:
    """The data, once the options and its length suit every experiment: a mistake fails here,
    before a minute of work. A panel needs a window in every series (or drop_short) and the
    sweep's folds, cut as align says."""
    check_int("lags", lags)
    check_int("seed", seed, minimum=0)
    check_choice("align", align, ALIGNS)
    window = WindowSpec(lags)
    if isinstance(data, Panel):
        if drop_short:
            data = data.check_window(lags, window.horizon, drop_short=True)
        else:
            data.check_window(lags, window.horizon)  # as the sweeps will check it
        panel_folds(data, window, settings.folds, ex.SWEEP_TEST_FRACTION, align)
        return data
    if drop_short:
        raise OptionError(f"drop_short applies to a panel, got it for the one series {data.name!r}")
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
