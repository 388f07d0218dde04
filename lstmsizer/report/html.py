"""Render a run folder and its drawn figures as one self-contained HTML page."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from lstmsizer.deepwide import Pair
from lstmsizer.report.assets import CSS, JS
from lstmsizer.report.facts import (
    Facts,
    network,
    number,
    plus_minus,
    setup_facts,
    signed,
)
from lstmsizer.report.health_html import health_section, stability_html
from lstmsizer.report.numbers import DEEP_WIDE_WORDS, deep_wide_pairs, under_trained
from lstmsizer.report.panel import (
    EXTREME_COLUMNS,
    EXTREMES_TITLE,
    extreme_rows,
    panel_sentences,
    panel_view,
)
from lstmsizer.report.results import Table, baseline_scores, summary_frame, table
from lstmsizer.report.slots import Drawn
from lstmsizer.report.tables import plain_table, sortable_table, table_html
from lstmsizer.rundir import RunFolder, SummaryRow
from lstmsizer.rundir.convert import to_float
from lstmsizer.rundir.sweep import BASELINE_KIND, LSTM_KIND

SECTIONS = (
    ("recommendation", "Recommended model"),
    ("setup", "Data and environment"),
    ("data", "The series"),
    ("sizing", "Error against units"),
    ("health", "Training health"),
    ("forecasts", "Forecasts"),
    ("diagnostics", "Diagnostics"),
    ("configurations", "Every configuration"),
    ("files", "Raw files"),
)
PANEL_SECTION = ("panel", "Many series")
"""A panel run's section, after Forecasts; a single-series page has none."""
FIRST_COLUMNS = ("config", "parameters", "mean_rmse", "se_rmse", "raced", "mean_mae", "mean_mase")
LEADS = {
    "data": "Plot the series before you model it: its shape and how far back it correlates "
    "say what a model can learn from the window.",
    "sizing": "Each configuration was trained over every seed and fold. The recommendation is "
    "the smallest model within one standard error of the best (the one-standard-error rule; "
    "Training health says how the runs were trained and compared).",
    "forecasts": "What the recommended model predicts, next to the best baseline.",
    "panel": "The test share scored series by series: the LSTM against each series' own "
    "statistical baseline and against the AR fitted on every series at once.",
    "diagnostics": "Why that size: how much of the model is used, how gradients reach back "
    "across the window, what depth buys at equal budget, and how fast each size trains here.",
}


def link(base: Path, name: str) -> str:
    """Relative link from the page to a file of the run folder."""
    return quote((base / name).as_posix())


def _facts_table(title: str, facts: Facts) -> str:
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in facts)
    return f'<div><h3>{escape(title)}</h3><table class="facts">{rows}</table></div>'


def _stat(label: str, value: str) -> str:
    return f'<div class="stat"><dt>{escape(label)}</dt><dd>{escape(value)}</dd></div>'


def _test_rmse(test: pd.DataFrame | None, kind: str, model: str = "") -> float:
    # test.csv's RMSE of the first row of that kind (and model)
    if test is None or not {"model", "kind", "rmse"} <= set(test.columns):
        return math.nan
    rows = test[test["kind"] == kind]
    rows = rows[rows["model"] == model] if model else rows
    return to_float(rows["rmse"].iloc[0]) if len(rows) else math.nan


def header(run: RunFolder) -> str:
    """Title, the verdict in one sentence and the key numbers."""
    rec, name = run.recommendation, str((run.info.get("data") or {}).get("name") or "this series")
    needed = "" if rec.lstm_needed is not False else " no-lstm"
    stats = [
        _stat("Recommended", rec.label or rec.config or "–"),
        _stat("Parameters", number(rec.parameters)),
        _stat("Validation RMSE", plus_minus(rec.mean_rmse, rec.se_rmse)),
        _stat(
            f"Best baseline: {rec.baseline or '–'}", plus_minus(rec.baseline_rmse, rec.baseline_se)
        ),
    ]
    lstm_test, base_test = (
        _test_rmse(run.test, LSTM_KIND),
        _test_rmse(run.test, BASELINE_KIND, rec.baseline),
    )
    if math.isfinite(lstm_test):
        stats.append(
            _stat("Test RMSE, model vs baseline", f"{number(lstm_test)} vs {number(base_test)}")
        )
    return (
        f'<header><p class="kicker">lstmsizer report · {escape(str(run.path.name))}</p>'
        f"<h1>How many {network(run)} units for {escape(name)}?</h1>"
        f'<p class="verdict{needed}" id="verdict">{escape(rec.verdict)}</p>{stability_html(run)}'
        f'<dl class="stats">{"".join(stats)}</dl></header>'
    )  # fmt: skip


def _code(ident: str, title: str, code: str) -> str:
    return (
        f'<div class="code"><div class="code-head"><span>{escape(title)}</span>'
        f'<button type="button" class="copy" data-target="{ident}">Copy</button></div>'
        f'<pre><code id="{ident}">{escape(code)}</code></pre></div>'
    )


