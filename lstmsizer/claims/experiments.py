"""One small experiment per forum claim, each returning the claim with its measured verdict."""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lstmsizer.baselines import BaselineFactory
from lstmsizer.claims import rules
from lstmsizer.claims.panel import SCORED, panel_gradients
from lstmsizer.claims.protocol import protocol_fits, rmse_of
from lstmsizer.claims.result import FULL, Claim, Settings, figure
from lstmsizer.claims.timing import PRECISE, PairTiming, time_pairs
from lstmsizer.config import WindowSpec
from lstmsizer.datasets import Dataset
from lstmsizer.diagnostics import Probe, memory_length, model_gradients
from lstmsizer.diagnostics.memory import width_ranks
from lstmsizer.forecaster import LSTMForecaster
from lstmsizer.intervals import (
    Interval,
    bootstrap_interval,
    correlation,
    ratio_interval,
    widen_ratio,
)
from lstmsizer.panel import Panel
from lstmsizer.panelsplits import PanelSplit, panel_folds
from lstmsizer.rundir.convert import plain
from lstmsizer.runtime import resolve_device
from lstmsizer.splits import Split, rolling_origin_folds, train_val_split
from lstmsizer.sweepspec import FoldSpec, SweepSpec

VAL_FRACTION = 0.2
SWEEP_TEST_FRACTION = FoldSpec.test_fraction  # the claim trainings keep the sweep's folds

MEMORY = "more units for longer windows"
SPEED = "multiples of 32 are faster"
GRADIENTS = "wide layers make gradients vanish"
DEPTH = "3 x 128 beats 1 x 512"
LINEAR_UNIT = "one unit is a linear regressor"
LINEAR_SERIES = "a linear series needs no LSTM"


@dataclass(frozen=True)
class Context:
    """What every experiment reads: the data, the window, the seed, the sizes, a work folder."""

    dataset: Dataset | Panel
    lags: int
    seed: int
    settings: Settings
    workdir: Path
    baselines: BaselineFactory | None = None  # scored by the sweeps; None: the default ones
    align: str = FoldSpec.align  # how a panel's folds are cut (panelsplits.panel_folds)

    @property
    def panel(self) -> Panel | None:
        """The data when they are a panel, else None."""
        return self.dataset if isinstance(self.dataset, Panel) else None

    @property
    def split(self) -> Split | PanelSplit:
        """The last VAL_FRACTION of the data held out, as `lstmsizer fit` does; on a panel the
        last of the sweep's folds, where a series too short for it sits out."""
        if isinstance(self.dataset, Panel):
            return self.folds[-1]
        return train_val_split(len(self.dataset), WindowSpec(self.lags), VAL_FRACTION)

    @property
    def folds(self) -> list[Split] | list[PanelSplit]:
        """The sweep's rolling-origin folds over the data (the final test share left out);
        on a panel, panel_folds cut as align says."""
        window, folds = WindowSpec(self.lags), self.settings.folds
        if isinstance(self.dataset, Panel):
            return panel_folds(self.dataset, window, folds, SWEEP_TEST_FRACTION, self.align)[0]
        return rolling_origin_folds(len(self.dataset), window, folds, SWEEP_TEST_FRACTION)[0]

    def spec(self, **changes: Any) -> SweepSpec:
        """The sweep settings every training of the claims follows (protocol, lr auto)."""
        s = self.settings
        base = SweepSpec().replace(lags=self.lags, seeds=s.seeds, folds=s.folds, epochs=s.epochs)
        if self.panel is not None:
            base = base.replace(align=self.align)
        return base.replace(seed=self.seed, **changes)

    @property
    def features(self) -> NDArray[np.float64] | None:
        """The extra input columns, or None for a univariate series (and a panel)."""
        return self.dataset.features if self.dataset.features.shape[1] else None

    def on_panel(self, tested: str) -> str:
        """A claim's tested note, plus that it trained one global model over the panel."""
        if self.panel is None:
            return tested
        note = f"one global model over {self.panel.n_series} series, RMSE across series"
        return f"{tested}; {note}" if tested else note

    def off_panel(self, tested: str, data: str) -> str:
        """A claim's tested note, plus that on a panel it ran on `data` instead."""
        if self.panel is None:
            return tested
        note = f"on {data}, not on the panel"
        return f"{tested}; {note}" if tested else note

    def panel_numbers(self, numbers: dict[str, Any]) -> dict[str, Any]:
        """A claim's numbers, plus the panel they were measured on (unchanged for a series)."""
        if self.panel is None:
            return numbers
        return {**numbers, "panel": {"series": self.panel.n_series, "scored": SCORED}}


