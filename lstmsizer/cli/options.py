"""Shared command-line options, the console, and data loading for every command."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Console

from lstmsizer.config import ACTIVATIONS, Cell

if TYPE_CHECKING:
    from lstmsizer.datasets import Dataset

console = Console(highlight=False)  # results go to stdout; progress bars go to stderr

Progress = Annotated[
    bool | None,
    typer.Option(help="Progress bar on stderr.", show_default="when stderr is a terminal"),
]
Activation = Annotated[
    str, typer.Option(help=f"Cell activation (Keras meaning): {', '.join(ACTIVATIONS)}.")
]
Units = Annotated[int, typer.Option(help="Units per recurrent layer: the width of the state.")]
Lags = Annotated[int, typer.Option(help="Past time steps each window reads.")]
Layers = Annotated[int, typer.Option(help="Stacked recurrent layers.")]
CellOption = Annotated[Cell, typer.Option(help="Recurrent cell.")]
Horizon = Annotated[int, typer.Option(help="Steps forecast at once from each window.")]
BatchSize = Annotated[int, typer.Option(help="Windows per batch.")]
JsonOutput = Annotated[
    bool, typer.Option("--json", help="Print one JSON object and nothing else.", show_default="off")
]
Steps = Annotated[
    int | None,
    typer.Option(
        help="Future values to forecast; beyond the horizon each forecast feeds the next.",
        show_default="the horizon",
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
    typer.Option(
        help="A named dataset instead of a file (see `lstmsizer datasets`).",
        show_default="sunspots when no DATA",
    ),
]
Column = Annotated[
    str | None,
    typer.Option(help="Target column of the file.", show_default="the only numeric column"),
]
TimeColumn = Annotated[
    str | None, typer.Option(help="Time column of the file, kept in order.", show_default="none")
]
FeatureColumns = Annotated[
    str | None,
    typer.Option(
        help="Extra input columns of the file, comma separated: A,B.", show_default="none"
    ),
]
Fill = Annotated[
    Literal["interpolate", "ffill", "drop"] | None,
    typer.Option(
        help="Missing values: interpolate, carry forward, or drop rows.", show_default="fail"
    ),
]


def load_data(
    data: str | None,
    dataset: str | None,
    column: str | None,
    time_column: str | None,
    features: str | None,
    fill: str | None,
) -> Dataset:
    from lstmsizer.datasets import resolve

    names = tuple(f.strip() for f in (features or "").split(",") if f.strip())
    return resolve(
        data, dataset=dataset, column=column, time_column=time_column, features=names, fill=fill
    )
