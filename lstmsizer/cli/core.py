"""The textbook commands: explain, fit, predict and datasets."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer

from lstmsizer.cli.app import app
from lstmsizer.cli.options import (
    Activation,
    BatchSize,
    CellOption,
    Column,
    DataArgument,
    DatasetOption,
    FeatureColumns,
    Fill,
    Horizon,
    JsonOutput,
    Lags,
    Layers,
    Progress,
    Steps,
    TimeColumn,
    Units,
    console,
    load_data,
)
from lstmsizer.cli.render import column, missing, print_json, records, table
from lstmsizer.config import Init, Loss, ModelSpec, Scaling, TrainSpec

if TYPE_CHECKING:
    from lstmsizer.contract import Forecaster
    from lstmsizer.datasets import Dataset
    from lstmsizer.evaluation import FitResult
    from lstmsizer.explain import Explanation
    from lstmsizer.splits import Split


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
        print_json(facts.to_dict())
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
    activation: Activation = "tanh",
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
        typer.Option(
            help="Stop after this many epochs without improvement on a block carved from the "
            "end of the training part (never fitted; the validation part is only scored).",
            show_default="off",
        ),
    ] = None,
    min_epochs: Annotated[
        int, typer.Option(help="Warm-up epochs before early stopping or an lr cut may fire.")
    ] = TrainSpec.min_epochs,
    lr_patience: Annotated[
        int | None,
        typer.Option(
            help="Halve the lr after this many epochs without improvement.", show_default="off"
        ),
    ] = TrainSpec.lr_patience,
    restarts: Annotated[
        int,
        typer.Option(
            help="Fresh starts for a run stuck at a constant forecast (needs --patience)."
        ),
    ] = TrainSpec.restarts,
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
    progress: Progress = None,
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
        min_epochs=min_epochs,
        lr_patience=lr_patience,
        restarts=restarts,
        seed=seed,
        threads=threads,
        progress=progress,
    )
    split = SplitSpec(val_fraction=val_fraction, scaling=scaling)
    series = load_data(data, dataset, column, time_column, features, fill)
    # without a validation part there is nothing to score the baselines on
    baselines: list[Forecaster] | None = None if val_fraction > 0 else []
    result = fit_and_score(series, window, model, train, split, steps=steps, baselines=baselines)
    saved = None if save is None else str(result.forecaster.save(save))
    if json_output:
        print_json(_fit_payload(result, saved, fill))
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
    series = load_data(data, dataset, column, time_column, features, fill)
    extra = series.features if series.features.shape[1] else None
    forecast = forecaster.forecast(series.values, steps, extra)
    if json_output:
        payload = {"model": model, "name": forecaster.name, "forecast": forecast.tolist()}
        print_json({**payload, "data": _data_facts(series, None, fill)})
        return
    console.print(f"Model: {forecaster.name} from {model}", markup=False)
    console.print(_data_line(series, None, fill), markup=False)
    console.print(_forecast_line(series, forecast), markup=False)


@app.command("datasets")
def datasets_command(json_output: JsonOutput = False) -> None:
    """List the embedded and synthetic datasets."""
    from lstmsizer.datasets import list_datasets

    frame = list_datasets()
    if json_output:
        print_json({"datasets": records(frame)})
        return
    rows = (tuple(str(v) for v in row) for row in frame.itertuples(index=False))
    console.print(table("Datasets", ("name", "kind", "length", "description"), rows, "length"))


def _render_explanation(e: Explanation) -> None:
    shapes = []
    for t in e.tensors:
        if t.step is not None and e.lags > 3 and 1 < t.step < e.lags:
            if t.step == 2 and t.name.startswith("h"):
                shapes.append((t.layer, "…", "", f"the same for lag steps 2 to {e.lags - 1}"))
            continue
        shapes.append((t.layer, t.name, _shape(t.shape), t.description))
    title = f"Tensors (B = batch of {e.batch_size})"
    console.print(table(title, ("layer", "tensor", "shape", "what it holds"), shapes))
    params = [(p.name, p.formula, p.torch_formula) for p in e.parameters]
    params.append(("total", f"{e.keras_parameters:,}", f"{e.torch_parameters:,}"))
    console.print(table("Parameters", ("layer", "Keras", "PyTorch"), params))
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
    console.print(table("Compute and memory (float32)", ("", "amount", "how"), costs, "amount"))
    console.print()
    console.print(e.summary, markup=False)


def _render_fit(result: FitResult, saved: str | None, fill: str | None) -> None:
    split, frame = result.split, result.table
    if split.val_origins.size:
        metrics = [column(frame[name]) for name in ("mae", "rmse", "mase", "smape")]
        params = ["" if missing(v) else f"{int(v):,}" for v in frame["parameters"]]
        seconds = [f"{v:.2f}" for v in frame["seconds"]]
        rows = zip(frame["model"].astype(str), *metrics, params, seconds, strict=True)
        head = ("model", "MAE", "RMSE", "MASE", "sMAPE %", "parameters", "seconds")
        h = split.horizon
        title = (
            f"Validation: {split.val_origins.size} forecasts of {h} step{'s' * (h > 1)}, "
            "sorted by RMSE"
        )
        console.print(table(title, head, rows, *head[1:]))
    else:
        console.print("No validation (--val-fraction 0): trained on all values, nothing scored.")
    console.print(_data_line(result.dataset, split, fill), markup=False)
    block = result.forecaster.stop_block_
    if block is not None and block.stop:
        console.print(
            f"Early stopping watched the last {block.stop} of the {block.train} training "
            "windows, which were not fitted; the validation part was only scored.",
            markup=False,
        )
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
        "table": records(result.table) if result.split.val_origins.size else [],
        "forecast": result.forecast.tolist(),
        "specs": {k: dataclasses.asdict(v) for k, v in specs.items()},
        "epochs_run": forecaster.history_.epochs if forecaster.history_ else 0,
        "stop_windows": forecaster.stop_block_.stop if forecaster.stop_block_ else 0,
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
