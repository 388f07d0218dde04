"""Tests for summaries, the paired one-standard-error rule, the verdict and the generated code."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from lstmsizer.codegen import keras_code, pytorch_code
from lstmsizer.config import ModelSpec, WindowSpec
from lstmsizer.errors import DataError, LstmsizerError, OptionError
from lstmsizer.onese import add_paired_columns
from lstmsizer.recommend import (
    recommend,
    summarize,
    summarize_baselines,
)
from lstmsizer.rundir import Recommendation
from lstmsizer.sizes import keras_parameter_count

SUMMARY_COLUMNS = [
    "config", "cell", "units", "layers", "activation", "parameters", "runs", "failed",
    "mean_rmse", "se_rmse", "mean_mae", "mean_mase", "mean_smape", "mean_train_loss",
    "mean_val_loss", "mean_epochs", "seconds", "lr", "median_epochs", "epoch_cap",
    "converged_share", "under_trained_share", "restarted_share", "stuck_share", "sd_rmse",
]  # fmt: skip
HEALTH = SUMMARY_COLUMNS[-8:]


def spread(mean: float, se: float) -> list[float]:
    """Four values whose mean and standard error (sample std / 2) are exactly mean and se."""
    a = se * math.sqrt(3)  # sample std of [-a, -a, a, a] is 2a/sqrt(3)
    return [mean - a, mean - a, mean + a, mean + a]


def make_runs(
    configs: dict[str, tuple[int, int, list[float]]], folds: int = 2, **columns: list[object]
) -> pd.DataFrame:
    """Runs of LSTM configs given as id -> (units, parameters, rmse per cell); the k-th value
    is seed k // folds, fold k % folds. columns: extra run columns, one value per row."""
    rows = []
    for config, (units, parameters, rmses) in configs.items():
        for k, rmse in enumerate(rmses):
            rows.append(
                {
                    "config": config, "cell": "lstm", "units": units, "layers": 1,
                    "activation": "tanh", "parameters": parameters, "seed": k // folds,
                    "fold": k % folds, "epochs": 10 + k, "train_loss": 0.01 * (k + 1),
                    "val_loss": 0.02 * (k + 1), "mae": rmse * 0.8, "rmse": rmse,
                    "mase": rmse / 10, "smape": rmse * 2, "seconds": 1.5, "ignored": "x",
                }
            )  # fmt: skip
    return pd.DataFrame(rows).assign(**columns)


def make_baselines(models: dict[str, list[float]]) -> pd.DataFrame:
    """Baseline runs given as model -> rmse per fold 0, 1, ..."""
    rows = [
        {"model": m, "fold": k, "mae": r, "rmse": r, "mase": r / 10, "smape": r * 2}
        for m, rmses in models.items()
        for k, r in enumerate(rmses)
    ]
    return pd.DataFrame(rows)


def rec_of(
    runs: pd.DataFrame, baselines: dict[str, list[float]] | None = None, **options: int
) -> Recommendation:
    """recommend on runs and baselines (default: a naive baseline at 50 on every fold)."""
    folds = int(runs["fold"].max()) + 1
    baseline_runs = make_baselines(baselines or {"naive": [50.0] * folds})
    return recommend(
        summarize(runs),
        summarize_baselines(baseline_runs),
        runs=runs,
        baseline_runs=baseline_runs,
        **{"lags": 12, **options},
    )


def unpaired_pick(runs: pd.DataFrame) -> str:
    """The old, unpaired one-SE rule written out: best mean + best SE, then fewest parameters."""
    ok = runs[np.isfinite(runs["rmse"])]
    stats = ok.groupby("config").agg(
        mean=("rmse", "mean"), sd=("rmse", "std"), n=("rmse", "size"), p=("parameters", "first")
    )
    best = stats.sort_values(["mean", "p"]).iloc[0]
    within = stats[stats["mean"] <= best["mean"] + best["sd"] / np.sqrt(best["n"])]
    return str(within.sort_values(["p", "mean"]).index[0])


