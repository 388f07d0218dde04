"""A panel sweep's cost against its number of series, its work unit, and memory at 10M windows.

--mode scaling (default): for each N of --series, a seeded synthetic panel of N sines of
--length values (random period, phase, level and amplitude, plus noise) is swept by
lstmsizer.sweep in a fresh process (one worker, one thread): a small grid (--units, one
layer), --seeds seeds x --folds folds, a fixed number of epochs (early stopping, rate cuts,
restarts and racing off; Adam at a fixed rate), so every run does the same work per window;
each process first fits one tiny model untimed (torch's one-time set-up, about a second).
The baselines are only naive and linear AR (cheap_baselines): per-series ETS and ARIMA would
dominate the time and say nothing of the LSTM's cost. Prints per N the sweep's wall time, the
training seconds it records, its CPU seconds, peak RSS of that process (ru_maxrss), the
fitted windows of one epoch summed over folds, seconds per window and epoch, the ratio of
each time to the smallest N measured in the same run, and the slopes of log(time) against
log(windows) (1: linear).

--mode unit: the sweep's unit of work is one configuration (all its seeds x folds). Times,
in a fresh process, one configuration of the --series panel fold by fold
(sweeping.folds.train_configuration), then one training step of every configuration of the
default grid on the same windows; costs each as the measured one x its step-time ratio and
hands the grid out largest first (as the engine does) to --machines machines, by
configuration and by fold. Prints each schedule's length and idle share.

--memory-only: the --series x --length panel (10,000 x 1,000: about 10 million windows)
through the real code path: the panel, LSTMForecaster._prepare_panel (per-series scaler,
window views, fitted and monitored rows), --batches training steps of a small LSTM on index
batches as training._epoch takes them, then predict_panel on one PREDICT_CHUNK of
validation origins. Prints peak RSS of that process against the 4 GB bound, bytes per
window above the process's RSS before the panel existed, and whether the windows are views
(their storage is the scaled values' storage).

    python bench/panel.py [--series 1,10,100,1000] [--length 200] [--units 8] [--seeds 1]
                          [--folds 2] [--epochs 3] [--lags 8] [--batch-size 32]
    python bench/panel.py --mode unit --series 1000 [--length 200] [--units 8] ...
    python bench/panel.py --memory-only --series 10000 --length 1000 [--batches 200]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import torch

import lstmsizer
from lstmsizer.baselines import LinearAR, Naive
from lstmsizer.config import DEFAULT_THREADS, ModelSpec, TrainSpec, WindowSpec
from lstmsizer.contract import Forecaster
from lstmsizer.forecaster import LSTMForecaster
from lstmsizer.models import ForecastNet
from lstmsizer.panel import Panel
from lstmsizer.panelsplits import PanelSplit, panel_folds, panel_train_val_split
from lstmsizer.panelwindows import PREDICT_CHUNK
from lstmsizer.runtime import device_name, using_threads
from lstmsizer.step import TrainStep
from lstmsizer.sweeping.folds import train_configuration
from lstmsizer.sweeping.plan import Configuration, configurations
from lstmsizer.sweepspec import SweepSpec
from lstmsizer.training import TrainData

MEMORY_BOUND = 4 * 2**30
"""The bound a 10-million-window panel must stay under, in bytes of peak RSS."""
FIXED = {"patience": None, "lr_patience": None, "min_epochs": 0, "restarts": 0, "race": False}
"""Every run the same work per window: fixed epochs, no rate cuts or restarts, no racing."""
LR = 1e-3


def cheap_baselines(lags: int, horizon: int = 1, period: int | None = None) -> list[Forecaster]:
    """Naive and linear AR only: the sweep's baselines without ETS and ARIMA's fitting cost."""
    return [Naive(horizon), LinearAR(lags, horizon)]


def sine_panel(n_series: int, length: int, seed: int = 0) -> Panel:
    """N seeded sines of one length: period 6-48, any phase, level 0-100, amplitude 1-10, and
    Gaussian noise of 10% of the amplitude; ids s0, s1, ...; positions, no time column."""
    rng = np.random.default_rng(seed)
    period = rng.uniform(6, 48, (n_series, 1))
    phase = rng.uniform(0, 2 * np.pi, (n_series, 1))
    level = rng.uniform(0, 100, (n_series, 1))
    amp = rng.uniform(1, 10, (n_series, 1))
    t = np.arange(length)[None, :]
    # (N, 1) parameters over (1, T) steps -> (N, T), then series end to end
    noise = 0.1 * rng.standard_normal((n_series, length))
    values = level + amp * (np.sin(2 * np.pi * t / period + phase) + noise)
    return Panel(
        name=f"sines{n_series}x{length}",
        target="y",
        ids=tuple(f"s{i}" for i in range(n_series)),
        starts=np.arange(n_series + 1, dtype=np.int64) * length,
        values=values.reshape(-1),
        time=None,
        frequency=None,
        description=f"{n_series} seeded noisy sines of {length} values",
        source="array",
    )


def cpu_seconds() -> float:
    """User + system CPU seconds of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss() -> int:
    """Peak resident set size of this process in bytes (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def bench_spec(args: argparse.Namespace) -> SweepSpec:
    """The small fixed-work grid the scaling and unit modes sweep."""
    return SweepSpec().replace(
        **FIXED,
        units=tuple(int(u) for u in args.units.split(",")),
        layers=(1,),
        seeds=args.seeds,
        folds=args.folds,
        epochs=args.epochs,
        lags=args.lags,
        batch_size=args.batch_size,
        lr=LR,
        align="end",
    )


def fitted_windows(folds: Sequence[PanelSplit]) -> int:
    """Training windows of one epoch summed over folds (early-stopping block off: all fitted)."""
    return int(sum(split.train_origins.size for split in folds))


@dataclass(frozen=True)
class Scaling:
    """One panel's sweep, measured in its own process.

    Attributes:
        series: N, the number of series.
        windows: Fitted windows of one epoch, summed over folds.
        wall: Seconds of the lstmsizer.sweep call (training, baselines, test share, files).
        training: Worker seconds of every training, as recommendation.json records them.
        cpu: CPU seconds (user + system) of the process during the sweep call: on a shared
            machine the wall time also counts the other processes' turns.
        rss: Peak RSS of the process in bytes.
    """

    series: int
    windows: int
    wall: float
    training: float
    cpu: float
    rss: int


def warm_up() -> float:
    """One untimed one-epoch fit of a one-series panel: a process's first fit pays about a
    second of torch's one-time set-up, which is no cost of the series. Returns its seconds."""
    panel = sine_panel(1, 40)
    window = WindowSpec(lags=4)
    train = TrainSpec(epochs=1, threads=DEFAULT_THREADS, progress=False, device="cpu")
    start = time.perf_counter()
    LSTMForecaster(window, ModelSpec("lstm", 2), train).fit_panel(
        panel, panel_train_val_split(panel, window, 0.1)
    )
    return time.perf_counter() - start


