"""How many torch threads for one small LSTM training, and how to split the cores? Measured.

--mode threads (default): trains LSTM(units) on sunspots windows (12 lags, batch 32) for a few
epochs with 1 and with all cores' threads, first on an otherwise idle machine, then while a
second process keeps one core busy. Prints seconds per epoch and the ratio threads=N /
threads=1 (below 1: N is faster).

--mode split: workers x threads. For the largest sizes of the default grid (LSTM(256), the
2-layer LSTM(256) and the one-layer width of its parameter count, LSTM(443)) and LSTM(32)
for contrast, the same fixed work (--cores configurations, each 3 seeds x --epochs epochs,
no early stopping) runs as --cores processes x 1 thread and as 1 process x --cores threads,
in fp32 and under precision auto, the seeds trained as one batched network where
seeds.batching_pays says so. Processes are started and warmed up before the clock starts.
Prints the median seconds of --repeats and the ratio threads / processes (above 1: the
processes are faster), on the CPU.

    python bench/threads.py [--units 8,32,128,256] [--epochs 5]
    python bench/threads.py --mode split [--cores 2] [--epochs 3] [--repeats 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing as mp
import os
import statistics
import time
from multiprocessing.pool import Pool

import torch

import lstmsizer
from lstmsizer.config import DEFAULT_LAGS, ModelSpec, Precision, TrainSpec, WindowSpec
from lstmsizer.datasets import get
from lstmsizer.forecaster import LSTMForecaster
from lstmsizer.precision import resolve_precision
from lstmsizer.seeds import batching_choice, fit_seeds
from lstmsizer.sizes import config_label, equal_budget_width
from lstmsizer.sweepspec import GridSpec

TRAIN_END = 247
SEEDS = (0, 1, 2)
PRECISIONS: tuple[Precision, ...] = ("fp32", "auto")
Work = tuple[ModelSpec, Precision, int, int]
"""One configuration's fixed work: model, precision, threads, epochs."""


def _spin(stop: mp.synchronize.Event) -> None:
    x = 0
    while not stop.is_set():
        x += 1


def _seconds_per_epoch(units: int, threads: int, epochs: int) -> float:
    y = get("sunspots").values
    model = LSTMForecaster(
        WindowSpec(lags=12),
        ModelSpec(units=units),
        TrainSpec(epochs=epochs, batch_size=32, threads=threads, progress=False),
    )
    start = time.perf_counter()
    model.fit(y, train_end=247)
    return (time.perf_counter() - start) / epochs


def _measure(units: list[int], many: int, epochs: int, label: str) -> None:
    for u in units:
        one = statistics.median(_seconds_per_epoch(u, 1, epochs) for _ in range(3))
        more = statistics.median(_seconds_per_epoch(u, many, epochs) for _ in range(3))
        print(
            f"{label:6} units {u:4}: 1 thread {1000 * one:7.2f} ms/epoch, {many} threads "
            f"{1000 * more:7.2f} ms/epoch, ratio {more / one:5.2f}"
        )


def split_sizes() -> list[ModelSpec]:
    """LSTM(32), then the largest sizes of the default grid: its widest one-layer and its
    deepest widest configurations, and the one-layer width of the latter's parameter count."""
    grid = GridSpec()
    deep = ModelSpec("lstm", max(grid.units), max(grid.layers))
    wide = equal_budget_width(deep, WindowSpec(DEFAULT_LAGS), 1)
    return [
        ModelSpec("lstm", 32),
        ModelSpec("lstm", max(grid.units)),
        ModelSpec("lstm", wide),
        deep,
    ]


def _batched(model: ModelSpec) -> bool:
    """Whether a sweep on the CPU trains this model's seeds as one batched network."""
    return batching_choice(model, "auto", "cpu").batched


def _configuration(work: Work) -> None:
    """Train one configuration's seeds for a fixed number of epochs, batched where it pays."""
    model, precision, threads, epochs = work
    y = get("sunspots").values
    window = WindowSpec(DEFAULT_LAGS)
    train = TrainSpec(
        epochs=epochs,
        batch_size=32,
        threads=threads,
        progress=False,
        device="cpu",
        precision=precision,
    )
    if _batched(model):
        fit_seeds(window, model, train, SEEDS, y, train_end=TRAIN_END)
        return
    for seed in SEEDS:
        one = LSTMForecaster(window, model, dataclasses.replace(train, seed=seed))
        one.fit(y, train_end=TRAIN_END)


def _timed(pool: Pool, work: list[Work]) -> float:
    """Seconds of the work in pool, after one untimed epoch of each (imports, kernels)."""
    pool.map(_configuration, [(model, p, threads, 1) for model, p, threads, _ in work], 1)
    start = time.perf_counter()
    pool.map(_configuration, work, chunksize=1)
    return time.perf_counter() - start


def _split(cores: int, epochs: int, repeats: int) -> None:
    """cores processes x 1 thread against 1 process x cores threads, same work."""
    print(
        f"split: {cores} configurations x {len(SEEDS)} seeds x {epochs} epochs per size, "
        f"sunspots, {DEFAULT_LAGS} lags, batch 32, cpu; median of {repeats}"
    )
    apart_head, together_head = f"{cores} proc x 1 thread", f"1 proc x {cores} threads"
    print(
        f"{'size':>18} {'precision':>12} {'batched':>7} {apart_head:>17} {together_head:>17} "
        f"{'ratio':>6}"
    )
    ctx = mp.get_context("spawn")
    with ctx.Pool(cores) as processes, ctx.Pool(1) as threaded:
        for model in split_sizes():
            for precision in PRECISIONS:
                wide = [(model, precision, 1, epochs)] * cores
                deep = [(model, precision, cores, epochs)] * cores
                apart = statistics.median(_timed(processes, wide) for _ in range(repeats))
                together = statistics.median(_timed(threaded, deep) for _ in range(repeats))
                resolved = resolve_precision(precision, model, "cpu", batched=_batched(model))
                label = config_label(model.cell, model.units, model.layers)
                print(
                    f"{label:>18} {precision + ' -> ' + resolved:>12} "
                    f"{'yes' if _batched(model) else 'no':>7} {apart:17.2f} "
                    f"{together:17.2f} {together / apart:6.2f}",
                    flush=True,
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("threads", "split"), default="threads")
    parser.add_argument("--units", default="8,32,128,256")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--cores", type=int, default=2, help="split: workers x threads to share")
    parser.add_argument("--repeats", type=int, default=3, help="split: timings per cell")
    args = parser.parse_args()
    units = [int(u) for u in args.units.split(",")]
    many = os.cpu_count() or 2
    print(f"lstmsizer {lstmsizer.__version__}, torch {torch.__version__}, {many} cores")
    if args.mode == "split":
        _split(args.cores, args.epochs, args.repeats)
        return
    _measure(units, many, args.epochs, "idle")
    stop = mp.Event()
    busy = mp.Process(target=_spin, args=(stop,))
    busy.start()
    try:
        _measure(units, many, args.epochs, "busy")
    finally:
        stop.set()
        busy.join()


if __name__ == "__main__":
    main()
