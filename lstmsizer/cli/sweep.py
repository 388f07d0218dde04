"""The sweep command: how many units, answered over seeds and folds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import typer

from lstmsizer.cli.analysis import ints
from lstmsizer.cli.app import app
from lstmsizer.cli.options import (
    Activation,
    BatchSize,
    DataArgument,
    DatasetOption,
    FeatureColumns,
    Fill,
    Horizon,
    JsonOutput,
    Lags,
    Progress,
    TimeColumn,
    console,
    load_data,
)
from lstmsizer.cli.render import column, print_json, records, table
from lstmsizer.errors import OptionError
from lstmsizer.sweep.plan import LR_CANDIDATES, SweepSpec

if TYPE_CHECKING:
    from lstmsizer.sweep import SweepResult

DEFAULT_UNITS = "1,2,4,8,16,32,64,100,128,256"
_DEFAULTS = SweepSpec()


def learning_rate(text: str) -> float | str:
    """--lr: "auto" or a positive number."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return float(text)
    except ValueError:
        raise OptionError(f'lr must be "auto" or a number > 0, got {text!r}') from None


@app.command("sweep")
def sweep_command(
    data: DataArgument = None,
    dataset: DatasetOption = None,
    column_name: Annotated[
        str | None,
        typer.Option(
            "--column", help="Target column of the file.", show_default="the only numeric column"
        ),
    ] = None,
    time_column: TimeColumn = None,
    features: FeatureColumns = None,
    fill: Fill = None,
    lags: Lags = 12,
    horizon: Horizon = 1,
    units: Annotated[str, typer.Option(help="Widths to try, comma separated.")] = DEFAULT_UNITS,
    layers: Annotated[str, typer.Option(help="Depths to try, comma separated.")] = "1,2",
    cell: Annotated[
        str, typer.Option(help="Cells to try, comma separated: lstm,gru,rnn.")
    ] = "lstm",
    activation: Activation = "tanh",
    seeds: Annotated[int, typer.Option(help="Seeds per configuration and fold.")] = 3,
    folds: Annotated[int, typer.Option(help="Rolling-origin folds (expanding window).")] = 3,
    test: Annotated[
        float, typer.Option(help="Final share scored once, never used to choose.")
    ] = 0.1,
    epochs: Annotated[
        int,
        typer.Option(help="Epoch cap per training; runs reaching it while improving are flagged."),
    ] = _DEFAULTS.epochs,
    patience: Annotated[
        int,
        typer.Option(
            help="Early-stopping patience in epochs, on a block carved from the end of each "
            "training part and never scored; 0 trains every epoch."
        ),
    ] = _DEFAULTS.patience or 0,
    min_epochs: Annotated[
        int, typer.Option(help="Warm-up epochs before early stopping or an lr cut may fire.")
    ] = _DEFAULTS.min_epochs,
    lr_patience: Annotated[
        int, typer.Option(help="Epochs without improvement before the lr is halved; 0: never.")
    ] = _DEFAULTS.lr_patience or 0,
    stop_fraction: Annotated[
        float, typer.Option(help="Share of each training part's windows held out for stopping.")
    ] = _DEFAULTS.stop_fraction,
    restarts: Annotated[
        int, typer.Option(help="Fresh starts for a run stuck at a constant forecast.")
    ] = _DEFAULTS.restarts,
    batch_size: BatchSize = 32,
    lr: Annotated[
        str,
        typer.Option(
            help="Adam learning rate, or auto: per configuration, the best of "
            f"{', '.join(f'{r:g}' for r in LR_CANDIDATES)} on the first fold's stopping block."
        ),
    ] = str(_DEFAULTS.lr),
    dropout: Annotated[float, typer.Option(help="Dropout between stacked layers.")] = 0.0,
    search: Annotated[
        Literal["grid", "tpe"],
        typer.Option(help="grid: every configuration; tpe: Optuna's TPE over a wider space."),
    ] = "grid",
    trials: Annotated[int, typer.Option(help="Configurations tried by --search tpe.")] = 30,
    seed: Annotated[int, typer.Option(help="First seed; the others follow it.")] = 0,
    storage: Annotated[
        str | None,
        typer.Option(
            help="Optuna storage: postgresql://... to share a study among machines.",
            show_default="a journal file in the run folder",
            envvar="LSTMSIZER_STORAGE",
        ),
    ] = None,
    study: Annotated[
        str | None, typer.Option(help="Study name.", show_default="<data>-lags<L>-h<H>")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Local worker processes.", show_default="the cores")
    ] = None,
    out: Annotated[
        str | None, typer.Option(help="Run folder.", show_default="lstmsizer-runs/<study>")
    ] = None,
    json_output: JsonOutput = False,
    progress: Progress = None,
) -> None:
    """Sweep units x layers x cells over seeds and folds; recommend a size or a baseline.

    Re-running the same command resumes: finished configurations are never trained again.
    Two commands on one --out share the work; each writes results once every configuration
    has settled, waiting for those the other is still training.
    """
    from lstmsizer.sweep import sweep

    spec = SweepSpec(
        lags=lags,
        horizon=horizon,
        units=ints("units", units),
        layers=ints("layers", layers),
        cells=tuple(c.strip() for c in cell.split(",") if c.strip()),
        activation=activation,
        seeds=seeds,
        folds=folds,
        test_fraction=test,
        epochs=epochs,
        patience=patience or None,
        min_epochs=min_epochs,
        lr_patience=lr_patience or None,
        stop_fraction=stop_fraction,
        restarts=restarts,
        batch_size=batch_size,
        lr=learning_rate(lr),
        dropout=dropout,
        search=search,
        trials=trials,
        seed=seed,
    )
    series = load_data(data, dataset, column_name, time_column, features, fill)
    result = sweep(
        series,
        spec=spec,
        out=out,
        storage=storage,
        study=study,
        workers=workers,
        progress=progress,
    )
    from lstmsizer.report import build_report

    report = build_report(result.run_dir)
    if json_output:
        rec = result.recommendation.to_dict()
        print_json(
            {
                "run_dir": str(result.run_dir),
                "report": str(report),
                "recommendation": rec,
                "table": records(result.table),
                "baselines": records(result.baselines),
                "test": records(result.test),
                "info": result.info,
            }
        )
        return
    _render(result)
    console.print(f"Report: {report}", markup=False, soft_wrap=True)


