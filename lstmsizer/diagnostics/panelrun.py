"""A panel sweep's data re-read for diagnose, and checked to be the panel the sweep ran on."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from lstmsizer.datasets import get, resolve
from lstmsizer.errors import DataError, OptionError
from lstmsizer.panel import Panel, is_panel
from lstmsizer.panelscaling import PanelScaler
from lstmsizer.panelsplits import PanelSplit, panel_folds
from lstmsizer.rundir.files import MODEL_FILE

if TYPE_CHECKING:
    from lstmsizer.forecaster import LSTMForecaster
    from lstmsizer.sweepspec import SweepSpec

PANEL_HINT = (
    "pass the panel the sweep ran on (data=...), or re-read its file with the --id-column, "
    "--wide and --time-column it was swept with"
)


class SweepRun(Protocol):
    """What is read of a run folder here (sweeprun.SweepRun, which imports this module)."""

    @property
    def path(self) -> Path: ...  # the run folder

    @property
    def info(self) -> dict[str, Any]: ...  # recommendation.json

    @property
    def spec(self) -> SweepSpec: ...  # the settings it ran with


@dataclass(frozen=True)
class ReadOptions:
    """How a run's data file is read again: the data options the sweep read it with.

    Args:
        id_column: Series id column of a long table (a panel).
        wide: The file has one column per series (a panel).
        time_column: Time column.
        column: Target column.
        fill: Missing-value handling, as loading.FILLS.
    """

    id_column: str | None = None
    wide: bool = False
    time_column: str | None = None
    column: str | None = None
    fill: str | None = None

    def given(self) -> dict[str, Any]:
        """The options set, as keyword arguments of datasets.resolve."""
        return {k: v for k, v in vars(self).items() if v not in (None, False)}


def panel_of_run(run: SweepRun, data: Any, read: ReadOptions) -> Panel:
    """The panel a panel sweep ran on: ``data`` when given, else re-read by name or from its file.

    A series shorter than lags + horizon is left out, as the sweep did with drop_short (a
    sweep without it fails on such a panel), so the file read again gives the same series.

    Raises:
        DataError: When the data cannot be re-read, is one series, or differ from the run's
            (check_panel).
        OptionError: For read options given with an embedded panel.
    """
    meta = run.info["data"]
    name, source = str(meta.get("name")), str(meta.get("source"))
    if data is not None:
        found = resolve(data, **read.given())
    elif source == "embedded":
        if read.given():
            given = ", ".join(read.given())
            raise OptionError(f"{given} apply to a run on a file, not to the embedded {name!r}")
        found = get(name)
    elif source not in ("array", "None") and Path(source).is_file():
        try:
            found = resolve(source, **read.given())
        except (DataError, OptionError) as exc:
            raise DataError(f"cannot re-read {source!r} ({exc}): {PANEL_HINT}") from None
    else:
        raise DataError(
            f"the panel of {str(run.path)!r} (source {source!r}) cannot be re-read: {PANEL_HINT}"
        )
    if not is_panel(found):
        raise DataError(
            f"data must be the panel of {meta['panel']['series']} series the sweep ran on, got "
            f"the one series {found.name!r}: {PANEL_HINT}"
        )
    assert isinstance(found, Panel)
    window = run.spec.window
    panel = found.check_window(window.lags, window.horizon, drop_short=True)
    check_panel(run, panel)
    return panel


def panel_last_fold(run: SweepRun, panel: Panel) -> PanelSplit:
    """The sweep's last fold over the panel, cut again as the sweep cut it (panel_folds)."""
    split = run.spec.split
    folds, _ = panel_folds(panel, run.spec.window, split.folds, split.test_fraction, split.align)
    return folds[-1]


def check_panel(run: SweepRun, panel: Panel) -> None:
    """Raise DataError unless panel is the one the sweep in run ran on.

    Checked: the number of values and of series, the series ids (model.pt's), the folds cut
    again against data.panel.folds (which catches another time column or alignment), and the
    recommended model's PanelScaler against one fitted on the last fold's training parts.
    """
    meta = run.info["data"]
    recorded = meta["panel"]
    length, count = int(meta["length"]), int(recorded["series"])
    if panel.n_values != length or panel.n_series != count:
        raise DataError(
            f"data must have the {length} values in {count} series the sweep ran on, got "
            f"{panel.n_values} in {panel.n_series}: {PANEL_HINT}"
        )
    model = _saved_model(run)
    if model is not None and tuple(model.ids_) != panel.ids:
        ids = tuple(model.ids_)
        pairs = zip(ids, panel.ids, strict=False)  # a longer tail differs at the shorter's end
        first = next((i for i, (a, b) in enumerate(pairs) if a != b), min(len(ids), panel.n_series))
        raise DataError(
            f"data must have the series ids the sweep ran on: series {first} is "
            f"{_id(panel.ids, first)}, the model's is {_id(ids, first)}: {PANEL_HINT}"
        )
    split = run.spec.split
    try:
        folds, _ = panel_folds(
            panel, run.spec.window, split.folds, split.test_fraction, split.align
        )
    except (DataError, OptionError) as exc:
        raise DataError(f"data cannot be cut as the sweep cut it ({exc}): {PANEL_HINT}") from None
    cut = [fold.to_dict() for fold in folds]
    if "folds" in recorded and cut != recorded["folds"]:
        raise DataError(
            f"data must be cut into the folds the sweep recorded ({recorded['folds'][-1]}), got "
            f"{cut[-1]}: {PANEL_HINT}"
        )
    if model is None or not isinstance(model.scaler_, PanelScaler):
        return
    scaler = PanelScaler.fit(panel.values, folds[-1], split.scaling)
    saved = model.scaler_
    same = scaler.kind == saved.kind and np.allclose(
        [scaler.offset_, scaler.scale_], [saved.offset_, saved.scale_], rtol=1e-9, atol=0
    )
    if not same:
        raise DataError(
            f"data differ from the panel the sweep in {str(run.path)!r} ran on (its model's "
            f"per-series scaler does not match): {PANEL_HINT}"
        )


def _id(ids: tuple[str, ...], i: int) -> str:
    """Series id i, quoted, or "none" past the end."""
    return repr(ids[i]) if i < len(ids) else "none"


def _saved_model(run: SweepRun) -> LSTMForecaster | None:
    """The run's recommended model (LSTMForecaster), or None without model.pt."""
    model_file = run.path / MODEL_FILE
    if not model_file.is_file():
        return None
    from lstmsizer.forecaster import LSTMForecaster

    return LSTMForecaster.load(model_file, device="cpu")
