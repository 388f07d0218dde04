"""Where and how torch runs: the device and its name, intra-op threads, and seeds."""

from __future__ import annotations

import contextlib
import os
import platform
from collections.abc import Iterator

import torch

from lstmsizer.config import DEFAULT_THREADS

__all__ = ["device_name", "resolve_device", "seed_everything", "using_threads"]


def resolve_device(device: str | None) -> torch.device:
    """CUDA when present and not overridden, else the CPU."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def device_name(device: torch.device) -> str:
    """GPU name on CUDA; the CPU model from /proc/cpuinfo or platform elsewhere."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown CPU"


@contextlib.contextmanager
def using_threads(threads: int | None) -> Iterator[int]:
    """Set torch's intra-op thread count for the block and restore it afterwards."""
    wanted = DEFAULT_THREADS if threads is None else threads
    before = torch.get_num_threads()
    if wanted != before:
        torch.set_num_threads(wanted)
    try:
        yield wanted
    finally:
        if wanted != before:
            torch.set_num_threads(before)


def seed_everything(seed: int) -> None:
    """Seed torch's CPU and CUDA generators, which drive initialisation and dropout."""
    torch.manual_seed(seed)


def default_workers() -> int:
    """One worker per core, each on DEFAULT_THREADS (1) thread.

    Measured on the 2-core CPU (`python bench/threads.py --mode split --cores 2`): two
    workers of one thread beat one worker of two threads at every size of the default grid,
    1.3x for the largest (LSTM(443), 2-layer LSTM(256)) and 2.1x for batched LSTM(32); the
    figures are in config.DEFAULT_THREADS. Not measured on CUDA, where the workers share
    one GPU.
    """
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)
