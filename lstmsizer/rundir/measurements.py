"""Records of diagnostics.json, speed.json and claims.json, written and read through them."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from lstmsizer.intervals import describe_figures
from lstmsizer.rundir.convert import json_list, to_int
from lstmsizer.rundir.records import Record


@dataclass(frozen=True)
class LayerCapacity(Record):
    """How much of one layer's hidden state the final states over the windows use.

    Attributes:
        layer: Layer number, 1 for the layer that reads the inputs.
        units: Units of the layer (U).
        participation_ratio: (sum λ)^2 / sum λ^2 over the covariance eigenvalues λ: the
            effective number of dimensions, between 1 and U (0 when nothing varies).
        components_90, components_99: Principal components for 90% and 99% of the variance.
        dead_units: Units whose std over the windows is at most the dead tolerance times the
            layer's RMS state (a relu unit that is zero in every window is dead).
        saturated_units: Units with |h| near 1 in nearly every window; empty for unbounded
            activations (relu, ...).
        dead_share: len(dead_units) / units.
        saturated_share: len(saturated_units) / units; NaN for unbounded activations.
        spectrum: Covariance eigenvalues, largest first (U values).
        unit_std: Standard deviation of each unit over the windows (U values).
    """

    layer: int
    units: int
    participation_ratio: float
    components_90: int
    components_99: int
    dead_units: tuple[int, ...]
    saturated_units: tuple[int, ...]
    dead_share: float
    saturated_share: float
    spectrum: tuple[float, ...]
    unit_std: tuple[float, ...]


@dataclass(frozen=True)
class CapacityResult(Record):
    """Capacity of every layer of one size over a set of windows.

    Attributes:
        windows: Number of windows whose final states were collected (N).
        cell: lstm, gru or rnn.
        activation: The cell's activation (Keras meaning).
        dead_tolerance: The dead-unit tolerance used.
        layers: One LayerCapacity per recurrent layer, input side first.
    """

    windows: int
    cell: str
    activation: str
    dead_tolerance: float
    layers: tuple[LayerCapacity, ...]

    @property
    def last(self) -> LayerCapacity:
        """The last layer, the one the forecast reads."""
        return self.layers[-1]


@dataclass(frozen=True)
class GradientProfile(Record):
    """Gradient norms per lag; lag k is the time step t - k of a window forecasting t.

    Attributes:
        stage: Which weights: "init" (before training) or "trained".
        windows: Windows averaged over (N).
        lags: 1 .. L; lag 1 is the newest input of the window, lag L the oldest.
        saliency: Per lag: mean over windows of the norm of d(forecast)/d(input at t - k)
            (all features and horizon steps in one norm).
        saliency_ratio: Oldest over newest saliency (lag L / lag 1): far below 1 means the
            forecast ignores old inputs (vanishing), far above 1 exploding.
        hidden: Per layer, per lag: mean over windows of the norm of d(loss)/d(h at t - k),
            the total derivative through the recurrence.
        hidden_ratio: Per layer, oldest over newest hidden-state gradient.
        loss: Training loss per window on the scaled targets, mean over windows.
    """

    stage: str
    windows: int
    lags: tuple[int, ...]
    saliency: tuple[float, ...]
    saliency_ratio: float
    hidden: tuple[tuple[float, ...], ...]
    hidden_ratio: tuple[float, ...]
    loss: float


@dataclass(frozen=True)
class Saliency:
    """One diagnosed size's gradient profile at one stage, beside the size it belongs to
    (diagnostics.json writes the size next to its profiles, not inside them)."""

    units: int
    layers: int
    profile: GradientProfile


@dataclass(frozen=True)
class DepthPair(Record):
    """A stacked configuration beside the one-layer one nearest in parameters (deepwide.py).

    Attributes:
        deep_config, deep_layers, deep_units, deep_parameters: The stacked configuration.
        deep_mean_rmse, deep_se_rmse: Its validation RMSE over seeds x folds.
        deep_seconds: Its training seconds per run.
        wide_config, wide_units, wide_parameters: The one-layer configuration.
        wide_mean_rmse, wide_se_rmse, wide_seconds: As for the deep one.
        difference: Mean of deep - wide RMSE over their common seed x fold cells (negative:
            deep is better).
        se_difference: The standard error of those paired differences.
        verdict: deepwide.VERDICTS: the one-standard-error rule on the paired differences.
    """

    deep_config: str
    deep_layers: int
    deep_units: int
    deep_parameters: int
    deep_mean_rmse: float
    deep_se_rmse: float
    deep_seconds: float
    wide_config: str
    wide_units: int
    wide_parameters: int
    wide_mean_rmse: float
    wide_se_rmse: float
    wide_seconds: float
    difference: float
    se_difference: float
    verdict: str


@dataclass(frozen=True)
class SpeedRow(Record):
    """One measured size.

    Attributes:
        units: Units per recurrent layer.
        parameters: Trainable parameters of the network.
        flops_per_step: Training FLOPs per step: flops_per_sample x TRAINING_FLOPS_FACTOR x batch.
        step_ms: Median time of one training step (forward, backward, Adam step), milliseconds.
        step_ms_iqr: Interquartile range of the step times, milliseconds.
        samples_per_s: Windows trained per second at the median step time.
        gflops: Achieved GFLOP/s at the median step time.
    """

    units: int
    parameters: int
    flops_per_step: int
    step_ms: float
    step_ms_iqr: float
    samples_per_s: float
    gflops: float


@dataclass(frozen=True)
class SpeedResult(Record):
    """speed.json: step times of every size next to this machine's matmul peak, and what
    they say.

    Attributes:
        rows: One SpeedRow per size, in the order measured.
        device: torch device, "cpu" or "cuda:0".
        device_name: CPU model or GPU name.
        threads: torch intra-op threads used.
        fused: Whether torch's fused recurrent layers ran (activation tanh).
        matmul_gflops: Peak GFLOP/s of a float32 1024 x 1024 matmul, same device and threads.
        comparisons: Time and time-per-FLOP ratios of each measured pair (speed.compare).
        verdict: One sentence on multiples of 32, decided by the claims' rule.
        versions: lstmsizer, torch and python versions.

    The other fields repeat the arguments of speed.measure_speed.
    """

    rows: tuple[SpeedRow, ...]
    device: str
    device_name: str
    threads: int
    lags: int
    features: int
    batch_size: int
    cell: str
    layers: int
    activation: str
    fused: bool
    repeats: int
    warmup: int
    matmul_gflops: float
    comparisons: tuple[dict[str, Any], ...]
    verdict: str
    versions: dict[str, Any] = field(default_factory=dict)

    @property
    def table(self) -> pd.DataFrame:
        """One row per size; peak_fraction is gflops over the matmul peak."""
        frame = pd.DataFrame([dataclasses.asdict(row) for row in self.rows])
        frame["peak_fraction"] = frame["gflops"] / self.matmul_gflops
        return frame


@dataclass(frozen=True)
class Claim(Record):
    """One forum claim and what the experiment said about it.

    Attributes:
        claim: The claim in the forums' words, e.g. "multiples of 32 are faster".
        verdict: "supported", "not supported" or "cannot tell" (claims.rules.VERDICTS).
        evidence: One line with the numbers behind the verdict.
        numbers: The measured numbers and the settings of the experiment (JSON-ready).
        seconds: Wall time of the experiment.
        figures: The figures the verdict rests on, by label: an Interval's to_dict() plus
            "unit" ("x", "%" or "").
        threshold: What the claim needs of its figures, in words.
        tested: What was tested when it differs from the claim's words (scaled down), and
            what --full tests; empty otherwise.
    """

    claim: str
    verdict: str
    evidence: str
    numbers: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)
    threshold: str = ""
    tested: str = ""

    @property
    def figure(self) -> str:
        """Every figure with its interval, e.g. "time per FLOP 0.96x (90% CI 0.94x to 0.98x)"."""
        return describe_figures(self.figures)

    @property
    def label(self) -> str:
        """The claim, with what was tested when that differs from its words."""
        return self.claim + (f" ({self.tested})" if self.tested else "")


def read_capacity(payload: Any) -> tuple[CapacityResult, ...] | None:
    """diagnostics.json's capacity of each diagnosed size; None when there is none."""
    found = (CapacityResult.from_dict(d["capacity"]) for d in _sizes(payload, "capacity"))
    return tuple(c for c in found if c.layers and c.last.units > 0) or None