def _scaling(n_series: int, args: argparse.Namespace) -> Scaling:
    """Runs in a fresh process, after warm_up: one sweep of an N-series panel."""
    warm_up()
    panel = sine_panel(n_series, args.length, args.seed)
    spec = bench_spec(args)
    folds, _ = panel_folds(panel, spec.window, spec.split.folds, spec.split.test_fraction, "end")
    with tempfile.TemporaryDirectory(prefix="lstmsizer-bench-panel-") as tmp:
        start, cpu = time.perf_counter(), cpu_seconds()
        result = lstmsizer.sweep(
            panel, spec, out=Path(tmp), workers=1, progress=False, baselines=cheap_baselines
        )
        wall, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    training = float(result.info["training_seconds"])
    return Scaling(n_series, fitted_windows(folds), wall, training, cpu, peak_rss())


def slope(x: Sequence[float], y: Sequence[float]) -> float:
    """Least-squares slope of log(y) against log(x)."""
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def scaling_table(found: list[Scaling], epochs: int, runs: int) -> list[str]:
    """The table, ratios against the first (smallest) panel, and the log-log slopes."""
    ref = found[0]
    lines = [
        f"{'series':>7} {'windows':>9} {'wall s':>8} {'cpu s':>8} {'train s':>8} "
        f"{'us/window':>9} {'wall/ref':>8} {'cpu/ref':>8} {'train/ref':>9} {'peak RSS MB':>11}"
    ]
    for f in found:
        per = 1e6 * f.training / (f.windows * epochs * runs)
        lines.append(
            f"{f.series:7} {f.windows:9} {f.wall:8.1f} {f.cpu:8.1f} {f.training:8.1f} "
            f"{per:9.1f} {f.wall / ref.wall:8.2f} {f.cpu / ref.cpu:8.2f} "
            f"{f.training / ref.training:9.2f} {f.rss / 2**20:11.0f}"
        )
    if len(found) > 1:
        windows = [f.windows for f in found]
        per, fixed = np.polyfit(windows, [f.training for f in found], 1)
        lines.append(
            f"training seconds ~ {fixed:.2f} + {1e6 * per:.1f} us x windows (least squares)"
        )
        for name in ("training", "cpu", "wall"):
            times = [getattr(f, name) for f in found]
            lines.append(
                f"slope of log({name} seconds) vs log(windows): {slope(windows, times):.2f} "
                f"over all, {slope(windows[-2:], times[-2:]):.2f} over the two largest"
            )
    lines.append(
        f"us/window: training seconds per fitted window per epoch per run ({runs} runs "
        "per fold: configurations x seeds)"
    )
    return lines


