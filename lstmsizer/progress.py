"""One progress bar for every long job: Rich on stderr, shown on a terminal unless told."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any


class Ticker:
    """What a job reports its progress to; does nothing when the bar is hidden."""

    def __init__(self, bar: Any = None, task: Any = None) -> None:
        self._bar, self._task = bar, task

    def set(self, completed: int, total: int | None = None, note: str = "") -> None:
        """Mark `completed` of `total` steps done (total unchanged when None)."""
        if self._bar is not None:
            self._bar.update(self._task, completed=completed, total=total, description=note)

    def advance(self, note: str = "") -> None:
        """One more step done."""
        if self._bar is not None:
            self._bar.update(self._task, advance=1, description=note)


@contextlib.contextmanager
def progress_bar(label: str, total: int | None, show: bool | None) -> Iterator[Ticker]:
    """A transient bar with count, elapsed time and ETA; show None means "on a terminal".

    Args:
        label: What is counted, e.g. "configurations".
        total: Number of steps, or None until known.
        show: True or False to force the bar on or off.
    """
    if not (sys.stderr.isatty() if show is None else show):
        yield Ticker()
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        TextColumn("{task.description}"),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        yield Ticker(bar, bar.add_task("", total=total))
