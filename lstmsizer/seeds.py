"""The seeds (and folds) of one configuration trained together as one batched network."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray

from lstmsizer.config import ModelSpec, TrainSpec, WindowSpec
from lstmsizer.ensemble import BatchedForecastNet
from lstmsizer.errors import check_choice
from lstmsizer.forecaster import LSTMForecaster
from lstmsizer.history import History
from lstmsizer.holdout import ThinDataWarning
from lstmsizer.models import fusable
from lstmsizer.padded import Padded, pad_stack
from lstmsizer.panel import Panel
from lstmsizer.panelsplits import PanelSplit
from lstmsizer.precision import resolve_precision
from lstmsizer.runtime import resolve_device, using_threads
from lstmsizer.sweepspec import BATCHINGS
from lstmsizer.training import TrainData, fit_members


def fit_seeds(
    window: WindowSpec,
    model: ModelSpec,
    train: TrainSpec,
    seeds: Sequence[int],
    y: ArrayLike,
    X: ArrayLike | None = None,
    *,
    train_end: int | None = None,
    scaling: str = "minmax",
    lrs: Sequence[float] | None = None,
) -> list[LSTMForecaster]:
    """One forecaster per seed, trained together as one batched network.

    Member m starts from the weights LSTMForecaster(seed=seeds[m]) would draw and shuffles
    with the same seed, so each member is a run of that seed; on the CPU the batched step
    costs little more than one small model's, which is what makes sweeps fast. A member stuck
    at the trivial solution is restarted alone, as LSTMForecaster.fit would.

    Args:
        lrs: One starting learning rate per member (a learning-rate search); None uses
            train.lr for all.

    Returns:
        Fitted forecasters, one per seed, each with its own history.
    """
    template, _, data = _prepare(window, model, train, seeds[0], scaling, y, X, train_end)
    return _seeds_from(template, data, seeds, lrs)


def fit_seeds_panel(
    window: WindowSpec,
    model: ModelSpec,
    train: TrainSpec,
    seeds: Sequence[int],
    panel: Panel,
    split: PanelSplit,
    *,
    scaling: str = "minmax",
    lrs: Sequence[float] | None = None,
) -> list[LSTMForecaster]:
    """fit_seeds on a panel: one global model per seed (LSTMForecaster.fit_panel), together."""
    template = LSTMForecaster(window, model, dataclasses.replace(train, seed=seeds[0]), scaling)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ThinDataWarning)  # said once by the caller
        data = template._prepare_panel(panel, split)
    return _seeds_from(template, data, seeds, lrs)


def _seeds_from(
    template: LSTMForecaster,
    data: TrainData,
    seeds: Sequence[int],
    lrs: Sequence[float] | None,
) -> list[LSTMForecaster]:
    """The members of seeds trained together on the windows template was prepared with."""
    assert template.n_features_ is not None
    n_features = template.n_features_
    # (N, L, F) -> (M, N, L, F): every member reads the same windows, no copy
    x, ys, x_val, y_val = (t.unsqueeze(0).expand(len(seeds), *t.shape) for t in _tensors(data))
    stacked = TrainData(x, ys, x_val, y_val, rows=data.rows, val_rows=data.val_rows)
    window, model, train = template.window, template.model, template.train
    net, histories = _train(n_features, window, model, train, stacked, seeds, lrs)
    rates = [train.lr] * len(seeds) if lrs is None else [float(r) for r in lrs]
    return [
        _member(template, n_features, data, net, m, histories[m], seed, rates[m])
        for m, seed in enumerate(seeds)
    ]


def fit_folds(
    window: WindowSpec,
    model: ModelSpec,
    train: TrainSpec,
    seeds: Sequence[int],
    y: ArrayLike,
    X: ArrayLike | None = None,
    *,
    train_ends: Sequence[int],
    scaling: str = "minmax",
) -> list[list[LSTMForecaster]]:
    """Every seed on every fold, trained together as one batched network of seeds x folds.

    Each fold is prepared as a solo run prepares it: its scaler fitted on its own training
    part, its own early-stopping block. Member (fold f, seed s) reads fold f's windows only:
    members are padded to the longest fold and masked (padded.Padded), each shuffles its own
    windows with its seed, and a member whose windows ran out in a batch does not step at all
    (memberadam.MemberAdam). So each member is the run LSTMForecaster(seed=s).fit trains on
    fold f, with its own early stopping, rate cuts and best weights; a member stuck at the
    trivial solution is restarted alone.

    Args:
        train_ends: End of each fold's training part; fold f reads y before train_ends[f] only.

    Returns:
        Per fold, one fitted forecaster per seed.
    """
    folds = [_prepare(window, model, train, seeds[0], scaling, y, X, end) for end in train_ends]
    blocks = [_tensors(data) for _, _, data in folds]
    stop = [x_val.shape[0] for _, _, x_val, _ in blocks]
    if len({n > 0 for n in stop}) > 1:  # a fold too short for a block monitors its own loss
        return [_alone(folds[f][0], seeds, y, X, end) for f, end in enumerate(train_ends)]
    padded = Padded(
        torch.tensor([f for f in range(len(folds)) for _ in seeds], device=blocks[0][0].device),
        tuple(x.shape[0] for x, _, _, _ in blocks for _ in seeds),
        tuple(n for n in stop for _ in seeds),
    )
    # (N_f, L, F) per fold -> (G, max N_f, L, F); member m reads block padded.source[m]
    x, ys, x_val, y_val = (pad_stack(list(fold)) for fold in zip(*blocks, strict=True))
    stacked = TrainData(x, ys, x_val, y_val, padded)
    members = [s for _ in folds for s in seeds]  # fold-major: member f * S + s
    n_features = folds[0][1].shape[1]
    net, histories = _train(n_features, window, model, train, stacked, members, None)
    return [
        [
            _member(template, n_features, data, net, m, histories[m], members[m], train.lr)
            for m in range(f * len(seeds), (f + 1) * len(seeds))
        ]
        for f, (template, _, data) in enumerate(folds)
    ]


def _prepare(
    window: WindowSpec,
    model: ModelSpec,
    train: TrainSpec,
    seed: int,
    scaling: str,
    y: ArrayLike,
    X: ArrayLike | None,
    train_end: int | None,
) -> tuple[LSTMForecaster, NDArray[np.float64], TrainData]:
    """The forecaster's own preparation: the scaler and windows of a solo run of any seed."""
    template = LSTMForecaster(window, model, dataclasses.replace(train, seed=seed), scaling)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ThinDataWarning)  # said once by the caller
        inputs, data = template._prepare(y, X, train_end)
    return template, inputs, data


