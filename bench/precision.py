"""bf16 autocast against fp32: the training step's speed per size, and the sweep's answer.

Speed: one training step as lstmsizer trains it (step.TrainStep: fused Adam, the forward pass
under bf16 autocast, the loss, weights and optimizer in fp32) of LSTM(units) x layers, batch
32, 12 lags, one thread; fp32 and bf16 steps of every size alternate round by round in the
same run, so load hits both alike (on --device; the sweeps train where lstmsizer.sweep does:
CUDA when present). Prints the median milliseconds, fp32 / bf16 (above 1: bf16 is faster)
and what precision auto resolves to for that size on this device.

Answer: the same sweep twice, precision fp32 and precision bf16: per configuration the mean
validation RMSE under each, the paired difference bf16 - fp32 over the (seed, fold) cells
with its SE, whether |diff| < SE; the paired SE the fp32 answer is decided on (the one-SE
rule's, against the best configuration) and whether |diff| is below it; and the paired
one-SE recommendation of each. Default: the
default sunspots sweep (lstmsizer.sweep); --units/--layers/--epochs make it smaller; --w2
runs W2 instead (bench/w2.py: sunspots, 80/20 split, 1 layer, Adam 1e-3, 100 epochs, no early
stopping, seeds 0-2). A size goes into lstmsizer.precision.MEASURED only where bf16 is faster
and the answer is the same.

    python bench/precision.py [--units 32,64,...] [--layers 1,2] [--epochs N] [--w2]
        [--workers 2] [--repeats 30] [--skip-speed] [--skip-answer]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

import lstmsizer
from lstmsizer.config import ModelSpec, Precision
from lstmsizer.datasets import get
from lstmsizer.onese import one_se_rule, paired_stats, rmse_matrix
from lstmsizer.precision import describe_auto, native_bf16, resolve_precision
from lstmsizer.runtime import device_name, resolve_device, using_threads
from lstmsizer.sizes import config_label
from lstmsizer.splits import Split
from lstmsizer.sweeping.folds import train_configuration
from lstmsizer.sweeping.plan import Configuration
from lstmsizer.sweepspec import SweepSpec
from lstmsizer.timing import TimedStep, time_rounds

SPEED_UNITS, SPEED_LAYERS = "32,64,128,256,512", "1,2"
W2_UNITS, W2_EPOCHS, W2_TRAIN_END = "1,2,4,8,16,32,64,100,128,256", 100, 247
BATCH, LAGS = 32, 12
PRECISIONS: tuple[Precision, ...] = ("fp32", "bf16")


def _step(model: ModelSpec, precision: Precision, dev: torch.device) -> TimedStep:
    """One network and its training step at one precision, weights and batch seeded."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return TimedStep(model, LAGS, 1, BATCH, dev, precision)


def speed(units: list[int], layers: list[int], dev: torch.device, repeats: int) -> None:
    """Median step time of every size in fp32 and bf16, measured round-robin."""
    models = [ModelSpec(units=u, layers=n) for n in layers for u in units]
    steps = [_step(m, p, dev) for m in models for p in PRECISIONS]
    with using_threads(1):
        times = time_rounds(steps, warmup=3, repeats=repeats, tick=lambda: None)
    print(f"{'configuration':>18} {'fp32 ms':>9} {'bf16 ms':>9} {'fp32/bf16':>9} {'auto':>5}")
    for k, model in enumerate(models):
        fp32, bf16 = (statistics.median(times[2 * k + j]) * 1e3 for j in range(2))
        label = config_label(model.cell, model.units, model.layers, model.activation)
        auto = resolve_precision("auto", model, dev)
        print(f"{label:>18} {fp32:9.3f} {bf16:9.3f} {fp32 / bf16:8.2f}x {auto:>5}")


def _w2_runs(job: tuple[int, str, int]) -> list[dict[str, object]]:
    units, precision, epochs = job
    data = get("sunspots")
    spec = SweepSpec().replace(
        lags=LAGS, epochs=epochs, batch_size=BATCH, patience=None, seeds=3, lr=1e-3,
        lr_patience=None, min_epochs=0, restarts=0, precision=precision,
    )  # fmt: skip
    split = Split(n=len(data), train_end=W2_TRAIN_END, lags=LAGS, horizon=1)
    config = Configuration(ModelSpec("lstm", units, 1))
    return train_configuration(config, spec, data, [split]).rows


def w2(units: list[int], precision: str, epochs: int, workers: int) -> pd.DataFrame:
    """W2's runs at one precision, one row per (units, seed)."""
    jobs = [(u, precision, epochs) for u in sorted(units, reverse=True)]  # largest first
    with mp.get_context("spawn").Pool(workers) as pool:
        return pd.DataFrame([row for rows in pool.map(_w2_runs, jobs) for row in rows])


def sweep(spec: SweepSpec, precision: str, workers: int, out: Path) -> pd.DataFrame:
    """The sweep's runs at one precision (lstmsizer.sweep, a run folder of its own)."""
    found = lstmsizer.sweep(
        get("sunspots"), spec.replace(precision=precision), out=out / precision, workers=workers,
        progress=False,
    )  # fmt: skip
    return found.runs


