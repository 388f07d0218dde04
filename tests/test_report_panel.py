"""The report of a panel sweep: per-series numbers against pandas, plots, Many series."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_report import SMALL, _summary, write_run

from lstmsizer.errors import DataError
from lstmsizer.report import build_report, figures
from lstmsizer.report.build import ONE_SERIES_SLOTS, SLOTS
from lstmsizer.report.panel import (
    EXTREMES_TITLE,
    PanelView,
    SeriesForecast,
    SeriesScore,
    extreme_rows,
    panel_numbers,
    panel_sentences,
    panel_view,
    small_multiples,
)
from lstmsizer.report.panel_plots import PANEL_SLOTS, plot_panel_forecasts, plot_panel_mase
from lstmsizer.rundir import read_run
from lstmsizer.rundir.sweep import (
    FORECAST_COLUMNS,
    ID_COLUMN,
    PANEL_SCORE_COLUMNS,
    SERIES_COLUMNS,
)
from lstmsizer.rundir.tables import Forecasts

FAMILIES = ("naive", "drift", "linear AR(12)", "ETS", "ARIMA")
POOLED = "pooled linear AR(12)"


def _row(series: str, model: str, kind: str, mase: float) -> dict[str, object]:
    return {"id": series, "model": model, "kind": kind, "windows": 12, "rmse": 2 * mase,
            "mae": 1.5 * mase, "mase": mase, "smape": 10 * mase}  # fmt: skip


def panel_scores(n: int = 30, seed: int = 0) -> pd.DataFrame:
    """panel_scores.csv of n series s00.. with known quirks: s03 and s17 have NaN MASE
    everywhere (no naive scale), s05 has no ARIMA row, s06 no ETS or ARIMA row, s07 and s08
    tie on the ratio with s09 (and each other), s10's ETS and ARIMA tie, s11's ARIMA is NaN."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n):
        s = f"s{k:02d}"
        lstm, ets, arima, pooled = rng.uniform(0.3, 2.0, size=4)
        if s in ("s07", "s08", "s09"):
            lstm, ets, arima = 0.6, 1.2, 1.5  # ratio 0.5 each
        if s == "s10":
            ets = arima = 0.9
        if s == "s11":
            arima = math.nan
        if s in ("s03", "s17"):
            lstm = ets = arima = pooled = math.nan
        rows.append(_row(s, "LSTM(8)", "lstm", lstm))
        for family in FAMILIES:
            value = {"ETS": ets, "ARIMA": arima}.get(family, rng.uniform(0.5, 3.0))
            if (s == "s05" and family == "ARIMA") or (s == "s06" and family in ("ETS", "ARIMA")):
                continue
            rows.append(_row(s, family, "baseline", value))
        rows.append(_row(s, POOLED, "pooled", pooled))
    frame = pd.DataFrame(rows, columns=PANEL_SCORE_COLUMNS)
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # any row order


def reference(scores: pd.DataFrame) -> pd.DataFrame:
    """Per series: LSTM, statistical (lower of ETS/ARIMA, ETS first on a tie), pooled, ratio."""
    lstm = scores[scores["kind"] == "lstm"].set_index("id")["mase"].rename("lstm")
    pooled = scores[scores["kind"] == "pooled"].set_index("id")["mase"].rename("pooled")
    own = scores[(scores["kind"] == "baseline") & scores["model"].isin(["ETS", "ARIMA"])]
    own = own.dropna(subset=["mase"]).assign(order=own["model"].map({"ETS": 0, "ARIMA": 1}))
    first = own.sort_values(["id", "mase", "order"]).groupby("id").head(1).set_index("id")
    table = pd.concat([lstm, pooled], axis=1).join(
        first[["mase", "model"]].rename(columns={"mase": "statistical", "model": "baseline"})
    )
    table = table[table["lstm"].notna()].sort_index()
    return table.assign(ratio=table["lstm"] / table["statistical"])


