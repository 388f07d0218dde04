"""A panel sweep's per-series test scores in numbers and words, computed without drawing."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lstmsizer.errors import DataError
from lstmsizer.report.facts import number
from lstmsizer.report.tables import Cell
from lstmsizer.rundir import RunFolder
from lstmsizer.rundir.files import FORECASTS_FILE, PANEL_FILE
from lstmsizer.rundir.sweep import (
    BASELINE_KIND,
    FORECAST_COLUMNS,
    ID_COLUMN,
    LSTM_KIND,
    POOLED_KIND,
    STATISTICAL_FAMILIES,
)
from lstmsizer.rundir.tables import Forecasts, x_axis

EXTREMES = 10
"""Series listed where the LSTM does best, and as many where it does worst."""
DRAWN = 3
"""Series drawn from each end in the small multiples."""
EXTREMES_TITLE = "Where the LSTM does best and worst against its statistical baseline"
EXTREME_COLUMNS = ("rank", "series", "LSTM MASE", "baseline MASE", "baseline", "LSTM / baseline")
NO_SCALE = "no naive scale: a training part too short or constant"
_NEEDED = (ID_COLUMN, "model", "kind", "mase")


@dataclass(frozen=True)
class SeriesScore:
    """One series' test MASE: the LSTM's, its own statistical baseline's, the pooled AR's.

    Attributes:
        id: The series.
        lstm: The recommended LSTM's MASE.
        statistical: The lower MASE of the series' own STATISTICAL_FAMILIES rows (the first
            family on a tie); NaN when none has a finite one.
        baseline: That family's name ("" when none).
        pooled: The pooled linear AR's MASE (NaN when not scored).
        ratio: lstm / statistical: below 1 the LSTM beats its statistical baseline.
    """

    id: str
    lstm: float
    statistical: float
    baseline: str
    pooled: float
    ratio: float


@dataclass(frozen=True)
class Spread:
    """Median and quartiles of one model's per-series MASE over the n series that have one."""

    n: int
    q1: float
    median: float
    q3: float


@dataclass(frozen=True)
class Wins:
    """On how many of the series both were scored on the LSTM's MASE is lower."""

    wins: int
    compared: int

    @property
    def share(self) -> float:
        """wins / compared; NaN when none was compared."""
        return self.wins / self.compared if self.compared else math.nan


@dataclass(frozen=True)
class PanelNumbers:
    """The test share scored per series (panel_scores.csv), summarised.

    Attributes:
        series: Every series with a finite LSTM MASE, in id order.
        n_series: Series named in panel_scores.csv.
        left_out: Series without a finite LSTM MASE (no naive scale), left out of the rest.
        lstm, statistical, pooled: Each model's MASE over `series` (where finite).
        vs_statistical, vs_pooled: Where the LSTM beats each series' statistical baseline,
            and the pooled AR.
        best, worst: Up to EXTREMES series with the lowest and the highest ratio (ties
            broken by id, best first and worst first); a series is listed once, so with
            fewer than 2 x EXTREMES rated series they split them between them.
        pooled_model: The pooled baseline's name, e.g. "pooled linear AR(12)" ("" if none).
    """

    series: tuple[SeriesScore, ...]
    n_series: int
    left_out: int
    lstm: Spread
    statistical: Spread
    pooled: Spread
    vs_statistical: Wins
    vs_pooled: Wins
    best: tuple[SeriesScore, ...]
    worst: tuple[SeriesScore, ...]
    pooled_model: str


@dataclass(frozen=True)
class PanelView:
    """What the report shows of a panel run: its numbers, or why there are none."""

    numbers: PanelNumbers | None
    problem: str = ""


@dataclass(frozen=True)
class SeriesForecast:
    """One series of the small multiples: its scores, its place ("best 1") and forecasts."""

    score: SeriesScore
    rank: str
    forecasts: Forecasts


def _mase(scores: pd.DataFrame) -> pd.Series:
    try:
        return pd.to_numeric(scores["mase"], errors="raise").astype(float)
    except (TypeError, ValueError) as error:
        raise DataError(f"{PANEL_FILE}'s mase must be numbers or empty: {error}") from None


def _one_per(rows: pd.DataFrame, keys: list[str], what: str) -> None:
    repeated = rows[rows.duplicated(keys, keep=False)]
    if len(repeated):
        first = repeated.iloc[0]
        raise DataError(
            f"{PANEL_FILE} must have one {what} row per series, got several for series "
            f"{first[ID_COLUMN]!r} ({first['model']!r})"
        )


