"""Tests for racing: the paired gap to the incumbent, and which configuration is the incumbent."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lstmsizer.racing import RACE_MARGIN, RACE_MIN_FOLDS, Cell, RaceEvidence, incumbent, race


def cells(values: list[float], folds: int = 1) -> dict[Cell, float]:
    """RMSE per (seed, fold) cell: value k is seed k // folds, fold k % folds."""
    return {(k // folds, k % folds): v for k, v in enumerate(values)}


def gap_and_se(ours: list[float], theirs: list[float]) -> tuple[float, float]:
    """Mean and standard error of the paired differences, straight from numpy."""
    d = np.array(ours) - np.array(theirs)
    return float(d.mean()), float(d.std(ddof=1) / math.sqrt(d.size))


def test_a_gap_beyond_the_margin_races_with_numpys_gap_and_se() -> None:
    ours, theirs = [20.0, 21.5, 19.0, 22.0], [15.0, 15.5, 14.0, 15.8]
    gap, se = gap_and_se(ours, theirs)
    assert gap > 3.0 * se  # the case is what its name says

    evidence = race(cells(ours, folds=2), "best", cells(theirs, folds=2), margin=3.0)

    assert evidence is not None
    assert evidence.incumbent == "best"
    assert evidence.cells == 4
    assert evidence.folds == 2
    assert evidence.gap == pytest.approx(gap, rel=1e-12)
    assert evidence.se == pytest.approx(se, rel=1e-12)
    assert evidence.margin == 3.0


def test_a_gap_within_the_margin_goes_on_training() -> None:
    ours, theirs = [16.0, 14.0, 18.0], [15.0, 15.5, 14.0]
    gap, se = gap_and_se(ours, theirs)
    assert 0 < gap < 3.0 * se

    assert race(cells(ours), "best", cells(theirs), margin=3.0) is None


def test_the_margin_decides_between_the_two_sides_of_the_gap() -> None:
    ours, theirs = [17.0, 18.0, 16.5, 17.5], [15.0, 15.5, 14.0, 15.8]
    gap, se = gap_and_se(ours, theirs)
    ratio = gap / se

    # one fold of cells: the gap's arithmetic, with the fold guard out of the way
    assert race(cells(ours), "best", cells(theirs), margin=ratio * 0.99, min_folds=1) is not None
    assert race(cells(ours), "best", cells(theirs), margin=ratio * 1.01, min_folds=1) is None


def test_a_better_configuration_never_races() -> None:
    ours, theirs = [10.0, 10.1, 10.2], [15.0, 15.5, 14.0]

    assert race(cells(ours), "best", cells(theirs), margin=0.5) is None


def test_cells_missing_or_nan_on_either_side_are_left_out() -> None:
    ours = {(0, 0): 20.0, (1, 0): 21.0, (2, 0): math.nan, (3, 0): 22.5, (4, 0): 19.5}
    theirs = {(0, 0): 15.0, (1, 0): 14.0, (2, 0): 15.0, (3, 0): math.nan, (5, 0): 1.0}
    gap, se = gap_and_se([20.0, 21.0], [15.0, 14.0])  # only seeds 0 and 1 pair

    evidence = race(ours, "best", theirs, margin=1.0, min_folds=1)

    assert evidence is not None
    assert evidence.cells == 2
    assert evidence.gap == pytest.approx(gap)
    assert evidence.se == pytest.approx(se)


@pytest.mark.parametrize(
    "ours, theirs",
    [
        ({(0, 0): 90.0}, {(0, 0): 10.0, (1, 0): 10.0}),
        ({(0, 0): 90.0, (1, 0): math.nan}, {(0, 0): 10.0, (1, 0): 10.0}),
        ({(0, 0): 90.0, (1, 0): 95.0}, {(2, 0): 10.0, (3, 0): 10.0}),
        ({}, {(0, 0): 10.0}),
    ],
)
def test_fewer_than_two_pairs_never_race(
    ours: dict[Cell, float], theirs: dict[Cell, float]
) -> None:
    assert race(ours, "best", theirs, margin=0.0) is None


def test_no_configuration_races_before_it_has_trained_min_folds_folds() -> None:
    theirs = cells([15.0, 15.5, 14.0, 15.8, 15.1, 14.9], folds=2)
    one_fold = {cell: 30.0 + cell[0] for cell in theirs if cell[1] == 0}
    two_folds = {cell: 30.0 + cell[0] + cell[1] for cell in theirs}

    assert race(one_fold, "best", theirs, margin=3.0, min_folds=1) is not None
    assert race(one_fold, "best", theirs, margin=3.0, min_folds=2) is None
    evidence = race(two_folds, "best", theirs, margin=3.0, min_folds=2)
    assert evidence is not None
    assert (evidence.folds, evidence.cells) == (2, 6)


def test_the_default_margin_and_guard_are_used_when_none_is_given() -> None:
    ours, theirs = [17.0, 18.0, 16.5, 17.5, 17.2, 18.1], [15.0, 15.5, 14.0, 15.8, 15.2, 16.0]
    gap, se = gap_and_se(ours, theirs)
    folds = RACE_MIN_FOLDS  # the fewest folds that may race
    assert len(ours) % folds == 0

    evidence = race(cells(ours, folds), "best", cells(theirs, folds))

    assert (evidence is not None) == (gap > RACE_MARGIN * se)
    if evidence is not None:
        assert evidence.margin == RACE_MARGIN


def test_the_incumbent_has_the_lowest_mean() -> None:
    finished = {
        "a": cells([15.0, 17.0, 16.0]),  # mean 16
        "b": cells([14.0, 16.5, 15.0]),  # mean 15.17
        "c": cells([15.0, 15.0, 16.0]),  # mean 15.33
    }

    assert incumbent(finished) == "b"


def test_a_tie_goes_to_the_lower_id() -> None:
    finished = {"z": cells([15.0, 17.0]), "m": cells([16.0, 16.0]), "y": cells([17.0, 15.0])}

    assert incumbent(finished) == "m"


def test_failed_cells_are_ignored_and_a_config_with_none_left_is_not_the_incumbent() -> None:
    finished = {
        "a": cells([14.0, math.nan, 14.0]),  # mean 14 over its finite cells
        "b": cells([14.5, 14.5, 14.5]),
        "c": cells([math.nan, math.nan]),
        "d": cells([math.inf, 1.0, 1.0]),  # mean 1 once the infinite run is left out
    }

    assert incumbent(finished) == "d"
    assert incumbent({k: v for k, v in finished.items() if k != "d"}) == "a"


def test_no_finished_configuration_means_no_incumbent() -> None:
    assert incumbent({}) is None
    assert incumbent({"a": cells([math.nan])}) is None


def test_race_evidence_round_trips_through_a_dict() -> None:
    evidence = RaceEvidence(incumbent="lstm-u8-l1", folds=1, cells=3, gap=2.5, se=0.4, margin=3.0)

    payload = evidence.to_dict()

    assert payload == {
        "incumbent": "lstm-u8-l1",
        "folds": 1,
        "cells": 3,
        "gap": 2.5,
        "se": 0.4,
        "margin": 3.0,
    }
    assert RaceEvidence.from_dict(payload) == evidence
    assert RaceEvidence.from_dict({k: str(v) for k, v in payload.items()}) == evidence
