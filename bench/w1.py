"""W1, the textbook example: lstmsizer against a plain hand-written PyTorch loop, same process.

Series 1..10, 2 lags, LSTM(100, relu) + Dense(1), Adam 1e-3, MSE, batch 8, 500 epochs, no
scaling and no validation, as in the textbook. The plain loop writes the same relu cell
directly (no lstmsizer code) and shuffles the same way; it runs twice, with torch's default
Adam and with the fused Adam that lstmsizer uses, so the framework's own overhead is the
ratio to the fused plain loop. Runs alternate so that load on the
machine hits both alike; the ratio of medians is printed.

    python bench/w1.py [--repeats 5] [--threads 1]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np
import torch
from torch import nn

import lstmsizer
from lstmsizer.config import ModelSpec, TrainSpec, WindowSpec
from lstmsizer.forecaster import LSTMForecaster

SERIES = np.arange(1.0, 11.0)
EPOCHS, BATCH, UNITS, LAGS = 500, 8, 100, 2


class PlainReluLSTM(nn.Module):
    """Keras LSTM(100, activation="relu") + Dense(1), written out step by step."""

    def __init__(self, units: int) -> None:
        super().__init__()
        bound = 1 / units**0.5
        self.w_ih = nn.Parameter(torch.empty(4 * units, 1).uniform_(-bound, bound))
        self.w_hh = nn.Parameter(torch.empty(4 * units, units).uniform_(-bound, bound))
        self.b = nn.Parameter(torch.empty(4 * units).uniform_(-bound, bound))
        self.head = nn.Linear(units, 1)
        self.units = units

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.new_zeros(x.shape[0], self.units)
        c = torch.zeros_like(h)
        pre = x @ self.w_ih.T + self.b  # (B, L, 1) -> (B, L, 4U)
        for t in range(x.shape[1]):
            i, f, g, o = (pre[:, t] + h @ self.w_hh.T).chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.relu(g)
            h = torch.sigmoid(o) * torch.relu(c)
        return self.head(h)


def plain_loop(seed: int, fused: bool) -> tuple[float, float]:
    torch.manual_seed(seed)
    net = PlainReluLSTM(UNITS)
    x = torch.tensor(np.stack([SERIES[i : i + LAGS] for i in range(8)]), dtype=torch.float32)
    x = x[:, :, None]
    y = torch.tensor(SERIES[LAGS:], dtype=torch.float32)[:, None]
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, fused=fused)
    gen = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    for _ in range(EPOCHS):
        order = torch.randperm(x.shape[0], generator=gen)
        for first in range(0, x.shape[0], BATCH):
            idx = order[first : first + BATCH]
            loss = nn.functional.mse_loss(net(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        pred = float(net(torch.tensor([[[9.0], [10.0]]])))
    return seconds, pred


def lstmsizer_loop(seed: int, threads: int) -> tuple[float, float]:
    model = LSTMForecaster(
        WindowSpec(lags=LAGS),
        ModelSpec(units=UNITS, activation="relu"),
        TrainSpec(epochs=EPOCHS, batch_size=BATCH, seed=seed, threads=threads, progress=False),
        scaling="none",
    )
    start = time.perf_counter()
    model.fit(SERIES)
    seconds = time.perf_counter() - start
    return seconds, float(model.forecast(SERIES)[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(
        f"lstmsizer {lstmsizer.__version__}, torch {torch.__version__}, python "
        f"{platform.python_version()}, {platform.processor() or platform.machine()}, "
        f"threads {args.threads}"
    )
    plain_loop(0, False), plain_loop(0, True), lstmsizer_loop(0, args.threads)  # warm-up
    plain, fused, ours = [], [], []
    for seed in range(args.repeats):
        p_s, p_pred = plain_loop(seed, False)
        f_s, _ = plain_loop(seed, True)
        o_s, o_pred = lstmsizer_loop(seed, args.threads)
        plain.append(p_s)
        fused.append(f_s)
        ours.append(o_s)
        print(
            f"seed {seed}: plain {p_s:.3f} s -> {p_pred:.2f}, plain fused Adam {f_s:.3f} s, "
            f"lstmsizer {o_s:.3f} s -> {o_pred:.2f}"
        )
    mid_plain, mid_fused, mid_ours = (statistics.median(v) for v in (plain, fused, ours))
    print(
        f"median plain {mid_plain:.3f} s, plain with fused Adam {mid_fused:.3f} s, "
        f"lstmsizer {mid_ours:.3f} s"
    )
    overhead = mid_ours / mid_fused
    print(
        f"ratio lstmsizer/plain {mid_ours / mid_plain:.3f}; lstmsizer/plain with the same "
        f"(fused) Adam {overhead:.3f} (overhead {100 * (overhead - 1):+.1f}%)"
    )


if __name__ == "__main__":
    main()
