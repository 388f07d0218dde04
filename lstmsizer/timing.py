"""Timing training steps: one step of every size per round, in blocks of fresh networks."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TypeVar

import numpy as np
import torch

from lstmsizer.config import ModelSpec, Precision, TrainSpec
from lstmsizer.errors import check_int
from lstmsizer.models import build_net
from lstmsizer.runtime import using_threads
from lstmsizer.step import TrainStep

K = TypeVar("K", bound=Hashable)

VERDICT_FLOP_SPREAD = 0.10
"""Only pairs whose FLOP counts differ by less than this judge alignment: between sizes
further apart, bigger matrices being more efficient would hide the effect of alignment."""


class TimedStep:
    """One network, the training step that trains it and a fixed random batch.

    The step is training's own (step.TrainStep: the default loss, fused Adam), so the time
    measured is the time trained at. Calling it times one step, in seconds.

    Args:
        precision: The precision the step's forward pass runs at (fp32 or bf16).
    """

    def __init__(
        self,
        spec: ModelSpec,
        lags: int,
        features: int,
        batch: int,
        dev: torch.device,
        precision: Precision = "fp32",
    ) -> None:
        self.net = build_net(features, spec, device=dev)
        self.x = torch.randn(batch, lags, features).to(dev)  # (B, L, F)
        self.y = torch.randn(batch, 1, 1).to(dev)  # (B, H, K)
        train = TrainSpec(precision=precision)
        self.step = TrainStep(self.net, train, [train.lr])
        self.parameters = sum(p.numel() for p in self.step.params)

    def __call__(self) -> float:
        dev = self.x.device
        sync(dev)
        start = time.perf_counter()
        self.step(self.x, self.y)
        sync(dev)
        return time.perf_counter() - start


def build_steps(
    sizes: Sequence[tuple[ModelSpec, int]], lags: int, features: int, dev: torch.device, seed: int
) -> list[TimedStep]:
    """A TimedStep per (network, batch size), weights and inputs seeded; torch's global RNG
    is left as it was."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return [TimedStep(spec, lags, features, batch, dev) for spec, batch in sizes]


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


def log_ratios(
    times: Mapping[K, Sequence[float]], pair: tuple[K, K], flops: Mapping[K, int]
) -> np.ndarray:
    """Per round, log of the second's time per FLOP over the first's (a batch size and the
    training factor scale both sides alike, so forward FLOPs per window are enough)."""
    a, b = pair
    tb, ta = np.asarray(times[b]), np.asarray(times[a])
    return np.log(tb / flops[b]) - np.log(ta / flops[a])


def mean_log_ratios(
    times: Mapping[K, Sequence[float]], pairs: Sequence[tuple[K, K]], flops: Mapping[K, int]
) -> np.ndarray:
    """Per round, the mean over the pairs of their log ratios (log_ratios)."""
    return np.mean([log_ratios(times, pair, flops) for pair in pairs], axis=0)


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
            sync(dev)
            start = time.perf_counter()
            for _ in range(inner):
                torch.mm(a, b)
            sync(dev)
            best = min(best, (time.perf_counter() - start) / inner)
    return 2 * size**3 / best / 1e9


def sync(dev: torch.device) -> None:
    """Wait for the GPU's queued work, so a timer reads the work done; nothing on a CPU."""
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
