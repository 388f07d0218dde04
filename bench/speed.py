"""Speed versus units on this machine: training-step time per size next to the matmul peak.

Runs lstmsizer.speed.measure_speed (12 lags, 1 feature, batch 32, one LSTM layer) over the
default sizes, prints the table, the comparisons of multiples of 32 with their neighbours and
the verdict; --json also writes the full result.

    python bench/speed.py [--repeats 20] [--warmup 3] [--threads 1] [--device cpu] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import time

import pandas as pd

from lstmsizer.speed import measure_speed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--device", default=None)
    parser.add_argument("--json", default=None, help="also write the result here")
    args = parser.parse_args()
    start = time.perf_counter()
    result = measure_speed(
        repeats=args.repeats,
        warmup=args.warmup,
        threads=args.threads,
        device=args.device,
        progress=None,
    )
    seconds = time.perf_counter() - start
    versions = ", ".join(f"{k} {v}" for k, v in result.versions.items())
    print(f"{result.device} ({result.device_name}), {result.threads} thread(s), {versions}")
    print(
        f"{result.cell} x {result.layers}, {result.lags} lags, {result.features} feature(s), "
        f"batch {result.batch_size}; median of {result.repeats} steps after {result.warmup}; "
        f"{seconds:.1f} s in all"
    )
    print(f"matmul peak (float32 1024^3): {result.matmul_gflops:.1f} GFLOP/s")
    with pd.option_context("display.width", 120, "display.float_format", "{:.3f}".format):
        print(result.table.to_string(index=False))
    for c in result.comparisons:
        print(
            f"{c['b']:>4} vs {c['a']:>4}: time {c['time_ratio']:.2f}x, "
            f"FLOPs {c['flop_ratio']:.2f}x, time per FLOP {c['time_per_flop_ratio']:.2f}x"
        )
    print(result.verdict)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(result.to_dict(), out, indent=2)


if __name__ == "__main__":
    main()
