"""diagnose_run on a sweep's run folder: sizes chosen, data re-created, diagnostics.json."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import torch

from lstmsizer.datasets import get
from lstmsizer.diagnostics import DIAGNOSTICS_FILE, diagnose_run
from lstmsizer.diagnostics.sweeprun import run_dataset, select_sizes, sweep_run
from lstmsizer.errors import DataError, OptionError

torch.set_num_threads(1)


def _summary(configs: list[tuple[str, str, int, int, int]]) -> pd.DataFrame:
    rows = [(c, cell, u, n, p, 1.0) for c, cell, u, n, p in configs]
    return pd.DataFrame(
        rows, columns=["config", "cell", "units", "layers", "parameters", "mean_rmse"]
    )


def test_sizes_are_the_recommended_one_and_a_spread_of_its_widths() -> None:
    widths = [1, 2, 4, 8, 16, 32, 64]
    configs = [(f"lstm-u{u}-l1", "lstm", u, 1, 10 * u * u) for u in widths]
    configs.append(("lstm-u8-l2", "lstm", 8, 2, 1500))
    summary = _summary(configs)
    assert select_sizes(summary, "lstm-u8-l1", 3) == ["lstm-u1-l1", "lstm-u8-l1", "lstm-u64-l1"]
    assert select_sizes(summary, "lstm-u2-l1", 4) == [
        "lstm-u1-l1",
        "lstm-u2-l1",
        "lstm-u8-l1",
        "lstm-u64-l1",
    ]
    assert select_sizes(summary, "lstm-u64-l1", 1) == ["lstm-u64-l1"]
    # too few of the recommended depth: the spread takes every configuration
    assert select_sizes(summary, "lstm-u8-l2", 2) == ["lstm-u1-l1", "lstm-u8-l2"]
    with pytest.raises(DataError, match="recommended"):
        select_sizes(summary, "gru-u8-l1", 3)
    with pytest.raises(OptionError, match="sizes"):
        select_sizes(summary, "lstm-u8-l1", 0)


def test_a_folder_that_is_not_a_run_is_named(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"recommendation\.json"):
        diagnose_run(tmp_path)


@pytest.fixture
def run_dir(tiny_run: Path) -> Path:
    return tiny_run  # a copy: diagnose writes diagnostics.json into the run folder


@pytest.mark.slow
def test_diagnose_run_writes_every_result(run_dir: Path) -> None:
    found = diagnose_run(run_dir, sizes=3)
    written = json.loads((run_dir / DIAGNOSTICS_FILE).read_text())
    assert written == json.loads(json.dumps(found.to_dict()))
    assert set(written) == {
        "run_dir",
        "dataset",
        "recommended",
        "train_end",
        "n",
        "sizes",
        "units_given",
        "units_used",
        "participation",
        "deep_vs_wide",
    }
    recommendation = json.loads((run_dir / "recommendation.json").read_text())
    assert written["recommended"] == recommendation["recommendation"]["config"]
    assert [s["config"] for s in written["sizes"]] == ["lstm-u2-l1", "lstm-u4-l1"]
    assert [s["recommended"] for s in written["sizes"]].count(True) == 1
    assert written["units_given"] == [2, 4]
    assert written["deep_vs_wide"]["pairs"] == []
    for size in found.sizes:
        d = size.diagnostics
        assert d.rmse == pytest.approx(size.sweep_rmse, rel=1e-5)  # the sweep's run, retrained
        assert d.gradients.stage == "trained" and d.gradients_init is not None
        assert set(size.to_dict()["diagnostics"]) >= {"capacity", "ablation", "gradients"}
        norms = size.gradient_norms  # recorded during the retraining, one per layer per epoch
        assert norms.layers == ("lstm_1", "dense")
        assert len(norms.epochs) == len(norms.norms[0]) > 0


@pytest.mark.slow
def test_the_run_data_are_checked_or_must_be_given(run_dir: Path, tmp_path: Path) -> None:
    run = sweep_run(run_dir)
    assert len(run_dataset(run)) == 150
    with pytest.raises(DataError, match="differ"):
        run_dataset(run, get("sine", n=150, seed=1))
    with pytest.raises(DataError, match="150 values"):
        run_dataset(run, get("sine", n=140))
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    info = json.loads((copy / "recommendation.json").read_text())
    info["data"]["source"] = "array"
    (copy / "recommendation.json").write_text(json.dumps(info))
    with pytest.raises(DataError, match="data="):
        run_dataset(sweep_run(copy))
    assert len(run_dataset(sweep_run(copy), get("sine", n=150).values)) == 150
