"""Multiples of 32 against their neighbours: blocks of interleaved rounds until the interval
is narrow enough."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from lstmsizer.config import ModelSpec, WindowSpec
from lstmsizer.errors import check_int
from lstmsizer.intervals import Interval, ratio_interval
from lstmsizer.runtime import device_name, resolve_device, using_threads
from lstmsizer.sizes import flops_per_sample
from lstmsizer.timing import build_steps, close_pairs, log_ratios, mean_log_ratios, time_rounds

PRECISE = "precise"
TIME_LIMIT = "time limit"

Key = tuple[int, int]
"""(batch size, units) of one timed network."""


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


@dataclass(frozen=True)
class _Plan:
    """What one timing times: the networks by key, the pairs compared and their FLOPs."""

    keys: list[Key]
    pairs: list[tuple[Key, Key]]
    flops: dict[Key, int]
    lags: int
    features: int
    dev: torch.device


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
        units: Sizes to time; the close pairs among them are compared (timing.close_pairs).
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
    plan = _plan(units, batch_sizes, lags, features, resolve_device(device))
    times: dict[Key, list[float]] = {k: [] for k in plan.keys}
    start = time.perf_counter()
    with using_threads(threads) as used:
        ratio = _blocks(plan, times, rounds, blocks, seconds, enough, seed)
    by_units = {u: plan.flops[(batch_sizes[0], u)] for u in units}
    return PairTiming(
        device=str(plan.dev),
        device_name=device_name(plan.dev),
        threads=used,
        batch_sizes=tuple(batch_sizes),
        pairs=tuple((b, a, m) for b in batch_sizes for a, m in close_pairs(by_units)),
        step_ms={f"{b}x{u}": 1e3 * float(np.median(t)) for (b, u), t in times.items()},
        pair_ratios=_pair_ratios(times, plan),
        ratio=ratio,
        rounds=len(times[plan.keys[0]]),
        stopped=PRECISE if enough(ratio) else TIME_LIMIT,
        seconds=time.perf_counter() - start,
    )


def _pair_ratios(times: dict[Key, list[float]], plan: _Plan) -> dict[str, float]:
    """Per pair, the median over every round of its time-per-FLOP ratio, by label."""
    return {
        f"{m[1]} vs {a[1]} (batch {a[0]})": float(
            np.exp(np.median(log_ratios(times, (a, m), plan.flops)))
        )
        for a, m in plan.pairs
    }


def _plan(
    units: Sequence[int], batch_sizes: Sequence[int], lags: int, features: int, dev: torch.device
) -> _Plan:
    """Every (batch size, units) network and the close pairs at each batch size."""
    flops = {u: flops_per_sample(ModelSpec(units=u), WindowSpec(lags), features) for u in units}
    return _Plan(
        keys=[(b, u) for b in batch_sizes for u in units],
        pairs=[((b, a), (b, m)) for b in batch_sizes for a, m in close_pairs(flops)],
        flops={(b, u): flops[u] for b in batch_sizes for u in units},
        lags=lags,
        features=features,
        dev=dev,
    )


def _blocks(
    plan: _Plan,
    times: dict[Key, list[float]],
    rounds: int,
    blocks: int,
    seconds: float,
    enough: Callable[[Interval], bool],
    seed: int,
) -> Interval:
    """Time blocks into times until enough(interval) after `blocks` or the time limit."""
    block_logs: list[float] = []
    start = time.perf_counter()
    while True:
        block = _time_block(plan, rounds, seed + len(block_logs))
        for key, seen in block.items():
            times[key] += seen
        if not plan.pairs:  # nothing to compare: one block of step times, no ratio
            return ratio_interval([])
        block_logs.append(float(np.median(mean_log_ratios(block, plan.pairs, plan.flops))))
        ratio = ratio_interval(block_logs)
        elapsed = time.perf_counter() - start
        if len(block_logs) >= blocks and (enough(ratio) or elapsed >= seconds):
            return ratio


def _time_block(plan: _Plan, rounds: int, seed: int) -> dict[Key, list[float]]:
    """One block: fresh networks for every (batch size, units), one warm-up round, rounds."""
    sizes = [(ModelSpec(units=u), b) for b, u in plan.keys]
    steps = build_steps(sizes, plan.lags, plan.features, plan.dev, seed)
    return dict(zip(plan.keys, time_rounds(steps, 1, rounds, _nothing), strict=True))


def _nothing() -> None:
    """No progress tick per step: the claims' bar advances per claim."""
