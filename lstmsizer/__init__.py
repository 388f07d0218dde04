"""lstmsizer: how many LSTM units, how many layers, and do you need an LSTM at all."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lstmsizer.version import __version__

__all__ = [
    "Dataset",
    "GridSpec",
    "LSTMForecaster",
    "LstmsizerError",
    "ModelSpec",
    "SearchSpec",
    "SplitSpec",
    "SweepResult",
    "SweepSpec",
    "TimeseriesGenerator",
    "TrainSpec",
    "WindowSpec",
    "__version__",
    "fit",
    "load",
    "sweep",
]

_LAZY = {
    "Dataset": "lstmsizer.datasets",
    "load": "lstmsizer.datasets",
    "LSTMForecaster": "lstmsizer.forecaster",
    "TimeseriesGenerator": "lstmsizer.windows",
    "SweepResult": "lstmsizer.sweeping",
    "sweep": "lstmsizer.sweeping",
}

from lstmsizer.config import ModelSpec, SplitSpec, TrainSpec, WindowSpec  # noqa: E402
from lstmsizer.errors import LstmsizerError  # noqa: E402
from lstmsizer.sweepspec import GridSpec, SearchSpec, SweepSpec  # noqa: E402

if TYPE_CHECKING:
    from lstmsizer.datasets import Dataset, load
    from lstmsizer.fitting import fit
    from lstmsizer.forecaster import LSTMForecaster
    from lstmsizer.sweeping import SweepResult, sweep
    from lstmsizer.windows import TimeseriesGenerator


def __getattr__(name: str) -> Any:
    # torch, pandas and optuna load only when first used, so `lstmsizer --help` stays quick.
    import importlib

    if name == "fit":
        return importlib.import_module("lstmsizer.fitting").fit
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'lstmsizer' has no attribute {name!r}")
