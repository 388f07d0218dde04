"""One plot_<thing>(result) -> Figure per figure of the report (matplotlib, no pyplot)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

from lstmsizer.report.numbers import (
    Autocorrelation,
    Band,
    Line,
    baseline_bands,
    forecast_window,
    loss_by_units,
    parameters_by_units,
    rmse_by_units,
    span_ranges,
    spread,
    thin,
)
from lstmsizer.report.results import Baseline
from lstmsizer.rundir.sweep import SummaryRow
from lstmsizer.rundir.tables import Forecasts, Series

SIZE = (6.4, 4.0)  # one column of the page; two-panel figures are twice as wide
WIDE = (12.8, 4.0)
COLORS = ("#1f6feb", "#d4572a", "#2da44e", "#8250df", "#bf8700", "#cf222e", "#1b7c83")
INK, MUTED = "#1f2328", "#6e7781"
STYLE: Any = {  # matplotlib's rcParams, typed loosely: its stubs list every key
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titlelocation": "left",
    "axes.edgecolor": "#8c959f",
    "axes.labelcolor": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#d0d7de",
    "grid.linewidth": 0.6,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "legend.frameon": False,
    "legend.fontsize": 8.5,
    "lines.linewidth": 1.6,
    "lines.markersize": 4.5,
    "svg.fonttype": "none",  # text stays text: smaller files, the page's own font
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Helvetica", "Arial", "sans-serif"],
}

P = ParamSpec("P")


def styled(plot: Callable[P, Figure]) -> Callable[P, Figure]:
    """Draw with the report's style (rcParams are read while artists are created)."""

    @functools.wraps(plot)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Figure:
        with matplotlib.rc_context(STYLE):
            return plot(*args, **kwargs)

    return wrapper


def new_figure(panels: int = 1, wide: bool = False) -> tuple[Figure, list[Axes]]:
    """A figure of the report's size with `panels` side by side."""
    fig = Figure(figsize=WIDE if wide or panels > 1 else SIZE, layout="constrained")
    axes = fig.subplots(1, panels, squeeze=False)[0]
    return fig, list(axes)


def unit_ticks(units: Sequence[float], gap: float = 0.15) -> list[float]:
    """The unit counts to label on a log axis, at least `gap` decades apart.

    Powers of two come first, then multiples of 32, then the rest, so 128 is kept over 127.
    """

    def rank(u: float) -> tuple[int, float]:
        power = u == 2 ** round(math.log2(u))
        return (0 if power else 1 if u % 32 == 0 else 2, u)

    kept: list[float] = []
    for u in sorted({u for u in units if u > 0}, key=rank):
        if all(abs(math.log10(u / k)) >= gap for k in kept):
            kept.append(u)
    return sorted(kept)


def units_axis(ax: Axes, units: Sequence[float]) -> None:
    """Log x axis labelled with the unit counts themselves (1, 2, 4, ..., 256)."""
    ax.set_xscale("log")
    ax.set_xticks(unit_ticks(units))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("units per layer")


def plain_log(axis: Axis) -> None:
    """Log-axis labels as plain numbers (0.2, 5, 1,000), in-between ones on short ranges."""

    def minor(value: float, _: object) -> str:
        low, high = sorted(axis.get_view_interval())
        decades = math.log10(high / low) if low > 0 else math.inf
        shown = (2, 3, 5) if decades < 1.2 else (2, 5) if decades < 2.5 else ()
        mantissa = round(value / 10 ** math.floor(math.log10(value)), 6) if value > 0 else 0
        return f"{value:,g}" if mantissa in shown else ""

    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,g}"))
    axis.set_minor_formatter(FuncFormatter(minor))


def auto_log_y(ax: Axes, values: Sequence[float], ratio: float = 10.0) -> None:
    """Log y axis when the positive values span more than `ratio`."""
    v = np.asarray([x for x in values if math.isfinite(x) and x > 0])
    if v.size and v.max() / v.min() > ratio:
        ax.set_yscale("log")
        plain_log(ax.yaxis)


