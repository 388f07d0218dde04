"""W2, a units sweep: lstmsizer against a plain loop and the fp32 FLOP floor, same run.

Sunspots, 12 lags, first 80% train / last 20% validation, min-max scaling fitted on train,
one LSTM layer + Dense(1), Adam 1e-3, MSE, batch 32, 100 epochs, no early stopping, units
{1,2,4,8,16,32,64,100,128,256} x seeds {0,1,2}; RMSE on the original scale.

The plain loop is what one writes by hand: torch.nn.LSTM (with Keras's single bias, as
lstmsizer) + nn.Linear, one model after the other, torch's default threads and Adam.
lstmsizer runs its sweep engine (sweep.runs): the seeds of a configuration train as one
batched network where that measured faster, configurations are shared among worker
processes (one thread each), once with precision fp32 and once with auto (bf16 autocast
only where the hardware has native bf16 and it measured faster; fp32 elsewhere).

The floor is the time W2's training arithmetic would take at the fp32 matmul peak:
sizes.training_flops (3 forward passes per training window: forward, then backward for the
inputs and for the weights) x 235 windows x 100 epochs x 3 seeds, summed over units, over
timing.matmul_peak per core (threads=1) x the cores lstmsizer uses (workers x threads), or
over the GPU's peak when lstmsizer trains on CUDA. No run can beat it in fp32; its ratio says
how far small recurrent models stay from the matmul peak. Also prints lstmsizer's time with
early stopping (patience 10 on the block carved from the end of the training part, never on
the scored validation block).

    python bench/w2.py [--units 1,2,...] [--workers 2] [--epochs 100]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import statistics
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

import lstmsizer
from lstmsizer.config import DEFAULT_THREADS, ModelSpec, WindowSpec
from lstmsizer.datasets import get
from lstmsizer.onese import paired_stats
from lstmsizer.precision import describe_auto, native_bf16, resolve_precision
from lstmsizer.runtime import device_name, resolve_device
from lstmsizer.seeds import batching_choice
from lstmsizer.sizes import TRAINING_FLOPS_FACTOR, training_flops
from lstmsizer.splits import Split
from lstmsizer.sweeping.folds import train_configuration
from lstmsizer.sweeping.plan import Configuration
from lstmsizer.sweepspec import SweepSpec
from lstmsizer.timing import matmul_peak

UNITS = "1,2,4,8,16,32,64,100,128,256"
SEEDS = (0, 1, 2)
LAGS, EPOCHS, BATCH, TRAIN_END = 12, 100, 32, 247
PRECISIONS = ("fp32", "auto")

Rmse = dict[int, dict[int, float]]
"""RMSE by units, then by seed."""


def plain_run(series: np.ndarray, units: int, seed: int, epochs: int) -> float:
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
    for _ in range(epochs):
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


def _ours(args: tuple[int, int | None, str, int]) -> list[dict[str, object]]:
    units, patience, precision, epochs = args
    data = get("sunspots")
    # W2's fixed protocol: Adam 1e-3, no learning-rate cuts, no warm-up, no restarts
    spec = SweepSpec().replace(
        lags=LAGS,
        epochs=epochs,
        batch_size=BATCH,
        patience=patience,
        seeds=len(SEEDS),
        lr=1e-3,
        lr_patience=None,
        min_epochs=0,
        restarts=0,
        precision=precision,
    )
    split = Split(n=len(data), train_end=TRAIN_END, lags=LAGS, horizon=1)
    config = Configuration(ModelSpec("lstm", units, 1))
    return train_configuration(config, spec, data, [split]).rows


def lstmsizer_sweep(
    units: list[int], workers: int, patience: int | None, precision: str, epochs: int
) -> tuple[float, Rmse]:
    """Wall seconds of lstmsizer's runs of W2, and their RMSE by units and seed."""
    start = time.perf_counter()
    # Largest first, so the long configurations do not end up alone at the end.
    jobs = [(u, patience, precision, epochs) for u in sorted(units, reverse=True)]
    with mp.get_context("spawn").Pool(workers) as pool:
        rows = [row for rows in pool.map(_ours, jobs, chunksize=1) for row in rows]
    seconds = time.perf_counter() - start
    rmse: Rmse = {}
    for row in rows:
        by_seed = rmse.setdefault(int(str(row["units"])), {})
        by_seed[int(str(row["seed"]))] = float(str(row["rmse"]))
    return seconds, rmse


@dataclass(frozen=True)
class Floor:
    """W2's training arithmetic at the fp32 matmul peak of the hardware lstmsizer uses.

    Attributes:
        gflop: Training FLOPs of every run, in GFLOP.
        peak: fp32 matmul GFLOP/s of one core (threads=1), or of the whole GPU.
        cores: Cores the peak is multiplied by: workers x threads, or 1 for a GPU.
        seconds: gflop / (peak x cores).
    """

    gflop: float
    peak: float
    cores: int
    seconds: float