def make_claim(
    claim: str,
    verdict: rules.Verdict,
    numbers: dict[str, Any],
    figures: dict[str, dict[str, Any]],
    threshold: str,
    tested: str = "",
) -> Claim:
    return Claim(
        claim,
        verdict[0],
        verdict[1],
        plain(numbers),
        figures=plain(figures),
        threshold=threshold,
        tested=tested,
    )


def more_units_for_longer_windows(ctx: Context) -> Claim:
    """The delay task: does the smallest width that recalls x[t - d] grow with d?"""
    s = ctx.settings
    spec = ctx.spec(
        lags=s.memory_lags,
        seeds=s.memory_seeds,
        scaling="standard",
        batch_size=s.memory_batch_size,
    )

    def fit(data: Dataset, split: Split, width: int) -> list[float]:
        return rmse_of(protocol_fits(spec, data, [split], width)[0]).tolist()

    found = memory_length(
        lags=s.memory_lags,
        delays=s.memory_delays,
        units=s.memory_units,
        n=s.memory_n,
        epochs=s.epochs,
        seeds=s.memory_seeds,
        data_seed=ctx.seed,
        fit=fit,
        first_sufficient=True,
    )
    rho = _trend_interval(found.delays, found.smallest_units, ctx.seed)
    verdict = rules.memory_verdict(
        rho, found.delays, found.smallest_units, found.units, found.target_rmse
    )
    keep = ("lags", "delays", "units", "smallest_units", "correlation", "monotone")
    numbers = {k: getattr(found, k) for k in (*keep, "target_rmse", "n", "seeds")}
    numbers["rmse"] = [[r.d, r.units, r.seed, r.rmse] for r in found.runs]
    tested = _scaled(f"delays 1 to {max(s.memory_delays)}", "delays up to 8, more seeds", ctx)
    tested = ctx.off_panel(tested, "synthetic delay-task series")
    figures = {"Spearman correlation": figure(rho)}
    return make_claim(MEMORY, verdict, numbers, figures, rules.MEMORY_NEEDS.says, tested)


def _trend_interval(
    delays: tuple[int, ...], smallest: tuple[int | None, ...], seed: int
) -> Interval:
    """Spearman correlation of delay with smallest width, bootstrapped over the delays.

    A delay no width reached ranks above every width (diagnostics.memory.width_ranks); the
    same width for every delay of a resample is no trend, a correlation of 0.
    """
    pairs = np.column_stack([np.asarray(delays, dtype=float), width_ranks(smallest)])

    def rho(p: NDArray[np.float64]) -> float:
        value = correlation(p[:, 0], p[:, 1], "spearman")
        flat = np.ptp(p[:, 1]) == 0 and np.ptp(p[:, 0]) > 0
        return 0.0 if flat else value

    found = bootstrap_interval(pairs, rho, seed=seed)
    return dataclasses.replace(found, estimate=0.0 if np.isnan(found.estimate) else found.estimate)


def multiples_of_32_are_faster(ctx: Context) -> Claim:
    """Training step time per FLOP of multiples of 32 against their neighbours: blocks of
    interleaved rounds until the interval is within +/- rules.SPEED_PRECISION or the time
    limit, widened by the device's run-to-run drift (rules.SPEED_DRIFT)."""
    s = ctx.settings
    device = resolve_device(None)  # where a sweep would train
    gpu = device.type == "cuda"
    found = time_pairs(
        s.speed_units_gpu if gpu else s.speed_units,
        lags=ctx.lags,
        features=1 + ctx.dataset.features.shape[1],
        batch_sizes=s.speed_batch_sizes,
        rounds=s.speed_repeats,
        blocks=s.speed_blocks,
        seconds=s.speed_seconds,
        enough=rules.precise,
        device=str(device),
        seed=ctx.seed,
    )
    drift = rules.SPEED_DRIFT.get(device.type, 0.0)
    ratio = widen_ratio(found.ratio, drift)
    stopped = _stopped(found) + (f", widened by ±{drift:.1%} run-to-run drift" if drift else "")
    verdict = rules.speed_verdict(ratio, found.pair_ratios, stopped)
    numbers = {
        "device": found.device_name,
        "threads": found.threads,
        "lags": ctx.lags,
        "batch_sizes": found.batch_sizes,
        "rounds": found.rounds,
        "blocks": found.ratio.n,
        "stopped": found.stopped,
        "step_ms": found.step_ms,
        "pair_ratios": found.pair_ratios,
        "timing_seconds": found.seconds,
        "one_run_interval": found.ratio,
    }
    figures = {"time per FLOP": figure(ratio, "x")}
    tested = "tensor-core tiles: widths around 64, 128, 256 and 512 on the GPU" if gpu else ""
    return make_claim(SPEED, verdict, numbers, figures, rules.SPEED_NEEDS.says, tested)