def answer(runs: dict[str, pd.DataFrame], seconds: dict[str, float]) -> None:
    """Per configuration: mean RMSE of each precision, their paired difference, and the
    paired one-SE recommendation of each precision."""
    cell = ["config", "seed", "fold"]
    both = runs["fp32"].merge(runs["bf16"], on=cell, suffixes=("_fp32", "_bf16"))
    print(
        f"{'configuration':>18} {'fp32 RMSE':>9} {'bf16 RMSE':>9} {'bf16 - fp32':>17} "
        f"{'|d|<SE':>6} {'paired SE':>9} {'|d|<pSE':>7} {'trained':>9}"
    )
    noise = _answer_noise(runs["fp32"])
    for _, rows in both.groupby("config", sort=False):
        d = (rows["rmse_bf16"] - rows["rmse_fp32"]).to_numpy(dtype=float)
        mean, se, _ = paired_stats(d)
        same = bool(abs(float(mean)) < float(se)) if np.isfinite(se) else float(mean) == 0.0
        trained = "/".join(",".join(sorted(set(map(str, rows[f"precision_{p}"])))) for p in runs)
        first = rows.iloc[0]
        label = config_label(
            first["cell_fp32"], first["units_fp32"], first["layers_fp32"], first["activation_fp32"]
        )
        print(
            f"{label:>18} {rows['rmse_fp32'].mean():9.2f} {rows['rmse_bf16'].mean():9.2f} "
            f"{float(mean):+8.3f} ± {float(se):6.3f} {same!s:>6} "
            f"{noise[str(first['config'])]:9.3f} "
            f"{abs(float(mean)) < noise[str(first['config'])]!s:>7} {trained:>9}"
        )
    chosen = {}
    for precision, frame in runs.items():
        matrix = rmse_matrix(frame)
        rule = one_se_rule(matrix.rmse, matrix.parameters)
        chosen[precision] = _label(frame, matrix.configs[int(rule.recommended)])
        best = _label(frame, matrix.configs[int(rule.best)])
        print(
            f"{precision}: recommends {chosen[precision]} (best mean RMSE {best}), "
            f"{seconds[precision]:.1f} s"
        )
    print(f"same recommendation: {chosen['fp32'] == chosen['bf16']}")


def _answer_noise(runs: pd.DataFrame) -> dict[str, float]:
    """The noise the fp32 answer is decided on, per configuration: the one-SE rule's paired
    SE against the best configuration; for the best itself, the SE of its mean RMSE over the
    (seed, fold) cells. A precision that moves a configuration's mean RMSE by less than this
    cannot change which configurations the rule calls as good as the best."""
    matrix = rmse_matrix(runs)
    rule = one_se_rule(matrix.rmse, matrix.parameters)
    noise = {}
    for c, config in enumerate(matrix.configs):
        cells = matrix.rmse[c][np.isfinite(matrix.rmse[c])]
        own = float(np.std(cells, ddof=1) / np.sqrt(len(cells))) if len(cells) > 1 else np.nan
        noise[config] = own if c == int(rule.best) else float(rule.se[c])
    return noise


def _label(runs: pd.DataFrame, config: str) -> str:
    row = runs[runs["config"] == config].iloc[0]
    return config_label(row["cell"], row["units"], row["layers"], row["activation"])


def _machine(dev: torch.device, workers: int) -> str:
    return (
        f"lstmsizer {lstmsizer.__version__}, torch {torch.__version__}, python "
        f"{platform.python_version()}, CPU {device_name(torch.device('cpu'))} "
        f"({os.cpu_count()} cores), device {device_name(dev)}; native bf16 on it: "
        f"{'yes' if native_bf16(dev) else 'no'}; auto: {describe_auto(dev)}; speed 1 thread, "
        f"sweeps {workers} workers x 1 thread"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", help="widths (default: each part's own)")
    parser.add_argument("--layers", help="depths (default: each part's own)")
    parser.add_argument("--epochs", type=int, help="epoch cap of the sweeps")
    parser.add_argument("--w2", action="store_true", help="W2 instead of the default sweep")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=30, help="timed steps per size")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: CUDA if present)")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-answer", action="store_true")
    args = parser.parse_args()
    dev = resolve_device(args.device)
    print(_machine(dev, args.workers))
    if not args.skip_speed:
        units = [int(u) for u in (args.units or SPEED_UNITS).split(",")]
        speed(units, [int(n) for n in (args.layers or SPEED_LAYERS).split(",")], dev, args.repeats)
    if args.skip_answer:
        return
    runs, seconds = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for precision in PRECISIONS:
            start = time.perf_counter()
            if args.w2:
                units = [int(u) for u in (args.units or W2_UNITS).split(",")]
                runs[precision] = w2(units, precision, args.epochs or W2_EPOCHS, args.workers)
            else:
                changes = {"units": args.units, "layers": args.layers}
                spec = SweepSpec().replace(
                    **{k: [int(v) for v in s.split(",")] for k, s in changes.items() if s},
                    **({"epochs": args.epochs} if args.epochs else {}),
                )
                runs[precision] = sweep(spec, precision, args.workers, Path(tmp))
            seconds[precision] = time.perf_counter() - start
    answer(runs, seconds)


if __name__ == "__main__":
    main()
