"""Training speed against the unit count on this machine: are multiples of 8 or 32 faster?"""

from __future__ import annotations

import math
import platform
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, cast

import pandas as pd
import torch

from lstmsizer.config import Cell, ModelSpec, TrainSpec
from lstmsizer.errors import check, check_int
from lstmsizer.models import TRAINING_FLOPS_FACTOR, build_net, flops_per_sample
from lstmsizer.progress import progress_bar
from lstmsizer.step import TrainStep
from lstmsizer.training import device_name, resolve_device, using_threads
from lstmsizer.version import __version__

DEFAULT_UNITS: tuple[int, ...] = (8, 16, 32, 64, 96, 100, 127, 128, 129, 192, 255, 256, 384, 512)

COMPARED_PAIRS = ((100, 96), (100, 128), (127, 128), (129, 128), (255, 256))
"""(other, multiple of 32) pairs compared when both sizes were measured."""

TOLERANCE = 0.05
"""Time-per-FLOP ratios within 1 +/- TOLERANCE count as no measurable difference."""

VERDICT_FLOP_SPREAD = 0.10
"""Only pairs whose FLOP counts differ by less than this enter the overall verdict: between
sizes further apart, bigger matrices being more efficient would hide the effect of alignment."""


@dataclass(frozen=True)
class SpeedRow:
    """One measured size.

    Attributes:
        units: Units per recurrent layer.
        parameters: Trainable parameters of the network.
        flops_per_step: Training FLOPs per step: flops_per_sample x TRAINING_FLOPS_FACTOR x batch.
        step_ms: Median time of one training step (forward, backward, Adam step), milliseconds.
        step_ms_iqr: Interquartile range of the step times, milliseconds.
        samples_per_s: Windows trained per second at the median step time.
        gflops: Achieved GFLOP/s at the median step time.
    """

    units: int
    parameters: int
    flops_per_step: int
    step_ms: float
    step_ms_iqr: float
    samples_per_s: float
    gflops: float


@dataclass(frozen=True)
class SpeedResult:
    """Step times of every size next to this machine's matmul peak, and what they say.

    Attributes:
        rows: One SpeedRow per size, in the order measured.
        device: torch device, "cpu" or "cuda:0".
        device_name: CPU model or GPU name.
        threads: torch intra-op threads used.
        fused: Whether torch's fused recurrent layers ran (activation tanh).
        matmul_gflops: Peak GFLOP/s of a float32 1024 x 1024 matmul, same device and threads.
        comparisons: compare(rows): ratios of each measured COMPARED_PAIRS pair.
        verdict: verdict(comparisons): one sentence on multiples of 32.
        versions: lstmsizer, torch and python versions.

    The other fields repeat the arguments of measure_speed.
    """

    rows: tuple[SpeedRow, ...]
    device: str
    device_name: str
    threads: int
    lags: int
    features: int
    batch_size: int
    cell: str
    layers: int
    activation: str
    fused: bool
    repeats: int
    warmup: int
    matmul_gflops: float
    comparisons: tuple[dict[str, Any], ...]
    verdict: str
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def table(self) -> pd.DataFrame:
        """One row per size; peak_fraction is gflops over the matmul peak."""
        frame = pd.DataFrame([asdict(row) for row in self.rows])
        frame["peak_fraction"] = frame["gflops"] / self.matmul_gflops
        return frame

    def to_dict(self) -> dict[str, Any]:
        """Plain values for JSON."""
        out = asdict(self)
        out["rows"] = [asdict(row) for row in self.rows]
        out["comparisons"] = [dict(c) for c in self.comparisons]
        return out


