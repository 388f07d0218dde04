"""What one training run did, epoch by epoch, and why it stopped."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from lstmsizer.config import DEFAULT_THREADS


@dataclass
class History:
    """What happened during training, one entry per epoch.

    Attributes:
        train_loss, val_loss, seconds, lr: Per epoch; val_loss is the early-stopping block's.
        best_epoch: Epoch whose weights were kept (lowest monitored loss).
        stopped_early: Stopped on patience before the epoch cap.
        stop: Why training ended: "patience", "cap", "diverged" or "callback".
        epoch_cap: The epoch cap it ran under.
        trivial_loss: Loss on the early-stopping block of a constant forecast at the mean of
            the fitted targets (NaN without a block).
        restarts: Fresh initialisations tried after runs stuck at the trivial solution.
        init_seed: Seed of the initialisation that was kept (derived from the run's seed
            after a restart).
        precision: What the forward passes ran in, "fp32" or "bf16" (auto resolved).
    """

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    best_epoch: int = -1
    stopped_early: bool = False
    threads: int = DEFAULT_THREADS
    device: str = "cpu"
    lr: list[float] = field(default_factory=list)
    stop: str = ""
    epoch_cap: int = 0
    trivial_loss: float = math.nan
    restarts: int = 0
    init_seed: int = 0
    precision: str = "fp32"

    @property
    def epochs(self) -> int:
        """Number of epochs actually run."""
        return len(self.train_loss)

    @property
    def best_val_loss(self) -> float:
        """Lowest validation loss seen, or NaN without validation."""
        return min(self.val_loss) if self.val_loss else math.nan

    @property
    def monitored(self) -> float:
        """The loss early stopping kept: the block's at the best epoch, else the training loss."""
        losses = self.val_loss or self.train_loss
        return losses[self.best_epoch] if losses and self.best_epoch >= 0 else math.nan

    @property
    def converged(self) -> bool:
        """Stopped because the monitored loss stopped improving, not at the cap."""
        return self.stop == "patience"

    @property
    def under_trained(self) -> bool:
        """Reached the epoch cap while the monitored loss was still improving."""
        return self.stop == "cap"

    @property
    def stuck(self) -> bool:
        """No better on the early-stopping block than a constant at the training mean."""
        best = self.best_val_loss
        return math.isfinite(self.trivial_loss) and not best < self.trivial_loss

    def to_dict(self) -> dict[str, object]:
        """Plain values for JSON and model files (lists copied)."""
        return dataclasses.asdict(self)