def draw_lines(ax: Axes, lines: Sequence[Line], colors: Sequence[str] = COLORS) -> None:
    """Each line with markers, and error bars when it has them."""
    for k, line in enumerate(lines):
        color = colors[k % len(colors)]
        if line.err is not None:
            ax.errorbar(
                line.x, line.y, yerr=line.err, color=color, marker="o", capsize=2.5,
                elinewidth=1, label=line.label,
            )  # fmt: skip
        else:
            ax.plot(line.x, line.y, color=color, marker="o", label=line.label)


def draw_bands(ax: Axes, bands: Sequence[Band]) -> None:
    """Baselines as grey mean ± SE bands (label them with label_bands once y is scaled)."""
    shades = ("#57606a", "#8c959f", "#afb8c1", "#c9d1d9")
    for k, band in enumerate(bands):
        color = shades[min(k, len(shades) - 1)]
        ax.axhspan(band.mean - band.se, band.mean + band.se, color=color, alpha=0.18, lw=0)
        ax.axhline(band.mean, color=color, lw=1, ls="--")


def label_bands(ax: Axes, bands: Sequence[Band]) -> None:
    """Name each band at the right edge, the names pushed apart so none overlap."""
    low, high = ax.get_ylim()
    log = ax.get_yscale() == "log"

    def fraction(y: float) -> float:
        if log:
            return (math.log(max(y, 1e-300)) - math.log(low)) / (math.log(high) - math.log(low))
        return (y - low) / (high - low)

    inside = [b for b in bands if 0 <= fraction(b.mean) <= 1]
    places = spread([fraction(b.mean) + 0.008 for b in inside], gap=0.045)
    for band, y in zip(inside, places, strict=True):
        ax.annotate(
            band.label, (0.995, y), xycoords="axes fraction", ha="right", va="bottom",
            fontsize=8, color=INK,
        )  # fmt: skip


def legend(ax: Axes, **options: Any) -> None:
    """The axes' legend, when anything on it has a label."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**options)


def titled(fig: Figure, ax: Axes, title: str, ylabel: str, loc: str) -> Figure:
    """The figure, once its one panel has a title, a y label and (at loc) a legend."""
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    legend(ax, loc=loc)
    return fig


def mark(ax: Axes, x: float, y: float, text: str) -> None:
    """Ring a point and name it, on the side with more room."""
    ax.plot([x], [y], "o", ms=11, mfc="none", mec=INK, mew=1.4, zorder=5)
    low, high = ax.get_xlim()
    scale = math.log if ax.get_xscale() == "log" else float
    right = scale(x) - scale(low) > 0.6 * (scale(high) - scale(low))
    ax.annotate(
        text, (x, y), xytext=(-8 if right else 8, -14), textcoords="offset points",
        ha="right" if right else "left", fontsize=8.5, color=INK,
    )  # fmt: skip


@styled
def plot_series(series: Series, test_start: int | None = None) -> Figure:
    """The series as swept, the final test share shaded."""
    fig, (ax,) = new_figure()
    x, y = thin(series.x, series.value)
    ax.plot(x, y, color=COLORS[0], lw=1.2)
    if test_start is not None and 0 < test_start < len(series.x):
        ax.axvspan(series.x[test_start], series.x[-1], color=COLORS[1], alpha=0.1, lw=0)
        ax.annotate(
            "test", (series.x[test_start], 1), xycoords=("data", "axes fraction"),
            xytext=(3, -12), textcoords="offset points", fontsize=8.5, color=COLORS[1],
        )  # fmt: skip
    ax.set_title("The series")
    ax.set_xlabel("time")
    ax.set_ylabel("value")
    return fig


@styled
def plot_autocorrelation(acf: Autocorrelation) -> Figure:
    """Sample autocorrelation against lag, the ±1.96/√n band and the model's window shaded."""
    fig, (ax,) = new_figure()
    ax.axvspan(0.5, acf.window + 0.5, color=COLORS[2], alpha=0.12, lw=0)
    ax.axhspan(-acf.bound, acf.bound, color=MUTED, alpha=0.15, lw=0)
    ax.vlines(acf.lags, 0, acf.acf, color=COLORS[0], lw=1.6)
    ax.plot(acf.lags, acf.acf, "o", color=COLORS[0], ms=3.5)
    ax.axhline(0, color=INK, lw=0.8)
    ax.annotate(
        f"window: {acf.window} lags", (acf.window + 0.5, 1), xycoords=("data", "axes fraction"),
        xytext=(3, -12), textcoords="offset points", fontsize=8.5, color=COLORS[2],
    )  # fmt: skip
    ax.set_title("Autocorrelation")
    ax.set_xlabel("lag (steps back)")
    ax.set_ylabel("autocorrelation")
    ax.set_ylim(min(-0.25, min(acf.acf, default=0) - 0.05), 1.05)
    return fig


