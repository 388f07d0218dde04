"""The report command: one self-contained HTML page (or Markdown) from a run folder."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from lstmsizer.cli.app import app
from lstmsizer.cli.options import console


@app.command("report")
def report_command(
    run_dir: Annotated[str, typer.Argument(help="Run folder written by `lstmsizer sweep`.")],
    output: Annotated[
        str | None,
        typer.Option("-o", "--output", help="Report file.", show_default="RUN_DIR/report.html"),
    ] = None,
    format: Annotated[
        Literal["html", "md"],
        typer.Option(help="html: one self-contained page; md: Markdown with PNG figures."),
    ] = "html",
) -> None:
    """Build the report of a sweep: verdict, code, plots, every configuration."""
    from lstmsizer.report import build_report

    path = build_report(run_dir, output=output, format=format)
    console.print(f"Report written to {path}", markup=False, soft_wrap=True)