def _by_id(rows: pd.DataFrame, ids: list[str]) -> np.ndarray:
    return rows.set_index(ID_COLUMN)["mase"].reindex(ids).to_numpy(dtype=float)  # (S,)


def _statistical(rows: pd.DataFrame, ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
    # (S,) the lower finite MASE of each series' own families, and which family it is
    table = rows.pivot(index=ID_COLUMN, columns="model", values="mase")
    mase = table.reindex(index=ids, columns=list(STATISTICAL_FAMILIES)).to_numpy(dtype=float)
    filled = np.where(np.isfinite(mase), mase, np.inf)  # (S, families)
    pick = np.argmin(filled, axis=1)  # the first family on a tie
    low = filled[np.arange(len(ids)), pick]
    names = np.asarray(STATISTICAL_FAMILIES, dtype=object)[pick]
    found = np.isfinite(low)
    return np.where(found, low, np.nan), np.where(found, names, "")


def _spread(values: np.ndarray) -> Spread:
    v = values[np.isfinite(values)]
    if not v.size:
        return Spread(0, math.nan, math.nan, math.nan)
    q1, median, q3 = np.percentile(v, [25, 50, 75])
    return Spread(int(v.size), float(q1), float(median), float(q3))


def _wins(lstm: np.ndarray, other: np.ndarray) -> Wins:
    both = np.isfinite(lstm) & np.isfinite(other)
    return Wins(int((lstm[both] < other[both]).sum()), int(both.sum()))


def _extremes(series: Sequence[SeriesScore]) -> tuple[tuple[SeriesScore, ...], ...]:
    rated = sorted((s for s in series if not math.isnan(s.ratio)), key=lambda s: (s.ratio, s.id))
    best = rated[: min(EXTREMES, (len(rated) + 1) // 2)]
    rest = sorted(rated[len(best) :], key=lambda s: (-s.ratio, s.id))
    return tuple(best), tuple(rest[: min(EXTREMES, len(rated) // 2)])


def panel_numbers(scores: pd.DataFrame) -> PanelNumbers:
    """The per-series MASE comparison of a panel's test share.

    Args:
        scores: panel_scores.csv (rundir.sweep.PANEL_SCORE_COLUMNS), ids as text.

    Returns:
        The LSTM against each series' own statistical baseline and the pooled AR.

    Raises:
        DataError: A column is missing, mase holds text, or a series has a model twice.
    """
    missing = [c for c in _NEEDED if c not in scores.columns]
    if missing:
        raise DataError(
            f"{PANEL_FILE} must have the columns {', '.join(missing)}, which are missing"
        )
    frame = scores.assign(**{ID_COLUMN: scores[ID_COLUMN].astype(str), "mase": _mase(scores)})
    kind, model = frame["kind"].astype(str), frame["model"].astype(str)
    lstm_rows, pooled_rows = frame[kind == LSTM_KIND], frame[kind == POOLED_KIND]
    own = frame[(kind == BASELINE_KIND) & model.isin(STATISTICAL_FAMILIES)]
    _one_per(lstm_rows, [ID_COLUMN], "lstm")
    _one_per(pooled_rows, [ID_COLUMN], "pooled")
    _one_per(own, [ID_COLUMN, "model"], "baseline")
    everyone = sorted(set(frame[ID_COLUMN]))
    lstm_all = _by_id(lstm_rows, everyone)
    ids = [i for i, v in zip(everyone, lstm_all, strict=True) if math.isfinite(v)]
    lstm = lstm_all[np.isfinite(lstm_all)]
    statistical, names = _statistical(own, ids)
    pooled = _by_id(pooled_rows, ids)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = lstm / statistical
    series = tuple(
        SeriesScore(i, float(a), float(b), str(n), float(p), float(r))
        for i, a, b, n, p, r in zip(ids, lstm, statistical, names, pooled, ratio, strict=True)
    )
    best, worst = _extremes(series)
    return PanelNumbers(
        series=series,
        n_series=len(everyone),
        left_out=len(everyone) - len(ids),
        lstm=_spread(lstm),
        statistical=_spread(statistical),
        pooled=_spread(pooled),
        vs_statistical=_wins(lstm, statistical),
        vs_pooled=_wins(lstm, pooled),
        best=best,
        worst=worst,
        pooled_model=str(pooled_rows["model"].iloc[0]) if len(pooled_rows) else "",
    )


def panel_run(run: RunFolder) -> bool:
    """Whether the run folder is a panel sweep's: it has panel_scores.csv."""
    return (run.path / PANEL_FILE).is_file()


def panel_view(run: RunFolder) -> PanelView | None:
    """The panel's numbers, or the sentence saying why they cannot be read; None for a
    single-series run."""
    if not panel_run(run):
        return None
    try:
        scores = pd.read_csv(run.path / PANEL_FILE, dtype={ID_COLUMN: str})
        return PanelView(panel_numbers(scores))
    except (OSError, ValueError, pd.errors.ParserError, DataError) as error:
        return PanelView(None, f"{PANEL_FILE} could not be read ({error}); that part is left out.")


def _forecasts(rows: pd.DataFrame) -> Forecasts:
    def values(name: str) -> np.ndarray:
        return pd.to_numeric(rows[name], errors="coerce").to_numpy(dtype=float)

    span = rows["span"].astype(str).to_numpy()
    return Forecasts(
        x_axis(rows), span, values("actual"), values("recommended"), values("best_baseline")
    )


def small_multiples(numbers: PanelNumbers, run_dir: Path) -> tuple[SeriesForecast, ...]:
    """The DRAWN best and DRAWN worst series with their rows of forecasts.csv, in file order.

    Args:
        numbers: The panel's numbers.
        run_dir: The run folder; its forecasts.csv has the id column first.

    Returns:
        Best first, then worst first; a series without forecast rows is not drawn, and
        none is without forecasts.csv.

    Raises:
        DataError: forecasts.csv lacks a column.
    """
    path = run_dir / FORECASTS_FILE
    if not path.is_file():
        return ()
    frame = pd.read_csv(path, dtype={ID_COLUMN: str})
    missing = [c for c in (ID_COLUMN, *FORECAST_COLUMNS) if c not in frame.columns]
    if missing:
        raise DataError(
            f"{FORECASTS_FILE} must have the columns {', '.join(missing)}, which are missing"
        )
    chosen = [(f"best {k + 1}", s) for k, s in enumerate(numbers.best[:DRAWN])]
    chosen += [(f"worst {k + 1}", s) for k, s in enumerate(numbers.worst[:DRAWN])]
    shown = frame[frame[ID_COLUMN].isin({s.id for _, s in chosen})]
    groups = {str(k): rows for k, rows in shown.groupby(ID_COLUMN, sort=False)}
    return tuple(
        SeriesForecast(s, rank, _forecasts(groups[s.id])) for rank, s in chosen if s.id in groups
    )


def _share(wins: Wins) -> str:
    return f"{wins.share:.0%} of the series ({wins.wins:,} of {wins.compared:,})"


def _spread_text(spread: Spread) -> str:
    return f"{number(spread.median)} (quartiles {number(spread.q1)} to {number(spread.q3)})"


def panel_sentences(view: PanelView) -> tuple[str, ...]:
    """The summary in words: how the LSTM's MASE compares series by series."""
    n = view.numbers
    if n is None:
        return (view.problem,)
    lead = f"{n.n_series:,} series {'was' if n.n_series == 1 else 'were'} scored on the test share."
    if not n.series:
        return (lead, f"None has a finite LSTM MASE ({NO_SCALE}).")
    out = [
        lead + f" The LSTM's median MASE is {_spread_text(n.lstm)}"
        + (
            f"; each series' own statistical baseline (the better of "
            f"{' and '.join(STATISTICAL_FAMILIES)}) has {_spread_text(n.statistical)}."
            if n.statistical.n
            else f"; no series has a finite {' or '.join(STATISTICAL_FAMILIES)} MASE."
        )
    ]  # fmt: skip
    if n.vs_statistical.compared:
        out.append(f"The LSTM beats its statistical baseline on {_share(n.vs_statistical)}.")
    if n.vs_pooled.compared:
        out.append(
            f"It beats the {n.pooled_model or 'pooled AR'}, fitted on every series at once, "
            f"on {_share(n.vs_pooled)}; that model's median MASE is {_spread_text(n.pooled)}."
        )
    if n.left_out:
        out.append(
            f"{n.left_out:,} series {'has' if n.left_out == 1 else 'have'} no LSTM MASE "
            f"({NO_SCALE}) and {'is' if n.left_out == 1 else 'are'} left out."
        )
    return tuple(out)


def extreme_rows(numbers: PanelNumbers) -> list[tuple[Cell, ...]]:
    """The best then the worst series as EXTREME_COLUMNS cells: (text, sort value)."""
    nan = math.nan
    return [
        (
            (f"{side} {k + 1}", nan),
            (s.id, nan),
            (number(s.lstm), s.lstm),
            (number(s.statistical), s.statistical),
            (s.baseline, nan),
            (number(s.ratio), s.ratio if math.isfinite(s.ratio) else nan),
        )
        for side, rows in (("best", numbers.best), ("worst", numbers.worst))
        for k, s in enumerate(rows)
    ]
