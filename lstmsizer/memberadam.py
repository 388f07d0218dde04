"""Adam for members stacked on a leading axis, each with its own steps, rate and skipped steps."""

from __future__ import annotations

from collections.abc import Sequence

import torch

BETAS = (0.9, 0.999)
EPS = 1e-8


class MemberAdam:
    """Adam over M members stacked on the leading axis of every parameter.

    torch's Adam keeps one step count per parameter tensor, shared by every member. Here each
    member has its own step count, learning rate and bias corrections, and a member left out
    of a step (its windows ran out in this batch) does not move at all: its moments, step
    count and weights stay as they were, as if that step never happened. Otherwise the update
    is torch's Adam without weight decay: ``m = lerp(m, g, 1 - b1)``, ``v = b2 v + (1 - b2) g^2``,
    ``p -= lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps)`` with ``bc = 1 - b^step``.

    The moments of all parameters live in one (M, P) buffer, so a step is a dozen vectorised
    operations whatever the depth of the network.

    Args:
        params: Parameters with the member axis first, (M, ...) each.
        rates: One learning rate per member.
        betas: Decay of the first and second moment estimates, as torch.optim.Adam's.
        eps: Added to the denominator, as torch.optim.Adam's.
    """

    def __init__(
        self,
        params: Sequence[torch.Tensor],
        rates: Sequence[float],
        betas: tuple[float, float] = BETAS,
        eps: float = EPS,
    ) -> None:
        self.params = list(params)
        first = self.params[0]
        self.members = first.shape[0]
        for p in self.params:
            if p.dim() < 1 or p.shape[0] != self.members:
                raise ValueError(
                    f"every parameter needs {self.members} members first, got {p.shape}"
                )
        self.sizes = [p[0].numel() for p in self.params]
        shape = (self.members, sum(self.sizes))
        self.exp_avg = torch.zeros(shape, device=first.device, dtype=first.dtype)
        self.exp_avg_sq = torch.zeros_like(self.exp_avg)
        # counts and bias corrections in float64, as torch computes its corrections in Python
        self.steps = torch.zeros(self.members, 1, device=first.device, dtype=torch.float64)
        self.everyone = torch.ones(self.members, 1, device=first.device, dtype=torch.bool)
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.set(rates)

    def set(self, rates: Sequence[float]) -> None:
        """The learning rate of each member from now on."""
        if len(rates) != self.members:
            raise ValueError(f"rates must give one rate per member ({self.members}), got {rates}")
        lr = torch.tensor([float(r) for r in rates], dtype=torch.float64)
        self.lr = lr.to(self.steps.device).view(-1, 1)  # (M, 1)

    @torch.no_grad()
    def step(self, active: torch.Tensor | None = None) -> None:
        """One Adam step of the active members.

        Args:
            active: (M,) bools, the members that step; None steps every member.
        """
        m = self.members
        grads = torch.cat(
            [
                (torch.zeros_like(p) if p.grad is None else p.grad).reshape(m, -1)
                for p in self.params
            ],
            dim=1,
        )  # M x (M, ...) -> (M, P)
        on = self.everyone if active is None else active.view(m, 1)
        weight = on.to(grads.dtype)
        self.steps += on
        self.exp_avg.lerp_(grads, weight * (1 - self.beta1))  # weight 0 leaves m as it was
        self.exp_avg_sq.mul_(torch.where(on, self.beta2, 1.0).to(grads.dtype))
        self.exp_avg_sq.addcmul_(grads, grads * (weight * (1 - self.beta2)))
        # a member that never stepped has corrections 0: divide by 1 instead, it moves by 0
        started = self.steps > 0
        bc1 = torch.where(started, 1 - self.beta1**self.steps, 1.0)
        bc2_sqrt = torch.where(started, (1 - self.beta2**self.steps).sqrt(), 1.0)
        step_size = torch.where(on, self.lr / bc1, 0.0).to(grads.dtype)  # (M, 1)
        denom = (self.exp_avg_sq.sqrt() / bc2_sqrt.to(grads.dtype)).add_(self.eps)
        update = (self.exp_avg / denom).mul_(step_size)  # (M, P)
        views = [
            u.reshape(p.shape)
            for u, p in zip(update.split(self.sizes, 1), self.params, strict=True)
        ]
        torch._foreach_sub_(self.params, views)
