"""Every diagnostic of one fitted model, bundled: capacity, ablation and gradient saliency."""

from __future__ import annotations

from dataclasses import dataclass

from lstmsizer.diagnostics.ablation import ABLATION_TOLERANCE, AblationResult, net_ablation
from lstmsizer.diagnostics.capacity import DEAD_TOLERANCE, CapacityResult, net_capacity
from lstmsizer.diagnostics.gradients import GradientProfile, gradient_profile
from lstmsizer.diagnostics.inputs import Probe, fitted_net, initial_net
from lstmsizer.diagnostics.result import Result


@dataclass(frozen=True)
class ModelDiagnostics(Result):
    """Why this size: what one fitted model uses of its hidden state, and how far it looks back.

    Attributes:
        model: Short label such as LSTM(32) or 2-layer GRU(16).
        cell, units, layers, activation, parameters: The network.
        lags: Window length.
        rmse: RMSE of the model on the diagnosed windows, original scale.
        capacity: Participation ratio, components, dead and saturated units per layer.
        ablation: Units of the last layer that can be removed with under 1% RMSE increase.
        gradients: Saliency and hidden-state gradients per lag of the trained weights.
        gradients_init: The same at initialisation (same seed), or None when not asked for.
    """

    model: str
    cell: str
    units: int
    layers: int
    activation: str
    parameters: int
    lags: int
    rmse: float
    capacity: CapacityResult
    ablation: AblationResult
    gradients: GradientProfile
    gradients_init: GradientProfile | None


def diagnose_model(
    probe: Probe,
    *,
    at_init: bool = False,
    dead_tolerance: float = DEAD_TOLERANCE,
    tolerance: float = ABLATION_TOLERANCE,
) -> ModelDiagnostics:
    """Capacity, unit ablation and gradients of a fitted forecaster on the windows at origins.

    Args:
        probe: The fitted forecaster, the series and the origins scored.
        at_init: Also profile the gradients of the initial weights (same seed).
        dead_tolerance: See capacity.DEAD_TOLERANCE.
        tolerance: Relative RMSE increase allowed while removing units (0.01: 1%).

    Returns:
        The ModelDiagnostics.
    """
    model = probe.model
    net = fitted_net(model)
    windows = probe.windows()
    ablation = net_ablation(net, windows, tolerance)
    loss = model.train.loss
    init = None
    if at_init:
        init = gradient_profile(initial_net(model), windows.x, windows.y, loss, "init")
    spec = model.model
    return ModelDiagnostics(
        model=model.name,
        cell=spec.cell,
        units=spec.units,
        layers=spec.layers,
        activation=spec.activation,
        parameters=net.num_parameters(),
        lags=model.window.lags,
        rmse=ablation.base_rmse,
        capacity=net_capacity(net, windows.x, dead_tolerance),
        ablation=ablation,
        gradients=gradient_profile(net, windows.x, windows.y, loss, "trained"),
        gradients_init=init,
    )
