"""Runnable Keras and PyTorch code for a recommended configuration."""

from __future__ import annotations

from typing import cast

from lstmsizer.config import Cell, ModelSpec
from lstmsizer.errors import check_int

KERAS_LAYERS = {"lstm": "LSTM", "gru": "GRU", "rnn": "SimpleRNN"}
_TORCH_LAYER = {"lstm": "nn.LSTM", "gru": "nn.GRU", "rnn": "nn.RNN"}


def config_label(cell: str, units: int, layers: int = 1, activation: str = "tanh") -> str:
    """A short Keras-style name: LSTM(32), GRU(64, relu), 2-layer LSTM(64)."""
    name = f"{KERAS_LAYERS.get(cell, cell)}({units}"
    name += ")" if activation == "tanh" else f", {activation})"
    return name if layers == 1 else f"{layers}-layer {name}"


def _spec(cell: str, units: int, layers: int, activation: str, dropout: float) -> ModelSpec:
    # ModelSpec checks every field and names the one that is wrong
    return ModelSpec(cast(Cell, cell), units, layers, activation, dropout)


def _check_sizes(lags: int, n_features: int, horizon: int) -> None:
    for name, value in (("lags", lags), ("n_features", n_features), ("horizon", horizon)):
        check_int(name, value)


_KERAS = """\
import keras
from keras import layers

model = keras.Sequential(
    [
        keras.Input(shape=({lags}, {n_features})),
{body}        layers.Dense({horizon}),
    ]
)
model.compile(optimizer="adam", loss="mse")
model.summary()
"""

_TORCH = """\
import torch
from torch import nn


class ForecastModel(nn.Module):
    \"\"\"{label} and Dense({horizon}): (B, {lags}, {n_features}) windows -> (B, {horizon}).\"\"\"

    def __init__(self) -> None:
        super().__init__()
        self.rnn = {layer}({n_features}, {units}, batch_first=True{extra})
        self.head = nn.Linear({units}, {horizon})
{bias}
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)  # (B, {lags}, {n_features}) -> (B, {lags}, {units})
        return self.head(out[:, -1])  # (B, {units}) -> (B, {horizon})


model = ForecastModel()

# The exact equivalent in lstmsizer; pass init="keras" to ModelSpec for Keras's initialisers.
{lstmsizer}"""

_ZERO_BIAS_HH = """\
        # Keras keeps one bias vector per layer, torch two: lstmsizer fixes bias_hh at zero
        # so that the trainable parameters match the Keras count
        for name, p in self.rnn.named_parameters():
            if name.startswith("bias_hh"):
                nn.init.zeros_(p)
                p.requires_grad_(False)
"""

_GRU_BIASES = "        # GRU keeps both biases, as Keras's GRU(reset_after=True)\n"

_CUSTOM_CELL = """\
# {layer} has no activation argument: {label} needs a custom cell.
# lstmsizer's ForecastNet has one (lstmsizer.cells.RecurrentLayer) and is the exact
# equivalent of the Keras model; pass init="keras" to ModelSpec for Keras's initialisers.
{lstmsizer}"""

_LSTMSIZER = """\
from lstmsizer.config import ModelSpec
from lstmsizer.models import ForecastNet

# (B, L, F) windows -> (B, H, 1) forecasts
net = ForecastNet({n_features}, ModelSpec({args}), horizon={horizon})
"""


def keras_code(
    cell: str,
    units: int,
    layers: int,
    activation: str,
    lags: int,
    n_features: int = 1,
    horizon: int = 1,
    dropout: float = 0.0,
) -> str:
    """Keras 3 code for the model: recurrent layers, Dropout between them, Dense(horizon).

    Args:
        cell: lstm, gru or rnn (SimpleRNN).
        units: Units per recurrent layer.
        layers: Number of stacked recurrent layers.
        activation: The cell's activation; written out only when it is not tanh.
        lags: Window length (input shape (lags, n_features)).
        n_features: Features per time step.
        horizon: Forecast steps, the Dense layer's width.
        dropout: Dropout between stacked layers, none when 0.

    Returns:
        Python source that builds and compiles the model.
    """
    _spec(cell, units, layers, activation, dropout)
    _check_sizes(lags, n_features, horizon)
    options = ", reset_after=True" if cell == "gru" else ""  # Keras's default, stated for clarity
    options += "" if activation == "tanh" else f', activation="{activation}"'
    body = ""
    for k in range(layers):
        more = ", return_sequences=True" if k < layers - 1 else ""
        body += f"        layers.{KERAS_LAYERS[cell]}({units}{options}{more}),\n"
        if more and dropout > 0:
            body += f"        layers.Dropout({dropout}),\n"
    return _KERAS.format(lags=lags, n_features=n_features, body=body, horizon=horizon)


def pytorch_code(
    cell: str,
    units: int,
    layers: int,
    activation: str,
    lags: int,
    n_features: int = 1,
    horizon: int = 1,
    dropout: float = 0.0,
) -> str:
    """PyTorch code for the model, and lstmsizer's exact equivalent, ForecastNet.

    With tanh (or relu in a simple RNN) the code is a small nn.Module, ``model``, around
    torch's fused layer, with bias_hh fixed at zero for LSTM and RNN as lstmsizer does; other
    activations need a custom cell, so the code says so. Both build ``net``, lstmsizer's
    ForecastNet. Arguments as in keras_code.

    Returns:
        Python source.
    """
    _spec(cell, units, layers, activation, dropout)
    _check_sizes(lags, n_features, horizon)
    args = f'cell="{cell}", units={units}, layers={layers}'
    args += "" if activation == "tanh" else f', activation="{activation}"'
    args += f", dropout={dropout}" if dropout > 0 and layers > 1 else ""
    sizes = {"lags": lags, "n_features": n_features, "horizon": horizon, "units": units}
    names = {"layer": _TORCH_LAYER[cell], "label": config_label(cell, units, layers, activation)}
    tail = _LSTMSIZER.format(args=args, **sizes)
    if activation != "tanh" and not (cell == "rnn" and activation == "relu"):
        return _CUSTOM_CELL.format(lstmsizer=tail, **names)
    extra = f", num_layers={layers}" if layers > 1 else ""
    extra += f", dropout={dropout}" if layers > 1 and dropout > 0 else ""
    extra += ', nonlinearity="relu"' if activation == "relu" else ""
    bias = _GRU_BIASES if cell == "gru" else _ZERO_BIAS_HH
    return _TORCH.format(extra=extra, bias=bias, lstmsizer=tail, **sizes, **names)
