"""Shared command-line options, option groups, the console, and data loading for every command."""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_type_hints

import typer
from rich.console import Console

from lstmsizer.config import ACTIVATIONS, Cell
from lstmsizer.errors import OptionError

if TYPE_CHECKING:
    from lstmsizer.datasets import Dataset
    from lstmsizer.panel import Panel

console = Console(highlight=False)  # results go to stdout; progress bars go to stderr


def option(help: str, shown: str | bool = True, *names: str, envvar: str | None = None) -> Any:
    """A Typer option with its help text; shown is the default as the help states it, and
    envvar the environment variable that sets it, if any."""
    return typer.Option(*names, help=help, show_default=shown, envvar=envvar)


Progress = Annotated[bool | None, option("Progress bar on stderr.", "when stderr is a terminal")]
Activation = Annotated[str, option(f"Cell activation (Keras meaning): {', '.join(ACTIVATIONS)}.")]
Units = Annotated[int, option("Units per recurrent layer: the width of the state.")]
Lags = Annotated[int, option("Past time steps each window reads.")]
Layers = Annotated[int, option("Stacked recurrent layers.")]
CellOption = Annotated[Cell, option("Recurrent cell.")]
Horizon = Annotated[int, option("Steps forecast at once from each window.")]
BatchSize = Annotated[int, option("Windows per batch.")]
Dropout = Annotated[float, option("Dropout between stacked layers.")]
Threads = Annotated[int | None, option("torch threads.", "1, measured best")]
JsonOutput = Annotated[bool, option("Print one JSON object and nothing else.", "off", "--json")]
Steps = Annotated[
    int | None,
    option(
        "Future values to forecast; beyond the horizon each forecast feeds the next.",
        "the horizon",
    ),
]
DataArgument = Annotated[
    str | None,
    typer.Argument(
        help="CSV (.csv, .tsv, .txt) or Parquet file holding the series.",
        show_default="the sunspots dataset",
    ),
]
DatasetOption = Annotated[
    str | None,
    option(
        "A named dataset instead of a file (see `lstmsizer datasets`).", "sunspots when no DATA"
    ),
]
Column = Annotated[str | None, option("Target column of the file.", "the only numeric column")]
TimeColumn = Annotated[str | None, option("Time column of the file, kept in order.", "none")]
FeatureColumns = Annotated[
    str | None, option("Extra input columns of the file, comma separated: A,B.", "none")
]
IdColumn = Annotated[
    str | None,
    option(
        "Series id column of a long table: the file is a panel of many series, one global "
        "model over all.",
        "none; columns unique_id, ds, y are read as a panel",
    ),
]
Wide = Annotated[bool, option("The file is a panel with one column per series.", "off")]
Fill = Annotated[
    Literal["interpolate", "ffill", "drop"] | None,
    option("Missing values: interpolate, carry forward, or drop rows.", "fail"),
]


@dataclass(frozen=True)
class DataOptions:
    """The options that say how DATA is read, shared by every command that loads data."""

    dataset: DatasetOption = None
    column: Column = None
    time_column: TimeColumn = None
    features: FeatureColumns = None
    fill: Fill = None
    id_column: IdColumn = None
    wide: Wide = False

    def load(self, data: str | None) -> Dataset | Panel:
        """The series (or panel) from DATA (a file) or --dataset, read as these options say."""
        from lstmsizer.datasets import resolve

        names = tuple(f.strip() for f in (self.features or "").split(",") if f.strip())
        return resolve(
            data,
            dataset=self.dataset,
            column=self.column,
            time_column=self.time_column,
            features=names,
            fill=self.fill,
            id_column=self.id_column,
            wide=self.wide,
        )

    def given(self) -> list[str]:
        """The options given, as typed: ["--dataset", "--fill"]."""
        return [
            "--" + f.name.replace("_", "-")
            for f in dataclasses.fields(self)
            if getattr(self, f.name) not in (None, False)
        ]


def grouped(command: Callable[..., None]) -> Callable[..., None]:
    """Let a command take option groups such as DataOptions.

    Each parameter annotated with a dataclass stands for that dataclass's fields, which
    become the command's options (with their help and defaults) where the parameter stands;
    the command receives one instance of the dataclass.
    """
    hints = get_type_hints(command, include_extras=True)
    groups: dict[str, type[Any]] = {}
    params: list[inspect.Parameter] = []
    for param in inspect.signature(command).parameters.values():
        kind = hints[param.name]
        if not (isinstance(kind, type) and dataclasses.is_dataclass(kind)):
            params.append(param.replace(annotation=kind, kind=inspect.Parameter.KEYWORD_ONLY))
            continue
        groups[param.name] = kind
        fields = get_type_hints(kind, include_extras=True)
        params += [
            inspect.Parameter(
                f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default, annotation=fields[f.name]
            )
            for f in dataclasses.fields(kind)
        ]

    @functools.wraps(command)
    def run(**values: Any) -> None:
        for name, kind in groups.items():
            names = [f.name for f in dataclasses.fields(kind)]
            values[name] = kind(**{n: values.pop(n) for n in names})
        command(**values)

    run.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in params}
    return run


def ints(argument: str, text: str) -> tuple[int, ...]:
    """Comma-separated integers, or an OptionError naming the argument."""
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise OptionError(f"{argument} must be comma-separated integers, got {text!r}") from None
