"""Racing in a grid sweep: a hopeless configuration stops after a fold, recorded with the
evidence, left out of every comparison, settled on resume; --no-race trains the full grid."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
import pytest
from helpers import numpy_baselines_by_default, numpy_only
from optuna.distributions import CategoricalDistribution
from optuna.trial import FrozenTrial, TrialState
from typer.testing import CliRunner

import lstmsizer.sweeping
from lstmsizer import racing
from lstmsizer.cli import app
from lstmsizer.cli.options import console
from lstmsizer.datasets import get
from lstmsizer.errors import OptionError
from lstmsizer.report.facts import signed
from lstmsizer.report.html import summary_table
from lstmsizer.report.markdown import render_markdown
from lstmsizer.rundir import read_run
from lstmsizer.rundir.upgrade import upgrade
from lstmsizer.sweeping import SweepSpec, sweep
from lstmsizer.sweeping import engine as engine_module
from lstmsizer.sweeping.engine import Job, finished
from lstmsizer.sweeping.plan import check_fingerprint, configurations, fingerprint
from lstmsizer.sweeping.race import RACED, finished_cells, judge
from lstmsizer.sweeping.study import DUPLICATE, PARAM, config_of

BEST, HOPELESS, SMALL = "lstm-u16-l1", "lstm-u1-l1", "lstm-u2-l1"
# LSTM(1) against LSTM(16) on a sine wave, 20 epochs at lr 0.01, one model at a time: after
# two folds LSTM(1) is worse on every cell by far more than RACE_MARGIN standard errors of
# the paired gap.
FAST = {
    "lags": 6, "layers": (1,), "seeds": 2, "folds": 3, "epochs": 20, "patience": None,
    "lr": 0.01, "test_fraction": 0.1, "batching": "off",
}  # fmt: skip
CLI_FAST = (
    "--lags", "6", "--layers", "1", "--seeds", "2", "--folds", "3", "--epochs", "20",
    "--patience", "0", "--lr", "0.01", "--workers", "1", "--batching", "off",
)  # fmt: skip


def _sine(folder: Path) -> Path:
    path = folder / "sine.csv"
    pd.DataFrame({"value": get("sine", n=200).values}).to_csv(path, index=False)
    return path


def _sweep(data: Any, out: Path, **options: Any) -> Any:
    spec = SweepSpec().replace(**{**FAST, **options})
    return sweep(data, spec=spec, out=out, workers=1, progress=False, baselines=numpy_only)


@pytest.fixture(scope="module")
def raced_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished sweep of LSTM(16) (trained first: largest first) and LSTM(1)."""
    folder = tmp_path_factory.mktemp("racing")
    _sweep(str(_sine(folder)), folder / "run", units=(1, 16))
    return folder / "run"


def _cells(runs: pd.DataFrame, config: str) -> pd.Series:
    mine = runs[runs["config"] == config]
    return mine.set_index(["seed", "fold"])["rmse"].astype(float)


def _evidence(runs: pd.DataFrame, config: str, against: str) -> tuple[float, float, int]:
    # the paired gap straight from runs.csv: mean and std(ddof=1) / sqrt(n) of the differences
    ours, theirs = _cells(runs, config), _cells(runs, against)
    d = (ours - theirs.reindex(ours.index)).to_numpy()
    return float(d.mean()), float(np.std(d, ddof=1) / math.sqrt(d.size)), d.size


def test_a_hopeless_configuration_is_raced_out_with_the_evidence_of_its_runs(
    raced_run: Path,
) -> None:
    runs = pd.read_csv(raced_run / "runs.csv")
    assert sorted(set(runs.loc[runs["config"] == HOPELESS, "fold"])) == [0, 1]  # its runs stay
    assert len(runs[runs["config"] == BEST]) == 6
    summary = pd.read_csv(raced_run / "summary.csv").set_index("config")
    row = summary.loc[HOPELESS]
    gap, se, n = _evidence(runs, HOPELESS, BEST)
    assert bool(row["raced"]) and row["race_incumbent"] == BEST
    assert (row["race_folds"], row["race_cells"], row["failed"], row["runs"]) == (2, n, 0, 4)
    assert row["race_gap"] == pytest.approx(gap, rel=1e-12)
    assert row["race_se"] == pytest.approx(se, rel=1e-12)
    assert row["race_margin"] == racing.RACE_MARGIN and gap > racing.RACE_MARGIN * se
    assert row["mean_rmse"] == pytest.approx(runs.loc[runs["config"] == HOPELESS, "rmse"].mean())
    assert not bool(summary.loc[BEST, "raced"]) and math.isnan(summary.loc[BEST, "race_gap"])
    assert math.isnan(row["paired_diff"]) and not bool(row["within_one_se"])