THREE = {
    "lstm-u128": (128, 66_177, spread(10.0, 1.0)),
    "lstm-u16": (16, 1_169, spread(10.5, 0.4)),
    "lstm-u2": (2, 35, spread(12.0, 0.2)),
}
LEVELS = np.array([10.0, 20.0, 30.0])  # three folds of very different difficulty


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


def test_summarize_health_columns() -> None:
    runs = make_runs(
        {"a": (4, 100, [10.0, 12.0, np.nan, 13.0]), "b": (8, 300, [5.0, 7.0, 6.0, 9.0])},
        lr=[0.01, 0.02, 0.02, 0.02, 0.003, 0.003, 0.003, 0.003],
        epoch_cap=[50, 50, 80, 50, 100, 100, 100, 100],
        converged=[True, False, False, True, True, True, True, True],
        under_trained=[False, True, True, False, False, False, False, False],
        restarts=[0, 2, 0, 1, 0, 0, 0, 0],
        stuck=[False, False, True, False, False, False, False, False],
    )
    a = summarize(runs).set_index("config").loc["a"]
    assert a["lr"] == 0.01  # the first run's
    assert a["median_epochs"] == np.median([10, 11, 12, 13])  # every run, the failed one too
    assert a["epoch_cap"] == 80
    shares = [a[c] for c in ("converged_share", "under_trained_share", "restarted_share")]
    assert shares == [0.5, 0.5, 0.5]
    assert a["stuck_share"] == 0.25
    assert a["sd_rmse"] == pytest.approx(np.std([10.0, 12.0, 13.0], ddof=1))
    assert summarize(runs).set_index("config").loc["b", "stuck_share"] == 0.0


def test_summarize_health_of_old_runs_is_nan() -> None:
    summary = summarize(make_runs(THREE))
    old = [c for c in HEALTH if c not in ("median_epochs", "sd_rmse")]
    assert summary[old].isna().all().all()
    assert summary.set_index("config").loc["lstm-u2", "sd_rmse"] == pytest.approx(0.4)


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
    # every config has the same sign pattern over the cells, so the differences to the best
    # are 0.5 -+ (1.0 - 0.4) sqrt(3): mean 0.5, SE 0.6 for u16; mean 2.0, SE 0.8 for u2
    rec = rec_of(make_runs(THREE))
    assert rec.config == "lstm-u16"
    assert (rec.units, rec.parameters) == (16, 1_169)
    assert rec.best_config == "lstm-u128"
    assert (rec.paired_diff, rec.paired_se) == (pytest.approx(0.5), pytest.approx(0.6))
    assert rec.threshold == pytest.approx(11.0)
    assert rec.mean_rmse == pytest.approx(10.5)
    assert rec.se_rmse == pytest.approx(0.4)


def test_paired_rule_excludes_a_config_worse_in_every_cell() -> None:
    big = np.add.outer([0.0, 0.25, 0.5], LEVELS).ravel()  # seed k // 3, fold k % 3
    small = big + 0.3 + 0.01 * (np.arange(9) % 2)
    runs = make_runs({"lstm-u64": (64, 17_000, list(big)), "lstm-u4": (4, 100, list(small))}, 3)
    assert unpaired_pick(runs) == "lstm-u4"  # fold difficulty makes the unpaired SE ~2.7
    d = small - big
    assert d.mean() > d.std(ddof=1) / 3
    rec = rec_of(runs)
    assert rec.config == rec.best_config == "lstm-u64"
    assert rec.paired_se == 0.0


def test_paired_rule_keeps_a_noisy_config_that_is_paired_equal() -> None:
    best = 10.0 + 0.02 * (np.arange(9) % 3 - 1)
    noise = 1.5 * np.array([1.0, -1.0, 0.5, -0.5, 1.2, -1.2, 0.8, -0.8, 0.0])
    small = 10.3 + noise
    runs = make_runs({"lstm-u64": (64, 17_000, list(best)), "lstm-u4": (4, 100, list(small))}, 3)
    assert unpaired_pick(runs) == "lstm-u64"  # 10.3 is far above 10 + the best's SE of 0.006
    d = small - best
    assert d.mean() <= d.std(ddof=1) / 3
    rec = rec_of(runs)
    assert (rec.config, rec.best_config) == ("lstm-u4", "lstm-u64")
    assert rec.paired_diff == pytest.approx(d.mean())
    assert rec.paired_se == pytest.approx(d.std(ddof=1) / 3)


