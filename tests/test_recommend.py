"""Tests for summaries, the one-standard-error rule, the verdict and the generated code."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from lstmsizer.codegen import keras_code, pytorch_code
from lstmsizer.errors import DataError, LstmsizerError, OptionError
from lstmsizer.models import keras_parameter_count
from lstmsizer.recommend import (
    Recommendation,
    equal_budget_width,
    recommend,
    summarize,
    summarize_baselines,
)

SUMMARY_COLUMNS = [
    "config", "cell", "units", "layers", "activation", "parameters", "runs", "failed",
    "mean_rmse", "se_rmse", "mean_mae", "mean_mase", "mean_smape", "mean_train_loss",
    "mean_val_loss", "mean_epochs", "seconds",
]  # fmt: skip


def spread(mean: float, se: float) -> list[float]:
    """Four values whose mean and standard error (sample std / 2) are exactly mean and se."""
    a = se * math.sqrt(3)  # sample std of [-a, -a, a, a] is 2a/sqrt(3)
    return [mean - a, mean - a, mean + a, mean + a]


def make_runs(configs: dict[str, tuple[int, int, list[float]]]) -> pd.DataFrame:
    """Runs of LSTM configs given as id -> (units, parameters, rmse per seed x fold)."""
    rows = []
    for config, (units, parameters, rmses) in configs.items():
        for k, rmse in enumerate(rmses):
            rows.append(
                {
                    "config": config, "cell": "lstm", "units": units, "layers": 1,
                    "activation": "tanh", "parameters": parameters, "seed": k // 2,
                    "fold": k % 2, "epochs": 10 + k, "train_loss": 0.01 * (k + 1),
                    "val_loss": 0.02 * (k + 1), "mae": rmse * 0.8, "rmse": rmse,
                    "mase": rmse / 10, "smape": rmse * 2, "seconds": 1.5, "ignored": "x",
                }
            )  # fmt: skip
    return pd.DataFrame(rows)


def make_baselines(models: dict[str, list[float]]) -> pd.DataFrame:
    rows = [
        {"model": m, "fold": k, "mae": r, "rmse": r, "mase": r / 10, "smape": r * 2}
        for m, rmses in models.items()
        for k, r in enumerate(rmses)
    ]
    return pd.DataFrame(rows)


def summary_of(rows: list[tuple[str, int, int, float, float]]) -> pd.DataFrame:
    """A summary table by hand: (config, units, parameters, mean_rmse, se_rmse)."""
    return pd.DataFrame(
        [
            {"config": c, "cell": "lstm", "units": u, "layers": 1, "activation": "tanh",
             "parameters": p, "mean_rmse": m, "se_rmse": s}
            for c, u, p, m, s in rows
        ]
    )  # fmt: skip


def baseline_of(model: str, mean: float, se: float) -> pd.DataFrame:
    return pd.DataFrame([{"model": model, "mean_rmse": mean, "se_rmse": se}])


THREE = {
    "lstm-u128": (128, 66_177, spread(10.0, 1.0)),
    "lstm-u16": (16, 1_169, spread(10.5, 0.4)),
    "lstm-u2": (2, 35, spread(12.0, 0.2)),
}


def test_summarize_columns_order_and_means() -> None:
    summary = summarize(make_runs(THREE))
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert list(summary["config"]) == ["lstm-u2", "lstm-u16", "lstm-u128"]  # by parameters
    row = summary.set_index("config").loc["lstm-u16"]
    assert row["mean_rmse"] == pytest.approx(10.5)
    assert row["se_rmse"] == pytest.approx(0.4)
    assert row["mean_mae"] == pytest.approx(8.4)
    assert row["mean_epochs"] == pytest.approx(11.5)
    assert row["mean_val_loss"] == pytest.approx(0.05)
    assert (row["runs"], row["failed"], row["seconds"]) == (4, 0, pytest.approx(6.0))


def test_se_matches_numpy_and_is_zero_for_one_run() -> None:
    rng = np.random.default_rng(3)
    values = {f"c{n}": list(rng.uniform(5, 15, size=n)) for n in (1, 2, 5, 9)}
    runs = make_runs({c: (n, 10 * n, v) for n, (c, v) in enumerate(values.items(), start=1)})
    summary = summarize(runs).set_index("config")
    for config, v in values.items():
        expected = 0.0 if len(v) == 1 else np.std(v, ddof=1) / np.sqrt(len(v))
        assert summary.loc[config, "se_rmse"] == pytest.approx(expected, rel=1e-12)
        assert summary.loc[config, "mean_rmse"] == pytest.approx(np.mean(v), rel=1e-12)


def test_failed_runs_are_counted_but_not_averaged() -> None:
    runs = make_runs({"a": (4, 100, [10.0, np.nan, 12.0, np.inf]), "b": (8, 300, [5.0, 7.0])})
    row = summarize(runs).set_index("config").loc["a"]
    assert (row["runs"], row["failed"]) == (4, 2)
    assert row["mean_rmse"] == pytest.approx(11.0)
    assert row["se_rmse"] == pytest.approx(np.std([10.0, 12.0], ddof=1) / np.sqrt(2))
    assert row["mean_epochs"] == pytest.approx((10 + 12) / 2)  # epochs of successful runs only
    assert row["seconds"] == pytest.approx(6.0)  # time spent counts failed runs too


def test_summarize_rejects_missing_columns_and_mixed_configs() -> None:
    runs = make_runs(THREE)
    with pytest.raises(DataError, match="mase"):
        summarize(runs.drop(columns="mase"))
    runs.loc[0, "units"] = 999
    with pytest.raises(DataError, match="lstm-u128"):
        summarize(runs)


def test_one_standard_error_rule_picks_the_smaller_config() -> None:
    summary = summarize(make_runs(THREE))
    rec = recommend(summary, baseline_of("naive", 30.0, 1.0), lags=12)
    assert rec.config == "lstm-u16"
    assert (rec.units, rec.parameters) == (16, 1_169)
    assert rec.best_config == "lstm-u128"
    assert rec.threshold == pytest.approx(11.0)
    assert rec.mean_rmse == pytest.approx(10.5)
    assert rec.se_rmse == pytest.approx(0.4)


def test_ties_on_parameters_pick_the_lower_mean_and_the_bound_is_inclusive() -> None:
    summary = summary_of(
        [
            ("best", 128, 66_177, 10.0, 1.0),
            ("tie-high", 8, 337, 10.8, 0.1),
            ("tie-low", 8, 337, 10.6, 0.1),
            ("over", 1, 13, 11.01, 0.1),
        ]
    )
    assert recommend(summary, baseline_of("naive", 50.0, 1.0), lags=2).config == "tie-low"
    on_bound = pd.concat([summary, summary_of([("bound", 2, 35, 11.0, 0.3)])])
    assert recommend(on_bound, baseline_of("naive", 50.0, 1.0), lags=2).config == "bound"


def test_configs_that_only_failed_are_ignored_and_all_failed_is_an_error() -> None:
    runs = make_runs({"dead": (1, 13, [np.nan, np.nan]), "alive": (64, 17_000, [9.0, 11.0])})
    summary = summarize(runs)
    assert summary.set_index("config").loc["dead", "failed"] == 2
    assert recommend(summary, baseline_of("naive", 50.0, 1.0), lags=2).config == "alive"
    dead = summarize(make_runs({"a": (1, 13, [np.nan]), "b": (2, 35, [np.nan, np.nan])}))
    with pytest.raises(DataError, match="all failed") as info:
        recommend(dead, baseline_of("naive", 50.0, 1.0), lags=2)
    assert isinstance(info.value, LstmsizerError)


def test_baseline_within_one_se_means_no_lstm_needed() -> None:
    summary = summary_of([("lstm-u32", 32, 4_385, 21.0, 1.1)])
    rec = recommend(summary, baseline_of("linear AR(12)", 20.1, 0.8), lags=12)
    assert rec.lstm_needed is False
    assert rec.baseline == "linear AR(12)"
    assert rec.verdict == (
        "linear AR(12) is as good as LSTM(32) (RMSE 20.1 ± 0.8 vs 21.0 ± 1.1): "
        "an LSTM is not needed here."
    )
    slightly_better_lstm = summary_of([("lstm-u32", 32, 4_385, 20.0, 0.5)])
    rec = recommend(slightly_better_lstm, baseline_of("linear AR(12)", 20.3, 0.2), lags=12)
    assert not rec.lstm_needed
    assert rec.verdict.startswith("linear AR(12) is as good as LSTM(32) (RMSE 20.3 ± 0.2 vs")
    worse_lstm = summary_of([("lstm-u32", 32, 4_385, 25.0, 1.0)])
    rec = recommend(worse_lstm, baseline_of("linear AR(12)", 20.1, 0.8), lags=12)
    assert not rec.lstm_needed
    assert rec.verdict.startswith("linear AR(12) is better than LSTM(32)")


def test_baseline_clearly_worse_means_lstm_needed() -> None:
    summary = summary_of(
        [("lstm-u128", 128, 66_177, 16.5, 0.5), ("lstm-u32", 32, 4_385, 16.9, 0.4)]
    )
    baselines = pd.concat(
        [baseline_of("naive", 33.3, 2.0), baseline_of("linear AR(12)", 20.1, 0.8)]
    )
    rec = recommend(summary, baselines, lags=12)
    assert rec.lstm_needed is True
    assert (rec.config, rec.baseline, rec.baseline_rmse) == ("lstm-u32", "linear AR(12)", 20.1)
    assert rec.verdict == (
        "LSTM(32) beats the best baseline, linear AR(12) (RMSE 16.9 ± 0.4 vs 20.1 ± 0.8); it is "
        "the smallest model within one standard error of the best (LSTM(128), 16.5 ± 0.5)."
    )


def test_recommendation_to_dict_is_plain_json() -> None:
    summary = summarize(make_runs(THREE))
    rec = recommend(summary, summarize_baselines(make_baselines({"naive": [30.0, 31.0]})), lags=3)
    data = json.loads(json.dumps(rec.to_dict()))
    assert set(data) == set(Recommendation.__dataclass_fields__)
    assert data["config"] == "lstm-u16"
    assert data["parameters"] == 1_169
    assert data["lstm_needed"] is True
    assert "keras.Input(shape=(3, 1))" in data["keras_code"]


def test_summarize_baselines_means_se_and_order() -> None:
    table = make_baselines(
        {"naive": [33.0, 35.0, 31.0], "linear AR(12)": [20.0, 21.0, np.nan], "ets": [np.nan]}
    )
    out = summarize_baselines(table)
    assert list(out["model"]) == ["linear AR(12)", "naive", "ets"]
    ar = out.iloc[0]
    assert (ar["runs"], ar["failed"]) == (3, 1)
    assert ar["mean_rmse"] == pytest.approx(20.5)
    assert ar["se_rmse"] == pytest.approx(np.std([20.0, 21.0], ddof=1) / np.sqrt(2))
    assert ar["mean_smape"] == pytest.approx(41.0)
    assert out.iloc[1]["se_rmse"] == pytest.approx(np.std([33, 35, 31], ddof=1) / np.sqrt(3))
    with pytest.raises(DataError, match="fold"):
        summarize_baselines(table.drop(columns="fold"))


@pytest.mark.parametrize(
    ("cell", "units", "layers", "activation", "n_features", "horizon", "dropout"),
    [
        ("lstm", 32, 1, "tanh", 1, 1, 0.0),
        ("lstm", 16, 3, "tanh", 2, 3, 0.2),
        ("gru", 8, 2, "tanh", 1, 1, 0.0),
        ("rnn", 5, 2, "tanh", 3, 2, 0.1),
        ("rnn", 6, 1, "relu", 1, 1, 0.0),
    ],
)
def test_pytorch_code_runs_and_matches_keras_count(
    cell: str, units: int, layers: int, activation: str, n_features: int, horizon: int,
    dropout: float,
) -> None:  # fmt: skip
    torch.manual_seed(0)
    code = pytorch_code(cell, units, layers, activation, 7, n_features, horizon, dropout)
    namespace: dict[str, object] = {}
    exec(compile(code, "<pytorch>", "exec"), namespace)
    model, net = namespace["model"], namespace["net"]
    assert isinstance(model, torch.nn.Module) and isinstance(net, torch.nn.Module)
    x = torch.randn(2, 7, n_features)
    assert model(x).shape == (2, horizon)
    assert net(x).shape == (2, horizon, 1)
    expected = keras_parameter_count(cell, units, layers, n_features, horizon)
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == expected
    if cell != "gru":
        assert "bias_hh" in code


def test_pytorch_code_for_a_custom_activation_builds_forecastnet() -> None:
    code = pytorch_code("lstm", 100, 1, "relu", 2)
    assert "custom cell" in code and "nn.LSTM(" not in code
    namespace: dict[str, object] = {}
    exec(compile(code, "<pytorch>", "exec"), namespace)
    net = namespace["net"]
    assert net.spec.activation == "relu"  # type: ignore[attr-defined]
    assert net(torch.randn(2, 2, 1)).shape == (2, 1, 1)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("cell", "layers", "activation", "dropout"),
    [("lstm", 1, "relu", 0.0), ("lstm", 3, "tanh", 0.25), ("gru", 2, "tanh", 0.0),
     ("rnn", 2, "sigmoid", 0.1)],
)  # fmt: skip
def test_keras_code_compiles_and_has_the_layers(
    cell: str, layers: int, activation: str, dropout: float
) -> None:
    code = keras_code(cell, 64, layers, activation, 12, 3, 2, dropout)
    compile(code, "<keras>", "exec")
    layer = {"lstm": "LSTM", "gru": "GRU", "rnn": "SimpleRNN"}[cell]
    assert code.count(f"layers.{layer}(64") == layers
    assert code.count("return_sequences=True") == layers - 1
    assert code.count("layers.Dropout(") == (layers - 1 if dropout > 0 else 0)
    assert "keras.Input(shape=(12, 3))" in code and "layers.Dense(2)" in code
    assert ("activation=" in code) == (activation != "tanh")
    assert ("reset_after=True" in code) == (cell == "gru")


def test_code_generation_rejects_bad_arguments() -> None:
    with pytest.raises(OptionError, match="cell"):
        keras_code("transformer", 8, 1, "tanh", 2)
    with pytest.raises(OptionError, match="lags"):
        pytorch_code("lstm", 8, 1, "tanh", 0)
    with pytest.raises(OptionError, match="dropout"):
        keras_code("lstm", 8, 2, "tanh", 2, dropout=1.5)


@pytest.mark.parametrize(
    ("cell", "units", "layers", "n_features", "horizon"),
    [("lstm", 64, 2, 1, 1), ("lstm", 128, 3, 1, 1), ("gru", 32, 4, 5, 3), ("rnn", 7, 2, 1, 1),
     ("rnn", 256, 2, 12, 24), ("lstm", 1, 2, 1, 1), ("gru", 500, 2, 1, 1)],
)  # fmt: skip
def test_equal_budget_width_is_the_nearest_count(
    cell: str, units: int, layers: int, n_features: int, horizon: int
) -> None:
    target = keras_parameter_count(cell, units, layers, n_features, horizon)
    counts = np.array(
        [keras_parameter_count(cell, w, 1, n_features, horizon) for w in range(1, 5001)]
    )
    nearest = int(np.argmin(np.abs(counts - target))) + 1  # smallest width on a tie
    assert equal_budget_width(cell, units, layers, n_features, horizon) == nearest


def test_equal_budget_width_of_one_layer_is_itself_and_checks_arguments() -> None:
    assert equal_budget_width("lstm", 100, 1, 1) == 100
    with pytest.raises(OptionError, match="layers"):
        equal_budget_width("lstm", 100, 0, 1)


def test_module_imports_neither_torch_nor_optuna() -> None:
    code = (
        "import sys, lstmsizer; before = set(sys.modules); import lstmsizer.recommend; "
        "new = set(sys.modules) - before; "
        "print(sorted(m for m in new if m.split('.')[0] in ('torch', 'optuna')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
