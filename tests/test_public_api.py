"""The public surface: __all__ is exactly what the package exports, and every name resolves."""

from __future__ import annotations

import types

import lstmsizer

_IMPLEMENTATION = {"annotations", "TYPE_CHECKING", "Any"}


def test_all_names_resolve() -> None:
    for name in lstmsizer.__all__:
        assert getattr(lstmsizer, name) is not None


def test_all_is_exactly_the_public_names() -> None:
    eager = {
        name
        for name, value in vars(lstmsizer).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    exported = (eager - _IMPLEMENTATION) | set(lstmsizer._LAZY) | {"fit"}
    assert exported == set(lstmsizer.__all__) - {"__version__"}


def test_fit_is_the_one_call_behind_the_cli() -> None:
    from lstmsizer.evaluation import fit_and_score

    assert lstmsizer.fit is fit_and_score
