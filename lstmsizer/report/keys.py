"""Every file, column and JSON key name the report reads, with the aliases it accepts."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

# File names in a run folder, in the order the report links them.
FILES = {
    "summary": "summary.csv",
    "runs": "runs.csv",
    "baselines": "baselines.csv",
    "test": "test.csv",
    "recommendation": "recommendation.json",
    "series": "series.csv",
    "forecasts": "forecasts.csv",
    "diagnostics": "diagnostics.json",
    "speed": "speed.json",
    "claims": "claims.json",
    "curves": "curves.csv",
    "lr_search": "lr_search.csv",
}
REQUIRED = ("summary", "recommendation")

# Each field -> the keys (or CSV columns) it may be stored under; the first one present wins.
Aliases = Mapping[str, tuple[str, ...]]
SERIES: Aliases = {"position": ("position",), "time": ("time",), "value": ("value", "y")}
FORECASTS: Aliases = {
    "position": ("position",),
    "time": ("time",),
    "span": ("span",),
    "actual": ("actual",),
    "recommended": ("recommended", "lstm"),
    "baseline": ("best_baseline", "baseline"),
}
# diagnostics.json holds either flat lists (capacity, gradients, deep_wide) or one entry per
# retrained size under "sizes", each with {"diagnostics": {capacity, gradients, ...}}.
DIAGNOSTICS: Aliases = {
    "capacity": ("capacity",),
    "gradients": ("gradients",),
    "deep_wide": ("deep_wide", "deep_vs_wide"),
    "pairs": ("pairs",),
    "sizes": ("sizes",),
    "size": ("diagnostics",),
    "layer_capacity": ("layers",),
    "gradients_trained": ("gradients",),
    "gradients_init": ("gradients_init",),
}
CAPACITY: Aliases = {
    "units": ("units",),
    "layers": ("layers",),
    "participation_ratio": ("participation_ratio", "pr"),
    "pcs_90": ("pcs_90", "components_90"),
    "pcs_99": ("pcs_99", "components_99"),
    "dead_share": ("dead_share",),
    "saturated_share": ("saturated_share",),
}
GRADIENTS: Aliases = {
    "units": ("units",),
    "layers": ("layers",),
    "stage": ("stage",),
    "lags": ("lags", "lag"),
    "saliency": ("saliency", "norms", "gradient"),
}
DEEP_WIDE: Aliases = {
    "deep": ("deep", "deep_config"),
    "wide": ("wide", "wide_config"),
    "parameters": ("parameters",),
    "deep_parameters": ("deep_parameters",),
    "wide_parameters": ("wide_parameters",),
    "deep_rmse": ("deep_rmse", "deep_mean_rmse"),
    "deep_se": ("deep_se", "deep_se_rmse"),
    "wide_rmse": ("wide_rmse", "wide_mean_rmse"),
    "wide_se": ("wide_se", "wide_se_rmse"),
    "verdict": ("verdict",),
}
SPEED: Aliases = {
    "rows": ("rows",),
    "units": ("units",),
    "step_ms": ("step_ms", "ms_per_step"),
    "step_ms_iqr": ("step_ms_iqr",),
    "gflops": ("gflops", "gflop_s"),
    "matmul_gflops": ("matmul_gflops", "peak_gflops"),
    "verdict": ("verdict",),
    "device": ("device_name", "device"),
    "threads": ("threads",),
}
# summary.csv's training-health columns, each read with a default (older sweeps lack them)
HEALTH = (
    "lr",
    "median_epochs",
    "epoch_cap",
    "converged_share",
    "under_trained_share",
    "restarted_share",
    "stuck_share",
    "sd_rmse",
    "paired_diff",
    "paired_se",
    "selected_share",
)
WITHIN_ONE_SE = "within_one_se"
# runs.csv's columns that identify one scored run, for paired differences
CELL = ("config", "seed", "fold", "rmse")
# curves.csv: per-epoch losses of one run per configuration
CURVES = ("config", "seed", "fold", "epoch", "train_loss", "val_loss", "lr")
# recommendation.json's stability fields: (float, int, text) keys
STABILITY_FLOATS = (
    "paired_diff",
    "paired_se",
    "baseline_diff",
    "baseline_diff_se",
    "stability_share",
    "runner_up_share",
)
STABILITY_INTS = ("folds_paired", "resamples")
STABILITY_TEXTS = ("runner_up", "runner_up_label")
CLAIMS: Aliases = {
    "claims": ("claims",),
    "claim": ("claim",),
    "verdict": ("verdict",),
    "evidence": ("evidence",),
}


def pick(row: Any, aliases: Aliases, name: str, default: Any = None) -> Any:
    """The value of field `name` in a mapping or DataFrame, under the first alias present."""
    for key in aliases[name]:
        if key in row and row[key] is not None:
            return row[key]
    return default


def to_float(value: Any) -> float:
    """A float, NaN for anything that is not a number."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def to_int(value: Any, default: int = 0) -> int:
    """An int, `default` for anything that is not a finite number."""
    number = to_float(value)
    return int(number) if math.isfinite(number) else default


def to_bool(value: Any) -> bool | None:
    """True or False from a bool, a number or "true"/"false" text; None for anything else."""
    if isinstance(value, str):
        return {"true": True, "false": False, "1": True, "0": False}.get(value.strip().lower())
    number = to_float(value)
    return bool(number) if math.isfinite(number) else None


def to_text(value: Any) -> str:
    """A string, empty for None and NaN."""
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
