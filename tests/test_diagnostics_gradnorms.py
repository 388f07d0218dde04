"""The gradient-norm callback: one norm per layer per epoch, explosions flagged."""

from __future__ import annotations

import json
import math

import pytest
import torch
from torch import nn

from lstmsizer.config import ModelSpec, TrainSpec
from lstmsizer.diagnostics import GradientNormRecorder
from lstmsizer.errors import OptionError
from lstmsizer.models import ForecastNet
from lstmsizer.training import History, TrainData, fit

torch.set_num_threads(1)

EPOCHS = 8


def _setup(layers: int = 2) -> tuple[ForecastNet, TrainData]:
    torch.manual_seed(0)
    x = torch.randn(64, 4, 1)
    data = TrainData(x, x[:, -2:-1, :1])  # recall the input one step back
    return ForecastNet(1, ModelSpec(units=4, layers=layers)), data


def _spec() -> TrainSpec:
    return TrainSpec(epochs=EPOCHS, batch_size=16, progress=False)


def test_one_norm_per_layer_per_epoch_and_no_false_alarm() -> None:
    net, data = _setup()
    recorder = GradientNormRecorder(net)
    fit(net, data, _spec(), callbacks=[recorder])
    log = recorder.result()
    assert log.layers == ("lstm_1", "lstm_2", "dense")
    assert log.epochs == tuple(range(EPOCHS))
    assert [len(norms) for norms in log.norms] == [EPOCHS] * 3
    assert all(v > 0 and math.isfinite(v) for norms in log.norms for v in norms)
    assert log.explosions == () and not recorder.exploded
    json.dumps(log.to_dict(), allow_nan=False)


def test_the_norm_is_that_of_the_last_steps_gradients() -> None:
    net, data = _setup(layers=1)
    recorder = GradientNormRecorder(net)
    seen: list[float] = []

    def last_step(epoch: int, history: History) -> None:
        grads = [p.grad.flatten() for p in net.head.parameters() if p.grad is not None]
        seen.append(float(torch.cat(grads).norm()))

    fit(net, data, _spec(), callbacks=[last_step, recorder])
    assert recorder.result().norms[-1] == pytest.approx(tuple(seen), rel=1e-6)


def test_an_injected_explosion_is_flagged() -> None:
    net, data = _setup()
    recorder = GradientNormRecorder(net, factor=10.0)

    def inject(epoch: int, history: History) -> None:
        if epoch == 5:  # after the epoch's last step, before the recorder reads the gradients
            for p in net.recurrent[1].parameters():
                if p.grad is not None:
                    p.grad.mul_(1e3)

    history = fit(net, data, _spec(), callbacks=[inject, recorder])
    log = recorder.result()
    assert history.epochs == EPOCHS  # flagging does not stop training by default
    assert [(e.epoch, e.layer) for e in log.explosions] == [(5, "lstm_2")]
    flagged = log.explosions[0]
    assert flagged.norm > 10 * flagged.median
    assert flagged.norm == log.norms[1][5]


def test_non_finite_norms_are_flagged_and_can_stop_training() -> None:
    net, data = _setup(layers=1)
    recorder = GradientNormRecorder(net, stop_on_explosion=True)

    def poison(epoch: int, history: History) -> None:
        if epoch == 2:
            net.head.bias.grad.fill_(math.inf)  # type: ignore[union-attr]

    history = fit(net, data, _spec(), callbacks=[poison, recorder])
    assert history.epochs == 3
    log = recorder.result()
    assert [(e.epoch, e.layer) for e in log.explosions] == [(2, "dense")]
    assert log.to_dict()["explosions"][0]["norm"] is None


def test_layers_without_gradients_record_nan_and_no_explosion() -> None:
    net = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    recorder = GradientNormRecorder(net)
    assert recorder(0, History()) is False
    log = recorder.result()
    assert log.layers == ("0", "1")
    assert all(math.isnan(norms[0]) for norms in log.norms)
    assert log.explosions == ()
    with pytest.raises(OptionError, match="factor"):
        GradientNormRecorder(net, factor=1.0)


def test_a_net_built_inside_fit_is_found_when_training_starts() -> None:
    from lstmsizer.config import ModelSpec, WindowSpec
    from lstmsizer.datasets import get
    from lstmsizer.forecaster import LSTMForecaster

    model = LSTMForecaster(WindowSpec(4), ModelSpec(units=3), TrainSpec(epochs=3, progress=False))
    recorder = GradientNormRecorder(lambda: model.net_)
    model.fit(get("sine", n=80).values, callbacks=[recorder])
    log = recorder.result()
    assert log.layers == ("lstm_1", "dense") and log.epochs == (0, 1, 2)
    assert all(v > 0 for layer in log.norms for v in layer)