def test_a_raced_configuration_is_left_out_of_the_recommendation(raced_run: Path) -> None:
    payload = json.loads((raced_run / "recommendation.json").read_text())
    rec = payload["recommendation"]
    assert rec["config"] == rec["best_config"] == BEST
    assert set(rec["selection_shares"]) == {BEST} and rec["runner_up"] is None
    assert payload["racing"]["raced_out"] == 1 and payload["racing"]["configs"] == [HOPELESS]
    assert payload["racing"]["seconds_saved"] > 0
    test = pd.read_csv(raced_run / "test.csv")
    assert list(test.loc[test["kind"] == "lstm", "model"]) == ["LSTM(16)"]
    run = read_run(raced_run)
    assert run.raced == {HOPELESS} and [c.config for c in run.compared] == [BEST]
    assert run.cells is not None and set(run.cells) == {BEST}
    assert run.trained == 10  # every run it trained, the raced one's included


def test_the_tables_say_raced_out_instead_of_a_score(raced_run: Path) -> None:
    runs = pd.read_csv(raced_run / "runs.csv")
    gap, se, _ = _evidence(runs, HOPELESS, BEST)
    note = f"raced out after fold 2: {signed(gap, se)} vs LSTM(16)"
    run = read_run(raced_run)
    assert note in render_markdown(run, [], Path("."))
    table = summary_table(run)
    shown = {row[1]: row[table.columns.index("raced")] for row in table.rows}
    assert shown == {HOPELESS: note, BEST: ""}
    assert not any(c.startswith("race_") for c in table.columns)


