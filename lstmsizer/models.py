"""The forecaster network: stacked LSTM/GRU/RNN layers and a Dense head."""

from __future__ import annotations

import math
from typing import TypeVar

import torch
from torch import Tensor, nn

from lstmsizer.cells import RecurrentLayer
from lstmsizer.config import ModelSpec
from lstmsizer.errors import DataError, check, check_int

_M = TypeVar("_M", bound=nn.Module)
EMBEDDING_BOUND = 0.05
"""Series-id embeddings start uniform in +/- this, Keras's Embedding default."""
_FUSED: dict[str, type[nn.RNNBase]] = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


def fusable(spec: ModelSpec) -> bool:
    """Whether torch has a fused layer for the spec's cell and activation (nn.LSTM, nn.GRU,
    nn.RNN: tanh, or relu for a simple RNN); ForecastNet uses it unless told otherwise."""
    return spec.activation == "tanh" or (spec.cell == "rnn" and spec.activation == "relu")


class ForecastNet(nn.Module):
    """Keras-style forecaster: ``layers`` recurrent layers of ``units``, then Dense.

    (B, L, F) windows -> (B, horizon, n_targets) forecasts, read from the last layer's final
    hidden state. With activation tanh (or relu for a simple RNN) torch's fused
    ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` run the layers; other activations run
    ``cells.RecurrentLayer``, which has the same weight layout. LSTM and simple RNN layers keep
    Keras's single bias: ``bias_hh_l0`` is a fixed zero with ``requires_grad=False``, so
    ``num_parameters()`` equals the Keras count.

    With ``spec.id_embedding`` D > 0 the network is a global model over a panel of n_ids
    series: the last of the F input columns holds each window's series index as a float
    (0, 1, ..., n_ids - 1, exact in float32), which an ``nn.Embedding(n_ids, D)`` turns into D
    learned numbers appended to every step's other F - 1 inputs; the first recurrent layer
    reads F - 1 + D inputs. An index out of range raises torch's IndexError.

    Args:
        n_features: Input columns per time step (F), the series-id column included.
        spec: The network's cell, width, depth, activation, dropout and init.
        horizon: Steps forecast from each window (H).
        n_targets: Target series forecast at each step (K).
        fused: Force torch's fused layers (True) or the hand-written ones (False);
            None picks fused whenever the activation allows it.
        n_ids: Series the id embedding has a row for; must be >= 1 when spec.id_embedding
            is > 0, and is only recorded otherwise.
    """

    def __init__(
        self,
        n_features: int,
        spec: ModelSpec,
        horizon: int = 1,
        n_targets: int = 1,
        *,
        fused: bool | None = None,
        n_ids: int = 0,
    ) -> None:
        super().__init__()
        check(isinstance(spec, ModelSpec), "spec", "must be a ModelSpec", type(spec).__name__)
        _check_sizes(n_features=n_features, horizon=horizon, n_targets=n_targets)
        _check_ids(spec.id_embedding, n_ids, n_features)
        can_fuse = fusable(spec)
        check(
            not fused or can_fuse,
            "fused",
            "needs activation tanh (or relu with cell rnn)",
            f"{fused} with {spec.cell}/{spec.activation}",
        )
        self.spec = spec
        self.n_features = n_features
        self.horizon = horizon
        self.n_targets = n_targets
        self.n_ids = n_ids
        self.fused = can_fuse if fused is None else fused
        dim = spec.id_embedding
        # the id column is replaced by its embedding of dim numbers
        sizes = [n_features - 1 + dim if dim else n_features] + [spec.units] * (spec.layers - 1)
        # built on the meta device, construction draws nothing from the RNG: the weights depend
        # only on the seed and the spec, and fused and hand-written layers start from the same
        self.embedding = _empty(nn.Embedding, n_ids, dim) if dim else None
        self.recurrent = nn.ModuleList(self._make_layer(size) for size in sizes)
        self.dropout = nn.Dropout(spec.dropout)
        self.head = _empty(nn.Linear, spec.units, horizon * n_targets)
        if spec.cell != "gru":
            for layer in self.recurrent:
                layer.get_parameter("bias_hh_l0").requires_grad_(False)
        self.reset_parameters()

    def _make_layer(self, input_size: int) -> nn.Module:
        spec = self.spec
        if not self.fused:
            return _empty(RecurrentLayer, spec.cell, input_size, spec.units, spec.activation)
        extra = {"nonlinearity": spec.activation} if spec.cell == "rnn" else {}
        return _empty(_FUSED[spec.cell], input_size, spec.units, batch_first=True, **extra)

    def reset_parameters(self) -> None:
        """Draw every weight from torch's global RNG with the spec's init scheme.

        The recurrent layers first, then the head, then any id embedding (uniform in
        +/- EMBEDDING_BOUND with either scheme, Keras's default), so a network without one
        draws exactly what it drew before embeddings existed.
        """
        for layer in self.recurrent:
            _init_recurrent(layer, self.spec)
        with torch.no_grad():
            if self.spec.init == "keras":
                nn.init.xavier_uniform_(self.head.weight)  # Keras kernel (U, H*K), same fans
                self.head.bias.zero_()
            else:
                self.head.reset_parameters()
            if self.embedding is not None:
                self.embedding.weight.uniform_(-EMBEDDING_BOUND, EMBEDDING_BOUND)

    def forward(self, x: Tensor) -> Tensor:
        """Forecast (B, horizon, n_targets) from windows x of shape (B, L, n_features)."""
        return self.forward_states(x)[0]

    def forward_states(self, x: Tensor) -> tuple[Tensor, list[Tensor]]:
        """Forecast and every layer's output sequence (B, L, units), before dropout."""
        if x.ndim != 3 or x.shape[1] < 1 or x.shape[2] != self.n_features:
            raise DataError(
                f"x must have shape (batch, lags >= 1, {self.n_features}), got {tuple(x.shape)}"
            )
        states: list[Tensor] = []
        h = self.inputs(x)
        for k, layer in enumerate(self.recurrent):
            if k and self.spec.dropout > 0:
                h = self.dropout(h)
            h = layer(h)[0]  # (B, L, F_in) -> (B, L, U)
            states.append(h)
        out = self.head(h[:, -1])  # (B, U) -> (B, H*K)
        return out.view(-1, self.horizon, self.n_targets), states  # -> (B, H, K)

    def inputs(self, x: Tensor) -> Tensor:
        """What the first recurrent layer reads: x itself, or with an id embedding x's other
        columns and the embedding of its series, (B, L, F) -> (B, L, F - 1 + D)."""
        if self.embedding is None:
            return x
        ids = x[:, 0, -1].long()  # (B,): a window's id is the same at every step
        embedded = self.embedding(ids)  # (B,) -> (B, D)
        steps = embedded.unsqueeze(1).expand(-1, x.shape[1], -1)  # (B, D) -> (B, L, D)
        return torch.cat((x[..., :-1], steps.to(x.dtype)), dim=-1)  # -> (B, L, F - 1 + D)

    def num_parameters(self) -> int:
        """Trainable parameters; equals sizes.keras_parameter_count."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    def extra_repr(self) -> str:
        s = self.spec
        return (
            f"cell={s.cell}, units={s.units}, layers={s.layers}, activation={s.activation}, "
            f"n_features={self.n_features}, horizon={self.horizon}, n_targets={self.n_targets}, "
            f"fused={self.fused}"
            + (f", n_ids={self.n_ids}, id_embedding={s.id_embedding}" if s.id_embedding else "")
        )


def build_net(
    n_features: int,
    spec: ModelSpec,
    horizon: int = 1,
    n_targets: int = 1,
    device: torch.device | str | None = None,
    *,
    n_ids: int = 0,
) -> ForecastNet:
    """Build a ForecastNet from the CPU RNG (seed it first), then move it to device.

    Building on the CPU keeps the weights of a seed the same on every device. Arguments as
    in ForecastNet.
    """
    net = ForecastNet(n_features, spec, horizon, n_targets, n_ids=n_ids)
    return net if device is None else net.to(device)


def _empty(cls: type[_M], *args: object, **kwargs: object) -> _M:
    # what torch.nn.utils.skip_init does; skip_init itself rejects nn.LSTM, whose device
    # argument hides in **kwargs
    return cls(*args, device="meta", **kwargs).to_empty(device="cpu")


def _init_recurrent(layer: nn.Module, spec: ModelSpec) -> None:
    # the same draws in the same order for fused and hand-written layers
    names = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
    w_ih, w_hh, b_ih, b_hh = (layer.get_parameter(name) for name in names)
    with torch.no_grad():
        if spec.init == "keras":
            # Keras kernel (F, G*U) is w_ih transposed: xavier's fans are the same
            nn.init.xavier_uniform_(w_ih)
            # Keras recurrent kernel (U, G*U) = w_hh^T gets orthonormal rows,
            # i.e. w_hh (G*U, U) orthonormal columns, which orthogonal_ gives a tall matrix
            nn.init.orthogonal_(w_hh)
            b_ih.zero_()
            b_hh.zero_()
            if spec.cell == "lstm":
                b_ih[spec.units : 2 * spec.units] = 1.0  # unit_forget_bias
        else:
            bound = 1.0 / math.sqrt(spec.units)
            trained = (w_ih, w_hh, b_ih, b_hh) if spec.cell == "gru" else (w_ih, w_hh, b_ih)
            for p in trained:
                p.uniform_(-bound, bound)
            if spec.cell != "gru":
                b_hh.zero_()


def _check_ids(dim: int, n_ids: int, n_features: int) -> None:
    check_int("n_ids", n_ids, minimum=0)
    if dim:
        rule = f"must be an integer >= 1 with id_embedding {dim}"
        check(n_ids >= 1, "n_ids", rule, n_ids)
        rule = f"must be >= 2 with id_embedding {dim}: the inputs and the series-id column"
        check(n_features >= 2, "n_features", rule, n_features)


def _check_sizes(**sizes: int) -> None:
    for name, value in sizes.items():
        check(isinstance(value, int) and value >= 1, name, "must be an integer >= 1", value)
