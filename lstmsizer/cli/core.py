"""The textbook commands: fit, predict and datasets."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer

from lstmsizer.cli.app import app
from lstmsizer.cli.options import (
    Activation,
    BatchSize,
    CellOption,
    DataArgument,
    DataOptions,
    Dropout,
    Horizon,
    JsonOutput,
    Lags,
    Layers,
    Progress,
    Steps,
    Threads,
    Units,
    console,
    grouped,
    option,
)
from lstmsizer.cli.render import column, missing, print_json, records, table
from lstmsizer.config import (
    DEFAULT_LAGS,
    FIT_UNITS,
    Init,
    Loss,
    ModelSpec,
    Scaling,
    SplitSpec,
    TrainSpec,
    WindowSpec,
    spec_from,
)
from lstmsizer.errors import OptionError

PrecisionOption = Annotated[
    str,
    option(
        "Training precision: auto, fp32 or bf16. auto trains in bf16 autocast only where this "
        "device computes bf16 natively and bf16 measured faster at this size "
        "(lstmsizer.precision; on CUDA none is recorded yet), else fp32; bf16 forces it, "
        "emulated and slow without native bf16."
    ),
]

SeriesIds = Annotated[
    str | None,
    option(
        "Ids of a panel's series to forecast, comma separated: A,B.", "every series", "--series"
    ),
]

if TYPE_CHECKING:
    from lstmsizer.contract import Forecaster
    from lstmsizer.datasets import Dataset
    from lstmsizer.evaluation import FitResult
    from lstmsizer.splits import Split


@dataclass(frozen=True)
class FitOptions:
    """The options that make fit's WindowSpec, ModelSpec, TrainSpec and SplitSpec."""

    lags: Lags = DEFAULT_LAGS
    horizon: Horizon = WindowSpec.horizon
    units: Units = FIT_UNITS
    layers: Layers = ModelSpec.layers
    cell: CellOption = ModelSpec.cell
    activation: Activation = ModelSpec.activation
    dropout: Dropout = ModelSpec.dropout
    init: Annotated[Init, option("Weight initialisation scheme.")] = ModelSpec.init
    epochs: Annotated[int, option("Maximum passes over the training windows.")] = TrainSpec.epochs
    batch_size: BatchSize = TrainSpec.batch_size
    lr: Annotated[float, option("Adam learning rate.")] = TrainSpec.lr
    loss: Annotated[Loss, option("Training loss.")] = TrainSpec.loss
    val_fraction: Annotated[
        float, option("Share of values held out at the end; 0 trains on all.")
    ] = SplitSpec.val_fraction
    patience: Annotated[
        int | None,
        option(
            "Stop after this many epochs without improvement on a block carved from the end "
            "of the training part (never fitted; the validation part is only scored).",
            "off",
        ),
    ] = TrainSpec.patience
    min_epochs: Annotated[
        int, option("Warm-up epochs before early stopping or an lr cut may fire.")
    ] = TrainSpec.min_epochs
    lr_patience: Annotated[
        int | None, option("Halve the lr after this many epochs without improvement.", "off")
    ] = TrainSpec.lr_patience
    restarts: Annotated[
        int, option("Fresh starts for a run stuck at a constant forecast (needs --patience).")
    ] = TrainSpec.restarts
    seed: Annotated[int, option("Seed of initialisation and shuffling.")] = TrainSpec.seed
    threads: Threads = TrainSpec.threads
    precision: PrecisionOption = TrainSpec.precision
    scaling: Annotated[Scaling, option("Scaler fitted on the training part.")] = SplitSpec.scaling
    id_embedding: Annotated[
        int,
        option("Panels: the series id as a learned embedding of this many numbers (0: none)."),
    ] = ModelSpec.id_embedding
    drop_short: Annotated[
        bool, option("Panels: leave out series shorter than lags + horizon, named.", "fail")
    ] = False

    def specs(self, progress: bool | None) -> tuple[WindowSpec, ModelSpec, TrainSpec, SplitSpec]:
        """The four specs fit_and_score takes, each checked as it is made."""
        window = spec_from(WindowSpec, self)
        model = spec_from(ModelSpec, self)
        train = spec_from(TrainSpec, self, progress=progress)
        split = spec_from(SplitSpec, self)
        return window, model, train, split


@app.command("fit")
@grouped
def fit_command(
    data: DataArgument = None,
    *,
    source: DataOptions,
    options: FitOptions,
    steps: Steps = None,
    save: Annotated[str | None, option("Write the trained model to this file.", "no")] = None,
    json_output: JsonOutput = False,
    progress: Progress = None,
) -> None:
    """Train one configuration and score it against the baselines on held-out data."""
    from lstmsizer.evaluation import FitResult
    from lstmsizer.fitting import fit

    window, model, train, split = options.specs(progress)
    series = source.load(data)
    # without a validation part there is nothing to score the baselines on
    baselines: list[Forecaster] | None = None if split.val_fraction > 0 else []
    result = fit(
        series, window, model, train, split, steps=steps, baselines=baselines,
        drop_short=options.drop_short,
    )  # fmt: skip
    saved = None if save is None else str(result.forecaster.save(save))
    if not isinstance(result, FitResult):
        from lstmsizer.cli import panelrender

        if json_output:
            print_json(panelrender.fit_payload(result, saved, source.fill))
        else:
            panelrender.render_fit(result, saved, source.fill)
        return
    if json_output:
        print_json(_fit_payload(result, saved, source.fill))
        return
    _render_fit(result, saved, source.fill)


@app.command("predict")
@grouped
def predict_command(
    model: Annotated[str, typer.Argument(help="Model file written by `lstmsizer fit --save`.")],
    data: DataArgument = None,
    *,
    source: DataOptions,
    steps: Steps = None,
    series_ids: SeriesIds = None,
    json_output: JsonOutput = False,
) -> None:
    """Forecast the next values after the end of the data with a saved model."""
    from lstmsizer.cli.panelrender import predict_panel
    from lstmsizer.forecaster import LSTMForecaster
    from lstmsizer.panel import Panel
    from lstmsizer.panelfit import check_model_data

    forecaster = LSTMForecaster.load(model)
    series = source.load(data)
    check_model_data(forecaster, series)
    if isinstance(series, Panel):
        predict_panel(model, forecaster, series, steps, series_ids, json_output)
        return
    if series_ids is not None:
        raise OptionError(f"--series applies to a panel model, got --series {series_ids!r}")
    extra = series.features if series.features.shape[1] else None
    forecast = forecaster.forecast(series.values, steps, extra)
    if json_output:
        payload = {"model": model, "name": forecaster.name, "forecast": forecast.tolist()}
        print_json({**payload, "data": _data_facts(series, None, source.fill)})
        return
    console.print(f"Model: {forecaster.name} from {model}", markup=False)
    console.print(_data_line(series, None, source.fill), markup=False)
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
