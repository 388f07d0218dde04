"""When the seeds (and folds) of one configuration train as one batched network."""

from __future__ import annotations

import pytest

from lstmsizer.config import ModelSpec
from lstmsizer.errors import OptionError
from lstmsizer.seeds import batching_choice, batching_pays, describe_batching


@pytest.mark.parametrize(
    ("fields", "pays"),
    [
        ({"units": 32}, True),
        ({"units": 64}, False),
        ({"units": 128, "activation": "relu"}, True),
        ({"cell": "gru", "units": 128}, True),
        ({"cell": "gru", "units": 129}, False),
        ({"cell": "rnn", "units": 256}, False),
    ],
)
def test_batching_pays_up_to_the_measured_widths(fields: dict[str, object], pays: bool) -> None:
    # bench/ensemble.py: tanh LSTMs gain up to 32 units (torch's fused kernel is fast), the
    # hand-written cells up to 128
    assert batching_pays(ModelSpec(**fields)) is pays  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "pays"),
    [
        ({"units": 4}, False),  # cuDNN's LSTM, one call per layer: one at a time
        ({"cell": "gru", "units": 8}, False),
        ({"cell": "rnn", "units": 8, "activation": "relu"}, False),  # cuDNN's relu RNN
        ({"units": 1024, "activation": "relu"}, True),  # hand-written either way: any width
        ({"cell": "rnn", "units": 512, "activation": "softsign"}, True),
    ],
)
def test_on_cuda_the_cpu_widths_do_not_apply(fields: dict[str, object], pays: bool) -> None:
    assert batching_pays(ModelSpec(**fields), "cuda") is pays  # type: ignore[arg-type]
    assert batching_pays(ModelSpec(**fields), "mps") is False  # type: ignore[arg-type]


def test_the_choice_records_its_inputs_and_off_trains_one_model_at_a_time() -> None:
    model = ModelSpec(units=16)
    auto = batching_choice(model, "auto", "cpu")
    assert auto.to_dict() == {
        "setting": "auto",
        "device": "cpu",
        "cell": "lstm",
        "activation": "tanh",
        "units": 16,
        "batched": True,
    }
    assert batching_choice(model, "off", "cpu").batched is False
    assert "32 units" in describe_batching("auto", "cpu")
    assert describe_batching("off", "cpu").startswith("off")
    with pytest.raises(OptionError, match="batching"):
        batching_choice(model, "always", "cpu")
