"""Which score of a learning-rate candidate predicts its validation RMSE? Every rate, every run.

For each configuration and each rate of LR_CANDIDATES, trains seeds x the default sweep's
folds on sunspots under the sweep's protocol and prints the mean best loss on the
early-stopping block, the mean validation RMSE over those runs, and the block loss of the first
seed on the first fold alone (what a one-seed search would see).

    python bench/lr_rates.py [--units 8,64,256] [--layers 1,2] [--seeds 2] [--workers 2]
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import multiprocessing as mp
import platform
import time

import numpy as np
import torch

import lstmsizer
from lstmsizer.config import ModelSpec
from lstmsizer.datasets import get
from lstmsizer.evaluation import score_forecaster
from lstmsizer.forecaster import LSTMForecaster
from lstmsizer.runtime import device_name, resolve_device
from lstmsizer.splits import rolling_origin_folds
from lstmsizer.sweepspec import LR_CANDIDATES, SweepSpec

SPEC = SweepSpec()
Job = tuple[int, int, float, int, int]


def run(job: Job) -> tuple[Job, float, float]:
    """(job, best block loss, validation RMSE) of one (units, layers, rate, seed, fold)."""
    units, layers, rate, seed, fold = job
    data = get("sunspots")
    split = rolling_origin_folds(
        len(data), SPEC.window, SPEC.split.folds, SPEC.split.test_fraction
    )[0][fold]
    train = dataclasses.replace(SPEC.train.train_spec(seed), lr=rate)
    model = LSTMForecaster(SPEC.window, ModelSpec(units=units, layers=layers), train)
    row = score_forecaster(model, data, split)
    assert model.history_ is not None
    return job, model.history_.monitored, float(row["rmse"])  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", default="8,64,256")
    parser.add_argument("--layers", default="1,2")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    configs = [(int(u), int(n)) for n in args.layers.split(",") for u in args.units.split(",")]
    jobs = [
        (u, n, rate, seed, fold)
        for u, n in configs
        for rate in LR_CANDIDATES
        for seed in range(args.seeds)
        for fold in range(SPEC.split.folds)
    ]
    jobs.sort(key=lambda j: -j[0] * j[0] * j[1])  # largest first
    print(
        f"lstmsizer {lstmsizer.__version__}, torch {torch.__version__}, python "
        f"{platform.python_version()}, {args.workers} workers, device "
        f"{device_name(resolve_device(None))}, seeds 0-{args.seeds - 1} x {SPEC.split.folds} folds"
    )
    start = time.perf_counter()
    with mp.get_context("spawn").Pool(args.workers) as pool:
        found = pool.map(run, jobs, chunksize=1)
    print(f"{time.perf_counter() - start:.1f} s")
    print(
        f"{'configuration':>16} {'rate':>6} {'block loss':>10} {'RMSE ± SE':>14} "
        f"{'seed 0, fold 0':>14}"
    )
    for u, n in configs:
        for rate in LR_CANDIDATES:
            mine = [(j, loss, rmse) for j, loss, rmse in found if j[:3] == (u, n, rate)]
            loss = np.array([m[1] for m in mine])
            rmse = np.array([m[2] for m in mine])
            first = next(m[1] for m in mine if m[0][3:] == (0, 0))
            se = rmse.std(ddof=1) / math.sqrt(rmse.size)
            print(
                f"{f'{n}x LSTM({u})':>16} {rate:6.0e} {loss.mean():10.5f} "
                f"{rmse.mean():7.2f} ± {se:4.2f} {first:14.5f}"
            )


if __name__ == "__main__":
    main()
