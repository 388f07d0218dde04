"""Per-member early stopping, learning-rate cuts on plateau and best weights of the loop."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from lstmsizer.config import TrainSpec
from lstmsizer.history import History

MIN_IMPROVEMENT = 1e-4
"""Relative decrease of the monitored loss that counts as an improvement (as torch's
ReduceLROnPlateau threshold): smaller changes are noise and let patience run out."""


class Members:
    """Per-member bookkeeping: best epoch, patience, learning rate, stop, best weights."""

    def __init__(
        self, net: nn.Module, histories: list[History], rates: list[float], spec: TrainSpec
    ) -> None:
        self.net = net
        self.histories = histories
        self.spec = spec
        self.rates = rates
        self.active = [True] * len(histories)
        self.since_best = [0] * len(histories)
        self.since_cut = [0] * len(histories)
        # Keras restores the best weights only with early stopping; without it the last
        # epoch's weights are the result
        self.best: dict[str, torch.Tensor] | None = None
        if spec.patience is not None:
            self.best = {k: v.detach().clone() for k, v in net.state_dict().items()}

    def record(
        self, epoch: int, train: list[float], val: list[float] | None, seconds: float
    ) -> None:
        spec = self.spec
        for m, history in enumerate(self.histories):
            if not self.active[m]:
                continue
            history.train_loss.append(train[m])
            if val is not None:
                history.val_loss.append(val[m])
            history.seconds.append(seconds)
            history.lr.append(self.rates[m])
            monitored = history.val_loss if val is not None else history.train_loss
            best = monitored[history.best_epoch] if history.best_epoch >= 0 else math.inf
            if monitored[-1] < best - MIN_IMPROVEMENT * abs(best) or history.best_epoch < 0:
                history.best_epoch, self.since_best[m], self.since_cut[m] = epoch, 0, 0
                self._keep(m)
            else:
                self.since_best[m] += 1
                self.since_cut[m] += 1
            warm = epoch + 1 >= spec.min_epochs
            if warm and spec.lr_patience is not None and self.since_cut[m] >= spec.lr_patience:
                self.rates[m] *= spec.lr_factor
                self.since_cut[m] = 0
            self._stop(m, epoch, train[m], warm)

    def _stop(self, m: int, epoch: int, train: float, warm: bool) -> None:
        history, patience = self.histories[m], self.spec.patience
        if not math.isfinite(train):
            history.stop = "diverged"
        elif warm and patience is not None and self.since_best[m] >= patience:
            history.stop = "patience"
        elif epoch + 1 >= self.spec.epochs:
            history.stop = "cap" if patience is not None else "epochs"
        else:
            return
        self.active[m] = False
        history.stopped_early = history.stop == "patience" and epoch + 1 < self.spec.epochs

    def _keep(self, m: int) -> None:
        if self.best is None:
            return
        members = len(self.histories)
        with torch.no_grad():
            for name, value in self.net.state_dict().items():
                if members == 1:
                    self.best[name].copy_(value)
                else:
                    self.best[name][m].copy_(value[m])

    def restore(self) -> None:
        if self.best is not None:
            self.net.load_state_dict(self.best)


class MemberRates:
    """Apply per-member learning rates to one Adam over the stacked parameters.

    Adam's step is linear in the learning rate (no weight decay), so a member's step at rate
    r equals the step at the group rate g scaled by r / g. Equal rates set the group rate and
    skip the scaling.
    """

    def __init__(self, optimizer: torch.optim.Optimizer, params: Sequence[torch.Tensor]) -> None:
        self.optimizer = optimizer
        self.params = params
        self.scale: torch.Tensor | None = None

    def set(self, rates: list[float]) -> None:
        top = max(rates)
        for group in self.optimizer.param_groups:
            group["lr"] = top
        if min(rates) == top:
            self.scale = None
            return
        device = self.params[0].device
        self.scale = torch.tensor([r / top for r in rates], device=device)

    def step(self) -> None:
        if self.scale is None:
            self.optimizer.step()
            return
        with torch.no_grad():
            before = [p.detach().clone() for p in self.params]
            self.optimizer.step()
            for p, old in zip(self.params, before, strict=True):
                view = self.scale.view(-1, *([1] * (p.dim() - 1)))  # (M,) -> (M, 1, ...)
                p.sub_(old).mul_(view).add_(old)