def _fresh(fn: Callable[..., Any], *args: Any) -> Any:
    """fn(*args) in a fresh spawned process, so its ru_maxrss is its own."""
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


@dataclass(frozen=True)
class Unit:
    """One configuration of the unit mode fold by fold, and the default grid's step times.

    Attributes:
        label: The measured configuration's name.
        folds: Seconds of each fold's runs, as the runs record them.
        whole: Wall seconds of train_configuration for every fold.
        windows: Fitted windows of one epoch, summed over folds.
        steps: Milliseconds of one training step (batch_size windows) of the measured
            configuration and of every configuration of the default grid, by name.
        grid: Names of the default grid's configurations at these lags.
    """

    label: str
    folds: tuple[float, ...]
    whole: float
    windows: int
    steps: dict[str, float]
    grid: tuple[str, ...]


def step_ms(net: torch.nn.Module, data: TrainData, batch_size: int, steps: int = 20) -> float:
    """Milliseconds per training step of net on index batches of data drawn as
    training._epoch draws them (shuffled positions -> rows of the views), after 3 untimed."""
    assert data.rows is not None
    step = TrainStep(net, TrainSpec(lr=LR, precision="fp32"), [LR])
    order = torch.randperm(data.rows.numel(), generator=torch.Generator().manual_seed(0))
    start = 0.0
    for b in range(steps + 3):
        if b == 3:
            start = time.perf_counter()
        idx = data.rows[order[b * batch_size : (b + 1) * batch_size]]  # positions -> view rows
        step(data.x[idx], data.y[idx])  # gathers (B, L, 1), (B, H, 1) from the views
    return 1000 * (time.perf_counter() - start) / steps


def _unit(args: argparse.Namespace) -> Unit:
    """Runs in a fresh process, after warm_up: one configuration of the panel, every fold,
    timed; then one training step of each configuration of the default grid."""
    warm_up()
    n_series = int(args.series.split(",")[-1])
    panel = sine_panel(n_series, args.length, args.seed)
    spec = bench_spec(args)
    folds, _ = panel_folds(panel, spec.window, spec.split.folds, spec.split.test_fraction, "end")
    ref = ModelSpec("lstm", int(args.units.split(",")[0]), 1)
    config = Configuration(ref)
    start = time.perf_counter()
    trained = train_configuration(config, spec, panel, folds)  # type: ignore[arg-type]
    whole = time.perf_counter() - start
    per_fold = [0.0] * len(folds)
    for row in trained.rows:
        per_fold[int(str(row["fold"]))] += float(str(row["seconds"]))
    train = TrainSpec(threads=DEFAULT_THREADS, progress=False, device="cpu")
    data = LSTMForecaster(spec.window, ref, train)._prepare_panel(panel, folds[0])
    grid = configurations(SweepSpec().replace(lags=args.lags), 1)
    with using_threads(DEFAULT_THREADS):
        steps = {c.id: step_ms(net(c.model), data, args.batch_size) for c in [config, *grid]}
    names = tuple(c.id for c in grid)
    return Unit(config.id, tuple(per_fold), whole, fitted_windows(folds), steps, names)


