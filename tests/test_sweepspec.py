"""The sweep's spec: its parts, the flat record studies are made for, and configurations."""

from __future__ import annotations

import json

import pytest

from lstmsizer.config import ModelSpec, TrainSpec, WindowSpec
from lstmsizer.datasets import get
from lstmsizer.errors import OptionError
from lstmsizer.sweeping import FoldSpec, GridSpec, LayerSpec, ProtocolSpec, SearchSpec, SweepSpec
from lstmsizer.sweeping.plan import Configuration, check_fingerprint, configurations, fingerprint

# The flat record of the default spec as studies and recommendation.json hold it, written out
# by hand: a study made before the spec had parts must still resume.
DEFAULT_RECORD = {
    "lags": 12,
    "horizon": 1,
    "units": [1, 2, 4, 8, 16, 32, 64, 100, 128, 256],
    "layers": [1, 2],
    "cells": ["lstm"],
    "activation": "tanh",
    "seeds": 3,
    "folds": 3,
    "test_fraction": 0.1,
    "epochs": 2000,
    "patience": 50,
    "min_epochs": 50,
    "lr_patience": 20,
    "stop_fraction": 0.15,
    "restarts": 2,
    "batch_size": 32,
    "lr": "auto",
    "dropout": 0.0,
    "init": "torch",
    "scaling": "minmax",
    "search": "grid",
    "trials": 30,
    "seed": 0,
    "equal_budget": True,
}
ADDED = {"race": True, "precision": "auto", "batching": "auto", "id_embedding": 0, "align": "time"}
"""Settings added since, at their defaults: a study recorded without them resumes."""
CURRENT = {**DEFAULT_RECORD, **ADDED}


def test_the_default_spec_records_exactly_the_flat_settings_of_before() -> None:
    plain = SweepSpec().to_dict()
    assert plain == CURRENT
    before = {k: v for k, v in plain.items() if k not in ADDED}
    assert list(before) == list(DEFAULT_RECORD)  # recommendation.json keeps its key order
    assert json.dumps(before) == json.dumps(DEFAULT_RECORD)


def test_the_fingerprint_is_the_record_and_the_data() -> None:
    data = get("seed")
    plain = fingerprint(SweepSpec(), data)
    assert {k: v for k, v in plain.items() if k != "data"} == CURRENT
    assert str(plain["data"]).startswith("seed (10 values, digest ")


def test_a_spec_made_of_parts_records_each_setting_under_its_name() -> None:
    spec = SweepSpec(
        WindowSpec(lags=6, horizon=2),
        GridSpec(units=(4, 8), layers=(1,), cells=("gru",), equal_budget=False),
        LayerSpec(activation="relu", dropout=0.1, init="keras"),
        ProtocolSpec(epochs=40, patience=None, lr_patience=None, restarts=0, lr=0.01),
        FoldSpec(folds=2, test_fraction=0.0, scaling="standard"),
        seeds=1,
        seed=7,
    )
    changed = {
        "lags": 6, "horizon": 2, "units": [4, 8], "layers": [1], "cells": ["gru"],
        "equal_budget": False, "activation": "relu", "dropout": 0.1, "init": "keras",
        "epochs": 40, "patience": None, "lr_patience": None, "restarts": 0, "lr": 0.01,
        "folds": 2, "test_fraction": 0.0, "scaling": "standard", "seeds": 1, "seed": 7,
    }  # fmt: skip
    assert spec.to_dict() == {**CURRENT, **changed}
    assert SweepSpec.from_dict(spec.to_dict()) == spec
    assert SweepSpec().replace(**changed) == spec


def test_a_tpe_search_records_the_grid_at_its_defaults() -> None:
    spec = SweepSpec(space=SearchSpec(trials=5, cells=("lstm", "gru")))
    expected = {**CURRENT, "search": "tpe", "trials": 5, "cells": ["lstm", "gru"]}
    assert spec.to_dict() == expected
    assert SweepSpec.from_dict({**expected, "units": [2, 4]}) == spec  # unused, once checked
    assert configurations(spec, 1) == []


def test_one_setting_changes_by_name_and_a_wrong_name_is_a_type_error() -> None:
    spec = SweepSpec().replace(epochs=500)
    assert spec.train == ProtocolSpec(epochs=500) and spec.window == WindowSpec(12)
    assert SweepSpec().replace(search="tpe", trials=3).space == SearchSpec(trials=3)
    with pytest.raises(TypeError, match="epoch"):
        SweepSpec().replace(epoch=500)


