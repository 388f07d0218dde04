"""Render a run folder as Markdown that references the PNGs under plots/."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import quote

from lstmsizer.report.facts import (
    Facts,
    network,
    number,
    plus_minus,
    setup_facts,
)
from lstmsizer.report.health import HEALTH_COLUMNS, health_rows, stability_sentence
from lstmsizer.report.panel import (
    EXTREME_COLUMNS,
    EXTREMES_TITLE,
    extreme_rows,
    panel_sentences,
    panel_view,
)
from lstmsizer.report.results import baseline_scores, summary_frame, table
from lstmsizer.report.slots import Drawn
from lstmsizer.rundir import RunFolder
from lstmsizer.rundir.convert import to_float

SUMMARY_COLUMNS = (
    "config", "parameters", "runs", "failed", "mean_rmse", "se_rmse", "raced", "seconds",
)  # fmt: skip


def _cell(value: object) -> str:
    text = (
        number(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
    )
    return ("" if text is None else str(text)).replace("|", "\\|").replace("\n", " ")


def md_table(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A GitHub-flavoured Markdown table."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _facts(facts: Facts) -> str:
    return md_table(("", ""), facts)


def _summary(run: RunFolder) -> str:
    summary, labels = table(summary_frame(run)), {c.config: c.label for c in run.configs}
    columns = [c for c in SUMMARY_COLUMNS if c in summary.columns]
    index = [summary.columns.index(c) for c in columns]
    rows = ([labels.get(str(row[index[0]]), ""), *(row[k] for k in index)] for row in summary.rows)
    return md_table(["model", *columns], rows)


def _health(run: RunFolder) -> list[str]:
    cap = to_float((run.info.get("spec") or {}).get("epochs"))
    rows = health_rows(run.configs, cap, run.recommendation.best_config)
    if not rows:
        return []
    table = md_table(HEALTH_COLUMNS, ([text for text, _ in r.cells] for r in rows))
    return ["## Training health", table]


def _panel(run: RunFolder) -> list[str]:
    view = panel_view(run)
    if view is None:
        return []
    rows = extreme_rows(view.numbers) if view.numbers is not None else []
    out = ["## Many series", *panel_sentences(view)]
    if rows:
        out += [f"### {EXTREMES_TITLE}"]
        out.append(md_table(EXTREME_COLUMNS, ([text for text, _ in r] for r in rows)))
    return out


def render_markdown(run: RunFolder, drawn: Sequence[Drawn], base: Path) -> str:
    """The report as Markdown: verdict, code, facts, figures as PNG links, tables.

    Args:
        run: The run folder's contents.
        drawn: Every figure slot, drawn or not.
        base: Path from the report's folder to the run folder, for the PNG and file links.
    """
    rec = run.recommendation
    name = (run.info.get("data") or {}).get("name") or run.path.name
    out = [
        f"# How many {network(run)} units for {name}?",
        f"**{rec.verdict}**",
        stability_sentence(rec, {c.config: c.label for c in run.configs}),
        "\n".join(f"- ⚠ {w}" for w in rec.warnings),
        f"Recommended: **{rec.label or rec.config}**, {number(rec.parameters)} parameters, "
        f"validation RMSE {plus_minus(rec.mean_rmse, rec.se_rmse)}; best baseline "
        f"{rec.baseline}: {plus_minus(rec.baseline_rmse, rec.baseline_se)}.",
        "## Keras 3",
        f"```python\n{rec.keras_code.rstrip()}\n```",
        "## PyTorch",
        f"```python\n{rec.pytorch_code.rstrip()}\n```",
        *(part for title, facts in setup_facts(run) for part in (f"## {title}", _facts(facts))),
        "## Figures",
    ]
    out += [f"> {p}" for p in run.problems]
    for d in drawn:
        if d.figure is None:
            out.append(f"### {d.slot.title}\n\n{d.missing}")
        else:
            png = quote((base / "plots" / f"{d.slot.name}.png").as_posix())
            out.append(f"### {d.slot.title}\n\n![{d.slot.title}]({png})\n\n{d.slot.caption}")
    out += _panel(run)
    if run.claims:
        out += ["## Forum claims, measured"]
        out.append(
            md_table(
                ("claim", "verdict", "figure and its interval", "the claim needs", "evidence"),
                ((c.label, c.verdict, c.figure, c.threshold, c.evidence) for c in run.claims),
            )
        )
    out += [*_health(run), "## Every configuration", _summary(run), "## Baselines"]
    out.append(
        md_table(
            ("baseline", "validation RMSE (mean ± SE)", "folds"),
            (
                (b.model, plus_minus(b.mean_rmse, b.se_rmse), b.runs)
                for b in baseline_scores(run.baselines)
            ),
        )
    )
    out += [
        "## Raw files",
        "\n".join(f"- [{f}]({quote((base / f).as_posix())})" for f in run.files),
    ]
    return "\n\n".join(part for part in out if part) + "\n"