def _tensors(data: TrainData) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """x, y, x_val, y_val of a prepared run; its block may be empty, never None."""
    assert data.x_val is not None and data.y_val is not None
    return data.x, data.y, data.x_val, data.y_val


def _alone(
    template: LSTMForecaster,
    seeds: Sequence[int],
    y: ArrayLike,
    X: ArrayLike | None,
    train_end: int,
) -> list[LSTMForecaster]:
    """Each seed trained on its own, as LSTMForecaster.fit trains it."""
    out = []
    for seed in seeds:
        train = dataclasses.replace(template.train, seed=seed)
        one = LSTMForecaster(template.window, template.model, train, template.scaling)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ThinDataWarning)  # said once by the caller
            out.append(one.fit(y, X, train_end=train_end))
    return out


def _train(
    n_features: int,
    window: WindowSpec,
    model: ModelSpec,
    train: TrainSpec,
    stacked: TrainData,
    seeds: Sequence[int],
    lrs: Sequence[float] | None,
) -> tuple[BatchedForecastNet, list[History]]:
    """One member per seed, drawn as its solo run draws it, trained on stacked."""
    with using_threads(train.threads):
        net = BatchedForecastNet.seeded(n_features, model, window.horizon, 1, seeds)
        net.to(stacked.x.device)
        precision = resolve_precision(train.precision, model, stacked.x.device, batched=True)
        together = dataclasses.replace(train, precision=precision)
        return net, fit_members(net, stacked, together, seeds, lrs=lrs)


