"""Read the optional measurement files (diagnostics.json, speed.json, claims.json) defensively."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lstmsizer.report.keys import (
    CAPACITY,
    CLAIMS,
    DEEP_WIDE,
    DIAGNOSTICS,
    GRADIENTS,
    SPEED,
    pick,
    to_float,
    to_int,
    to_text,
)
from lstmsizer.report.results import Capacity, Claim, DeepWide, Gradient, Speed, SpeedRow


def _rows(value: Any) -> list[Mapping[str, Any]]:
    ok = isinstance(value, Sequence) and not isinstance(value, str)
    return [r for r in value if isinstance(r, Mapping)] if ok else []


def _section(payload: Any, name: str) -> list[Mapping[str, Any]]:
    return _rows(pick(payload, DIAGNOSTICS, name)) if isinstance(payload, Mapping) else []


def _sizes(payload: Any) -> list[Mapping[str, Any]]:
    # the per-size layout: {"sizes": [{"config": ..., "diagnostics": {...}}, ...]}
    sizes = (pick(s, DIAGNOSTICS, "size") for s in _section(payload, "sizes"))
    return [s for s in sizes if isinstance(s, Mapping)]


def _capacity(row: Mapping[str, Any], units: int, layers: int) -> Capacity:
    fields = ("participation_ratio", "pcs_90", "pcs_99", "dead_share", "saturated_share")
    values = {name: to_float(pick(row, CAPACITY, name)) for name in fields}
    return Capacity(units=units, layers=layers, **values)


def read_capacity(payload: Any) -> tuple[Capacity, ...] | None:
    """Units used per size (the last layer's participation ratio); None when there is none."""
    out = [
        _capacity(r, to_int(pick(r, CAPACITY, "units")), to_int(pick(r, CAPACITY, "layers"), 1))
        for r in _section(payload, "capacity")
    ]
    for size in _sizes(payload):
        capacity = pick(size, DIAGNOSTICS, "capacity")
        ok = isinstance(capacity, Mapping)
        layers = _rows(pick(capacity, DIAGNOSTICS, "layer_capacity")) if ok else []
        if layers:  # the last layer, the one the forecast reads
            units = to_int(pick(size, CAPACITY, "units"))
            out.append(_capacity(layers[-1], units, to_int(pick(size, CAPACITY, "layers"), 1)))
    return tuple(c for c in out if c.units > 0) or None


def _gradient(row: Mapping[str, Any], units: int, layers: int, stage: str) -> Gradient | None:
    saliency = pick(row, GRADIENTS, "saliency", [])
    if not isinstance(saliency, Sequence) or not saliency or units <= 0:
        return None
    lags = pick(row, GRADIENTS, "lags")
    # without lags, saliency is listed oldest lag first
    steps: Sequence[int] = range(len(saliency), 0, -1)
    if isinstance(lags, Sequence) and len(lags) == len(saliency):
        steps = [to_int(k) for k in lags]
    return Gradient(
        units=units,
        layers=layers,
        stage=to_text(pick(row, GRADIENTS, "stage")) or stage,
        lags=tuple(steps),
        saliency=tuple(to_float(v) for v in saliency),
    )


def read_gradients(payload: Any) -> tuple[Gradient, ...] | None:
    """Saliency per lag, per size and stage (init, trained)."""
    found = [
        _gradient(
            r,
            to_int(pick(r, GRADIENTS, "units")),
            to_int(pick(r, GRADIENTS, "layers"), 1),
            "trained",
        )
        for r in _section(payload, "gradients")
    ]
    for size in _sizes(payload):
        units = to_int(pick(size, GRADIENTS, "units"))
        layers = to_int(pick(size, GRADIENTS, "layers"), 1)
        for key, stage in (("gradients_init", "init"), ("gradients_trained", "trained")):
            row = pick(size, DIAGNOSTICS, key)
            if isinstance(row, Mapping):
                found.append(_gradient(row, units, layers, stage))
    return tuple(g for g in found if g is not None) or None


def read_deep_wide(payload: Any) -> tuple[DeepWide, ...] | None:
    """Pairs of a stacked and a one-layer model at equal parameter budget."""
    section = pick(payload, DIAGNOSTICS, "deep_wide") if isinstance(payload, Mapping) else None
    rows = _rows(pick(section, DIAGNOSTICS, "pairs") if isinstance(section, Mapping) else section)
    out = []
    for r in rows:
        both = pick(r, DEEP_WIDE, "parameters", [])
        both = list(both) if isinstance(both, Sequence) else [both, both]
        both = [*both, None, None][:2]
        out.append(
            DeepWide(
                deep=to_text(pick(r, DEEP_WIDE, "deep")),
                wide=to_text(pick(r, DEEP_WIDE, "wide")),
                deep_parameters=to_int(pick(r, DEEP_WIDE, "deep_parameters", both[0])),
                wide_parameters=to_int(pick(r, DEEP_WIDE, "wide_parameters", both[1])),
                deep_rmse=to_float(pick(r, DEEP_WIDE, "deep_rmse")),
                deep_se=to_float(pick(r, DEEP_WIDE, "deep_se")),
                wide_rmse=to_float(pick(r, DEEP_WIDE, "wide_rmse")),
                wide_se=to_float(pick(r, DEEP_WIDE, "wide_se")),
                verdict=to_text(pick(r, DEEP_WIDE, "verdict")),
            )
        )
    return tuple(out) or None


def read_speed(payload: Any) -> Speed | None:
    """Step time and GFLOP/s per unit count, with the machine's matmul peak."""
    if not isinstance(payload, Mapping):
        return None
    rows = [
        SpeedRow(
            units=to_int(pick(r, SPEED, "units")),
            step_ms=to_float(pick(r, SPEED, "step_ms")),
            gflops=to_float(pick(r, SPEED, "gflops")),
            step_ms_iqr=to_float(pick(r, SPEED, "step_ms_iqr")),
        )
        for r in _rows(pick(payload, SPEED, "rows"))
    ]
    rows = [r for r in rows if r.units > 0]
    if not rows:
        return None
    return Speed(
        rows=tuple(rows),
        matmul_gflops=to_float(pick(payload, SPEED, "matmul_gflops")),
        verdict=to_text(pick(payload, SPEED, "verdict")),
        device=to_text(pick(payload, SPEED, "device")),
        threads=to_text(pick(payload, SPEED, "threads")),
    )


def read_claims(payload: Any) -> tuple[Claim, ...] | None:
    """Each forum claim with its verdict and evidence."""
    rows = _rows(pick(payload, CLAIMS, "claims")) if isinstance(payload, Mapping) else []
    out = tuple(
        Claim(*(to_text(pick(r, CLAIMS, name)) for name in ("claim", "verdict", "evidence")))
        for r in rows
    )
    return out or None
