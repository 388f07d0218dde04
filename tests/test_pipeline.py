"""End to end, as a user runs it: sweep, then diagnose, then claims, then the report."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd
import pytest
from helpers import TINY, invoke, numpy_baselines_by_default

import lstmsizer.claims.run
from lstmsizer.report.build import NO_CURVES, NO_DEEP_WIDE, NO_DIAGNOSTICS
from lstmsizer.report.health_html import NO_HEALTH, NO_LR_SEARCH


@pytest.mark.slow
def test_sweep_diagnose_claims_then_report_reads_what_they_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    numpy_baselines_by_default(monkeypatch)  # the commands below cannot pass baselines=
    monkeypatch.setattr(lstmsizer.claims.run, "QUICK", TINY)
    run = tmp_path / "run"
    sweep = ("sweep", "--dataset", "sine", "--lags", "4", "--units", "2,3", "--layers", "1,2")
    protocol = ("--epochs", "30", "--patience", "4", "--min-epochs", "2", "--lr-patience", "2")
    invoke(*sweep, "--seeds", "2", "--folds", "2", *protocol, "--workers", "1", "--out", str(run))
    invoke("diagnose", str(run), "--sizes", "2")
    invoke("claims", "--dataset", "sine", "--lags", "4", "--out", str(run))
    invoke("report", str(run))
    page = " ".join((run / "report.html").read_text().split())

    for missing in (NO_CURVES, NO_DEEP_WIDE, NO_HEALTH, NO_LR_SEARCH):
        assert " ".join(missing.split()) not in page
    assert NO_DIAGNOSTICS.format(run=run) not in page and "No claims checked" not in page

    rec = json.loads((run / "recommendation.json").read_text())["recommendation"]
    share = f"{rec['stability_share']:.0%}"
    assert f"{share} of 1,000 resamples" in page

    runs = pd.read_csv(run / "runs.csv")
    for config, group in runs.groupby("config"):
        median = group["epochs"].median()
        assert f"{median:.0f} / 30" in page, config  # the health table's epochs against the cap
    chosen = pd.read_csv(run / "lr_search.csv").query("chosen")
    assert set(chosen["config"]) == set(runs["config"])
    assert dict(zip(chosen["config"], chosen["lr"], strict=True)) == dict(
        zip(runs["config"], runs["lr"], strict=True)
    )

    diagnosed = json.loads((run / "diagnostics.json").read_text())
    assert len(diagnosed["sizes"]) == 2
    for size in diagnosed["sizes"]:
        assert size["config"] in page
    claims = json.loads((run / "claims.json").read_text())
    assert len(claims["claims"]) == 6
    for claim in claims["claims"]:
        assert claim["claim"] in page and html.escape(claim["threshold"]) in page
        for label in claim["figures"]:
            assert html.escape(label) in page
