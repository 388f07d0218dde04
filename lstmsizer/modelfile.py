"""The model file of a fitted forecaster: weights, specs, scaler and versions in one torch file."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from lstmsizer.config import ModelSpec, Scaling, TrainSpec, WindowSpec
from lstmsizer.errors import ModelFileError
from lstmsizer.history import History
from lstmsizer.models import ForecastNet
from lstmsizer.panelscaling import PanelScaler
from lstmsizer.splits import Scaler

FORMAT_VERSION = 1


@dataclass(frozen=True)
class ModelFile:
    """What a model file holds: everything LSTMForecaster needs to predict again.

    Attributes:
        window, model, train: The forecaster's specs.
        scaling: Name of the scaler (minmax, standard, none).
        scaler: The scaler fitted on the training part.
        n_features: Network inputs, target plus extra features (and a panel model's
            series-id column).
        history: The training history.
        net: The trained network; the file records its n_ids, the series its id embedding
            has a row for (0 without one, and for files written before embeddings).
        ids: A panel model's series ids, in the order of its PanelScaler's rows; empty for
            a model of one series.
    """

    window: WindowSpec
    model: ModelSpec
    train: TrainSpec
    scaling: Scaling
    scaler: Scaler | PanelScaler
    n_features: int
    history: History
    net: ForecastNet
    ids: tuple[str, ...] = ()

    @property
    def n_ids(self) -> int:
        """Series the network's id embedding has a row for, as the file records it."""
        return self.net.n_ids

    def to_dict(self) -> dict[str, Any]:
        """The payload torch.save writes: plain values, CPU tensors and the versions."""
        from lstmsizer.version import __version__

        return {
            "format": FORMAT_VERSION,
            "lstmsizer": __version__,
            "torch": str(torch.__version__),
            "window": dataclasses.asdict(self.window),
            "model": dataclasses.asdict(self.model),
            "train": dataclasses.asdict(self.train),
            "scaling": self.scaling,
            "scaler": self.scaler.to_dict(),
            "n_features": self.n_features,
            "n_ids": self.net.n_ids,
            "ids": list(self.ids),
            "history": self.history.to_dict(),
            "state": {k: v.detach().cpu() for k, v in self.net.state_dict().items()},
        }

    @classmethod
    def from_dict(cls, payload: dict[str, Any], device: str | None = None) -> ModelFile:
        """Rebuild the record from a payload; the network stays on the CPU.

        Args:
            payload: A payload of the current FORMAT_VERSION, as to_dict wrote it.
            device: Replaces the saved TrainSpec's device.

        Raises:
            KeyError, TypeError, RuntimeError, ValueError: The payload is incomplete or does
                not fit the specs it holds.
        """
        train = dataclasses.replace(TrainSpec(**payload["train"]), device=device)
        window, model = WindowSpec(**payload["window"]), ModelSpec(**payload["model"])
        ids = tuple(str(i) for i in payload.get("ids", ()))
        scaling = payload["scaling"]
        scaler = (PanelScaler if ids else Scaler).from_dict(payload["scaler"])
        n_features, n_ids = int(payload["n_features"]), int(payload.get("n_ids", 0))
        history = History(**payload["history"])
        net = ForecastNet(n_features, model, window.horizon, n_ids=n_ids)
        net.load_state_dict(payload["state"])
        return cls(window, model, train, scaling, scaler, n_features, history, net, ids)

    def write(self, path: str | Path) -> Path:
        """Save to path, creating its folder; returns the path."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        torch.save(self.to_dict(), target)
        return target

    @classmethod
    def read(cls, path: str | Path, device: str | None = None) -> ModelFile:
        """Read a file written by write(); errors name the file and what is wrong.

        Args:
            path: The model file.
            device: Replaces the saved TrainSpec's device; the network stays on the CPU.

        Raises:
            ModelFileError: The file is missing, not a model file, of another format version,
                or incomplete.
        """
        payload = _payload(Path(path))
        try:
            return cls.from_dict(payload, device)
        except (KeyError, TypeError, RuntimeError, ValueError) as exc:
            raise ModelFileError(f"{path} is not a valid lstmsizer model file: {exc}") from exc


def _payload(path: Path) -> dict[str, Any]:
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