def read_gradients(payload: Any) -> tuple[Saliency, ...] | None:
    """diagnostics.json's input saliency per lag of each diagnosed size, at initialisation
    (when profiled) and trained; None when there is none."""
    found = [
        Saliency(to_int(d.get("units")), to_int(d.get("layers"), 1), GradientProfile.from_dict(p))
        for d in _sizes(payload, "gradients")
        for p in (d.get("gradients_init"), d["gradients"])
        if isinstance(p, Mapping)
    ]
    return tuple(s for s in found if s.units > 0 and s.profile.saliency) or None


def read_deep_wide(payload: Any) -> tuple[DepthPair, ...] | None:
    """diagnostics.json's deep-versus-wide pairs (config ids, not labels); None for none."""
    section = payload.get("deep_vs_wide") if isinstance(payload, Mapping) else None
    rows = section.get("pairs") if isinstance(section, Mapping) else None
    return tuple(DepthPair.from_dict(row) for row in json_list(rows)) or None


def read_speed(payload: Any) -> SpeedResult | None:
    """speed.json; None when it has no measured size."""
    if not isinstance(payload, Mapping) or not json_list(payload.get("rows")):
        return None
    return SpeedResult.from_dict(payload)


def read_claims(payload: Any) -> tuple[Claim, ...] | None:
    """claims.json's claims, each with its verdict and evidence; None when there is none."""
    rows = payload.get("claims") if isinstance(payload, Mapping) else None
    return tuple(Claim.from_dict(row) for row in json_list(rows)) or None


def _sizes(payload: Any, part: str) -> list[Mapping[str, Any]]:
    """The "diagnostics" object of each diagnosed size that has `part`."""
    sizes = payload.get("sizes") if isinstance(payload, Mapping) else None
    found = (s.get("diagnostics") for s in json_list(sizes))
    return [d for d in found if isinstance(d, Mapping) and isinstance(d.get(part), Mapping)]
