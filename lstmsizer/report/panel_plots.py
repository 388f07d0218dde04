"""Figures of a panel sweep: the per-series MASE distribution and the best and worst series."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from lstmsizer.errors import DataError
from lstmsizer.report.numbers import forecast_window, span_ranges
from lstmsizer.report.panel import (
    PanelNumbers,
    SeriesForecast,
    panel_view,
    small_multiples,
)
from lstmsizer.report.plots import COLORS, INK, MUTED, new_figure, plain_log, styled
from lstmsizer.report.slots import Slot
from lstmsizer.rundir import RunFolder
from lstmsizer.rundir.sweep import STATISTICAL_FAMILIES

COLUMNS = 3  # small multiples per row
POINTS = 200  # forecasts drawn per series, around its test start
NO_PANEL = "The per-series scores cannot be drawn: panel_scores.csv could not be read."
NO_PANEL_FORECASTS = (
    "The best and worst series cannot be drawn: their scores, or their rows of forecasts.csv, "
    "are missing or unreadable."
)


def _positive(values: Sequence[float]) -> np.ndarray:
    # a log axis shows only positive MASE (0 is a perfect forecast, NaN was not scored)
    v = np.asarray(values, dtype=float)
    return v[np.isfinite(v) & (v > 0)]


def _distribution(ax: Axes, numbers: PanelNumbers) -> None:
    statistical = f"statistical ({' or '.join(STATISTICAL_FAMILIES)})"
    groups = [
        ("LSTM", [s.lstm for s in numbers.series]),
        (statistical, [s.statistical for s in numbers.series]),
        (numbers.pooled_model or "pooled AR", [s.pooled for s in numbers.series]),
    ]
    shown = [(label, _positive(v)) for label, v in groups if _positive(v).size]
    for k, (_, v) in enumerate(shown):
        y = len(shown) - k
        ax.boxplot(
            v, positions=[y], orientation="horizontal", widths=0.5, showfliers=True,
            patch_artist=True, boxprops={"facecolor": COLORS[k], "alpha": 0.25},
            medianprops={"color": COLORS[k], "lw": 2}, flierprops={"ms": 2.5, "mec": MUTED},
        )  # fmt: skip
        median = float(np.median(v))
        ax.annotate(
            f"median {median:.3g}", (median, y + 0.28), ha="center", va="bottom", fontsize=8,
            color=INK,
        )  # fmt: skip
    ax.set_yticks([len(shown) - k for k in range(len(shown))], [label for label, _ in shown])
    ax.axvline(1, color=MUTED, lw=1, ls="--")
    ax.set_xscale("log")
    plain_log(ax.xaxis)
    ax.set_xlabel("test MASE per series (log scale; 1 = in-sample naive error)")
    ax.set_title("Per-series MASE")


def _ratios(ax: Axes, numbers: PanelNumbers) -> None:
    ratios = _positive([s.ratio for s in numbers.series])
    ax.set_title("LSTM MASE / statistical baseline MASE")
    ax.set_xlabel("ratio per series (log scale; below 1 the LSTM is better)")
    ax.set_ylabel("series")
    if not ratios.size:
        ax.text(0.5, 0.5, "no series has both scores", ha="center", transform=ax.transAxes)
        return
    low, high = float(ratios.min()), float(ratios.max())
    if high / low < 1.01:  # one bar: widen the range around it
        low, high = low / 1.1, high * 1.1
    bins = np.geomspace(low, high, min(40, max(8, int(2 * math.sqrt(ratios.size)))) + 1)
    ax.hist(ratios, bins=list(bins), color=COLORS[0], alpha=0.6, lw=0)
    ax.set_xscale("log")
    plain_log(ax.xaxis)
    ax.axvline(1, color=INK, lw=1)
    median = float(np.median(ratios))
    ax.axvline(median, color=COLORS[1], lw=1.4, ls="--")
    ax.annotate(
        f"median {median:.3g}", (median, 1), xycoords=("data", "axes fraction"), xytext=(3, -12),
        textcoords="offset points", fontsize=8.5, color=COLORS[1],
    )  # fmt: skip


@styled
def plot_panel_mase(numbers: PanelNumbers) -> Figure:
    """Per-series test MASE of the LSTM, each series' statistical baseline and the pooled AR as
    box plots on a log scale, medians marked; beside it the LSTM / statistical ratio."""
    fig, (left, right) = new_figure(2)
    _distribution(left, numbers)
    _ratios(right, numbers)
    return fig


@styled
def plot_panel_forecasts(
    panels: Sequence[SeriesForecast], model: str = "recommended", baseline: str = ""
) -> Figure:
    """One small panel per series: actual values, the recommended model's and the best
    baseline's forecasts over the validation and test spans (the test span shaded)."""
    rows = max(1, math.ceil(len(panels) / COLUMNS))
    fig = Figure(figsize=(12.8, 2.8 * rows + 0.6), layout="constrained")
    axes = fig.subplots(rows, COLUMNS, squeeze=False).ravel()
    for ax in axes[len(panels) :]:
        fig.delaxes(ax)
    for ax, panel in zip(axes, panels, strict=False):
        shown = forecast_window(panel.forecasts, POINTS)
        for name, start, end in span_ranges(shown):
            if name == "test":
                ax.axvspan(start, end, color=COLORS[1], alpha=0.08, lw=0)
        ax.plot(shown.x, shown.actual, color=INK, lw=1.2, label="actual")
        ax.plot(shown.x, shown.recommended, color=COLORS[0], lw=1.2, label=model)
        if np.isfinite(shown.baseline).any():
            label = f"best baseline: {baseline}" if baseline else "best baseline"
            ax.plot(shown.x, shown.baseline, color=COLORS[1], lw=1.2, ls="--", label=label)
        s = panel.score
        scores = f"MASE {s.lstm:.3g} vs {s.baseline} {s.statistical:.3g}"
        ax.set_title(f"{panel.rank}: {s.id} · {scores}", fontsize=9.5)
        ax.tick_params(labelsize=7.5)
    if panels:
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=3)
    return fig


def _draw_mase(run: RunFolder) -> Figure | None:
    view = panel_view(run)
    numbers = view.numbers if view is not None else None
    return plot_panel_mase(numbers) if numbers is not None and numbers.series else None


def _draw_forecasts(run: RunFolder) -> Figure | None:
    view = panel_view(run)
    if view is None or view.numbers is None:
        return None
    try:
        panels = small_multiples(view.numbers, run.path)
    except (OSError, ValueError, DataError):
        return None
    if not panels:
        return None
    rec = run.recommendation
    return plot_panel_forecasts(panels, f"recommended: {rec.label}", rec.baseline)


PANEL_SLOTS = (
    Slot("panel_mase", "panel", "Per-series MASE",
         "Test MASE of each series: the recommended LSTM, the series' own statistical baseline "
         f"(the better of {' and '.join(STATISTICAL_FAMILIES)} on that series) and the pooled "
         "AR; boxes span the quartiles, the dashed line is the in-sample naive error. Right: "
         "the LSTM's MASE over its statistical baseline's, series by series.", _draw_mase,
         NO_PANEL, wide=True),
    Slot("panel_forecasts", "panel", "Best and worst series",
         "The three series where the LSTM does best and the three where it does worst against "
         "their own statistical baseline: actual values, the recommended model's and the best "
         "baseline's one-step forecasts over the validation and test (shaded) spans.",
         _draw_forecasts, NO_PANEL_FORECASTS, wide=True),
)  # fmt: skip
"""The figures of a panel run's Many series section, drawn only for a panel run."""
