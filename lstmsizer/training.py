"""The one training loop: Adam, a chosen loss, early stopping, clipping, seeds, threads."""

from __future__ import annotations

import contextlib
import math
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from lstmsizer.config import TrainSpec

# Measured with bench/threads.py on the 2-core reference machine: for the small recurrent
# models lstmsizer trains (up to a few hundred units, batches of 8-64), one intra-op thread
# was as fast as two when the machine was idle and several times faster when another process
# was busy. Parallelism comes from training many models at once instead.
DEFAULT_THREADS = 1

_VAL_CHUNK = 8192

Callback = Callable[[int, "History"], object]
"""Called after every epoch with (epoch index, history so far); returning True stops training."""


@dataclass
class TrainData:
    """Windows for one training run, already scaled; tensors may be zero-copy views.

    Attributes:
        x: Training inputs (N, L, F).
        y: Training targets (N, H, K).
        x_val: Validation inputs (M, L, F) or None.
        y_val: Validation targets (M, H, K) or None.
    """

    x: torch.Tensor
    y: torch.Tensor
    x_val: torch.Tensor | None = None
    y_val: torch.Tensor | None = None


@dataclass
class History:
    """What happened during training, one entry per epoch."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    best_epoch: int = -1
    stopped_early: bool = False
    threads: int = DEFAULT_THREADS
    device: str = "cpu"

    @property
    def epochs(self) -> int:
        """Number of epochs actually run."""
        return len(self.train_loss)

    @property
    def best_val_loss(self) -> float:
        """Lowest validation loss seen, or NaN without validation."""
        return min(self.val_loss) if self.val_loss else math.nan

    def to_dict(self) -> dict[str, object]:
        """Plain values for JSON and model files."""
        return {
            "train_loss": list(self.train_loss),
            "val_loss": list(self.val_loss),
            "seconds": list(self.seconds),
            "best_epoch": self.best_epoch,
            "stopped_early": self.stopped_early,
            "threads": self.threads,
            "device": self.device,
        }


def resolve_device(device: str | None) -> torch.device:
    """CUDA when present and not overridden, else the CPU."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


@contextlib.contextmanager
def using_threads(threads: int | None) -> Iterator[int]:
    """Set torch's intra-op thread count for the block and restore it afterwards."""
    wanted = DEFAULT_THREADS if threads is None else threads
    before = torch.get_num_threads()
    if wanted != before:
        torch.set_num_threads(wanted)
    try:
        yield wanted
    finally:
        if wanted != before:
            torch.set_num_threads(before)


def seed_everything(seed: int) -> None:
    """Seed torch's CPU and CUDA generators, which drive initialisation and dropout."""
    torch.manual_seed(seed)


def loss_function(name: str) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The training loss by name: mse, mae or huber (delta 1 on the scaled values)."""
    losses: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
        "mse": nn.functional.mse_loss,
        "mae": nn.functional.l1_loss,
        "huber": nn.functional.huber_loss,
    }
    return losses[name]


def fit(
    net: nn.Module, data: TrainData, spec: TrainSpec, callbacks: Sequence[Callback] = ()
) -> History:
    """Train net in place on data and return its history.

    Early stopping (spec.patience) watches the validation loss and restores the weights of
    the best epoch. With a fixed seed a CPU run is bit-for-bit reproducible.

    Args:
        net: Any module mapping x batches to predictions shaped like y.
        data: Training and optional validation windows on the net's device.
        spec: Loop settings.
        callbacks: Called after every epoch; one returning True stops training.

    Returns:
        History with per-epoch losses and seconds.
    """
    with using_threads(spec.threads) as threads:
        device = next(net.parameters()).device
        history = History(threads=threads, device=str(device))
        _run_epochs(net, data, spec, callbacks, history)
    return history


def _run_epochs(
    net: nn.Module,
    data: TrainData,
    spec: TrainSpec,
    callbacks: Sequence[Callback],
    history: History,
) -> None:
    params = [p for p in net.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=spec.lr)
    loss_fn = loss_function(spec.loss)
    device = data.x.device
    generator = torch.Generator(device="cpu").manual_seed(spec.seed)
    n = data.x.shape[0]
    x_val, y_val = data.x_val, data.y_val
    validate = x_val is not None and y_val is not None and x_val.shape[0] > 0
    best_state: dict[str, torch.Tensor] | None = None
    since_best = 0
    with _progress(spec) as advance:
        for epoch in range(spec.epochs):
            start = time.perf_counter()
            net.train()
            order = torch.randperm(n, generator=generator) if spec.shuffle else torch.arange(n)
            order = order.to(device)
            total = torch.zeros((), device=device)
            for first in range(0, n, spec.batch_size):
                idx = order[first : first + spec.batch_size]
                x, y = data.x[idx], data.y[idx]  # gathers (B, L, F), (B, H, K) from the views
                loss = loss_fn(net(x), y)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if spec.clip is not None:
                    nn.utils.clip_grad_norm_(params, spec.clip)
                optimizer.step()
                total += loss.detach() * idx.shape[0]
            history.train_loss.append(float(total) / n)
            if validate and x_val is not None and y_val is not None:
                history.val_loss.append(evaluate(net, x_val, y_val, loss_fn))
            history.seconds.append(time.perf_counter() - start)
            monitored = history.val_loss if validate else history.train_loss
            if history.best_epoch < 0 or monitored[-1] < monitored[history.best_epoch]:
                history.best_epoch = epoch
                since_best = 0
                if spec.patience is not None and validate:
                    best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
            else:
                since_best += 1
            advance(epoch, history)
            stop = any(callback(epoch, history) is True for callback in callbacks)
            if not math.isfinite(history.train_loss[-1]):
                break
            if stop or (spec.patience is not None and validate and since_best >= spec.patience):
                history.stopped_early = epoch + 1 < spec.epochs
                break
    if best_state is not None:
        net.load_state_dict(best_state)


def evaluate(
    net: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
) -> float:
    """Mean loss of net over all windows, in eval mode and without gradients."""
    was_training = net.training
    net.eval()
    total = 0.0
    with torch.no_grad():
        for first in range(0, x.shape[0], _VAL_CHUNK):
            xb, yb = x[first : first + _VAL_CHUNK], y[first : first + _VAL_CHUNK]
            total += float(loss_fn(net(xb), yb)) * xb.shape[0]
    net.train(was_training)
    return total / x.shape[0]


@contextlib.contextmanager
def _progress(spec: TrainSpec) -> Iterator[Callable[[int, History], None]]:
    show = spec.progress if spec.progress is not None else sys.stderr.isatty()
    if not show:
        yield lambda epoch, history: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("training"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("training", total=spec.epochs, loss="-")

        def advance(epoch: int, history: History) -> None:
            losses = history.val_loss or history.train_loss
            bar.update(task, completed=epoch + 1, loss=f"{losses[-1]:.4g}")

        yield advance
