"""Frozen, validated specs: one per concern, built by the CLI and taken by the library."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from lstmsizer.errors import check, check_choice, check_int

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Cell = Literal["lstm", "gru", "rnn"]
Init = Literal["keras", "torch"]
Loss = Literal["mse", "mae", "huber"]
Scaling = Literal["minmax", "standard", "none"]
Precision = Literal["auto", "fp32", "bf16"]
S = TypeVar("S", bound="DataclassInstance")

CELLS: tuple[str, ...] = ("lstm", "gru", "rnn")
INITS: tuple[str, ...] = ("keras", "torch")
LOSSES: tuple[str, ...] = ("mse", "mae", "huber")
SCALINGS: tuple[str, ...] = ("minmax", "standard", "none")
ALIGNS: tuple[str, ...] = ("time", "end")
"""How a panel's folds are cut: at common time points, or at the same distance from each end."""
PRECISIONS: tuple[str, ...] = ("auto", "fp32", "bf16")
"""Training precisions; lstmsizer.precision says what auto resolves to."""
ACTIVATIONS: tuple[str, ...] = ("tanh", "relu", "sigmoid", "linear", "elu", "softsign")

# Measured with bench/threads.py on the 2-core reference machine: for the small recurrent
# models lstmsizer trains (up to a few hundred units, batches of 8-64), one intra-op thread
# was as fast as two when the machine was idle and several times faster when another process
# was busy. Parallelism comes from training many models at once instead. Splitting the cores
# between processes and threads, measured again for the largest sizes of the default grid
# (`python bench/threads.py --mode split --cores 2 --epochs 5 --repeats 3`, 2-core AMD EPYC,
# AVX2, torch 2.13.0 CPU, 2026-11-29): 2 processes x 1 thread were 1.31-1.38x faster than 1
# process x 2 threads for LSTM(256), LSTM(443) and 2-layer LSTM(256) in fp32, and 2.1x for
# batched LSTM(32); auto precision is fp32 there. One thread per worker stays.
DEFAULT_THREADS = 1


DEFAULT_LAGS = 12
"""Lags when none are given (the sweep, `fit`, `speed`, `claims`): a year of monthly values,
the window of the reference units sweep (W2). WindowSpec itself has no default."""
SPEED_UNITS: tuple[int, ...] = (8, 16, 32, 64, 96, 100, 127, 128, 129, 192, 255, 256, 384, 512)
"""Widths `lstmsizer speed` times: multiples of 32 and their neighbours (127, 128, 129...)."""
EXPLAIN_LAGS = 2
"""`lstmsizer explain` describes the textbook model unless told otherwise: LSTM(100) over 2
lags of the series 1..10 (W1), so its lags differ from DEFAULT_LAGS."""


@dataclass(frozen=True)
class WindowSpec:
    """How a series becomes supervised samples.

    Args:
        lags: Number of past time steps each window reads.
        horizon: Number of future steps forecast directly from one window.
    """

    lags: int
    horizon: int = 1

    def __post_init__(self) -> None:
        check_int("lags", self.lags)
        check_int("horizon", self.horizon)


@dataclass(frozen=True)
class ModelSpec:
    """The forecaster network: a recurrent stack and a Dense head.

    Args:
        cell: Recurrent cell type, one of lstm, gru, rnn.
        units: Width of the hidden state of every recurrent layer.
        layers: Number of stacked recurrent layers.
        activation: Keras meaning: replaces tanh in the candidate and output of the cell.
        dropout: Dropout between stacked layers (not after the last one).
        init: "keras" (glorot/orthogonal/forget bias 1) or "torch" (uniform +/- 1/sqrt(units)).
        id_embedding: For a global model over a panel, the width of a learned embedding of
            each window's series id, appended to every step's inputs; 0 leaves it out.
    """

    cell: Cell = "lstm"
    units: int = 100
    layers: int = 1
    activation: str = "tanh"
    dropout: float = 0.0
    init: Init = "torch"
    id_embedding: int = 0

    def __post_init__(self) -> None:
        check_choice("cell", self.cell, CELLS)
        check_int("units", self.units)
        check_int("layers", self.layers)
        check_choice("activation", self.activation, ACTIVATIONS)
        check(0.0 <= self.dropout < 1.0, "dropout", "must be in [0, 1)", self.dropout)
        check_choice("init", self.init, INITS)
        check_int("id_embedding", self.id_embedding, minimum=0)


FIT_UNITS = 32
"""`lstmsizer fit` trains 32 units unless told otherwise, not ModelSpec's 100: the 100 is the
textbook model that `explain` describes, while a first fit on one's own series should be quick
(32 is mid-grid in the sweep, which is what answers how many units)."""