def net(model: ModelSpec, horizon: int = 1) -> ForecastNet:
    """A seeded network of model reading the target alone."""
    torch.manual_seed(0)
    return ForecastNet(1, model, horizon)


def makespan(costs: Sequence[float], machines: int) -> float:
    """Finish time of costs handed out largest first, each to the machine free first."""
    free = [0.0] * machines
    for cost in sorted(costs, reverse=True):
        free[free.index(min(free))] += cost
    return max(free)


@dataclass(frozen=True)
class Memory:
    """The memory-only case, measured in its own process.

    Attributes:
        values: Values of the panel.
        windows: Window views over the panel (every origin, crossing ones included).
        fitted: Rows fitted; monitored: rows of the early-stopping block.
        before: RSS in bytes before the panel existed (torch and lstmsizer imported).
        after_prepare: Peak RSS once the scaler, views and rows existed.
        peak: Peak RSS at the end (training steps and one prediction chunk done).
        view: Whether x shares the scaled values' storage (no window was copied).
        x_bytes, values_bytes: Storage bytes of x and of the scaled values.
        step_ms: Mean milliseconds per training step.
        seconds: Wall seconds of build, prepare, train, predict.
    """

    values: int
    windows: int
    fitted: int
    monitored: int
    before: int
    after_prepare: int
    peak: int
    view: bool
    x_bytes: int
    values_bytes: int
    step_ms: float
    seconds: tuple[float, float, float, float]


def _memory(args: argparse.Namespace) -> Memory:
    """Runs in a fresh process: the 10-million-window path, its peak RSS measured."""
    before = peak_rss()
    t0 = time.perf_counter()
    panel = sine_panel(int(args.series.split(",")[-1]), args.length, args.seed)
    window = WindowSpec(lags=args.lags)
    split = panel_train_val_split(panel, window, 0.1)
    t1 = time.perf_counter()
    train = TrainSpec(batch_size=args.batch_size, lr=LR, patience=1, threads=DEFAULT_THREADS)
    forecaster = LSTMForecaster(window, ModelSpec("lstm", int(args.units.split(",")[0])), train)
    data = forecaster._prepare_panel(panel, split)
    after_prepare = peak_rss()
    # views: x reads the storage of the (T, 1) scaled values, whose size is 4 bytes a value
    x_bytes = data.x.untyped_storage().nbytes()
    values_bytes = panel.n_values * 4
    same = data.x.untyped_storage().data_ptr() == data.y.untyped_storage().data_ptr()
    view = x_bytes == values_bytes and same
    t2 = time.perf_counter()
    forecaster.net_ = net(forecaster.model, window.horizon)
    with using_threads(DEFAULT_THREADS):
        ms = step_ms(forecaster.net_, data, args.batch_size, args.batches)
    t3 = time.perf_counter()
    forecaster.predict_panel(panel, split.val_origins[:PREDICT_CHUNK])
    t4 = time.perf_counter()
    assert data.rows is not None and data.val_rows is not None
    return Memory(
        panel.n_values,
        int(data.x.shape[0]),
        int(data.rows.numel()),
        int(data.val_rows.numel()),
        before,
        after_prepare,
        peak_rss(),
        view,
        x_bytes,
        values_bytes,
        ms,
        (t1 - t0, t2 - t1, t3 - t2, t4 - t3),
    )


def memory_lines(m: Memory, batches: int) -> list[str]:
    """The memory-only report."""
    above = m.peak - m.before
    return [
        f"panel {m.values:,} values, {m.windows:,} window views, {m.fitted:,} fitted rows, "
        f"{m.monitored:,} monitored rows",
        f"x is a view of the scaled values: {m.view} (x storage {m.x_bytes:,} bytes, "
        f"scaled values {m.values_bytes:,} bytes)",
        f"RSS before the panel {m.before / 2**20:,.0f} MB; peak after prepare "
        f"{m.after_prepare / 2**20:,.0f} MB; peak at the end {m.peak / 2**20:,.0f} MB = "
        f"{m.peak / MEMORY_BOUND:.1%} of the 4 GB bound "
        f"({'PASS' if m.peak < MEMORY_BOUND else 'FAIL'})",
        f"bytes per window above the RSS before the panel: {above / m.windows:.1f} "
        f"(the values alone: 8 float64 + 4 float32 scaled)",
        f"{batches} training steps {m.step_ms:.2f} ms each; seconds: build {m.seconds[0]:.1f}, "
        f"prepare {m.seconds[1]:.1f}, train {m.seconds[2]:.1f}, predict {m.seconds[3]:.1f} "
        f"({PREDICT_CHUNK:,} origins)",
    ]  # fmt: skip


