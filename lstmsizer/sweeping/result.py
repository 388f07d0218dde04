"""Collect a finished sweep into tables, a recommendation, a test score and a run folder."""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import optuna
import pandas as pd

from lstmsizer.atomic import atomic_write, write_text
from lstmsizer.baselines import make_baselines
from lstmsizer.datasets import Dataset
from lstmsizer.environment import environment
from lstmsizer.evaluation import score_baselines, score_forecaster
from lstmsizer.forecaster import LSTMForecaster
from lstmsizer.holdout import ThinDataWarning, describe_rule
from lstmsizer.panel import Panel, is_panel
from lstmsizer.panelverdict import panel_comparisons, panel_verdict
from lstmsizer.recommend import recommend, summarize_baselines
from lstmsizer.rundir import files
from lstmsizer.rundir import sweep as schema
from lstmsizer.rundir.sweep import Recommendation, conform
from lstmsizer.runtime import resolve_device
from lstmsizer.secrets import mask_url
from lstmsizer.seeds import describe_batching
from lstmsizer.splits import Split
from lstmsizer.sweeping import race
from lstmsizer.sweeping.collect import collect_runs, collect_training
from lstmsizer.sweeping.engine import Job
from lstmsizer.sweeping.panelresult import (
    development_split,
    panel_baseline_runs,
    panel_data,
    panel_forecast_frame,
    panel_of,
    panel_series_frame,
    panel_test,
)
from lstmsizer.sweeping.plan import Configuration
from lstmsizer.sweeping.runs import train_run


@dataclass
class SweepResult:
    """What a sweep found, as pandas tables and plain values.

    Attributes:
        run_dir: Folder with runs.csv, summary.csv, baselines.csv, recommendation.json, model.pt.
        table: One row per configuration: mean and standard error of validation RMSE, ...
        runs: One row per trained model (configuration x seed x fold).
        baselines: One row per baseline: mean and standard error over the same folds.
        baseline_runs: One row per baseline per fold.
        recommendation: The smallest model within one standard error of the best, and the
            verdict against the best baseline.
        test: Scores on the final test share for the recommended model and the baselines.
        info: Data, spec, environment, seconds, as written to recommendation.json.
    """

    run_dir: Path
    table: pd.DataFrame
    runs: pd.DataFrame
    baselines: pd.DataFrame
    baseline_runs: pd.DataFrame
    recommendation: Recommendation
    test: pd.DataFrame
    info: dict[str, Any]

    def load_model(self) -> LSTMForecaster:
        """The recommended model, trained on the development part, ready to predict."""
        return LSTMForecaster.load(self.run_dir / files.MODEL_FILE)


def final_model(
    job: Job, config: Configuration, folds: list[Split], test: Split
) -> tuple[LSTMForecaster, dict[str, object]]:
    """Train the recommended configuration on the development part and score the test share.

    It is trained like the last fold's runs: on the same training part, with the
    early-stopping block carved from its end the same way, at the learning rate the
    configuration's runs used, with the first seed. Neither the last fold's validation block
    nor the test values are seen, so both spans of forecasts.csv are out of sample.
    """
    if is_panel(job.dataset):
        return _final_panel_model(job, config, folds, test)
    dev = Split(
        n=test.train_end, train_end=folds[-1].train_end, lags=test.lags, horizon=test.horizon
    )
    _, model = train_run(config, job.spec, job.dataset, dev, fold=-1, seed=job.spec.seed)
    row = score_forecaster(model, job.dataset, test, fitted=True)
    return model, row


def _final_panel_model(
    job: Job, config: Configuration, folds: list[Any], test: Any
) -> tuple[LSTMForecaster, dict[str, object]]:
    """final_model on a panel: one global model on every series' last training part. Its test
    share is scored series by series in panelresult.panel_test, so no row is made here."""
    dev = development_split(folds, test)
    _, model = train_run(config, job.spec, job.dataset, dev, fold=-1, seed=job.spec.seed)
    return model, {}


