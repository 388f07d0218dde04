"""The sweep command: how many units, answered over seeds and folds."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, cast

from lstmsizer.cli.app import app
from lstmsizer.cli.core import PrecisionOption
from lstmsizer.cli.options import (
    Activation,
    BatchSize,
    DataArgument,
    DataOptions,
    Dropout,
    Horizon,
    JsonOutput,
    Lags,
    Progress,
    console,
    grouped,
    ints,
    option,
)
from lstmsizer.cli.render import column, print_json, records, table
from lstmsizer.config import Cell, WindowSpec, spec_from
from lstmsizer.errors import OptionError
from lstmsizer.sweepspec import (
    LR_CANDIDATES,
    FoldSpec,
    GridSpec,
    LayerSpec,
    ProtocolSpec,
    SearchSpec,
    SweepSpec,
)

if TYPE_CHECKING:
    from lstmsizer.sweeping import SweepResult

_RATES = ", ".join(f"{r:g}" for r in LR_CANDIDATES)
_STOP = "Early-stopping patience in epochs, on a block carved from the end of each training "
_STOP += "part and never scored; 0 trains every epoch."


def learning_rate(text: str) -> float | str:
    """--lr: "auto" or a positive number."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return float(text)
    except ValueError:
        raise OptionError(f'lr must be "auto" or a number > 0, got {text!r}') from None


@dataclass(frozen=True)
class SweepOptions:
    """The options that make the SweepSpec, with its defaults."""

    lags: Lags = SweepSpec.window.lags
    horizon: Horizon = SweepSpec.window.horizon
    units: Annotated[str, option("Widths to try, comma separated.")] = ",".join(
        str(u) for u in GridSpec.units
    )
    layers: Annotated[str, option("Depths to try, comma separated.")] = ",".join(
        str(n) for n in GridSpec.layers
    )
    cell: Annotated[str, option("Cells to try, comma separated: lstm,gru,rnn.")] = ",".join(
        GridSpec.cells
    )
    activation: Activation = LayerSpec.activation
    seeds: Annotated[int, option("Seeds per configuration and fold.")] = SweepSpec.seeds
    folds: Annotated[int, option("Rolling-origin folds (expanding window).")] = FoldSpec.folds
    test: Annotated[float, option("Final share scored once, never used to choose.")] = (
        FoldSpec.test_fraction
    )
    align: Annotated[
        Literal["time", "end"],
        option(
            "Panels: cut every series' folds at common time points (time), or at the same "
            "distance from each series' end (end)."
        ),
    ] = cast(Literal["time", "end"], FoldSpec.align)
    epochs: Annotated[
        int, option("Epoch cap per training; runs reaching it while improving are flagged.")
    ] = ProtocolSpec.epochs
    patience: Annotated[int, option(_STOP)] = ProtocolSpec.patience or 0
    min_epochs: Annotated[
        int, option("Warm-up epochs before early stopping or an lr cut may fire.")
    ] = ProtocolSpec.min_epochs
    lr_patience: Annotated[
        int, option("Epochs without improvement before the lr is halved; 0: never.")
    ] = ProtocolSpec.lr_patience or 0
    stop_fraction: Annotated[
        float, option("Share of each training part's windows held out for stopping.")
    ] = ProtocolSpec.stop_fraction
    restarts: Annotated[int, option("Fresh starts for a run stuck at a constant forecast.")] = (
        ProtocolSpec.restarts
    )
    batch_size: BatchSize = ProtocolSpec.batch_size
    lr: Annotated[
        str,
        option(
            f"Adam learning rate, or auto: per configuration, the best of {_RATES} on the "
            "first fold's stopping block."
        ),
    ] = str(ProtocolSpec.lr)
    precision: PrecisionOption = ProtocolSpec.precision
    batching: Annotated[
        Literal["auto", "off"],
        option(
            "auto: a configuration's seeds (and folds) train as one batched network where "
            "that measured faster on this device; off: one model at a time."
        ),
    ] = ProtocolSpec.batching
    dropout: Dropout = LayerSpec.dropout
    id_embedding: Annotated[
        int,
        option(
            "Panels: give the model each window's series id as a learned embedding of this "
            "many numbers (0: none); `lstmsizer explain` shows the parameters it adds."
        ),
    ] = LayerSpec.id_embedding
    drop_short: Annotated[
        bool, option("Panels: leave out series shorter than lags + horizon, named.", "fail")
    ] = False
    search: Annotated[
        Literal["grid", "tpe"],
        option("grid: every configuration; tpe: Optuna's TPE over a wider space."),
    ] = "grid"
    trials: Annotated[int, option("Configurations tried by --search tpe.")] = SearchSpec.trials
    race: Annotated[
        bool,
        option(
            "Grid: stop a configuration after a fold once it is far worse than the best "
            "finished one, paired over its cells; --no-race trains every fold of every one."
        ),
    ] = GridSpec.race
    seed: Annotated[int, option("First seed; the others follow it.")] = SweepSpec.seed

    def spec(self) -> SweepSpec:
        """The SweepSpec these options ask for; both searches are checked, one is kept."""
        window = WindowSpec(self.lags, self.horizon)
        cells = tuple(cast(Cell, c.strip()) for c in self.cell.split(",") if c.strip())
        units, layers = ints("units", self.units), ints("layers", self.layers)
        grid = GridSpec(units, layers, cells, race=self.race)
        tpe = SearchSpec(self.trials, cells)
        model = LayerSpec(self.activation, self.dropout, id_embedding=self.id_embedding)
        # 0 on the command line turns a patience off, which ProtocolSpec says with None
        off = {"patience": self.patience or None, "lr_patience": self.lr_patience or None}
        train = spec_from(ProtocolSpec, self, **off, lr=learning_rate(self.lr))
        split = FoldSpec(self.folds, self.test, align=self.align)
        space = grid if self.search == GridSpec.search else tpe
        return SweepSpec(window, space, model, train, split, self.seeds, self.seed)


