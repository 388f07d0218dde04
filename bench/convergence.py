"""Each configuration's RMSE under the old protocol and under the converged defaults, same run.

Old protocol (before the converged defaults): Adam 1e-3, at most 100 epochs, early stopping
with patience 10 on the fold's validation block, the same block that is then scored, no
learning-rate cuts, no restarts. New protocol: SweepSpec's defaults (an epoch cap out of
reach, patience on a block carved from the end of the training part and never scored, a
warm-up, learning-rate cuts on plateau, restarts of stuck runs, a learning rate chosen per
configuration). Both on the default sweep's folds (sunspots, 12 lags, 3 rolling-origin folds,
seeds 0-2), RMSE on the original scale over seeds x folds, with each protocol's wall time.

    python bench/convergence.py [--units 1,2,...] [--layers 1,2] [--workers 2]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import platform
import statistics
import time

import numpy as np
import torch

import lstmsizer
from lstmsizer.config import ModelSpec, TrainSpec
from lstmsizer.datasets import get
from lstmsizer.evaluation import score_forecaster
from lstmsizer.forecaster import LSTMForecaster, stack_inputs
from lstmsizer.models import ForecastNet
from lstmsizer.runtime import device_name, resolve_device, seed_everything, using_threads
from lstmsizer.splits import Scaler, Split, rolling_origin_folds
from lstmsizer.sweeping.folds import train_configuration
from lstmsizer.sweeping.plan import Configuration
from lstmsizer.sweepspec import SweepSpec
from lstmsizer.training import TrainData, fit
from lstmsizer.windows import make_windows

SPEC = SweepSpec()
OLD = TrainSpec(epochs=100, patience=10, lr=1e-3, stop_fraction=0.0, progress=False)


def old_run(units: int, layers: int, split: Split, seed: int) -> dict[str, float]:
    """One run of the old protocol: early stopping watches the block that is then scored."""
    data = get("sunspots")
    y = data.values[: split.n]
    inputs = stack_inputs(y, None)
    scaler = Scaler.fit(inputs[: split.train_end], SPEC.split.scaling)
    device = resolve_device(None)  # CUDA when present, as the new protocol's runs
    series = torch.from_numpy(scaler.transform(inputs).astype(np.float32)).to(device)
    x, t = make_windows(series, series[:, :1], SPEC.window.lags, 1)
    n_train = split.train_end - SPEC.window.lags
    train = TrainData(x[:n_train], t[:n_train], x[n_train:], t[n_train:])
    model = LSTMForecaster(SPEC.window, ModelSpec(units=units, layers=layers), OLD)
    with using_threads(1):
        seed_everything(seed)
        model.net_ = ForecastNet(1, model.model, 1).to(device)
        model.history_ = fit(model.net_, train, OLD)
    model.scaler_, model.n_features_ = scaler, 1
    row = score_forecaster(model, data, split, fitted=True)
    return {"rmse": float(row["rmse"]), "epochs": float(model.history_.epochs)}  # type: ignore[arg-type]


def _folds() -> list[Split]:
    return rolling_origin_folds(
        len(get("sunspots")), SPEC.window, SPEC.split.folds, SPEC.split.test_fraction
    )[0]


def _old(job: tuple[int, int]) -> tuple[tuple[int, int], list[dict[str, float]], float]:
    units, layers = job
    folds = _folds()
    start = time.perf_counter()
    rows = [old_run(units, layers, split, s) for split in folds for s in SPEC.seed_list()]
    return job, rows, time.perf_counter() - start


def _new(job: tuple[int, int]) -> tuple[tuple[int, int], list[dict[str, float]], float]:
    units, layers = job
    data, folds = get("sunspots"), _folds()
    start = time.perf_counter()
    with using_threads(1):
        found = train_configuration(
            Configuration(ModelSpec("lstm", units, layers)), SPEC, data, folds
        )
    keys = ("rmse", "epochs", "under_trained")
    rows = [{k: float(r[k]) for k in keys} for r in found.rows]  # type: ignore[arg-type]
    for row in rows:
        row["lr"] = found.lr
    return job, rows, time.perf_counter() - start


def run(kind: str, jobs: list[tuple[int, int]], workers: int) -> tuple[dict, float]:
    start = time.perf_counter()
    with mp.get_context("spawn").Pool(workers) as pool:
        found = pool.map(_old if kind == "old" else _new, jobs, chunksize=1)
    return {job: (rows, seconds) for job, rows, seconds in found}, time.perf_counter() - start


def _cell(rows: list[dict[str, float]]) -> str:
    rmse = [r["rmse"] for r in rows]
    se = statistics.stdev(rmse) / len(rmse) ** 0.5
    epochs = statistics.median(r["epochs"] for r in rows)
    return f"{statistics.mean(rmse):7.2f} ± {se:4.2f} {epochs:6.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", default=",".join(map(str, SPEC.space.units)))
    parser.add_argument("--layers", default=",".join(map(str, SPEC.space.layers)))
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    jobs = [(int(u), int(n)) for n in args.layers.split(",") for u in args.units.split(",")]
    jobs.sort(key=lambda j: j[0] * j[0] * j[1], reverse=True)  # largest first
    print(
        f"lstmsizer {lstmsizer.__version__}, torch {torch.__version__}, python "
        f"{platform.python_version()}, {platform.machine()}, {args.workers} workers x 1 thread, "
        f"sunspots, {SPEC.split.folds} folds x seeds {SPEC.seed_list()}, device "
        f"{device_name(resolve_device(None))}"
    )
    old, old_s = run("old", jobs, args.workers)
    new, new_s = run("new", jobs, args.workers)
    print(
        f"{'configuration':>16} {'old RMSE ± SE':>15} {'epochs':>6} {'new RMSE ± SE':>15} "
        f"{'epochs':>6} {'lr':>6} {'under':>5}"
    )
    for job in sorted(jobs, key=lambda j: (j[1], j[0])):
        rows = new[job][0]
        under = sum(r["under_trained"] for r in rows)
        label = f"{job[1]}x LSTM({job[0]})"
        print(f"{label:>16} {_cell(old[job][0])} {_cell(rows)} {rows[0]['lr']:6.0e} {under:5.0f}")
    print(f"old protocol {old_s:.1f} s, new protocol {new_s:.1f} s: {new_s / old_s:.2f}x the time")


if __name__ == "__main__":
    main()