def test_numbers_match_a_direct_pandas_computation() -> None:
    scores = panel_scores()
    numbers = panel_numbers(scores)
    ref = reference(scores)
    assert numbers.n_series == 30 and numbers.left_out == 2
    assert [s.id for s in numbers.series] == list(ref.index)
    got = pd.DataFrame([vars(s) for s in numbers.series]).set_index("id")
    np.testing.assert_allclose(got["lstm"], ref["lstm"])
    np.testing.assert_allclose(got["statistical"], ref["statistical"])  # NaN for s06
    np.testing.assert_allclose(got["pooled"], ref["pooled"])
    np.testing.assert_allclose(got["ratio"], ref["ratio"])
    assert list(got["baseline"]) == list(ref["baseline"].fillna(""))
    assert got.loc["s05", "baseline"] == "ETS" and got.loc["s10", "baseline"] == "ETS"
    assert got.loc["s11", "baseline"] == "ETS" and got.loc["s06", "baseline"] == ""
    for spread, column in ((numbers.lstm, "lstm"), (numbers.statistical, "statistical"),
                           (numbers.pooled, "pooled")):  # fmt: skip
        values = ref[column].dropna()
        assert spread.n == len(values)
        assert (spread.q1, spread.median, spread.q3) == pytest.approx(
            tuple(values.quantile([0.25, 0.5, 0.75]))
        )
    both = ref.dropna(subset=["statistical"])
    assert numbers.vs_statistical.compared == len(both) == 27
    assert numbers.vs_statistical.wins == int((both["lstm"] < both["statistical"]).sum())
    assert numbers.vs_pooled.wins == int((ref["lstm"] < ref["pooled"]).sum())
    assert numbers.vs_pooled.share == pytest.approx((ref["lstm"] < ref["pooled"]).mean())
    assert numbers.pooled_model == POOLED


def test_best_and_worst_by_ratio_ties_broken_by_id() -> None:
    numbers = panel_numbers(panel_scores())
    rated = reference(panel_scores()).dropna(subset=["ratio"]).rename_axis("id").reset_index()
    best = rated.sort_values(["ratio", "id"]).head(10)
    rest = rated[~rated["id"].isin(best["id"])]
    worst = rest.assign(minus=-rest["ratio"]).sort_values(["minus", "id"]).head(10)
    assert [s.id for s in numbers.best] == list(best["id"])
    assert [s.id for s in numbers.worst] == list(worst["id"])
    assert [s.ratio for s in numbers.best] == pytest.approx(list(best["ratio"]))
    ties = [s.id for s in numbers.best if s.ratio == 0.5]
    assert ties == ["s07", "s08", "s09"]  # same ratio: in id order
    rows = extreme_rows(numbers)
    assert [r[0][0] for r in rows] == [f"best {k}" for k in range(1, 11)] + [
        f"worst {k}" for k in range(1, 11)
    ]
    assert rows[0][1][0] == best["id"].iloc[0] and rows[0][5][1] == best["ratio"].iloc[0]


def test_few_series_are_split_between_best_and_worst_once_each() -> None:
    numbers = panel_numbers(panel_scores(n=4, seed=1))
    ids = sorted(s.id for s in numbers.series if not math.isnan(s.ratio))
    assert len(numbers.best) == 2 and len(numbers.worst) == 1  # s03 has no MASE
    assert sorted(s.id for s in numbers.best + numbers.worst) == ids
    assert max(s.ratio for s in numbers.best) <= numbers.worst[0].ratio


def test_sentences_say_the_shares_and_how_many_were_left_out() -> None:
    scores = panel_scores()
    numbers = panel_numbers(scores)
    text = " ".join(panel_sentences(PanelView(numbers)))
    wins = numbers.vs_statistical
    assert text.startswith("30 series were scored on the test share.")
    assert f"on {wins.wins / 27:.0%} of the series ({wins.wins} of 27)" in text
    assert POOLED in text
    assert "2 series have no LSTM MASE" in text and "left out" in text


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda f: f.drop(columns=["mase"]), "must have the columns mase"),
        (lambda f: f.assign(mase="high"), "mase must be numbers"),
        (lambda f: pd.concat([f, f[f["kind"] == "lstm"].tail(1)]), "one lstm row per series"),
        (lambda f: pd.concat([f, f[f["model"] == "ARIMA"].head(1)]), "several for series"),
    ],
)
def test_malformed_scores_are_data_errors(
    change: Callable[[pd.DataFrame], pd.DataFrame], words: str
) -> None:
    with pytest.raises(DataError, match=words):
        panel_numbers(change(panel_scores(n=4)))


def test_plots_have_one_axes_per_panel() -> None:
    numbers = panel_numbers(panel_scores())
    assert len(plot_panel_mase(numbers).axes) == 2
    forecasts = [_forecast(s.id, k) for k, s in enumerate(numbers.best[:3] + numbers.worst[:3])]
    assert len(plot_panel_forecasts(forecasts, "LSTM(8)", "ETS").axes) == 6
    assert len(plot_panel_forecasts(forecasts[:4]).axes) == 4


def _forecast(series: str, k: int) -> SeriesForecast:
    x = np.arange(20.0)
    span = np.where(x < 12, "validation", "test")
    y = np.sin(x + k)
    score = SeriesScore(series, 0.5, 1.0, "ETS", 0.8, 0.5)
    return SeriesForecast(score, f"best {k}", Forecasts(x, span, y, y + 0.1, y - 0.1))