def unit_lines(u: Unit, machines: Sequence[int]) -> list[str]:
    """A fold against its configuration; the default grid's configurations (each costed as
    the measured one times its step time over the measured one's) handed out largest first
    to M machines, by configuration and by fold (folds as equal shares, none waiting)."""
    fold_share = max(u.folds) / sum(u.folds)
    lines = [
        f"{u.label}: {u.windows:,} fitted windows per epoch over {len(u.folds)} folds; folds "
        f"{', '.join(f'{s:.1f}' for s in u.folds)} s (runs' seconds), whole configuration "
        f"{u.whole:.1f} s wall; the largest fold is {fold_share:.0%} of the runs' seconds",
    ]
    ref = u.steps[u.label]
    costs = {name: u.whole * u.steps[name] / ref for name in u.grid}
    longest = max(costs, key=costs.__getitem__)
    total = sum(costs.values())
    lines.append(
        f"default grid: {len(costs)} configurations, estimated {total:,.0f} s in all on one "
        f"machine; step ms from {min(u.steps.values()):.2f} to {max(u.steps.values()):.2f}; "
        f"longest {longest} {costs[longest]:,.0f} s ({costs[longest] / total:.0%} of the sweep)"
    )
    folds = [c / len(u.folds) for c in costs.values() for _ in u.folds]
    for m in machines:
        by_config, by_fold, floor = makespan(list(costs.values()), m), makespan(folds, m), total / m
        lines.append(
            f"{m:3} machines: ideal {floor:,.0f} s; unit configuration {by_config:,.0f} s "
            f"(idle {max(0.0, 1 - floor / by_config):.0%}); unit fold {by_fold:,.0f} s "
            f"(idle {max(0.0, 1 - floor / by_fold):.0%}; folds independent, as at a fixed lr)"
        )
    return lines


def machine() -> str:
    """Versions, CPU, cores, threads and device, as the other benches print them."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"lstmsizer {lstmsizer.__version__}, torch {torch.__version__}, numpy {np.__version__}, "
        f"python {platform.python_version()}, {device_name(torch.device('cpu'))}, {cores} cores, "
        f"1 worker x {DEFAULT_THREADS} thread on the CPU; load average {load}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("scaling", "unit"), default="scaling")
    parser.add_argument("--memory-only", action="store_true", help="the 10M-window case")
    parser.add_argument("--series", default="1,10,100,1000", help="numbers of series")
    parser.add_argument("--length", type=int, default=200, help="values per series")
    parser.add_argument("--units", default="8", help="widths of the grid, e.g. 8,16")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--folds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3, help="fixed: no early stopping")
    parser.add_argument("--lags", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--batches", type=int, default=200, help="memory: training steps")
    parser.add_argument("--machines", default="2,4,8,16,29", help="unit: machines to share it")
    parser.add_argument("--seed", type=int, default=0, help="panel seed")
    args = parser.parse_args()
    print(machine(), flush=True)
    if args.memory_only:
        print("\n".join(memory_lines(_fresh(_memory, args), args.batches)))
        return
    if args.mode == "unit":
        unit = _fresh(_unit, args)
        print("\n".join(unit_lines(unit, [int(m) for m in args.machines.split(",")])))
        return
    found = []
    for n in sorted(int(s) for s in args.series.split(",")):
        found.append(_fresh(_scaling, n, args))
        print(f"{n} series: {asdict(found[-1])}", flush=True)
    runs = len(args.units.split(",")) * args.seeds
    print("\n".join(scaling_table(found, args.epochs, runs)))


if __name__ == "__main__":
    main()
