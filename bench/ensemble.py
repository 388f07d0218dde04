"""M solo ForecastNets stepped one after another against one BatchedForecastNet of M members.

One training step is forward, backward and an Adam step on a batch of 32 windows of 12 lags
and 1 feature, for every one of the M members. Both run in this process with one torch thread,
in alternating timed blocks so that load on the machine hits both alike. Prints milliseconds
per step (all M members) and the ratio solo / batched: above 1 the batched net is faster.
Adam is torch's default, as training.fit uses it; --adam foreach or fused tries the others.

    python bench/ensemble.py [--units 8,32,128,256] [--members 9] [--activations tanh,relu]

--case folds times the training loop itself (training.fit, fit_members) on the seeds x folds
of a sweep's later folds, fold windows of different counts: every (seed, fold) solo one after
another, the seeds of each fold batched (one network per fold, fused Adam), and seeds x folds
batched as one network padded and masked (memberadam.MemberAdam). Prints seconds per epoch of
all runs and the ratios, measured in turns in this process.

    python bench/ensemble.py --case folds [--units 4,16,32,64] [--seeds 3] [--windows 148,187]
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import statistics
import time
from collections.abc import Callable

import torch

import lstmsizer
from lstmsizer.config import ModelSpec, TrainSpec
from lstmsizer.ensemble import BatchedForecastNet
from lstmsizer.models import ForecastNet
from lstmsizer.padded import Padded, pad_stack
from lstmsizer.training import TrainData, fit, fit_members, loss_function

LAGS, FEATURES, BATCH = 12, 1, 32


def _adam(params: list[torch.nn.Parameter], kind: str) -> torch.optim.Adam:
    if kind == "fused":
        return torch.optim.Adam(params, fused=True)
    return torch.optim.Adam(params, foreach=True if kind == "foreach" else None)


def _solo_step(spec: ModelSpec, members: int, adam: str) -> Callable[[], None]:
    nets = []
    for seed in range(members):
        torch.manual_seed(seed)
        nets.append(ForecastNet(FEATURES, spec))
    # as training.fit does: Adam over the trainable parameters only
    opts = [_adam([p for p in n.parameters() if p.requires_grad], adam) for n in nets]
    x = torch.randn(members, BATCH, LAGS, FEATURES)
    y = torch.randn(members, BATCH, 1, 1)
    mse = loss_function("mse")

    def step() -> None:
        for m, (net, opt) in enumerate(zip(nets, opts, strict=True)):
            loss = mse(net(x[m]), y[m])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

    return step


def _batched_step(spec: ModelSpec, members: int, adam: str) -> Callable[[], None]:
    net = BatchedForecastNet.seeded(FEATURES, spec, 1, 1, list(range(members)))
    opt = _adam(list(net.parameters()), adam)
    x = torch.randn(members, BATCH, LAGS, FEATURES)
    y = torch.randn(members, BATCH, 1, 1)

    def step() -> None:
        # each member's mean loss, summed: every member gets its solo gradient
        loss = (net(x) - y).square().mean(dim=(1, 2, 3)).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def _seconds(step: Callable[[], None], steps: int) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps


def _compare(
    spec: ModelSpec, members: int, adam: str, repeats: int, budget: float
) -> tuple[float, float]:
    solo, batched = _solo_step(spec, members, adam), _batched_step(spec, members, adam)
    # warm up, and pick the number of steps per timed block from a first measurement
    per_step = _seconds(solo, 2) + _seconds(batched, 2)
    steps = max(3, int(budget / per_step))
    solo_times, batched_times = [], []
    for _ in range(repeats):
        solo_times.append(_seconds(solo, steps))
        batched_times.append(_seconds(batched, steps))
    return statistics.median(solo_times), statistics.median(batched_times)


def _folds(windows: list[int]) -> list[TrainData]:
    """Random windows of each fold, with an early-stopping block of a sixth of their count."""
    g = torch.Generator().manual_seed(0)

    def draw(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.randn(n, LAGS, FEATURES, generator=g), torch.randn(n, 1, 1, generator=g)

    return [TrainData(*draw(n), *draw(max(1, n // 6))) for n in windows]


def _solo_runs(spec: ModelSpec, folds: list[TrainData], seeds: list[int], train: TrainSpec) -> None:
    for data in folds:
        for seed in seeds:
            torch.manual_seed(seed)
            fit(ForecastNet(FEATURES, spec), data, train)


def _runs_per_fold(
    spec: ModelSpec, folds: list[TrainData], seeds: list[int], train: TrainSpec
) -> None:
    m = len(seeds)
    for d in folds:
        assert d.x_val is not None and d.y_val is not None
        each = [t.unsqueeze(0).expand(m, *t.shape) for t in (d.x, d.y, d.x_val, d.y_val)]
        net = BatchedForecastNet.seeded(FEATURES, spec, 1, 1, seeds)
        fit_members(net, TrainData(*each), train, seeds)


def _runs_together(
    spec: ModelSpec, folds: list[TrainData], seeds: list[int], train: TrainSpec
) -> None:
    members = [s for _ in folds for s in seeds]
    padded = Padded(
        torch.tensor([f for f in range(len(folds)) for _ in seeds]),
        tuple(d.x.shape[0] for d in folds for _ in seeds),
        tuple(d.x_val.shape[0] for d in folds if d.x_val is not None for _ in seeds),
    )
    blocks = [pad_stack([getattr(d, k) for d in folds]) for k in ("x", "y", "x_val", "y_val")]
    net = BatchedForecastNet.seeded(FEATURES, spec, 1, 1, members)
    fit_members(net, TrainData(*blocks, padded=padded), train, members)


def _fold_case(args: argparse.Namespace) -> None:
    seeds = list(range(args.seeds))
    windows = [int(n) for n in args.windows.split(",")]
    folds = _folds(windows)
    train = TrainSpec(epochs=args.epochs, batch_size=BATCH, threads=1, progress=False)
    print(
        f"lstmsizer {lstmsizer.__version__}, torch {torch.__version__}, "
        f"{platform.processor() or platform.machine()}, 1 thread, {args.seeds} seeds x "
        f"{len(windows)} folds of {windows} windows, lags {LAGS}, batch {BATCH}, "
        f"{args.epochs} epochs per timing"
    )
    ways = {"solo": _solo_runs, "per fold": _runs_per_fold, "seeds x folds": _runs_together}
    for activation in args.activations.split(","):
        for units in (int(u) for u in (args.units or "4,16,32,64").split(",")):
            spec = ModelSpec(units=units, activation=activation)
            times: dict[str, list[float]] = {name: [] for name in ways}
            for way in ways.values():  # warm up: first calls pay for kernel set-up
                way(spec, folds, seeds, dataclasses.replace(train, epochs=1))
            for _ in range(args.repeats):  # in turns, so that load hits every way alike
                for name, way in ways.items():
                    start = time.perf_counter()
                    way(spec, folds, seeds, train)
                    times[name].append((time.perf_counter() - start) / args.epochs)
            solo, per_fold, together = (statistics.median(times[name]) for name in ways)
            print(
                f"{activation:5} units {units:4}: solo {1000 * solo:8.1f} ms, per fold "
                f"{1000 * per_fold:8.1f} ms, seeds x folds {1000 * together:8.1f} ms per "
                f"epoch; solo / per fold {solo / per_fold:5.2f}, solo / seeds x folds "
                f"{solo / together:5.2f}, per fold / seeds x folds {per_fold / together:5.2f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", default="steps", choices=["steps", "folds"])
    parser.add_argument("--units", default=None, help="steps: 8,32,128,256; folds: 4,16,32,64")
    parser.add_argument("--members", type=int, default=9)
    parser.add_argument("--cell", default="lstm", choices=["lstm", "gru", "rnn"])
    parser.add_argument("--activations", default="tanh,relu")
    parser.add_argument("--adam", default="default", choices=["default", "foreach", "fused"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--budget", type=float, default=0.3, help="seconds per timed block")
    parser.add_argument("--seeds", type=int, default=3, help="folds: seeds per fold")
    parser.add_argument("--windows", default="148,187", help="folds: training windows of each")
    parser.add_argument("--epochs", type=int, default=5, help="folds: epochs per timing")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.case == "folds":
        _fold_case(args)
        return
    print(
        f"lstmsizer {lstmsizer.__version__}, torch {torch.__version__}, "
        f"{platform.processor() or platform.machine()}, 1 thread, {args.members} members, "
        f"{args.cell}, lags {LAGS}, batch {BATCH}, {args.adam} Adam"
    )
    for activation in args.activations.split(","):
        for units in (int(u) for u in (args.units or "8,32,128,256").split(",")):
            spec = ModelSpec(cell=args.cell, units=units, activation=activation)
            path = "fused" if ForecastNet(FEATURES, spec).fused else "hand-written"
            solo, batched = _compare(spec, args.members, args.adam, args.repeats, args.budget)
            print(
                f"{activation:5} units {units:4} (solo {path:12}): solo {1000 * solo:8.2f} ms, "
                f"batched {1000 * batched:8.2f} ms per step of {args.members}, "
                f"ratio {solo / batched:5.2f}"
            )


if __name__ == "__main__":
    main()
