"""Figures of the diagnostics and of training: capacity, gradients, speed, deep versus wide,
loss curves."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from lstmsizer.deepwide import Pair
from lstmsizer.report.health import loss_curves
from lstmsizer.report.numbers import (
    capacity_lines,
    gradient_lines,
    speed_lines,
    under_trained,
)
from lstmsizer.report.plots import (
    COLORS,
    INK,
    MUTED,
    auto_log_y,
    draw_lines,
    legend,
    new_figure,
    plain_log,
    styled,
    titled,
    units_axis,
)
from lstmsizer.rundir.measurements import CapacityResult, Saliency, SpeedResult
from lstmsizer.rundir.sweep import SummaryRow
from lstmsizer.rundir.tables import Curve


@styled
def plot_capacity(capacity: Sequence[CapacityResult]) -> Figure:
    """Hidden dimensions used (participation ratio) against units given, y = x for reference."""
    fig, (ax,) = new_figure()
    lines = capacity_lines(capacity)
    units = [x for line in lines for x in line.x]
    top = max(units, default=1)
    ax.plot([1, top], [1, top], color=MUTED, ls=":", lw=1, label="every unit used (y = x)")
    draw_lines(ax, lines)
    units_axis(ax, units)
    ax.set_yscale("log")
    plain_log(ax.yaxis)
    title = "Units used against units given"
    return titled(fig, ax, title, "effective hidden dimensions", "upper left")


@styled
def plot_gradients(gradients: Sequence[Saliency]) -> Figure:
    """Gradient norm against lag, one line per size; a panel per stage (init, trained)."""
    found = {g.profile.stage for g in gradients}
    stages = [s for s in ("init", "trained") if s in found] + sorted(found - {"init", "trained"})
    fig, axes = new_figure(panels=len(stages), wide=True)
    panels = [gradient_lines(gradients, stage) for stage in stages]
    labels = list(dict.fromkeys(line.label for lines in panels for line in lines))
    cmap = colormaps["viridis"]
    shade = {label: cmap(0.9 * k / max(len(labels) - 1, 1)) for k, label in enumerate(labels)}
    for ax, stage, lines in zip(axes, stages, panels, strict=True):
        for line in lines:
            ax.plot(line.x, line.y, color=shade[line.label], marker="o", ms=3, label=line.label)
        ax.set_yscale("log")
        plain_log(ax.yaxis)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("lag (steps back)")
        ax.set_title("at initialisation" if stage == "init" else stage)
    axes[0].set_ylabel("gradient norm of the forecast")
    legend(axes[-1], loc="best", ncols=2 if len(labels) > 5 else 1)
    fig.suptitle("Gradient norm against lag, per size", x=0.01, ha="left", fontsize=11)
    return fig


@styled
def plot_speed(speed: SpeedResult) -> Figure:
    """Step time and GFLOP/s against units; multiples of 32 filled and marked."""
    fig, axes = new_figure(panels=2)
    lines = speed_lines(speed)
    for ax, line, label in zip(axes, lines, ("ms per training step", "GFLOP/s"), strict=True):
        x, y = np.asarray(line.x), np.asarray(line.y)
        for m in x[(x % 32 == 0) & (x > 0)]:
            ax.axvline(m, color=COLORS[1], lw=0.6, alpha=0.35)
        if line.err is not None and np.isfinite(line.err).any():
            ax.errorbar(x, y, yerr=np.nan_to_num(line.err), fmt="none", ecolor=MUTED, elinewidth=1)
        ax.plot(x, y, color=COLORS[0], lw=1.2)
        other = x % 32 != 0
        ax.plot(x[other], y[other], "o", color=COLORS[0], mfc="white", ms=4)
        ax.plot(x[~other], y[~other], "s", color=COLORS[1], ms=5)
        units_axis(ax, line.x)
        auto_log_y(ax, line.y)
        ax.set_ylabel(label)
    if math.isfinite(speed.matmul_gflops):
        axes[1].axhline(speed.matmul_gflops, color=MUTED, ls="--", lw=1)
    handles = [
        Line2D([], [], color=COLORS[1], marker="s", ls="", label="multiple of 32"),
        Line2D([], [], color=COLORS[0], marker="o", mfc="white", ls="", label="other sizes"),
    ]
    if math.isfinite(speed.matmul_gflops):
        handles.append(Line2D([], [], color=MUTED, ls="--", label="plain matmul on this machine"))
    axes[1].legend(handles=handles, loc="best")
    axes[0].set_title("Step time against units")
    axes[1].set_title("Throughput against units")
    return fig


@styled
def plot_deep_wide(pairs: Sequence[Pair[SummaryRow]]) -> Figure:
    """RMSE ± SE of each stacked model beside the one-layer model of equal budget."""
    fig, (ax,) = new_figure()
    rows = list(pairs)[::-1]  # first pair on top
    y = np.arange(len(rows), dtype=float)
    for k, pair in enumerate(rows):
        ax.plot([pair.deep.mean_rmse, pair.wide.mean_rmse], [k, k], color="#d0d7de", lw=3, zorder=1)
    for offset, name, color, marker in (
        (0.12, "deep", COLORS[3], "D"),
        (-0.12, "wide", COLORS[0], "o"),
    ):
        sides = [getattr(p, name) for p in rows]
        ax.errorbar(
            [c.mean_rmse for c in sides], y + offset, fmt=marker, color=color, capsize=2.5,
            xerr=[np.nan_to_num(c.se_rmse) for c in sides],
            label="deep (stacked)" if name == "deep" else "wide (one layer)",
        )  # fmt: skip
    ax.set_yticks(y, [_pair_label(p) for p in rows])
    ax.tick_params(axis="y", labelsize=8, labelcolor=INK)
    for tick, pair in zip(ax.get_yticklabels(), rows, strict=True):
        if under_trained(pair):
            tick.set_color(COLORS[5])
    for k, pair in enumerate(rows):
        d = pair.difference
        if math.isfinite(d.se):
            ax.annotate(
                f"paired Δ (deep − wide) {d.diff:+.3g} ± {d.se:.2g}",
                (1, k), xycoords=("axes fraction", "data"), xytext=(-4, -12),
                textcoords="offset points", ha="right", fontsize=7.5, color=MUTED,
            )  # fmt: skip
    ax.grid(axis="y", visible=False)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_title("Deep against wide at equal parameter budget")
    ax.set_xlabel("validation RMSE (mean ± SE)")
    if any(under_trained(p) for p in rows):
        ax.plot([], [], "s", color=COLORS[5], label="red label: under-trained or stuck runs")
    legend(ax, loc="best")
    fig.set_figheight(max(4.0, 0.45 * len(rows) + 1.5))
    return fig


def _pair_label(pair: Pair[SummaryRow]) -> str:
    deep, wide = pair.deep, pair.wide
    label = f"{deep.label} vs {wide.label}\n{deep.parameters:,} vs {wide.parameters:,} params"
    return label + ("\nunder-trained" if under_trained(pair) else "")


@styled
def plot_loss_curves(
    curves: Sequence[Curve], configs: Sequence[SummaryRow], recommended: str = ""
) -> Figure:
    """Early-stopping block loss (solid) and training loss (dashed) against epoch, log y,
    for a few sizes; triangles mark where the learning rate was reduced."""
    fig, (ax,) = new_figure()
    shown = loss_curves(curves, configs, recommended)
    for k, curve in enumerate(shown):
        color = COLORS[k % len(COLORS)]
        ax.plot(curve.stop.x, curve.stop.y, color=color, label=curve.label)
        ax.plot(curve.train.x, curve.train.y, color=color, ls="--", lw=1, alpha=0.8)
        if curve.cuts:
            ax.plot(*zip(*curve.cuts, strict=True), "v", color=color, ms=5)
    ax.set_yscale("log")
    plain_log(ax.yaxis)
    ax.set_title("Loss curves of a few sizes (first seed, last fold)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (MSE, scaled)")
    handles, _ = ax.get_legend_handles_labels()
    handles += [
        Line2D([], [], color=MUTED, label="early-stopping block"),
        Line2D([], [], color=MUTED, ls="--", lw=1, label="training"),
    ]
    if any(c.cuts for c in shown):
        handles.append(Line2D([], [], color=MUTED, marker="v", ls="", label="learning rate cut"))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(handles=handles, loc="best", ncols=2 if len(handles) > 5 else 1)
    return fig
