"""Closed-form sizes of a forecaster network: parameters, FLOPs, equal budgets, its label."""

from __future__ import annotations

import math
from dataclasses import dataclass

from lstmsizer.config import ModelSpec, WindowSpec
from lstmsizer.errors import check, check_int

KERAS_LAYERS: dict[str, str] = {"lstm": "LSTM", "gru": "GRU", "rnn": "SimpleRNN"}
"""Keras layer class of each cell."""

GATES: dict[str, int] = {"lstm": 4, "gru": 3, "rnn": 1}
"""Weight blocks stacked in one kernel: i, f, g, o (LSTM); r, z, n (GRU); one for a simple RNN."""

ELEMENTWISE_FLOPS: dict[str, int] = {"lstm": 17, "gru": 16, "rnn": 3}
"""Elementwise FLOPs per unit per step, see flops_per_sample."""

TRAINING_FLOPS_FACTOR = 3
"""A training step costs about 3 forward passes: forward, and backward for inputs and weights."""


def config_label(cell: str, units: int, layers: int = 1, activation: str = "tanh") -> str:
    """A short Keras-style name: LSTM(32), GRU(64, relu), 2-layer LSTM(64).

    Takes the fields rather than a ModelSpec: it also names rows read back from result files.
    """
    name = f"{KERAS_LAYERS.get(cell, cell)}({units}"
    name += ")" if activation == "tanh" else f", {activation})"
    return name if layers == 1 else f"{layers}-layer {name}"


@dataclass(frozen=True)
class LayerParameters:
    """Sizes of one layer in Keras and PyTorch conventions.

    Attributes:
        name: Keras-style layer name: id embedding, lstm_1, lstm_2, ..., dense.
        kernel_shapes: Keras kernel shapes: (F, G*U) and (U, G*U), (U, H*K) for Dense, or
            the embedding table (S, D).
        bias_shapes: Keras bias shapes: (G*U,), (2, 3U) for GRU, (H*K,) for Dense, none for
            the embedding.
        torch_shapes: Parameter names and shapes as in one nn.LSTM/GRU/RNN(num_layers=layers).
        keras: Keras parameter count.
        torch: PyTorch parameter count (two bias vectors in every recurrent layer).
        formula: The Keras count with the numbers filled in.
        torch_formula: The PyTorch count with the numbers filled in.
    """

    name: str
    kernel_shapes: tuple[tuple[int, ...], ...]
    bias_shapes: tuple[tuple[int, ...], ...]
    torch_shapes: tuple[tuple[str, tuple[int, ...]], ...]
    keras: int
    torch: int
    formula: str
    torch_formula: str


def check_shape(
    model: ModelSpec,
    window: WindowSpec,
    n_features: int,
    n_targets: int = 1,
    n_ids: int | None = 0,
) -> None:
    """Raise OptionError unless model and window are specs and the counts integers >= 1,
    n_ids >= 1 when the model embeds series ids (else >= 0); None skips n_ids, for sizes
    that do not depend on it."""
    check(isinstance(model, ModelSpec), "model", "must be a ModelSpec", type(model).__name__)
    check(isinstance(window, WindowSpec), "window", "must be a WindowSpec", type(window).__name__)
    check_int("n_features", n_features)
    check_int("n_targets", n_targets)
    if n_ids is None:
        return
    check_int("n_ids", n_ids, minimum=0)
    if model.id_embedding:
        rule = f"must be an integer >= 1 with id_embedding {model.id_embedding}"
        check(n_ids >= 1, "n_ids", rule, n_ids)


def first_input_width(model: ModelSpec, n_features: int) -> int:
    """Inputs per step of the first recurrent layer: the real input columns, then the id
    embedding's D numbers (the id column itself is replaced by them)."""
    return n_features + model.id_embedding


def _recurrent_formula(gates: int, f: int, u: int, biases: int) -> tuple[int, str]:
    count = gates * (f * u + u * u + biases * u)
    bias = f"{u}" if biases == 1 else f"{biases}×{u}"
    inner = f"{f}×{u} + {u}×{u} + {bias}"
    text = inner if gates == 1 else f"{gates} × ({inner})"
    return count, f"{text} = {count:,}"


