"""Time and peak memory of every baseline, from 1,000 to 1,000,000 values.

For each length, the first values of one stationary AR(2) series (lstmsizer.synthetic.ar) are
the data; every baseline of default_baselines(12) is fitted on all of them but the last 200,
then forecasts one step from each of those 200 origins: a fixed validation block, so what
grows with the length is the fit. Prints seconds (fit + forecasts) and the peak resident
memory above what the process held before that baseline (Linux: /proc/self/clear_refs
resets the peak; elsewhere "n/a"). ETS and ARIMA are fitted on at most FIT_VALUES values;
--fit-values times their model searches on 100,000 values at other settings of it, the
measurement behind that constant.

    python bench/baselines.py [--lengths 1000,10000,100000,1000000] [--fit-values 500,1000]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import scipy
import statsmodels
import torch  # loaded as in `lstmsizer fit`, with its thread pools

import lstmsizer
from lstmsizer import statbaselines
from lstmsizer.baselines import default_baselines
from lstmsizer.contract import Forecaster
from lstmsizer.synthetic import ar

VALIDATION = 200
LAGS = 12
_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_mib(key: str) -> float:
    for line in _STATUS.read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    raise KeyError(key)


def _cpu() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _blas_threads() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (no threadpoolctl)"
    return ", ".join(f"{p['internal_api']} {p['num_threads']}" for p in threadpool_info())


def header() -> str:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return "\n".join(
        [
            f"lstmsizer {lstmsizer.__version__}, statsmodels {statsmodels.__version__}, "
            f"scipy {scipy.__version__}, numpy {np.__version__}, torch {torch.__version__}, "
            f"python {platform.python_version()}",
            f"CPU {_cpu()}, {cores} usable cores, BLAS threads: {_blas_threads()} "
            f"(one inside ETS and ARIMA), load average {load}",
            f"FIT_VALUES {statbaselines.FIT_VALUES:,}, LONG_SEASON {statbaselines.LONG_SEASON}, "
            f"validation block: the last {VALIDATION} origins, one-step forecasts, {LAGS} lags",
        ]
    )


def measure(run: Callable[[], object]) -> tuple[float, float | None]:
    """Seconds of run() and its peak resident memory above the level before, in MiB."""
    try:
        _CLEAR_REFS.write_text("5")  # the peak (VmHWM) restarts from the current size
        before: float | None = _status_mib("VmRSS")
    except OSError:
        before = None
    start = time.perf_counter()
    run()
    seconds = time.perf_counter() - start
    peak = None if before is None else _status_mib("VmHWM") - before
    return seconds, peak


def fit_and_forecast(model: Forecaster, y: np.ndarray) -> None:
    train_end = y.size - VALIDATION
    model.fit(y, train_end=train_end)
    model.predict(y, np.arange(train_end, y.size))


def table(y_all: np.ndarray, lengths: list[int]) -> None:
    print(f"{'values':>10}  {'baseline':<58} {'seconds':>8} {'peak MiB':>9}")
    for n in lengths:
        y = y_all[:n]
        total = 0.0
        for model in default_baselines(LAGS):
            seconds, peak = measure(partial(fit_and_forecast, model, y))
            total += seconds
            mib = "n/a" if peak is None else f"{peak:.0f}"
            print(f"{n:>10,}  {model.name:<58} {seconds:>8.2f} {mib:>9}", flush=True)
        print(f"{n:>10,}  {'all baselines':<58} {total:>8.2f}", flush=True)


def fit_values(y: np.ndarray, settings: list[int]) -> None:
    print(f"\nETS and ARIMA model searches on {y.size:,} values, by FIT_VALUES")
    print(f"{'FIT_VALUES':>10}  {'ETS s':>7} {'ARIMA s':>8}  chosen")
    kept = statbaselines.FIT_VALUES
    try:
        for setting in settings:
            statbaselines.FIT_VALUES = setting
            ets, arima = statbaselines.AutoETS(), statbaselines.AutoARIMA()
            ets_seconds, _ = measure(partial(fit_and_forecast, ets, y))
            arima_seconds, _ = measure(partial(fit_and_forecast, arima, y))
            print(
                f"{setting:>10,}  {ets_seconds:>7.1f} {arima_seconds:>8.1f}  "
                f"{ets.name}; {arima.name}",
                flush=True,
            )
    finally:
        statbaselines.FIT_VALUES = kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", default="1000,10000,100000,1000000", help="'' for none")
    parser.add_argument("--fit-values", default="", help="e.g. 500,1000,2000,5000")
    args = parser.parse_args()
    lengths = [int(n) for n in args.lengths.split(",") if n]
    settings = [int(n) for n in args.fit_values.split(",") if n]
    print(header())
    y = ar(max([*lengths, 100_000 if settings else 0]), seed=0)
    if lengths:
        table(y, lengths)
    if settings:
        fit_values(y[:100_000], settings)


if __name__ == "__main__":
    main()
