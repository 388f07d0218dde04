"""Shared test settings: one torch thread, so parallel test workers do not fight over cores."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from helpers import numpy_only

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished tiny sweep on sine: two widths, one layer, one seed, one fold.

    Shared by the whole session, so read it only; a test that writes takes tiny_run.
    """
    from lstmsizer.datasets import get
    from lstmsizer.sweeping import sweep

    out = tmp_path_factory.mktemp("tiny-sweep") / "run"
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
        baselines=numpy_only,
    )
    return out


@pytest.fixture
def tiny_run(tiny_run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of tiny_run_dir of this test's own to write into, outside its tmp_path."""
    return Path(shutil.copytree(tiny_run_dir, tmp_path_factory.mktemp("tiny-run") / "run"))