def _recurrent_layer(cell: str, k: int, f: int, u: int) -> LayerParameters:
    """Recurrent layer k (from 0) with input width f and u units."""
    g = GATES[cell]
    keras, formula = _recurrent_formula(g, f, u, 2 if cell == "gru" else 1)
    torch_count, torch_formula = _recurrent_formula(g, f, u, 2)
    return LayerParameters(
        name=f"{cell}_{k + 1}",
        kernel_shapes=((f, g * u), (u, g * u)),
        # GRU reset_after keeps an input and a recurrent bias
        bias_shapes=((2, g * u),) if cell == "gru" else ((g * u,),),
        torch_shapes=(
            (f"weight_ih_l{k}", (g * u, f)),
            (f"weight_hh_l{k}", (g * u, u)),
            (f"bias_ih_l{k}", (g * u,)),
            (f"bias_hh_l{k}", (g * u,)),
        ),
        keras=keras,
        torch=torch_count,
        formula=formula,
        torch_formula=torch_formula,
    )


def _dense_layer(u: int, out: int) -> LayerParameters:
    dense = u * out + out
    text = f"{u}×{out} + {out} = {dense:,}"
    return LayerParameters(
        name="dense",
        kernel_shapes=((u, out),),
        bias_shapes=((out,),),
        torch_shapes=(("weight", (out, u)), ("bias", (out,))),
        keras=dense,
        torch=dense,
        formula=text,
        torch_formula=text,
    )


def _embedding_layer(n_ids: int, dim: int) -> LayerParameters:
    count = n_ids * dim
    text = f"{n_ids}×{dim} = {count:,}"
    return LayerParameters(
        name="id embedding",
        kernel_shapes=((n_ids, dim),),
        bias_shapes=(),
        torch_shapes=(("weight", (n_ids, dim)),),
        keras=count,
        torch=count,
        formula=text,
        torch_formula=text,
    )


def _breakdown(
    cell: str, units: int, layers: int, n_features: int, out: int
) -> list[LayerParameters]:
    rows = [
        _recurrent_layer(cell, k, n_features if k == 0 else units, units) for k in range(layers)
    ]
    return [*rows, _dense_layer(units, out)]


def parameter_breakdown(
    model: ModelSpec, window: WindowSpec, n_features: int, n_targets: int = 1, n_ids: int = 0
) -> list[LayerParameters]:
    """Per-layer parameter sizes of the recurrent stack and its Dense head.

    Args:
        model: Cell, units (U), layers and id_embedding (D); activation, dropout and init
            change no size.
        window: Its horizon (H) sets the Dense width; the lags change no size.
        n_features: Real input columns per time step (F): the target and any features, not
            the series-id column of a panel model (ForecastNet's n_features counts that
            column, so it is this F + 1 there).
        n_targets: Targets per step (K).
        n_ids: Series (S) the id embedding has a row for; needed when D > 0.

    Returns:
        With D > 0 first an "id embedding" row of S*D parameters (the same in Keras and
        PyTorch), then one LayerParameters per recurrent layer, the first reading F + D
        inputs, then one for the Dense head.

    Raises:
        OptionError: An argument out of range, or n_ids < 1 with D > 0.
    """
    check_shape(model, window, n_features, n_targets, n_ids)
    out = window.horizon * n_targets
    f_in = first_input_width(model, n_features)
    rows = _breakdown(model.cell, model.units, model.layers, f_in, out)
    if model.id_embedding:
        return [_embedding_layer(n_ids, model.id_embedding), *rows]
    return rows


def keras_parameter_count(
    model: ModelSpec, window: WindowSpec, n_features: int, n_targets: int = 1, n_ids: int = 0
) -> int:
    """Trainable parameters in Keras: LSTM(100) on one feature plus Dense(1) has 40,901.

    Per layer with input width F (n_features + D, then units) and U units: LSTM
    4*(F*U + U*U + U); GRU (reset_after) 3*(F*U + U*U + 2U); SimpleRNN F*U + U*U + U;
    then Dense U*(H*K) + H*K, plus S*D for an id embedding. Arguments as in
    parameter_breakdown.
    """
    rows = parameter_breakdown(model, window, n_features, n_targets, n_ids)
    return sum(row.keras for row in rows)


