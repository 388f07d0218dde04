"""Which racing margin keeps the recommendation? Sweeps replayed with racing on resampled tables.

For each table (a run folder's runs.csv and lr_search.csv, or several folders of one sweep run
with other seeds: A,B), each margin and each of R seeded resamples: the paired one-SE rule on
the full grid against the rule on what a sweep with racing would have kept. The replay trains
largest first, worker k taking the k-th configuration not yet started (PlanSampler's rule),
each fold lasting as long as its runs took (fold 0 with the rate search), so every check sees
the incumbent a real sweep would have had. racing.race runs after every fold but the last;
under --batching auto the folds after the first of a configuration whose runs batch
(seeds.batching_choice) train as one group, as sweeps do, so it runs after fold 0 only.

    python bench/racing.py TABLE [TABLE ...] [--margins 2,3,4] [--resamples 1000]
        [--min-folds 1,2] [--resample subsets|cells] [--seeds 3] [--workers 2]

A resample keeps the folds in order. subsets (the default) gives each fold --seeds of the
table's seeds, drawn without replacement, so it needs more seeds than --seeds. cells draws
them with replacement: three equal cells of a fold have a standard error of zero, which races
any gap, a tie no sweep has. --min-folds 2 races only once two folds are trained.
"""

from __future__ import annotations

import argparse
import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lstmsizer import racing
from lstmsizer.config import ModelSpec
from lstmsizer.onese import one_se_rule
from lstmsizer.racing import Cell, incumbent, race
from lstmsizer.rundir.files import LR_SEARCH_FILE, RUNS_FILE
from lstmsizer.seeds import batching_choice


@dataclass(frozen=True)
class Table:
    """One sweep's runs as arrays, configurations sorted by id (the one-SE rule's order):
    (C,) parameters, (C, S, F) rmse (NaN: failed) and training seconds per configuration,
    seed and fold, (C,) search: seconds per seed of the first fold's rate search at the rates
    not chosen, order: largest first, as the sweep trains them, and (C,) grouped: whether the
    folds after the first train as one batched group."""

    folder: str
    configs: tuple[str, ...]
    parameters: np.ndarray
    rmse: np.ndarray
    seconds: np.ndarray
    search: np.ndarray
    order: tuple[int, ...]
    grouped: tuple[bool, ...]


@dataclass(frozen=True)
class Replay:
    """What a sweep with racing did: configuration index -> folds it had trained when raced
    out, and the seconds from the start until the last configuration settled."""

    raced: dict[int, int]
    wall: float


def read_table(folders: Sequence[Path], batching: str) -> Table:
    """The runs of run folders of one sweep run with other seeds, each configuration with a
    run per seed and fold, as one table; batching is the sweep's --batching."""
    runs = pd.concat([pd.read_csv(folder / RUNS_FILE) for folder in folders])
    runs = runs.assign(config=runs["config"].astype(str))
    configs = tuple(sorted(runs["config"].unique()))
    seeds, folds = sorted(runs["seed"].unique()), sorted(runs["fold"].unique())
    index = pd.MultiIndex.from_product([configs, seeds, folds], names=["config", "seed", "fold"])
    frame = runs.set_index(["config", "seed", "fold"]).reindex(index)
    if frame["seconds"].isna().any() or len(frame) != len(runs):
        raise SystemExit(f"{folders}: every configuration needs one run per seed and fold")
    shape = (len(configs), len(seeds), len(folds))
    rmse = pd.to_numeric(frame["rmse"], errors="coerce").to_numpy(float).reshape(shape)
    first = runs.groupby("config").first().reindex(configs)
    search = np.zeros(len(configs))
    for folder in folders:
        if (folder / LR_SEARCH_FILE).exists():
            lr = pd.read_csv(folder / LR_SEARCH_FILE)
            lost = lr[~lr["chosen"].astype(bool)]
            spent = lost.groupby(lost["config"].astype(str))["seconds"].sum()
            search += spent.reindex(configs).fillna(0.0).to_numpy(float)
    models = [
        ModelSpec(str(r.cell), int(r.units), int(r.layers), str(r.activation))  # type: ignore[arg-type]
        for r in first.itertuples()
    ]
    device = str(first["device"].iloc[0]) if "device" in first else "cpu"
    grouped = [len(folds) > 2 and batching_choice(m, batching, device).batched for m in models]
    return Table(
        folder=",".join(str(f) for f in folders),
        configs=configs,
        parameters=first["parameters"].to_numpy(float),
        rmse=np.where(np.isfinite(rmse), rmse, np.nan),
        seconds=frame["seconds"].to_numpy(float).reshape(shape),
        search=search / len(seeds),
        # sorted() is stable: configurations of equal size keep their id order
        order=tuple(sorted(range(len(configs)), key=lambda c: -first["parameters"].iloc[c])),
        grouped=tuple(grouped),
    )