Storage = Annotated[
    str | None,
    option(
        "Optuna storage: postgresql://... to share a study among machines.",
        "a journal file in the run folder",
        envvar="LSTMSIZER_STORAGE",
    ),
]
Study = Annotated[str | None, option("Study name.", "<data>-lags<L>-h<H>")]
Workers = Annotated[int | None, option("Local worker processes.", "the cores")]
Out = Annotated[str | None, option("Run folder.", "lstmsizer-runs/<study>")]


@app.command("sweep")
@grouped
def sweep_command(
    data: DataArgument = None,
    *,
    source: DataOptions,
    options: SweepOptions,
    storage: Storage = None,
    study: Study = None,
    workers: Workers = None,
    out: Out = None,
    json_output: JsonOutput = False,
    progress: Progress = None,
) -> None:
    """Sweep units x layers x cells over seeds and folds; recommend a size or a baseline.

    Re-running the same command resumes: finished configurations are never trained again.
    Two commands on one --out share the work; each writes results once every configuration
    has settled, waiting for those the other is still training.
    """
    from lstmsizer.sweeping import sweep

    spec = options.spec()
    series = source.load(data)
    result = sweep(
        series,
        spec,
        out=out,
        storage=storage,
        study=study,
        workers=workers,
        progress=progress,
        drop_short=options.drop_short,
    )
    from lstmsizer.report import build_report

    report = build_report(result.run_dir)
    if json_output:
        print_json(_payload(result, report))
        return
    _render(result)
    console.print(f"Report: {report}", markup=False, soft_wrap=True)


def _payload(result: SweepResult, report: Path) -> dict[str, object]:
    return {
        "run_dir": str(result.run_dir),
        "report": str(report),
        "recommendation": result.recommendation.to_dict(),
        "table": records(result.table),
        "baselines": records(result.baselines),
        "test": records(result.test),
        "info": result.info,
    }


def _render(result: SweepResult) -> None:
    from lstmsizer.report.results import raced_notes
    from lstmsizer.rundir import SummaryRow

    t = result.table
    data = result.info.get("data", {}).get("panel")
    if data is not None:
        cut = "at common time points" if data["align"] == "time" else "at the same distance "
        cut += "" if data["align"] == "time" else "from each series' end"
        console.print(
            f"A panel of {data['series']:,} series ({data['values']:,} values), one global "
            f"model; folds cut {cut}. "
            "RMSE and MAE are on each series' own scale (its training part's), pooled over "
            "every series; MASE is the mean over series.",
            markup=False,
            soft_wrap=True,
        )
        if data.get("filled"):
            from lstmsizer.cli.panelrender import filled_text

            console.print(f"Filled: {filled_text(data['filled'], None)}.", markup=False)
    paired = ["-"] * len(t)  # tables from before the paired rule lack the columns
    if "paired_diff" in t and "paired_se" in t:
        diff, se = column(t["paired_diff"]), column(t["paired_se"])
        paired = ["-" if d == "-" else f"{d} ± {s}" for d, s in zip(diff, se, strict=True)]
    rows_read = [{str(k): v for k, v in r.items()} for r in t.to_dict("records")]
    notes = raced_notes([SummaryRow.from_dict(r) for r in rows_read])
    paired = [notes.get(c, p) for c, p in zip(t["config"].astype(str), paired, strict=True)]
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
    panel = result.info.get("panel_verdict")
    if panel is not None:
        console.print(f"{panel['verdict']}\n", markup=False, soft_wrap=True)
    if len(result.test):
        tt = result.test
        trow = zip(tt["model"].astype(str), column(tt["rmse"]), column(tt["mae"]), strict=True)
        title = "Final test share (never used to choose)"
        if panel is None:
            console.print(table(title, ("model", "RMSE", "MAE"), trow, "RMSE", "MAE"))
        else:
            mase = column(tt["mase"])
            trow3 = ((*r, m) for r, m in zip(trow, mase, strict=True))
            head3 = ("model", "RMSE (scaled)", "MAE (scaled)", "mean MASE")
            console.print(table(title, head3, trow3, *head3[1:]))
    console.print("Keras:\n" + rec.keras_code, markup=False, soft_wrap=True)
    console.print("PyTorch:\n" + rec.pytorch_code, markup=False, soft_wrap=True)
    console.print(f"Results in {result.run_dir} (model.pt for `lstmsizer predict`).", markup=False)
