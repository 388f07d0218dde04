"""What a sweep trains: its spec, the configurations and the fingerprint a study must match."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from typing import Any

from lstmsizer.config import (
    ACTIVATIONS,
    CELLS,
    INITS,
    SCALINGS,
    ModelSpec,
    TrainSpec,
    WindowSpec,
)
from lstmsizer.datasets import Dataset
from lstmsizer.errors import OptionError, check, check_choice, check_int
from lstmsizer.recommend import equal_budget_width

DEFAULT_UNITS = (1, 2, 4, 8, 16, 32, 64, 100, 128, 256)
DEFAULT_LAYERS = (1, 2)
SEARCHES = ("grid", "tpe")
LR_CANDIDATES = (1e-3, 3e-3, 1e-2)
"""Learning rates --lr auto tries per configuration. On sunspots, 1e-2 let LSTM(1) converge
in about 300 epochs where 1e-3 needed about 1,500, and 1e-3 suited the 2-layer LSTM(128)."""


@dataclass(frozen=True)
class SweepSpec:
    """Everything that decides which models a sweep trains and how it scores them.

    Args:
        lags: Input window length.
        horizon: Steps forecast directly from each window.
        units: Widths to try (grid search).
        layers: Depths to try (grid search).
        cells: Cell types to try.
        activation: Activation of every configuration (Keras meaning).
        seeds: Seeds per configuration and fold (0 .. seeds-1 offset by seed).
        folds: Rolling-origin folds on the development part.
        test_fraction: Final share of the series scored once, never used for selection.
        epochs: Epoch cap per training, high enough that every size converges first; a run
            that reaches it while still improving is flagged as under-trained.
        patience: Early-stopping patience on the early-stopping block carved from the end of
            each fold's training part (never scored); None disables it.
        min_epochs: Warm-up before early stopping or a learning-rate reduction may fire.
        lr_patience: Epochs without improvement before the learning rate is halved.
        stop_fraction: Share of each training part's windows held out for early stopping.
        restarts: Fresh initialisations tried for a run stuck at the trivial solution.
        batch_size: Windows per optimizer step.
        lr: Adam learning rate, or "auto" to choose one per configuration among LR_CANDIDATES
            on its first fold with the first seed, scored on the early-stopping block.
        dropout: Dropout between stacked layers.
        init: Weight initialisation scheme.
        scaling: Scaler fitted on each fold's training part.
        search: "grid" (every configuration) or "tpe" (Optuna's TPE over a wider space).
        trials: Number of configurations tried by the tpe search.
        seed: First seed; seeds are seed, seed + 1, ...
        equal_budget: Add, for each multi-layer configuration, the one-layer width with the
            nearest parameter count.
    """

    lags: int = 12
    horizon: int = 1
    units: tuple[int, ...] = DEFAULT_UNITS
    layers: tuple[int, ...] = DEFAULT_LAYERS
    cells: tuple[str, ...] = ("lstm",)
    activation: str = "tanh"
    seeds: int = 3
    folds: int = 3
    test_fraction: float = 0.1
    epochs: int = 2000
    patience: int | None = 50
    min_epochs: int = 50
    lr_patience: int | None = 20
    stop_fraction: float = 0.15
    restarts: int = 2
    batch_size: int = 32
    lr: float | str = "auto"
    dropout: float = 0.0
    init: str = "torch"
    scaling: str = "minmax"
    search: str = "grid"
    trials: int = 30
    seed: int = 0
    equal_budget: bool = True

    def __post_init__(self) -> None:
        WindowSpec(self.lags, self.horizon)
        check(len(self.units) > 0, "units", "must list at least one width", self.units)
        check(len(self.layers) > 0, "layers", "must list at least one depth", self.layers)
        check(len(self.cells) > 0, "cells", "must list at least one cell", self.cells)
        for u in self.units:
            check_int("units", u)
        for n in self.layers:
            check_int("layers", n)
        for c in self.cells:
            check_choice("cell", c, CELLS)
        check_choice("activation", self.activation, ACTIVATIONS)
        check_int("seeds", self.seeds)
        check_int("folds", self.folds)
        test = self.test_fraction
        check(_number(test) and 0 <= test < 1, "test", "must be in [0, 1)", test)
        check(_number(self.dropout), "dropout", "must be a number in [0, 1)", self.dropout)
        check(_number(self.stop_fraction), "stop_fraction", "must be a number", self.stop_fraction)
        check_choice("init", self.init, INITS)
        check_choice("scaling", self.scaling, SCALINGS)
        check_choice("search", self.search, SEARCHES)
        check_int("trials", self.trials)
        seed_ok = isinstance(self.seed, int) and not isinstance(self.seed, bool)
        check(seed_ok, "seed", "must be an integer", self.seed)
        budget = self.equal_budget
        check(isinstance(budget, bool), "equal_budget", "must be True or False", budget)
        rate = self.lr == "auto" or (_number(self.lr) and float(self.lr) > 0)
        check(rate, "lr", 'must be "auto" or a number > 0', self.lr)
        # the checks of the specs every worker builds, made here and named as they are there
        self.train_spec(self.seed)
        ModelSpec(
            self.cells[0],  # type: ignore[arg-type]
            units=self.units[0],
            layers=self.layers[0],
            activation=self.activation,
            dropout=self.dropout,
            init=self.init,  # type: ignore[arg-type]
        )

    @property
    def window(self) -> WindowSpec:
        """Lags and horizon as a WindowSpec."""
        return WindowSpec(self.lags, self.horizon)

    def train_spec(self, seed: int, **changes: Any) -> TrainSpec:
        """The training loop settings of one run."""
        spec = TrainSpec(
            epochs=self.epochs,
            batch_size=self.batch_size,
            lr=LR_CANDIDATES[0] if self.lr == "auto" else float(self.lr),
            patience=self.patience,
            min_epochs=self.min_epochs,
            lr_patience=self.lr_patience,
            stop_fraction=self.stop_fraction,
            restarts=self.restarts,
            seed=seed,
            progress=False,
        )
        return dataclasses.replace(spec, **changes) if changes else spec

    def seed_list(self) -> list[int]:
        """The seeds every configuration is trained with."""
        return [self.seed + k for k in range(self.seeds)]


@dataclass(frozen=True)
class Configuration:
    """One model shape in the sweep, with a stable id used as the Optuna parameter."""

    cell: str
    units: int
    layers: int
    activation: str
    dropout: float = 0.0
    init: str = "torch"
    origin: str = "grid"
    lr: float | None = None
    batch_size: int | None = None

    @property
    def id(self) -> str:
        """Stable id such as lstm-u32-l2 (searched settings appended when they are set)."""
        parts = [f"{self.cell}-u{self.units}-l{self.layers}"]
        if self.origin == "search":
            parts.append(f"d{self.dropout:.3g}-lr{self.lr:.3g}-b{self.batch_size}")
        return "-".join(parts)

    def train_changes(self) -> dict[str, Any]:
        """Training settings this configuration overrides (searched lr and batch size)."""
        changes: dict[str, Any] = {}
        if self.lr is not None:
            changes["lr"] = self.lr
        if self.batch_size is not None:
            changes["batch_size"] = self.batch_size
        return changes

    def model_spec(self) -> ModelSpec:
        """The ModelSpec that builds this configuration."""
        return ModelSpec(
            cell=self.cell,  # type: ignore[arg-type]
            units=self.units,
            layers=self.layers,
            activation=self.activation,
            dropout=self.dropout,
            init=self.init,  # type: ignore[arg-type]
        )


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_configurations(spec: SweepSpec, configs: list[Configuration]) -> None:
    """Build every ModelSpec and TrainSpec the workers will build, so their checks fire here.

    Raises:
        OptionError: naming the first setting a worker would refuse.
    """
    for config in configs:
        config.model_spec()
        for seed in spec.seed_list():
            spec.train_spec(seed, **config.train_changes())


def configurations(spec: SweepSpec, n_features: int) -> list[Configuration]:
    """The grid: cells x layers x units, plus equal-budget one-layer widths.

    For every multi-layer configuration the one-layer width with the nearest parameter count
    is added (origin "equal budget") unless the grid already has it, so deep and wide can be
    compared at equal budget.
    """
    grid: dict[str, Configuration] = {}
    common = {"activation": spec.activation, "dropout": spec.dropout, "init": spec.init}
    for cell in spec.cells:
        for layers in sorted(set(spec.layers)):
            for units in sorted(set(spec.units)):
                config = Configuration(cell, units, layers, **common)  # type: ignore[arg-type]
                grid.setdefault(config.id, config)
    if spec.equal_budget:
        for config in list(grid.values()):
            if config.layers > 1:
                width = equal_budget_width(
                    config.cell, config.units, config.layers, n_features, spec.horizon
                )
                wide = Configuration(config.cell, width, 1, origin="equal budget", **common)  # type: ignore[arg-type]
                grid.setdefault(wide.id, wide)
    return sorted(grid.values(), key=lambda c: (c.cell, c.layers, c.units))


def data_digest(dataset: Dataset) -> str:
    """A short hash of the values and features, so a study is never resumed on other data."""
    digest = hashlib.sha256(dataset.values.tobytes())
    digest.update(dataset.features.tobytes())
    return digest.hexdigest()[:16]


def fingerprint(spec: SweepSpec, dataset: Dataset) -> dict[str, object]:
    """What a study was created for; resuming with anything different is an error."""
    plain = dataclasses.asdict(spec)
    plain["units"] = list(spec.units)
    plain["layers"] = list(spec.layers)
    plain["cells"] = list(spec.cells)
    plain["data"] = f"{dataset.name} ({len(dataset)} values, digest {data_digest(dataset)})"
    return plain


def check_fingerprint(stored: dict[str, object], wanted: dict[str, object], study: str) -> None:
    """Raise OptionError naming every difference between a study's plan and this run's."""
    keys = sorted(set(stored) | set(wanted))
    diffs = [
        f"{key}={stored.get(key)!r} there, {wanted.get(key)!r} here"
        for key in keys
        if stored.get(key) != wanted.get(key)
    ]
    if diffs:
        raise OptionError(
            f"study {study!r} was created for a different sweep ({'; '.join(diffs)}): "
            "use another --study name or --out folder to start a new one"
        )
