"""What a recurrent forecaster configuration means: tensor shapes, sizes, cost and a summary."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from lstmsizer.config import ModelSpec, WindowSpec
from lstmsizer.errors import check_int
from lstmsizer.models import (
    ELEMENTWISE_FLOPS,
    TRAINING_FLOPS_FACTOR,
    LayerParameters,
    flops_per_sample,
    parameter_breakdown,
)

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
        gates: Names of the weight blocks stacked in each kernel.
        tensors: Every tensor from the input windows to the forecast.
        parameters: Per-layer sizes, recurrent layers then the Dense head.
        keras_parameters: Trainable parameters, Keras convention.
        torch_parameters: Parameters, PyTorch convention (two bias vectors per layer).
        flops_forward: Forward FLOPs for one window (models.flops_per_sample).
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


def explain(
    units: int,
    lags: int,
    features: int = 1,
    layers: int = 1,
    cell: str = "lstm",
    horizon: int = 1,
    batch_size: int = 32,
    n_targets: int = 1,
) -> Explanation:
    """Explain a recurrent forecaster: LSTM(units) on windows of lags x features, then Dense.

    Activation memory is an estimate of what a training step keeps for backward, in float32:
    the input windows B*L*F, then per layer and lag step the G*U gate outputs plus the stored
    states (LSTM h and c, GRU h and the reset-gated recurrent term, RNN h), then the head's
    input B*U and output B*H*K: 4 * B * (L*F + layers*L*(G*U + S*U) + U + H*K) bytes with
    S = 2 for LSTM and GRU, 1 for RNN. Framework workspaces and copies are not counted.

    Args:
        units: Units per recurrent layer (U).
        lags: Window length (L).
        features: Inputs per time step (F), the target included.
        layers: Stacked recurrent layers.
        cell: lstm, gru or rnn.
        horizon: Steps forecast at once (H).
        batch_size: Windows per batch (B); shapes keep "B" and fill it in batch_shape.
        n_targets: Series forecast at each step (K).

    Raises:
        OptionError: For any argument out of range, naming it.
    """
    ModelSpec(cell=cell, units=units, layers=layers)  # type: ignore[arg-type]
    WindowSpec(lags=lags, horizon=horizon)
    check_int("features", features)
    check_int("batch_size", batch_size)
    check_int("n_targets", n_targets)
    rows = tuple(parameter_breakdown(cell, units, layers, features, horizon, n_targets))
    forward = flops_per_sample(cell, units, layers, features, lags, horizon, n_targets)
    g, s, out = len(GATE_NAMES[cell]), STORED_STATES[cell], horizon * n_targets
    # (B, L, F) input, per layer and step G*U gate outputs + S*U states, (B, U) and (B, H*K) head
    activations = (
        FLOAT32_BYTES
        * batch_size
        * (lags * features + layers * lags * (g + s) * units + units + out)
    )
    keras = sum(r.keras for r in rows)
    facts = Explanation(
        cell=cell,
        units=units,
        lags=lags,
        features=features,
        layers=layers,
        horizon=horizon,
        n_targets=n_targets,
        batch_size=batch_size,
        gates=GATE_NAMES[cell],
        tensors=tuple(
            _tensors(cell, units, lags, features, layers, horizon, n_targets, batch_size)
        ),
        parameters=rows,
        keras_parameters=keras,
        torch_parameters=sum(r.torch for r in rows),
        flops_forward=forward,
        flops_training=TRAINING_FLOPS_FACTOR * forward,
        flops_formula=_flops_formula(cell, units, lags, features, layers, out),
        activation_bytes=activations,
        activation_formula=(
            f"4 × {batch_size} × ({lags}×{features} + {layers}×{lags}×({g}+{s})×{units} "
            f"+ {units} + {out}) = {activations:,} bytes"
        ),
        training_state_bytes=4 * FLOAT32_BYTES * keras,
        summary="",
    )
    return dataclasses.replace(facts, summary=_summary(facts))


def _tensors(
    cell: str, u: int, lags: int, f: int, layers: int, horizon: int, k: int, b: int
) -> list[TensorRow]:
    """Input windows, each layer's weights and states per step, the head and the forecast."""

    def row(
        layer: str, name: str, shape: tuple[int | str, ...], text: str, step: int | None = None
    ) -> TensorRow:
        concrete = tuple(b if d == "B" else int(d) for d in shape)
        return TensorRow(layer, name, shape, concrete, text, step)

    g = len(GATE_NAMES[cell])
    per_gate = f"{g} gate blocks {', '.join(GATE_SYMBOLS[cell])} of" if g > 1 else "one block of"
    out = [
        row("input", "x", ("B", lags, f), f"B windows of {_n(lags, 'lag')} × {_n(f, 'feature')}")
    ]
    for n in range(1, layers + 1):
        name, f_in = f"{cell}_{n}", f if n == 1 else u
        source = "the input features" if n == 1 else f"{cell}_{n - 1}'s h"
        out.append(
            row(
                name,
                "kernel",
                (f_in, g * u),
                f"input kernel: {per_gate} {f_in} × {u}, reads {source}",
            )
        )
        out.append(
            row(
                name,
                "recurrent_kernel",
                (u, g * u),
                f"recurrent kernel: {per_gate} {u} × {u}, reads the previous h",
            )
        )
        if cell == "gru":
            out.append(
                row(
                    name,
                    "bias",
                    (2, g * u),
                    f"input and recurrent bias, {g} × {u} each (reset_after)",
                )
            )
        else:
            out.append(row(name, "bias", (g * u,), f"bias: {g} × {u}"))
        for t in range(1, lags + 1):
            when = "from h_0 = 0" if t == 1 else f"from step {t - 1}"
            out.append(
                row(name, f"h_{t}", ("B", u), f"hidden state after lag step {t}, updated {when}", t)
            )
            if cell == "lstm":
                out.append(row(name, f"c_{t}", ("B", u), f"cell state after lag step {t}", t))
        if n < layers:
            out.append(
                row(
                    name,
                    "sequence",
                    ("B", lags, u),
                    f"h_1..h_{lags} of {name}, the input of {cell}_{n + 1}",
                )
            )
    hk = horizon * k
    out.append(
        row("dense", "kernel", (u, hk), f"head kernel: reads the final h_{lags} of {cell}_{layers}")
    )
    out.append(row("dense", "bias", (hk,), "head bias"))
    shape: tuple[int | str, ...] = ("B", horizon) if k == 1 else ("B", horizon, k)
    what = _n(horizon, "step") + ("" if k == 1 else f" × {k} targets")
    out.append(row("output", "forecast", shape, f"the forecast: {what} per window"))
    return out


