"""The one training loop: Adam, a chosen loss, early stopping, clipping, seeds, threads."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from lstmsizer.config import DEFAULT_THREADS, TrainSpec
from lstmsizer.history import History
from lstmsizer.padded import Padded, masked_sums, member_orders, trivial_losses
from lstmsizer.precision import autocast, trained_precision
from lstmsizer.progress import progress_bar
from lstmsizer.runtime import using_threads
from lstmsizer.step import TrainStep, adam, loss_function
from lstmsizer.stopping import Members

__all__ = [
    "DEFAULT_THREADS",
    "Callback",
    "History",
    "TrainData",
    "adam",
    "fit",
    "fit_members",
    "loss_function",
]


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
        padded: For batched members with windows of their own: the blocks and rows each
            reads (padded.Padded); None when every member reads all of x[m], x_val[m].
        rows: Which windows of x, y are fitted (N',) long, when x holds more windows than
            that (a panel's views span every series; rows skip those crossing a boundary);
            None fits all of them.
        val_rows: Which windows of x_val, y_val are monitored, likewise.
    """

    x: torch.Tensor
    y: torch.Tensor
    x_val: torch.Tensor | None = None
    y_val: torch.Tensor | None = None
    padded: Padded | None = None
    rows: torch.Tensor | None = None
    val_rows: torch.Tensor | None = None

    def fitted_count(self, batched: bool) -> int:
        """Number of fitted windows (of each member when batched)."""
        return int(self.x.shape[1 if batched else 0] if self.rows is None else self.rows.numel())

    def fitted_targets(self, batched: bool) -> torch.Tensor:
        """The fitted targets, (N, H, K) or (M, N, H, K); a gather only when rows pick them."""
        if self.rows is None:
            return self.y
        return self.y[:, self.rows] if batched else self.y[self.rows]

    def monitored(self, batched: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """The monitored windows and targets; a gather only when val_rows pick them."""
        assert self.x_val is not None and self.y_val is not None
        if self.val_rows is None:
            return self.x_val, self.y_val
        if batched:
            return self.x_val[:, self.val_rows], self.y_val[:, self.val_rows]
        return self.x_val[self.val_rows], self.y_val[self.val_rows]


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
    return _train(net, data, spec, callbacks, [spec.seed])[0]


def fit_members(
    net: nn.Module,
    data: TrainData,
    spec: TrainSpec,
    seeds: Sequence[int],
    callbacks: Sequence[Callback] = (),
    lrs: Sequence[float] | None = None,
) -> list[History]:
    """Train M networks stacked on a leading member axis (ensemble.BatchedForecastNet).

    The same loop as fit: member m shuffles its own windows with seeds[m], its loss is its
    own mean (the summed loss gives each member its solo gradient), it stops early on its own
    monitored loss, reduces its own learning rate and gets its own best weights back;
    training ends when every member has stopped. Seconds are those of the whole batched epoch.

    Args:
        net: Maps (M, B, L, F) windows to (M, B, H, K) forecasts.
        data: x (M, N, L, F), y (M, N, H, K) and optional validation windows of each member;
            with data.padded, members have windows of their own (padded.Padded): each is
            masked to its own rows, and one without rows in a batch does not step.
        spec: Loop settings; spec.seed is unused (seeds gives one per member).
        seeds: One shuffling seed per member.
        callbacks: Called after every epoch with the first member's history.
        lrs: One starting learning rate per member; None gives every member spec.lr.

    Returns:
        One History per member.
    """
    return _train(net, data, spec, callbacks, list(seeds), lrs)


def _train(
    net: nn.Module,
    data: TrainData,
    spec: TrainSpec,
    callbacks: Sequence[Callback],
    seeds: list[int],
    lrs: Sequence[float] | None = None,
) -> list[History]:
    with using_threads(spec.threads) as threads:
        device = next(net.parameters()).device
        precision = trained_precision(spec.precision)
        histories = [
            History(
                threads=threads,
                device=str(device),
                epoch_cap=spec.epochs,
                init_seed=s,
                precision=precision,
            )
            for s in seeds
        ]
        rates = [spec.lr] * len(seeds) if lrs is None else [float(r) for r in lrs]
        if len(rates) != len(seeds):
            raise ValueError(f"lrs must give one rate per member ({len(seeds)}), got {len(rates)}")
        _run_epochs(net, data, spec, callbacks, histories, seeds, rates)
    return histories


def _trivial_losses(
    data: TrainData,
    y_val: torch.Tensor,
    loss_fn: Callable[..., torch.Tensor],
    batched: bool,
) -> list[float]:
    """Loss on the early-stopping block of a constant forecast at the mean fitted target."""
    if data.padded is not None:
        return trivial_losses(data.y, y_val, data.padded, loss_fn)
    y = data.fitted_targets(batched)
    if batched:  # (M, N, H, K) -> (M, 1, 1, K) per-member means
        mean = y.mean(dim=(1, 2), keepdim=True)
        pred = mean.expand_as(y_val)
        return loss_fn(pred, y_val, reduction="none").flatten(1).mean(1).tolist()
    mean = y.mean(dim=(0, 1), keepdim=True)  # (N, H, K) -> (1, 1, K)
    return [float(loss_fn(mean.expand_as(y_val), y_val))]


def _run_epochs(
    net: nn.Module,
    data: TrainData,
    spec: TrainSpec,
    callbacks: Sequence[Callback],
    histories: list[History],
    seeds: list[int],
    rates: list[float],
) -> None:
    padded = data.padded
    batched = len(seeds) > 1 or padded is not None
    step = TrainStep(net, spec, rates, len(seeds) if batched else 0, masked=padded is not None)
    generators = [torch.Generator(device="cpu").manual_seed(s) for s in seeds]
    n: int | torch.Tensor = data.fitted_count(batched)
    if padded is not None:  # each member's mean over its own windows
        n = torch.tensor(padded.counts, device=data.x.device)
    x_val, y_val = data.x_val, data.y_val
    if x_val is not None and y_val is not None and data.val_rows is not None:
        x_val, y_val = data.monitored(batched)  # the block, gathered once per run
    validate = x_val is not None and y_val is not None and x_val.shape[-3] > 0
    if validate:
        assert y_val is not None
        trivial = _trivial_losses(data, y_val, step.loss_fn, batched)
        for history, loss in zip(histories, trivial, strict=True):
            history.trivial_loss = loss
    members = Members(net, histories, rates, spec)
    with progress_bar("training", spec.epochs, spec.progress) as bar:
        for epoch in range(spec.epochs):
            start = time.perf_counter()
            net.train()
            step.stepper.set(members.rates)
            total = _epoch(step, data, spec, generators, batched)
            val = (
                _evaluate(net, x_val, y_val, step.loss_fn, batched, step.precision, padded)
                if validate
                else None
            )
            members.record(epoch, (total / n).tolist(), val, time.perf_counter() - start)
            losses = histories[0].val_loss or histories[0].train_loss
            bar.set(epoch + 1, note=f"loss {losses[-1]:.4g}" if losses else "")
            stop = any(callback(epoch, histories[0]) is True for callback in callbacks)
            if stop or not any(members.active):
                for m, history in enumerate(histories):
                    if members.active[m]:
                        history.stop = "callback" if stop else history.stop
                break
    members.restore()


def _epoch(
    step: TrainStep,
    data: TrainData,
    spec: TrainSpec,
    generators: list[torch.Generator],
    batched: bool,
) -> torch.Tensor:
    """One pass over the training windows, each member in its own order; summed losses (M,)."""
    device = data.x.device
    rows = torch.arange(len(generators), device=device)[:, None]
    valid = None
    if data.padded is None:
        n = data.fitted_count(batched)
        orders = torch.stack(
            [
                torch.randperm(n, generator=g) if spec.shuffle else torch.arange(n)
                for g in generators
            ]
        ).to(device)  # (M, N)
    else:  # each member its own windows in its own order, padded to the longest and masked
        orders, valid = member_orders(data.padded.counts, generators, spec.shuffle, device)
        rows, n = data.padded.source[:, None], orders.shape[1]
    total = torch.zeros(len(generators), device=device)
    for first in range(0, n, spec.batch_size):
        idx = orders[:, first : first + spec.batch_size]  # (M, B)
        if data.rows is not None:  # positions among the fitted windows -> rows of the views
            idx = data.rows[idx]
        if batched:  # gathers (M, B, L, F), (M, B, H, K) from each member's views
            x, y = data.x[rows, idx], data.y[rows, idx]
        else:  # gathers (B, L, F), (B, H, K) from the views
            x, y = data.x[idx[0]], data.y[idx[0]]
        if valid is None:
            total += step(x, y) * idx.shape[1]
        else:  # a member's summed loss over its own rows of the batch
            mask = valid[:, first : first + spec.batch_size]
            total += step(x, y, mask) * mask.sum(1)
    return total


def _evaluate(
    net: nn.Module,
    x: torch.Tensor | None,
    y: torch.Tensor | None,
    loss_fn: Callable[..., torch.Tensor],
    batched: bool,
    precision: str = "fp32",
    padded: Padded | None = None,
) -> list[float]:
    """Mean loss per member over all windows (its own ones when padded), in eval mode and
    without gradients; the forward pass at the training precision, the loss in fp32 (as
    TrainStep)."""
    assert x is not None and y is not None
    was_training = net.training
    net.eval()
    n = x.shape[-3]
    total: torch.Tensor | float = 0.0
    with torch.no_grad(), autocast(precision, x.device):
        for first in range(0, n, _VAL_CHUNK):
            if padded is not None:  # member m reads block source[m], sums its own rows
                own = padded.source
                xb, yb = x[own, first : first + _VAL_CHUNK], y[own, first : first + _VAL_CHUNK]
                rows = loss_fn(net(xb).float(), yb, reduction="none").flatten(2).mean(2)
                total = total + masked_sums(rows, padded.val_counts, first)  # (M, b) -> (M,)
                continue
            if batched:
                xb, yb = x[:, first : first + _VAL_CHUNK], y[:, first : first + _VAL_CHUNK]
                per = loss_fn(net(xb).float(), yb, reduction="none").flatten(1).mean(1)
            else:
                xb, yb = x[first : first + _VAL_CHUNK], y[first : first + _VAL_CHUNK]
                per = loss_fn(net(xb).float(), yb).reshape(1)
            total = total + per * xb.shape[-3]
    net.train(was_training)
    count = n if padded is None else torch.tensor(padded.val_counts, device=x.device)
    return (torch.as_tensor(total) / count).tolist()
