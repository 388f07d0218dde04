"""The lstmsizer command line: each command parses options into specs and makes one call."""

from __future__ import annotations

import signal
import sys
import warnings
from typing import Any, NoReturn

from lstmsizer.cli import analysis, core, explain, report, speed, sweep
from lstmsizer.cli.app import app
from lstmsizer.errors import LstmsizerError, LstmsizerWarning

__all__ = ["analysis", "app", "core", "explain", "main", "report", "speed", "sweep"]

HELP_ORDER = (
    "speed", "claims", "diagnose", "explain", "fit", "predict", "datasets", "report", "sweep",
)  # fmt: skip
"""The order `lstmsizer --help` lists the commands in (every command is listed here)."""
app.registered_commands.sort(key=lambda command: HELP_ORDER.index(str(command.name)))


def main() -> None:
    """Run the command line: an error prints one line and exits 2, Ctrl-C exits 130.

    A storage that failed mid-sweep exits 3 (StorageError): re-running resumes. SIGTERM and
    SIGHUP stop a command as Ctrl-C does and exit 143 and 129 (128 + the signal's number).
    """
    warnings.showwarning = _show_warning
    global _received
    _received = signal.SIGINT
    previous = {s: signal.signal(s, _on_signal) for s in _STOP_SIGNALS}
    try:
        app()
    except LstmsizerError as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        sys.exit(getattr(exc, "exit_code", 2))
    except KeyboardInterrupt:  # outside a command, e.g. while importing torch
        _interrupted()
    except SystemExit as exc:
        if exc.code == 130:  # Typer turns a KeyboardInterrupt inside a command into exit 130
            _interrupted()
        raise
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


_STOP_SIGNALS = tuple(getattr(signal, s) for s in ("SIGTERM", "SIGHUP") if hasattr(signal, s))
_received = signal.SIGINT


def _on_signal(signum: int, frame: object) -> None:
    """SIGTERM or SIGHUP: unwind as Ctrl-C does, so a sweep stops its workers on the way."""
    global _received
    _received = signal.Signals(signum)
    raise KeyboardInterrupt


def _interrupted() -> NoReturn:
    """One line, and the shell's exit status for the signal: 130 for Ctrl-C, 143 for SIGTERM."""
    name = "" if _received == signal.SIGINT else f" ({_received.name})"
    print(f"interrupted{name}", file=sys.stderr)
    sys.exit(128 + _received)


_default_show = warnings.showwarning


def _show_warning(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
    """lstmsizer's own warnings as one line on stderr; others as Python shows them."""
    if issubclass(category, LstmsizerWarning):
        print(f"warning: {' '.join(str(message).split())}", file=sys.stderr)
        return
    _default_show(message, category, *args, **kwargs)
