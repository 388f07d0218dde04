"""When the seeds of one configuration train as one batched network."""

from __future__ import annotations

import pytest

from lstmsizer.config import ModelSpec
from lstmsizer.seeds import batching_pays


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
