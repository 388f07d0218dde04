"""W2, a units sweep: lstmsizer against a plain one-model-at-a-time PyTorch loop, same run.

Sunspots, 12 lags, first 80% train / last 20% validation, min-max scaling fitted on train,
one LSTM layer + Dense(1), Adam 1e-3, MSE, batch 32, 100 epochs, no early stopping, units
{1,2,4,8,16,32,64,100,128,256} x seeds {0,1,2}; RMSE on the original scale.

The plain loop is what one writes by hand: torch.nn.LSTM (with Keras's single bias, as
lstmsizer) + nn.Linear, one model after the other, torch's default threads and Adam.
lstmsizer runs its sweep engine (sweep.runs): the seeds of a configuration train as one
batched network where that measured faster, configurations are shared among worker
processes (one thread each). Also prints lstmsizer's time with the
early stopping (patience 10 on the block carved from the end of the training part, never
on the scored validation block).

    python bench/w2.py [--units 1,2,...] [--workers 2]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import platform
import statistics
import time

import numpy as np
import torch
from torch import nn

import lstmsizer
from lstmsizer.config import ModelSpec
from lstmsizer.datasets import get
from lstmsizer.splits import Split
from lstmsizer.sweeping.folds import train_configuration
from lstmsizer.sweeping.plan import Configuration
from lstmsizer.sweepspec import SweepSpec

UNITS = "1,2,4,8,16,32,64,100,128,256"
SEEDS = (0, 1, 2)
LAGS, EPOCHS, BATCH, TRAIN_END = 12, 100, 32, 247


def plain_run(series: np.ndarray, units: int, seed: int) -> float:
    """One model trained by a hand-written loop; validation RMSE on the original scale."""
    lo, hi = series[:TRAIN_END].min(), series[:TRAIN_END].max()
    scaled = (series - lo) / (hi - lo)
    idx = np.arange(len(series) - LAGS)
    x = torch.tensor(np.stack([scaled[i : i + LAGS] for i in idx]), dtype=torch.float32)[..., None]
    y = torch.tensor(scaled[LAGS:], dtype=torch.float32)[:, None]
    n_train = TRAIN_END - LAGS
    torch.manual_seed(seed)
    lstm, head = nn.LSTM(1, units, batch_first=True), nn.Linear(units, 1)
    with torch.no_grad():  # one bias vector, as in Keras and lstmsizer
        lstm.bias_hh_l0.zero_()
    lstm.bias_hh_l0.requires_grad_(False)
    params = [p for p in [*lstm.parameters(), *head.parameters()] if p.requires_grad]
    opt = torch.optim.Adam(params, lr=1e-3)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(EPOCHS):
        order = torch.randperm(n_train, generator=gen)
        for first in range(0, n_train, BATCH):
            b = order[first : first + BATCH]
            loss = nn.functional.mse_loss(head(lstm(x[b])[0][:, -1]), y[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        pred = head(lstm(x[n_train:])[0][:, -1])[:, 0].numpy() * (hi - lo) + lo
    return float(np.sqrt(np.mean((pred - series[TRAIN_END:]) ** 2)))


def _ours(args: tuple[int, int | None]) -> list[dict[str, object]]:
    units, patience = args
    data = get("sunspots")
    # W2's fixed protocol: Adam 1e-3, no learning-rate cuts, no warm-up, no restarts
    spec = SweepSpec().replace(
        lags=LAGS,
        epochs=EPOCHS,
        batch_size=BATCH,
        patience=patience,
        seeds=3,
        lr=1e-3,
        lr_patience=None,
        min_epochs=0,
        restarts=0,
    )
    split = Split(n=len(data), train_end=TRAIN_END, lags=LAGS, horizon=1)
    config = Configuration(ModelSpec("lstm", units, 1))
    return train_configuration(config, spec, data, [split]).rows


def lstmsizer_sweep(units: list[int], workers: int, patience: int | None) -> tuple[float, dict]:
    start = time.perf_counter()
    # Largest first, so the long configurations do not end up alone at the end.
    jobs = [(u, patience) for u in sorted(units, reverse=True)]
    with mp.get_context("spawn").Pool(workers) as pool:
        rows = [row for rows in pool.map(_ours, jobs, chunksize=1) for row in rows]
    seconds = time.perf_counter() - start
    rmse: dict[int, list[float]] = {}
    for row in rows:
        rmse.setdefault(int(str(row["units"])), []).append(float(str(row["rmse"])))
    return seconds, rmse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", default=UNITS)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    units = [int(u) for u in args.units.split(",")]
    series = get("sunspots").values
    print(
        f"lstmsizer {lstmsizer.__version__}, torch {torch.__version__}, python "
        f"{platform.python_version()}, {platform.machine()}, plain loop threads "
        f"{torch.get_num_threads()}, lstmsizer workers {args.workers} x 1 thread"
    )
    start = time.perf_counter()
    plain = {u: [plain_run(series, u, s) for s in SEEDS] for u in units}
    plain_s = time.perf_counter() - start
    ours_s, ours = lstmsizer_sweep(units, args.workers, None)
    early_s, early = lstmsizer_sweep(units, args.workers, 10)
    print(f"{'units':>5} {'plain RMSE':>16} {'lstmsizer RMSE':>16} {'agree':>6}")
    for u in units:
        p, o = plain[u], ours[u]
        # one standard deviation of the difference of a plain run and an lstmsizer run
        spread = (statistics.stdev(p) ** 2 + statistics.stdev(o) ** 2) ** 0.5
        agree = abs(statistics.mean(p) - statistics.mean(o)) <= spread
        print(
            f"{u:5} {statistics.mean(p):8.2f} ± {statistics.stdev(p):5.2f} "
            f"{statistics.mean(o):8.2f} ± {statistics.stdev(o):5.2f} {agree!s:>6}"
        )
    for label, found in (("", ours), (" with early stopping", early)):
        best = min(units, key=lambda u: statistics.mean(found[u]))
        print(f"best lstmsizer mean RMSE{label} {statistics.mean(found[best]):.2f} at {best} units")
    print(
        f"plain loop {plain_s:.1f} s, lstmsizer {ours_s:.1f} s: {plain_s / ours_s:.2f}x faster; "
        f"with early stopping (patience 10) {early_s:.1f} s: {plain_s / early_s:.2f}x faster"
    )


if __name__ == "__main__":
    main()
