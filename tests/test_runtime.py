"""Where torch runs: the device, its name, the thread count of a block, and seeding."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lstmsizer.config import DEFAULT_THREADS
from lstmsizer.runtime import device_name, resolve_device, seed_everything, using_threads


def test_using_threads_restores_previous_count() -> None:
    before = torch.get_num_threads()
    with using_threads(before + 1) as n:
        assert torch.get_num_threads() == before + 1 == n
    assert torch.get_num_threads() == before


def test_using_threads_restores_the_count_after_an_error() -> None:
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError), using_threads(before + 1):
        raise RuntimeError("stop")
    assert torch.get_num_threads() == before


def test_using_threads_none_is_the_default_count() -> None:
    with using_threads(None) as n:
        assert n == DEFAULT_THREADS == torch.get_num_threads()


def test_resolve_device_prefers_cuda_only_when_present() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device(None).type == expected


def test_device_name_is_the_cpu_model() -> None:
    info = Path("/proc/cpuinfo")
    lines = info.read_text(encoding="utf-8").splitlines() if info.exists() else []
    models = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    name = device_name(torch.device("cpu"))
    assert name == models[0] if models else name


def test_seed_everything_repeats_the_draws() -> None:
    seed_everything(5)
    first = torch.rand(4)
    seed_everything(5)
    assert torch.equal(torch.rand(4), first)
    seed_everything(6)
    assert not torch.equal(torch.rand(4), first)
