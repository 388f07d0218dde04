"""Shared test settings: one torch thread, so parallel test workers do not fight over cores."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from helpers import patch_sweep_baselines

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished tiny sweep on sine: two widths, one layer, one seed, one fold."""
    from lstmsizer.datasets import get
    from lstmsizer.sweep import sweep

    out = tmp_path_factory.mktemp("tiny-sweep") / "run"
    with pytest.MonkeyPatch.context() as patch:
        patch_sweep_baselines(patch)
        sweep(
            get("sine", n=150),
            out=out,
            lags=4,
            units=(2, 4),
            layers=(1,),
            seeds=1,
            folds=1,
            epochs=2,
            patience=None,
            workers=1,
            progress=False,
        )
    return out
