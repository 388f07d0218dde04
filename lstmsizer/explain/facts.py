"""The record explain returns: every tensor, the sizes and costs, and the gate names."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from lstmsizer.sizes import LayerParameters

FLOAT32_BYTES = 4

GATE_NAMES: dict[str, tuple[str, ...]] = {
    "lstm": ("input", "forget", "candidate", "output"),
    "gru": ("update", "reset", "candidate"),
    "rnn": ("candidate",),
}
"""Blocks stacked in one kernel, in Keras order (PyTorch stacks GRU blocks as r, z, n)."""

GATE_SYMBOLS: dict[str, tuple[str, ...]] = {"lstm": ("i", "f", "c", "o"), "gru": ("z", "r", "h")}

STORED_STATES: dict[str, int] = {"lstm": 2, "gru": 2, "rnn": 1}
"""State vectors of U kept per step for backward: h and c (LSTM), h and the reset-gated
recurrent candidate term (GRU), h (RNN)."""


@dataclass(frozen=True)
class TensorRow:
    """One tensor of the forward pass.

    Attributes:
        layer: Where it lives: input, lstm_1, lstm_2, ..., dense, output.
        name: Short name, e.g. kernel, h_2 (the hidden state after lag step 2).
        shape: Shape with "B" for the batch axis, as a formula independent of the batch size.
        batch_shape: The same shape with the batch axis set to the explained batch size.
        description: What the tensor holds.
        step: Lag step (1..L) of a state, None for weights and data.
    """

    layer: str
    name: str
    shape: tuple[int | str, ...]
    batch_shape: tuple[int, ...]
    description: str
    step: int | None = None


@dataclass(frozen=True)
class Explanation:
    """Facts about one configuration, all plain numbers and strings.

    Attributes:
        cell, units, lags, features, layers, horizon, n_targets, batch_size: The configuration.
        id_embedding: Numbers (D) of the learned series-id embedding, 0 without one.
        n_ids: Series (S) the embedding has a row for, 0 without one.
        gates: Names of the weight blocks stacked in each kernel.
        tensors: Every tensor from the input windows to the forecast.
        parameters: Per-layer sizes: any id embedding, the recurrent layers, the Dense head.
        keras_parameters: Trainable parameters, Keras convention.
        torch_parameters: Parameters, PyTorch convention (two bias vectors per layer).
        flops_forward: Forward FLOPs for one window (sizes.flops_per_sample).
        flops_training: FLOPs of one training step per window (TRAINING_FLOPS_FACTOR times).
        flops_formula: The forward count with the numbers filled in.
        activation_bytes: Float32 activations a batch keeps for backward (see explain()).
        activation_formula: That estimate with the numbers filled in.
        training_state_bytes: Float32 weights, gradients and Adam's two moments.
        summary: A paragraph in plain words built from the numbers above.
    """

    cell: str
    units: int
    lags: int
    features: int
    layers: int
    horizon: int
    n_targets: int
    batch_size: int
    id_embedding: int
    n_ids: int
    gates: tuple[str, ...]
    tensors: tuple[TensorRow, ...]
    parameters: tuple[LayerParameters, ...]
    keras_parameters: int
    torch_parameters: int
    flops_forward: int
    flops_training: int
    flops_formula: str
    activation_bytes: int
    activation_formula: str
    training_state_bytes: int
    summary: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values; tensor shapes are concrete, with the batch size filled in."""
        out = dataclasses.asdict(self)
        out["tensors"] = [
            {
                "layer": t.layer,
                "name": t.name,
                "shape": list(t.batch_shape),
                "symbolic_shape": list(t.shape),
                "description": t.description,
                "step": t.step,
            }
            for t in self.tensors
        ]
        return out


def counted(count: int, noun: str) -> str:
    """'1 unit', '100 units'."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
