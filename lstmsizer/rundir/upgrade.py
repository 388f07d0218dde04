"""Run folders of an older layout brought to the current one: the one place that knows them."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from lstmsizer.errors import DataError
from lstmsizer.rundir.files import RECOMMENDATION_FILE, SCHEMA_VERSION, VERSION_KEY
from lstmsizer.rundir.sweep import (
    HEALTH_COLUMNS,
    RACE_COLUMNS,
    RACED_COLUMN,
    SUMMARY_COLUMNS,
    race_record,
)

# recommendation.json keys that version-1 sweeps wrote only later (the paired rule and the
# bootstrap) or not at all (the shape, before other cells and depths): what stands for them
V1_RECOMMENDATION: dict[str, Any] = {
    "cell": "lstm",
    "layers": 1,
    "activation": "tanh",
    "paired_diff": None,
    "paired_se": None,
    "baseline_diff": None,
    "baseline_diff_se": None,
    "folds_paired": 0,
    "stability_share": None,
    "selection_shares": {},
    "runner_up": None,
    "runner_up_label": None,
    "runner_up_share": None,
    "resamples": 0,
    "warnings": [],
}
# summary.csv's text and depth columns of version-1 sweeps that lacked them; other missing
# columns are not recorded (NaN), the health columns only when some of them are there
V1_SUMMARY: dict[str, Any] = {"cell": "lstm", "layers": 1, "activation": "tanh"}


def schema_version(payload: Mapping[str, Any]) -> int:
    """The layout version recommendation.json records; 1 when it records none.

    Raises:
        DataError: The version is not a whole number from 1 to SCHEMA_VERSION.
    """
    version = payload.get(VERSION_KEY, 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise DataError(
            f"{RECOMMENDATION_FILE}'s {VERSION_KEY} must be a whole number >= 1, got {version!r}"
        )
    if version > SCHEMA_VERSION:
        raise DataError(
            f"{RECOMMENDATION_FILE}'s {VERSION_KEY} must be at most {SCHEMA_VERSION} for this "
            f"lstmsizer, got {version}: the folder was written by a newer version"
        )
    return version


def upgrade(
    payload: dict[str, Any], summary: pd.DataFrame
) -> tuple[int, dict[str, Any], pd.DataFrame]:
    """recommendation.json and summary.csv of any version as the current version writes them.

    Args:
        payload: recommendation.json as read.
        summary: summary.csv as read.

    Returns:
        The version the folder was written at, then the payload and summary upgraded.
    """
    version = schema_version(payload)
    if version == 1:
        rec = payload.get("recommendation")
        if isinstance(rec, Mapping):
            payload = {**payload, "recommendation": {**V1_RECOMMENDATION, **rec}}
        summary = _v1_summary(summary)
    if RACED_COLUMN not in summary.columns:  # written before racing: none was raced out
        summary = summary.assign(**race_record(None))
    return version, payload, summary


def _v1_summary(summary: pd.DataFrame) -> pd.DataFrame:
    health = any(c in summary.columns for c in HEALTH_COLUMNS)
    wanted = [c for c in SUMMARY_COLUMNS if health or c not in HEALTH_COLUMNS]
    wanted = [c for c in wanted if c not in RACE_COLUMNS]  # added for every version
    added = {c: V1_SUMMARY.get(c, math.nan) for c in wanted if c not in summary.columns}
    return summary.assign(**added) if added else summary
