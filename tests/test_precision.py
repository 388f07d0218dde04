"""Training precision: the auto rule, native bf16 detection, and bf16 training end to end."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from helpers import numpy_only, run_main

from lstmsizer import precision
from lstmsizer.config import ModelSpec, TrainSpec, WindowSpec
from lstmsizer.datasets import get
from lstmsizer.environment import environment
from lstmsizer.errors import OptionError
from lstmsizer.forecaster import LSTMForecaster
from lstmsizer.history import History
from lstmsizer.models import ForecastNet
from lstmsizer.precision import autocast, cpu_bf16, native_bf16, resolve_precision
from lstmsizer.step import TrainStep
from lstmsizer.sweeping import sweep
from lstmsizer.sweepspec import ProtocolSpec, SweepSpec

LARGE = ModelSpec(units=256)
"""A tanh LSTM inside the measured CPU range (128-512 units, one layer)."""

# bf16 keeps 8 significant bits: each matmul input is rounded by up to 2^-9 (0.2%) relative,
# weights, accumulation and loss stay fp32. Over a few epochs of a small model that moves the
# loss and RMSE by well under 2%, ten times the rounding of one value; the cast being lost
# (training in fp32) is caught separately by asking that the runs differ at all.
BF16_TOLERANCE = 0.02


def _native(monkeypatch: pytest.MonkeyPatch, value: bool) -> None:
    monkeypatch.setattr(precision, "native_bf16", lambda device: value)


def test_auto_trains_fp32_without_native_bf16(monkeypatch: pytest.MonkeyPatch) -> None:
    _native(monkeypatch, False)
    for model in (LARGE, ModelSpec(units=512), ModelSpec(units=8)):
        assert resolve_precision("auto", model, "cpu") == "fp32"


def test_auto_trains_bf16_only_at_sizes_measured_faster_on_a_native_cpu(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _native(monkeypatch, True)
    assert resolve_precision("auto", LARGE, "cpu") == "bf16"
    assert resolve_precision("auto", ModelSpec(units=128), torch.device("cpu")) == "bf16"
    # measured no faster (64 units), or never measured: larger, deeper, other cells, batched
    for model in (
        ModelSpec(units=64),
        ModelSpec(units=1024),
        ModelSpec(units=256, layers=2),
        ModelSpec(units=256, activation="relu"),
        ModelSpec(cell="gru", units=256),
    ):
        assert resolve_precision("auto", model, "cpu") == "fp32", model
    assert resolve_precision("auto", LARGE, "cpu", batched=True) == "fp32"


def test_a_cpu_measurement_never_carries_over_to_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    _native(monkeypatch, True)
    for units in (64, 128, 256, 512):
        assert resolve_precision("auto", ModelSpec(units=units), "cuda") == "fp32"
        assert resolve_precision("auto", ModelSpec(units=units), "cuda:0") == "fp32"


@pytest.mark.parametrize("native", [True, False])
def test_an_explicit_precision_is_kept(monkeypatch: pytest.MonkeyPatch, native: bool) -> None:
    _native(monkeypatch, native)
    for device in ("cpu", "cuda"):
        assert resolve_precision("bf16", ModelSpec(units=4), device) == "bf16"
        assert resolve_precision("fp32", LARGE, device) == "fp32"


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ("fpu sse avx2 avx512f avx512bw", False),
        ("fpu avx2 avx512f avx512_bf16 avx512_vnni", True),
        ("fpu avx2 amx_tile amx_bf16 amx_int8", True),
        ("fpu avx2 avx512_bf16x", False),  # a flag is a whole word
    ],
)
def test_native_cpu_bf16_is_read_from_the_cpuinfo_flags(
    tmp_path: Path, flags: str, expected: bool
) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text(
        f"processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: {flags}\n\nprocessor\t: 1\n"
        f"flags\t\t: {flags}\n"
    )
    assert cpu_bf16(info) is expected


def test_without_cpuinfo_the_torch_capability_decides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "AVX512")
    assert cpu_bf16(tmp_path / "no-cpuinfo") is False  # a vector width says nothing of bf16


def test_this_machine_is_native_exactly_when_its_cpu_has_the_flags() -> None:
    info = Path("/proc/cpuinfo")
    if not info.exists():
        pytest.skip("no /proc/cpuinfo")
    words = set(re.findall(r"\w+", info.read_text()))
    assert native_bf16("cpu") is bool(words & {"avx512_bf16", "amx_bf16"})
    assert native_bf16("meta") is False
    assert environment()["cpu_bf16_native"] is native_bf16("cpu")


def test_a_bad_precision_is_rejected_naming_it() -> None:
    for make in (
        lambda: TrainSpec(precision="fp16"),  # type: ignore[arg-type]
        lambda: ProtocolSpec(precision="half"),  # type: ignore[arg-type]
        lambda: SweepSpec().replace(precision="x"),
        lambda: resolve_precision("fp64", LARGE, "cpu"),  # type: ignore[arg-type]
    ):
        with pytest.raises(OptionError, match="precision must be one of auto, fp32, bf16"):
            make()


@pytest.mark.parametrize("command", ["fit", "sweep"])
def test_the_cli_rejects_a_bad_precision_in_one_line(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(monkeypatch, capsys, command, "--precision", "bogus")
    assert code == 2 and out == ""
    assert err.strip() == "error: precision must be one of auto, fp32, bf16, got 'bogus'"


def test_autocast_is_bf16_only_for_bf16_and_restores_onednn() -> None:
    before = torch.backends.mkldnn.enabled
    for name in ("fp32", "auto"):
        with autocast(name, "cpu"):
            assert not torch.is_autocast_enabled("cpu")
    with autocast("bf16", "cpu"):
        assert torch.is_autocast_enabled("cpu")
        assert torch.get_autocast_dtype("cpu") == torch.bfloat16
        assert torch.nn.Linear(3, 2)(torch.ones(1, 3)).dtype == torch.bfloat16
    assert not torch.is_autocast_enabled("cpu")
    assert torch.backends.mkldnn.enabled == before


def test_a_bf16_step_keeps_weights_gradients_adam_state_and_loss_in_fp32() -> None:
    torch.manual_seed(0)
    net = ForecastNet(1, ModelSpec(units=8, activation="relu"))  # hand-written cells: matmuls
    x, y = torch.randn(16, 5, 1), torch.randn(16, 1, 1)
    with torch.no_grad():
        fp32 = torch.nn.functional.mse_loss(net(x), y)
        with torch.autocast("cpu", dtype=torch.bfloat16):  # torch's own autocast
            reference = torch.nn.functional.mse_loss(net(x).float(), y)
    step = TrainStep(net, TrainSpec(precision="bf16"), [1e-3])
    loss = step(x, y)
    assert loss.dtype == torch.float32
    assert float(loss) == pytest.approx(float(reference), rel=1e-6)
    assert float(loss) != pytest.approx(float(fp32), rel=1e-6)
    for p in step.params:
        assert p.dtype == torch.float32 and p.grad is not None and p.grad.dtype == torch.float32
        state = step.optimizer.state[p]
        assert state["exp_avg"].dtype == torch.float32
        assert state["exp_avg_sq"].dtype == torch.float32


def _fit(**changes: object) -> LSTMForecaster:
    spec = dataclasses.replace(
        TrainSpec(epochs=8, batch_size=16, patience=5, progress=False), **changes
    )
    y = get("sine", n=120, seed=1).values
    return LSTMForecaster(WindowSpec(6), ModelSpec(units=8), spec).fit(y, train_end=100)


def _rmse(model: LSTMForecaster) -> float:
    y = get("sine", n=120, seed=1).values
    pred = model.predict(y, np.arange(100, 120))[:, 0]
    return float(np.sqrt(np.mean((pred - y[100:120]) ** 2)))


def test_bf16_training_runs_records_bf16_and_lands_close_to_fp32() -> None:
    fp32, bf16 = _fit(precision="fp32"), _fit(precision="bf16")
    assert fp32.history_ is not None and bf16.history_ is not None
    assert (fp32.history_.precision, bf16.history_.precision) == ("fp32", "bf16")
    a, b = fp32.history_, bf16.history_
    assert a.train_loss != b.train_loss  # the forward pass did run in bf16
    assert b.train_loss[-1] == pytest.approx(a.train_loss[-1], rel=BF16_TOLERANCE)
    assert b.val_loss[-1] == pytest.approx(a.val_loss[-1], rel=BF16_TOLERANCE)
    assert _rmse(bf16) == pytest.approx(_rmse(fp32), rel=BF16_TOLERANCE)


def test_the_default_trains_bit_for_bit_as_fp32_here(monkeypatch: pytest.MonkeyPatch) -> None:
    _native(monkeypatch, False)  # auto on a CPU without native bf16, as the reference machine
    default, fp32 = _fit(), _fit(precision="fp32")
    assert default.history_ is not None and fp32.history_ is not None
    assert default.history_.precision == "fp32"
    assert default.history_.train_loss == fp32.history_.train_loss
    assert default.net_ is not None and fp32.net_ is not None
    for p, q in zip(default.net_.parameters(), fp32.net_.parameters(), strict=True):
        assert torch.equal(p, q)


def test_history_and_model_file_keep_the_precision(tmp_path: Path) -> None:
    plain = History(precision="bf16").to_dict()
    assert History(**plain).precision == "bf16"
    assert History(**{k: v for k, v in plain.items() if k != "precision"}).precision == "fp32"
    model = _fit(precision="bf16", epochs=2)
    loaded = LSTMForecaster.load(model.save(tmp_path / "m.pt"))
    assert loaded.history_ is not None and loaded.history_.precision == "bf16"
    assert loaded.train.precision == "bf16"


def test_a_spec_records_its_precision_and_an_old_record_reads_as_auto() -> None:
    spec = SweepSpec().replace(precision="bf16")
    assert spec.to_dict()["precision"] == "bf16"
    assert spec.train.train_spec(3).precision == "bf16"
    old = {k: v for k, v in spec.to_dict().items() if k != "precision"}
    assert SweepSpec.from_dict(old).train.precision == "auto"


def _runs(out: Path, **options: object) -> pd.DataFrame:
    sweep(
        get("sine", n=150), out=out, lags=4, units=(2,), layers=(1,), seeds=2, folds=1,
        epochs=2, patience=None, workers=1, progress=False, baselines=numpy_only, **options,
    )  # fmt: skip
    return pd.read_csv(out / "runs.csv")


def test_a_sweep_records_the_precision_each_run_trained_at(
    tmp_path: Path, tiny_run_dir: Path
) -> None:
    assert set(pd.read_csv(tiny_run_dir / "runs.csv")["precision"]) == {"fp32"}
    runs = _runs(tmp_path / "bf16", precision="bf16")
    assert set(runs["precision"]) == {"bf16"} and runs["rmse"].notna().all()
