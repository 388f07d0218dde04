"""Every tensor of a forecaster's forward pass, from the input windows to the forecast."""

from __future__ import annotations

from lstmsizer.config import ModelSpec, WindowSpec
from lstmsizer.explain.facts import GATE_NAMES, GATE_SYMBOLS, TensorRow, counted

Shape = tuple[int | str, ...]


def tensor_rows(
    model: ModelSpec,
    window: WindowSpec,
    features: int,
    n_targets: int,
    batch_size: int,
    n_ids: int = 0,
) -> list[TensorRow]:
    """Input windows, any id embedding, each layer's weights and states per step, the head
    and the forecast.

    Shapes keep "B" for the batch axis; batch_shape fills in batch_size.
    """
    b, lags = batch_size, window.lags
    text = f"B windows of {counted(lags, 'lag')} × {counted(features, 'feature')}"
    if not model.id_embedding:
        rows = [_row(b, "input", "x", ("B", lags, features), text)]
    else:
        text += " and the series id (the last column)"
        rows = [_row(b, "input", "x", ("B", lags, features + 1), text)]
        rows += _embedding(model, lags, features, n_ids, b)
    for k in range(1, model.layers + 1):
        rows += _weights(model, k, features, b)
        rows += _states(model, k, lags, b)
    return rows + _head(model, window, n_targets, b)


def _row(
    b: int, layer: str, name: str, shape: Shape, text: str, step: int | None = None
) -> TensorRow:
    concrete = tuple(b if d == "B" else int(d) for d in shape)
    return TensorRow(layer, name, shape, concrete, text, step)


def _embedding(model: ModelSpec, lags: int, features: int, n_ids: int, b: int) -> list[TensorRow]:
    """The id embedding's table, each window's row of it, and the first layer's input."""
    d, first = model.id_embedding, f"{model.cell}_1"
    table = f"one row of {counted(d, 'learned number')} per series, {n_ids} series"
    inputs = f"each step's {counted(features, 'feature')} with e appended, the input of {first}"
    return [
        _row(b, "id embedding", "table", (n_ids, d), table),
        _row(b, "id embedding", "e", ("B", d), "each window's row, looked up by its series id"),
        _row(b, "id embedding", "inputs", ("B", lags, features + d), inputs),
    ]


def _weights(model: ModelSpec, k: int, features: int, b: int) -> list[TensorRow]:
    """Kernel, recurrent kernel and bias of recurrent layer k (from 1)."""
    cell, u, d = model.cell, model.units, model.id_embedding
    g = len(GATE_NAMES[cell])
    per_gate = f"{g} gate blocks {', '.join(GATE_SYMBOLS[cell])} of" if g > 1 else "one block of"
    name, f_in = f"{cell}_{k}", features + d if k == 1 else u
    source = f"{cell}_{k - 1}'s h"
    if k == 1:
        source = "the input features" + (" and the id embedding" if d else "")
    kernel = f"input kernel: {per_gate} {f_in} × {u}, reads {source}"
    recurrent = f"recurrent kernel: {per_gate} {u} × {u}, reads the previous h"
    rows = [
        _row(b, name, "kernel", (f_in, g * u), kernel),
        _row(b, name, "recurrent_kernel", (u, g * u), recurrent),
    ]
    if cell == "gru":
        text = f"input and recurrent bias, {g} × {u} each (reset_after)"
        return [*rows, _row(b, name, "bias", (2, g * u), text)]
    return [*rows, _row(b, name, "bias", (g * u,), f"bias: {g} × {u}")]


def _states(model: ModelSpec, k: int, lags: int, b: int) -> list[TensorRow]:
    """The states of recurrent layer k (from 1) after each lag step, then its sequence."""
    cell, u = model.cell, model.units
    name = f"{cell}_{k}"
    rows = []
    for t in range(1, lags + 1):
        when = "from h_0 = 0" if t == 1 else f"from step {t - 1}"
        rows.append(
            _row(b, name, f"h_{t}", ("B", u), f"hidden state after lag step {t}, updated {when}", t)
        )
        if cell == "lstm":
            rows.append(_row(b, name, f"c_{t}", ("B", u), f"cell state after lag step {t}", t))
    if k < model.layers:
        text = f"h_1..h_{lags} of {name}, the input of {cell}_{k + 1}"
        rows.append(_row(b, name, "sequence", ("B", lags, u), text))
    return rows


def _head(model: ModelSpec, window: WindowSpec, k: int, b: int) -> list[TensorRow]:
    """The Dense head's kernel and bias, and the forecast of k targets."""
    u, horizon, hk = model.units, window.horizon, window.horizon * k
    last = f"{model.cell}_{model.layers}"
    shape: Shape = ("B", horizon) if k == 1 else ("B", horizon, k)
    what = counted(horizon, "step") + ("" if k == 1 else f" × {k} targets")
    return [
        _row(
            b, "dense", "kernel", (u, hk), f"head kernel: reads the final h_{window.lags} of {last}"
        ),
        _row(b, "dense", "bias", (hk,), "head bias"),
        _row(b, "output", "forecast", shape, f"the forecast: {what} per window"),
    ]
