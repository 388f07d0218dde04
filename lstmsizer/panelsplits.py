"""Leak-free splits of a panel: per-series train/validation cuts and folds across series."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from lstmsizer.config import WindowSpec
from lstmsizer.errors import DataError, OptionError, check, check_choice
from lstmsizer.panel import ALIGNS, Panel
from lstmsizer.splits import Split, rolling_origin_folds, train_val_split


def ranges(first: ArrayLike, counts: ArrayLike) -> NDArray[np.int64]:
    """Concatenated ``arange(first[i], first[i] + counts[i])`` over i, without a Python loop.

    Args:
        first: (S,) first value of each range.
        counts: (S,) length of each range, >= 0.

    Returns:
        (counts.sum(),) int64; ascending when the ranges are ascending and disjoint.

    Raises:
        OptionError: For shapes that differ or a negative count.
    """
    lo = np.asarray(first, dtype=np.int64).reshape(-1)
    size = np.asarray(counts, dtype=np.int64).reshape(-1)
    check(lo.shape == size.shape, "counts", f"must have the shape of first {lo.shape}", size.shape)
    check(not bool((size < 0).any()), "counts", "must be >= 0", size)
    ends = np.cumsum(size)
    # position in the output minus where its range begins there, plus that range's first value
    return np.arange(int(ends[-1]) if ends.size else 0, dtype=np.int64) + np.repeat(
        lo - (ends - size), size
    )


@dataclass(frozen=True, eq=False)
class PanelSplit:
    """Windows of every series of a panel split at a per-series train_end.

    Series i occupies global rows ``[starts[i], starts[i + 1])``; its local index k is global
    row ``starts[i] + k``. An active series trains on windows whose targets end before its
    train_end and validates on windows forecasting ``[train_end_i, n_i)``; values from n_i on
    do not exist for the split. An inactive series contributes no window.

    Attributes:
        starts: (S + 1,) int64 row offsets of the series, as in ``Panel.starts``.
        n: (S,) int64 local number of values each series may use.
        train_end: (S,) int64 local end of each series' training part.
        lags: Input window length.
        horizon: Forecast length.
        active: (S,) bool, the series taking part.
        cut: How the split was cut, for people, e.g. "time 2001".
    """

    starts: NDArray[np.int64]
    n: NDArray[np.int64]
    train_end: NDArray[np.int64]
    lags: int
    horizon: int
    active: NDArray[np.bool_]
    cut: str

    def __post_init__(self) -> None:
        for name in ("starts", "n", "train_end"):
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=np.int64))
        object.__setattr__(self, "active", np.asarray(self.active, dtype=bool))
        check(self.lags >= 1, "lags", "must be >= 1", self.lags)
        check(self.horizon >= 1, "horizon", "must be >= 1", self.horizon)
        starts = self.starts
        check(
            starts.ndim == 1 and starts.size >= 2 and starts[0] == 0,
            "starts",
            "must be (S + 1,) offsets from 0",
            starts,
        )
        length = np.diff(starts)
        check(bool((length > 0).all()), "starts", "must rise strictly", starts)
        shape = length.shape
        for name in ("n", "train_end", "active"):
            value = getattr(self, name)
            check(value.shape == shape, name, f"must have shape {shape}", value.shape)
        bad = (self.train_end < 0) | (self.train_end > self.n) | (self.n > length)
        bad |= self.active & (self.train_end < self.lags)
        if bad.any():
            i = int(np.argmax(bad))
            raise OptionError(
                f"train_end of series {i} must lie in [lags={self.lags} if active else 0, "
                f"n={int(self.n[i])}] and n <= its length {int(length[i])}, "
                f"got {int(self.train_end[i])}"
            )

    @property
    def n_series_active(self) -> int:
        """Number of series taking part."""
        return int(self.active.sum())

    @property
    def train_origins(self) -> NDArray[np.int64]:
        """Global origins o of training windows: lags <= o - starts[i], o + horizon <= train end."""
        count = np.maximum(self.train_end - self.lags - self.horizon + 1, 0)
        return ranges(self.starts[:-1] + self.lags, np.where(self.active, count, 0))

    @property
    def val_origins(self) -> NDArray[np.int64]:
        """Global origins of validation windows: local train_end <= o, o + horizon <= n."""
        count = np.maximum(self.n - self.horizon - self.train_end + 1, 0)
        return ranges(self.starts[:-1] + self.train_end, np.where(self.active, count, 0))

    def series_of(self, origins: ArrayLike) -> NDArray[np.int64]:
        """(N,) the series each global origin (or row) belongs to."""
        rows = np.asarray(origins, dtype=np.int64)
        return (np.searchsorted(self.starts, rows, side="right") - 1).astype(np.int64)

    def local(self, i: int) -> Split:
        """Series i's split in its own indices (an inactive one may fail Split's checks)."""
        return Split(
            n=int(self.n[i]), train_end=int(self.train_end[i]), lags=self.lags, horizon=self.horizon
        )

    def train_bounds(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Global ``[lo, hi)`` of every series' training values, inactive series included."""
        lo = self.starts[:-1]
        return lo, lo + self.train_end

    def to_dict(self) -> dict[str, Any]:
        """Plain summary for records: the cut, active count, shortest and longest training part."""
        used = self.train_end[self.active]
        return {
            "cut": self.cut,
            "series": int(self.active.size),
            "active": self.n_series_active,
            "train_end_min": int(used.min()) if used.size else 0,
            "train_end_max": int(used.max()) if used.size else 0,
        }


