"""Do the claims give the same verdict run after run? `lstmsizer claims` three times in a row.

Runs the quick claims on the default data (sunspots, 12 lags, seed 0) `--runs` times, each in
a fresh process as a user would, and prints every claim's verdict and figure per run, then
whether the verdicts agree. The trainings are seeded, so only the timing can move; a figure
near its threshold should come out "cannot tell" every time rather than flip.

    python bench/claims_stability.py [--runs 3] [--full] [--keep DIR]

--keep writes each run's claims.json into DIR as run-1.json, run-2.json, ...
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

import lstmsizer


def one_run(full: bool, keep: Path | None, k: int) -> tuple[dict[str, Any], float]:
    """claims.json of one `lstmsizer claims` process, and its wall time."""
    with tempfile.TemporaryDirectory() as folder:
        out = (keep or Path(folder)) / f"run-{k}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "lstmsizer", "claims", "--no-progress", "--out", str(out)]
        start = time.perf_counter()
        done = subprocess.run(
            [*command, *(["--full"] if full else [])], capture_output=True, text=True
        )
        if done.returncode != 0:
            sys.exit(f"run {k} failed with status {done.returncode}:\n{done.stderr}")
        return json.loads(out.read_text()), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args()
    print(
        f"lstmsizer {lstmsizer.__version__}, torch {torch.__version__}, python "
        f"{platform.python_version()}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, {'full' if args.full else 'quick'} settings"
    )
    verdicts: dict[str, list[str]] = {}
    for k in range(args.runs):
        payload, seconds = one_run(args.full, args.keep, k + 1)
        print(f"\nrun {k + 1}: {seconds:.0f} s")
        for claim in payload["claims"]:
            figures = "; ".join(
                f"{label} {f['estimate']:.3g} [{f['low']:.3g}, {f['high']:.3g}]"
                if f["low"] is not None and f["high"] is not None
                else f"{label} {f['estimate']}"
                for label, f in claim["figures"].items()
            )
            print(f"  {claim['claim']:<34} {claim['verdict']:<14} {figures}")
            verdicts.setdefault(claim["claim"], []).append(claim["verdict"])
    same = [name for name, seen in verdicts.items() if len(set(seen)) == 1]
    print(f"\nthe same verdict in every run: {len(same)} of {len(verdicts)} claims")
    for name, seen in verdicts.items():
        if len(set(seen)) > 1:
            print(f"  differs: {name}: {', '.join(seen)}")


if __name__ == "__main__":
    main()
