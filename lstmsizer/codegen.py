"""Runnable Keras and PyTorch code for a recommended configuration."""

from __future__ import annotations

from lstmsizer.config import ModelSpec, WindowSpec
from lstmsizer.sizes import KERAS_LAYERS, check_shape, config_label

_TORCH_LAYER = {"lstm": "nn.LSTM", "gru": "nn.GRU", "rnn": "nn.RNN"}


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


def keras_code(model: ModelSpec, window: WindowSpec, n_features: int = 1) -> str:
    """Keras 3 code for the model: recurrent layers, Dropout between them, Dense(horizon).

    Args:
        model: Cell (SimpleRNN for rnn), units, layers, activation (written out only when it
            is not tanh) and dropout between stacked layers (none when 0).
        window: Lags and horizon: input shape (lags, n_features), Dense(horizon).
        n_features: Features per time step.

    Returns:
        Python source that builds and compiles the model.
    """
    check_shape(model, window, n_features)
    options = ", reset_after=True" if model.cell == "gru" else ""  # Keras's default, stated
    options += "" if model.activation == "tanh" else f', activation="{model.activation}"'
    body = ""
    for k in range(model.layers):
        more = ", return_sequences=True" if k < model.layers - 1 else ""
        body += f"        layers.{KERAS_LAYERS[model.cell]}({model.units}{options}{more}),\n"
        if more and model.dropout > 0:
            body += f"        layers.Dropout({model.dropout}),\n"
    return _KERAS.format(lags=window.lags, n_features=n_features, body=body, horizon=window.horizon)


def pytorch_code(model: ModelSpec, window: WindowSpec, n_features: int = 1) -> str:
    """PyTorch code for the model, and lstmsizer's exact equivalent, ForecastNet.

    With tanh (or relu in a simple RNN) the code is a small nn.Module, ``model``, around
    torch's fused layer, with bias_hh fixed at zero for LSTM and RNN as lstmsizer does; other
    activations need a custom cell, so the code says so. Both build ``net``, lstmsizer's
    ForecastNet. Arguments as in keras_code.

    Returns:
        Python source.
    """
    check_shape(model, window, n_features)
    cell, units, layers, activation = model.cell, model.units, model.layers, model.activation
    dropout = model.dropout
    args = f'cell="{cell}", units={units}, layers={layers}'
    args += "" if activation == "tanh" else f', activation="{activation}"'
    args += f", dropout={dropout}" if dropout > 0 and layers > 1 else ""
    sizes = {
        "lags": window.lags,
        "n_features": n_features,
        "horizon": window.horizon,
        "units": units,
    }
    names = {"layer": _TORCH_LAYER[cell], "label": config_label(cell, units, layers, activation)}
    tail = _LSTMSIZER.format(args=args, **sizes)
    if activation != "tanh" and not (cell == "rnn" and activation == "relu"):
        return _CUSTOM_CELL.format(lstmsizer=tail, **names)
    extra = f", num_layers={layers}" if layers > 1 else ""
    extra += f", dropout={dropout}" if layers > 1 and dropout > 0 else ""
    extra += ', nonlinearity="relu"' if activation == "relu" else ""
    bias = _GRU_BIASES if cell == "gru" else _ZERO_BIAS_HH
    return _TORCH.format(extra=extra, bias=bias, lstmsizer=tail, **sizes, **names)