def _render(result: SweepResult) -> None:
    t = result.table
    paired = ["-"] * len(t)  # tables from before the paired rule lack the columns
    if "paired_diff" in t and "paired_se" in t:
        diff, se = column(t["paired_diff"]), column(t["paired_se"])
        paired = ["-" if d == "-" else f"{d} ± {s}" for d, s in zip(diff, se, strict=True)]
    rows = zip(
        t["config"].astype(str),
        [f"{int(p):,}" for p in t["parameters"]],
        [f"{m} ± {s}" for m, s in zip(column(t["mean_rmse"]), column(t["se_rmse"]), strict=True)],
        paired,
        column(t["mean_train_loss"]),
        [f"{e:.0f}" for e in t["mean_epochs"]],
        [f"{s:.1f}" for s in t["seconds"]],
        strict=True,
    )
    head = (
        "configuration", "parameters", "RMSE ± SE", "paired Δ ± SE", "train loss", "epochs",
        "seconds",
    )  # fmt: skip
    console.print(table("Validation over seeds x folds", head, rows, *head[1:]))
    b = result.baselines
    brow = zip(
        b["model"].astype(str),
        [f"{m} ± {s}" for m, s in zip(column(b["mean_rmse"]), column(b["se_rmse"]), strict=True)],
        strict=True,
    )
    console.print(
        table("Baselines on the same folds", ("baseline", "RMSE ± SE"), brow, "RMSE ± SE")
    )
    rec = result.recommendation
    console.print(f"\n{rec.verdict}\n", markup=False, soft_wrap=True)
    if len(result.test):
        tt = result.test
        trow = zip(tt["model"].astype(str), column(tt["rmse"]), column(tt["mae"]), strict=True)
        title = "Final test share (never used to choose)"
        console.print(table(title, ("model", "RMSE", "MAE"), trow, "RMSE", "MAE"))
    console.print("Keras:\n" + rec.keras_code, markup=False, soft_wrap=True)
    console.print("PyTorch:\n" + rec.pytorch_code, markup=False, soft_wrap=True)
    console.print(f"Results in {result.run_dir} (model.pt for `lstmsizer predict`).", markup=False)