@dataclass(frozen=True)
class TrainSpec:
    """Settings of the one training loop.

    Args:
        epochs: Maximum number of passes over the training windows.
        batch_size: Windows per optimizer step.
        lr: Adam learning rate.
        loss: Training loss, one of mse, mae, huber.
        patience: Epochs without improvement of the monitored loss before stopping; None
            trains all epochs. The monitored loss is the early-stopping block's when there is
            one (see stop_fraction), else the training loss.
        min_epochs: Warm-up: neither early stopping nor a learning-rate reduction fires before
            this many epochs, so a model can leave its first plateau.
        lr_patience: Epochs without improvement before the learning rate is multiplied by
            lr_factor (reduce on plateau); None keeps it constant.
        lr_factor: Factor of each learning-rate reduction, in (0, 1).
        stop_fraction: With patience set, the share of the training windows, at their end,
            held out as the early-stopping block (at least MIN_STOP_WINDOWS windows); 0 keeps
            every window for fitting and monitors the training loss.
        restarts: Retries, each from a fresh initialisation with a seed derived from seed,
            of a run that ends no better on its early-stopping block than a constant forecast
            at the training mean (stuck at the trivial solution).
        clip: Maximum gradient norm; None disables clipping.
        shuffle: Reshuffle the training windows every epoch.
        seed: Seed for initialisation, shuffling and dropout.
        threads: torch intra-op threads; None uses the measured default.
        progress: Show a progress bar; None shows it only when stderr is a terminal.
        device: "cpu", "cuda" or None for CUDA when present.
        precision: "fp32", "bf16" (forward pass under bf16 autocast; loss, optimizer and
            weights stay fp32) or "auto": bf16 only where the device has native bf16 and it
            measured faster at the model's size (lstmsizer.precision.resolve_precision).
    """

    epochs: int = 100
    batch_size: int = 32
    lr: float = 1e-3
    loss: Loss = "mse"
    patience: int | None = None
    min_epochs: int = 0
    lr_patience: int | None = None
    lr_factor: float = 0.5
    stop_fraction: float = 0.15
    restarts: int = 0
    clip: float | None = None
    shuffle: bool = True
    seed: int = 0
    threads: int | None = None
    progress: bool | None = None
    device: str | None = None
    precision: Precision = "auto"

    def __post_init__(self) -> None:
        check_int("epochs", self.epochs)
        check_int("batch_size", self.batch_size)
        check(self.lr > 0, "lr", "must be > 0", self.lr)
        check_choice("loss", self.loss, LOSSES)
        check_int("patience", self.patience, optional=True)
        check_int("min_epochs", self.min_epochs, minimum=0)
        check_int("lr_patience", self.lr_patience, optional=True)
        check(0 < self.lr_factor < 1, "lr_factor", "must be in (0, 1)", self.lr_factor)
        rule = "must be in [0, 0.5]"
        check(0 <= self.stop_fraction <= 0.5, "stop_fraction", rule, self.stop_fraction)
        check_int("restarts", self.restarts, minimum=0)
        check(self.clip is None or self.clip > 0, "clip", "must be > 0 or None", self.clip)
        check_int("threads", self.threads, optional=True)
        known = self.device in (None, "cpu", "cuda") or str(self.device).startswith("cuda:")
        check(known, "device", "must be cpu, cuda, cuda:N or None", self.device)
        check_choice("precision", self.precision, PRECISIONS)

    @property
    def stop_share(self) -> float:
        """Share of the training windows held out for early stopping: none without it."""
        return self.stop_fraction if self.patience is not None else 0.0


@dataclass(frozen=True)
class SplitSpec:
    """Time-ordered train/validation split and scaling.

    Args:
        val_fraction: Share of the target values, at the end, held out for validation.
        scaling: Scaler fitted on the training targets only: minmax, standard or none.
    """

    val_fraction: float = 0.2
    scaling: Scaling = "minmax"

    def __post_init__(self) -> None:
        check(0 <= self.val_fraction < 1, "val_fraction", "must be in [0, 1)", self.val_fraction)
        check_choice("scaling", self.scaling, SCALINGS)


def named(source: object, names: Iterable[str]) -> dict[str, Any]:
    """source's attributes of these names, by name, in the order given."""
    return {name: getattr(source, name) for name in names}


def spec_from(cls: type[S], source: Any, **given: Any) -> S:
    """A spec made of the fields of source (a dataclass) named as its own, then of given.

    Option records name their fields as the specs they make, so a spec is made from them
    without listing every field twice; given sets the rest, or replaces a field of source.
    """
    own = {f.name for f in fields(source)}
    shared = (f.name for f in fields(cls) if f.name in own)
    return cls(**{**named(source, shared), **given})
