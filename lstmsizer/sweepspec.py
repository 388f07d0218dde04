"""The sweep's spec: which sizes it tries and how it trains and scores them, in typed parts."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TypeVar

from lstmsizer.config import (
    ACTIVATIONS,
    ALIGNS,
    CELLS,
    DEFAULT_LAGS,
    INITS,
    SCALINGS,
    Cell,
    Init,
    ModelSpec,
    Precision,
    Scaling,
    SplitSpec,
    TrainSpec,
    WindowSpec,
    spec_from,
)
from lstmsizer.errors import check, check_choice, check_int

DEFAULT_UNITS = (1, 2, 4, 8, 16, 32, 64, 100, 128, 256)
DEFAULT_LAYERS = (1, 2)
SEARCHES = ("grid", "tpe")
BATCHINGS = ("auto", "off")
"""auto: seeds (and folds) train as one batched network where seeds.batching_pays; off: one
model at a time."""
LR_CANDIDATES = (1e-3, 3e-3, 1e-2)
"""Learning rates lr "auto" tries per configuration. On sunspots, 1e-2 let LSTM(1) converge
in about 300 epochs where 1e-3 needed about 1,500, and 1e-3 suited the 2-layer LSTM(128)."""
FLAT_KEYS = (
    "lags", "horizon", "units", "layers", "cells", "activation", "seeds", "folds",
    "test_fraction", "epochs", "patience", "min_epochs", "lr_patience", "stop_fraction",
    "restarts", "batch_size", "lr", "precision", "batching", "dropout", "init", "id_embedding",
    "scaling", "align", "search", "trials", "seed", "equal_budget", "race",
)  # fmt: skip
"""The settings as a study and recommendation.json record them (SweepSpec.to_dict), in order."""

DEFAULT_WINDOW = WindowSpec(DEFAULT_LAGS)
Part = TypeVar("Part")


def _check_cells(cells: tuple[str, ...]) -> None:
    check(len(cells) > 0, "cells", "must list at least one cell", cells)
    for cell in cells:
        check_choice("cell", cell, CELLS)


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class GridSpec:
    """A grid search: every configuration of cells x layers x units is trained.

    Args:
        units: Widths to try.
        layers: Depths to try.
        cells: Cell types to try: lstm, gru, rnn.
        equal_budget: Add, for each multi-layer configuration, the one-layer width with the
            nearest parameter count, so deep and wide compare at equal budget.
        race: Stop a configuration after a fold once its paired gap to the best finished
            one is far beyond noise (lstmsizer.racing); False trains every fold of every one.
    """

    search: ClassVar[str] = "grid"

    units: tuple[int, ...] = DEFAULT_UNITS
    layers: tuple[int, ...] = DEFAULT_LAYERS
    cells: tuple[Cell, ...] = ("lstm",)
    equal_budget: bool = True
    race: bool = True

    def __post_init__(self) -> None:
        check(len(self.units) > 0, "units", "must list at least one width", self.units)
        check(len(self.layers) > 0, "layers", "must list at least one depth", self.layers)
        _check_cells(self.cells)
        for units in self.units:
            check_int("units", units)
        for layers in self.layers:
            check_int("layers", layers)
        budget = self.equal_budget
        check(isinstance(budget, bool), "equal_budget", "must be True or False", budget)
        check(isinstance(self.race, bool), "race", "must be True or False", self.race)


@dataclass(frozen=True)
class SearchSpec:
    """Optuna's TPE over a wider space: 1-1024 units, 1-4 layers, dropout, lr and batch size.

    Args:
        trials: Configurations tried.
        cells: Cell types the search chooses among.
    """

    search: ClassVar[str] = "tpe"

    trials: int = 30
    cells: tuple[Cell, ...] = ("lstm",)

    def __post_init__(self) -> None:
        check_int("trials", self.trials)
        _check_cells(self.cells)


@dataclass(frozen=True)
class LayerSpec:
    """What the networks of every configuration share: ModelSpec's activation, dropout, init.

    Args:
        activation: Activation of every cell (Keras meaning).
        dropout: Dropout between stacked layers.
        init: Weight initialisation scheme.
        id_embedding: Width of the learned series-id embedding of a panel's global model;
            0 leaves it out.
    """

    activation: str = ModelSpec.activation
    dropout: float = ModelSpec.dropout
    init: Init = ModelSpec.init
    id_embedding: int = ModelSpec.id_embedding

    def __post_init__(self) -> None:
        check_choice("activation", self.activation, ACTIVATIONS)
        check(_number(self.dropout), "dropout", "must be a number in [0, 1)", self.dropout)
        check_choice("init", self.init, INITS)
        self.sized("lstm", 1, 1)  # ModelSpec's own checks, named as there

    def sized(self, cell: Cell, units: int, layers: int) -> ModelSpec:
        """The ModelSpec of one configuration: these settings at a cell, width and depth."""
        return ModelSpec(
            cell, units, layers, self.activation, self.dropout, self.init, self.id_embedding
        )


@dataclass(frozen=True)
class ProtocolSpec:
    """How every run is trained: TrainSpec's settings, with defaults that train every size to
    convergence before sizes are compared (see docs/protocol.md).

    Args:
        epochs: Epoch cap per training, high enough that every size converges first; a run
            that reaches it while still improving is flagged as under-trained.
        patience: Early-stopping patience on the block carved from the end of each fold's
            training part (never scored); None disables it.
        min_epochs: Warm-up before early stopping or a learning-rate reduction may fire.
        lr_patience: Epochs without improvement before the learning rate is halved.
        stop_fraction: Share of each training part's windows held out for early stopping.
        restarts: Fresh initialisations tried for a run stuck at the trivial solution.
        batch_size: Windows per optimizer step.
        lr: Adam learning rate, or "auto" to choose one per configuration among LR_CANDIDATES
            on its first fold with the first seed, scored on the early-stopping block.
        precision: "auto", "fp32" or "bf16", as TrainSpec.precision; auto is resolved per
            run for its size and device (lstmsizer.precision), and runs.csv records the result.
        batching: "auto" trains a configuration's runs as one batched network where that
            measured faster (seeds.batching_pays), "off" one model at a time.
    """

    epochs: int = 2000
    patience: int | None = 50
    min_epochs: int = 50
    lr_patience: int | None = 20
    stop_fraction: float = TrainSpec.stop_fraction
    restarts: int = 2
    batch_size: int = TrainSpec.batch_size
    lr: float | str = "auto"
    precision: Precision = TrainSpec.precision
    batching: Literal["auto", "off"] = "auto"

    def __post_init__(self) -> None:
        fraction = self.stop_fraction
        check(_number(fraction), "stop_fraction", "must be a number", fraction)
        rate = self.lr == "auto" or (_number(self.lr) and float(self.lr) > 0)
        check(rate, "lr", 'must be "auto" or a number > 0', self.lr)
        check_choice("batching", self.batching, BATCHINGS)
        self.train_spec(0)  # TrainSpec's own checks, named as there

    def train_spec(self, seed: int, **changes: Any) -> TrainSpec:
        """The training loop settings of one run; changes are a configuration's own (lr...)."""
        lr = LR_CANDIDATES[0] if self.lr == "auto" else float(self.lr)
        spec = spec_from(TrainSpec, self, lr=lr, seed=seed, progress=False)
        return dataclasses.replace(spec, **changes) if changes else spec


