"""Which initialisation should be the default? W2 trained with init="torch" and init="keras".

W2 of PRODUCT.md: sunspots, 12 lags, first 80% train / last 20% validation, min-max scaling
fitted on train, one LSTM layer + Dense(1), Adam 1e-3, MSE, batch 32, 100 epochs, units
{1,2,4,8,16,32,64,100,128,256} x seeds {0,1,2}; RMSE on the original scale, next to linear
AR(12) and the last value on the same validation targets.

    python bench/init.py [--units 1,2,...] [--seeds 3] [--epochs 100]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import torch

import lstmsizer
from lstmsizer.baselines import LinearAR, Naive
from lstmsizer.config import ModelSpec, SplitSpec, TrainSpec, WindowSpec
from lstmsizer.datasets import get
from lstmsizer.evaluation import fit_and_score

UNITS = "1,2,4,8,16,32,64,100,128,256"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", default=UNITS)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=100)
    args = parser.parse_args()
    data = get("sunspots")
    window = WindowSpec(lags=12)
    print(
        f"lstmsizer {lstmsizer.__version__}, torch {torch.__version__}, python "
        f"{platform.python_version()}, {platform.machine()}, threads 1, seeds 0..{args.seeds - 1}"
    )
    for init in ("torch", "keras"):
        start = time.perf_counter()
        best = (float("inf"), 0)
        for units in (int(u) for u in args.units.split(",")):
            rmse = []
            for seed in range(args.seeds):
                result = fit_and_score(
                    data,
                    window,
                    ModelSpec(units=units, init=init),  # type: ignore[arg-type]
                    TrainSpec(epochs=args.epochs, batch_size=32, seed=seed, progress=False),
                    SplitSpec(val_fraction=0.2),
                    baselines=[LinearAR(12), Naive()],
                )
                table = result.table.set_index("model")
                rmse.append(float(table.loc[result.forecaster.name, "rmse"]))
            mean = statistics.mean(rmse)
            best = min(best, (mean, units))
            print(f"init={init:5} units {units:4}: RMSE {mean:6.2f} ± {statistics.stdev(rmse):.2f}")
        ar, last = table.loc["linear AR(12)", "rmse"], table.loc["naive", "rmse"]
        print(
            f"init={init}: best mean RMSE {best[0]:.2f} at {best[1]} units; linear AR(12) "
            f"{ar:.2f}, last value {last:.2f}; {time.perf_counter() - start:.0f} s"
        )


if __name__ == "__main__":
    main()
