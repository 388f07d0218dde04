"""How fit and predict show a panel: the cross-series table, the data line, the forecasts."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from lstmsizer.cli.options import console
from lstmsizer.cli.render import column, missing, print_json, records, table

if TYPE_CHECKING:
    from lstmsizer.forecaster import LSTMForecaster
    from lstmsizer.panel import Panel
    from lstmsizer.panelfit import PanelFitResult
    from lstmsizer.panelsplits import PanelSplit

SHOWN_SERIES = 5
"""Series whose forecast fit prints; --json gives every series."""
MOST_FILLED = 3
"""Series named in the data line as those with the most filled values."""


def render_fit(result: PanelFitResult, saved: str | None, fill: str | None) -> None:
    """Print the cross-series table, the data line, early stopping and the first forecasts."""
    split, frame = result.split, result.table
    if split.val_origins.size:
        metrics = [column(frame[name]) for name in ("mae", "rmse", "mase", "smape")]
        params = ["" if missing(v) else f"{int(v):,}" for v in frame["parameters"]]
        seconds = [f"{v:.2f}" for v in frame["seconds"]]
        series = ["" if missing(v) else str(int(v)) for v in frame["series"]]
        names = frame["model"].astype(str)
        rows = zip(names, series, *metrics, params, seconds, strict=True)
        head = ("model", "series", "MAE", "RMSE", "MASE", "sMAPE %", "parameters", "seconds")
        h = split.horizon
        title = (
            f"Validation across {result.dataset.n_series} series: {split.val_origins.size} "
            f"forecasts of {h} step{'s' * (h > 1)}, sorted by RMSE. RMSE and MAE on each "
            "series' own scale, pooled; MASE and sMAPE the mean over series"
        )
        console.print(table(title, head, rows, *head[1:]))
        for name, error in zip(names, frame["error"], strict=True):
            if error is not None:
                console.print(f"{name}: {error}", markup=False)
    else:
        console.print("No validation (--val-fraction 0): trained on all values, nothing scored.")
    console.print(data_line(result.dataset, split, fill), markup=False)
    block = result.forecaster.stop_block_
    if block is not None and block.stop:
        console.print(
            f"Early stopping watched the last training windows of each series, {block.stop} "
            f"of the {block.train}, which were not fitted; the validation part was only scored.",
            markup=False,
        )
    for line in forecast_lines(result.forecast, SHOWN_SERIES):
        console.print(line, markup=False)
    if saved is not None:
        console.print(f"Model saved to {saved}", markup=False)


def fit_payload(result: PanelFitResult, saved: str | None, fill: str | None) -> dict[str, Any]:
    """Everything fit knows of a panel, as plain JSON values (forecast as records)."""
    forecaster = result.forecaster
    specs: dict[str, Any] = {
        "window": forecaster.window,
        "model": forecaster.model,
        "train": forecaster.train,
    }
    validated = bool(result.split.val_origins.size)
    return {
        "model": forecaster.name,
        "data": data_facts(result.dataset, result.split, fill),
        "validated": validated,
        "table": records(result.table) if validated else [],
        "per_series": records(result.per_series),
        "forecast": forecast_records(result.forecast),
        "specs": {k: dataclasses.asdict(v) for k, v in specs.items()},
        "epochs_run": forecaster.history_.epochs if forecaster.history_ else 0,
        "stop_windows": forecaster.stop_block_.stop if forecaster.stop_block_ else 0,
        "saved": saved,
    }


def data_facts(panel: Panel, split: PanelSplit | None, fill: str | None) -> dict[str, Any]:
    """The panel's name, size, lengths and filled values; the split's cut when given."""
    facts: dict[str, Any] = {
        "name": panel.name,
        "description": panel.description,
        "source": panel.source,
        "target": panel.target,
        "series": panel.n_series,
        "length": panel.n_values,
        "shortest": int(panel.lengths.min()),
        "longest": int(panel.lengths.max()),
        "filled": dict(panel.filled),
        "fill": fill,
    }
    if split is not None:
        facts["split"] = split.to_dict()
    return facts


def data_line(panel: Panel, split: PanelSplit | None, fill: str | None) -> str:
    """Data: name (description), S series, T values, shortest/longest, filled per series."""
    low, high = int(panel.lengths.min()), int(panel.lengths.max())
    line = (
        f"Data: {panel.name} ({panel.description}), {panel.n_series} series, "
        f"{panel.n_values:,} values, {low} to {high} per series"
    )
    if split is not None and bool((split.train_end < split.n).any()):
        line += f"; validated on the {split.cut}"
    if panel.filled:
        line += "; " + filled_text(panel.filled, fill)
    return line + "."


def filled_text(filled: Mapping[str, int], fill: str | None) -> str:
    """How many values were filled (or rows dropped), in how many series, most where."""
    total = sum(filled.values())
    plural = "s" * (total != 1)
    how = "" if fill is None else f" ({fill})"
    done = f"row{plural} dropped" if fill == "drop" else f"missing value{plural} filled{how}"
    most = sorted(filled.items(), key=lambda item: -item[1])[:MOST_FILLED]
    named = ", ".join(f"{ident} {count}" for ident, count in most)
    return f"{total} {done} in {len(filled)} series, most in {named}"


def forecast_lines(forecast: pd.DataFrame, shown: int | None) -> list[str]:
    """The forecast, one line per series (the first `shown` of them; None: all)."""
    ids = list(dict.fromkeys(forecast["id"]))
    steps = int(forecast["step"].max())
    count = "value" if steps == 1 else f"{steps} values"
    lines = [f"Forecast of the next {count} of each series:"]
    for ident, part in forecast.groupby("id", sort=False):
        if shown is not None and len(lines) > shown:
            break
        first = part["time"].iloc[0]
        when = "" if first is None else f" from {_stamp(first)}"
        values = ", ".join(f"{v:.6g}" for v in part["value"])
        lines.append(f"  {ident}{when}: {values}")
    if shown is not None and len(ids) > shown:
        lines.append(f"  and {len(ids) - shown} more series (--json gives every one)")
    return lines


def forecast_table(forecast: pd.DataFrame, title: str) -> Any:
    """Every forecast row as a table: id, step, time (when known), value."""
    timed = forecast["time"].notna().any()
    head = ("id", "step", "time", "value") if timed else ("id", "step", "value")
    rows = (
        (str(r.id), str(r.step), *([_stamp(r.time)] if timed else []), f"{r.value:.6g}")
        for r in forecast.itertuples(index=False)
    )
    return table(title, head, rows, "step", "value")


def forecast_records(forecast: pd.DataFrame) -> list[dict[str, Any]]:
    """The forecast as JSON records, time stamps as text."""
    stamps: list[Any] = [None if t is None else _stamp(t) for t in forecast["time"]]
    return records(forecast.assign(time=stamps))


def _stamp(stamp: Any) -> str:
    """A time stamp for people: a date when it has no time of day."""
    if isinstance(stamp, pd.Timestamp) and stamp == stamp.normalize():
        return str(stamp.date())
    return str(stamp)


def predict_panel(
    path: str,
    forecaster: LSTMForecaster,
    panel: Panel,
    steps: int | None,
    series_ids: str | None,
    json_output: bool,
) -> None:
    """predict on a panel: forecast the chosen series (--series A,B; None: all) and show them."""
    from lstmsizer.panelfit import forecast_panel

    chosen = None if series_ids is None else [s.strip() for s in series_ids.split(",")]
    forecast = forecast_panel(forecaster, panel, steps, chosen)
    if json_output:
        payload = {"model": path, "name": forecaster.name, "forecast": forecast_records(forecast)}
        print_json({**payload, "data": data_facts(panel, None, None)})
        return
    console.print(f"Model: {forecaster.name} from {path}", markup=False)
    console.print(data_line(panel, None, None), markup=False)
    steps = int(forecast["step"].max())
    title = f"Forecast of {forecast['id'].nunique()} series, {steps} step{'s' * (steps > 1)}"
    console.print(forecast_table(forecast, title))
