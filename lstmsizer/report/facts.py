"""The report's facts as text: data and split, environment, numbers and durations."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from lstmsizer.rundir import RunFolder

Facts = list[tuple[str, str]]


def decimals(value: float, digits: int = 3) -> int:
    """Decimals that show `digits` significant digits: 16.9, 0.412, 1234."""
    if not math.isfinite(value) or value == 0:
        return digits - 1
    return min(10, max(0, digits - 1 - math.floor(math.log10(abs(value)))))


def number(value: object, digits: int = 3) -> str:
    """An integer with thousands separators, a float to `digits` significant digits, "–" if none."""
    if isinstance(value, bool) or value is None:
        return "–" if value is None else str(value)
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    return f"{x:,.{decimals(x, digits)}f}" if math.isfinite(x) else "–"


def plus_minus(mean: float, se: float) -> str:
    """mean ± se: the mean to 3 significant digits, the SE to at least one significant digit."""
    if not math.isfinite(mean):
        return "–"
    d = decimals(mean)
    if not math.isfinite(se):
        return f"{mean:,.{d}f}"
    se_d = d if not se > 0 else max(d, -math.floor(math.log10(se)))
    return f"{mean:,.{d}f} ± {se:,.{min(se_d, 10)}f}"


def signed(mean: float, se: float) -> str:
    """A difference with its sign and SE: "+0.012 ± 0.010", "-0.40 ± 0.12"."""
    text = plus_minus(mean, se)
    return "+" + text if math.isfinite(mean) and mean > 0 else text


def duration(seconds: object) -> str:
    """Seconds as "4.2 s", "3 min 20 s" or "2 h 05 min"."""
    try:
        s = float(seconds)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "not recorded"
    if not math.isfinite(s):
        return "not recorded"
    if s < 60:
        return f"{s:.1f} s"
    if s < 3600:
        return f"{int(s // 60)} min {int(s % 60):02d} s"
    return f"{int(s // 3600)} h {int(s % 3600 // 60):02d} min"


def network(run: RunFolder) -> str:
    """LSTM when only LSTMs were swept, else recurrent (for titles)."""
    cells = {c.cell for c in run.configs}
    return "LSTM" if cells <= {"lstm"} else "recurrent"


def _get(mapping: Any, key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, Mapping) else None


def _positions(first: int, last: int) -> str:
    return f"{first}–{last}" if last > first else str(first)


def data_facts(run: RunFolder) -> Facts:
    """Name, length, frequency, window, folds, test share and scaling, as (label, text)."""
    data, spec = run.info.get("data") or {}, run.info.get("spec") or {}
    length = _get(data, "length")
    source = _get(data, "source")
    name = str(_get(data, "name") or "not recorded")
    facts: Facts = [("Series", f"{name} ({source})" if source else name)]
    facts.append(("Length", f"{number(length)} values" if length is not None else "not recorded"))
    facts.append(("Frequency", str(_get(data, "frequency") or "not recorded")))
    if _get(data, "filled"):
        facts.append(("Filled", f"{number(_get(data, 'filled'))} values filled or dropped"))
    if _get(spec, "lags") is not None:
        facts.append(
            ("Window", f"{_get(spec, 'lags')} lags → {_get(spec, 'horizon') or 1} step(s)")
        )
    panel = _get(data, "panel")
    if isinstance(panel, Mapping):
        return facts + _panel_facts(panel, _get(data, "scaling") or _get(spec, "scaling"))
    folds = [f for f in _get(data, "folds") or [] if isinstance(f, Mapping)]
    if folds:
        blocks = ", ".join(_positions(int(f["train_end"]), int(f["n"]) - 1) for f in folds)
        facts.append(
            ("Folds", f"{len(folds)} rolling-origin folds, validation on positions {blocks}")
        )
    start = _get(data, "test_start")
    if start is not None and length:
        share = (int(length) - int(start)) / int(length)
        span = _positions(int(start), int(length) - 1) if int(length) > int(start) else "none"
        facts.append(("Test share", f"positions {span} ({share:.0%}), scored once at the end"))
    stop, fraction = _get(data, "stop_block"), _get(spec, "stop_fraction")
    if not stop and isinstance(fraction, int | float):
        stop = f"the last {fraction:.0%} of each fold's training windows, never scored"
    if stop:
        facts.append(("Early stopping", str(stop)))
    scaling = _get(data, "scaling") or _get(spec, "scaling")
    if scaling:
        facts.append(("Scaling", f"{scaling}, fitted on each fold's training part"))
    return facts


def _panel_facts(panel: Mapping[str, Any], scaling: object) -> Facts:
    """A panel's series, folds and scaling, as data.panel records them."""
    folds = [f for f in panel.get("folds") or [] if isinstance(f, Mapping)]
    test = panel.get("test") or {}
    cut = "common time points" if panel.get("align") == "time" else "each series' end"
    return [
        (
            "Panel",
            f"{number(panel.get('series'))} series, {number(panel.get('values'))} values, "
            f"{panel.get('shortest')} to {panel.get('longest')} per series; one global model",
        ),
        (
            "Folds",
            f"{len(folds)} rolling-origin folds cut at {cut}: "
            + "; ".join(str(f.get("cut")) for f in folds),
        ),
        ("Test share", f"{test.get('cut', 'none')}, scored once at the end"),
        ("Scaling", f"{scaling or 'minmax'}, fitted per series on each fold's training part"),
        ("Scores", str(panel.get("scores", ""))),
    ]


def environment_facts(run: RunFolder) -> Facts:
    """Versions, hardware, threads, seeds, epochs and total time, as (label, text)."""
    env, spec = run.info.get("environment") or {}, run.info.get("spec") or {}
    facts: Facts = [
        (label, str(_get(env, key) or "not recorded"))
        for label, key in (
            ("lstmsizer", "lstmsizer"),
            ("PyTorch", "torch"),
            ("Python", "python"),
            ("CPU", "cpu"),
        )
    ]
    facts.append(("GPU", str(_get(env, "gpu") or "none")))
    facts.append(("Threads", str(_get(env, "threads") or "not recorded")))
    seeds, first = _get(spec, "seeds"), _get(spec, "seed") or 0
    if seeds:
        listed = ", ".join(str(int(first) + k) for k in range(min(int(seeds), 5)))
        facts.append(("Seeds", f"{seeds} ({listed}{', …' if int(seeds) > 5 else ''})"))
    if _get(spec, "epochs"):
        patience, least = _get(spec, "patience"), _get(spec, "min_epochs")
        stop = f", early stopping after {patience}" if patience else ", no early stopping"
        stop += f" (at least {least})" if least else ""
        facts.append(("Epochs", f"up to {_get(spec, 'epochs')}{stop}"))
    lr = _get(spec, "lr")
    if lr is not None:
        chosen = "chosen per configuration by a search" if lr == "auto" else f"{lr}"
        facts.append(("Learning rate", f"{chosen}, reduced on plateau"))
    facts.append(("Models trained", f"{number(run.trained)} in {len(run.configs)} configurations"))
    facts.append(("Wall time of the last call", duration(run.info.get("seconds"))))
    if run.info.get("training_seconds") is not None:
        # a resumed sweep's call may train nothing: the trainings' own time says what it cost
        facts.append(("Training time, all workers", duration(run.info["training_seconds"])))
    return facts


def setup_facts(run: RunFolder) -> tuple[tuple[str, Facts], ...]:
    """The setup section's fact tables, titled: the data and split, then the environment."""
    return ("Data", data_facts(run)), ("Environment", environment_facts(run))
