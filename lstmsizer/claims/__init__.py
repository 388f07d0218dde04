"""The forum's folklore about LSTM sizes, each claim checked by a small experiment."""

from __future__ import annotations

from lstmsizer.claims.result import FULL, QUICK, Claim, ClaimsResult, Settings
from lstmsizer.claims.rules import (
    CANNOT_TELL,
    NOT_SUPPORTED,
    SUPPORTED,
    VERDICTS,
    Threshold,
    decide,
    depth_verdict,
    gradients_verdict,
    linear_series_verdict,
    linear_unit_verdict,
    memory_verdict,
    speed_verdict,
)
from lstmsizer.claims.run import run_claims
from lstmsizer.rundir.files import CLAIMS_FILE

__all__ = [
    "CANNOT_TELL",
    "CLAIMS_FILE",
    "FULL",
    "NOT_SUPPORTED",
    "QUICK",
    "SUPPORTED",
    "VERDICTS",
    "Claim",
    "ClaimsResult",
    "Settings",
    "Threshold",
    "decide",
    "depth_verdict",
    "gradients_verdict",
    "linear_series_verdict",
    "linear_unit_verdict",
    "memory_verdict",
    "run_claims",
    "speed_verdict",
]
