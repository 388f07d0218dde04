"""Training health in numbers and words: the health table, the loss curves to draw, stability."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lstmsizer.report.facts import number, signed
from lstmsizer.report.numbers import Line, thin
from lstmsizer.report.tables import Cell
from lstmsizer.rundir.convert import to_float, to_int
from lstmsizer.rundir.sweep import Health, Recommendation, SummaryRow
from lstmsizer.rundir.tables import Curve

HEALTH_COLUMNS = (
    "model",
    "epochs (median / cap)",
    "converged",
    "under-trained",
    "restarted",
    "stuck",
    "learning rate",
    "RMSE sd",
    "paired Δ to best ± SE",
    "within one SE",
    "bootstrap share",
)
NAN = math.nan


def share(value: float) -> str:
    """A share as a whole percentage ("67%"), "–" when not recorded."""
    return f"{value:.0%}" if math.isfinite(value) else "–"


def rate(value: float) -> str:
    """A learning rate to 3 significant digits (0.001, 0.0003), "–" when not recorded."""
    return f"{value:.3g}" if math.isfinite(value) else "–"


def epochs_used(median: float, cap: float) -> str:
    """Median epochs against the cap: "312 / 2000"."""
    if not math.isfinite(median):
        return "–"
    return f"{median:.0f} / {cap:.0f}" if math.isfinite(cap) else f"{median:.0f}"


def _paired(health: Health, best: bool) -> Cell:
    if best:
        return "best", 0.0
    if not math.isfinite(health.paired_diff):
        return "–", NAN
    return signed(health.paired_diff, health.paired_se), health.paired_diff


def _within(value: bool | None) -> Cell:
    return ("–", NAN) if value is None else ("yes", 1.0) if value else ("no", 0.0)


@dataclass(frozen=True)
class HealthRow:
    """One row of the training-health table: a cell per HEALTH_COLUMNS entry.

    troubled: some runs hit the epoch cap still improving, or stayed stuck.
    """

    config: str
    cells: tuple[Cell, ...]
    troubled: bool


def health_rows(configs: Sequence[SummaryRow], cap: float = NAN, best: str = "") -> list[HealthRow]:
    """The training-health table, smallest configuration first.

    Args:
        configs: summary.csv's rows; those without health columns are left out.
        cap: The epoch cap of the sweep, for rows that do not record their own.
        best: The best configuration's id (its paired difference is shown as "best").
    """
    rows = []
    for c in sorted(configs, key=lambda c: (c.parameters, c.config)):
        h = c.health
        if h is None:
            continue
        limit = h.epoch_cap if math.isfinite(h.epoch_cap) else cap
        cells: tuple[Cell, ...] = (
            (c.label or c.config, float(c.parameters)),
            (epochs_used(h.median_epochs, limit), h.median_epochs),
            (share(h.converged_share), h.converged_share),
            (share(h.under_trained_share), h.under_trained_share),
            (share(h.restarted_share), h.restarted_share),
            (share(h.stuck_share), h.stuck_share),
            (rate(h.lr), h.lr),
            (number(h.sd_rmse), h.sd_rmse),
            _paired(h, c.config == best),
            _within(h.within_one_se),
            (share(h.selected_share), h.selected_share),
        )
        rows.append(HealthRow(c.config, cells, h.troubled))
    return rows


def stability_sentence(rec: Recommendation, labels: Mapping[str, str]) -> str:
    """The stability line: "Recommended in 84% of 1,000 resamples; LSTM(16) in 11%.".

    Empty when the run folder records no bootstrap, or when the verdict already says it.
    """
    if not math.isfinite(rec.stability_share):
        return ""
    of = f"{rec.resamples:,} resamples" if rec.resamples > 0 else "the bootstrap resamples"
    if f"{share(rec.stability_share)} of {of}" in rec.verdict:
        return ""
    text = f"Recommended in {share(rec.stability_share)} of {of}"
    if rec.runner_up:
        name = rec.runner_up_label or labels.get(rec.runner_up) or rec.runner_up
        text += f"; {name} in {share(rec.runner_up_share)}"
    return text + "."


def _stopping(spec: Mapping[str, Any], block: str) -> str:
    # block: the sweep's own sentence on how the early-stopping block was chosen, if any
    fraction = to_float(spec.get("stop_fraction"))
    if not block:
        carved = (
            f"the last {fraction:.0%} of each fold's training windows"
            if math.isfinite(fraction)
            else "carved from the end of each fold's training part"
        )
        block = (
            f"The early-stopping block is {carved}; it is never scored, the validation RMSE "
            "comes from the validation block after it."
        )
    patience, least, cap = (to_int(spec.get(k)) for k in ("patience", "min_epochs", "epochs"))
    rule = f"has not improved for {patience} epochs" if patience else "stops improving"
    bounds = [f"at least {least}"] if least and (not cap or least < cap) else []
    bounds += [f"at most {cap}"] if cap else []
    limits = f" ({' and '.join(bounds)} epochs)" if bounds else ""
    return (
        "Each configuration is trained to convergence: training stops once the loss on an "
        f"early-stopping block {rule}{limits}, and the weights of its best epoch are kept. "
        + block.strip()
    )


def protocol_text(info: Mapping[str, Any], rec: Recommendation) -> str:
    """The paragraph explaining how the sizes were trained, compared and resampled."""
    spec, data = info.get("spec") or {}, info.get("data") or {}
    lr = spec.get("lr")
    if lr == "auto":
        start = "is chosen per configuration by a short search (lr_search.csv)"
    elif math.isfinite(to_float(lr)):
        start = f"starts at {rate(to_float(lr))}"
    else:
        start = "is set per configuration"
    resamples = f"{rec.resamples:,} times" if rec.resamples > 0 else "many times"
    parts = [
        _stopping(spec, str(data.get("stop_block") or "")),
        f"The learning rate {start} and is reduced when that loss plateaus. A run no better "
        "than predicting the training mean (the trivial solution) is restarted from a new "
        "initialisation; one still there after its restarts counts as stuck.",
        "The recommendation is the smallest configuration whose paired difference to the best "
        "is at most its standard error: the RMSE differences over the same seed × fold cells, "
        "averaged, against the standard error of that mean.",
        f"Re-drawing the seed × fold cells with replacement {resamples} and applying the rule "
        "again gives each configuration's bootstrap share: how often it would be recommended.",
    ]
    return " ".join(p.strip() for p in parts if p.strip())


def curve_configs(
    configs: Sequence[SummaryRow], available: Collection[str], recommended: str = "", most: int = 5
) -> list[str]:
    """Which configurations' loss curves to draw, smallest first.

    The recommended one, the smallest, the largest one-layer, the middle one by parameters
    and the best (lowest mean RMSE), among those with a curve; at most `most` of them.
    """
    known = sorted((c for c in configs if c.config in available), key=lambda c: c.parameters)
    if not known:  # curves of configurations summary.csv does not list
        return sorted(available)[:most]
    one_layer = [c for c in known if c.layers == 1] or known
    finite = [c for c in known if math.isfinite(c.mean_rmse)]
    best = min(finite, key=lambda c: c.mean_rmse).config if finite else ""
    wanted = [recommended, known[0].config, one_layer[-1].config, known[len(known) // 2].config]
    chosen = list(dict.fromkeys(c for c in [*wanted, best] if c in available))[:most]
    return [c.config for c in known if c.config in chosen]


@dataclass(frozen=True)
class LossCurve:
    """One configuration's curves: early-stopping block loss, training loss, and the
    (epoch, loss) points where the learning rate was reduced."""

    config: str
    label: str
    stop: Line
    train: Line
    cuts: tuple[tuple[float, float], ...]


def loss_curves(
    curves: Sequence[Curve], configs: Sequence[SummaryRow], recommended: str = "", most: int = 5
) -> list[LossCurve]:
    """The loss curves to draw (see curve_configs), each thinned to about 500 points."""
    by_config = {c.config: c for c in curves}
    labels = {c.config: c.label for c in configs}
    out = []
    for config in curve_configs(configs, by_config.keys(), recommended, most):
        curve = by_config[config]
        label = labels.get(config, config) + (" (recommended)" if config == recommended else "")
        x, stop, lr = (np.asarray(v, dtype=float) for v in (curve.epoch, curve.val_loss, curve.lr))
        cut = np.flatnonzero(lr[1:] < lr[:-1]) + 1
        out.append(
            LossCurve(
                config,
                label,
                _line(label, x, stop),
                _line(f"{label}: train", x, np.asarray(curve.train_loss, dtype=float)),
                tuple((float(x[k]), float(stop[k])) for k in cut),
            )
        )
    return out


def _line(label: str, x: np.ndarray, y: np.ndarray) -> Line:
    tx, ty = thin(x, y, max_points=500)
    return Line(label, tuple(float(v) for v in tx), tuple(float(v) for v in ty))
