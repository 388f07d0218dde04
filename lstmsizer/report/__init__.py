"""The report of a sweep run folder: one self-contained HTML page, Markdown, or figures."""

from __future__ import annotations

from lstmsizer.report.build import build_report, figures

__all__ = ["build_report", "figures"]
