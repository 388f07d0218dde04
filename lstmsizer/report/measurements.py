"""Read the optional measurements (diagnostics, speed, claims, training health) defensively."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import pandas as pd

from lstmsizer.intervals import describe_figures
from lstmsizer.report.keys import (
    CAPACITY,
    CELL,
    CLAIMS,
    CURVES,
    DEEP_WIDE,
    DIAGNOSTICS,
    GRADIENTS,
    HEALTH,
    SPEED,
    WITHIN_ONE_SE,
    pick,
    to_bool,
    to_float,
    to_int,
    to_text,
)
from lstmsizer.report.results import (
    Capacity,
    Cells,
    Claim,
    Curve,
    DeepWide,
    Gradient,
    Health,
    Speed,
    SpeedRow,
)


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
        Claim(
            claim=to_text(pick(r, CLAIMS, "claim")),
            verdict=to_text(pick(r, CLAIMS, "verdict")),
            evidence=to_text(pick(r, CLAIMS, "evidence")),
            figure=_figures(r.get("figures")),
            threshold=to_text(r.get("threshold") or ""),
            tested=to_text(r.get("tested") or ""),
        )
        for r in rows
    )
    return out or None


def _figures(payload: Any) -> str:
    """The figures of a claims.json row as text; empty for files from before intervals."""
    if not isinstance(payload, Mapping):
        return ""
    return describe_figures({k: v for k, v in payload.items() if isinstance(v, Mapping)})


def read_health(row: Mapping[Any, Any], columns: Collection[Any]) -> Health | None:
    """A summary.csv row's training health; None when the table has none of its columns."""
    if not any(c in columns for c in (*HEALTH, WITHIN_ONE_SE)):
        return None
    values = {name: to_float(row.get(name)) for name in HEALTH}
    return Health(**values, within_one_se=to_bool(row.get(WITHIN_ONE_SE)))


def read_cells(frame: pd.DataFrame) -> Cells | None:
    """runs.csv's RMSE by configuration and (seed, fold); None without those columns or
    when a cell repeats (older sweeps wrote no seed or fold to pair on)."""
    if any(c not in frame.columns for c in CELL) or frame.empty:
        return None
    keys = frame[["config", "seed", "fold"]]
    if keys.isna().any().any() or keys.duplicated().any():
        return None
    cells: Cells = {}
    for row in frame[list(CELL)].to_dict("records"):
        cells.setdefault(to_text(row["config"]), {})[to_int(row["seed"]), to_int(row["fold"])] = (
            to_float(row["rmse"])
        )
    return cells


def read_curves(frame: pd.DataFrame) -> tuple[Curve, ...] | None:
    """curves.csv: the first (seed, fold) run of each configuration, in epoch order."""
    if any(c not in frame.columns for c in ("config", "epoch", "val_loss")):
        return None
    frame = frame.assign(**{c: frame.get(c, -1) for c in ("seed", "fold")})
    out = []
    for config, rows in frame.groupby("config", sort=False):
        seed, fold = rows.iloc[0]["seed"], rows.iloc[0]["fold"]
        run = rows[(rows["seed"] == seed) & (rows["fold"] == fold)].sort_values("epoch")

        def column(name: str, run: pd.DataFrame = run) -> tuple[float, ...]:
            values = run[name] if name in run.columns else pd.Series(float("nan"), run.index)
            return tuple(float(v) for v in pd.to_numeric(values, errors="coerce"))

        epoch, train_loss, val_loss, lr = (column(name) for name in CURVES[3:])
        seed, fold = to_int(seed, -1), to_int(fold, -1)
        out.append(Curve(to_text(config), seed, fold, epoch, train_loss, val_loss, lr))
    return tuple(c for c in out if c.epoch) or None
