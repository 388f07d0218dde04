"""The lstmsizer command line: each command parses options into specs and makes one call."""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from lstmsizer.config import ACTIVATIONS, Cell, Init, Loss, ModelSpec, Scaling, TrainSpec
from lstmsizer.errors import LstmsizerError

if TYPE_CHECKING:
    import pandas as pd

    from lstmsizer.contract import Forecaster
    from lstmsizer.datasets import Dataset
    from lstmsizer.evaluation import FitResult
    from lstmsizer.explain import Explanation
    from lstmsizer.splits import Split

app = typer.Typer(
    help="How many LSTM units, how many layers, and do you need an LSTM at all?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
console = Console(highlight=False)  # results go to stdout; progress bars go to stderr

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


@app.command("explain")
def explain_command(
    units: Units = 100,
    lags: Lags = 2,
    features: Annotated[int, typer.Option(help="Inputs per time step, target included.")] = 1,
    layers: Layers = 1,
    cell: CellOption = "lstm",
    horizon: Horizon = 1,
    batch_size: BatchSize = 32,
    json_output: JsonOutput = False,
) -> None:
    """Explain a configuration: tensor shapes, parameter counts, FLOPs, memory, in words."""
    from lstmsizer.explain import explain

    facts = explain(units, lags, features, layers, cell, horizon, batch_size)
    if json_output:
        _print_json(facts.to_dict())
        return
    _render_explanation(facts)


@app.command("fit")
def fit_command(
    data: DataArgument = None,
    dataset: DatasetOption = None,
    column: Column = None,
    time_column: TimeColumn = None,
    features: FeatureColumns = None,
    fill: Fill = None,
    lags: Lags = 12,
    horizon: Horizon = 1,
    units: Units = 32,
    layers: Layers = 1,
    cell: CellOption = "lstm",
    activation: Annotated[
        str, typer.Option(help=f"Cell activation (Keras meaning): {', '.join(ACTIVATIONS)}.")
    ] = "tanh",
    dropout: Annotated[float, typer.Option(help="Dropout between stacked layers.")] = 0.0,
    init: Annotated[Init, typer.Option(help="Weight initialisation scheme.")] = ModelSpec.init,
    epochs: Annotated[int, typer.Option(help="Maximum passes over the training windows.")] = 100,
    batch_size: BatchSize = 32,
    lr: Annotated[float, typer.Option(help="Adam learning rate.")] = 1e-3,
    loss: Annotated[Loss, typer.Option(help="Training loss.")] = TrainSpec.loss,
    val_fraction: Annotated[
        float, typer.Option(help="Share of values held out at the end; 0 trains on all.")
    ] = 0.2,
    patience: Annotated[
        int | None,
        typer.Option(help="Stop after this many epochs without improvement.", show_default="off"),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of initialisation and shuffling.")] = 0,
    threads: Annotated[
        int | None, typer.Option(help="torch threads.", show_default="1, measured best")
    ] = None,
    scaling: Annotated[
        Scaling, typer.Option(help="Scaler fitted on the training part.")
    ] = "minmax",
    steps: Steps = None,
    save: Annotated[
        str | None, typer.Option(help="Write the trained model to this file.", show_default="no")
    ] = None,
    json_output: JsonOutput = False,
    progress: Annotated[
        bool | None,
        typer.Option(help="Progress bar on stderr.", show_default="when stderr is a terminal"),
    ] = None,
) -> None:
    """Train one configuration and score it against the baselines on held-out data."""
    from lstmsizer.config import SplitSpec, WindowSpec
    from lstmsizer.evaluation import fit_and_score

    window = WindowSpec(lags=lags, horizon=horizon)
    model = ModelSpec(cell, units, layers, activation=activation, dropout=dropout, init=init)
    train = TrainSpec(
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        loss=loss,
        patience=patience,
        seed=seed,
        threads=threads,
        progress=progress,
    )
    split = SplitSpec(val_fraction=val_fraction, scaling=scaling)
    series = _load(data, dataset, column, time_column, features, fill)
    # without a validation part there is nothing to score the baselines on
    baselines: list[Forecaster] | None = None if val_fraction > 0 else []
    result = fit_and_score(series, window, model, train, split, steps=steps, baselines=baselines)
    saved = None if save is None else str(result.forecaster.save(save))
    if json_output:
        _print_json(_fit_payload(result, saved, fill))
        return
    _render_fit(result, saved, fill)


@app.command("predict")
def predict_command(
    model: Annotated[str, typer.Argument(help="Model file written by `lstmsizer fit --save`.")],
    data: DataArgument = None,
    dataset: DatasetOption = None,
    column: Column = None,
    time_column: TimeColumn = None,
    features: FeatureColumns = None,
    fill: Fill = None,
    steps: Steps = None,
    json_output: JsonOutput = False,
) -> None:
    """Forecast the next values after the end of the data with a saved model."""
    from lstmsizer.forecaster import LSTMForecaster

    forecaster = LSTMForecaster.load(model)
    series = _load(data, dataset, column, time_column, features, fill)
    extra = series.features if series.features.shape[1] else None
    forecast = forecaster.forecast(series.values, steps, extra)
    if json_output:
        payload = {"model": model, "name": forecaster.name, "forecast": forecast.tolist()}
        _print_json({**payload, "data": _data_facts(series, None, fill)})
        return
    console.print(f"Model: {forecaster.name} from {model}", markup=False)
    console.print(_data_line(series, None, fill), markup=False)
    console.print(_forecast_line(series, forecast), markup=False)


@app.command("datasets")
def datasets_command(json_output: JsonOutput = False) -> None:
    """List the embedded and synthetic datasets."""
    from lstmsizer.datasets import list_datasets

    table = list_datasets()
    if json_output:
        _print_json({"datasets": _records(table)})
        return
    rows = (tuple(str(v) for v in row) for row in table.itertuples(index=False))
    console.print(_table("Datasets", ("name", "kind", "length", "description"), rows, "length"))


def _load(
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


def _table(title: str, columns: Sequence[str], rows: Iterable[Sequence[str]], *right: str) -> Table:
    """A Rich table of plain text (no markup), with the named columns right-aligned."""
    table = Table(title=title, title_justify="left")
    for name in columns:
        table.add_column(name, justify="right" if name in right else "left")
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    return table


def _render_explanation(e: Explanation) -> None:
    shapes = []
    for t in e.tensors:
        if t.step is not None and e.lags > 3 and 1 < t.step < e.lags:
            if t.step == 2 and t.name.startswith("h"):
                shapes.append((t.layer, "…", "", f"the same for lag steps 2 to {e.lags - 1}"))
            continue
        shapes.append((t.layer, t.name, _shape(t.shape), t.description))
    title = f"Tensors (B = batch of {e.batch_size})"
    console.print(_table(title, ("layer", "tensor", "shape", "what it holds"), shapes))
    params = [(p.name, p.formula, p.torch_formula) for p in e.parameters]
    params.append(("total", f"{e.keras_parameters:,}", f"{e.torch_parameters:,}"))
    console.print(_table("Parameters", ("layer", "Keras", "PyTorch"), params))
    b = e.batch_size
    costs = [
        ("forward FLOPs per window", f"{e.flops_forward:,}", e.flops_formula),
        ("training FLOPs per window", f"{e.flops_training:,}", "about 3 × forward"),
        (f"training FLOPs per batch of {b}", f"{e.flops_training * b:,}", f"{b} × per window"),
        (
            f"activations kept for backward, batch of {b}",
            _bytes(e.activation_bytes),
            e.activation_formula,
        ),
        (
            "weights, gradients, Adam's 2 moments",
            _bytes(e.training_state_bytes),
            f"4 copies × {e.keras_parameters:,} × 4 bytes",
        ),
    ]
    console.print(_table("Compute and memory (float32)", ("", "amount", "how"), costs, "amount"))
    console.print()
    console.print(e.summary, markup=False)


def _render_fit(result: FitResult, saved: str | None, fill: str | None) -> None:
    split, table = result.split, result.table
    if split.val_origins.size:
        metrics = [_column(table[name]) for name in ("mae", "rmse", "mase", "smape")]
        params = ["" if _missing(v) else f"{int(v):,}" for v in table["parameters"]]
        seconds = [f"{v:.2f}" for v in table["seconds"]]
        rows = zip(table["model"].astype(str), *metrics, params, seconds, strict=True)
        head = ("model", "MAE", "RMSE", "MASE", "sMAPE %", "parameters", "seconds")
        h = split.horizon
        title = (
            f"Validation: {split.val_origins.size} forecasts of {h} step{'s' * (h > 1)}, "
            "sorted by RMSE"
        )
        console.print(_table(title, head, rows, *head[1:]))
    else:
        console.print("No validation (--val-fraction 0): trained on all values, nothing scored.")
    console.print(_data_line(result.dataset, split, fill), markup=False)
    console.print(_forecast_line(result.dataset, result.forecast), markup=False)
    if saved is not None:
        console.print(f"Model saved to {saved}", markup=False)


def _fit_payload(result: FitResult, saved: str | None, fill: str | None) -> dict[str, Any]:
    forecaster = result.forecaster
    specs: dict[str, Any] = {
        "window": forecaster.window,
        "model": forecaster.model,
        "train": forecaster.train,
    }
    return {
        "model": forecaster.name,
        "data": _data_facts(result.dataset, result.split, fill),
        "validated": bool(result.split.val_origins.size),
        "table": _records(result.table) if result.split.val_origins.size else [],
        "forecast": result.forecast.tolist(),
        "specs": {k: dataclasses.asdict(v) for k, v in specs.items()},
        "epochs_run": forecaster.history_.epochs if forecaster.history_ else 0,
        "saved": saved,
    }


def _data_facts(series: Dataset, split: Split | None, fill: str | None) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "name": series.name,
        "description": series.description,
        "source": series.source,
        "target": series.target,
        "features": list(series.feature_names),
        "length": len(series),
        "filled": series.filled,
        "fill": fill,
        "end": None if series.time is None else str(series.time[-1]),
    }
    if split is not None:
        facts.update(train=split.train_end, validation=split.n - split.train_end)
    return facts


def _data_line(series: Dataset, split: Split | None, fill: str | None) -> str:
    extra = f" with features {', '.join(series.feature_names)}" if series.feature_names else ""
    line = f"Data: {series.name} ({series.description}), {len(series)} values{extra}"
    if split is not None and split.train_end < split.n:
        line += f"; trained on the first {split.train_end}, validated on the last "
        line += f"{split.n - split.train_end}"
    if series.filled:
        n, plural = series.filled, "s" * (series.filled != 1)
        done = (
            f"row{plural} dropped" if fill == "drop" else f"missing value{plural} filled ({fill})"
        )
        line += f"; {n} {done}"
    return line + "."


def _forecast_line(series: Dataset, forecast: np.ndarray) -> str:
    end = series.time
    after = "" if end is None else f" after {_when(end[-1], series.frequency)}"
    values = ", ".join(f"{v:.6g}" for v in forecast)
    count = "value" if forecast.size == 1 else f"{forecast.size} values"
    return f"Forecast of the next {count}{after}: {values}"


def _when(stamp: Any, freq: str | None) -> str:
    """A time stamp as precise as the data's frequency: 2008 for yearly data."""
    if not hasattr(stamp, "strftime"):
        return str(stamp)
    if (freq or "").startswith(("Y", "A")):
        return str(stamp.year)
    if (freq or "").startswith("M"):
        return str(stamp.strftime("%Y-%m"))
    return str(stamp.date() if stamp == stamp.normalize() else stamp)


def _shape(shape: Sequence[int | str]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _bytes(n: int) -> str:
    size, unit = float(n), "bytes"
    for bigger in ("KiB", "MiB", "GiB"):
        if size < 1024:
            break
        size, unit = size / 1024, bigger
    return f"{n:,} bytes" if unit == "bytes" else f"{size:.3g} {unit} ({n:,} bytes)"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _column(values: pd.Series) -> list[str]:
    """One number of decimals per column: four significant digits on its largest value."""
    finite = np.abs(values.to_numpy(dtype=np.float64))
    finite = finite[np.isfinite(finite)]
    top = float(finite.max()) if finite.size else 0.0
    decimals = min(6, max(0, 3 - math.floor(math.log10(top)))) if top > 0 else 0
    return ["-" if _missing(v) else f"{v:,.{decimals}f}" for v in values]


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame rows as JSON-ready dicts, NaN as null."""
    return [{str(k): _jsonable(v) for k, v in row.items()} for row in table.to_dict("records")]


def _jsonable(value: Any) -> Any:
    """Plain Python values for json.dumps: numpy scalars unwrapped, NaN and inf as None."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _print_json(payload: dict[str, Any]) -> None:
    print(json.dumps(_jsonable(payload), allow_nan=False))


def main() -> None:
    """Run the command line: a user error prints one line and exits 2, Ctrl-C exits 130."""
    try:
        app()
    except LstmsizerError as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:  # outside a command, e.g. while importing torch
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except SystemExit as exc:
        if exc.code == 130:  # Click turns a KeyboardInterrupt inside a command into exit 130
            print("interrupted", file=sys.stderr)
        raise
