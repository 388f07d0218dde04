"""Panels on the command line: every validation error is one line and exit 2; long, wide and
unique_id/ds/y inputs give the same answer; a panel sweep end to end, with its report."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import numpy_baselines_by_default, numpy_only, run_main
from typer.testing import CliRunner

from lstmsizer.cli import app
from lstmsizer.config import ModelSpec, SplitSpec, TrainSpec, WindowSpec
from lstmsizer.datasets import resolve
from lstmsizer.fitting import fit

runner = CliRunner()


def long_frame(lengths: tuple[int, ...] = (40, 55, 48), seed: int = 0) -> pd.DataFrame:
    """Series of different lengths and start years, in one long table (ids interleaved)."""
    rng = np.random.default_rng(seed)
    parts = []
    for i, n in enumerate(lengths):
        start = 1960 + 5 * i
        t = np.arange(n)
        y = 10.0 * (i + 1) + (i + 1) * np.sin(t / 3.0) + rng.normal(0, 0.2, n)
        parts.append(pd.DataFrame({"shop": f"s{i}", "year": start + t, "sales": y}))
    return (
        pd.concat(parts, ignore_index=True)
        .sample(frac=1.0, random_state=1)
        .sort_values(["year"], kind="stable")
    )


def wide_frame(long: pd.DataFrame) -> pd.DataFrame:
    """The same data, one column per series on the union of years (written independently)."""
    years = sorted(long["year"].unique())
    out = pd.DataFrame({"year": years})
    for shop, part in long.groupby("shop", sort=False):
        out[str(shop)] = out["year"].map(dict(zip(part["year"], part["sales"], strict=True)))
    return out


def nixtla_frame(long: pd.DataFrame) -> pd.DataFrame:
    return long.rename(columns={"shop": "unique_id", "year": "ds", "sales": "y"})


@pytest.fixture
def one_line_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., str]:
    """Run the real entry point; it must exit 2 with one error line on stderr."""

    def run(*args: str) -> str:
        code, out, err = run_main(monkeypatch, capsys, *args)
        lines = [line for line in err.splitlines() if line.strip()]
        assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), (out, err)
        return lines[0]

    return run


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda f: pd.concat([f, f.iloc[[3]]]), "has 2 rows at time"),
        (lambda f: f.iloc[::-1], "goes back in time"),
        (lambda f: f.drop(index=f.index[(f["shop"] == "s1") & (f["year"] == 1970)]), "gap"),
        (lambda f: f.assign(sales=f["sales"].where(f.index != f.index[10])), "missing"),
        (lambda f: f.assign(shop=f["shop"].where(f.index != f.index[4])), "id"),
    ],
    ids=["duplicated pair", "unsorted time", "gap", "missing value", "missing id"],
)
def test_every_validation_error_is_one_line_and_exit_2(
    tmp_path: Path, change: object, expected: str, one_line_exit_2: Callable[..., str]
) -> None:
    frame = change(long_frame())  # type: ignore[operator]
    file = tmp_path / "sales.csv"
    frame.to_csv(file, index=False)
    line = one_line_exit_2(
        "fit", str(file), "--id-column", "shop", "--time-column", "year", "--lags", "4"
    )
    assert expected in line and "sales.csv" in line


def test_short_series_and_bad_options_are_one_line_and_exit_2(
    tmp_path: Path, one_line_exit_2: Callable[..., str]
) -> None:
    file = tmp_path / "sales.csv"
    long_frame((40, 5, 48)).to_csv(file, index=False)
    base = (str(file), "--id-column", "shop", "--time-column", "year", "--lags", "6")
    line = one_line_exit_2("sweep", *base, "--units", "2", "--out", str(tmp_path / "run"))
    assert "'s1' has 5 values" in line and "lags + horizon = 7" in line
    assert "'nope' is not a column" in one_line_exit_2(
        "fit", str(file), "--id-column", "nope", "--lags", "4"
    )
    assert "wide" in one_line_exit_2("fit", str(file), "--wide", "--id-column", "shop")
    line = one_line_exit_2("sweep", "--dataset", "sunspots", "--id-embedding", "4")
    assert "id_embedding applies to a panel" in line


def test_long_wide_and_unique_id_inputs_give_identical_results(tmp_path: Path) -> None:
    long = long_frame()
    inputs = {
        "long": resolve(long, id_column="shop", time_column="year", column="sales"),
        "wide": resolve(wide_frame(long), wide=True, time_column="year"),
        "nixtla": resolve(nixtla_frame(long)),
    }
    tables = {}
    for name, panel in inputs.items():
        result = fit(
            panel,
            WindowSpec(lags=4),
            ModelSpec(units=4),
            TrainSpec(epochs=5, progress=False),
            SplitSpec(),
            baselines=numpy_only,
            workers=1,
        )
        tables[name] = result.table.drop(columns=["seconds"]).reset_index(drop=True)
        assert result.forecast["value"].notna().all()
    pd.testing.assert_frame_equal(tables["long"], tables["wide"])
    pd.testing.assert_frame_equal(tables["long"], tables["nixtla"])


def test_a_panel_sweep_end_to_end_with_its_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    numpy_baselines_by_default(monkeypatch)
    file = tmp_path / "sales.csv"
    nixtla_frame(long_frame()).to_csv(file, index=False)
    out = tmp_path / "run"
    args = ["sweep", str(file), "--lags", "4", "--units", "2,4", "--layers", "1", "--seeds", "2"]
    args += ["--epochs", "30", "--workers", "1", "--out", str(out), "--json"]
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    payload = json.loads(result.stdout)
    assert payload["info"]["data"]["panel"]["series"] == 3
    assert "pooled linear AR" in payload["info"]["panel_verdict"]["verdict"]
    scores = pd.read_csv(out / "panel_scores.csv")
    assert set(scores["kind"]) == {"lstm", "baseline", "pooled"}
    assert set(scores["id"]) == {"s0", "s1", "s2"}
    lstm = scores[scores["kind"] == "lstm"].set_index("id")
    # MASE of each series: its test MAE over its own in-sample naive error
    series = pd.read_csv(out / "series.csv")
    test = payload["info"]["data"]["panel"]["test"]
    assert test["active"] == 3
    for shop, row in lstm.iterrows():
        assert row["mase"] == pytest.approx(row["mae"] / _naive(series, str(shop), row), rel=1e-9)
    assert Path(payload["report"]).is_file()
    assert "Many series" in Path(payload["report"]).read_text()


def _naive(series: pd.DataFrame, shop: str, row: pd.Series) -> float:
    """In-sample naive MAE of one series over the part before its test windows."""
    values = series.loc[series["id"] == shop, "value"].to_numpy()
    train = values[: len(values) - int(row["windows"])]  # one-step windows: one per test value
    return float(np.mean(np.abs(np.diff(train))))
