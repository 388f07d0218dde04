"""The explain command: what a configuration is, tensor by tensor, in numbers and words."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

from lstmsizer.cli.app import app
from lstmsizer.cli.options import (
    BatchSize,
    CellOption,
    Horizon,
    JsonOutput,
    Lags,
    Layers,
    Units,
    console,
    option,
)
from lstmsizer.cli.render import print_json, table
from lstmsizer.config import EXPLAIN_LAGS, ModelSpec, TrainSpec, WindowSpec
from lstmsizer.errors import OptionError

if TYPE_CHECKING:
    from lstmsizer.explain import Explanation


@app.command("explain")
def explain_command(
    units: Units = ModelSpec.units,
    lags: Lags = EXPLAIN_LAGS,
    features: Annotated[int, option("Inputs per time step, target included.")] = 1,
    layers: Layers = ModelSpec.layers,
    cell: CellOption = ModelSpec.cell,
    horizon: Horizon = WindowSpec.horizon,
    batch_size: BatchSize = TrainSpec.batch_size,
    id_embedding: Annotated[
        int,
        option("Global model over a panel: numbers each series id is embedded as; 0 for none."),
    ] = ModelSpec.id_embedding,
    series: Annotated[
        int | None,
        option("Series of the panel, one embedding row each; needed with --id-embedding.", "none"),
    ] = None,
    json_output: JsonOutput = False,
) -> None:
    """Explain a configuration: tensor shapes, parameter counts, FLOPs, memory, in words."""
    from lstmsizer.explain import explain

    if id_embedding and (series is None or series < 1):
        given = "none" if series is None else series
        rule = f"must be the number of series (>= 1) with --id-embedding {id_embedding}"
        raise OptionError(f"--series {rule}, got {given}")
    model = ModelSpec(cell, units, layers, id_embedding=id_embedding)
    window = WindowSpec(lags, horizon)
    facts = explain(model, window, features, batch_size=batch_size, n_ids=series or 0)
    if json_output:
        print_json(facts.to_dict())
        return
    _render_explanation(facts)


def _render_explanation(e: Explanation) -> None:
    shapes = []
    for t in e.tensors:
        if t.step is not None and e.lags > 3 and 1 < t.step < e.lags:
            if t.step == 2 and t.name.startswith("h"):
                shapes.append((t.layer, "…", "", f"the same for lag steps 2 to {e.lags - 1}"))
            continue
        shapes.append((t.layer, t.name, _shape(t.shape), t.description))
    title = f"Tensors (B = batch of {e.batch_size})"
    console.print(table(title, ("layer", "tensor", "shape", "what it holds"), shapes))
    params = [(p.name, p.formula, p.torch_formula) for p in e.parameters]
    params.append(("total", f"{e.keras_parameters:,}", f"{e.torch_parameters:,}"))
    console.print(table("Parameters", ("layer", "Keras", "PyTorch"), params))
    b = e.batch_size
    costs = [
        ("forward FLOPs per window", f"{e.flops_forward:,}", e.flops_formula),
        ("training FLOPs per window", f"{e.flops_training:,}", "about 3 × forward"),
        (f"training FLOPs per batch of {b}", f"{e.flops_training * b:,}", f"{b} × per window"),
        (
            f"activations kept for backward, batch of {b}",
            _bytes(e.activation_bytes),
            e.activation_formula,
        ),
        (
            "weights, gradients, Adam's 2 moments",
            _bytes(e.training_state_bytes),
            f"4 copies × {e.keras_parameters:,} × 4 bytes",
        ),
    ]
    console.print(table("Compute and memory (float32)", ("", "amount", "how"), costs, "amount"))
    console.print()
    console.print(e.summary, markup=False)


def _shape(shape: Sequence[int | str]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _bytes(n: int) -> str:
    size, unit = float(n), "bytes"
    for bigger in ("KiB", "MiB", "GiB"):
        if size < 1024:
            break
        size, unit = size / 1024, bigger
    return f"{n:,} bytes" if unit == "bytes" else f"{size:.3g} {unit} ({n:,} bytes)"