def _rule(run: RunFolder, best: SummaryRow) -> str:
    # the paired one-SE rule when the run folder records it, else the unpaired one
    rec = run.recommendation
    text = (
        f"The lowest mean RMSE was {escape(best.label)}'s, "
        f"{plus_minus(rec.best_mean_rmse, rec.best_se_rmse)}; "
    )
    if not math.isfinite(rec.paired_diff):
        return text + (
            f"every model under {number(rec.threshold)} is as good within one standard error, "
            "and this is the smallest of them. "
        )
    return text + (
        "paired over the same seed × fold cells, this model's RMSE differs from it by "
        f"{signed(rec.paired_diff, rec.paired_se)}, at most its standard error, and it is the "
        "smallest such model. "
    )


def recommendation(run: RunFolder) -> str:
    """The recommended configuration, the rule that chose it and its code."""
    rec = run.recommendation
    best = next((c for c in run.configs if c.config == rec.best_config), None)
    text = (
        f"<p><strong>{escape(rec.label or rec.config)}</strong>, {number(rec.parameters)} "
        f"parameters, validation RMSE {plus_minus(rec.mean_rmse, rec.se_rmse)}. "
    )
    if best is not None and best.config != rec.config:
        text += _rule(run, best)
    if math.isfinite(rec.baseline_diff):
        folds = f"{rec.folds_paired} " if rec.folds_paired else ""
        text += (
            f"Paired over the same {folds}folds, the best baseline ({escape(rec.baseline)}) "
            f"minus this model is {signed(rec.baseline_diff, rec.baseline_diff_se)} in RMSE. "
        )
    text += "The code below builds it, untrained.</p>"
    return text + (
        '<div class="code-grid">'
        + _code("code-keras", "Keras 3", rec.keras_code or "# not recorded")
        + _code("code-pytorch", "PyTorch", rec.pytorch_code or "# not recorded")
        + "</div>"
    )


def figure_block(drawn: Drawn, svg: str | None, base: Path) -> str:
    """One figure with its caption, or the words saying why it is missing."""
    slot = drawn.slot
    wide = " wide" if slot.wide else ""
    if svg is None:
        return (
            f'<div class="missing" id="fig-{slot.name}"><h3>{escape(slot.title)}</h3>'
            f"<p>{escape(drawn.missing)}</p></div>"
        )
    png = link(base, f"plots/{slot.name}.png")
    return (
        f'<figure class="fig{wide}" id="fig-{slot.name}">{svg}'
        f"<figcaption><strong>{escape(slot.title)}.</strong> {escape(slot.caption)} "
        f'<a href="{png}">PNG</a></figcaption></figure>'
    )


def deep_wide_table(pairs: Sequence[Pair[SummaryRow]]) -> str:
    """The deep-versus-wide pairs with their paired difference and verdict."""
    rows = [
        (
            p.deep.label,
            p.wide.label,
            f"{number(p.deep.parameters)} vs {number(p.wide.parameters)}",
            plus_minus(p.deep.mean_rmse, p.deep.se_rmse),
            plus_minus(p.wide.mean_rmse, p.wide.se_rmse),
            f"{signed(p.difference.diff, p.difference.se)} over {len(p.difference.cells)} cells"
            if math.isfinite(p.difference.se)
            else "not paired",
            DEEP_WIDE_WORDS[p.difference.verdict],
            "under-trained or stuck runs" if under_trained(p) else "",
        )
        for p in pairs
    ]
    columns = ("deep", "wide", "parameters", "deep RMSE", "wide RMSE", "paired Δ deep − wide",
               "verdict", "training")  # fmt: skip
    return "<h3>Deep against wide, paired</h3>" + plain_table(columns, rows, "deep-wide")


def claims(run: RunFolder) -> str:
    """The claims table, or the words saying there is none."""
    if not run.claims:
        return (
            '<div class="missing" id="claims"><h3>Forum claims</h3><p>No claims checked in '
            "this run: the run folder has no claims.json.</p></div>"
        )
    rows = [(c.label, c.verdict, c.figure, c.threshold, c.evidence) for c in run.claims]
    head = ("claim", "verdict", "figure and its interval", "the claim needs", "evidence")
    return "<h3>Forum claims, measured</h3>" + plain_table(head, rows, "claims")


def summary_table(run: RunFolder) -> Table:
    """summary.csv with a model name first and the scores before the shape columns."""
    labels = {c.config: c.label for c in run.configs}
    summary = table(summary_frame(run))
    columns = summary.columns
    key = columns.index("config") if "config" in columns else None
    order = [c for c in FIRST_COLUMNS if c in columns]
    order += [c for c in columns if c not in order]
    index = [columns.index(c) for c in order]
    rows = tuple(
        (labels.get(str(r[key]), "") if key is not None else "", *(r[k] for k in index))
        for r in summary.rows
    )
    return Table(("model", *order), rows)


