"""The Typer application that every command module registers with."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="How many LSTM units, how many layers, and do you need an LSTM at all?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
