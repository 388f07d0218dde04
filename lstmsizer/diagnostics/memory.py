"""Memory length: the smallest width that recalls an input d steps back, for growing d."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from lstmsizer.config import CELLS, ModelSpec, TrainSpec, WindowSpec
from lstmsizer.datasets import Dataset, get
from lstmsizer.diagnostics.result import Result
from lstmsizer.errors import DataError, check, check_choice, check_int
from lstmsizer.evaluation import score_forecaster
from lstmsizer.forecaster import LSTMForecaster
from lstmsizer.splits import Split, train_val_split

TARGET_RMSE = 0.5
"""Validation RMSE that counts as remembering: the delayed input is N(0, 1), so forecasting
its mean scores about 1 and perfect recall 0."""

VAL_FRACTION = 0.2


@dataclass(frozen=True)
class MemoryRun(Result):
    """One training on the delay task: delay d, width units, seed, validation RMSE."""

    d: int
    units: int
    seed: int
    rmse: float


@dataclass(frozen=True)
class MemoryResult(Result):
    """Smallest sufficient width per delay on the ``delay`` data set.

    Attributes:
        lags: Window length (L).
        delays: The delays d tried.
        units: The widths tried.
        seeds: Training seeds; the data are drawn with data_seed.
        target_rmse: Mean validation RMSE over seeds below which a width suffices.
        n, epochs, cell, lr, data_seed: Settings of every training.
        runs: Every training: d, units, seed, rmse.
        smallest_units: Per delay, the smallest sufficient width, or None (no width tried).
        correlation: Spearman correlation of d with smallest_units, a delay with no
            sufficient width ranked above every width; NaN for fewer than two distinct values.
        monotone: Whether smallest_units never decreases as d grows (None counting as larger
            than every width).
    """

    lags: int
    delays: tuple[int, ...]
    units: tuple[int, ...]
    seeds: tuple[int, ...]
    target_rmse: float
    n: int
    epochs: int
    cell: str
    lr: float
    data_seed: int
    runs: tuple[MemoryRun, ...]
    smallest_units: tuple[int | None, ...]
    correlation: float
    monotone: bool


def smallest_sufficient_units(grid: pd.DataFrame, target_rmse: float) -> dict[int, int | None]:
    """Per delay, the smallest width whose mean RMSE over seeds is below target_rmse.

    Args:
        grid: One row per training with columns d, units, rmse (NaN counts as not sufficient).
        target_rmse: The threshold.

    Returns:
        {d: width or None} for every d of the grid, in increasing d.
    """
    missing = [c for c in ("d", "units", "rmse") if c not in grid.columns]
    if missing:
        raise DataError(f"grid must have the columns {', '.join(missing)}, which are missing")
    means = grid.groupby(["d", "units"])["rmse"].mean()
    out: dict[int, int | None] = {}
    for d in sorted(grid["d"].unique()):
        rmse = means.loc[d]
        good = rmse[rmse < target_rmse].index
        out[int(d)] = int(min(good)) if len(good) else None
    return out


def width_ranks(smallest: Sequence[int | None]) -> list[float]:
    """The smallest widths as numbers to rank, a delay no width reached (None) above all."""
    finite = [u for u in smallest if u is not None]
    beyond = 2 * max(finite) + 1 if finite else 1  # None ranks above every sufficient width
    return [float(beyond if u is None else u) for u in smallest]


def width_trend(smallest: Sequence[int | None], delays: Sequence[int]) -> tuple[float, bool]:
    """Spearman correlation of delays with the smallest widths, and whether they never fall.

    A delay with no sufficient width (None) ranks above every width. The correlation is NaN
    when the delays or the widths take fewer than two distinct values.
    """
    values = width_ranks(smallest)
    monotone = all(a <= b for a, b in itertools.pairwise(values))
    if len(set(values)) < 2 or len(set(delays)) < 2:
        return math.nan, monotone
    rho = pd.Series(list(delays), dtype=float).corr(pd.Series(values), method="spearman")
    return float(rho), monotone


def _check(
    lags: int, delays: Sequence[int], units: Sequence[int], seeds: int, cell: str, target: float
) -> None:
    check_int("lags", lags)
    check(len(delays) > 0, "delays", "must list at least one delay", delays)
    check(len(units) > 0, "units", "must list at least one width", units)
    for d in delays:
        check_int("delays", d)
    for u in units:
        check_int("units", u)
    check_int("seeds", seeds)
    check_choice("cell", cell, CELLS)
    check(target > 0, "target_rmse", "must be > 0", target)


def memory_length(
    *,
    lags: int = 8,
    delays: Sequence[int] | None = None,
    units: Sequence[int] = (1, 2, 4, 8, 16),
    seeds: int = 1,
    n: int = 1000,
    epochs: int = 100,
    target_rmse: float = TARGET_RMSE,
    cell: str = "lstm",
    lr: float = 1e-2,
    batch_size: int = 32,
    data_seed: int = 0,
    on_run: Callable[[MemoryRun], None] | None = None,
    fit: Callable[[Dataset, Split, int], Sequence[float]] | None = None,
    first_sufficient: bool = False,
) -> MemoryResult:
    """Does the needed width grow with the memory length? Train on delay data for each d.

    The data are ``datasets.get("delay", n=n, d=d, seed=data_seed)``: y[t] = x[t - d] with
    x ~ N(0, 1) a feature column, so the forecast of y[t] must recall x from d steps back
    (within the window when d <= lags). Each width is trained with each seed on the first 80%
    and scored on the last 20% (standard scaling, no early stopping).

    Args:
        lags, delays: Window length, and the delays to try (default 1 .. lags).
        units: Widths to try.
        seeds: Training seeds per (d, width): 0 .. seeds - 1.
        n, epochs: Length of each delay series, and epochs per training.
        target_rmse: Mean validation RMSE below which a width suffices.
        cell, lr, batch_size: The cell (lstm, gru or rnn), Adam's rate, windows per step.
        data_seed: Seed of the delay data.
        on_run: Called after every training, e.g. to advance a progress bar.
        fit: Trains every seed of one width on (data, split, width) and returns their
            validation RMSEs in seed order, replacing the fixed-epoch training above (the
            claims pass the sweep's protocol: early stopping, lr cuts, a chosen rate).
        first_sufficient: Train the widths of a delay in increasing order and stop at the
            first sufficient one: the smallest sufficient width is the same, and the wider
            ones are not trained (their runs are absent from the result).

    Returns:
        The MemoryResult.
    """
    delays = tuple(range(1, lags + 1)) if delays is None else tuple(delays)
    widths = tuple(sorted(set(units)))
    _check(lags, delays, widths, seeds, cell, target_rmse)
    window = WindowSpec(lags)
    train = fit or _fixed_epoch_fit(window, cell, seeds, epochs, lr, batch_size)
    stop_below = target_rmse if first_sufficient else None
    runs: list[MemoryRun] = []
    for d in delays:
        data = get("delay", n=n, d=d, seed=data_seed)
        split = train_val_split(len(data), window, VAL_FRACTION)
        runs += _delay_runs(d, data, split, widths, train, on_run, stop_below)
    smallest = _smallest(runs, delays, target_rmse)
    correlation, monotone = width_trend(smallest, delays)
    return MemoryResult(
        lags=lags, delays=delays, units=widths, seeds=tuple(range(seeds)),
        target_rmse=float(target_rmse), n=n, epochs=epochs, cell=cell, lr=float(lr),
        data_seed=data_seed, runs=tuple(runs), smallest_units=smallest,
        correlation=correlation, monotone=monotone,
    )  # fmt: skip


def _smallest(
    runs: Sequence[MemoryRun], delays: Sequence[int], target_rmse: float
) -> tuple[int | None, ...]:
    """The smallest sufficient width of each delay (smallest_sufficient_units), in order."""
    grid = pd.DataFrame([(r.d, r.units, r.rmse) for r in runs], columns=["d", "units", "rmse"])
    found = smallest_sufficient_units(grid, target_rmse)
    return tuple(found[d] for d in delays)


Fit = Callable[[Dataset, Split, int], Sequence[float]]
"""Trains every seed of one width on (data, split, width); their validation RMSEs."""


def _delay_runs(
    d: int,
    data: Dataset,
    split: Split,
    widths: Sequence[int],
    fit: Fit,
    on_run: Callable[[MemoryRun], None] | None,
    stop_below: float | None,
) -> list[MemoryRun]:
    """Every width on one delay's data, in increasing order; with stop_below, up to the
    first width whose mean RMSE is below it."""
    runs: list[MemoryRun] = []
    for width in widths:
        scores = [float(r) for r in fit(data, split, width)]
        for seed, rmse in enumerate(scores):
            runs.append(MemoryRun(d, width, seed, rmse))
            if on_run is not None:
                on_run(runs[-1])
        if stop_below is not None and sum(scores) / len(scores) < stop_below:
            break
    return runs


def _fixed_epoch_fit(
    window: WindowSpec, cell: str, seeds: int, epochs: int, lr: float, batch_size: int
) -> Fit:
    """The default training: each seed for a fixed number of epochs (_fixed_epochs)."""

    def fit(data: Dataset, split: Split, width: int) -> list[float]:
        return [
            _fixed_epochs(data, split, window, cell, width, seed, epochs, lr, batch_size)
            for seed in range(seeds)
        ]

    return fit


def _fixed_epochs(
    data: Dataset,
    split: Split,
    window: WindowSpec,
    cell: str,
    width: int,
    seed: int,
    epochs: int,
    lr: float,
    batch_size: int,
) -> float:
    """Validation RMSE of one training for a fixed number of epochs, standard scaling."""
    train = TrainSpec(epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, progress=False)
    model = LSTMForecaster(window, ModelSpec(cell, width), train, scaling="standard")  # type: ignore[arg-type]
    return float(score_forecaster(model, data, split)["rmse"])  # type: ignore[arg-type]
