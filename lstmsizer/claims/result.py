"""What the claims check returns, and how big its experiments are."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from lstmsizer.diagnostics.result import Result
from lstmsizer.errors import check, check_int
from lstmsizer.sweep.plan import SweepSpec

CLAIMS_FILE = "claims.json"


@dataclass(frozen=True)
class Claim(Result):
    """One forum claim and what the experiment said about it.

    Attributes:
        claim: The claim in the forums' words, e.g. "multiples of 32 are faster".
        verdict: "supported", "not supported" or "inconclusive".
        evidence: One line with the numbers behind the verdict.
        numbers: The measured numbers and the settings of the experiment (JSON-ready).
        seconds: Wall time of the experiment.
    """

    claim: str
    verdict: str
    evidence: str
    numbers: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


_COUNTS = (
    *("memory_lags", "memory_n", "memory_epochs", "memory_seeds", "speed_repeats"),
    *("gradient_epochs", "depth_units", "linear_n", "seeds", "folds", "epochs"),
)


@dataclass(frozen=True)
class Settings:
    """Sizes of the claim experiments; QUICK and FULL are the two presets.

    Attributes:
        memory_lags, memory_delays, memory_units, memory_n, memory_epochs, memory_seeds: The
            delay task (diagnostics.memory_length): window, delays d, widths, series length,
            epochs and training seeds (0 .. memory_seeds - 1; the data take the claims' seed).
        speed_units, speed_repeats: Sizes timed and timed steps per size.
        gradient_units: (narrow, wide) widths whose saliency profiles are compared.
        gradient_epochs: Epochs of the short training before the trained profile.
        depth_units, depth_layers: The stacked model; the wide one has its parameter budget.
        linear_units: Widths swept on the linear AR series.
        linear_n: Length of the linear AR series.
        seeds, folds: Training seeds and rolling-origin folds of the trainings on the data.
        epochs: Epoch cap of those trainings. They follow the sweep's protocol (early
            stopping on a block never scored, learning-rate cuts on plateau, restarts), so
            the cap only has to be out of reach; a run reaching it is flagged under-trained.
        lr: Adam learning rate of LSTM(1) against linear AR and of the short gradient
            training; the sweeps of the depth and linear-series claims choose theirs (auto).
    """

    memory_lags: int = 6
    memory_delays: tuple[int, ...] = (1, 2, 3, 4, 5, 6)
    memory_units: tuple[int, ...] = (1, 2, 4, 8)
    memory_n: int = 400
    memory_epochs: int = 30
    memory_seeds: int = 1
    speed_units: tuple[int, ...] = (96, 100, 127, 128, 129)
    speed_repeats: int = 30
    gradient_units: tuple[int, int] = (4, 256)
    gradient_epochs: int = 20
    depth_units: int = 16
    depth_layers: int = 3
    linear_units: tuple[int, ...] = (2, 8, 32)
    linear_n: int = 500
    seeds: int = 3
    folds: int = 2
    epochs: int = SweepSpec().epochs
    lr: float = 1e-2

    def __post_init__(self) -> None:
        for name in _COUNTS:
            check_int(name, getattr(self, name))
        for name in ("memory_delays", "memory_units", "speed_units", "linear_units"):
            check(len(getattr(self, name)) > 0, name, "must not be empty", getattr(self, name))
        check_int("depth_layers", self.depth_layers, minimum=2)
        narrow, wide = self.gradient_units
        check(0 < narrow < wide, "gradient_units", "must be (narrow, wide) widths", (narrow, wide))
        check(self.lr > 0, "lr", "must be > 0", self.lr)


QUICK = Settings()
"""About a minute on a laptop core for the default data (sunspots, 12 lags)."""

FULL = Settings(
    memory_lags=8,
    memory_delays=(1, 2, 3, 4, 5, 6, 7, 8),
    memory_units=(1, 2, 4, 8, 16),
    memory_n=1000,
    memory_epochs=60,
    memory_seeds=2,
    speed_units=(96, 100, 127, 128, 129, 255, 256),
    speed_repeats=60,
    gradient_epochs=100,
    depth_units=32,
    linear_units=(2, 8, 32, 128),
    linear_n=1000,
    seeds=5,
    folds=3,
)
"""Several times longer, with more delays, widths, seeds and folds."""


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
    """

    dataset: str
    lags: int
    seed: int
    quick: bool
    claims: tuple[Claim, ...]
    seconds: float
    environment: dict[str, Any]
    settings: Settings

    @property
    def table(self) -> pd.DataFrame:
        """One row per claim: claim, verdict, evidence, seconds."""
        rows = [(c.claim, c.verdict, c.evidence, c.seconds) for c in self.claims]
        return pd.DataFrame(rows, columns=["claim", "verdict", "evidence", "seconds"])
