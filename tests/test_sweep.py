"""The sweep: recommendation on known data, resume after kill -9, workers, storage checks."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import optuna
import pandas as pd
import pytest

from lstmsizer.config import ModelSpec
from lstmsizer.datasets import get
from lstmsizer.errors import OptionError
from lstmsizer.sweeping import SweepSpec, sweep
from lstmsizer.sweeping import runs as runs_module
from lstmsizer.sweeping.plan import configurations

# race off: these sweeps check that every configuration trains on every fold
TINY = {"seeds": 2, "folds": 2, "epochs": 3, "patience": None, "test_fraction": 0.1, "race": False}


def _planned(result_runs: pd.DataFrame) -> list[tuple[str, int, int]]:
    keys = zip(result_runs["config"], result_runs["seed"], result_runs["fold"], strict=True)
    return sorted((str(c), int(s), int(f)) for c, s, f in keys)


def _expected(spec: SweepSpec, n_features: int = 1) -> list[tuple[str, int, int]]:
    return sorted(
        (c.id, s, f)
        for c in configurations(spec, n_features)
        for s in spec.seed_list()
        for f in range(spec.split.folds)
    )


def test_equal_budget_widths_are_added_for_deep_configurations() -> None:
    spec = SweepSpec().replace(units=(8,), layers=(1, 2))
    configs = configurations(spec, 1)
    wide = [c for c in configs if c.origin == "equal budget"]
    assert [c.model.layers for c in wide] == [1] and len(configs) == 3


@pytest.mark.slow
def test_on_a_linear_ar_process_a_baseline_is_as_good(tmp_path: Path) -> None:
    data = get("ar", n=240, seed=1)
    result = sweep(data, out=tmp_path, units=(2, 8), layers=(1,), workers=1, lags=6, **TINY)
    assert not result.recommendation.lstm_needed
    assert "not needed" in result.recommendation.verdict
    assert _planned(result.runs) == _expected(
        SweepSpec().replace(units=(2, 8), layers=(1,), lags=6, **TINY)
    )
    for name in ("runs.csv", "summary.csv", "baselines.csv", "recommendation.json", "model.pt"):
        assert (tmp_path / name).is_file()
    saved = json.loads((tmp_path / "recommendation.json").read_text())
    assert saved["recommendation"]["config"] == result.recommendation.config
    assert saved["environment"]["torch"] and saved["spec"]["seeds"] == 2
    model = result.load_model()
    assert model.forecast(data.values).shape == (1,)


@pytest.mark.slow
def test_on_mackey_glass_the_lstm_beats_linear_ar(tmp_path: Path) -> None:
    data = get("mackey-glass", n=600, step=6)
    spec = SweepSpec().replace(
        lags=12,
        units=(32,),
        layers=(1,),
        seeds=2,
        folds=2,
        epochs=100,
        patience=15,
        lr=3e-3,
        batch_size=16,
        test_fraction=0.1,
    )
    result = sweep(data, spec=spec, out=tmp_path, workers=1)
    baselines = result.baselines.set_index("model")["mean_rmse"]
    assert result.recommendation.mean_rmse < baselines["linear AR(12)"]


def test_resuming_with_other_settings_is_an_error(tmp_path: Path) -> None:
    data = get("seed")
    spec = SweepSpec().replace(
        lags=2,
        units=(1,),
        layers=(1,),
        seeds=1,
        folds=1,
        epochs=1,
        test_fraction=0.0,
        patience=None,
    )
    sweep(data, spec=spec, out=tmp_path, workers=1, study="s")
    other = SweepSpec().replace(
        lags=2,
        units=(2,),
        layers=(1,),
        seeds=1,
        folds=1,
        epochs=1,
        test_fraction=0.0,
        patience=None,
    )
    with pytest.raises(OptionError, match="units"):
        sweep(data, spec=other, out=tmp_path, workers=1, study="s")


def test_rerun_of_a_finished_sweep_trains_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = get("sine", n=120)
    spec = SweepSpec().replace(
        lags=4, units=(2,), layers=(1,), seeds=1, folds=1, epochs=1, patience=None
    )
    first = sweep(data, spec=spec, out=tmp_path, workers=1)

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("a finished configuration was trained again")

    monkeypatch.setattr("lstmsizer.sweeping.folds.train_configuration", boom)
    monkeypatch.setattr("lstmsizer.sweeping.engine.train_configuration", boom)
    second = sweep(data, spec=spec, out=tmp_path, workers=1)
    assert _planned(second.runs) == _planned(first.runs)


def test_a_failing_configuration_is_recorded_and_the_sweep_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = runs_module.train_run

    def nan_for_one_unit(config, spec, dataset, split, fold, seed, lr=None):  # type: ignore[no-untyped-def]
        row, model = real(config, spec, dataset, split, fold, seed, lr)
        if config.model.units == 1 and fold >= 0:
            row.update(rmse=float("nan"), error="training loss became NaN or infinite")
        return row, model

    monkeypatch.setattr(runs_module, "train_run", nan_for_one_unit)
    data = get("sine", n=120)
    spec = SweepSpec().replace(
        lags=4, units=(1, 2), layers=(1,), seeds=1, folds=1, epochs=1, patience=None, lr=1e-3
    )
    result = sweep(data, spec=spec, out=tmp_path, workers=1)
    assert set(result.runs["config"]) == {"lstm-u1-l1", "lstm-u2-l1"}
    assert result.recommendation.config == "lstm-u2-l1"
    study = optuna.load_study(
        study_name="sine-lags4-h1",
        storage=optuna.storages.JournalStorage(
            optuna.storages.journal.JournalFileBackend(str(tmp_path / "study.journal"))
        ),
    )
    failed = [t for t in study.trials if t.state == optuna.trial.TrialState.FAIL]
    assert [t.user_attrs["reason"] for t in failed] == ["training loss became NaN or infinite"]


SCRIPT = textwrap.dedent(
    """
    import sys
    from lstmsizer.datasets import get
    from lstmsizer.sweeping import sweep
    sweep(get("sine", n=200), out=sys.argv[1], lags=6, units=(1, 2, 3, 4), layers=(1,),
          seeds=2, folds=2, epochs=int(sys.argv[3]), patience=None, workers=int(sys.argv[2]),
          race=False)
    """
)


def _journal_runs(run_dir: Path) -> int:
    path = run_dir / "study.journal"
    if not path.exists():
        return 0
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(path)))
    try:
        study = optuna.load_study(study_name="sine-lags6-h1", storage=storage)
    except KeyError:
        return 0
    return sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)


@pytest.mark.slow
def test_a_sweep_killed_with_sigkill_resumes_with_every_run_exactly_once(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(tmp_path), "1", "40"], env=env)
    deadline = time.monotonic() + 240
    while _journal_runs(tmp_path) < 1 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert proc.poll() is None, "the sweep finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = _journal_runs(tmp_path)
    assert 1 <= done_before < 4
    subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path), "1", "40"], env=env, check=True)
    runs = pd.read_csv(tmp_path / "runs.csv")
    spec = SweepSpec().replace(
        lags=6, units=(1, 2, 3, 4), layers=(1,), seeds=2, folds=2, epochs=40, patience=None
    )
    assert _planned(runs) == _expected(spec)


@pytest.mark.slow
def test_two_local_workers_share_one_journal_study(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path), "2", "3"], check=True)
    runs = pd.read_csv(tmp_path / "runs.csv")
    spec = SweepSpec().replace(
        lags=6, units=(1, 2, 3, 4), layers=(1,), seeds=2, folds=2, epochs=3, patience=None
    )
    assert _planned(runs) == _expected(spec)
    assert runs["trial"].nunique() == 4


@pytest.mark.slow
def test_tpe_search_finishes_the_asked_number_of_trials(tmp_path: Path) -> None:
    spec = SweepSpec().replace(
        lags=4, search="tpe", trials=3, seeds=1, folds=2, epochs=2, patience=None, init="keras"
    )
    result = sweep(get("sine", n=150), spec=spec, out=tmp_path, workers=1)
    assert result.runs["trial"].nunique() == 3
    assert result.recommendation.config in set(result.table["config"])
    searched = result.runs.iloc[0]
    assert 1 <= int(searched["units"]) <= 1024 and 1e-4 <= float(searched["lr"]) <= 1e-2
    final = result.load_model()  # retrained with the searched settings, init included
    assert final.model.init == "keras" and "LSTM(" in final.name


def test_the_largest_configurations_are_planned_first(tmp_path: Path) -> None:
    from lstmsizer.sweeping.engine import Job

    spec = SweepSpec().replace(units=(2, 64, 8), layers=(1, 2))
    configs = {c.id: c for c in configurations(spec, 1)}
    order = Job(spec, get("seed"), None, "s", tmp_path, configs).largest_first()
    # 1 x 111 (the equal-budget width of 2 x 64) is a little larger than 2 x 64 itself.
    assert order[:2] == ["lstm-u111-l1", "lstm-u64-l2"] and order[-1] == "lstm-u2-l1"
    assert sorted(order) == sorted(configs)


def test_a_series_too_short_for_the_folds_fails_before_any_study(tmp_path: Path) -> None:
    from lstmsizer.errors import DataError

    with pytest.raises(DataError, match="need at least 18 values"):
        sweep(get("seed"), out=tmp_path, lags=12, workers=2)
    assert not (tmp_path / "study.journal").exists()


@pytest.mark.parametrize("units", [3, 64])  # seeds trained batched, and one after another
def test_a_folds_validation_values_never_touch_its_training(units: int) -> None:
    from lstmsizer.splits import rolling_origin_folds
    from lstmsizer.sweeping.folds import train_configuration
    from lstmsizer.sweeping.plan import Configuration

    spec = SweepSpec().replace(
        lags=6, seeds=2, folds=3, epochs=40, patience=4, min_epochs=2, lr_patience=2, restarts=1
    )
    data = get("sine", n=160, seed=3)
    folds, _ = rolling_origin_folds(
        len(data), spec.window, spec.split.folds, spec.split.test_fraction
    )
    first = folds[0]
    changed = get("sine", n=160, seed=3)
    changed.values[first.train_end : first.n] = (
        50.0 + 10.0 * changed.values[first.train_end : first.n]
    )
    config = Configuration(ModelSpec("lstm", units, 1, "tanh"))
    a = train_configuration(config, spec, data, folds[:1])
    b = train_configuration(config, spec, changed, folds[:1])
    assert a.lr == b.lr
    timeless = [
        [{k: v for k, v in row.items() if k != "seconds"} for row in t.lr_search] for t in (a, b)
    ]
    assert timeless[0] == timeless[1] and len(timeless[0]) == 3
    kept = ("epochs", "best_epoch", "train_loss", "val_loss", "lr", "restarts", "stop_windows")
    for ra, rb in zip(a.rows, b.rows, strict=True):
        assert {k: ra[k] for k in kept} == {k: rb[k] for k in kept}
        assert ra["rmse"] != rb["rmse"]  # only the score of the changed block moves


def test_the_rate_with_the_lowest_mean_block_loss_over_seeds_wins() -> None:
    from lstmsizer.forecaster import LSTMForecaster
    from lstmsizer.history import History
    from lstmsizer.sweeping.plan import Configuration
    from lstmsizer.sweeping.runs import choose_rate

    def run(loss: float) -> tuple[dict[str, object], LSTMForecaster]:
        model = LSTMForecaster()
        model.history_ = History(train_loss=[0.5], val_loss=[loss], best_epoch=0)
        return {"seconds": 1.0}, model

    per_rate = [[run(0.30), run(0.30)], [run(0.10), run(0.90)], [run(0.20), run(float("nan"))]]
    chosen, rows = choose_rate(
        Configuration(ModelSpec("lstm", 4, 1, "tanh")), (1e-3, 3e-3, 1e-2), per_rate
    )
    # means 0.30, 0.50 and infinite: the steady rate wins although one seed did best at 3e-3
    assert chosen == 0 and [row["chosen"] for row in rows] == [True, False, False]
    assert rows[1]["val_loss"] == pytest.approx(0.5) and rows[0]["seconds"] == 2.0
    assert math.isnan(float(rows[2]["val_loss"]))  # type: ignore[arg-type]


def test_training_time_counts_every_run_and_the_rates_not_chosen() -> None:
    from lstmsizer.sweeping.result import training_seconds

    runs = pd.DataFrame({"seconds": [1.0, 2.0, 3.5]})
    search = pd.DataFrame({"seconds": [10.0, 4.0, 20.0], "chosen": [False, True, False]})
    # the chosen rate's 4 s are the first fold's runs, already among the runs' seconds
    assert training_seconds(runs, search) == 1.0 + 2.0 + 3.5 + 10.0 + 20.0
    assert training_seconds(runs, search.iloc[:0]) == 6.5
