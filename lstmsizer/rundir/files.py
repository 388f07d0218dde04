"""Every file name of a sweep's run folder, and the version of its layout."""

from __future__ import annotations

SCHEMA_VERSION = 2
"""The run folder's layout version, recorded in recommendation.json; a folder without one
is version 1 (sweeps before the version was recorded)."""
VERSION_KEY = "schema_version"

SUMMARY_FILE = "summary.csv"
RUNS_FILE = "runs.csv"
BASELINES_FILE = "baselines.csv"
TEST_FILE = "test.csv"
RECOMMENDATION_FILE = "recommendation.json"
SERIES_FILE = "series.csv"
FORECASTS_FILE = "forecasts.csv"
PANEL_FILE = "panel_scores.csv"
CURVES_FILE = "curves.csv"
LR_SEARCH_FILE = "lr_search.csv"
MODEL_FILE = "model.pt"
JOURNAL_FILE = "study.journal"
STUDY_FILE = "study.json"
DIAGNOSTICS_FILE = "diagnostics.json"
SPEED_FILE = "speed.json"
CLAIMS_FILE = "claims.json"
REPORT_FILES = {"html": "report.html", "md": "report.md"}
PLOTS_DIR = "plots"

REQUIRED = (SUMMARY_FILE, RECOMMENDATION_FILE)
"""What makes a folder a run folder: the report and diagnose need both."""
LINKED = (
    SUMMARY_FILE,
    RUNS_FILE,
    BASELINES_FILE,
    TEST_FILE,
    RECOMMENDATION_FILE,
    SERIES_FILE,
    FORECASTS_FILE,
    DIAGNOSTICS_FILE,
    SPEED_FILE,
    CLAIMS_FILE,
    CURVES_FILE,
    LR_SEARCH_FILE,
)
"""The data files a report links to, in the order it lists them."""
