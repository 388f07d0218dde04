"""Training speed against the unit count on this machine: are multiples of 8 or 32 faster?"""

from __future__ import annotations

import platform
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

import numpy as np
import torch

from lstmsizer.claims import rules
from lstmsizer.config import SPEED_UNITS, Cell, ModelSpec, WindowSpec
from lstmsizer.errors import check, check_int
from lstmsizer.intervals import Interval, describe, ratio_interval, widen_ratio
from lstmsizer.progress import progress_bar
from lstmsizer.rundir.measurements import SpeedResult, SpeedRow
from lstmsizer.runtime import device_name, resolve_device, using_threads
from lstmsizer.sizes import TRAINING_FLOPS_FACTOR, flops_per_sample
from lstmsizer.timing import (
    TimedStep,
    build_steps,
    close_pairs,
    log_ratios,
    matmul_peak,
    mean_log_ratios,
    time_rounds,
)
from lstmsizer.version import __version__

COMPARED_PAIRS = ((100, 96), (100, 128), (127, 128), (129, 128), (255, 256))
"""(other, multiple of 32) pairs compared when both sizes were measured."""

BLOCKS = 3
"""Blocks of fresh networks timed; the blocks are the replicates of the ratio's interval."""

WORDS = {
    rules.SUPPORTED: "faster",
    rules.NOT_SUPPORTED: "not faster",
    rules.CANNOT_TELL: "cannot tell",
}
"""A pair's verdict on the claim that the multiple of 32 is faster, in one word."""

Times = dict[int, list[float]]
"""Timed seconds of each size, by units, in round order (round k of every size comparable)."""


@dataclass(frozen=True)
class _Timed:
    """What timing the sizes gave: per block the seconds of each size, and the last block's
    networks (their parameters and whether they are fused)."""

    blocks: list[Times]
    steps: list[TimedStep]


def measure_speed(
    units: Sequence[int] = SPEED_UNITS,
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
    blocks: int = BLOCKS,
    progress: bool | None = False,
) -> SpeedResult:
    """Time training steps for every size, round-robin in blocks, and compare sizes per FLOP.

    Each block builds every network afresh (weights seeded with the block's number) and times
    `repeats` rounds after `warmup` untimed ones; a round times one step of every size in
    turn, each after an untimed step of the same size, so load from other processes hits all
    sizes alike. Inputs are random windows; torch's global RNG is left as it was. Whether
    multiples of 32 are faster is decided as the claims decide it (see verdict).

    Args:
        units: Sizes to measure, distinct integers >= 1.
        lags, features, batch_size: The window (L, F) and windows per step (B).
        cell, layers, activation: The network; an activation other than tanh runs the
            hand-written, slower layers.
        device: "cpu", "cuda", "cuda:N", or None for CUDA when present, else the CPU.
        threads: torch intra-op threads; None uses lstmsizer.training.DEFAULT_THREADS.
        repeats: Timed rounds per block; rows give the median over every round.
        warmup: Untimed rounds at the start of each block.
        blocks: Blocks of fresh networks (at least 2), the replicates of the ratio's interval.
        progress: Show a progress bar on stderr; None shows it when stderr is a terminal.

    Raises:
        OptionError: An argument is out of range, or CUDA was asked for and is absent.
    """
    sizes = _check_arguments(
        units, warmup, lags=lags, features=features, batch_size=batch_size, repeats=repeats
    )
    check_int("blocks", blocks, minimum=2)
    spec = ModelSpec(cell=cast(Cell, cell), units=1, layers=layers, activation=activation)
    dev = _device(device)
    specs = [(replace(spec, units=u), batch_size) for u in sizes]
    total = len(sizes) * (warmup + repeats) * blocks + 1
    with using_threads(threads) as used, progress_bar("timing", total, progress) as bar:
        timed = _time_blocks(specs, lags, features, dev, (warmup, repeats, blocks), bar.advance)
        peak = matmul_peak(dev, used)
        bar.advance()
    return _result(
        spec, timed, dev, peak, lags=lags, features=features, batch_size=batch_size,
        threads=used, repeats=repeats, warmup=warmup,
    )  # fmt: skip


def _result(
    spec: ModelSpec,
    timed: _Timed,
    dev: torch.device,
    peak: float,
    *,
    lags: int,
    features: int,
    batch_size: int,
    threads: int,
    repeats: int,
    warmup: int,
) -> SpeedResult:
    """The rows, comparisons and verdict of the timed sizes, with the settings they ran at."""
    sizes = [step.net.spec.units for step in timed.steps]
    window = WindowSpec(lags)
    flops = {u: flops_per_sample(replace(spec, units=u), window, features) for u in sizes}
    times = {u: [t for block in timed.blocks for t in block[u]] for u in sizes}
    per_step = {u: flops[u] * TRAINING_FLOPS_FACTOR * batch_size for u in sizes}
    rows = tuple(
        _row(u, step.parameters, per_step[u], times[u], batch_size)
        for u, step in zip(sizes, timed.steps, strict=True)
    )
    drift = rules.SPEED_DRIFT.get(dev.type, 0.0)
    return SpeedResult(
        rows=rows,
        device=str(dev),
        device_name=device_name(dev),
        threads=threads,
        lags=lags,
        features=features,
        batch_size=batch_size,
        cell=spec.cell,
        layers=spec.layers,
        activation=spec.activation,
        fused=timed.steps[0].net.fused,
        repeats=repeats,
        warmup=warmup,
        matmul_gflops=peak,
        comparisons=tuple(compare(rows, pair_intervals(timed.blocks, flops, drift))),
        verdict=verdict(timed.blocks, flops, drift, "GPU" if dev.type == "cuda" else "CPU"),
        versions={
            "lstmsizer": __version__,
            "torch": torch.__version__,
            "python": platform.python_version(),
        },
    )


