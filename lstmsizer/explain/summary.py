"""The plain-words paragraph of an explanation, its sentences following the numbers."""

from __future__ import annotations

from lstmsizer.explain.facts import Explanation, counted


def summary(e: Explanation) -> str:
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
    if e.id_embedding:
        parts.append(_embedding_sentence(e))
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


def _embedding_sentence(e: Explanation) -> str:
    """What the id embedding adds: its table, and the wider input kernel of the first layer."""
    s, d, g, u = e.n_ids, e.id_embedding, len(e.gates), e.units
    return (
        f"The id embedding adds {s} × {d} = {s * d:,} parameters, and {d} × {g} × {u} = "
        f"{d * g * u:,} more in the first {e.cell.upper()} layer."
    )


def _state_sentence(e: Explanation) -> str:
    """What the state is, how often it is updated and where the forecast comes from."""
    name = f"{e.cell.upper()}({e.units})"
    label = name if e.layers == 1 else f"{e.layers} stacked {name} layers"
    holder = "the layer carries" if e.layers == 1 else "each layer carries"
    states = f"a hidden state h of {counted(e.units, 'number')}"
    if e.cell == "lstm":
        states += f" (and a cell state c of {e.units})"
    how = (
        f"by its {len(e.gates)} gates ({', '.join(e.gates)}), each reading the current input "
        "and the previous h"
        if len(e.gates) > 1
        else "by one transformation of the current input and the previous h, with no gates"
    )
    targets = "" if e.n_targets == 1 else f" for each of {e.n_targets} targets"
    ids = (
        f", with a learned embedding of the window's series ({counted(e.id_embedding, 'number')}"
        f", one of {counted(e.n_ids, 'row')}) appended to each step"
        if e.id_embedding
        else ""
    )
    return (
        f"{label} on windows of {counted(e.lags, 'lag')} × {counted(e.features, 'feature')}{ids}: "
        f"{holder} {states}, a learned summary of the window. It starts at zero and is updated "
        f"once per lag, {counted(e.lags, 'time')}, {how}; the Dense head reads the forecast of "
        f"{counted(e.horizon, 'step')} ahead{targets} from the final h."
    )


def _units_sentence(e: Explanation) -> str:
    """Why units need not match features."""
    u, f = e.units, e.features
    kernel = f"{f + e.id_embedding} × {len(e.gates) * u} input kernel"
    if e.id_embedding:
        kernel += f" (with the {counted(e.id_embedding, 'embedding number')})"
    if u < f:
        return (
            f"The {counted(u, 'unit')} {'is' if u == 1 else 'are'} fewer than the {f} features: "
            f"the {kernel} compresses each step's {f} features into {counted(u, 'number')} of "
            "memory, so the model must learn which combinations of features matter."
        )
    return (
        f"Units need not match features: the {counted(f, 'feature')} "
        f"{'enters' if f == 1 else 'enter'} only through the {kernel}, while the "
        f"{counted(u, 'unit')} set how wide the memory is: here {counted(u, 'number')} to "
        f"summarise a window of {counted(e.lags * f, 'value')}."
    )