def measure_speed(
    units: Sequence[int] = DEFAULT_UNITS,
    *,
    lags: int = 12,
    features: int = 1,
    batch_size: int = 32,
    cell: str = "lstm",
    layers: int = 1,
    activation: str = "tanh",
    device: str | None = None,
    threads: int | None = None,
    repeats: int = 20,
    warmup: int = 3,
    progress: bool | None = False,
) -> SpeedResult:
    """Time training steps for every size, round-robin, and compare sizes per FLOP.

    Every round times one step of each size in turn, so load from other processes hits all
    sizes alike; each timed step directly follows an untimed step of the same size. Inputs
    are random (batch_size, lags, features) windows; weights are seeded, and torch's global
    RNG is left as it was. On a busy machine the ratio of two sizes moves by a few percent
    from run to run (up to +/-5% on a shared 2-core machine, with 20 or 50 repeats alike), as
    much as TOLERANCE: a verdict from ratios near 0.95 or 1.05 is worth running again.

    Args:
        units: Sizes to measure, distinct integers >= 1.
        lags: Window length (L).
        features: Features per time step (F).
        batch_size: Windows per step (B).
        cell: lstm, gru or rnn.
        layers: Stacked recurrent layers.
        activation: Cell activation; other than tanh runs the hand-written, slower layers.
        device: "cpu", "cuda", "cuda:N", or None for CUDA when present, else the CPU.
        threads: torch intra-op threads; None uses lstmsizer.training.DEFAULT_THREADS.
        repeats: Timed rounds; the median step time of each size is reported.
        warmup: Untimed rounds first.
        progress: Show a progress bar on stderr; None shows it when stderr is a terminal.

    Returns:
        SpeedResult with one row per size, the matmul peak, comparisons and a verdict.

    Raises:
        OptionError: An argument is out of range, or CUDA was asked for and is absent.
    """
    sizes = _check_arguments(
        units, warmup, lags=lags, features=features, batch_size=batch_size, repeats=repeats
    )
    spec = ModelSpec(cell=cast(Cell, cell), units=1, layers=layers, activation=activation)
    dev = _device(device)
    total = len(sizes) * (warmup + repeats) + 1
    with using_threads(threads) as used, progress_bar("timing", total, progress) as bar:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            steps = [
                TimedStep(replace(spec, units=u), lags, features, batch_size, dev) for u in sizes
            ]
        times = time_rounds(steps, warmup, repeats, bar.advance)
        peak = matmul_peak(dev, used)
        bar.advance()
    fwd = [flops_per_sample(cell, u, layers, features, lags) for u in sizes]
    rows = tuple(
        _row(u, p, f * TRAINING_FLOPS_FACTOR * batch_size, t, batch_size)
        for u, p, f, t in zip(sizes, [s.parameters for s in steps], fwd, times, strict=True)
    )
    comparisons = tuple(compare(rows))
    hardware = "GPU" if dev.type == "cuda" else "CPU"
    return SpeedResult(
        rows=rows,
        device=str(dev),
        device_name=device_name(dev),
        threads=used,
        lags=lags,
        features=features,
        batch_size=batch_size,
        cell=cell,
        layers=layers,
        activation=activation,
        fused=steps[0].net.fused,
        repeats=repeats,
        warmup=warmup,
        matmul_gflops=peak,
        comparisons=comparisons,
        verdict=verdict(comparisons, hardware),
        versions={
            "lstmsizer": __version__,
            "torch": torch.__version__,
            "python": platform.python_version(),
        },
    )


def matmul_peak(
    device: torch.device | str = "cpu",
    threads: int | None = None,
    size: int = 1024,
    repeats: int = 5,
) -> float:
    """GFLOP/s of a float32 (size, size) matmul, 2 * size**3 FLOPs, best of repeats runs."""
    check_int("size", size)
    check_int("repeats", repeats)
    dev = torch.device(device)
    inner = 20 if dev.type == "cuda" else 1  # one GPU matmul is too short to time alone
    with using_threads(threads), torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        a = torch.randn(size, size, device=dev)
        b = torch.randn(size, size, device=dev)
        torch.mm(a, b)  # warm-up, not counted
        best = math.inf
        for _ in range(repeats):
            _sync(dev)
            start = time.perf_counter()
            for _ in range(inner):
                torch.mm(a, b)
            _sync(dev)
            best = min(best, (time.perf_counter() - start) / inner)
    return 2 * size**3 / best / 1e9


def compare(rows: Sequence[SpeedRow]) -> list[dict[str, Any]]:
    """Compare each measured pair of COMPARED_PAIRS by step time and by time per FLOP.

    For a pair (a, b), b the multiple of 32: time_ratio is step_ms(b) / step_ms(a) and
    time_per_flop_ratio divides each step time by its FLOPs first. A time-per-FLOP ratio
    below 1 - TOLERANCE means b did more work per second; above 1 + TOLERANCE, less; in
    between counts as no measurable difference.
    """
    by_units = {row.units: row for row in rows}
    out: list[dict[str, Any]] = []
    for a, b in COMPARED_PAIRS:
        if a not in by_units or b not in by_units:
            continue
        ra, rb = by_units[a], by_units[b]
        per_flop = (rb.step_ms / rb.flops_per_step) / (ra.step_ms / ra.flops_per_step)
        out.append(
            {
                "a": a,
                "b": b,
                "time_ratio": rb.step_ms / ra.step_ms,
                "flop_ratio": rb.flops_per_step / ra.flops_per_step,
                "time_per_flop_ratio": per_flop,
                "verdict": f"{b} units took {per_flop:.2f}x the time of {a} per FLOP: "
                + {-1: "faster", 0: "no measurable difference", 1: "slower"}[_sign(per_flop)],
            }
        )
    return out


def close_pairs(flops: Mapping[int, int]) -> list[tuple[int, int]]:
    """(neighbour, multiple of 32) pairs among measured sizes close enough to judge alignment.

    Every measured multiple of 32 is paired with every measured size that is not one and whose
    FLOPs per step are within VERDICT_FLOP_SPREAD of its own (e.g. 127 and 129 with 128, 100
    with 96, but not 100 with 128).

    Args:
        flops: Training FLOPs per step of each measured size, by units.
    """
    aligned = [u for u in flops if u % 32 == 0]
    return [
        (a, b)
        for b in aligned
        for a in flops
        if a % 32 and abs(flops[b] / flops[a] - 1) < VERDICT_FLOP_SPREAD
    ]


