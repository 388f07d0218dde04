"""The versions and hardware recorded with every result (sweep, claims)."""

from __future__ import annotations

import platform

import torch

from lstmsizer.precision import native_bf16
from lstmsizer.runtime import device_name
from lstmsizer.version import __version__


def environment() -> dict[str, object]:
    """Versions and hardware recorded with every result.

    Returns:
        lstmsizer, torch and python versions, the CPU model and the GPU name (None without
        CUDA), each with whether it computes bf16 natively (lstmsizer.precision.native_bf16),
        as recommendation.json and claims.json hold them.
    """
    gpu = device_name(torch.device("cuda")) if torch.cuda.is_available() else None
    return {
        "lstmsizer": __version__,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "cpu": device_name(torch.device("cpu")),
        "cpu_bf16_native": native_bf16("cpu"),
        "gpu": gpu,
        "gpu_bf16_native": native_bf16("cuda") if gpu is not None else None,
    }
