"""Command-line option groups: the specs they build, their defaults, the options they add."""

from __future__ import annotations

import typer

from lstmsizer.cli import app
from lstmsizer.cli.core import FitOptions
from lstmsizer.cli.options import DataOptions
from lstmsizer.cli.sweep import SweepOptions
from lstmsizer.config import ModelSpec, SplitSpec, TrainSpec, WindowSpec
from lstmsizer.sweeping import GridSpec, ProtocolSpec, SearchSpec, SweepSpec


def _options(command: str) -> list[str]:
    click = typer.main.get_command(app)
    return [p.name or "" for p in click.commands[command].params]  # type: ignore[attr-defined]


def test_the_sweep_options_default_to_the_default_spec() -> None:
    assert SweepOptions().spec() == SweepSpec()
    assert SweepOptions().units == "1,2,4,8,16,32,64,100,128,256"
    assert (SweepOptions().patience, SweepOptions().lr_patience) == (50, 20)


def test_the_sweep_options_build_each_part() -> None:
    options = SweepOptions(
        lags=6, units="2,4", layers="1", cell="lstm,gru", patience=0, lr_patience=0, lr="0.01"
    )
    spec = options.spec()
    assert spec.window == WindowSpec(6)
    assert spec.space == GridSpec((2, 4), (1,), ("lstm", "gru"))
    assert spec.train == ProtocolSpec(patience=None, lr_patience=None, lr=0.01)
    tpe = SweepOptions(search="tpe", trials=4, cell="gru").spec()
    assert tpe.space == SearchSpec(4, ("gru",))


def test_fit_defaults_to_the_library_specs_but_32_units() -> None:
    window, model, train, split = FitOptions().specs(progress=False)
    assert window == WindowSpec(12)
    assert model == ModelSpec(units=32)
    assert train == TrainSpec(progress=False)
    assert split == SplitSpec()


def test_data_options_name_the_options_given() -> None:
    assert DataOptions().given() == []
    assert DataOptions(dataset="sine", time_column="t").given() == ["--dataset", "--time-column"]


def test_option_groups_become_options_where_the_group_stands() -> None:
    data = ["data", "dataset", "column", "time_column", "features", "fill", "id_column", "wide"]
    assert _options("predict") == ["model", *data, "steps", "series_ids", "json_output"]
    assert _options("sweep") == [
        *data, "lags", "horizon", "units", "layers", "cell", "activation", "seeds", "folds",
        "test", "align", "epochs", "patience", "min_epochs", "lr_patience", "stop_fraction",
        "restarts", "batch_size", "lr", "precision", "batching", "dropout", "id_embedding",
        "drop_short", "search", "trials", "race", "seed", "storage", "study", "workers", "out",
        "json_output", "progress",
    ]  # fmt: skip
    assert _options("diagnose")[:10] == ["path", "model", *data[1:], "val_fraction"]


def test_the_help_lists_the_commands_in_their_order() -> None:
    click = typer.main.get_command(app)
    assert list(click.commands) == [  # type: ignore[attr-defined]
        "speed", "claims", "diagnose", "explain", "fit", "predict", "datasets", "report", "sweep",
    ]  # fmt: skip