def _time_blocks(
    specs: Sequence[tuple[ModelSpec, int]],
    lags: int,
    features: int,
    dev: torch.device,
    counts: tuple[int, int, int],
    tick: Callable[[], None],
) -> _Timed:
    """Time (warmup, repeats, blocks) rounds of every network, fresh networks per block."""
    warmup, repeats, blocks = counts
    found: list[Times] = []
    steps: list[TimedStep] = []
    for block in range(blocks):
        steps = build_steps(specs, lags, features, dev, seed=block)
        seconds = time_rounds(steps, warmup, repeats, tick)
        found.append({s.units: t for (s, _), t in zip(specs, seconds, strict=True)})
    return _Timed(found, steps)


def pair_intervals(
    blocks: Sequence[Times], flops: Mapping[int, int], drift: float = 0.0
) -> dict[tuple[int, int], Interval]:
    """Each measured COMPARED_PAIRS pair's per-FLOP time ratio (multiple over other): the
    geometric mean over blocks of each block's median over rounds, with its t interval
    widened by drift (intervals.widen_ratio)."""
    return {
        (a, b): widen_ratio(
            ratio_interval([float(np.median(log_ratios(t, (a, b), flops))) for t in blocks]), drift
        )
        for a, b in COMPARED_PAIRS
        if a in flops and b in flops
    }


def compare(
    rows: Sequence[SpeedRow], intervals: Mapping[tuple[int, int], Interval]
) -> list[dict[str, Any]]:
    """Compare each measured pair of COMPARED_PAIRS by step time and by time per FLOP.

    For a pair (a, b), b the multiple of 32: time_ratio is step_ms(b) / step_ms(a) and
    time_per_flop_ratio divides each median step time by its FLOPs first. The pair's verdict
    judges its interval (pair_intervals) against claims.rules.SPEED_NEEDS: faster only when
    the whole interval is below it.
    """
    by_units = {row.units: row for row in rows}
    out: list[dict[str, Any]] = []
    for (a, b), interval in intervals.items():
        ra, rb = by_units[a], by_units[b]
        per_flop = (rb.step_ms / rb.flops_per_step) / (ra.step_ms / ra.flops_per_step)
        word = WORDS[rules.decide(interval, rules.SPEED_NEEDS)]
        out.append(
            {
                "a": a,
                "b": b,
                "time_ratio": rb.step_ms / ra.step_ms,
                "flop_ratio": rb.flops_per_step / ra.flops_per_step,
                "time_per_flop_ratio": per_flop,
                "verdict": f"{b} units took {describe(interval, 'x')} the time of {a} per FLOP: "
                + word,
            }
        )
    return out


def verdict(
    blocks: Sequence[Times], flops: Mapping[int, int], drift: float = 0.0, hardware: str = "CPU"
) -> str:
    """One sentence on multiples of 32, decided as the claims decide it.

    The close pairs (timing.close_pairs: FLOPs within timing.VERDICT_FLOP_SPREAD, such as 96
    vs 100, 128 vs 127 and 129) give per round the mean of their per-FLOP log ratios; each
    block's median of those is one replicate, and their geometric mean with its t interval,
    widened by drift, is judged by claims.rules.speed_verdict against SPEED_NEEDS.
    """
    pairs = close_pairs(flops)
    if not pairs:
        return (
            "Not enough sizes measured to judge multiples of 32: measure neighbours such as "
            "127, 128 and 129."
        )
    logs = [float(np.median(mean_log_ratios(t, pairs, flops))) for t in blocks]
    ratio = widen_ratio(ratio_interval(logs), drift)
    times = {u: [s for t in blocks for s in t[u]] for u in flops}
    each = {
        f"{b} vs {a}": float(np.exp(np.median(log_ratios(times, (a, b), flops)))) for a, b in pairs
    }
    rounds = len(times[pairs[0][0]]) // len(blocks)
    stopped = f"{len(blocks)} blocks of {rounds} rounds"
    stopped += f", widened by ±{drift:.1%} run-to-run drift" if drift else ""
    word, evidence = rules.speed_verdict(ratio, each, stopped)
    head = {
        rules.SUPPORTED: f"Multiples of 32 were faster on this {hardware}",
        rules.NOT_SUPPORTED: f"Multiples of 32 were not faster on this {hardware}",
        rules.CANNOT_TELL: f"Cannot tell whether multiples of 32 are faster on this {hardware}",
    }[word]
    return f"{head}: {evidence}; {rules.SPEED_NEEDS.says}."


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
