"""The page's training-health parts: the stability line and warnings, the health section."""

from __future__ import annotations

import math
from html import escape

from lstmsizer.report.facts import number
from lstmsizer.report.health import (
    HEALTH_COLUMNS,
    health_rows,
    protocol_text,
    rate,
    stability_sentence,
)
from lstmsizer.report.results import Table, table
from lstmsizer.report.tables import Cell, sortable_table
from lstmsizer.rundir import RunFolder
from lstmsizer.rundir.convert import to_bool, to_float

NO_HEALTH = (
    "Training health not recorded: this run folder's summary.csv has no epochs, convergence, "
    "restart or bootstrap columns (sweeps by older lstmsizer versions did not write them)."
)
NO_LR_SEARCH = "Learning-rate search not recorded: this run folder has no lr_search.csv."
TROUBLED = "unhealthy"


def stability_html(run: RunFolder) -> str:
    """The bootstrap stability line and the sweep's warnings, for beside the verdict."""
    labels = {c.config: c.label for c in run.configs}
    sentence = stability_sentence(run.recommendation, labels)
    out = f'<p class="stability" id="stability">{escape(sentence)}</p>' if sentence else ""
    warnings = run.recommendation.warnings
    if warnings:
        items = "".join(f"<li>{escape(w)}</li>" for w in warnings)
        out += f'<ul class="warnings" id="warnings" aria-label="Warnings">{items}</ul>'
    return out


def _lr_rows(search: Table, labels: dict[str, str]) -> tuple[list[list[Cell]], list[str]]:
    rows, classes = [], []
    for raw in search.rows:
        values = dict(zip(search.columns, raw, strict=True))
        config = str(values.get("config") or "")
        lr, loss = to_float(values.get("lr")), to_float(values.get("val_loss"))
        epochs, chosen = to_float(values.get("epochs")), to_bool(values.get("chosen"))
        rows.append(
            [
                (labels.get(config, config), math.nan),
                (rate(lr), lr),
                (number(loss), loss),
                (f"{epochs:.0f}" if math.isfinite(epochs) else "–", epochs),
                ("chosen" if chosen else "", 1.0 if chosen else 0.0),
            ]
        )
        classes.append("rec" if chosen else "")
    return rows, classes


def lr_search_html(run: RunFolder) -> str:
    """The learning-rate search, folded away: every rate tried per configuration."""
    if run.lr_search is None or "lr" not in run.lr_search.columns:
        return f'<p class="missing-line">{escape(NO_LR_SEARCH)}</p>'
    labels = {c.config: c.label for c in run.configs}
    rows, classes = _lr_rows(table(run.lr_search), labels)
    columns = ("model", "learning rate", "early-stopping block loss", "epochs", "")
    return (
        "<details><summary>Learning-rate search: every rate tried, per configuration"
        "</summary>" + sortable_table(columns, rows, "lr-search", classes) + "</details>"
    )


def health_section(run: RunFolder, figures: str) -> str:
    """How each configuration trained, the protocol in words, the loss curves."""
    rows = health_rows(
        run.configs,
        to_float((run.info.get("spec") or {}).get("epochs")),
        run.recommendation.best_config,
    )
    if not rows:
        return f'<div class="missing" id="health-missing"><p>{escape(NO_HEALTH)}</p></div>' + (
            f'<div class="figs">{figures}</div>'
        )
    classes = [
        " ".join(
            k
            for k, on in ((TROUBLED, r.troubled), ("rec", r.config == run.recommendation.config))
            if on
        )
        for r in rows
    ]
    return (
        f'<p class="lead">{escape(protocol_text(run.info, run.recommendation))}</p>'
        "<p>Click a column header to sort. Shaded rows had runs that hit the epoch cap while "
        "still improving (under-trained) or stayed stuck at the trivial solution: those sizes "
        "may do better with a higher cap.</p>"
        + sortable_table(HEALTH_COLUMNS, [r.cells for r in rows], "health-table", classes)
        + lr_search_html(run)
        + f'<div class="figs">{figures}</div>'
    )
