"""Specs made from records that name their fields as the specs do."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from lstmsizer.config import ModelSpec, TrainSpec, WindowSpec, named, spec_from
from lstmsizer.errors import OptionError


@dataclass(frozen=True)
class _Options:
    lags: int = 3
    horizon: int = 2
    units: int = 7
    epochs: int = 5


def test_named_gives_the_attributes_in_the_order_asked() -> None:
    assert list(named(_Options(), ("units", "lags")).items()) == [("units", 7), ("lags", 3)]


def test_a_spec_takes_the_fields_of_its_names_and_leaves_the_rest_at_their_defaults() -> None:
    assert spec_from(WindowSpec, _Options()) == WindowSpec(lags=3, horizon=2)
    assert spec_from(ModelSpec, _Options()) == ModelSpec(units=7)
    assert spec_from(TrainSpec, _Options(), seed=4) == TrainSpec(epochs=5, seed=4)


def test_given_values_replace_the_source_s_and_are_checked() -> None:
    assert spec_from(WindowSpec, _Options(), horizon=6) == WindowSpec(lags=3, horizon=6)
    with pytest.raises(OptionError, match="lags must be an integer >= 1, got 0"):
        spec_from(WindowSpec, _Options(lags=0))