def finish(study: optuna.Study, job: Job, seconds: float) -> SweepResult:
    """Summaries, recommendation, test scores and the files of the run folder."""
    spec, dataset = job.spec, job.dataset
    folds, test = job.folds
    runs, trained = collect_runs(study, job)
    table, full, raced = race.summary(study, runs)  # full: the configurations run in full
    panel = is_panel(dataset)
    baseline_runs = (
        panel_baseline_runs(job, cast(list[Any], folds))
        if panel
        else pd.DataFrame(score_baselines(single(job), folds, job.baselines, job.progress))
    )
    baselines = summarize_baselines(baseline_runs)
    n_features = 1 + dataset.features.shape[1]
    rec = recommend(
        table,
        baselines,
        runs=full,
        baseline_runs=baseline_runs,
        lags=spec.window.lags,
        n_features=n_features,
        horizon=spec.window.horizon,
        dropout=spec.model.dropout,
        seed=spec.seed,
    )
    table["selected_share"] = table["config"].map(rec.selection_shares).fillna(0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ThinDataWarning)  # said once when the sweep started
        model, test_row = final_model(job, trained[rec.config], folds, test)
    scores = None
    if panel:
        test_row, baseline_rows, scores = panel_test(job, model, cast(Any, test))
        test_table = _table_of(test_row, baseline_rows)
    else:
        test_table = _test_table(job, test_row, test)
    lr_search, curves = collect_training(study, runs)
    info = run_info(job, runs, lr_search, seconds)
    info["racing"] = race.racing_info(raced, runs, spec.split.folds)
    if panel:
        comparisons = panel_comparisons(full, baseline_runs, rec.config)
        info["panel_verdict"] = {
            "comparisons": [c.to_dict() for c in comparisons],
            "verdict": panel_verdict(comparisons),
        }
    result = SweepResult(job.run_dir, table, runs, baselines, baseline_runs, rec, test_table, info)
    write(result, model)
    _csv(lr_search, job.run_dir / files.LR_SEARCH_FILE)
    _csv(curves, job.run_dir / files.CURVES_FILE)
    if scores is not None:
        _csv(scores, job.run_dir / files.PANEL_FILE)
        _csv(panel_series_frame(panel_of(job)), job.run_dir / files.SERIES_FILE)
        spans = [("validation", folds[-1]), ("test", test)]
        _csv(panel_forecast_frame(job, model, cast(Any, spans)), job.run_dir / files.FORECASTS_FILE)
        return result
    _csv(series_frame(job), job.run_dir / files.SERIES_FILE)
    forecasts = forecast_frame(job, model, rec.baseline, folds[-1], test)
    forecasts = forecasts if forecasts.empty else conform(forecasts, schema.FORECAST_COLUMNS)
    _csv(forecasts, job.run_dir / files.FORECASTS_FILE)
    return result


def _test_table(job: Job, lstm_row: dict[str, object], test: Split) -> pd.DataFrame:
    # the recommended model's test scores, then every baseline's on the same share
    scored = []
    if test.val_origins.size:
        scored = score_baselines(single(job), [test], job.baselines, job.progress)
    return _table_of(lstm_row, scored)


def _table_of(lstm_row: dict[str, object], baselines: list[dict[str, object]]) -> pd.DataFrame:
    rows = [{**lstm_row, "kind": schema.LSTM_KIND}]
    rows += [{**r, "kind": schema.BASELINE_KIND} for r in baselines]
    return pd.DataFrame(rows).drop(columns=["fold"], errors="ignore")


def run_info(
    job: Job, runs: pd.DataFrame, lr_search: pd.DataFrame, seconds: float
) -> dict[str, Any]:
    """recommendation.json's data, spec, study, storage, environment and seconds."""
    dataset = job.dataset
    folds, test = job.folds
    if isinstance(dataset, Panel):
        return _run_info(job, runs, lr_search, seconds, panel_data(job))
    return _run_info(
        job,
        runs,
        lr_search,
        seconds,
        {
            "name": dataset.name,
            "length": len(single(job)),
            "frequency": dataset.frequency,
            "source": dataset.source,
            "filled": dataset.filled,
            "folds": [{"train_end": s.train_end, "n": s.n} for s in folds],
            "test_start": test.train_end,
        },
    )


def single(job: Job) -> Dataset:
    """The job's data as the one series it is (callers branch on is_panel first)."""
    assert isinstance(job.dataset, Dataset)
    return job.dataset