def test_reading_a_record_ignores_keys_that_are_no_setting_and_defaults_missing_ones() -> None:
    assert SweepSpec.from_dict({"lags": 4, "data": "sine (150 values)"}) == SweepSpec(WindowSpec(4))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: GridSpec(units=()), "units must list at least one width, got ()"),
        (lambda: GridSpec(layers=(1, 0)), "layers must be an integer >= 1, got 0"),
        (lambda: GridSpec(cells=("lstm", "tcn")), "cell must be one of lstm, gru, rnn"),
        (lambda: GridSpec(equal_budget=1), "equal_budget must be True or False, got 1"),  # type: ignore[arg-type]
        (lambda: SearchSpec(trials=0), "trials must be an integer >= 1, got 0"),
        (lambda: LayerSpec(dropout=1.0), "dropout must be in [0, 1), got 1.0"),
        (lambda: LayerSpec(init="glorot"), "init must be one of keras, torch"),  # type: ignore[arg-type]
        (lambda: ProtocolSpec(lr=0), 'lr must be "auto" or a number > 0, got 0'),
        (lambda: ProtocolSpec(patience=0), "patience must be an integer >= 1 or None, got 0"),
        (lambda: ProtocolSpec(stop_fraction=0.6), "stop_fraction must be in [0, 0.5], got 0.6"),
        (lambda: FoldSpec(folds=0), "folds must be an integer >= 1, got 0"),
        (lambda: FoldSpec(test_fraction=1.0), "test must be in [0, 1), got 1.0"),
        (lambda: SweepSpec(seeds=0), "seeds must be an integer >= 1, got 0"),
        (lambda: SweepSpec(window=12), "window must be a WindowSpec, got 12"),  # type: ignore[arg-type]
        (lambda: SweepSpec(space=GridSpec), "space must be a GridSpec or SearchSpec"),  # type: ignore[arg-type]
        (lambda: SweepSpec.from_dict({"search": "random"}), "search must be one of grid, tpe"),
    ],
)
def test_each_part_checks_itself_naming_the_field_the_rule_and_the_value(
    make: object, message: str
) -> None:
    with pytest.raises(OptionError) as caught:
        make()  # type: ignore[operator]
    assert str(caught.value).startswith(message)


def test_a_configuration_stores_the_flat_record_of_before_and_reads_it_back() -> None:
    config = Configuration(ModelSpec("gru", 8, 2, "relu", 0.1, "keras"), "search", 0.003, 16)
    stored = {
        "cell": "gru", "units": 8, "layers": 2, "activation": "relu", "dropout": 0.1,
        "init": "keras", "origin": "search", "lr": 0.003, "batch_size": 16,
    }  # fmt: skip
    assert config.to_dict() == stored and list(config.to_dict()) == list(stored)
    assert Configuration.from_dict(stored) == config
    assert config.id == "gru-u8-l2-d0.1-lr0.003-b16"
    assert Configuration(ModelSpec("lstm", 32, 1, "tanh")).id == "lstm-u32-l1"


def _keras_lstm_parameters(units: int, layers: int, inputs: int = 1) -> int:
    """Keras LSTM stack plus Dense(1): 4 gates of (inputs + units + 1 bias) x units a layer."""
    sizes = [inputs] + [units] * (layers - 1)
    return sum(4 * units * (n + units + 1) for n in sizes) + units + 1


def test_the_grid_builds_each_configuration_from_the_shared_layer_settings() -> None:
    spec = SweepSpec(
        space=GridSpec(units=(8, 4), layers=(2, 1)), model=LayerSpec("relu", 0.2, "keras")
    )
    found = configurations(spec, 1)

    def nearest(units: int) -> int:
        budget = _keras_lstm_parameters(units, 2)
        return min(range(1, 64), key=lambda w: abs(_keras_lstm_parameters(w, 1) - budget))

    assert (nearest(4), nearest(8)) == (7, 14)
    assert [c.id for c in found] == [
        "lstm-u4-l1", "lstm-u7-l1", "lstm-u8-l1", "lstm-u14-l1", "lstm-u4-l2", "lstm-u8-l2",
    ]  # fmt: skip
    assert [c.origin for c in found] == ["grid", "equal budget", "grid", "equal budget"] + [
        "grid"
    ] * 2
    assert {(c.model.activation, c.model.dropout, c.model.init) for c in found} == {
        ("relu", 0.2, "keras")
    }


def test_a_study_resumes_whatever_settings_its_search_never_read() -> None:
    tpe = {**DEFAULT_RECORD, "search": "tpe", "units": [2, 4], "equal_budget": False}
    check_fingerprint(tpe, SweepSpec(space=SearchSpec()).to_dict(), "s")
    grid = {**DEFAULT_RECORD, "trials": 50}
    check_fingerprint(grid, SweepSpec().to_dict(), "s")
    with pytest.raises(OptionError, match=r"units=\[2, 4\] there"):
        check_fingerprint({**DEFAULT_RECORD, "units": [2, 4]}, SweepSpec().to_dict(), "s")
    with pytest.raises(OptionError, match="search='tpe' there"):
        check_fingerprint(tpe, SweepSpec().to_dict(), "s")


def test_the_protocol_makes_each_run_s_training_settings_field_for_field() -> None:
    protocol = ProtocolSpec(
        epochs=9, patience=4, min_epochs=2, lr_patience=3, stop_fraction=0.2, restarts=1,
        batch_size=8,
    )  # fmt: skip
    expected = TrainSpec(
        epochs=9, batch_size=8, lr=1e-3, patience=4, min_epochs=2, lr_patience=3,
        stop_fraction=0.2, restarts=1, seed=5, progress=False,
    )  # fmt: skip
    assert protocol.train_spec(5) == expected  # lr auto: the first candidate rate
    assert ProtocolSpec(lr=0.02).train_spec(1).lr == 0.02
    assert ProtocolSpec().train_spec(1, lr=0.5, epochs=3).lr == 0.5