def torch_parameter_count(
    model: ModelSpec, window: WindowSpec, n_features: int, n_targets: int = 1, n_ids: int = 0
) -> int:
    """Parameters in PyTorch's convention, with two bias vectors in every recurrent layer.

    LSTM 4*(F*U + U*U + 2U); GRU 3*(F*U + U*U + 2U); RNN F*U + U*U + 2U; Dense and the id
    embedding as in Keras. Arguments as in parameter_breakdown.
    """
    rows = parameter_breakdown(model, window, n_features, n_targets, n_ids)
    return sum(row.torch for row in rows)


def flops_per_sample(
    model: ModelSpec, window: WindowSpec, n_features: int, n_targets: int = 1
) -> int:
    """Forward FLOPs for one window, a multiply-add counted as 2 FLOPs.

    Per time step and layer: 2*G*U*(F_in + U) for the input and recurrent matmuls, plus
    E*U elementwise FLOPs, with every add, multiply and activation counted as 1:
    LSTM E = 17 (8 to add the two projections and the bias over 4U gates, 5 activations,
    3 for c = f*c + i*g, 1 for h = o*act(c)); GRU E = 16 (6 bias adds over 3U, 2 sums for
    r and z, 2 for xn + r*hn, 3 activations, 3 for h = n + z*(h - n)); RNN E = 3 (2 adds,
    1 activation). The total is that times lags (L), plus 2*U*H*K for the Dense head. A
    training step costs about TRAINING_FLOPS_FACTOR (3) times the forward FLOPs. An id
    embedding widens the first layer's input to F + D; its lookup is no arithmetic. Arguments
    as in parameter_breakdown (without n_ids, which changes no FLOPs); here the window's
    lags count too.
    """
    check_shape(model, window, n_features, n_targets, n_ids=None)
    g, u, cell = GATES[model.cell], model.units, model.cell
    per_step = 0
    for k in range(model.layers):
        f = first_input_width(model, n_features) if k == 0 else u
        per_step += 2 * g * u * (f + u) + ELEMENTWISE_FLOPS[cell] * u
    return per_step * window.lags + 2 * u * window.horizon * n_targets


def training_flops(
    model: ModelSpec,
    window: WindowSpec,
    n_features: int,
    windows: int,
    epochs: int,
    n_targets: int = 1,
) -> int:
    """FLOPs of training one model: `epochs` passes over `windows` training windows.

    Each window costs TRAINING_FLOPS_FACTOR (3) forward passes (flops_per_sample): the
    forward pass, and a backward pass that takes about two more, one for the gradients of the
    inputs and one for those of the weights. Optimizer updates and any validation pass are
    left out, so this is a lower bound on the arithmetic of a run.

    Args:
        windows: Training windows per epoch.
        epochs: Passes over them.
        model, window, n_features, n_targets: As in flops_per_sample.
    """
    check_int("windows", windows, minimum=0)
    check_int("epochs", epochs, minimum=0)
    per_window = flops_per_sample(model, window, n_features, n_targets)
    return TRAINING_FLOPS_FACTOR * per_window * windows * epochs


def equal_budget_width(model: ModelSpec, window: WindowSpec, n_features: int) -> int:
    """The single-layer width whose Keras parameter count is nearest to model's stack.

    Args:
        model: The stack: cell, units per layer and layers; an id embedding widens the first
            layer's input as in parameter_breakdown, and its own S*D parameters are the same
            at every width, so they change no answer.
        window: Its horizon sets the Dense width.
        n_features: Real input columns per time step, as in parameter_breakdown.

    Returns:
        The width; on a tie between two widths, the smaller.
    """
    check_shape(model, window, n_features, n_ids=None)
    cell, horizon = model.cell, window.horizon
    f_in = first_input_width(model, n_features)

    def count(width: int, layers: int = 1) -> int:
        return sum(row.keras for row in _breakdown(cell, width, layers, f_in, horizon))

    target = count(model.units, model.layers)
    # one layer's count is a*w^2 + b*w + c exactly: read a, b, c off three widths
    f1, f2, f3 = count(1), count(2), count(3)
    a = (f3 - 2 * f2 + f1) / 2
    b = f2 - f1 - 3 * a
    c = f1 - a - b
    root = (-b + math.sqrt(max(b * b - 4 * a * (c - target), 0.0))) / (2 * a)
    guess = math.floor(root)
    candidates = range(max(1, guess - 1), max(1, guess + 2) + 1)
    return min(candidates, key=lambda w: (abs(count(w) - target), w))
