"""Training precision: where bf16 autocast pays, measured per device, and how a run uses it."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch

from lstmsizer.config import PRECISIONS, ModelSpec, Precision
from lstmsizer.errors import check_choice

__all__ = [
    "MEASURED",
    "PRECISIONS",
    "Measured",
    "Precision",
    "Resolved",
    "autocast",
    "cpu_bf16",
    "describe_auto",
    "native_bf16",
    "resolve_precision",
    "trained_precision",
]

Resolved = Literal["fp32", "bf16"]
"""What a run trains at once auto is resolved."""
CPUINFO = Path("/proc/cpuinfo")
CPU_BF16_FLAGS = ("avx512_bf16", "amx_bf16")
"""/proc/cpuinfo flags of x86 instructions that compute bf16 natively."""


@dataclass(frozen=True)
class Measured:
    """Sizes at which bf16 autocast trained faster than fp32 on one kind of device.

    Attributes:
        device_type: "cpu" or "cuda"; a rule never carries over to another device type.
        cell, activation: The network measured (lstm with tanh: torch's fused nn.LSTM).
        units, layers: Inclusive ranges measured faster in bf16.
        batched: Measured on seeds batched as one network (ensemble) rather than one model.
        speedups: fp32 time over bf16 time per size, as measured.
        hardware: The CPU model or GPU name measured on.
        torch: torch version measured with.
        threads: torch intra-op threads.
        date: When it was measured.
        command: What was run: the setup (batch, lags) and the command line.
        answer_check: bench/precision.py's RMSE check of bf16 against fp32 at these sizes.
    """

    device_type: str
    cell: str
    activation: str
    units: tuple[int, int]
    layers: tuple[int, int]
    batched: bool
    speedups: str
    hardware: str
    torch: str
    threads: int
    date: str
    command: str
    answer_check: str

    def covers(self, model: ModelSpec, device_type: str, batched: bool) -> bool:
        """Whether this measurement covers model trained on device_type, batched or not."""
        return (
            (device_type, model.cell, model.activation, batched)
            == (self.device_type, self.cell, self.activation, self.batched)
            and self.units[0] <= model.units <= self.units[1]
            and self.layers[0] <= model.layers <= self.layers[1]
        )


MEASURED: tuple[Measured, ...] = (
    Measured(
        device_type="cpu",
        cell="lstm",
        activation="tanh",
        units=(128, 512),
        layers=(1, 1),
        batched=False,
        speedups="64 units 0.69 / 0.66 ms (none); 128 units 1.28 / 1.04 ms (1.23x); "
        "256 units 4.71 / 2.47 ms (1.9x); 512 units 14.4 / 9.2 ms (1.57x)",
        hardware="a CPU with AVX512-BF16 (model not recorded)",
        torch="not recorded",
        threads=1,
        date="not recorded",
        command="one nn.LSTM training step, batch 32, 12 lags, fp32 against bf16 autocast",
        answer_check="not run: bench/precision.py --units 128,256,512 on such a CPU checks it",
    ),
)
"""Where bf16 autocast measured faster than fp32. No CUDA measurement is recorded yet, so on
CUDA auto trains fp32 until bench/precision.py's figures for a GPU are added here."""


def native_bf16(device: torch.device | str) -> bool:
    """Whether the device computes bf16 in hardware rather than emulating it.

    CUDA: torch.cuda.is_bf16_supported without emulation, on that device. CPU: AVX512-BF16 or
    AMX-BF16 (cpu_bf16). Other devices: False.
    """
    dev = torch.device(device)
    if dev.type == "cuda":
        return torch.cuda.is_available() and _cuda_bf16(dev.index)
    return dev.type == "cpu" and cpu_bf16()


@functools.cache
def cpu_bf16(cpuinfo: Path = CPUINFO) -> bool:
    """Whether the CPU has AVX512-BF16 or AMX-BF16, read from the flags of cpuinfo.

    Without that file (not Linux), torch's CPU capability is read instead; it names vector
    widths (AVX2, AVX512) and no bf16 instructions, so the answer there is False and auto
    trains fp32.
    """
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        capability = torch.backends.cpu.get_cpu_capability().upper()
        return "BF16" in capability or "AMX" in capability
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == "flags":
            return any(flag in value.split() for flag in CPU_BF16_FLAGS)
    return False


@functools.cache
def _cuda_bf16(index: int | None) -> bool:
    with torch.cuda.device(index):
        return torch.cuda.is_bf16_supported(including_emulation=False)


def resolve_precision(
    requested: Precision, model: ModelSpec, device: torch.device | str, *, batched: bool = False
) -> Resolved:
    """The precision a run trains at.

    fp32 and bf16 are kept as asked (bf16 without native support is emulated and slow). auto
    is bf16 only where the device has native bf16 and a MEASURED entry of its device type
    covers the model, else fp32.

    Args:
        requested: auto, fp32 or bf16.
        model: The network to train.
        device: Where it trains.
        batched: Whether several seeds train as one batched network.

    Raises:
        OptionError: requested is no precision.
    """
    check_choice("precision", requested, PRECISIONS)
    if requested != "auto":
        return "bf16" if requested == "bf16" else "fp32"
    dev = torch.device(device)
    pays = any(entry.covers(model, dev.type, batched) for entry in MEASURED)
    return "bf16" if pays and native_bf16(dev) else "fp32"


def trained_precision(precision: str) -> Resolved:
    """What the training loop runs a spec's precision at: auto not yet resolved for a model
    (training.fit called directly) trains fp32."""
    return "bf16" if precision == "bf16" else "fp32"


def autocast(
    precision: str, device: torch.device | str
) -> contextlib.AbstractContextManager[object]:
    """The context a forward pass runs in: bf16 autocast, or nothing for fp32.

    Only the forward pass runs under it: weights, gradients, the optimizer's state and the
    loss stay fp32 (cast the output with .float() before the loss).
    """
    if trained_precision(precision) == "fp32":
        return contextlib.nullcontext()
    return _bf16(torch.device(device))


@contextlib.contextmanager
def _bf16(device: torch.device) -> Iterator[None]:
    # oneDNN has no bf16 LSTM kernel on CPUs without native bf16 (torch 2.13 fails to create
    # the primitive on AVX2); without oneDNN, torch's own LSTM runs its matmuls in bf16
    emulate = device.type == "cpu" and not native_bf16(device)
    before = torch._C._get_mkldnn_enabled()
    if emulate:
        torch._C._set_mkldnn_enabled(False)
    try:
        with torch.autocast(device.type, dtype=torch.bfloat16):
            yield
    finally:
        torch._C._set_mkldnn_enabled(before)


def describe_auto(device: torch.device | str) -> str:
    """What auto trains at on this device, in words, for benchmarks and records."""
    dev = torch.device(device)
    entries = [e for e in MEASURED if e.device_type == dev.type]
    if not native_bf16(dev):
        return f"fp32 (no native bf16 on this {dev.type})"
    if not entries:
        return f"fp32 (no measurement recorded for {dev.type})"
    sizes = "; ".join(
        f"{e.cell}/{e.activation} {e.units[0]}-{e.units[1]} units, "
        f"{e.layers[0]}-{e.layers[1]} layers{', batched' if e.batched else ''}"
        for e in entries
    )
    return f"bf16 for {sizes}; fp32 elsewhere"
