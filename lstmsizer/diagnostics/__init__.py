"""Why that size: capacity used, gradients through time, deep versus wide, memory length."""

from __future__ import annotations

from lstmsizer.diagnostics.ablation import AblationResult, head_ablation, unit_ablation
from lstmsizer.diagnostics.capacity import (
    CapacityResult,
    LayerCapacity,
    covariance_spectrum,
    model_capacity,
    participation_ratio,
    variance_components,
)
from lstmsizer.diagnostics.depth import DepthPair, DepthResult, deep_vs_wide
from lstmsizer.diagnostics.gradients import GradientProfile, gradient_profile, model_gradients
from lstmsizer.diagnostics.gradnorms import Explosion, GradientNormLog, GradientNormRecorder
from lstmsizer.diagnostics.inputs import Probe
from lstmsizer.diagnostics.memory import (
    MemoryResult,
    MemoryRun,
    memory_length,
    smallest_sufficient_units,
    width_trend,
)
from lstmsizer.diagnostics.model import ModelDiagnostics, diagnose_model
from lstmsizer.diagnostics.panelrun import ReadOptions
from lstmsizer.diagnostics.run import (
    DIAGNOSTICS_FILE,
    PanelBasis,
    PanelRunDiagnostics,
    RunDiagnostics,
    SizeDiagnostics,
    diagnose_run,
)

__all__ = [
    "DIAGNOSTICS_FILE",
    "AblationResult",
    "CapacityResult",
    "DepthPair",
    "DepthResult",
    "Explosion",
    "GradientNormLog",
    "GradientNormRecorder",
    "GradientProfile",
    "LayerCapacity",
    "MemoryResult",
    "MemoryRun",
    "ModelDiagnostics",
    "PanelBasis",
    "PanelRunDiagnostics",
    "Probe",
    "ReadOptions",
    "RunDiagnostics",
    "SizeDiagnostics",
    "covariance_spectrum",
    "deep_vs_wide",
    "diagnose_model",
    "diagnose_run",
    "gradient_profile",
    "head_ablation",
    "memory_length",
    "model_capacity",
    "model_gradients",
    "participation_ratio",
    "smallest_sufficient_units",
    "unit_ablation",
    "variance_components",
    "width_trend",
]