def flop_floor(units: list[int], epochs: int, cores: int, device: torch.device) -> Floor:
    """The fp32 floor of W2 at these units and epochs, measured on device."""
    window, windows = WindowSpec(lags=LAGS), TRAIN_END - LAGS
    flops = sum(training_flops(ModelSpec("lstm", u, 1), window, 1, windows, epochs) for u in units)
    gflop = flops * len(SEEDS) / 1e9
    if device.type == "cuda":
        peak, cores = matmul_peak(device), 1
    else:
        peak = matmul_peak(threads=1)
    return Floor(gflop, peak, cores, gflop / (peak * cores))


def _agreement(a: dict[int, float], b: dict[int, float]) -> str:
    """b - a paired over seeds: mean ± SE, and whether the mean lies within 2 SE of 0."""
    d = np.array([b[s] - a[s] for s in sorted(a) if s in b])
    mean, se, _ = paired_stats(d)
    same = float(mean) == 0.0 or abs(float(mean)) <= 2 * float(se)
    return f"{float(mean):+7.3f} ± {float(se):6.3f} {same!s:>6}"


def _cell(values: dict[int, float]) -> str:
    v = list(values.values())
    return f"{statistics.mean(v):8.2f} ± {statistics.stdev(v) if len(v) > 1 else 0.0:5.2f}"


def _auto(units: int, device: torch.device) -> str:
    """What precision auto trains LSTM(units) at here, batched as the sweep would."""
    model = ModelSpec("lstm", units, 1)
    batched = batching_choice(model, "auto", device).batched
    return resolve_precision("auto", model, device, batched=batched)


def _machine(workers: int, device: torch.device) -> str:
    auto = describe_auto(device)
    bf16 = "yes" if native_bf16(device) else "no"
    return (
        f"lstmsizer {lstmsizer.__version__}, torch {torch.__version__}, python "
        f"{platform.python_version()}, {device_name(torch.device('cpu'))}, {os.cpu_count()} "
        f"cores; plain loop {torch.get_num_threads()} threads; lstmsizer {workers} workers x "
        f"{DEFAULT_THREADS} thread on {device_name(device)}; native bf16 {bf16}, so precision "
        f"auto trains {auto}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", default=UNITS)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=EPOCHS, help="W2 trains 100")
    args = parser.parse_args()
    units, epochs = [int(u) for u in args.units.split(",")], args.epochs
    series, device = get("sunspots").values, resolve_device(None)
    print(_machine(args.workers, device))
    floor = flop_floor(units, epochs, args.workers * DEFAULT_THREADS, device)
    per = f"per core x {floor.cores} cores" if device.type == "cpu" else "(the whole GPU)"
    print(
        f"fp32 FLOP floor: {floor.gflop:.4g} GFLOP ({TRAINING_FLOPS_FACTOR} x forward FLOPs x "
        f"{TRAIN_END - LAGS} windows x {epochs} epochs x {len(SEEDS)} seeds, summed over units)"
        f" at {floor.peak:.1f} GFLOP/s {per}: {floor.seconds:.3g} s"
    )
    start = time.perf_counter()
    plain = {u: {s: plain_run(series, u, s, epochs) for s in SEEDS} for u in units}
    plain_s = time.perf_counter() - start
    found = {p: lstmsizer_sweep(units, args.workers, None, p, epochs) for p in PRECISIONS}
    early_s, early = lstmsizer_sweep(units, args.workers, 10, "auto", epochs)
    (fp32_s, fp32), (auto_s, auto) = found["fp32"], found["auto"]
    print(
        f"{'units':>5} {'plain RMSE':>16} {'fp32 RMSE':>16} {'auto RMSE':>16} "
        f"{'auto - fp32 (paired)':>24} {'auto ->':>7}"
    )
    for u in units:
        cells = " ".join(_cell(rmse[u]) for rmse in (plain, fp32, auto))
        print(f"{u:5} {cells} {_agreement(fp32[u], auto[u])} {_auto(u, device):>7}")
    for label, rmse in (("fp32", fp32), ("auto", auto), ("auto, early stopping", early)):
        means = {u: statistics.mean(rmse[u].values()) for u in units}
        best = min(units, key=means.__getitem__)
        print(f"best lstmsizer mean RMSE ({label}) {means[best]:.2f} at {best} units")
    print(
        f"seconds: plain loop {plain_s:.1f}, lstmsizer fp32 {fp32_s:.1f}, auto {auto_s:.1f}, "
        f"auto with early stopping (patience 10) {early_s:.1f}, fp32 floor {floor.seconds:.3g}"
    )
    print(
        f"plain / lstmsizer: fp32 {plain_s / fp32_s:.2f}x, auto {plain_s / auto_s:.2f}x; "
        f"lstmsizer / floor: fp32 {fp32_s / floor.seconds:.1f}x, auto "
        f"{auto_s / floor.seconds:.1f}x; plain / floor {plain_s / floor.seconds:.1f}x"
    )


if __name__ == "__main__":
    main()
