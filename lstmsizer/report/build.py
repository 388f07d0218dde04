"""Draw a run folder's figures and write the report: one self-contained HTML page, or Markdown."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from lstmsizer.atomic import atomic_write, write_text
from lstmsizer.errors import check_choice
from lstmsizer.report.diagnostic_plots import (
    plot_capacity,
    plot_deep_wide,
    plot_gradients,
    plot_loss_curves,
    plot_speed,
)
from lstmsizer.report.html import render_html
from lstmsizer.report.markdown import render_markdown
from lstmsizer.report.numbers import acf_view, deep_wide_pairs
from lstmsizer.report.panel import panel_run
from lstmsizer.report.panel_plots import PANEL_SLOTS
from lstmsizer.report.plots import (
    plot_autocorrelation,
    plot_forecasts,
    plot_losses,
    plot_parameters,
    plot_rmse,
    plot_series,
)
from lstmsizer.report.results import baseline_scores
from lstmsizer.report.slots import Drawn, Slot
from lstmsizer.rundir import RunFolder, read_run
from lstmsizer.rundir.files import PLOTS_DIR, REPORT_FILES

FORMATS = tuple(REPORT_FILES)
PNG_DPI = 120

NO_SERIES = (
    "This run folder has no series.csv, so the series and its autocorrelation cannot be drawn; "
    "sweeps by newer lstmsizer versions write it."
)
NO_FORECASTS = (
    "This run folder has no forecasts.csv, so the forecasts cannot be drawn; "
    "sweeps by newer lstmsizer versions write it."
)
NO_DIAGNOSTICS = "No diagnostics in this run: run `lstmsizer diagnose {run}`."
NO_SPEED = "No speed measurements in this run: run `lstmsizer speed --out {run}/speed.json`."
NO_CURVES = (
    "Loss curves not recorded: this run folder has no curves.csv; sweeps by newer lstmsizer "
    "versions write one run's curves per configuration."
)
NO_DEEP_WIDE = (
    "No deep-versus-wide comparison: this run has no stacked configuration with a one-layer "
    "configuration of about the same parameter count (sweep with --layers 1 2 and equal budget)."
)


def _series(run: RunFolder) -> Figure | None:
    start = (run.info.get("data") or {}).get("test_start")
    return None if run.series is None else plot_series(run.series, start)


def _acf(run: RunFolder) -> Figure | None:
    if run.series is None or np.isfinite(run.series.value).sum() < 3:
        return None
    lags = int((run.info.get("spec") or {}).get("lags") or 1)
    return plot_autocorrelation(acf_view(run.series, lags))


def _forecasts(run: RunFolder) -> Figure | None:
    if run.forecasts is None:
        return None
    rec = run.recommendation
    return plot_forecasts(run.forecasts, f"recommended: {rec.label}", rec.baseline)


def _rmse(run: RunFolder) -> Figure:
    rec = run.recommendation.config
    # over seeds x folds: raced-out configurations ran fewer folds
    return plot_rmse(run.compared, baseline_scores(run.baselines), rec)


def _deep_wide(run: RunFolder) -> Figure | None:
    pairs = deep_wide_pairs(run)
    return plot_deep_wide(pairs) if pairs else None


def _curves(run: RunFolder) -> Figure | None:
    if not run.curves:
        return None
    return plot_loss_curves(run.curves, run.configs, run.recommendation.config)


SLOTS = (
    Slot("series", "data", "The series", "Every value swept; the final test share is shaded.",
         _series, NO_SERIES),
    Slot("autocorrelation", "data", "Autocorrelation",
         "How strongly the series remembers its past, lag by lag; the shaded lags are the "
         "model's input window and the grey band is ±1.96/√n (no correlation).", _acf, NO_SERIES),
    Slot("rmse", "sizing", "Error against units",
         "Validation RMSE on the original scale, mean ± standard error over seeds × folds; the "
         "grey bands are the two best baselines and naive (the last value), mean ± SE on the "
         "same folds.", _rmse, ""),
    Slot("loss", "sizing", "Under- and over-fitting",
         "Training loss (solid) and early-stopping block loss (dashed) at the best epoch: a "
         "widening gap means over-fitting, both high means under-fitting.",
         lambda r: plot_losses(r.configs), ""),
    Slot("parameters", "sizing", "Parameters",
         "Trainable parameters in the Keras convention: they grow with the square of the units.",
         lambda r: plot_parameters(r.configs, r.recommendation.config), ""),
    Slot("loss_curves", "health", "Loss curves",
         "Early-stopping block loss (solid) and training loss (dashed) epoch by epoch for the "
         "smallest, a middle, the largest one-layer, the best and the recommended size; "
         "triangles mark learning-rate cuts. A curve still falling at its last epoch was "
         "stopped by the cap, not by patience.", _curves, NO_CURVES),
    Slot("forecasts", "forecasts", "Forecasts",
         "One-step forecasts of the recommended model and the best baseline beside the actual "
         "values over the validation and test spans.", _forecasts, NO_FORECASTS, wide=True),
    Slot("capacity", "diagnostics", "Units used",
         "The participation ratio of the trained hidden states: how many dimensions the model "
         "really uses, against the units it was given.",
         lambda r: None if r.capacity is None else plot_capacity(r.capacity), NO_DIAGNOSTICS),
    Slot("deep_wide", "diagnostics", "Deep against wide",
         "Each stacked model beside the one-layer model with about the same parameter count.",
         _deep_wide, NO_DEEP_WIDE),
    Slot("gradients", "diagnostics", "Gradients across the window",
         "Norm of the forecast's gradient with respect to each input lag: a steep fall means "
         "the oldest lags hardly matter.",
         lambda r: None if r.gradients is None else plot_gradients(r.gradients), NO_DIAGNOSTICS,
         wide=True),
    Slot("speed", "diagnostics", "Speed on this machine",
         "Training step time and throughput against units, measured; multiples of 32 are "
         "marked so the claim that they are faster can be read off.",
         lambda r: None if r.speed is None else plot_speed(r.speed), NO_SPEED, wide=True),
)  # fmt: skip


ONE_SERIES_SLOTS = ("series", "autocorrelation", "forecasts")
"""Slots that plot one series end to end; a panel run draws PANEL_SLOTS instead."""


def draw(run: RunFolder) -> list[Drawn]:
    """Every slot of the report, drawn from the run folder when its data is there (a panel
    run's also PANEL_SLOTS)."""
    out = []
    slots: tuple[Slot, ...] = SLOTS
    if panel_run(run):  # a panel's series and forecasts are drawn series by series
        slots = tuple(s for s in SLOTS if s.name not in ONE_SERIES_SLOTS) + PANEL_SLOTS
    for slot in slots:
        figure = slot.draw(run)
        out.append(Drawn(slot, figure, slot.missing.format(run=run.path)))
    return out


def figures(run_dir: str | os.PathLike[str]) -> dict[str, Figure]:
    """The report's figures, by name, for a notebook (only those the run folder has data for).

    Args:
        run_dir: A sweep run folder.

    Returns:
        {"series": Figure, "autocorrelation": ..., "rmse": ..., ...} in report order.
    """
    return {d.slot.name: d.figure for d in draw(read_run(run_dir)) if d.figure is not None}


def svg_text(figure: Figure, name: str) -> str:
    """The figure as inline SVG: no XML header or metadata, ids prefixed with `name`."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": name, "svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    # inline SVG in HTML needs no namespace declarations; they are the only URLs in the file
    text = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", text)
    text = re.sub(r'id="([^"]+)"', rf'id="{name}-\1"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{name}-\1)", text)
    text = re.sub(r'href="#([^"]+)"', rf'href="#{name}-\1"', text)
    return text.replace("<svg ", f'<svg role="img" aria-label="{name}" ', 1)


def build_report(
    run_dir: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    format: str = "html",
) -> Path:
    """Write the report of a sweep run folder, and a PNG of each figure under RUN_DIR/plots/.

    Args:
        run_dir: A folder written by lstmsizer.sweep.
        output: The file to write; default RUN_DIR/report.html (or report.md).
        format: "html" (one self-contained page) or "md" (Markdown referencing the PNGs).

    Returns:
        The path of the written report.

    Raises:
        OptionError: format is not html or md.
        DataError: run_dir is not a run folder.
    """
    check_choice("format", format, FORMATS)
    run = read_run(run_dir)
    target = Path(output) if output is not None else run.path / REPORT_FILES[format]
    drawn = draw(run)
    plots = run.path / PLOTS_DIR
    plots.mkdir(exist_ok=True)
    for d in drawn:
        if d.figure is not None:
            with atomic_write(plots / f"{d.slot.name}.png") as temp:
                d.figure.savefig(temp, dpi=PNG_DPI)
    base = Path(os.path.relpath(run.path.resolve(), target.parent.resolve()))
    if format == "html":
        svgs = {d.slot.name: svg_text(d.figure, d.slot.name) for d in drawn if d.figure}
        text = render_html(run, drawn, svgs, base)
    else:
        text = render_markdown(run, drawn, base)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_text(target, text)
    return target
