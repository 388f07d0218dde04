"""Members with windows of their own in one batched run: padded to the longest, masked."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Padded:
    """Which windows each member of a batched run reads, when members have windows of their own.

    The run's TrainData then holds one block of windows per group (a fold) padded with zeros
    to the longest: x (G, N, L, F), y (G, N, H, K), x_val (G, V, L, F), y_val (G, V, H, K).
    Member m reads block source[m]; its own windows are the first counts[m] of the training
    block and the first val_counts[m] of the validation block. Rows after them are never
    fitted nor scored.

    Attributes:
        source: Block of each member, (M,) long, on the windows' device.
        counts: Training windows of each member.
        val_counts: Validation windows of each member.
    """

    source: torch.Tensor
    counts: tuple[int, ...]
    val_counts: tuple[int, ...]


def pad_stack(blocks: Sequence[torch.Tensor]) -> torch.Tensor:
    """Blocks (N_g, ...) stacked to (G, max N_g, ...), with zero rows after each one's own."""
    longest = max(block.shape[0] for block in blocks)
    out = blocks[0].new_zeros((len(blocks), longest, *blocks[0].shape[1:]))
    for g, block in enumerate(blocks):
        out[g, : block.shape[0]] = block
    return out


def member_orders(
    counts: Sequence[int],
    generators: Sequence[torch.Generator],
    shuffle: bool,
    device: torch.device,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each member's order of its own windows for one epoch, drawn as a solo run draws it.

    Returns:
        Row indices (M, N) of the longest member's length, padded with row 0, and which of
        them are the member's own (M, N) bools.
    """
    longest = max(counts)
    orders = torch.zeros(len(counts), longest, dtype=torch.long)
    for m, (n, g) in enumerate(zip(counts, generators, strict=True)):
        orders[m, :n] = torch.randperm(n, generator=g) if shuffle else torch.arange(n)
    valid = torch.arange(longest) < torch.tensor(counts)[:, None]
    return orders.to(device), valid.to(device)


def masked_means(rows: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Each member's mean loss over its own rows: (M, B) -> (M,); 0 for a member without any.

    A row not its own gets no gradient: where, not a product, so nothing of it leaks through.
    """
    count = valid.sum(1).clamp(min=1)
    return torch.where(valid, rows, 0.0).sum(1) / count


def masked_sums(rows: torch.Tensor, val_counts: Sequence[int], first: int) -> torch.Tensor:
    """Each member's sum of the losses (M, B) of rows first, first + 1, ... that are its own."""
    positions = torch.arange(first, first + rows.shape[1], device=rows.device)
    valid = positions < torch.tensor(val_counts, device=rows.device)[:, None]
    return torch.where(valid, rows, 0.0).sum(1)


def trivial_losses(
    y: torch.Tensor,
    y_val: torch.Tensor,
    padded: Padded,
    loss_fn: Callable[..., torch.Tensor],
) -> list[float]:
    """Each member's loss on its own validation windows of a constant at its fitted mean.

    Computed member by member exactly as a solo run computes it, so the stuck test of a
    member is the solo run's.
    """
    losses = []
    blocks = padded.source.tolist()
    for g, n, v in zip(blocks, padded.counts, padded.val_counts, strict=True):
        mean = y[g, :n].mean(dim=(0, 1), keepdim=True)  # (N, H, K) -> (1, 1, K)
        target = y_val[g, :v]
        losses.append(float(loss_fn(mean.expand_as(target), target)))
    return losses
