"""The speed command: a training step timed per unit count on this machine."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from lstmsizer.cli.app import app
from lstmsizer.cli.options import (
    BatchSize,
    Lags,
    Layers,
    Progress,
    Threads,
    console,
    grouped,
    ints,
    option,
)
from lstmsizer.cli.render import print_json, table, write_json
from lstmsizer.config import DEFAULT_LAGS, SPEED_UNITS, ModelSpec, TrainSpec

if TYPE_CHECKING:
    from lstmsizer.speed import SpeedResult


@dataclass(frozen=True)
class SpeedOptions:
    """What measure_speed times: the sizes, the window, the cell and the machine's settings."""

    units: Annotated[str, option("Widths to time, comma separated.")] = ",".join(
        map(str, SPEED_UNITS)
    )
    lags: Lags = DEFAULT_LAGS
    features: Annotated[int, option("Inputs per time step.")] = 1
    batch_size: BatchSize = TrainSpec.batch_size
    cell: Annotated[str, option("Recurrent cell: lstm, gru or rnn.")] = ModelSpec.cell
    layers: Layers = ModelSpec.layers
    activation: Annotated[str, option("Cell activation (Keras meaning).")] = ModelSpec.activation
    device: Annotated[str | None, option("cpu or cuda.", "cuda when present")] = None
    threads: Threads = TrainSpec.threads
    repeats: Annotated[int, option("Timed training steps per size in each block.")] = 20
    warmup: Annotated[int, option("Untimed steps per size at the start of each block.")] = 3

    def measure(self, progress: bool | None) -> SpeedResult:
        """Time every size with these settings."""
        from lstmsizer.speed import measure_speed

        settings = dataclasses.asdict(self)
        units = ints("units", settings.pop("units"))
        return measure_speed(units, progress=progress, **settings)


@app.command("speed")
@grouped
def speed_command(
    *,
    options: SpeedOptions,
    json_output: Annotated[bool, option("Print one JSON object.", "off", "--json")] = False,
    out: Annotated[
        str | None, option("Also write the result to this JSON file.", "no file")
    ] = None,
    progress: Progress = None,
) -> None:
    """Time a training step per unit count here; are multiples of 8 or 32 faster?"""
    result = options.measure(progress)
    payload = result.to_dict()
    if out is not None:
        write_json(out, payload)
    if json_output:
        print_json(payload)
        return
    _render(result)


def _render(result: SpeedResult) -> None:
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
