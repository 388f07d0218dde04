"""Multiples of 32 against their neighbours: blocks of interleaved rounds until the interval
is narrow enough."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from lstmsizer.config import ModelSpec
from lstmsizer.errors import check_int
from lstmsizer.intervals import Interval, ratio_interval
from lstmsizer.models import flops_per_sample
from lstmsizer.speed import TimedStep, close_pairs, time_rounds
from lstmsizer.training import device_name, resolve_device, using_threads

PRECISE = "precise"
TIME_LIMIT = "time limit"


@dataclass(frozen=True)
class PairTiming:
    """Step times of close (neighbour, multiple of 32) pairs, and the per-FLOP ratio's interval.

    Attributes:
        device, device_name, threads: Where it ran.
        batch_sizes: Windows per step; every pair is timed at each.
        pairs: (batch size, neighbour, multiple of 32) of every compared pair.
        step_ms: Median step time per "batch x units" over every round, milliseconds.
        pair_ratios: Per pair, the median over every round of its time-per-FLOP ratio.
        ratio: Per-FLOP time of the multiples over their neighbours: in each block the median
            over rounds of the per-round geometric mean over pairs; then the geometric mean
            over blocks with its t interval (ratio.n is the number of blocks).
        rounds: Timed rounds in all blocks.
        stopped: PRECISE (the interval became narrow enough) or TIME_LIMIT.
        seconds: Wall time of the timing.
    """

    device: str
    device_name: str
    threads: int
    batch_sizes: tuple[int, ...]
    pairs: tuple[tuple[int, int, int], ...]
    step_ms: dict[str, float]
    pair_ratios: dict[str, float]
    ratio: Interval
    rounds: int
    stopped: str
    seconds: float


def time_pairs(
    units: Sequence[int],
    *,
    lags: int,
    features: int,
    batch_sizes: Sequence[int],
    rounds: int,
    blocks: int,
    seconds: float,
    enough: Callable[[Interval], bool],
    device: str | None = None,
    threads: int | None = None,
    seed: int = 0,
) -> PairTiming:
    """Time training steps of every size in blocks until enough(interval) or the time limit.

    A block builds every network afresh (new allocations, weights seeded seed + block) and
    times `rounds` rounds, each one step of every size in turn after an untimed one, so load
    from other processes falls on both sides of a pair alike. The blocks are the replicates
    of the interval: they are spread over the measurement's time and memory, so the interval
    carries the drift between runs that the rounds of one block do not see. The first
    `blocks` blocks always run; more follow while the interval is not narrow enough and less
    than `seconds` have passed. The rule looks at the interval's width, never at which side
    of a threshold it lies: stopping once an interval first leaves the threshold would,
    with a ratio close to it, call it decided by chance after enough looks.

    Args:
        units: Sizes to time; the close pairs among them are compared (speed.close_pairs).
        lags, features: The window (L, F).
        batch_sizes: Windows per step; the pairs are timed at each batch size.
        rounds: Timed rounds per block.
        blocks: Blocks before the first look at the interval (at least 2).
        seconds: Time limit for adding blocks.
        enough: Whether an interval is narrow enough to stop.
        device: None for the device a sweep would use (CUDA when present).
        threads: torch threads; None as training uses.
        seed: Seed of the weights and the inputs.
    """
    check_int("blocks", blocks, minimum=2)
    dev = resolve_device(device)
    flops = {u: flops_per_sample("lstm", u, 1, features, lags) for u in units}
    pairs = close_pairs(flops)
    keys = [(b, u) for b in batch_sizes for u in units]
    times: dict[tuple[int, int], list[float]] = {k: [] for k in keys}
    block_logs: list[float] = []
    start = time.perf_counter()
    with using_threads(threads) as used:
        while True:
            block = _time_block(keys, lags, features, dev, rounds, seed + len(block_logs))
            for key, seen in block.items():
                times[key] += seen
            if not pairs:  # nothing to compare: one block of step times, no ratio
                ratio = ratio_interval([])
                break
            block_logs.append(float(np.median(_log_ratios(block, pairs, flops, batch_sizes))))
            ratio = ratio_interval(block_logs)
            elapsed = time.perf_counter() - start
            if len(block_logs) >= blocks and (enough(ratio) or elapsed >= seconds):
                break
    return PairTiming(
        device=str(dev),
        device_name=device_name(dev),
        threads=used,
        batch_sizes=tuple(batch_sizes),
        pairs=tuple((b, a, m) for b in batch_sizes for a, m in pairs),
        step_ms={f"{b}x{u}": 1e3 * float(np.median(t)) for (b, u), t in times.items()},
        pair_ratios={
            f"{m} vs {a} (batch {b})": _median_ratio(times, b, a, m, flops)
            for b in batch_sizes
            for a, m in pairs
        },
        ratio=ratio,
        rounds=len(times[keys[0]]),
        stopped=PRECISE if enough(ratio) else TIME_LIMIT,
        seconds=time.perf_counter() - start,
    )


def _time_block(
    keys: Sequence[tuple[int, int]],
    lags: int,
    features: int,
    dev: torch.device,
    rounds: int,
    seed: int,
) -> dict[tuple[int, int], list[float]]:
    """One block: fresh networks for every (batch size, units), one warm-up round, rounds."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        steps = [TimedStep(ModelSpec(units=u), lags, features, b, dev) for b, u in keys]
    return dict(zip(keys, time_rounds(steps, 1, rounds, _nothing), strict=True))


def _median_ratio(
    times: dict[tuple[int, int], list[float]], batch: int, a: int, b: int, flops: dict[int, int]
) -> float:
    return float(np.exp(np.median(_pair_log_ratio(times, batch, a, b, flops))))


def _pair_log_ratio(
    times: dict[tuple[int, int], list[float]], batch: int, a: int, b: int, flops: dict[int, int]
) -> np.ndarray:
    """Per round, log of b's time per FLOP over a's (the batch size and the training factor
    scale both sides alike, so forward FLOPs per window are enough)."""
    tb, ta = np.asarray(times[(batch, b)]), np.asarray(times[(batch, a)])
    return np.log(tb / flops[b]) - np.log(ta / flops[a])


def _log_ratios(
    times: dict[tuple[int, int], list[float]],
    pairs: Sequence[tuple[int, int]],
    flops: dict[int, int],
    batch_sizes: Sequence[int],
) -> np.ndarray:
    """Per round, the mean over every pair and batch size of the pair's log ratio."""
    per_pair = [_pair_log_ratio(times, b, a, m, flops) for b in batch_sizes for a, m in pairs]
    return np.mean(per_pair, axis=0)


def _nothing() -> None:
    """No progress tick per step: the claims' bar advances per claim."""