def _flops_formula(cell: str, u: int, lags: int, f: int, layers: int, out: int) -> str:
    g, e = len(GATE_NAMES[cell]), ELEMENTWISE_FLOPS[cell]
    terms = [f"2·{g}·{u}·({f if n == 0 else u}+{u}) + {e}·{u}" for n in range(layers)]
    total = flops_per_sample(cell, u, layers, f, lags, out)
    return f"{lags} × ({' + '.join(terms)}) + 2·{u}·{out} = {total:,}"


def _summary(e: Explanation) -> str:
    """A plain-words paragraph whose sentences follow the numbers of e."""
    parts = [_state_sentence(e)]
    if e.layers > 1:
        g = len(e.gates)
        parts.append(
            f"With {e.layers} layers, each layer's sequence of {e.lags} states is the input of "
            f"the next (whose input kernel is {e.units} × {g * e.units}) and only the last "
            "layer's final h reaches the head: depth adds processing per step, not a longer memory."
        )
    parts.append(_units_sentence(e))
    if e.units == 1:
        parts.append(
            "With 1 unit the state is a single number carried through time: it can track a "
            "level or a smoothed value of the series, so the model is close to a nonlinear "
            "autoregression with a one-dimensional state, but it cannot hold several patterns "
            "(a trend and a season, say) at once."
        )
    else:
        parts.append(
            f"Each unit is one number of memory: {e.units} units can hold several patterns at "
            "once (a level, a trend, the phase of a season); how many the data can support is "
            "what a sweep measures."
        )
    torch_note = (
        f"{e.torch_parameters:,} in PyTorch, which keeps a second bias vector"
        if e.torch_parameters != e.keras_parameters
        else "the same in PyTorch, as both keep two bias vectors"
    )
    parts.append(
        f"In all {e.keras_parameters:,} parameters in Keras ({torch_note}) and "
        f"{e.flops_forward:,} FLOPs per forecast."
    )
    return " ".join(parts)


def _state_sentence(e: Explanation) -> str:
    """What the state is, how often it is updated and where the forecast comes from."""
    name = f"{e.cell.upper()}({e.units})"
    label = name if e.layers == 1 else f"{e.layers} stacked {name} layers"
    holder = "the layer carries" if e.layers == 1 else "each layer carries"
    states = f"a hidden state h of {_n(e.units, 'number')}"
    if e.cell == "lstm":
        states += f" (and a cell state c of {e.units})"
    how = (
        f"by its {len(e.gates)} gates ({', '.join(e.gates)}), each reading the current input "
        "and the previous h"
        if len(e.gates) > 1
        else "by one transformation of the current input and the previous h, with no gates"
    )
    targets = "" if e.n_targets == 1 else f" for each of {e.n_targets} targets"
    return (
        f"{label} on windows of {_n(e.lags, 'lag')} × {_n(e.features, 'feature')}: {holder} "
        f"{states}, a learned summary of the window. It starts at zero and is updated once per "
        f"lag, {_n(e.lags, 'time')}, {how}; the Dense head reads the forecast of "
        f"{_n(e.horizon, 'step')} ahead{targets} from the final h."
    )


def _units_sentence(e: Explanation) -> str:
    """Why units need not match features."""
    u, f = e.units, e.features
    kernel = f"{f} × {len(e.gates) * u} input kernel"
    if u < f:
        return (
            f"The {_n(u, 'unit')} {'is' if u == 1 else 'are'} fewer than the {f} features: the "
            f"{kernel} compresses each step's {f} features into {_n(u, 'number')} of memory, so "
            "the model must learn which combinations of features matter."
        )
    return (
        f"Units need not match features: the {_n(f, 'feature')} {'enters' if f == 1 else 'enter'}"
        f" only through the {kernel}, while the {_n(u, 'unit')} set how wide the memory is: here "
        f"{_n(u, 'number')} to summarise a window of {_n(e.lags * f, 'value')}."
    )


def _n(count: int, noun: str) -> str:
    """'1 unit', '100 units'."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