def _name_shortest(panel: Panel, lengths: NDArray[np.int64], exc: DataError, count: int) -> str:
    """A one-series DataError message, told of the panel's shortest series by id."""
    worst = int(np.argmin(lengths))
    text = str(exc).replace("series of length", f"series {panel.ids[worst]!r} of length", 1)
    more = f" ({count} of {panel.n_series} series are too short)" if count > 1 else ""
    return f"{text}{more}"


def _end_folds(
    panel: Panel, window: WindowSpec, folds: int, test_fraction: float
) -> tuple[list[PanelSplit], PanelSplit]:
    """Folds cut at the same distance from each series' end, laid out on the shortest series."""
    length = panel.lengths
    m = int(length.min())
    try:
        fold_splits, test = rolling_origin_folds(m, window, folds, test_fraction)
    except DataError as exc:
        raise DataError(_name_shortest(panel, length, exc, 1)) from None
    every = np.ones(panel.n_series, dtype=bool)

    def cut(split: Split, n: NDArray[np.int64]) -> PanelSplit:
        back = m - split.train_end
        return PanelSplit(
            panel.starts,
            n,
            length - back,
            window.lags,
            window.horizon,
            every,
            f"{back} values before each series' end",
        )

    return [cut(s, length - (m - s.n)) for s in fold_splits], cut(test, length)


def _calendar(panel: Panel) -> tuple[NDArray[np.int64], pd.Index]:
    """(T,) each value's position in the panel's sorted time points, and those time points."""
    if panel.time is None:
        length = panel.lengths
        if bool((length != length[0]).any()):
            raise OptionError(
                f"align='time' needs a time column: {panel.name} has none and its series "
                f"differ in length ({int(length.min())} to {int(length.max())} values), "
                "got align='time'; use align='end'"
            )
        local = np.arange(panel.n_values, dtype=np.int64) - np.repeat(panel.starts[:-1], length)
        return local, pd.RangeIndex(int(length[0]))
    codes, calendar = pd.factorize(panel.time, sort=True)
    codes = np.asarray(codes, dtype=np.int64)
    if bool((codes < 0).any()):
        raise DataError(f"time of {panel.name} has missing values: align='time' cannot use it")
    rising = np.diff(codes) > 0
    rising[panel.starts[1:-1] - 1] = True  # a new series may start at any time
    if not rising.all():
        row = int(np.argmin(rising))
        i = int(panel.series_index[row])
        raise DataError(
            f"time of series {panel.ids[i]!r} of {panel.name} must increase for align='time', "
            f"got {panel.time[row]} then {panel.time[row + 1]}"
        )
    return codes, pd.Index(calendar)


def _when(stamp: object) -> str:
    """A time point for people: a date when it has no time of day."""
    if isinstance(stamp, pd.Timestamp) and stamp == stamp.normalize():
        return str(stamp.date())
    return str(stamp)


def _inactive_text(
    short: NDArray[np.bool_], unseen: NDArray[np.bool_], n_series: int, cut: str
) -> str:
    """The cut, plus how many series sit out and why (none: the cut alone)."""
    off = short | unseen
    if not off.any():
        return cut
    reasons = {
        "too short before the cut": int(short.sum()),
        "with nothing to validate in the fold": int((unseen & ~short).sum()),
    }
    given = [(why, k) for why, k in reasons.items() if k]
    why = given[0][0] if len(given) == 1 else ", ".join(f"{k} {w}" for w, k in given)
    return f"{cut}; {int(off.sum())} of {n_series} series inactive: {why}"