def verdict(comparisons: Sequence[dict[str, Any]], hardware: str = "CPU") -> str:
    """One sentence on multiples of 32, from the median time-per-FLOP ratio of close pairs.

    Only pairs whose FLOP counts differ by less than VERDICT_FLOP_SPREAD count (96 vs 100,
    128 vs 127 and 129, 256 vs 255); their median time-per-FLOP ratio is judged with
    TOLERANCE as in compare.
    """
    close = [c for c in comparisons if abs(c["flop_ratio"] - 1) < VERDICT_FLOP_SPREAD]
    if not close:
        return (
            "Not enough sizes measured to judge multiples of 32: measure neighbours such as "
            "127, 128 and 129."
        )
    ratio = statistics.median(c["time_per_flop_ratio"] for c in close)
    pairs = ", ".join(f"{c['b']} vs {c['a']} {c['time_per_flop_ratio']:.2f}x" for c in close)
    detail = (
        f"per FLOP they took {ratio:.2f}x the time of their neighbours "
        f"(median of {len(close)} pair{'s' if len(close) > 1 else ''}: {pairs})"
    )
    return {
        -1: f"Multiples of 32 were faster on this {hardware}: {detail}.",
        0: f"No measurable benefit from multiples of 32 on this {hardware}: {detail}, "
        f"within ±{TOLERANCE:.0%}.",
        1: f"Multiples of 32 were slower on this {hardware}: {detail}.",
    }[_sign(ratio)]


class TimedStep:
    """One network, the training step that trains it and a fixed random batch.

    The step is training's own (step.TrainStep: the default loss, fused Adam), so the time
    measured is the time trained at. Calling it times one step, in seconds.
    """

    def __init__(
        self, spec: ModelSpec, lags: int, features: int, batch: int, dev: torch.device
    ) -> None:
        self.net = build_net(features, spec, device=dev)
        self.x = torch.randn(batch, lags, features).to(dev)  # (B, L, F)
        self.y = torch.randn(batch, 1, 1).to(dev)  # (B, H, K)
        train = TrainSpec()
        self.step = TrainStep(self.net, train, [train.lr])
        self.parameters = sum(p.numel() for p in self.step.params)

    def __call__(self) -> float:
        dev = self.x.device
        _sync(dev)
        start = time.perf_counter()
        self.step(self.x, self.y)
        _sync(dev)
        return time.perf_counter() - start


def time_rounds(
    steps: Sequence[TimedStep], warmup: int, repeats: int, tick: Callable[[], None]
) -> list[list[float]]:
    """Time every step once per round, after an untimed one; warmup rounds are not kept.

    Returns:
        Per step, its timed seconds in round order (round k of every step is comparable).
    """
    # round-robin: each round times one step of every size, so load hits all sizes alike; each
    # timed step follows an untimed one of the same network, as in training, else the caches
    # still hold the previous size and small sizes measured up to 2x slower
    times: list[list[float]] = [[] for _ in steps]
    for round_ in range(warmup + repeats):
        for k, step in enumerate(steps):
            step()
            seconds = step()
            if round_ >= warmup:
                times[k].append(seconds)
            tick()
    return times


def _row(units: int, parameters: int, flops: int, seconds: list[float], batch: int) -> SpeedRow:
    median = statistics.median(seconds)
    q1, _, q3 = statistics.quantiles(seconds, n=4) if len(seconds) > 1 else (median,) * 3
    return SpeedRow(
        units=units,
        parameters=parameters,
        flops_per_step=flops,
        step_ms=1e3 * median,
        step_ms_iqr=1e3 * (q3 - q1),
        samples_per_s=batch / median,
        gflops=flops / median / 1e9,
    )


def _sign(ratio: float) -> int:
    return -1 if ratio < 1 - TOLERANCE else 1 if ratio > 1 + TOLERANCE else 0


def _sync(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def _device(device: str | None) -> torch.device:
    known = device in (None, "cpu", "cuda") or str(device).startswith("cuda:")
    check(known, "device", "must be cpu, cuda, cuda:N or None", device)
    dev = resolve_device(device)
    absent = dev.type == "cuda" and not torch.cuda.is_available()
    check(not absent, "device", "needs CUDA, which torch does not find here", device)
    return dev


def _check_arguments(units: Sequence[int], warmup: int, **positive: int) -> list[int]:
    sizes = list(units)
    check(len(sizes) > 0, "units", "must name at least one size", units)
    for u in sizes:
        check_int("units", u)
    check(len(set(sizes)) == len(sizes), "units", "must not repeat a size", units)
    for name, value in positive.items():
        check_int(name, value)
    check_int("warmup", warmup, minimum=0)
    return sizes
