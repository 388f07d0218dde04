"""The public surface: __all__ is exactly what the package exports, and every name resolves."""

from __future__ import annotations

import types

import pytest

import lstmsizer

EXPORTED = {
    "Dataset",
    "GridSpec",
    "LSTMForecaster",
    "LstmsizerError",
    "ModelSpec",
    "SearchSpec",
    "SplitSpec",
    "SweepResult",
    "SweepSpec",
    "TimeseriesGenerator",
    "TrainSpec",
    "WindowSpec",
    "__version__",
    "fit",
    "load",
    "sweep",
}
_IMPLEMENTATION = {"annotations", "TYPE_CHECKING", "Any"}


def test_all_is_exactly_the_public_names() -> None:
    assert set(lstmsizer.__all__) == EXPORTED
    assert len(lstmsizer.__all__) == len(EXPORTED)  # no name listed twice


def test_every_public_name_resolves_to_its_object() -> None:
    from lstmsizer.config import ModelSpec, SplitSpec, TrainSpec, WindowSpec
    from lstmsizer.datasets import Dataset, load
    from lstmsizer.errors import LstmsizerError
    from lstmsizer.forecaster import LSTMForecaster
    from lstmsizer.sweeping import SweepResult, sweep
    from lstmsizer.sweepspec import GridSpec, SearchSpec, SweepSpec
    from lstmsizer.version import __version__
    from lstmsizer.windows import TimeseriesGenerator

    expected = {
        "Dataset": Dataset,
        "GridSpec": GridSpec,
        "SearchSpec": SearchSpec,
        "LSTMForecaster": LSTMForecaster,
        "LstmsizerError": LstmsizerError,
        "ModelSpec": ModelSpec,
        "SplitSpec": SplitSpec,
        "SweepResult": SweepResult,
        "SweepSpec": SweepSpec,
        "TimeseriesGenerator": TimeseriesGenerator,
        "TrainSpec": TrainSpec,
        "WindowSpec": WindowSpec,
        "__version__": __version__,
        "load": load,
        "sweep": sweep,
    }
    for name, value in expected.items():
        assert getattr(lstmsizer, name) is value, name


def test_nothing_public_is_left_out_of_all() -> None:
    # names the root defines eagerly; the lazy ones are checked by name above
    eager = {
        name
        for name, value in vars(lstmsizer).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert eager - _IMPLEMENTATION <= EXPORTED


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = lstmsizer.nope  # type: ignore[attr-defined]


def test_fit_is_the_one_call_behind_the_cli() -> None:
    from lstmsizer.fitting import fit

    assert lstmsizer.fit is fit


def test_sweep_stays_the_function_however_often_it_is_read() -> None:
    # a subpackage named like the function would replace it once imported; none may be
    import subprocess
    import sys

    code = (
        "import lstmsizer, lstmsizer.sweeping.result, types\n"
        "first, second = lstmsizer.sweep, lstmsizer.sweep\n"
        "assert isinstance(second, types.FunctionType) and first is second, second\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