@styled
def plot_rmse(
    configs: Sequence[SummaryRow], baselines: Sequence[Baseline], recommended: str | None = None
) -> Figure:
    """Validation RMSE (mean ± SE) against units per cell x layers, baselines as bands."""
    fig, (ax,) = new_figure()
    lines, bands = rmse_by_units(configs), baseline_bands(baselines)
    draw_bands(ax, bands)
    draw_lines(ax, lines)
    units_axis(ax, [x for line in lines for x in line.x])
    values = [y for line in lines for y in line.y] + [b.mean for b in bands]
    auto_log_y(ax, values)
    label_bands(ax, bands)
    for c in configs:
        if c.config == recommended and math.isfinite(c.mean_rmse):
            mark(ax, c.units, c.mean_rmse, "recommended")
    title = "Validation RMSE against units (mean ± SE over seeds × folds)"
    return titled(fig, ax, title, "RMSE (original scale)", "best")


@styled
def plot_losses(configs: Sequence[SummaryRow]) -> Figure:
    """Training (solid) and early-stopping block (dashed) loss against units per cell x layers."""
    fig, (ax,) = new_figure()
    lines = loss_by_units(configs)
    for k, line in enumerate(lines):
        validation = k % 2 == 1
        ax.plot(
            line.x, line.y, color=COLORS[(k // 2) % len(COLORS)], marker="o" if validation else "s",
            ls="--" if validation else "-", mfc="white" if validation else None, label=line.label,
        )  # fmt: skip
    units_axis(ax, [x for line in lines for x in line.x])
    auto_log_y(ax, [y for line in lines for y in line.y])
    title = "Training and early-stopping block loss against units"
    return titled(fig, ax, title, "loss (MSE, scaled)", "best")


@styled
def plot_parameters(configs: Sequence[SummaryRow], recommended: str | None = None) -> Figure:
    """Trainable parameters against units per cell x layers, on log-log axes."""
    fig, (ax,) = new_figure()
    lines = parameters_by_units(configs)
    draw_lines(ax, lines)
    units_axis(ax, [x for line in lines for x in line.x])
    ax.set_yscale("log")
    plain_log(ax.yaxis)
    for c in configs:
        if c.config == recommended:
            mark(ax, c.units, c.parameters, f"recommended: {c.parameters:,}")
    return titled(fig, ax, "Parameters against units", "trainable parameters", "upper left")


@styled
def plot_forecasts(forecasts: Forecasts, model: str = "recommended", baseline: str = "") -> Figure:
    """Actual values, the recommended model's and the best baseline's forecasts.

    Long spans are cut to the points either side of where the test span begins.
    """
    fig, (ax,) = new_figure(wide=True)
    shown = forecast_window(forecasts)
    cut = len(shown.x) < len(forecasts.x)
    forecasts = shown
    for name, start, end in span_ranges(forecasts):
        ax.axvspan(start, end, color=COLORS[1] if name == "test" else MUTED, alpha=0.08, lw=0)
        ax.annotate(
            name, (start, 0), xycoords=("data", "axes fraction"), xytext=(3, 4),
            textcoords="offset points", fontsize=8.5, color=MUTED,
        )  # fmt: skip
    ax.plot(*thin(forecasts.x, forecasts.actual), color=INK, lw=1.4, label="actual")
    ax.plot(*thin(forecasts.x, forecasts.recommended), color=COLORS[0], label=model)
    if np.isfinite(forecasts.baseline).any():
        ax.plot(
            *thin(forecasts.x, forecasts.baseline), color=COLORS[1], ls="--",
            label=f"best baseline: {baseline}" if baseline else "best baseline",
        )  # fmt: skip
    ax.set_title(
        "Forecasts against actual values"
        + (f", the {len(forecasts.x):,} points around the test start" if cut else "")
    )
    ax.set_xlabel("time")
    ax.set_ylabel("value")
    fig.legend(loc="outside lower center", ncols=3)
    return fig