def _stopped(found: PairTiming) -> str:
    blocks = f"{found.ratio.n} blocks of {found.rounds // max(found.ratio.n, 1)} rounds"
    if found.stopped == PRECISE:
        return f"within ±{rules.SPEED_PRECISION:.0%} after {blocks}"
    return (
        f"time limit reached after {blocks} ({found.seconds:.0f} s) before the interval was "
        f"within ±{rules.SPEED_PRECISION:.0%}"
    )


def wide_layers_make_gradients_vanish(ctx: Context) -> Claim:
    """Oldest/newest input saliency of a wide LSTM over a narrow one, per seed: at
    initialisation over many seeds, and trained under the sweep's protocol."""
    s, split = ctx.settings, ctx.split
    fitted = {u: protocol_fits(ctx.spec(), ctx.dataset, [split], u)[0] for u in s.gradient_units}
    narrow, wide = s.gradient_units
    seeds = range(ctx.seed, ctx.seed + s.gradient_init_seeds)
    origins = split.val_origins
    init = {u: [_init_ratio(fitted[u][0][1], k, ctx, origins) for k in seeds] for u in fitted}
    trained = {u: [_saliency_ratio(m, ctx, origins) for _, m in fitted[u]] for u in fitted}
    at_init = ratio_interval(np.log(np.divide(init[wide], init[narrow])))
    after = ratio_interval(np.log(np.divide(trained[wide], trained[narrow])))
    verdict = rules.gradients_verdict(narrow, wide, at_init, after)
    numbers = {"units": s.gradient_units, "init_ratios": init, "trained_ratios": trained}
    numbers["lr"] = {u: fitted[u][0][1].train.lr for u in fitted}
    numbers["epochs"] = {u: [epochs_of(m) for _, m in fitted[u]] for u in fitted}
    figures = {"at init": figure(at_init, "x"), "trained": figure(after, "x")}
    tested = ctx.on_panel(_scaled(f"{wide} units against {narrow}", "256 units against 4", ctx))
    numbers = ctx.panel_numbers(numbers)
    return make_claim(GRADIENTS, verdict, numbers, figures, rules.GRADIENTS_NEED.says, tested)


def _saliency_ratio(
    model: LSTMForecaster, ctx: Context, origins: NDArray[np.int64], at_init: bool = False
) -> float:
    """Oldest/newest input saliency of a fitted model on the windows before origins."""
    if isinstance(ctx.dataset, Panel):
        return panel_gradients(model, ctx.dataset, origins, at_init=at_init).saliency_ratio
    probe = Probe(model, ctx.dataset.values, origins, ctx.features)
    return model_gradients(probe, at_init=at_init).saliency_ratio


def _init_ratio(
    model: LSTMForecaster, seed: int, ctx: Context, origins: NDArray[np.int64]
) -> float:
    """Saliency ratio of the weights seed would initialise (the fitted scaler, no training)."""
    twin = copy.copy(model)
    twin.train = dataclasses.replace(model.train, seed=seed)
    return _saliency_ratio(twin, ctx, origins, at_init=True)


def epochs_of(model: LSTMForecaster) -> int:
    return model.history_.epochs if model.history_ else 0


def _scaled(quick: str, full: str, ctx: Context) -> str:
    """The row's note on scaled-down settings: what ran, and what --full runs."""
    return "" if ctx.settings == FULL else f"tested with {quick} (--full: {full})"