def test_the_command_prints_the_race_and_resumes_without_training(
    raced_run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    numpy_baselines_by_default(monkeypatch)

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("a settled configuration was trained again")

    monkeypatch.setattr(engine_module, "train_configuration", boom)
    # wide enough for the note on one line, whichever test made the console first
    monkeypatch.setattr(console, "_width", 200)
    data = str(raced_run.parent / "sine.csv")
    args = ["sweep", data, "--units", "1,16", *CLI_FAST, "--out", str(raced_run)]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, (result.stdout, result.exception)
    assert "raced out after fold 2: +" in result.stdout and "vs LSTM(16)" in result.stdout
    assert "raced out after fold 2" in (raced_run / "report.html").read_text()


def test_no_race_trains_every_configuration_on_every_fold(tmp_path: Path) -> None:
    result = _sweep(str(_sine(tmp_path)), tmp_path / "run", units=(1, 16), race=False)
    spec = SweepSpec().replace(**FAST, units=(1, 16), race=False)
    planned = {(c.id, s, f) for c in configurations(spec, 1) for s in (0, 1) for f in range(3)}
    trained = result.runs[["config", "seed", "fold"]].itertuples(index=False, name=None)
    assert set(trained) == planned
    assert len(result.runs) == len(planned) and not result.table["raced"].any()
    assert result.info["racing"]["raced_out"] == 0


def _study(out: Path, name: str) -> optuna.Study:
    backend = optuna.storages.journal.JournalFileBackend(str(out / "study.journal"))
    return optuna.load_study(study_name=name, storage=optuna.storages.JournalStorage(backend))


def test_a_resumed_sweep_never_trains_a_raced_configuration_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, out, name = str(_sine(tmp_path)), tmp_path / "run", "sine-lags6-h1"
    order = [BEST, HOPELESS, SMALL]  # the plan's order: LSTM(2) after the raced LSTM(1)
    monkeypatch.setattr(Job, "largest_first", lambda self: order)
    real = engine_module.train_configuration
    trained: list[str] = []

    def interrupted_at_the_last(config: Any, *args: Any, **kwargs: Any) -> Any:
        trained.append(config.id)
        if config.id == SMALL and trained.count(SMALL) == 1:
            raise KeyboardInterrupt
        return real(config, *args, **kwargs)

    monkeypatch.setattr(engine_module, "train_configuration", interrupted_at_the_last)
    with pytest.raises(KeyboardInterrupt):
        _sweep(data, out, units=(1, 2, 16))
    study = _study(out, name)
    assert [config_of(t) for t in study.trials] == order
    assert study.trials[1].state == TrialState.COMPLETE and RACED in study.trials[1].user_attrs
    assert study.trials[2].state == TrialState.FAIL  # interrupted: trained again on resume
    job = Job(SweepSpec().replace(**FAST, units=(1, 2, 16)), get("sine", n=200), None, name, out)
    assert finished(study.trials, job) == 2  # the raced one is done for good
    # a folder from before racing recorded no race setting: it resumes at the default
    study.set_user_attr("plan", {k: v for k, v in study.user_attrs["plan"].items() if k != "race"})
    result = _sweep(data, out, units=(1, 2, 16))
    assert trained == [*order, SMALL]
    assert [config_of(t) for t in _study(out, name).trials] == [*order, SMALL]
    assert bool(result.table.set_index("config").loc[HOPELESS, "raced"])
    assert result.recommendation.config == BEST


def test_an_old_study_without_the_race_setting_resumes_at_its_default() -> None:
    data = get("seed")
    old = {k: v for k, v in fingerprint(SweepSpec(), data).items() if k != "race"}
    check_fingerprint(old, fingerprint(SweepSpec(), data), "s")
    with pytest.raises(OptionError, match="race=True there, False here"):
        check_fingerprint(old, fingerprint(SweepSpec().replace(race=False), data), "s")


def _trial(number: int, config: str, runs: list[tuple[int, int, float]], **attrs: Any) -> Any:
    state = attrs.pop("state", TrialState.COMPLETE)
    trial = optuna.trial.create_trial(
        state=state,
        value=1.0 if state == TrialState.COMPLETE else None,
        params={PARAM: config},
        distributions={PARAM: CategoricalDistribution(["a", "b", "c", "d"])},
        user_attrs={"runs": [{"seed": s, "fold": f, "rmse": r} for s, f, r in runs], **attrs},
    )
    trial.number = number
    return trial


GRID = [(s, f) for f in range(2) for s in range(3)]


def test_only_configurations_that_ran_every_fold_can_be_the_incumbent() -> None:
    full = [(s, f, 1.0 + 0.1 * s + 0.01 * f) for s, f in GRID]
    trials: list[FrozenTrial] = [
        _trial(0, "a", [(s, f, r + 0.5) for s, f, r in full]),
        _trial(1, "b", [(s, f, r - 0.5) for s, f, r in full][:3], state=TrialState.RUNNING),
        _trial(2, "c", [(s, f, r - 0.4) for s, f, r in full][:3], **{RACED: {}}),
        _trial(3, "a", full, **{DUPLICATE: 0}),
    ]
    assert finished_cells(trials) == {"a": {(s, f): r + 0.5 for s, f, r in full}}


def test_the_race_pairs_the_cells_run_so_far_at_the_margin_of_the_moment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    best = [(s, f, 1.0 + 0.1 * s + 0.01 * f) for s, f in GRID]
    trials = [_trial(0, "a", best), _trial(1, "b", [(s, f, r + 0.2) for s, f, r in best])]
    d = np.array([0.3, 0.5, 0.4, 0.35, 0.45, 0.5])  # seeds 0-2 on folds 0 and 1
    cells = [(s, f) for f in (0, 1) for s in range(3)]
    rows = [
        {"seed": s, "fold": f, "rmse": 1.0 + 0.1 * s + 0.01 * f + g}
        for (s, f), g in zip(cells, d, strict=True)
    ]
    evidence = judge(trials, "c", rows)
    assert evidence is not None
    assert (evidence.incumbent, evidence.folds, evidence.cells) == ("a", 2, 6)
    assert evidence.gap == pytest.approx(d.mean())
    assert evidence.se == pytest.approx(np.std(d, ddof=1) / math.sqrt(6))
    assert judge(trials, "c", [r for r in rows if r["fold"] == 0]) is None  # one fold: too few
    ratio = d.mean() / (np.std(d, ddof=1) / math.sqrt(6))
    monkeypatch.setattr(racing, "RACE_MARGIN", ratio * 1.001)
    assert judge(trials, "c", rows) is None  # a gap within the margin goes on training
    monkeypatch.setattr(racing, "RACE_MARGIN", ratio * 0.999)
    assert judge(trials, "c", rows) == racing.RaceEvidence(
        "a", 2, 6, evidence.gap, evidence.se, ratio * 0.999
    )


def test_an_old_summary_without_racing_columns_reads_as_none_raced(tiny_run: Path) -> None:
    path = tiny_run / "summary.csv"
    summary = pd.read_csv(path)
    summary.drop(columns=[c for c in summary.columns if c.startswith("race")]).to_csv(
        path, index=False
    )
    payload = json.loads((tiny_run / "recommendation.json").read_text())
    _, _, upgraded = upgrade(payload, pd.read_csv(path))
    assert not upgraded["raced"].any()
    run = read_run(tiny_run)
    assert run.raced == frozenset() and all(c.race is None for c in run.configs)
    assert len(run.compared) == len(run.configs) == 2


def test_the_command_line_parses_no_race(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[SweepSpec] = []

    def capture(data: Any, spec: SweepSpec, **kwargs: Any) -> None:
        seen.append(spec)
        raise SystemExit(0)

    monkeypatch.setattr(lstmsizer.sweeping, "sweep", capture)
    for flag, expected in (("--no-race", False), ("--race", True), (None, True)):
        args = ["sweep", "--dataset", "seed", *([flag] if flag else [])]
        CliRunner().invoke(app, args)
        assert seen.pop().space.race is expected  # type: ignore[union-attr]
