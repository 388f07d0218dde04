"""The seeds of one configuration trained together as one batched network, when that pays."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence

from numpy.typing import ArrayLike

from lstmsizer.config import ModelSpec, TrainSpec, WindowSpec
from lstmsizer.ensemble import BatchedForecastNet
from lstmsizer.forecaster import LSTMForecaster
from lstmsizer.holdout import ThinDataWarning
from lstmsizer.runtime import using_threads
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
    template = LSTMForecaster(window, model, dataclasses.replace(train, seed=seeds[0]), scaling)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ThinDataWarning)  # said once by the caller
        # the forecaster's own preparation: the scaler and windows of a solo run of any seed
        inputs, data = template._prepare(y, X, train_end)
    members = len(seeds)
    stacked = TrainData(
        *(t.unsqueeze(0).expand(members, *t.shape) for t in (data.x, data.y)),
        *(
            None if t is None else t.unsqueeze(0).expand(members, *t.shape)
            for t in (data.x_val, data.y_val)
        ),
    )  # (N, L, F) -> (M, N, L, F): every member reads the same windows, no copy
    with using_threads(train.threads):
        net = BatchedForecastNet.seeded(inputs.shape[1], model, window.horizon, 1, seeds)
        net.to(data.x.device)
        histories = fit_members(net, stacked, train, seeds, lrs=lrs)
    forecasters = []
    for m, seed in enumerate(seeds):
        lr = train.lr if lrs is None else float(lrs[m])
        one = LSTMForecaster(window, model, dataclasses.replace(train, seed=seed, lr=lr), scaling)
        one.scaler_, one.n_features_ = template.scaler_, template.n_features_
        one.stop_block_ = template.stop_block_
        one.net_, one.history_ = net.member(m), histories[m]
        if histories[m].stuck and train.restarts > 0:
            one._fit_from(inputs.shape[1], data, (), first_attempt=1)
        forecasters.append(one)
    return forecasters


def batching_pays(model: ModelSpec) -> bool:
    """Whether training the seeds of one configuration as one batched net is faster here.

    Measured with bench/ensemble.py (12 lags, batch 32, one thread, fused Adam, 2-core CPU),
    batched over solo speed: tanh LSTMs, whose solo runs use torch's oneDNN kernel, 1.17x at
    32 units but 0.86x at 64 with 3 members (1.04x at 64, 0.82x at 128 with 9); GRUs 2.0x
    at 64 and 1.27x at 128, and relu LSTMs 2.1x and 1.24x, with 3 members.

    Args:
        model: The configuration; its cell, activation and units decide.
    """
    limit = 32 if model.cell == "lstm" and model.activation == "tanh" else 128
    return model.units <= limit
