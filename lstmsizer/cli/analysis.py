"""Commands that explain a size: speed versus units on this machine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from lstmsizer.cli.app import app
from lstmsizer.cli.options import BatchSize, Lags, Progress, console
from lstmsizer.cli.render import print_json, table
from lstmsizer.errors import OptionError


def ints(argument: str, text: str) -> tuple[int, ...]:
    """Comma-separated integers, or an OptionError naming the argument."""
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise OptionError(f"{argument} must be comma-separated integers, got {text!r}") from None


@app.command("speed")
def speed_command(
    units: Annotated[
        str, typer.Option(help="Widths to time, comma separated.")
    ] = "8,16,32,64,96,100,127,128,129,192,255,256,384,512",
    lags: Lags = 12,
    features: Annotated[int, typer.Option(help="Inputs per time step.")] = 1,
    batch_size: BatchSize = 32,
    cell: Annotated[str, typer.Option(help="Recurrent cell: lstm, gru or rnn.")] = "lstm",
    layers: Annotated[int, typer.Option(help="Stacked recurrent layers.")] = 1,
    activation: Annotated[str, typer.Option(help="Cell activation (Keras meaning).")] = "tanh",
    device: Annotated[
        str | None, typer.Option(help="cpu or cuda.", show_default="cuda when present")
    ] = None,
    threads: Annotated[
        int | None, typer.Option(help="torch threads.", show_default="1, measured best")
    ] = None,
    repeats: Annotated[int, typer.Option(help="Timed training steps per size.")] = 20,
    warmup: Annotated[int, typer.Option(help="Untimed steps per size first.")] = 3,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print one JSON object.", show_default="off")
    ] = False,
    out: Annotated[
        str | None,
        typer.Option(help="Also write the result to this JSON file.", show_default="no file"),
    ] = None,
    progress: Progress = None,
) -> None:
    """Time a training step per unit count here; are multiples of 8 or 32 faster?"""
    from lstmsizer.speed import measure_speed

    result = measure_speed(
        ints("units", units),
        lags=lags,
        features=features,
        batch_size=batch_size,
        cell=cell,
        layers=layers,
        activation=activation,
        device=device,
        threads=threads,
        repeats=repeats,
        warmup=warmup,
        progress=progress,
    )
    payload = result.to_dict()
    if out is not None:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(payload, indent=2))
    if json_output:
        print_json(payload)
        return
    rows = (
        (
            str(r.units),
            f"{r.parameters:,}",
            f"{r.step_ms:.3f}",
            f"{r.samples_per_s:,.0f}",
            f"{r.gflops:.2f}",
        )
        for r in result.rows
    )
    head = ("units", "parameters", "step ms", "samples/s", "GFLOP/s")
    title = (
        f"Training step on {result.device_name} ({result.device}, {result.threads} thread(s)), "
        f"batch {result.batch_size}, {result.lags} lags"
    )
    console.print(table(title, head, rows, *head))
    console.print(f"Matrix-multiply peak here: {result.matmul_gflops:.1f} GFLOP/s", markup=False)
    for c in result.comparisons:
        console.print(
            f"{c['b']} vs {c['a']} units: {c['time_ratio']:.2f}x the time, "
            f"{c['time_per_flop_ratio']:.2f}x per FLOP",
            markup=False,
        )
    console.print(result.verdict, markup=False)
