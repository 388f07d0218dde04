"""What the claims check returns, and how big its experiments are."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from lstmsizer.diagnostics.result import Result
from lstmsizer.errors import check, check_int
from lstmsizer.intervals import Interval, as_percent
from lstmsizer.rundir.measurements import Claim
from lstmsizer.sweepspec import ProtocolSpec


def figure(interval: Interval, unit: str = "") -> dict[str, Any]:
    """A Claim.figures entry: the interval in display units ("%" multiplies by 100)."""
    shown = as_percent(interval) if unit == "%" else interval
    return {**shown.to_dict(), "unit": unit}


_COUNTS = (
    *("memory_lags", "memory_n", "memory_seeds", "memory_batch_size", "speed_repeats"),
    "gradient_init_seeds",
    *("depth_units", "linear_n", "seeds", "folds", "epochs"),
)


@dataclass(frozen=True)
class Settings:
    """Sizes of the claim experiments; QUICK and FULL are the two presets.

    Attributes:
        memory_lags, memory_delays, memory_units, memory_n, memory_seeds: The delay task
            (diagnostics.memory_length): window, delays d, widths, series length and training
            seeds (the data take the claims' seed). Widths are tried in increasing order,
            up to the first sufficient one.
        memory_batch_size: Windows per step on the delay task. Its series are short and
            trained to convergence; on the 2-core machine, busy with other work, batches of 128
            took a third of the time of 32 (LSTM(1), d=1: 45 s against 153 s).
        speed_units, speed_units_gpu: Sizes timed on a CPU and on a GPU; neighbours of
            multiples of 32 (timing.close_pairs) are compared.
        speed_batch_sizes: Windows per timed step (the sweep's default batch size).
        speed_repeats: Interleaved rounds timed per block.
        speed_blocks: Blocks (fresh networks, the replicates of the interval) timed before
            the interval is first looked at.
        speed_seconds: Time limit for adding blocks while the interval is undecided.
        gradient_units: (narrow, wide) widths whose saliency profiles are compared.
        gradient_init_seeds: Initialisations whose saliency ratios are compared (cheap: no
            training); the trained comparison uses `seeds`.
        depth_units, depth_layers: The stacked model; the wide one has its parameter budget.
        linear_units: Widths swept on the linear AR series.
        linear_n: Length of the linear AR series.
        seeds, folds: Training seeds and rolling-origin folds of the trainings on the data.
        epochs: Epoch cap of every training. Every training follows the sweep's protocol
            (early stopping on a block never scored, learning-rate cuts on plateau, restarts,
            the rate chosen among sweep.plan.LR_CANDIDATES), so the cap only has to be out of
            reach; a run reaching it is flagged under-trained.
    """

    memory_lags: int = 6
    memory_delays: tuple[int, ...] = (1, 2, 3, 4, 5, 6)
    memory_units: tuple[int, ...] = (1, 2, 4, 8)
    memory_n: int = 400
    memory_seeds: int = 1
    memory_batch_size: int = 128
    speed_units: tuple[int, ...] = (96, 100, 127, 128, 129)
    speed_units_gpu: tuple[int, ...] = (63, 64, 65, 127, 128, 129, 255, 256, 257, 511, 512, 513)
    speed_batch_sizes: tuple[int, ...] = (ProtocolSpec.batch_size,)
    speed_repeats: int = 20
    speed_blocks: int = 6
    speed_seconds: float = 60.0
    gradient_units: tuple[int, int] = (4, 64)
    gradient_init_seeds: int = 20
    depth_units: int = 16
    depth_layers: int = 3
    linear_units: tuple[int, ...] = (2, 8, 32)
    linear_n: int = 500
    seeds: int = 3
    folds: int = 2
    epochs: int = ProtocolSpec.epochs

    def __post_init__(self) -> None:
        for name in _COUNTS:
            check_int(name, getattr(self, name))
        lists = ("memory_delays", "memory_units", "speed_units", "speed_units_gpu")
        for name in (*lists, "speed_batch_sizes", "linear_units"):
            check(len(getattr(self, name)) > 0, name, "must not be empty", getattr(self, name))
        check_int("depth_layers", self.depth_layers, minimum=2)
        narrow, wide = self.gradient_units
        check(0 < narrow < wide, "gradient_units", "must be (narrow, wide) widths", (narrow, wide))
        check(self.speed_seconds > 0, "speed_seconds", "must be > 0", self.speed_seconds)
        check_int("speed_blocks", self.speed_blocks, minimum=2)


QUICK = Settings()
"""A few minutes on a laptop core for the default data (sunspots, 12 lags): the stacked model
is 3 x 16 instead of 3 x 128 and the wide one in the gradients claim 64 units instead of 256."""

FULL = Settings(
    memory_lags=8,
    memory_delays=(1, 2, 3, 4, 5, 6, 7, 8),
    memory_units=(1, 2, 4, 8, 16),
    memory_n=1000,
    memory_seeds=3,
    speed_units=(96, 100, 127, 128, 129, 255, 256, 257),
    speed_repeats=30,
    speed_blocks=10,
    speed_seconds=180.0,
    gradient_units=(4, 256),
    gradient_init_seeds=50,
    depth_units=128,
    linear_units=(2, 8, 32, 128),
    linear_n=1000,
    seeds=5,
    folds=3,
)
"""Much longer: the claims at their own sizes (3 x 128, 256 units), with more delays, widths,
seeds and folds."""


@dataclass(frozen=True)
class ClaimsResult(Result):
    """Every forum claim with its verdict, measured on one data set; to_dict() is claims.json.

    Attributes:
        dataset: Name of the data set the claims on data were measured on.
        lags: Window length used on the data.
        seed: Seed of every random choice.
        quick: Whether the QUICK settings ran (else FULL or custom ones).
        claims: One Claim per experiment.
        seconds: Wall time of the whole check.
        environment: lstmsizer, torch and python versions, CPU and GPU.
        settings: The experiment sizes used.
        panel: For a panel, its record (claims.panel.describe: series, values, shortest and
            longest series, align, description); None for one series, and then left out of
            to_dict(). Each claim measured on the panel has numbers["panel"] with its series.
    """

    dataset: str
    lags: int
    seed: int
    quick: bool
    claims: tuple[Claim, ...]
    seconds: float
    environment: dict[str, Any]
    settings: Settings
    panel: dict[str, Any] | None = None

    @property
    def series(self) -> int | None:
        """Number of series of a panel; None for one series."""
        return None if self.panel is None else int(self.panel["series"])

    def to_dict(self) -> dict[str, Any]:
        """claims.json: every field as plain values; ``panel`` only for a panel."""
        payload = super().to_dict()
        if self.panel is None:
            payload.pop("panel")
        return payload

    @property
    def table(self) -> pd.DataFrame:
        """One row per claim: claim, tested, verdict, figure (with its interval), threshold,
        evidence, seconds; for a panel also series, the series the claim was measured on
        (None for one measured on synthetic data or on timings alone)."""
        columns = ["claim", "tested", "verdict", "figure", "threshold", "evidence", "seconds"]
        rows = [
            (c.claim, c.tested, c.verdict, c.figure, c.threshold, c.evidence, c.seconds)
            for c in self.claims
        ]
        table = pd.DataFrame(rows, columns=columns)
        if self.panel is not None:
            measured = [c.numbers.get("panel", {}).get("series") for c in self.claims]
            table["series"] = pd.Series(measured, dtype="Int64")
        return table
