"""lstmsizer: how many LSTM units, how many layers, and do you need an LSTM at all."""

from __future__ import annotations

__version__ = "0.1.0"