def write_panel(run: Path, scores: pd.DataFrame) -> Path:
    """Turn a single-series run folder into a panel's: panel_scores.csv, and series.csv and
    forecasts.csv with the id column first."""
    scores.to_csv(run / "panel_scores.csv", index=False)
    ids = sorted(set(scores["id"]))
    t = np.arange(30)
    series, forecasts = [], []
    for k, s in enumerate(ids):
        value = np.sin(t / 3 + k) + k
        series.append(pd.DataFrame({"id": s, "position": t, "time": t, "value": value}))
        forecasts.append(
            pd.DataFrame({"id": s, "position": t[18:], "time": t[18:],
                          "span": np.where(t[18:] < 24, "validation", "test"),
                          "actual": value[18:], "recommended": value[18:] + 0.1 * k,
                          "best_baseline": value[18:] - 0.2})
        )  # fmt: skip
    pd.concat(series)[[ID_COLUMN, *SERIES_COLUMNS]].to_csv(run / "series.csv", index=False)
    frame = pd.concat(forecasts)[[ID_COLUMN, *FORECAST_COLUMNS]]
    frame.to_csv(run / "forecasts.csv", index=False)
    return run


def test_small_multiples_take_the_three_best_and_worst_rows_of_forecasts(tmp_path: Path) -> None:
    scores = panel_scores()
    run = write_panel(write_run(tmp_path / "run", _summary(SMALL[:2]), extras=False), scores)
    numbers = panel_numbers(scores)
    panels = small_multiples(numbers, run)
    chosen = [s.id for s in numbers.best[:3] + numbers.worst[:3]]
    assert [p.score.id for p in panels] == chosen
    assert [p.rank for p in panels] == ["best 1", "best 2", "best 3", "worst 1", "worst 2",
                                        "worst 3"]  # fmt: skip
    file = pd.read_csv(run / "forecasts.csv", dtype={"id": str})
    for p in panels:
        rows = file[file["id"] == p.score.id]
        np.testing.assert_allclose(p.forecasts.x, rows["time"])
        np.testing.assert_allclose(p.forecasts.recommended, rows["recommended"])
        np.testing.assert_allclose(p.forecasts.baseline, rows["best_baseline"])
        assert list(p.forecasts.span) == list(rows["span"])


def test_panel_report_has_the_many_series_section(tmp_path: Path) -> None:
    scores = panel_scores()
    run = write_panel(write_run(tmp_path / "run", _summary(SMALL)), scores)
    page = build_report(run).read_text(encoding="utf-8")
    numbers = panel_numbers(scores)
    assert '<section id="panel"><h2>Many series</h2>' in page
    assert page.index('id="forecasts"') < page.index('id="panel"') < page.index('id="diagnostics"')
    assert '<a href="#panel">Many series</a>' in page
    # the one-series plots of the series and its forecasts give way to the panel's own
    assert page.count("<svg") == len(SLOTS) - len(ONE_SERIES_SLOTS) + len(PANEL_SLOTS)
    for slot in PANEL_SLOTS:
        assert f'id="fig-{slot.name}"' in page and (run / "plots" / f"{slot.name}.png").is_file()
    assert escape(EXTREMES_TITLE) in page and 'id="extremes"' in page
    body = re.search(r'id="extremes">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert body is not None and body.group(1).count("<tr>") == 20
    for sentence in panel_sentences(PanelView(numbers)):
        assert escape(sentence) in page
    assert {"panel_mase", "panel_forecasts"} <= set(figures(run))
    text = build_report(run, format="md").read_text(encoding="utf-8")
    assert "## Many series" in text and f"### {EXTREMES_TITLE}" in text
    assert f"| best 1 | {numbers.best[0].id} |" in text
    assert "2 series have no LSTM MASE" in text


def test_unreadable_panel_scores_are_said_not_fatal(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", _summary(SMALL[:2]), extras=False)
    panel_scores(n=3).drop(columns=["kind"]).to_csv(run / "panel_scores.csv", index=False)
    view = panel_view(read_run(run))
    assert view is not None and view.numbers is None and "could not be read" in view.problem
    page = build_report(run).read_text(encoding="utf-8")
    assert '<section id="panel">' in page and "panel_scores.csv could not be read" in page


def test_single_series_report_has_no_many_series_section(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", _summary(SMALL))
    assert panel_view(read_run(run)) is None
    page = build_report(run).read_text(encoding="utf-8")
    assert "Many series" not in page and 'id="panel"' not in page and "extremes" not in page
    assert page.count("<svg") == len(SLOTS)
    text = build_report(run, format="md").read_text(encoding="utf-8")
    assert "Many series" not in text and EXTREMES_TITLE not in text
    assert not any((run / "plots" / f"{s.name}.png").exists() for s in PANEL_SLOTS)
