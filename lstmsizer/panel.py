"""A panel: many related series of one target, stored end to end in one array."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from lstmsizer.config import ALIGNS
from lstmsizer.errors import DataError, check
from lstmsizer.series import Dataset

__all__ = ["ALIGNS", "Panel", "is_panel"]


@dataclass(frozen=True, eq=False)
class Panel:
    """Many series of one target, validated, stored series after series in one float64 array.

    Series i is ``values[starts[i] : starts[i + 1]]``, in time order; series may differ in
    length and start. A window that reads only series i is a view of ``values``, so a panel of
    millions of windows costs its values and an index, never a copy per window.

    Attributes:
        name: Short label, e.g. "fertility" or the file stem.
        target: Name of the target column (y, or the value column of a long table).
        ids: The S series ids, as strings: first appearance in a long table, column order in
            a wide one.
        starts: (S + 1,) int64 row offsets; starts[0] = 0, starts[S] = len(values).
        values: (T,) float64, every series end to end.
        time: (T,) each value's time stamp (comparable across series), or None when the
            values of each series are numbered 0, 1, ... from its start.
        frequency: Pandas frequency string when it can be inferred, else None.
        description: One line saying what the panel is.
        filled: Values filled (or rows dropped) per series id, only the series with any.
        source: "embedded", "array" or the file path.
        seed: Always None (no synthetic panels); kept so a Panel reads like a Dataset.
    """

    name: str
    target: str
    ids: tuple[str, ...]
    starts: NDArray[np.int64]
    values: NDArray[np.float64]
    time: pd.Index | None
    frequency: str | None
    description: str
    filled: dict[str, int] = field(default_factory=dict)
    source: str = "embedded"
    seed: int | None = None

    def __post_init__(self) -> None:
        s, t = len(self.ids), self.values.shape[0]
        check(self.values.ndim == 1, "values", "must be one-dimensional", self.values.shape)
        check(s >= 1, "ids", "must name at least one series", self.ids)
        check(len(set(self.ids)) == s, "ids", "must be unique", self.ids)
        check(self.starts.shape == (s + 1,), "starts", f"must have {s + 1} offsets", self.starts)
        check(
            self.starts[0] == 0 and self.starts[-1] == t and bool((np.diff(self.starts) > 0).all()),
            "starts",
            f"must rise strictly from 0 to {t}",
            self.starts,
        )
        check(self.time is None or len(self.time) == t, "time", f"must have {t} values", self.time)

    @property
    def n_series(self) -> int:
        """Number of series S."""
        return len(self.ids)

    @property
    def lengths(self) -> NDArray[np.int64]:
        """(S,) number of values of each series."""
        return np.diff(self.starts)

    @property
    def series_index(self) -> NDArray[np.int64]:
        """(T,) the series each value belongs to."""
        return np.repeat(np.arange(self.n_series, dtype=np.int64), self.lengths)

    @property
    def features(self) -> NDArray[np.float64]:
        """(T, 0): a panel has no extra input columns; the shape lets generic code ask."""
        return np.empty((self.values.shape[0], 0))

    @property
    def feature_names(self) -> tuple[str, ...]:
        """No feature columns."""
        return ()

    @property
    def n_values(self) -> int:
        """Number of values over all series."""
        return int(self.values.shape[0])

    def series_before(self, origins: ArrayLike) -> NDArray[np.int64]:
        """(N,) the series whose value o - 1 is, for each global origin o: the series a window
        ending just before o reads (an origin at a series' end forecasts its future)."""
        at = np.asarray(origins, dtype=np.int64)
        return (np.searchsorted(self.starts, at - 1, side="right") - 1).astype(np.int64)

    def facts(self) -> dict[str, int]:
        """What a results file records of the panel: series, values, shortest and longest."""
        return {
            "series": self.n_series,
            "values": self.n_values,
            "shortest": int(self.lengths.min()),
            "longest": int(self.lengths.max()),
        }

    def position(self, series: str) -> int:
        """Index of the series with this id.

        Raises:
            DataError: When no series has the id; the message lists a few that exist.
        """
        try:
            return self.ids.index(str(series))
        except ValueError:
            shown = ", ".join(self.ids[:5]) + (", ..." if self.n_series > 5 else "")
            raise DataError(
                f"series {series!r} is not in {self.name} ({self.n_series} series: {shown})"
            ) from None

    def series(self, i: int) -> Dataset:
        """Series i as a one-series Dataset; its values are a view of the panel's."""
        lo, hi = int(self.starts[i]), int(self.starts[i + 1])
        return Dataset(
            name=self.ids[i],
            target=self.target,
            values=self.values[lo:hi],
            features=np.empty((hi - lo, 0)),
            feature_names=(),
            time=None if self.time is None else self.time[lo:hi],
            frequency=self.frequency,
            description=f"series {self.ids[i]!r} of {self.name}",
            filled=self.filled.get(self.ids[i], 0),
            source=self.source,
        )

    def check_window(self, lags: int, horizon: int, *, drop_short: bool = False) -> Panel:
        """Every series must hold at least one window of lags + horizon values.

        Args:
            drop_short: Leave the shorter series out instead of failing; the description
                then says which and how many.

        Returns:
            This panel, or the panel without its short series.

        Raises:
            DataError: Naming the shortest series, its length, and how many are too short;
                also with drop_short when no series is long enough.
        """
        need = lags + horizon
        short = self.lengths < need
        if not short.any():
            return self
        worst = int(np.flatnonzero(short)[np.argmin(self.lengths[short])])
        found = (
            f"{int(short.sum())} of {self.n_series} series of {self.name} are shorter than "
            f"lags + horizon = {need}: series {self.ids[worst]!r} has "
            f"{int(self.lengths[worst])} values"
        )
        if not drop_short or short.all():
            hint = "" if drop_short else "; drop_short (--drop-short) leaves them out"
            raise DataError(found + hint)
        return self.without(short, f"shorter than lags + horizon = {need}")

    def without(self, drop: NDArray[np.bool_], why: str) -> Panel:
        """The panel without the series where drop is True, said in its description."""
        keep = ~np.asarray(drop, dtype=bool)
        rows = np.repeat(keep, self.lengths)
        gone = [i for i, k in zip(self.ids, keep, strict=True) if not k]
        shown = ", ".join(gone[:5]) + (", ..." if len(gone) > 5 else "")
        return dataclasses.replace(
            self,
            ids=tuple(i for i, k in zip(self.ids, keep, strict=True) if k),
            starts=np.concatenate(([0], np.cumsum(self.lengths[keep]))).astype(np.int64),
            values=self.values[rows],
            time=None if self.time is None else self.time[rows],
            filled={i: n for i, n in self.filled.items() if i not in set(gone)},
            description=f"{self.description} ({len(gone)} series {why} left out: {shown})",
        )

    def to_frame(self) -> pd.DataFrame:
        """The long table: unique_id, ds (time, or the position in the series), y."""
        ds = (
            self.time
            if self.time is not None
            else np.arange(self.n_values) - np.repeat(self.starts[:-1], self.lengths)
        )
        return pd.DataFrame(
            {
                "unique_id": np.repeat(np.asarray(self.ids, dtype=object), self.lengths),
                "ds": np.asarray(ds),
                self.target: self.values,
            }
        )


def is_panel(data: object) -> bool:
    """Whether data is a Panel (generic code branches on this one predicate)."""
    return isinstance(data, Panel)
