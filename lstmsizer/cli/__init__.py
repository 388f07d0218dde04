"""The lstmsizer command line: each command parses options into specs and makes one call."""

from __future__ import annotations

import sys
import warnings
from typing import Any

from lstmsizer.cli import analysis, core, report, sweep
from lstmsizer.cli.app import app
from lstmsizer.errors import LstmsizerError
from lstmsizer.holdout import ThinDataWarning

__all__ = ["analysis", "app", "core", "main", "report", "sweep"]


def main() -> None:
    """Run the command line: a user error prints one line and exits 2, Ctrl-C exits 130."""
    warnings.showwarning = _show_warning
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


_default_show = warnings.showwarning


def _show_warning(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
    """lstmsizer's own warnings as one line on stderr; others as Python shows them."""
    if issubclass(category, ThinDataWarning):
        print(f"warning: {' '.join(str(message).split())}", file=sys.stderr)
        return
    _default_show(message, category, *args, **kwargs)
