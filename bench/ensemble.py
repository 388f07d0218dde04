"""M solo ForecastNets stepped one after another against one BatchedForecastNet of M members.

One training step is forward, backward and an Adam step on a batch of 32 windows of 12 lags
and 1 feature, for every one of the M members. Both run in this process with one torch thread,
in alternating timed blocks so that load on the machine hits both alike. Prints milliseconds
per step (all M members) and the ratio solo / batched: above 1 the batched net is faster.
Adam is torch's default, as training.fit uses it; --adam foreach or fused tries the others.

    python bench/ensemble.py [--units 8,32,128,256] [--members 9] [--activations tanh,relu]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable

import torch

import lstmsizer
from lstmsizer.config import ModelSpec
from lstmsizer.ensemble import BatchedForecastNet
from lstmsizer.models import ForecastNet
from lstmsizer.training import loss_function

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", default="8,32,128,256")
    parser.add_argument("--members", type=int, default=9)
    parser.add_argument("--cell", default="lstm", choices=["lstm", "gru", "rnn"])
    parser.add_argument("--activations", default="tanh,relu")
    parser.add_argument("--adam", default="default", choices=["default", "foreach", "fused"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--budget", type=float, default=0.3, help="seconds per timed block")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(
        f"lstmsizer {lstmsizer.__version__}, torch {torch.__version__}, "
        f"{platform.processor() or platform.machine()}, 1 thread, {args.members} members, "
        f"{args.cell}, lags {LAGS}, batch {BATCH}, {args.adam} Adam"
    )
    for activation in args.activations.split(","):
        for units in (int(u) for u in args.units.split(",")):
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