def configurations(run: RunFolder) -> str:
    """Every configuration, the baselines and the test scores."""
    rec = run.recommendation
    marks = {rec.best_config: "best", rec.config: "rec"}
    base_rows = [
        (b.model, plus_minus(b.mean_rmse, b.se_rmse), str(b.runs))
        for b in baseline_scores(run.baselines)
    ]
    summary = summary_table(run)
    parts = [
        "<p>Click a column header to sort. The recommended row is highlighted.</p>",
        table_html(summary, "summary", marks),
        '<div class="two"><div><h3>Baselines on the same folds</h3>',
        plain_table(("baseline", "validation RMSE (mean ± SE)", "folds"), base_rows, "baselines"),
        "</div>",
    ]
    if run.test is not None:
        parts += [
            "<div><h3>Final test share (scored once)</h3>",
            table_html(table(run.test), "test", {rec.label: "rec"}, key="model"),
            "</div>",
        ]
    return "".join(parts) + "</div>"


def many_series(run: RunFolder, figures: str) -> str | None:
    """A panel run's per-series scores: figures, summary and the best and worst series; None
    for a single-series run."""
    view = panel_view(run)
    if view is None:
        return None
    text = "".join(f"<p>{escape(s)}</p>" for s in panel_sentences(view))
    rows = extreme_rows(view.numbers) if view.numbers is not None else []
    table = sortable_table(EXTREME_COLUMNS, rows, "extremes") if rows else ""
    head = f"<h3>{escape(EXTREMES_TITLE)}</h3>"
    return (
        f'<p class="lead">{escape(LEADS["panel"])}</p><div class="figs">{figures}</div>{text}'
        + (head + table if table else "")
    )


def files(run: RunFolder, base: Path) -> str:
    """Links to the raw files of the run folder."""
    items = "".join(f'<li><a href="{link(base, f)}">{escape(f)}</a></li>' for f in run.files)
    return f'<ul class="files">{items}</ul><p>Folder: <code>{escape(str(run.path))}</code></p>'


def render_html(run: RunFolder, drawn: Sequence[Drawn], svgs: dict[str, str], base: Path) -> str:
    """The whole page.

    Args:
        run: The run folder's contents.
        drawn: Every figure slot, drawn or not.
        svgs: Inline SVG text by slot name, for the drawn ones.
        base: Path from the page's folder to the run folder, for relative links.
    """
    from lstmsizer.version import __version__

    body: dict[str, str] = {
        "recommendation": recommendation(run),
        "setup": '<div class="two">'
        + "".join(_facts_table(title, facts) for title, facts in setup_facts(run))
        + "</div>",
        "configurations": configurations(run),
        "files": files(run, base),
    }
    for section in ("data", "sizing", "forecasts", "diagnostics"):
        blocks = [
            figure_block(d, svgs.get(d.slot.name), base) for d in drawn if d.slot.section == section
        ]
        lead = f'<p class="lead">{escape(LEADS[section])}</p>'
        body[section] = lead + f'<div class="figs">{"".join(blocks)}</div>'
    curves = "".join(
        figure_block(d, svgs.get(d.slot.name), base) for d in drawn if d.slot.section == "health"
    )
    body["health"] = health_section(run, curves)
    pairs = deep_wide_pairs(run)
    body["diagnostics"] += (deep_wide_table(pairs) if pairs else "") + claims(run)
    shown: tuple[tuple[str, str], ...] = SECTIONS
    panel = many_series(
        run, "".join(figure_block(d, svgs.get(d.slot.name), base) for d in drawn
                     if d.slot.section == "panel")
    )  # fmt: skip
    if panel is not None:
        body["panel"] = panel
        at = [k for k, _ in SECTIONS].index("forecasts") + 1
        shown = (*SECTIONS[:at], PANEL_SECTION, *SECTIONS[at:])
    notes = "".join(f"<p>{escape(p)}</p>" for p in run.problems)
    toc = "".join(f'<a href="#{k}">{escape(t)}</a>' for k, t in shown)
    sections = "".join(
        f'<section id="{k}"><h2>{escape(t)}</h2>{body[k]}</section>' for k, t in shown
    )
    title = f"lstmsizer report: {(run.info.get('data') or {}).get('name') or run.path.name}"
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body><div class=\"page\">"
        f"{header(run)}"
        + (f'<div class="notes">{notes}</div>' if notes else "")
        + f'<nav class="toc" aria-label="Sections">{toc}</nav><main>{sections}</main>'
        f"<footer>Written by lstmsizer {escape(__version__)} from {escape(str(run.path))}."
        f"</footer></div><script>{JS}</script></body></html>\n"
    )  # fmt: skip