def _time_folds(
    panel: Panel, window: WindowSpec, folds: int, test_fraction: float
) -> tuple[list[PanelSplit], PanelSplit]:
    """Folds cut at common time points of the panel's calendar."""
    codes, calendar = _calendar(panel)
    size = len(calendar)
    try:
        fold_splits, test = rolling_origin_folds(size, window, folds, test_fraction)
    except DataError as exc:
        whole = f"the calendar of {panel.name} ({size} time points)"
        text = str(exc).replace(f"series of length {size}", whole, 1)
        raise DataError(text) from None
    lags, horizon = window.lags, window.horizon
    firsts = panel.starts[:-1]

    def below(point: int) -> NDArray[np.int64]:
        # (S,) values of each series before calendar[point]; a series is in time order
        return np.add.reduceat((codes < point).astype(np.int64), firsts)

    splits = []
    for k, fold in enumerate(fold_splits):
        train_end, n = below(fold.train_end), below(fold.n)
        short, unseen = train_end < lags + horizon, n - horizon < train_end
        when = _when(calendar[fold.train_end])
        if (short | unseen).all():
            raise DataError(
                f"no series of {panel.name} is usable in fold {k + 1} of {folds}: each needs "
                f"lags + horizon = {lags + horizon} values before {when} and {horizon} from it "
                f"until {_when(calendar[fold.n - 1])}"
            )
        text = _inactive_text(short, unseen, panel.n_series, f"time {when}")
        active = ~(short | unseen)
        splits.append(PanelSplit(panel.starts, n, train_end, lags, horizon, active, text))
    train_end = below(test.train_end)
    short = train_end < lags + horizon
    when = f"time {_when(calendar[test.train_end])}" if test.train_end < size else "no test block"
    no_one = np.zeros_like(short)
    text = _inactive_text(short, no_one, panel.n_series, when)
    test_split = PanelSplit(panel.starts, panel.lengths, train_end, lags, horizon, ~short, text)
    return splits, test_split


def panel_folds(
    panel: Panel, window: WindowSpec, folds: int, test_fraction: float, align: str = "time"
) -> tuple[list[PanelSplit], PanelSplit]:
    """Expanding-window folds across a panel, and one final test split never used for selection.

    Every fold's n_i is at most the test split's train_end_i, so no fold sees test values.

    Args:
        panel: The series.
        window: Lags and horizon.
        folds: Number of folds, >= 1.
        test_fraction: Share of the layout held out for the test block; 0 means none.
        align: "time" cuts every series at common time points of the panel's calendar (the
            sorted time stamps; positions when the panel has no time column and its series
            share one length); a series sits out a fold (inactive, counted in ``cut``) unless
            it has a training window before the cut and a validation window before the fold's
            end. "end" cuts every series at the same distance from its end, laid out by
            ``rolling_origin_folds`` on the shortest series; every series takes part.

    Returns:
        The folds in time order and the test split. In the test split with align="time" a
        series takes part when it has a training window; it may have no test window.

    Raises:
        OptionError: For an unknown align, bad folds or test_fraction, or align="time"
            without a time column on series of different lengths.
        DataError: When the panel is too short: the message names the shortest series (or the
            calendar) and the length needed; or when no series is usable in a fold.
    """
    check_choice("align", align, ALIGNS)
    if align == "end":
        return _end_folds(panel, window, folds, test_fraction)
    return _time_folds(panel, window, folds, test_fraction)


def panel_train_val_split(panel: Panel, window: WindowSpec, val_fraction: float) -> PanelSplit:
    """Each series holds out its own last ``held_out(len_i, val_fraction)`` values.

    Args:
        panel: The series.
        window: Lags and horizon.
        val_fraction: Share of each series held out; 0 means no validation window.

    Raises:
        OptionError: When val_fraction is not in [0, 1).
        DataError: When a series has no training window, or no validation window although
            val_fraction > 0; the message names the shortest such series and the length needed.
    """
    check(0.0 <= val_fraction < 1.0, "val_fraction", "must be in [0, 1)", val_fraction)
    length = panel.lengths
    lags, horizon = window.lags, window.horizon
    # splits.held_out, vectorised: floor(n * fraction + 0.5)
    n_val = np.floor(length * val_fraction + 0.5).astype(np.int64)
    bad = (length - n_val < lags + horizon) | ((val_fraction > 0) & (n_val < horizon))
    if bad.any():
        worst = np.where(bad, length, np.iinfo(np.int64).max)
        try:
            train_val_split(int(worst.min()), window, val_fraction)
        except DataError as exc:
            raise DataError(_name_shortest(panel, worst, exc, int(bad.sum()))) from None
    every = np.ones(panel.n_series, dtype=bool)
    cut = f"last {val_fraction:g} of each series" if val_fraction > 0 else "no validation"
    return PanelSplit(panel.starts, length, length - n_val, lags, horizon, every, cut)
