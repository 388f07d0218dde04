"""Commands that explain a size: the forum claims measured, and diagnostics."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, cast

import typer

from lstmsizer.cli.app import app
from lstmsizer.cli.options import (
    DataArgument,
    DataOptions,
    JsonOutput,
    Lags,
    Progress,
    console,
    grouped,
    option,
)
from lstmsizer.cli.render import print_json, table, write_json
from lstmsizer.config import DEFAULT_LAGS, SplitSpec
from lstmsizer.errors import OptionError
from lstmsizer.sweepspec import FoldSpec, SweepSpec

if TYPE_CHECKING:
    from lstmsizer.claims import ClaimsResult
    from lstmsizer.diagnostics import ModelDiagnostics, RunDiagnostics


@app.command("claims")
@grouped
def claims_command(
    data: DataArgument = None,
    *,
    source: DataOptions,
    lags: Lags = DEFAULT_LAGS,
    quick: Annotated[
        bool,
        option(
            "Small experiments (minutes) or the claims at their own sizes (much longer).",
            "--quick",
            "--quick/--full",
        ),
    ] = True,
    seed: Annotated[int, option("Seed of every training and synthetic series.")] = SweepSpec.seed,
    align: Annotated[
        Literal["time", "end"],
        option(
            "Panels: cut every series' folds at common time points (time), or at the same "
            "distance from each series' end (end)."
        ),
    ] = cast(Literal["time", "end"], FoldSpec.align),
    drop_short: Annotated[
        bool, option("Panels: leave out series shorter than lags + horizon, named.", "fail")
    ] = False,
    json_output: JsonOutput = False,
    out: Annotated[
        str | None,
        option(
            "Also write the JSON here: a file, or a run folder (writes its claims.json).",
            "no file",
        ),
    ] = None,
    progress: Progress = None,
) -> None:
    """Check the forum claims about LSTM sizes with small experiments on this data and machine."""
    from lstmsizer.claims import CLAIMS_FILE, run_claims

    series = source.load(data)
    result = run_claims(
        series,
        lags=lags,
        seed=seed,
        quick=quick,
        progress=progress,
        align=align,
        drop_short=drop_short,
    )
    payload = result.to_dict()
    written = None
    if out is not None:
        target = Path(out) / CLAIMS_FILE if Path(out).is_dir() else Path(out)
        write_json(target, payload)
        written = str(target)
    if json_output:
        print_json(payload)
        return
    _render_claims(result, written)


RunOrData = Annotated[
    str | None,
    typer.Argument(
        metavar="[RUN_DIR|DATA]",
        help="A sweep's run folder; with --model, the data file instead.",
        show_default="with --model, the sunspots dataset",
    ),
]


@app.command("diagnose")
@grouped
def diagnose_command(
    path: RunOrData = None,
    *,
    model: Annotated[
        str | None, option("A model file from `lstmsizer fit --save`, instead of RUN_DIR.")
    ] = None,
    source: DataOptions,
    val_fraction: Annotated[
        float, option("With --model: share at the end whose windows are diagnosed.")
    ] = SplitSpec.val_fraction,
    sizes: Annotated[
        int | None, option("With RUN_DIR: configurations retrained and diagnosed.", "3")
    ] = None,
    json_output: JsonOutput = False,
    progress: Progress = None,
) -> None:
    """Why this size: units used, removable units, gradients across the lags, deep vs wide."""
    if model is None:
        found = _diagnose_run(path, source, sizes, progress)
        if json_output:
            print_json(found.to_dict())
        else:
            _render_run(found)
        return
    if path is not None and Path(path).is_dir():
        raise OptionError(f"give RUN_DIR or --model, not both; got RUN_DIR {path!r} and --model")
    if sizes is not None:
        raise OptionError(f"--sizes applies to RUN_DIR, not to --model; got --sizes {sizes}")
    one = _diagnose_model(model, path, source, val_fraction)
    if json_output:
        print_json(one.to_dict())
    else:
        _render_model(one, model)


def _diagnose_run(
    path: str | None, source: DataOptions, sizes: int | None, progress: bool | None
) -> RunDiagnostics:
    from lstmsizer.diagnostics import ReadOptions, diagnose_run

    if path is None:
        raise OptionError("diagnose needs RUN_DIR (a sweep's run folder) or --model FILE")
    named = [given for given in source.given() if given in ("--dataset", "--features")]
    if named:
        raise OptionError(
            f"{', '.join(named)}: with RUN_DIR {path!r} its own data are read again; only "
            "--id-column, --wide, --time-column, --column and --fill apply, saying how its "
            "file is read"
        )
    read = ReadOptions(
        source.id_column, source.wide, source.time_column, source.column, source.fill
    )
    return diagnose_run(path, sizes=3 if sizes is None else sizes, progress=progress, read=read)


def _diagnose_model(
    model: str, data: str | None, source: DataOptions, val_fraction: float
) -> ModelDiagnostics:
    from lstmsizer.diagnostics import Probe, diagnose_model
    from lstmsizer.forecaster import LSTMForecaster
    from lstmsizer.panel import Panel
    from lstmsizer.panelsplits import panel_train_val_split
    from lstmsizer.splits import train_val_split

    ok = 0 < val_fraction < 1
    if not ok:
        raise OptionError(f"val_fraction must be in (0, 1) to diagnose, got {val_fraction!r}")
    forecaster = LSTMForecaster.load(model)
    series = source.load(data)
    if isinstance(series, Panel):  # every series' last share, windows inside each series
        split = panel_train_val_split(series, forecaster.window, val_fraction)
        return diagnose_model(Probe(forecaster, series, split.val_origins), at_init=True)
    origins = train_val_split(len(series), forecaster.window, val_fraction).val_origins
    X = series.features if series.features.shape[1] else None
    return diagnose_model(Probe(forecaster, series.values, origins, X), at_init=True)


def _g(value: float | None, spec: str = ".3g") -> str:
    return "-" if value is None or not math.isfinite(value) else format(value, spec)


def _render_claims(result: ClaimsResult, written: str | None) -> None:
    rows = (
        (c.claim + (f" ({c.tested})" if c.tested else ""), c.verdict, c.figure, c.threshold)
        for c in result.claims
    )
    many = "" if result.series is None else f"{result.series} series, "
    title = (
        f"Forum claims, measured on {result.dataset} ({many}{result.lags} lags, seed {result.seed})"
    )
    head = ("claim", "verdict", "figure and its interval", "the claim needs")
    console.print(table(title, head, rows))
    for c in result.claims:
        console.print(f"- {c.claim}: {c.evidence}", markup=False, soft_wrap=True)
    env = result.environment
    preset = "quick" if result.quick else "full"
    console.print(
        f"Measured in {result.seconds:.1f} s ({preset} settings) on {env.get('cpu')}, "
        f"lstmsizer {env.get('lstmsizer')}, torch {env.get('torch')}.",
        markup=False,
    )
    if written is not None:
        console.print(f"Written to {written}", markup=False, soft_wrap=True)


def _render_run(found: RunDiagnostics) -> None:
    head: tuple[str, ...] = ("config", "units", "used", "dims", "RMSE")
    head += ("sweep RMSE", "grad init", "grad trained")
    rows: list[tuple[str, ...]] = []
    for size, pr in zip(found.sizes, found.participation, strict=True):
        d = size.diagnostics
        init = d.gradients_init.saliency_ratio if d.gradients_init else None
        name = size.config + (" *" if size.recommended else "")
        numbers = (_g(pr, ".1f"), _g(d.rmse, ".4g"), _g(size.sweep_rmse, ".4g"), _g(init))
        used = (str(d.ablation.units), str(d.ablation.used))
        rows.append((name, *used, *numbers, _g(d.gradients.saliency_ratio)))
    title = f"{found.dataset}: sizes retrained on the last fold ({found.train_end} values)"
    from lstmsizer.diagnostics import PanelRunDiagnostics

    panel = found.panel if isinstance(found, PanelRunDiagnostics) else None
    if panel is not None:
        title = (
            f"{found.dataset}: one global model per size, retrained on the last fold "
            f"({panel.active} of {panel.series} series, {panel.train_values:,} training values, "
            f"{panel.windows:,} validation windows)"
        )
    sizes = table(title, head, rows, *head[1:])
    sizes.columns[0].no_wrap = True  # narrow terminals wrap the headers, not the ids
    console.print(sizes)
    console.print(
        "* recommended. used: units the forecast cannot lose (1% RMSE); dims: participation "
        "ratio, the dimensions the state uses; grad: input saliency, oldest over newest lag.",
        markup=False,
    )
    if panel is not None:
        console.print(f"Panel: {panel.basis}.", markup=False, soft_wrap=True)
    for size in found.sizes:
        statement = f"{size.diagnostics.model}: {size.diagnostics.ablation.statement}."
        console.print(statement, markup=False)
        norms = size.gradient_norms
        flagged = ", ".join(f"{e.layer} epoch {e.epoch}" for e in norms.explosions)
        console.print(
            f"  gradient norms over {len(norms.epochs)} epochs: "
            + (f"exploding at {flagged}" if flagged else "no exploding layer"),
            markup=False,
        )
    pairs = found.deep_vs_wide.pairs
    if not pairs:
        console.print("Deep vs wide: no stacked configuration in this sweep.", markup=False)
    for p in pairs:
        console.print(
            f"Deep vs wide: {p.deep_config} ({p.deep_parameters:,} parameters) RMSE "
            f"{_g(p.deep_mean_rmse, '.4g')} ± {_g(p.deep_se_rmse, '.2g')} vs {p.wide_config} "
            f"({p.wide_parameters:,}) {_g(p.wide_mean_rmse, '.4g')} ± "
            f"{_g(p.wide_se_rmse, '.2g')}: {p.verdict}",
            markup=False,
        )
    from lstmsizer.rundir.files import DIAGNOSTICS_FILE

    written = Path(found.run_dir) / DIAGNOSTICS_FILE
    console.print(f"Written to {written}", markup=False, soft_wrap=True)


def _render_model(found: ModelDiagnostics, model: str) -> None:
    console.print(
        f"Model: {found.model} from {model}, {found.parameters:,} parameters, {found.lags} lags; "
        f"RMSE {_g(found.rmse, '.4g')} on {found.ablation.windows} validation windows.",
        markup=False,
    )
    head = ("layer", "units", "participation", "90% var", "99% var", "dead", "saturated")
    rows = (
        (
            *(str(c.layer), str(c.units), _g(c.participation_ratio, ".1f")),
            *(str(c.components_90), str(c.components_99)),
            *(str(len(c.dead_units)), str(len(c.saturated_units))),
        )
        for c in found.capacity.layers
    )
    console.print(table("Hidden state used (final states over the windows)", head, rows, *head))
    console.print(f"{found.ablation.statement}.", markup=False)
    init = found.gradients_init.saliency_ratio if found.gradients_init else None
    console.print(
        f"Input saliency, oldest over newest lag: {_g(init)} at initialisation, "
        f"{_g(found.gradients.saliency_ratio)} trained (far below 1: old inputs are ignored).",
        markup=False,
    )