def _run_info(
    job: Job, runs: pd.DataFrame, lr_search: pd.DataFrame, seconds: float, data: dict[str, Any]
) -> dict[str, Any]:
    spec = job.spec
    return {
        "data": {
            **data,
            "scaling": spec.split.scaling,
            "stop_block": describe_rule(spec.train.train_spec(spec.seed).stop_share),
        },
        "spec": spec.to_dict(),
        "study": job.study,
        "storage": mask_url(job.storage) if job.storage else str(job.run_dir / files.JOURNAL_FILE),
        "environment": {**environment(), "threads": _first(runs, "threads")},
        "batching": describe_batching(spec.train.batching, resolve_device(None).type),
        "seconds": seconds,
        "training_seconds": training_seconds(runs, lr_search),
    }


def training_seconds(runs: pd.DataFrame, lr_search: pd.DataFrame) -> float:
    """Worker seconds of every training the sweep ran, in this call or earlier ones.

    The runs' own seconds plus the learning-rate search's runs at the rates not chosen (the
    chosen rate's runs are the first fold's runs, counted once).
    """
    total = float(pd.to_numeric(runs["seconds"], errors="coerce").sum()) if len(runs) else 0.0
    if len(lr_search) and "seconds" in lr_search:
        total += float(lr_search.loc[~lr_search["chosen"].astype(bool), "seconds"].sum())
    return total


def series_frame(job: Job) -> pd.DataFrame:
    """The series itself, for plotting it before anything else."""
    data = single(job)
    time = [None] * len(data) if data.time is None else [str(t) for t in data.time]
    columns = (range(len(data)), time, data.values)
    return pd.DataFrame(dict(zip(schema.SERIES_COLUMNS, columns, strict=True)))


def forecast_frame(
    job: Job, model: LSTMForecaster, baseline: str, last: Split, test: Split
) -> pd.DataFrame:
    """Forecasts of the recommended model and the best baseline over validation and test.

    The validation span is the last fold's block (the model was early-stopped on it); the
    test span was never seen. The baseline is refitted on what precedes each span.
    """
    data, spec = single(job), job.spec
    frames = []
    for span, split in (("validation", last), ("test", test)):
        origins = split.val_origins
        if not origins.size:
            continue
        y = data.values[: split.n]
        X = data.features[: split.n] if data.features.shape[1] else None
        made = make_baselines(job.baselines, spec.window.lags, spec.window.horizon)
        best = next(b for b in made if b.name == baseline)
        best.fit(y, X, train_end=split.train_end)
        frames.append(
            pd.DataFrame(
                {
                    "position": origins,
                    "time": [None if data.time is None else str(data.time[o]) for o in origins],
                    "span": span,
                    "actual": y[origins],
                    "recommended": model.predict(y, origins, X)[:, 0],
                    "best_baseline": best.predict(y, origins, X)[:, 0],
                }
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def write(result: SweepResult, model: LSTMForecaster) -> None:
    """runs.csv, summary.csv, baselines.csv, test.csv, recommendation.json and model.pt."""
    out = result.run_dir
    out.mkdir(parents=True, exist_ok=True)
    _csv(result.runs, out / files.RUNS_FILE)
    _csv(conform(result.table, schema.SUMMARY_COLUMNS), out / files.SUMMARY_FILE)
    _csv(
        conform(result.baseline_runs, schema.BASELINE_RUN_COLUMNS, [schema.ERROR_COLUMN]),
        out / files.BASELINES_FILE,
    )
    _csv(
        conform(result.test, schema.TEST_COLUMNS, ["fitted", schema.ERROR_COLUMN]),
        out / files.TEST_FILE,
    )
    with atomic_write(out / files.MODEL_FILE) as temp:
        model.save(temp)
    payload = {
        files.VERSION_KEY: files.SCHEMA_VERSION,
        "recommendation": result.recommendation.to_dict(),
        "test": _records(result.test),
        **result.info,
    }
    write_text(out / files.RECOMMENDATION_FILE, json.dumps(payload, indent=2, default=_plain))


def _csv(frame: pd.DataFrame, path: Path) -> None:
    with atomic_write(path) as temp:
        frame.to_csv(temp, index=False)


def _first(frame: pd.DataFrame, column: str) -> object:
    return _plain(frame[column].iloc[0]) if len(frame) and column in frame else None


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    return [{str(k): _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _plain(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return value
