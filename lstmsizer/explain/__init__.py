"""What a recurrent forecaster configuration means: tensor shapes, sizes, cost and a summary."""

from __future__ import annotations

import dataclasses

from lstmsizer.config import ModelSpec, WindowSpec
from lstmsizer.errors import check_int
from lstmsizer.explain.facts import (
    FLOAT32_BYTES,
    GATE_NAMES,
    STORED_STATES,
    Explanation,
    TensorRow,
)
from lstmsizer.explain.summary import summary
from lstmsizer.explain.tensors import tensor_rows
from lstmsizer.sizes import (
    ELEMENTWISE_FLOPS,
    TRAINING_FLOPS_FACTOR,
    check_shape,
    first_input_width,
    flops_per_sample,
    parameter_breakdown,
)

__all__ = ["Explanation", "TensorRow", "explain"]


def explain(
    model: ModelSpec,
    window: WindowSpec,
    features: int = 1,
    *,
    batch_size: int = 32,
    n_targets: int = 1,
    n_ids: int = 0,
) -> Explanation:
    """Explain a recurrent forecaster: LSTM(units) on windows of lags x features, then Dense.

    Activation memory is an estimate of what a training step keeps for backward, in float32:
    the first layer's input windows B*L*F, then per layer and lag step the G*U gate outputs
    plus the stored states (LSTM h and c, GRU h and the reset-gated recurrent term, RNN h),
    then the head's input B*U and output B*H*K: 4 * B * (L*F + layers*L*(G*U + S*U) + U +
    H*K) bytes with S = 2 for LSTM and GRU, 1 for RNN. Framework workspaces and copies are
    not counted. An id embedding of D numbers widens F to features + D.

    Args:
        model: Cell, units per recurrent layer (U), layers and id_embedding (D); the rest
            changes no size.
        window: Window length (L) and steps forecast at once (H).
        features: Inputs per time step (F), the target included, the series id not.
        batch_size: Windows per batch (B); shapes keep "B" and fill it in batch_shape.
        n_targets: Series forecast at each step (K).
        n_ids: Series (S) the id embedding has a row for; needed when D > 0.

    Raises:
        OptionError: For any argument out of range, naming it.
    """
    check_int("features", features)
    check_int("batch_size", batch_size)
    check_int("n_targets", n_targets)
    check_shape(model, window, features, n_targets, n_ids)
    rows = tuple(parameter_breakdown(model, window, features, n_targets, n_ids))
    forward = flops_per_sample(model, window, features, n_targets)
    activations, activation_formula = _activation_memory(
        model, window, features, n_targets, batch_size
    )
    keras = sum(r.keras for r in rows)
    facts = Explanation(
        cell=model.cell,
        units=model.units,
        lags=window.lags,
        features=features,
        layers=model.layers,
        horizon=window.horizon,
        n_targets=n_targets,
        batch_size=batch_size,
        id_embedding=model.id_embedding,
        n_ids=n_ids if model.id_embedding else 0,
        gates=GATE_NAMES[model.cell],
        tensors=tuple(tensor_rows(model, window, features, n_targets, batch_size, n_ids)),
        parameters=rows,
        keras_parameters=keras,
        torch_parameters=sum(r.torch for r in rows),
        flops_forward=forward,
        flops_training=TRAINING_FLOPS_FACTOR * forward,
        flops_formula=_flops_formula(model, window, features, n_targets, forward),
        activation_bytes=activations,
        activation_formula=activation_formula,
        training_state_bytes=4 * FLOAT32_BYTES * keras,
        summary="",
    )
    return dataclasses.replace(facts, summary=summary(facts))


def _activation_memory(
    model: ModelSpec, window: WindowSpec, features: int, n_targets: int, batch_size: int
) -> tuple[int, str]:
    """Bytes a training batch keeps for backward (see explain), and the filled-in formula."""
    u, layers, lags = model.units, model.layers, window.lags
    g, s, out = len(GATE_NAMES[model.cell]), STORED_STATES[model.cell], window.horizon * n_targets
    f = first_input_width(model, features)
    # (B, L, F) input, per layer and step G*U gate outputs + S*U states, (B, U) and (B, H*K) head
    count = FLOAT32_BYTES * batch_size * (lags * f + layers * lags * (g + s) * u + u + out)
    text = (
        f"4 × {batch_size} × ({lags}×{f} + {layers}×{lags}×({g}+{s})×{u} "
        f"+ {u} + {out}) = {count:,} bytes"
    )
    return count, text


def _flops_formula(
    model: ModelSpec, window: WindowSpec, features: int, n_targets: int, total: int
) -> str:
    """The forward FLOPs of sizes.flops_per_sample with the numbers filled in."""
    u, out, f = model.units, window.horizon * n_targets, first_input_width(model, features)
    g, e = len(GATE_NAMES[model.cell]), ELEMENTWISE_FLOPS[model.cell]
    terms = [f"2·{g}·{u}·({f if n == 0 else u}+{u}) + {e}·{u}" for n in range(model.layers)]
    return f"{window.lags} × ({' + '.join(terms)}) + 2·{u}·{out} = {total:,}"
