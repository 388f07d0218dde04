"""Errors raised for the user's mistakes (bad data, options, files), and lstmsizer's warnings."""

from __future__ import annotations


class LstmsizerError(Exception):
    """Base of every error caused by the user's input; the CLI prints its message and exits 2."""


class DataError(LstmsizerError):
    """The data cannot be used as given: missing column, NaN, too short, unsorted time."""


class OptionError(LstmsizerError, ValueError):
    """An option or argument is outside its allowed range."""


class ModelFileError(LstmsizerError):
    """A saved model file is missing, not a model, or from an incompatible version."""


class NotFittedError(LstmsizerError, AttributeError):
    """A forecaster was asked to predict before it was fitted."""


class JournalError(LstmsizerError):
    """A study journal file is damaged somewhere other than a torn last record."""


class StorageError(LstmsizerError):
    """The study's storage failed mid-sweep (server gone, connection lost); the CLI exits 3.

    Nothing is lost: re-running the same command resumes once the storage is back.
    """

    exit_code = 3


class LstmsizerWarning(UserWarning):
    """Base of lstmsizer's own warnings; the CLI prints each as one `warning:` line."""


def check(condition: bool, argument: str, rule: str, value: object) -> None:
    """Raise OptionError naming the argument, the rule and the value when condition fails."""
    if not condition:
        raise OptionError(f"{argument} {rule}, got {value!r}")


def check_int(argument: str, value: object, minimum: int = 1, *, optional: bool = False) -> None:
    """Raise OptionError unless value is an integer >= minimum (or None when optional)."""
    if optional and value is None:
        return
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= minimum
    rule = f"must be an integer >= {minimum}" + (" or None" if optional else "")
    check(ok, argument, rule, value)


def check_choice(argument: str, value: object, choices: tuple[str, ...]) -> None:
    """Raise OptionError unless value is one of choices."""
    check(value in choices, argument, f"must be one of {', '.join(choices)}", value)
