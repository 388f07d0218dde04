"""The LSTM forecaster: windows, scaling, network and training behind the shared contract."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray

from lstmsizer.config import ModelSpec, SplitSpec, TrainSpec, WindowSpec
from lstmsizer.contract import as_origins, as_series, check_fitted
from lstmsizer.errors import DataError, ModelFileError, OptionError
from lstmsizer.models import ForecastNet
from lstmsizer.splits import Scaler
from lstmsizer.training import (
    Callback,
    History,
    TrainData,
    fit,
    fit_members,
    resolve_device,
    seed_everything,
    using_threads,
)
from lstmsizer.windows import make_windows, windows_at

FORMAT_VERSION = 1


def stack_inputs(y: ArrayLike, X: ArrayLike | None) -> NDArray[np.float64]:
    """Network inputs (T, 1 + F): the target first, then the extra features."""
    target = as_series(y)
    if X is None:
        return target[:, None]
    extra = np.asarray(X, dtype=np.float64)
    if extra.ndim == 1:
        extra = extra[:, None]
    if extra.ndim != 2 or extra.shape[0] != target.shape[0]:
        raise OptionError(
            f"X must have shape ({target.shape[0]}, n_features) to match y, got {extra.shape}"
        )
    return np.column_stack([target, extra])


class LSTMForecaster:
    """A recurrent forecaster with Keras semantics, trained by lstmsizer's one loop.

    Args:
        window: Lags read and horizon forecast per window.
        model: Cell, units, layers, activation, dropout and initialisation.
        train: Training loop settings, including the seed.
        scaling: Scaler fitted on the training part only: minmax, standard or none.

    Attributes:
        net_: The trained ForecastNet.
        scaler_: The scaler fitted on the training part.
        history_: Losses and seconds per epoch.
        n_features_: Number of network inputs (target plus extra features).
    """

    def __init__(
        self,
        window: WindowSpec | None = None,
        model: ModelSpec | None = None,
        train: TrainSpec | None = None,
        scaling: str = "minmax",
    ) -> None:
        self.window = window or WindowSpec(lags=12)
        self.model = model or ModelSpec()
        self.train = train or TrainSpec()
        self.scaling = SplitSpec(scaling=scaling).scaling  # type: ignore[arg-type]
        self.horizon = self.window.horizon
        self.name = describe(self.model)
        self.net_: ForecastNet | None = None
        self.scaler_: Scaler | None = None
        self.history_: History | None = None
        self.n_features_: int | None = None

    def fit(
        self,
        y: ArrayLike,
        X: ArrayLike | None = None,
        *,
        train_end: int | None = None,
        callbacks: Sequence[Callback] = (),
    ) -> LSTMForecaster:
        """Train on the windows whose targets lie before train_end.

        Windows whose targets start at or after train_end form the validation set that
        early stopping watches; they may read training values as inputs.

        Args:
            y: Target series (T,).
            X: Extra input features (T, F) or None.
            train_end: End of the training part; None trains on all of y.
            callbacks: Called by the training loop after every epoch (training.Callback).

        Returns:
            self
        """
        inputs, data = self._prepare(y, X, train_end)
        with using_threads(self.train.threads):
            seed_everything(self.train.seed)
            self.net_ = ForecastNet(inputs.shape[1], self.model, self.horizon)
            self.net_.to(data.x.device)
            self.history_ = fit(self.net_, data, self.train, callbacks)
        return self

    def _prepare(
        self, y: ArrayLike, X: ArrayLike | None, train_end: int | None
    ) -> tuple[NDArray[np.float64], TrainData]:
        """Fit the scaler on the training part; training and validation windows as views."""
        inputs = stack_inputs(y, X)
        n = inputs.shape[0]
        lags, horizon = self.window.lags, self.window.horizon
        end = n if train_end is None else int(train_end)
        if not lags + horizon <= end <= n:
            raise DataError(
                f"train_end must lie in [{lags + horizon}, {n}] for {lags} lags and horizon "
                f"{horizon} on a series of length {n}, got {end}"
            )
        self.scaler_ = Scaler.fit(inputs[:end], self.scaling)
        self.n_features_ = inputs.shape[1]
        scaled = self.scaler_.transform(inputs).astype(np.float32)
        series = torch.from_numpy(scaled).to(resolve_device(self.train.device))
        x, y_windows = make_windows(series, series[:, :1], lags, horizon)
        n_train = end - lags - horizon + 1
        n_skip = end - lags  # windows from here on have all targets at or after end
        data = TrainData(x[:n_train], y_windows[:n_train], x[n_skip:], y_windows[n_skip:])
        return inputs, data

    def num_parameters(self) -> int:
        """Trainable parameters of the network (Keras convention)."""
        check_fitted(self, "net_")
        assert self.net_ is not None
        return self.net_.num_parameters()

    def predict(
        self, y: ArrayLike, origins: ArrayLike, X: ArrayLike | None = None
    ) -> NDArray[np.float64]:
        """Forecast y[o : o + horizon] from y[:o] for each origin o.

        Returns:
            Array (len(origins), horizon) on the original scale.
        """
        check_fitted(self, "net_")
        assert self.net_ is not None and self.scaler_ is not None
        inputs = stack_inputs(y, X)
        if inputs.shape[1] != self.n_features_:
            raise OptionError(
                f"data must have {self.n_features_} input column(s) as in training "
                f"(target plus features), got {inputs.shape[1]}"
            )
        if inputs.shape[0] < self.window.lags:
            raise DataError(
                f"data has {inputs.shape[0]} values but the model reads windows of "
                f"{self.window.lags} lags: need at least {self.window.lags} values"
            )
        at = as_origins(origins, inputs.shape[0], self.window.lags)
        scaled = self.scaler_.transform(inputs).astype(np.float32)
        x = torch.from_numpy(np.ascontiguousarray(windows_at(scaled, self.window.lags, at)))
        device = next(self.net_.parameters()).device
        self.net_.eval()
        with using_threads(self.train.threads), torch.no_grad():
            out = self.net_(x.to(device))  # (N, L, F) -> (N, H, 1)
        pred = out[..., 0].double().cpu().numpy()
        return np.asarray(self.scaler_.inverse_transform(pred, column=0), dtype=np.float64)

    def forecast(
        self, y: ArrayLike, steps: int | None = None, X: ArrayLike | None = None
    ) -> NDArray[np.float64]:
        """The next values after the end of y, recursively beyond the horizon.

        Args:
            y: History to forecast from (at least lags values).
            steps: Number of future values; defaults to the horizon.
            X: Extra features of the history; recursion beyond the horizon needs none.
        """
        steps = self.horizon if steps is None else steps
        if not isinstance(steps, int) or steps < 1:
            raise OptionError(f"steps must be an integer >= 1, got {steps!r}")
        if steps > self.horizon and X is not None:
            raise OptionError(
                f"steps > horizon ({steps} > {self.horizon}) needs future feature values; "
                "recursive forecasts work only for a univariate model"
            )
        history = as_series(y).copy()
        out: list[float] = []
        while len(out) < steps:
            nxt = self.predict(history, [history.shape[0]], X)[0]
            out.extend(nxt[: steps - len(out)].tolist())
            history = np.concatenate([history, nxt])
        return np.asarray(out, dtype=np.float64)

    def save(self, path: str | Path) -> Path:
        """Write weights, specs, scaler and versions to one file for `lstmsizer predict`."""
        check_fitted(self, "net_")
        assert self.net_ is not None and self.scaler_ is not None and self.history_ is not None
        from lstmsizer import __version__

        payload = {
            "format": FORMAT_VERSION,
            "lstmsizer": __version__,
            "torch": str(torch.__version__),
            "window": dataclasses.asdict(self.window),
            "model": dataclasses.asdict(self.model),
            "train": dataclasses.asdict(self.train),
            "scaling": self.scaling,
            "scaler": self.scaler_.to_dict(),
            "n_features": self.n_features_,
            "history": self.history_.to_dict(),
            "state": {k: v.detach().cpu() for k, v in self.net_.state_dict().items()},
        }
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        torch.save(payload, target)
        return target

    @classmethod
    def load(cls, path: str | Path, device: str | None = None) -> LSTMForecaster:
        """Read a file written by save(); errors name the file and what is wrong."""
        payload = _read_model_file(Path(path))
        try:
            train = dataclasses.replace(TrainSpec(**payload["train"]), device=device)
            model = cls(WindowSpec(**payload["window"]), ModelSpec(**payload["model"]), train)
            model.scaling = payload["scaling"]
            model.scaler_ = Scaler.from_dict(payload["scaler"])
            model.n_features_ = int(payload["n_features"])
            model.history_ = History(**payload["history"])
            net = ForecastNet(model.n_features_, model.model, model.horizon)
            net.load_state_dict(payload["state"])
        except (KeyError, TypeError, RuntimeError, ValueError) as exc:
            raise ModelFileError(f"{path} is not a valid lstmsizer model file: {exc}") from exc
        model.net_ = net.to(resolve_device(device))
        return model


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
) -> list[LSTMForecaster]:
    """One forecaster per seed, trained together as one batched network.

    Member m starts from the weights LSTMForecaster(seed=seeds[m]) would draw and shuffles
    with the same seed, so each member is a run of that seed; on the CPU the batched step
    costs little more than one small model's, which is what makes sweeps fast.

    Returns:
        Fitted forecasters, one per seed, each with its own history.
    """
    from lstmsizer.ensemble import BatchedForecastNet

    template = LSTMForecaster(window, model, dataclasses.replace(train, seed=seeds[0]), scaling)
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
        histories = fit_members(net, stacked, train, seeds)
    forecasters = []
    for m, seed in enumerate(seeds):
        one = LSTMForecaster(window, model, dataclasses.replace(train, seed=seed), scaling)
        one.scaler_, one.n_features_ = template.scaler_, template.n_features_
        one.net_, one.history_ = net.member(m), histories[m]
        forecasters.append(one)
    return forecasters


def _read_model_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ModelFileError(f"model file {path} does not exist")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a file that is not a model
        kind = type(exc).__name__
        raise ModelFileError(f"{path} is not an lstmsizer model file ({kind})") from exc
    if not isinstance(payload, dict) or "format" not in payload:
        raise ModelFileError(f"{path} is not an lstmsizer model file")
    if payload["format"] != FORMAT_VERSION:
        raise ModelFileError(
            f"{path} has model format {payload['format']} (lstmsizer {payload.get('lstmsizer')}); "
            f"this lstmsizer reads format {FORMAT_VERSION}"
        )
    return payload


def describe(spec: ModelSpec) -> str:
    """Short label such as LSTM(100, relu) or 2×GRU(64)."""
    act = "" if spec.activation == "tanh" else f", {spec.activation}"
    stack = f"{spec.layers}×" if spec.layers > 1 else ""
    return f"{stack}{spec.cell.upper()}({spec.units}{act})"
