"""How many torch threads for one small LSTM training? Measured, idle and beside a busy process.

Trains LSTM(units) on sunspots windows (12 lags, batch 32) for a few epochs with 1 and with
all cores' threads, first on an otherwise idle machine, then while a second process keeps one
core busy. Prints seconds per epoch and the ratio threads=N / threads=1 (below 1: N is faster).

    python bench/threads.py [--units 8,32,128,256] [--epochs 5]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import time

import torch

import lstmsizer
from lstmsizer.config import ModelSpec, TrainSpec, WindowSpec
from lstmsizer.datasets import get
from lstmsizer.forecaster import LSTMForecaster


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", default="8,32,128,256")
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    units = [int(u) for u in args.units.split(",")]
    many = os.cpu_count() or 2
    print(f"lstmsizer {lstmsizer.__version__}, torch {torch.__version__}, {many} cores")
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
