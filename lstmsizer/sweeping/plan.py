"""What a sweep trains: its configurations, and the fingerprint a study must match."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from lstmsizer.config import ModelSpec
from lstmsizer.datasets import Dataset
from lstmsizer.errors import OptionError
from lstmsizer.panel import Panel, is_panel
from lstmsizer.sizes import equal_budget_width
from lstmsizer.sweepspec import GridSpec, SearchSpec, SweepSpec

__all__ = [
    "Configuration",
    "SweepSpec",
    "check_configurations",
    "check_fingerprint",
    "configurations",
    "data_digest",
    "fingerprint",
]


@dataclass(frozen=True)
class Configuration:
    """One model shape in the sweep, with a stable id used as the Optuna parameter.

    Args:
        model: The network this configuration trains.
        origin: "grid", "equal budget" (a one-layer width added for a deep one) or "search".
        lr: Learning rate the search chose; None uses the sweep's.
        batch_size: Batch size the search chose; None uses the sweep's.
    """

    model: ModelSpec
    origin: str = "grid"
    lr: float | None = None
    batch_size: int | None = None

    @property
    def id(self) -> str:
        """Stable id such as lstm-u32-l2 (searched settings appended when they are set)."""
        model = self.model
        parts = [f"{model.cell}-u{model.units}-l{model.layers}"]
        if self.origin == "search":
            parts.append(f"d{model.dropout:.3g}-lr{self.lr:.3g}-b{self.batch_size}")
        return "-".join(parts)

    def train_changes(self) -> dict[str, Any]:
        """Training settings this configuration overrides (searched lr and batch size)."""
        changes: dict[str, Any] = {}
        if self.lr is not None:
            changes["lr"] = self.lr
        if self.batch_size is not None:
            changes["batch_size"] = self.batch_size
        return changes

    def to_dict(self) -> dict[str, Any]:
        """The flat record a trial stores: ModelSpec's fields, then origin, lr, batch_size.

        id_embedding only when set: the records of models without one stay as before, so an
        interrupted trial of an older study still matches its configuration.
        """
        extra = {"origin": self.origin, "lr": self.lr, "batch_size": self.batch_size}
        model = dataclasses.asdict(self.model)
        if not model["id_embedding"]:
            del model["id_embedding"]
        return {**model, **extra}

    @classmethod
    def from_dict(cls, stored: Mapping[str, Any]) -> Configuration:
        """The configuration of a flat record (to_dict's), as trials store it."""
        names = {f.name for f in dataclasses.fields(ModelSpec)}
        model = ModelSpec(**{k: v for k, v in stored.items() if k in names})
        return cls(model, **{k: v for k, v in stored.items() if k not in names})


def check_configurations(spec: SweepSpec, configs: list[Configuration]) -> None:
    """Build every TrainSpec the workers will build, so their checks fire here.

    Raises:
        OptionError: naming the first setting a worker would refuse.
    """
    for config in configs:
        for seed in spec.seed_list():
            spec.train.train_spec(seed, **config.train_changes())


def configurations(spec: SweepSpec, n_features: int) -> list[Configuration]:
    """The grid: cells x layers x units, plus equal-budget one-layer widths; none for TPE.

    For every multi-layer configuration the one-layer width with the nearest parameter count
    is added (origin "equal budget") unless the grid already has it, so deep and wide can be
    compared at equal budget.
    """
    space = spec.space
    if not isinstance(space, GridSpec):
        return []
    grid: dict[str, Configuration] = {}
    for cell in space.cells:
        for layers in sorted(set(space.layers)):
            for units in sorted(set(space.units)):
                config = Configuration(spec.model.sized(cell, units, layers))
                grid.setdefault(config.id, config)
    if space.equal_budget:
        for config in list(grid.values()):
            if config.model.layers > 1:
                width = equal_budget_width(config.model, spec.window, n_features)
                wide = spec.model.sized(config.model.cell, width, 1)
                grid.setdefault(Configuration(wide).id, Configuration(wide, "equal budget"))
    return sorted(grid.values(), key=lambda c: (c.model.cell, c.model.layers, c.model.units))


def data_digest(dataset: Dataset | Panel) -> str:
    """A short hash of the values and features, so a study is never resumed on other data."""
    digest = hashlib.sha256(dataset.values.tobytes())
    digest.update(dataset.features.tobytes())
    if is_panel(dataset):  # the same values cut into other series are other data
        digest.update(cast(Panel, dataset).starts.tobytes())
    return digest.hexdigest()[:16]


def fingerprint(spec: SweepSpec, dataset: Dataset | Panel) -> dict[str, object]:
    """What a study was created for; resuming with anything different is an error."""
    plain: dict[str, object] = spec.to_dict()
    size = (
        f"{dataset.n_series} series, {dataset.n_values} values"
        if isinstance(dataset, Panel)
        else f"{len(dataset)} values"
    )
    plain["data"] = f"{dataset.name} ({size}, digest {data_digest(dataset)})"
    return plain


def unused_settings(search: object) -> set[str]:
    """Recorded settings a search never reads: the other search's (a grid's trials)."""
    grid = {f.name for f in dataclasses.fields(GridSpec)}
    tpe = {f.name for f in dataclasses.fields(SearchSpec)}
    return tpe - grid if search == GridSpec.search else grid - tpe


def check_fingerprint(stored: dict[str, object], wanted: dict[str, object], study: str) -> None:
    """Raise OptionError naming every difference between a study's plan and this run's.

    Settings the study's search never reads are not compared: a study recorded them as they
    were given, a spec records them at their defaults (SweepSpec.to_dict). A setting the
    study did not record (it is newer than the study) reads at its default, as
    SweepSpec.from_dict reads it.
    """
    stored = {**{k: v for k, v in SweepSpec().to_dict().items() if k not in stored}, **stored}
    same_search = stored.get("search") == wanted.get("search")
    unused = unused_settings(wanted.get("search")) if same_search else set()
    keys = sorted((set(stored) | set(wanted)) - unused)
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