def draws(table: Table, scheme: str, seeds: int, resamples: int, seed: int) -> list[np.ndarray]:
    """Seeded resamples as (F, seeds) seed indices: fold f of a resample is fold f of the
    table, trained with the table's seeds [f]."""
    _, pool, folds = table.rmse.shape
    rng = np.random.default_rng(seed)
    if scheme == "cells":
        return [rng.integers(0, pool, size=(folds, seeds)) for _ in range(resamples)]
    if pool <= seeds:
        raise SystemExit(f"{table.folder}: subsets of {seeds} seeds need more than {pool}")
    return [
        np.stack([rng.choice(pool, size=seeds, replace=False) for _ in range(folds)])
        for _ in range(resamples)
    ]


def resampled(table: Table, seed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(C, S, F) RMSE and (C, F) fold durations of one resample; fold 0 carries the search."""
    folds = np.arange(seed.shape[0])[None, :]
    rmse = table.rmse[:, seed.T, folds]  # [c, s, f] = table.rmse[c, seed[f, s], f]
    seconds = table.seconds[:, seed.T, folds].sum(axis=1)  # (C, S, F) -> (C, F)
    seconds[:, 0] += table.search * seed.shape[1]
    return rmse, seconds


def replay(
    configs: Sequence[str],
    rmse: np.ndarray,
    durations: np.ndarray,
    order: Sequence[int],
    margin: float,
    *,
    grouped: Sequence[bool] = (),
    workers: int = 2,
    min_folds: int = 1,
) -> Replay:
    """Replay a grid sweep with racing. Worker k takes the k-th configuration of order not
    yet started when it is free (at the start, the k-th of all), trains it, and after each
    stage but the last races it against the incumbent among those finished by then.

    Args:
        configs: (C) configuration ids, as the incumbent is named.
        rmse: (C, S, F) RMSE per configuration, seed and fold.
        durations: (C, F) seconds of each configuration's fold.
        order: Configuration indices, first trained first.
        margin, min_folds: racing.race's; min_folds above F - 1 never races.
        grouped: Per configuration, whether its folds after the first train as one group
            (no check between them); none when empty.
        workers: Worker processes.
    """
    _, seeds, folds = rmse.shape
    # trained[c][f]: configuration c's cells of folds 0..f
    trained = [
        [{(s, g): float(v[s, g]) for g in range(f + 1) for s in range(seeds)} for f in range(folds)]
        for v in rmse
    ]
    # the folds each stage of a configuration ends with: (0, 1, 2), or (0, 2) when grouped
    stages = {c: (0, folds - 1) if c < len(grouped) and grouped[c] else range(folds) for c in order}
    todo = list(order)
    events: list[tuple[float, int, int, int]] = []  # (time, worker, config, fold) at a stage end
    for worker, c in enumerate(todo[:workers]):
        heapq.heappush(events, (float(durations[c, 0]), worker, c, 0))
    del todo[:workers]
    finished: dict[str, dict[Cell, float]] = {}
    best: str | None = None
    raced: dict[int, int] = {}
    wall = 0.0
    while events:
        wall, worker, c, fold = heapq.heappop(events)
        if fold == folds - 1:
            finished[configs[c]] = trained[c][fold]
            best = incumbent(finished)
        elif (
            best is None or race(trained[c][fold], best, finished[best], margin, min_folds) is None
        ):
            end = next(f for f in stages[c] if f > fold)
            heapq.heappush(
                events, (wall + float(durations[c, fold + 1 : end + 1].sum()), worker, c, end)
            )
            continue
        else:
            raced[c] = fold + 1
        if todo:
            nxt = todo.pop(worker % len(todo))
            heapq.heappush(events, (wall + float(durations[nxt, 0]), worker, nxt, 0))
    return Replay(raced, wall)


@dataclass(frozen=True)
class Shares:
    """One table at one margin, means over the resamples: the share whose recommendation
    racing left unchanged (same), where it raced out the full grid's recommendation or best,
    the two ways it can change it (lost), the shares of runs, training seconds (the rate
    search included) and replayed wall time it saved, and the configurations it raced."""

    same: float
    lost: float
    runs: float
    seconds: float
    wall: float
    raced: float


def evaluate(
    table: Table,
    margins: Sequence[float],
    samples: Sequence[np.ndarray],
    workers: int,
    min_folds: int,
) -> dict[float, Shares]:
    """Shares of each margin over the given resamples of one table."""
    rows: dict[float, list[tuple[float, ...]]] = {m: [] for m in margins}
    for seed in samples:
        rmse, durations = resampled(table, seed)
        n_configs, seeds, folds = rmse.shape
        flat = rmse.reshape(n_configs, seeds * folds)
        rule = one_se_rule(flat, table.parameters)
        full, best = int(rule.recommended), int(rule.best)
        args = (table.configs, rmse, durations, table.order)
        base = replay(*args, np.inf, grouped=table.grouped, workers=workers, min_folds=folds).wall
        for margin in margins:
            done = replay(
                *args, margin, grouped=table.grouped, workers=workers, min_folds=min_folds
            )
            keep = [c for c in range(n_configs) if c not in done.raced]
            picked = keep[int(one_se_rule(flat[keep], table.parameters[keep]).recommended)]
            skipped = sum(durations[c, k:].sum() for c, k in done.raced.items())
            runs = sum(folds - k for k in done.raced.values()) / (n_configs * folds)
            lost = full in done.raced or best in done.raced
            row = (picked == full, lost, runs, skipped / durations.sum(), 1 - done.wall / base)
            rows[margin].append((*row, len(done.raced)))
    return {m: Shares(*np.mean(np.array(r, dtype=float), axis=0).tolist()) for m, r in rows.items()}


def describe(table: Table) -> str:
    """What was read: folders, configurations, cells, runs, seconds, the recommendation."""
    n_configs, seeds, folds = table.rmse.shape
    rule = one_se_rule(table.rmse.reshape(n_configs, seeds * folds), table.parameters)
    total = table.seconds.sum() + table.search.sum() * seeds
    return (
        f"{table.folder}: {n_configs} configurations ({sum(table.grouped)} with grouped "
        f"folds) x {seeds} seeds x {folds} folds, {table.rmse.size} runs, {total:.0f} "
        f"training seconds; recommended: {table.configs[int(rule.recommended)]}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tables", nargs="+", help="run folder, or folders of one sweep: A,B")
    parser.add_argument("--margins", default="1.5,2,2.5,3,4,5,6,8")
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--resample", choices=("subsets", "cells"), default="subsets")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per fold of a resample")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--min-folds", default="1", help="comma separated: 1,2")
    parser.add_argument("--batching", choices=("auto", "off"), default="auto")
    parser.add_argument("--keep", type=float, default=0.99)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    margins = [float(m) for m in args.margins.split(",")]
    tables = [read_table([Path(f) for f in t.split(",")], args.batching) for t in args.tables]
    samples = [draws(t, args.resample, args.seeds, args.resamples, args.seed) for t in tables]
    for k, table in enumerate(tables):
        print(f"table {k + 1}: {describe(table)}")
    print(
        f"{args.resamples} resamples ({args.resample}, {args.seeds} seeds a fold, seed "
        f"{args.seed}), {args.workers} workers, --batching {args.batching}. Shares of "
        "resamples: same recommendation, lost (its recommendation or best raced out); saved: "
        "runs, training seconds, wall time; configurations raced"
    )
    choices: list[tuple[float, float, int]] = []
    for min_folds in (int(k) for k in args.min_folds.split(",")):
        pairs = zip(tables, samples, strict=True)
        results = [evaluate(t, margins, draw, args.workers, min_folds) for t, draw in pairs]
        margin = _print(margins, results, min_folds, args.keep)
        if margin is not None:
            saved = float(np.mean([r[margin].seconds for r in results]))
            choices.append((saved, -margin, min_folds))
    for saved, margin, min_folds in choices:
        print(
            f"racing after {min_folds} fold(s): margin {-margin:g} keeps {args.keep:.0%}, saving "
            f"{saved:.1%} of the training seconds (mean over the tables)"
        )
    # the guard is not chosen by savings alone: one fold's seeds share its data (protocol.md)
    chosen = f"RACE_MARGIN = {racing.RACE_MARGIN:g}, RACE_MIN_FOLDS = {racing.RACE_MIN_FOLDS}"
    print(f"lstmsizer: {chosen}")


def _print(
    margins: Sequence[float], results: list[dict[float, Shares]], min_folds: int, keep: float
) -> float | None:
    """Print one guard's table; return its smallest margin that keeps the recommendation."""
    print(f"\nracing once {min_folds} fold{'s are' if min_folds > 1 else ' is'} trained")
    heads = " | ".join(f"{k + 1}: same  lost  runs  secs  wall raced" for k in range(len(results)))
    print(f"margin | {heads}")
    for m in margins:
        cells = " | ".join(
            f"{r[m].same:6.1%} {r[m].lost:5.1%} {r[m].runs:5.1%} {r[m].seconds:5.1%} "
            f"{r[m].wall:5.1%} {r[m].raced:4.1f}"
            for r in results
        )
        print(f"{m:6g} | {cells}")
    # the smallest margin from which on every larger one keeps it too
    bad = [m for m in margins if any(r[m].same < keep for r in results)]
    smallest = min((m for m in margins if not bad or m > max(bad)), default=None)
    print(f"smallest margin with >= {keep:.0%} the same recommendation on every table: {smallest}")
    return smallest


if __name__ == "__main__":
    main()