def test_paired_columns_match_numpy_on_the_cell_differences() -> None:
    rng = np.random.default_rng(7)
    values = {c: rng.normal(mu, 1.0, size=9) for c, mu in (("a", 10.0), ("b", 10.4), ("c", 12))}
    values["b"][4] = np.nan  # a failed run: that cell does not pair
    values["lonely"] = np.array([30.0] + [np.nan] * 8)  # one cell: no standard error
    units = {"a": 64, "b": 16, "c": 4, "lonely": 2}
    runs = make_runs({c: (units[c], units[c] * 10, list(v)) for c, v in values.items()}, 3)
    out = add_paired_columns(summarize(runs), runs).set_index("config")
    best = values[min(values, key=lambda c: np.nanmean(values[c]))]
    for config, v in values.items():
        pair = np.isfinite(v) & np.isfinite(best)
        d = v[pair] - best[pair]
        se = d.std(ddof=1) / np.sqrt(d.size) if d.size > 1 else np.nan
        if v is best:
            se = 0.0
        assert out.loc[config, "paired_diff"] == pytest.approx(d.mean(), rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(out.loc[config, "paired_se"], se, rtol=1e-12)
        assert out.loc[config, "within_one_se"] == bool(d.mean() <= se or v is best)
    assert math.isnan(out.loc["lonely", "paired_se"]) and not out.loc["lonely", "within_one_se"]


def test_ties_on_parameters_pick_the_lower_mean_and_the_bound_is_inclusive() -> None:
    # differences to the best of [0, 0, 0, t] have mean t/4 and SE t/4: exactly on the bound
    best = [10.0, 12.0, 8.0, 11.0]
    configs = {
        "best": (128, 66_177, best),
        "tie-high": (8, 337, [10.0, 12.0, 8.0, 15.0]),
        "tie-low": (8, 337, [10.0, 12.0, 8.0, 13.0]),
        "over": (1, 13, [10.01, 12.01, 8.01, 15.01]),  # mean 1.01 above, SE 1
    }
    assert rec_of(make_runs(configs), lags=2).config == "tie-low"
    bound = {**configs, "bound": (2, 35, [10.0, 12.0, 8.0, 15.0])}
    rec = rec_of(make_runs(bound), lags=2)
    assert (rec.config, rec.paired_diff, rec.paired_se) == ("bound", 1.0, 1.0)


def test_configs_that_only_failed_are_ignored_and_all_failed_is_an_error() -> None:
    runs = make_runs({"dead": (1, 13, [np.nan, np.nan]), "alive": (64, 17_000, [9.0, 11.0])})
    assert summarize(runs).set_index("config").loc["dead", "failed"] == 2
    rec = rec_of(runs, lags=2)
    assert rec.config == "alive" and rec.stability_share == 1.0 and rec.runner_up is None
    dead = make_runs({"a": (1, 13, [np.nan]), "b": (2, 35, [np.nan, np.nan])})
    with pytest.raises(DataError, match="all failed") as info:
        rec_of(dead, lags=2)
    assert isinstance(info.value, LstmsizerError)


# one LSTM(32) over 2 seeds x 2 folds: fold means 21.2 and 20.8, RMSE 21.0 ± 0.163
LSTM32 = {"lstm-u32": (32, 4_385, [21.0, 20.6, 21.4, 21.0])}


def test_baseline_within_one_se_means_no_lstm_needed() -> None:
    # per fold, baseline - LSTM = 20.2 - 21.2, 21.6 - 20.8: mean -0.1, SE 0.9
    rec = rec_of(make_runs(LSTM32), {"linear AR(12)": [20.2, 21.6]})
    assert rec.lstm_needed is False
    assert rec.baseline == "linear AR(12)"
    assert (rec.baseline_diff, rec.baseline_diff_se) == (pytest.approx(-0.1), pytest.approx(0.9))
    assert rec.folds_paired == 2
    assert rec.verdict == (
        "linear AR(12) is as good as LSTM(32) (RMSE 20.9 ± 0.7 vs 21.0 ± 0.2; paired over "
        "2 folds: baseline − LSTM = -0.1 ± 0.9): an LSTM is not needed here. "
        "Recommended in 100% of 1,000 resamples."
    )
    ahead = rec_of(make_runs(LSTM32), {"linear AR(12)": [22.2, 20.2]})  # 1.0, -0.6: 0.2 ± 0.8
    assert ahead.baseline_diff == pytest.approx(0.2) and not ahead.lstm_needed
    assert ahead.verdict.startswith("linear AR(12) is as good as LSTM(32)")
    rec = rec_of(make_runs(LSTM32), {"linear AR(12)": [19.0, 18.7]})  # -2.2 and -2.1
    assert not rec.lstm_needed
    assert rec.verdict.startswith("linear AR(12) is better than LSTM(32)")


def test_baseline_clearly_worse_means_lstm_needed() -> None:
    # u32 - u128 per cell: 1.0, -0.6, 0.2, 0.6: mean 0.3, SE 0.342, so u32 is within
    runs = make_runs(
        {
            "lstm-u128": (128, 66_177, [16.0, 17.0, 16.0, 17.0]),
            "lstm-u32": (32, 4_385, [17.0, 16.4, 16.2, 17.6]),
        }
    )
    rec = rec_of(runs, {"naive": [33.0, 34.0], "linear AR(12)": [20.0, 20.6]})
    assert rec.lstm_needed is True
    assert (rec.config, rec.baseline, rec.baseline_rmse) == ("lstm-u32", "linear AR(12)", 20.3)
    # per fold, 20.0 - mean(17.0, 16.2) = 3.4 and 20.6 - mean(16.4, 17.6) = 3.6
    assert (rec.baseline_diff, rec.baseline_diff_se) == (pytest.approx(3.5), pytest.approx(0.1))
    assert rec.verdict.startswith(
        "LSTM(32) beats the best baseline, linear AR(12) (RMSE 16.8 ± 0.3 vs 20.3 ± 0.3; paired "
        "over 2 folds: baseline − LSTM = 3.5 ± 0.1); it is the smallest model within one paired "
        "standard error of the best (LSTM(128), 16.5 ± 0.3)."
    )


def test_baseline_verdict_is_paired_per_fold() -> None:
    # the LSTM beats the baseline by 0.5 in every fold, but the folds differ by 10 and 20
    lstm = np.add.outer([-0.25, 0.25], LEVELS - 0.5).ravel()  # seeds x folds
    runs = make_runs({"lstm-u8": (8, 337, list(lstm))}, folds=3)
    rec = rec_of(runs, {"linear AR(12)": list(LEVELS), "naive": list(LEVELS + 9)})
    assert rec.baseline_rmse <= rec.mean_rmse + rec.se_rmse  # unpaired: "as good as"
    per_fold = LEVELS - lstm.reshape(2, 3).mean(axis=0)
    assert rec.baseline_diff == pytest.approx(per_fold.mean())
    assert rec.baseline_diff_se == pytest.approx(per_fold.std(ddof=1) / np.sqrt(3))
    assert rec.lstm_needed is True and rec.folds_paired == 3
    assert rec.verdict.startswith("LSTM(8) beats the best baseline, linear AR(12) (RMSE ")
    assert "paired over 3 folds: baseline − LSTM = 0.5 ± 0.0); it is the best" in rec.verdict


HEALTHY = {
    "lstm-u64": (64, 17_000, [10.0, 11.0, 10.2, 11.2]),
    "lstm-u16": (16, 1_200, [10.4, 10.9, 10.1, 11.4]),  # within: d = .4 -.1 -.1 .2
    "lstm-u8": (8, 337, [10.9, 10.7, 9.9, 12.1]),  # within: d = .9 -.3 -.3 .9
    "lstm-u2": (2, 35, [12.0, 13.0, 12.2, 13.2]),  # 2 above in every cell
}


def health_runs(**columns: list[object]) -> pd.DataFrame:
    return make_runs(HEALTHY, **columns)


def test_warnings_name_under_trained_and_stuck_runs_within_one_se() -> None:
    f, t = False, True
    runs = health_runs(
        under_trained=[f, f, f, f, t, f, f, f, t, t, f, f, t, t, t, t],
        stuck=[f, t, f, f, f, f, f, f, f, f, f, f, t, f, f, f],
    )
    rec = rec_of(runs)
    assert (rec.config, rec.best_config) == ("lstm-u8", "lstm-u64")
    assert rec.warnings == (
        "2 of 4 runs of LSTM(8) hit the epoch cap while still improving (under-trained): "
        "raise --epochs",
        "1 of 4 runs of LSTM(16) hit the epoch cap while still improving (under-trained): "
        "raise --epochs",
        "1 of 4 runs of LSTM(64) never beat predicting the training mean, after restarts",
    )
    assert rec.verdict.endswith(" " + " ".join(f"{w}." for w in rec.warnings))
    assert "LSTM(2)" not in rec.verdict  # outside one SE: its 4 under-trained runs are not news
    # read back from runs.csv the flags are still flags
    assert rec_of(pd.read_csv(pd.io.common.StringIO(runs.to_csv(index=False)))) == rec


def test_no_warnings_without_health_columns_or_flags() -> None:
    assert rec_of(health_runs()).warnings == ()
    clean = health_runs(under_trained=[False] * 16, stuck=[False] * 16)
    assert rec_of(clean).warnings == ()


def test_no_cell_with_every_config_means_no_stability_sentence_but_a_warning() -> None:
    runs = make_runs(
        {"a": (4, 100, [10.0, np.nan, 11.0, 12.0]), "b": (8, 300, [np.nan] + [9.0] * 3)}
    )
    runs.loc[(runs["config"] == "a") & (runs["seed"] == 1), "rmse"] = np.nan  # a: cell 0 only
    rec = rec_of(runs)
    assert rec.warnings[0].startswith("Stability not measured: no (seed, fold) cell")
    assert "resamples" not in rec.verdict and rec.verdict.endswith(f" {rec.warnings[0]}.")
    assert rec.to_dict()["stability_share"] is None


def test_stability_sentence_when_the_choice_is_clear() -> None:
    # the smallest config is also the best in every cell: every resample picks it
    rec = rec_of(make_runs({**THREE, "lstm-u1": (1, 13, spread(5.0, 0.1))}))
    assert rec.config == "lstm-u1" and rec.resamples == 1000 and rec.stability_share == 1.0
    assert rec.runner_up is None and rec.runner_up_label is None and rec.runner_up_share == 0.0
    assert rec.verdict.endswith(" Recommended in 100% of 1,000 resamples.")


def test_stability_sentence_names_the_runner_up() -> None:
    # THREE: u16 - u128 is -0.54 on two cells and 1.54 on the other two. A resample with k
    # of its 4 cells at 1.54 has mean -0.54 + 0.52 k and SE 0 (k = 0, 4), 0.52 (k = 1, 3) or
    # 0.6 (k = 2): u16 is kept unless k >= 3, so in 1 - (4 + 1) / 16 = 11/16 of resamples,
    # and u128 is picked otherwise; u2 is 2 above with an SE of at most 0.8, never within
    rec = rec_of(make_runs(THREE))
    assert rec.config == "lstm-u16" and rec.runner_up == "lstm-u128"
    assert rec.stability_share == pytest.approx(11 / 16, abs=0.05)
    assert rec.runner_up_share == pytest.approx(1 - rec.stability_share)
    assert rec.verdict.endswith(
        f" Recommended in {rec.stability_share:.0%} of 1,000 resamples; LSTM(128) in "
        f"{rec.runner_up_share:.0%}."
    )


def test_stability_sentence_when_the_data_cannot_tell_sizes_apart() -> None:
    # three configs of equal size whose cells are a rotation of the same three values:
    # the resamples split about evenly between them
    base = np.repeat([10.0, 20.0, 30.0], 3)
    offsets = np.array([[-0.3, 0.0, 0.3], [0.0, 0.3, -0.3], [0.3, -0.3, 0.0]] * 3)
    configs = {
        f"lstm-u{u}": (u, 500, list(base + offsets[:, i] * (1 + 0.1 * np.arange(9))))
        for i, u in enumerate((8, 9, 10))
    }
    rec = rec_of(make_runs(configs, folds=3), resamples=400, seed=3)
    assert rec.stability_share < 0.5 and rec.runner_up is not None
    assert rec.runner_up_label == f"LSTM({rec.runner_up.removeprefix('lstm-u')})"
    sentence = (
        f"LSTM({rec.units}) is recommended in only {rec.stability_share:.0%} of 400 resamples, "
        f"{rec.runner_up_label} in {rec.runner_up_share:.0%}: the data cannot tell these sizes "
        "apart."
    )
    assert sentence in rec.verdict
    assert re.search(r"in only \d+% of 400 resamples", rec.verdict)


def test_recommendation_to_dict_is_plain_json() -> None:
    runs = make_runs(THREE)
    rec = rec_of(runs, {"naive": [30.0, 31.0]}, lags=3)
    data = json.loads(json.dumps(rec.to_dict(), allow_nan=False))
    assert set(data) == set(Recommendation.__dataclass_fields__)
    assert data["config"] == "lstm-u16"
    assert data["parameters"] == 1_169
    assert data["lstm_needed"] is True
    assert data["warnings"] == [] and data["runner_up_label"] == "LSTM(128)"
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
    spec = ModelSpec(cell, units, layers, activation, dropout)  # type: ignore[arg-type]
    window = WindowSpec(7, horizon)
    code = pytorch_code(spec, window, n_features)
    namespace: dict[str, object] = {}
    exec(compile(code, "<pytorch>", "exec"), namespace)
    model, net = namespace["model"], namespace["net"]
    assert isinstance(model, torch.nn.Module) and isinstance(net, torch.nn.Module)
    x = torch.randn(2, 7, n_features)
    assert model(x).shape == (2, horizon)
    assert net(x).shape == (2, horizon, 1)
    expected = keras_parameter_count(spec, window, n_features)
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == expected
    if cell != "gru":
        assert "bias_hh" in code


def test_pytorch_code_for_a_custom_activation_builds_forecastnet() -> None:
    code = pytorch_code(ModelSpec(units=100, activation="relu"), WindowSpec(2))
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
    spec = ModelSpec(cell, 64, layers, activation, dropout)  # type: ignore[arg-type]
    code = keras_code(spec, WindowSpec(12, 2), 3)
    compile(code, "<keras>", "exec")
    layer = {"lstm": "LSTM", "gru": "GRU", "rnn": "SimpleRNN"}[cell]
    assert code.count(f"layers.{layer}(64") == layers
    assert code.count("return_sequences=True") == layers - 1
    assert code.count("layers.Dropout(") == (layers - 1 if dropout > 0 else 0)
    assert "keras.Input(shape=(12, 3))" in code and "layers.Dense(2)" in code
    assert ("activation=" in code) == (activation != "tanh")
    assert ("reset_after=True" in code) == (cell == "gru")


def test_code_generation_rejects_bad_arguments() -> None:
    with pytest.raises(OptionError, match="model"):
        keras_code("lstm", WindowSpec(2))  # type: ignore[arg-type]
    with pytest.raises(OptionError, match="window"):
        pytorch_code(ModelSpec(), 2)  # type: ignore[arg-type]
    with pytest.raises(OptionError, match="n_features"):
        keras_code(ModelSpec(), WindowSpec(2), 0)


def test_module_imports_neither_torch_nor_optuna() -> None:
    code = (
        "import sys, lstmsizer.recommend; "
        "print(sorted(m for m in ('torch', 'optuna') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