def _member(
    template: LSTMForecaster,
    n_features: int,
    data: TrainData,
    net: BatchedForecastNet,
    m: int,
    history: History,
    seed: int,
    lr: float,
) -> LSTMForecaster:
    """Member m as the forecaster of its seed and rate, restarted alone if it got stuck."""
    train = dataclasses.replace(template.train, seed=seed, lr=lr)
    one = LSTMForecaster(template.window, template.model, train, template.scaling)
    one.scaler_, one.n_features_ = template.scaler_, template.n_features_
    one.n_ids_, one.ids_ = template.n_ids_, template.ids_
    one.stop_block_ = template.stop_block_
    one.net_, one.history_ = net.member(m), history
    if history.stuck and train.restarts > 0:
        one._fit_from(n_features, data, (), first_attempt=1)
    return one


@dataclass(frozen=True)
class BatchingChoice:
    """Whether the runs of one configuration train as one batched network, and why.

    Attributes:
        setting: "auto" (the measured rule decides) or "off" (one model at a time).
        device: Device type the runs train on: "cpu" or "cuda".
        cell, activation, units: The configuration, as the rule reads it.
        batched: The choice: the seeds of a fold train together, and under --lr auto the
            candidate rates too; the folds after the first train together as seeds x folds.
    """

    setting: str
    device: str
    cell: str
    activation: str
    units: int
    batched: bool

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready values."""
        return dataclasses.asdict(self)


def batching_choice(
    model: ModelSpec, setting: str = "auto", device: str | torch.device | None = None
) -> BatchingChoice:
    """Whether a configuration's runs train batched under a setting, on a device.

    Args:
        model: The configuration.
        setting: "auto" or "off" (BATCHINGS).
        device: Where the runs train; None is CUDA when present, as training resolves it.
    """
    check_choice("batching", setting, BATCHINGS)
    kind = resolve_device(None if device is None else str(device)).type
    pays = setting == "auto" and batching_pays(model, kind)
    return BatchingChoice(setting, kind, model.cell, model.activation, model.units, pays)


def batching_pays(model: ModelSpec, device: str = "cpu") -> bool:
    """Whether training the seeds of one configuration as one batched net is faster here.

    CPU, measured with bench/ensemble.py (12 lags, batch 32, one thread, fused Adam, 2-core
    CPU), batched over solo speed: tanh LSTMs, whose solo runs use torch's oneDNN kernel, 1.17x
    at 32 units but 0.86x at 64 with 3 members (1.04x at 64, 0.82x at 128 with 9); GRUs 2.0x
    at 64 and 1.27x at 128, and relu LSTMs 2.1x and 1.24x, with 3 members.

    CUDA, not measured yet, so the CPU widths do not apply: a small net's step there costs
    its kernel launches, not its arithmetic. Where the solo net runs the hand-written cells
    (an activation other than tanh; relu for a simple RNN is fused), the batched net launches
    the same kernels once for all members, at any width a sweep tries: batched. Where the solo
    net is one cuDNN call per layer (tanh), the batched net's step-by-step cells launch about
    as many kernels as several solo runs together: one at a time.

    Args:
        model: The configuration; its cell, activation and units decide.
        device: Device type, "cpu" or "cuda"; any other trains one model at a time.

    A model with a series-id embedding trains one at a time: the batched net has none.
    """
    if model.id_embedding:
        return False
    if device == "cuda":
        return not fusable(model)
    if device != "cpu":
        return False
    limit = 32 if model.cell == "lstm" and model.activation == "tanh" else 128
    return model.units <= limit


def describe_batching(setting: str, device: str) -> str:
    """The batching rule a sweep ran under, in words, for recommendation.json."""
    if setting == "off":
        return "off: every run trained one model at a time"
    measured = "measured with bench/ensemble.py"
    if device == "cuda":
        rule = (
            "non-tanh activations batched at every width, tanh (cuDNN) one at a time; not yet "
            + measured
        )
    elif device == "cpu":
        rule = f"tanh LSTMs up to 32 units, other cells up to 128, {measured} on a 2-core CPU"
    else:
        rule = "one model at a time"
    return (
        f"auto on {device}: {rule}. Batched configurations train their seeds (and rates) as "
        "one network per fold, and the folds after the first as seeds x folds; runs.csv "
        "says which (batched)"
    )