@dataclass(frozen=True)
class FoldSpec:
    """How the series is split and scaled: rolling-origin folds, then a final test share.

    Args:
        folds: Rolling-origin folds (expanding window) on the development part.
        test_fraction: Final share of the series scored once, never used for selection.
        scaling: Scaler fitted on each fold's training part: minmax, standard or none.
        align: Panels only: "time" cuts every series' folds at common time points, "end" at
            the same distance from each series' end (panelsplits.panel_folds).
    """

    folds: int = 3
    test_fraction: float = 0.1
    scaling: Scaling = SplitSpec.scaling
    align: str = ALIGNS[0]

    def __post_init__(self) -> None:
        check_int("folds", self.folds)
        test = self.test_fraction
        check(_number(test) and 0 <= test < 1, "test", "must be in [0, 1)", test)
        check_choice("scaling", self.scaling, SCALINGS)
        check_choice("align", self.align, ALIGNS)


@dataclass(frozen=True)
class SweepSpec:
    """Everything that decides which models a sweep trains and how it scores them.

    Each part checks itself when made. One setting changes by its name in to_dict:
    ``spec.replace(epochs=500)``; ``SweepSpec.from_dict`` reads a recorded spec back.

    Example:
        SweepSpec(WindowSpec(lags=12), GridSpec(units=(4, 16, 64)), train=ProtocolSpec(lr=1e-3))

    Args:
        window: Lags and horizon of every configuration.
        space: GridSpec (every configuration) or SearchSpec (Optuna's TPE).
        model: Activation, dropout and init of every configuration.
        train: The training protocol of every run.
        split: Folds, final test share and scaling.
        seeds: Seeds per configuration and fold.
        seed: First seed; the seeds are seed, seed + 1, ...
    """

    window: WindowSpec = DEFAULT_WINDOW
    space: GridSpec | SearchSpec = GridSpec()
    model: LayerSpec = LayerSpec()
    train: ProtocolSpec = ProtocolSpec()
    split: FoldSpec = FoldSpec()
    seeds: int = 3
    seed: int = 0

    def __post_init__(self) -> None:
        parts: dict[str, tuple[type, ...]] = {"window": (WindowSpec,), "model": (LayerSpec,)}
        parts.update(space=(GridSpec, SearchSpec), train=(ProtocolSpec,), split=(FoldSpec,))
        for name, kinds in parts.items():
            rule = "must be a " + " or ".join(kind.__name__ for kind in kinds)
            check(isinstance(getattr(self, name), kinds), name, rule, getattr(self, name))
        check_int("seeds", self.seeds)
        seed_ok = isinstance(self.seed, int) and not isinstance(self.seed, bool)
        check(seed_ok, "seed", "must be an integer", self.seed)

    @property
    def search(self) -> str:
        """The search, "grid" or "tpe", as recorded."""
        return self.space.search

    def seed_list(self) -> list[int]:
        """The seeds every configuration is trained with."""
        return [self.seed + k for k in range(self.seeds)]

    def to_dict(self) -> dict[str, Any]:
        """The flat settings a study is created for and recommendation.json records.

        A search records the other search's settings at their defaults: a grid its trials, a
        TPE search the grid's units, layers and equal_budget.
        """
        space = self.space
        grid = space if isinstance(space, GridSpec) else GridSpec(cells=space.cells)
        tpe = space if isinstance(space, SearchSpec) else SearchSpec(cells=space.cells)
        plain: dict[str, Any] = {"seeds": self.seeds, "seed": self.seed, "search": self.search}
        for part in (self.window, grid, tpe, self.model, self.train, self.split):
            plain.update(dataclasses.asdict(part))
        return {k: list(plain[k]) if isinstance(plain[k], tuple) else plain[k] for k in FLAT_KEYS}

    @classmethod
    def from_dict(cls, plain: Mapping[str, Any]) -> SweepSpec:
        """The spec of flat settings such as to_dict's; a missing one takes its default.

        Keys that are no setting (a study fingerprint's "data") are ignored, and so are the
        settings of the search not chosen, once checked.

        Raises:
            OptionError: naming the first setting a part refuses.
        """
        values: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in plain.items()
        }
        search = values.get("search", GridSpec.search)
        check_choice("search", search, SEARCHES)
        default = cls()
        grid, tpe = _part(GridSpec(), values), _part(SearchSpec(), values)
        return cls(
            _part(default.window, values),
            grid if search == GridSpec.search else tpe,
            _part(default.model, values),
            _part(default.train, values),
            _part(default.split, values),
            values.get("seeds", default.seeds),
            values.get("seed", default.seed),
        )

    def replace(self, **changes: Any) -> SweepSpec:
        """This spec with settings changed by their names in to_dict: replace(epochs=500).

        Raises:
            TypeError: A name that is no setting (see FLAT_KEYS).
            OptionError: A value the spec refuses.
        """
        unknown = sorted(set(changes) - set(FLAT_KEYS))
        if unknown:
            raise TypeError(f"SweepSpec has no setting {', '.join(unknown)}: {FLAT_KEYS}")
        return self.from_dict({**self.to_dict(), **changes})


def _part(default: Part, values: Mapping[str, Any]) -> Part:
    """default with the values of its own fields."""
    names = {f.name for f in dataclasses.fields(default)}  # type: ignore[arg-type]
    return dataclasses.replace(default, **{k: v for k, v in values.items() if k in names})  # type: ignore[type-var]
