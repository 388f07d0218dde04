"""Two workers on one study in a real PostgreSQL server (started by .ci/run)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from lstmsizer.datasets import get
from lstmsizer.sweep import SweepSpec, sweep
from lstmsizer.sweep.plan import configurations

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def postgres_url() -> str:
    url = os.environ.get("LSTMSIZER_POSTGRES_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("LSTMSIZER_POSTGRES_URL is not set: .ci/run starts PostgreSQL for this")
        pytest.skip(
            "no PostgreSQL server: run `bash .ci/postgres.sh` and set LSTMSIZER_POSTGRES_URL"
        )
    return url


def test_two_workers_on_one_postgres_study_train_every_run_once(
    postgres_url: str, tmp_path: Path
) -> None:
    spec = SweepSpec(
        lags=6, units=(1, 2, 3), layers=(1,), seeds=2, folds=2, epochs=2, patience=None
    )
    study = f"pg-{uuid.uuid4().hex[:8]}"
    result = sweep(
        get("sine", n=200), spec=spec, out=tmp_path, storage=postgres_url, study=study, workers=2
    )
    planned = sorted(
        zip(result.runs["config"], result.runs["seed"], result.runs["fold"], strict=True)
    )
    expected = sorted(
        (c.id, s, f) for c in configurations(spec, 1) for s in spec.seed_list() for f in range(2)
    )
    assert planned == expected
    assert result.info["storage"] == postgres_url
