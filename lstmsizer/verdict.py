"""The recommendation in plain sentences: verdict, stability, training-health warnings."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from lstmsizer.onese import FoldPairing
from lstmsizer.sizes import KERAS_LAYERS, config_label
from lstmsizer.stability import Stability

HEALTH_PROBLEMS = {
    "under_trained": "hit the epoch cap while still improving (under-trained): raise --epochs",
    "stuck": "never beat predicting the training mean, after restarts",
}
"""Bool run column -> what a run flagged by it did."""

NO_STABILITY = "Stability not measured: no (seed, fold) cell has a successful run of every config"


def label(row: pd.Series) -> str:
    """The Keras-style label of a summary row: LSTM(16), 2-layer LSTM(64)."""
    return config_label(str(row["cell"]), int(row["units"]), int(row["layers"]), row["activation"])


def flags(values: pd.Series) -> pd.Series:
    """A bool column as read back from runs.csv (bools, strings or NaN; missing is False)."""
    return values.map(lambda v: str(v).strip().lower() in ("true", "1", "1.0")).astype(bool)


def warnings(
    runs: pd.DataFrame, configs: Sequence[pd.Series], stability: Stability
) -> tuple[str, ...]:
    """Whether stability went unmeasured, then each configuration's under-trained or stuck runs.

    Args:
        runs: One row per run with config and, in newer run folders, under_trained and stuck.
        configs: Summary rows (named by config id) of the configurations to check, in the
            order of their parameters.
        stability: The bootstrap; cells == 0 means it could not resample anything.

    Returns:
        Sentences without a full stop, such as "2 of 9 runs of LSTM(8) hit the epoch cap
        ..."; none for a flag column runs lacks.
    """
    out = [] if stability.cells else [NO_STABILITY]
    config = runs["config"].astype(str)
    for row in sorted(configs, key=lambda r: (r["parameters"], str(r.name))):
        mine = runs[config == str(row.name)]
        for column, problem in HEALTH_PROBLEMS.items():
            hits = int(flags(mine[column]).sum()) if column in runs else 0
            if hits:
                out.append(f"{hits} of {len(mine)} runs of {label(row)} {problem}")
    return tuple(out)


def verdict(
    rec: pd.Series,
    best: pd.Series,
    base: pd.Series,
    pairing: FoldPairing,
    stability: Stability,
    runner_up: pd.Series | None,
    notes: Sequence[str],
    cells: set[str],
) -> str:
    """The verdict against the best baseline, then the stability sentence, then the warnings.

    Args:
        rec, best: Summary rows (named by config id) of the recommendation and the best.
        base: The best baseline's summary row.
        pairing: The baseline compared with rec per fold.
        stability: The bootstrap of the rule.
        runner_up: Summary row of the runner-up, or None.
        notes: The warnings, sentences without a final full stop.
        cells: Cells swept (lstm, gru, rnn), to name the network.
    """
    sentences = [_headline(rec, best, base, pairing, cells), _stability(rec, runner_up, stability)]
    return " ".join(s for s in [*sentences, *(f"{w}." for w in notes)] if s)


def _decimals(value: float) -> int:
    # 3 significant digits: 16.9, 0.412, 1234
    if not math.isfinite(value) or value == 0:
        return 3
    return min(10, max(0, 2 - math.floor(math.log10(abs(value)))))


def _pm(mean: float, se: float, decimals: int) -> str:
    # the SE keeps at least one significant digit, so a small SE never prints as 0.0
    se_decimals = decimals if not se > 0 else max(decimals, -math.floor(math.log10(se)))
    return f"{mean:,.{decimals}f} ± {se:,.{min(se_decimals, 10)}f}"


def _headline(
    rec: pd.Series, best: pd.Series, base: pd.Series, pairing: FoldPairing, cells: set[str]
) -> str:
    d = _decimals(min(abs(float(rec["mean_rmse"])), abs(float(base["mean_rmse"]))))
    ours = _pm(float(rec["mean_rmse"]), float(rec["se_rmse"]), d)
    theirs = _pm(float(base["mean_rmse"]), float(base["se_rmse"]), d)
    n = pairing.folds
    network = KERAS_LAYERS.get(str(rec["cell"]), str(rec["cell"]))
    paired = (
        f"paired over {n} fold{'' if n == 1 else 's'}: baseline − {network} = "
        f"{_pm(pairing.diff, pairing.se, d)}"
        if n
        else "no fold scored both"
    )
    if not pairing.lstm_needed:
        better = pairing.diff < -pairing.se
        needless = "an LSTM" if cells == {"lstm"} else "a recurrent network"
        return (
            f"{base['model']} is {'better than' if better else 'as good as'} {label(rec)} "
            f"(RMSE {theirs} vs {ours}; {paired}): {needless} is not needed here."
        )
    head = (
        f"{label(rec)} beats the best baseline, {base['model']} (RMSE {ours} vs {theirs}; {paired})"
    )
    if best.name == rec.name:
        return f"{head}; it is the best configuration swept."
    top = _pm(float(best["mean_rmse"]), float(best["se_rmse"]), d)
    return (
        f"{head}; it is the smallest model within one paired standard error of the best "
        f"({label(best)}, {top})."
    )


def _stability(rec: pd.Series, runner_up: pd.Series | None, stability: Stability) -> str:
    share = stability.chosen_share
    if not math.isfinite(share):
        return ""
    of = f"{share:.0%} of {stability.resamples:,} resamples"
    other = "" if runner_up is None else f"{label(runner_up)} in {stability.runner_up_share:.0%}"
    if not stability.stable:
        return (
            f"{label(rec)} is recommended in only {of}{', ' + other if other else ''}: "
            "the data cannot tell these sizes apart."
        )
    return f"Recommended in {of}{'; ' + other if other else ''}."
