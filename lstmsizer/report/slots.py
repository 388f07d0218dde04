"""A figure of the report: where it goes and how it is drawn, and the figure once drawn."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from matplotlib.figure import Figure

from lstmsizer.rundir import RunFolder


@dataclass(frozen=True)
class Slot:
    """One figure of the report: where it goes, what it says, how it is drawn."""

    name: str
    section: str
    title: str
    caption: str
    draw: Callable[[RunFolder], Figure | None]
    missing: str
    wide: bool = False


@dataclass(frozen=True)
class Drawn:
    """A slot with its figure, or the words saying why there is none."""

    slot: Slot
    figure: Figure | None
    missing: str
