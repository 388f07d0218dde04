"""Shared test settings: one torch thread, so parallel test workers do not fight over cores."""

from __future__ import annotations

import torch

torch.set_num_threads(1)
