"""The default sunspots sweep three ways, same run: naive, lstmsizer's defaults, the old protocol.

- naive: one model at a time, fp32, no racing (precision fp32, batching off, race off); the
  protocol otherwise the defaults', so it gives the converged answer at its full cost.
- defaults: SweepSpec() as `lstmsizer sweep` runs it.
- old: the protocol before the converged defaults, for reference: at most 100 epochs,
  patience 10, Adam 1e-3 fixed (no rate search), no warm-up, no rate cuts, no restarts
  (bench/convergence.py's OLD). The old protocol stopped on the scored validation block,
  which a sweep never shows to training; its stand-in is the block carved from the end of
  the training part (--old-stop-fraction, default TrainSpec's 0.15; 0 watches the training
  loss, which stops later). Precision, batching and racing stay at the defaults, so the
  old protocol gets every speed-up the defaults get.

Each way runs lstmsizer.sweep into its own fresh run folder (temporary unless --out) with the
same workers. Prints the machine, each wall time, naive / defaults and defaults / old, the
three recommendations, how many configurations racing stopped early under the defaults,
and the targets: defaults at least 4x faster than naive, no slower than old, and the same
recommendation as naive.

    python bench/sweep.py [--units 1,2,...] [--layers 1,2] [--workers N]
                          [--only naive,defaults,old] [--out DIR] [--epochs N]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch

import lstmsizer
from lstmsizer.config import DEFAULT_THREADS, TrainSpec
from lstmsizer.rundir.sweep import raced_ids
from lstmsizer.runtime import device_name, resolve_device
from lstmsizer.sweeping import default_workers
from lstmsizer.sweepspec import SweepSpec

WAYS = ("naive", "defaults", "old")
NAIVE = {"precision": "fp32", "batching": "off", "race": False}
OLD_EPOCHS = 100
OLD = {"patience": 10, "lr": 1e-3, "min_epochs": 0, "lr_patience": None, "restarts": 0}
FASTER_THAN_NAIVE = 4.0
"""Target: the defaults at least this many times faster than the naive way."""


@dataclass(frozen=True)
class Outcome:
    """One way's sweep: its wall time and what it recommended.

    Attributes:
        way: naive, defaults or old.
        seconds: Wall time of the lstmsizer.sweep call.
        config: Id of the recommended configuration.
        label: Its Keras-style name.
        mean_rmse: Its mean validation RMSE over seeds x folds.
        se_rmse: The standard error of that mean.
        configurations: Configurations the sweep settled.
        raced: Configurations racing stopped before their last fold.
    """

    way: str
    seconds: float
    config: str
    label: str
    mean_rmse: float
    se_rmse: float
    configurations: int
    raced: int


def way_spec(way: str, base: SweepSpec, epochs: int | None, old_stop: float) -> SweepSpec:
    """The spec of one way; epochs caps every way (smoke tests only)."""
    cap = {} if epochs is None else {"epochs": epochs}
    if way == "naive":
        return base.replace(**NAIVE, **cap)
    if way == "old":
        old_cap = OLD_EPOCHS if epochs is None else min(epochs, OLD_EPOCHS)
        return base.replace(**OLD, epochs=old_cap, stop_fraction=old_stop)
    return base.replace(**cap)


def run_way(way: str, spec: SweepSpec, out: Path, workers: int) -> Outcome:
    """One lstmsizer.sweep into the fresh folder out, timed."""
    start = time.perf_counter()
    result = lstmsizer.sweep(spec=spec, out=out, workers=workers)
    seconds = time.perf_counter() - start
    rec = result.recommendation
    return Outcome(
        way,
        seconds,
        rec.config,
        rec.label,
        rec.mean_rmse,
        rec.se_rmse,
        len(result.table),
        len(raced_ids(result.table)),
    )


def _target(name: str, passed: bool | None, detail: str) -> str:
    verdict = "n/a" if passed is None else "PASS" if passed else "FAIL"
    return f"{verdict:4} {name}: {detail}"


def report(found: dict[str, Outcome]) -> list[str]:
    """The recommendations, ratios and targets of the ways that ran."""
    lines = [f"{'way':>8} {'seconds':>9} {'configs':>7} {'raced':>5}  recommendation"]
    for o in found.values():
        lines.append(
            f"{o.way:>8} {o.seconds:9.1f} {o.configurations:7} {o.raced:5}  {o.label} "
            f"({o.config}), {o.mean_rmse:.2f} ± {o.se_rmse:.2f}"
        )
    naive, ours, old = (found.get(way) for way in WAYS)
    speedup = None if naive is None or ours is None else naive.seconds / ours.seconds
    versus_old = None if old is None or ours is None else ours.seconds / old.seconds
    same = None if naive is None or ours is None else naive.config == ours.config
    if speedup is not None:
        lines.append(f"naive / defaults {speedup:.2f}x")
    if versus_old is not None:
        lines.append(f"defaults / old {versus_old:.2f}x")
    if ours is not None:
        lines.append(f"raced out under the defaults: {ours.raced} of {ours.configurations}")
    lines += [
        _target(
            f"defaults >= {FASTER_THAN_NAIVE:g}x faster than naive",
            None if speedup is None else speedup >= FASTER_THAN_NAIVE,
            "not run" if speedup is None else f"{speedup:.2f}x",
        ),
        _target(
            "defaults no slower than old",
            None if versus_old is None else versus_old <= 1.0,
            "not run" if versus_old is None else f"{versus_old:.2f}x the old time",
        ),
        _target(
            "same recommendation as naive",
            same,
            "not run" if same is None or naive is None or ours is None
            else f"defaults {ours.label}, naive {naive.label}",
        ),
    ]  # fmt: skip
    return lines


def _machine(workers: int) -> str:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    device = resolve_device(None)
    return (
        f"lstmsizer {lstmsizer.__version__}, torch {torch.__version__}, python "
        f"{platform.python_version()}, {device_name(torch.device('cpu'))}, {cores} cores, "
        f"{workers} workers x {DEFAULT_THREADS} thread, device {device_name(device)}"
    )


def _ways(text: str, parser: argparse.ArgumentParser) -> list[str]:
    ways = [w.strip() for w in text.split(",") if w.strip()]
    unknown = [w for w in ways if w not in WAYS]
    if unknown or not ways:
        parser.error(f"--only must list some of {', '.join(WAYS)}, got {text!r}")
    return [w for w in WAYS if w in ways]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", default=None, help="widths, e.g. 1,2,4 (default grid)")
    parser.add_argument("--layers", default=None, help="depths, e.g. 1,2 (default grid)")
    parser.add_argument("--workers", type=int, default=None, help="default: one per core")
    parser.add_argument("--only", default=",".join(WAYS), help="some of naive,defaults,old")
    parser.add_argument("--out", default=None, help="keep the run folders in DIR/<way>")
    parser.add_argument("--epochs", type=int, default=None, help="cap epochs (smoke tests)")
    parser.add_argument(
        "--old-stop-fraction",
        type=float,
        default=TrainSpec.stop_fraction,
        help="old: share of training windows its patience watches (0: the training loss)",
    )
    args = parser.parse_args()
    ways = _ways(args.only, parser)
    base = SweepSpec()
    if args.units:
        base = base.replace(units=tuple(int(u) for u in args.units.split(",")))
    if args.layers:
        base = base.replace(layers=tuple(int(n) for n in args.layers.split(",")))
    workers = default_workers() if args.workers is None else args.workers
    print(_machine(workers), flush=True)
    with tempfile.TemporaryDirectory(prefix="lstmsizer-bench-") as tmp:
        root = Path(args.out) if args.out else Path(tmp)
        for way in ways:
            if (root / way).exists() and any((root / way).iterdir()):
                parser.error(f"--out {root / way} is not empty: a sweep there would resume")
        found = {}
        for way in ways:
            spec = way_spec(way, base, args.epochs, args.old_stop_fraction)
            found[way] = run_way(way, spec, root / way, workers)
            print(f"{way}: {found[way].seconds:.1f} s", flush=True)
    print("\n".join(report(found)))


if __name__ == "__main__":
    main()
