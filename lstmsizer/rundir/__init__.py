"""The run folder's schema: its file names, typed records of what each file holds, one reader."""

from __future__ import annotations

from lstmsizer.rundir.files import SCHEMA_VERSION
from lstmsizer.rundir.read import RunFolder, read_run
from lstmsizer.rundir.sweep import BaselineRun, Health, Recommendation, SummaryRow

__all__ = [
    "SCHEMA_VERSION",
    "BaselineRun",
    "Health",
    "Recommendation",
    "RunFolder",
    "SummaryRow",
    "read_run",
]
