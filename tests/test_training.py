"""The training loop: losses, early stopping, restore, clipping, seeds, threads, callbacks."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
from torch import nn

from lstmsizer.config import LOSSES, TrainSpec
from lstmsizer.training import DEFAULT_THREADS, TrainData, fit, loss_function


class _Linear(nn.Module):
    """(B, L, F) -> (B, 1, 1): a linear map of the flattened window."""

    def __init__(self, lags: int) -> None:
        super().__init__()
        self.head = nn.Linear(lags, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(x[..., 0])[:, :, None]


def _data(n: int = 64, lags: int = 3, val: int = 16, seed: int = 0) -> TrainData:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n + val, lags, 1, generator=g)
    y = (x[:, :, 0] @ torch.tensor([0.5, -0.2, 0.1]))[:, None, None]
    return TrainData(x[:n], y[:n], x[n:], y[n:])


def _net(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return _Linear(3)


def test_loss_decreases_and_history_is_complete() -> None:
    net = _net()
    history = fit(net, _data(), TrainSpec(epochs=30, batch_size=8, lr=0.05, progress=False))
    assert history.epochs == 30
    assert len(history.val_loss) == 30 and len(history.seconds) == 30
    assert history.train_loss[-1] < history.train_loss[0] / 10
    assert all(s >= 0 for s in history.seconds)
    assert history.threads == DEFAULT_THREADS


def test_same_seed_is_bit_for_bit_reproducible() -> None:
    spec = TrainSpec(epochs=5, batch_size=8, seed=3, progress=False)
    a, b = _net(1), _net(1)
    ha, hb = fit(a, _data(), spec), fit(b, _data(), spec)
    assert ha.train_loss == hb.train_loss
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)


def test_different_shuffle_seed_changes_the_run() -> None:
    a, b = _net(1), _net(1)
    fit(a, _data(), TrainSpec(epochs=3, batch_size=8, seed=1, progress=False))
    fit(b, _data(), TrainSpec(epochs=3, batch_size=8, seed=2, progress=False))
    assert not torch.equal(a.head.weight, b.head.weight)


def test_early_stopping_restores_the_best_weights() -> None:
    data = _data()
    # Validation targets that a good fit gets wrong: validation loss rises as training improves.
    assert data.y_val is not None
    data.y_val = -data.y_val * 3
    net = _net()
    spec = TrainSpec(epochs=200, batch_size=8, lr=0.05, patience=3, progress=False)
    history = fit(net, data, spec)
    assert history.stopped_early
    assert history.epochs == history.best_epoch + 1 + 3
    assert data.x_val is not None
    restored = loss_function("mse")(net(data.x_val), data.y_val).item()
    assert restored == pytest.approx(history.val_loss[history.best_epoch], rel=1e-5)


def test_without_patience_all_epochs_run() -> None:
    history = fit(_net(), _data(), TrainSpec(epochs=7, progress=False))
    assert history.epochs == 7 and not history.stopped_early


def test_callback_can_stop_training() -> None:
    seen: list[int] = []

    def stop_at_two(epoch: int, history: object) -> bool:
        seen.append(epoch)
        return epoch == 2

    history = fit(_net(), _data(), TrainSpec(epochs=10, progress=False), [stop_at_two])
    assert seen == [0, 1, 2] and history.epochs == 3


def test_gradient_clipping_bounds_the_gradient_norm() -> None:
    # Adam divides by sqrt(v) + 1e-8: gradients clipped far below 1e-8 barely move the weights,
    # while unclipped gradients move every weight by about lr on the first step.
    a, b = _net(), _net()
    w0 = a.head.weight.detach().clone()
    fit(a, _data(), TrainSpec(epochs=1, batch_size=64, lr=0.1, clip=1e-12, progress=False))
    fit(b, _data(), TrainSpec(epochs=1, batch_size=64, lr=0.1, progress=False))
    assert (a.head.weight - w0).abs().max() < 1e-3
    assert (b.head.weight - w0).abs().min() > 0.05


def _reference_loss(name: str, error: np.ndarray) -> float:
    """The losses written out: squared, absolute, and Huber with delta 1."""
    a = np.abs(error)
    per = {"mse": error**2, "mae": a, "huber": np.where(a <= 1, 0.5 * error**2, a - 0.5)}
    return float(np.mean(per[name]))


def test_reference_losses_differ_on_errors_either_side_of_one() -> None:
    error = np.array([-2.5, -0.4, 0.1, 0.8, 3.0])
    found = {name: _reference_loss(name, error) for name in LOSSES}
    assert len(set(found.values())) == len(LOSSES), found


@pytest.mark.parametrize("loss", LOSSES)
def test_loss_function_follows_its_formula(loss: str) -> None:
    pred = torch.tensor([[0.5], [1.0], [-2.0], [4.0], [0.0]], dtype=torch.float64)
    y = torch.tensor([[3.0], [1.4], [-2.1], [3.2], [-3.0]], dtype=torch.float64)
    expected = _reference_loss(loss, (pred - y).numpy())
    assert loss_function(loss)(pred, y).item() == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("loss", LOSSES)
def test_training_minimises_the_named_loss(loss: str) -> None:
    # targets scaled up so that the errors of the untrained net lie on both sides of 1,
    # where mse, mae and huber all differ; a rate of 1e-30 leaves the float32 weights as
    # they are, so the epoch's loss is the initial net's loss on every window
    data = _data(n=64, val=16)
    data.y, data.y_val = data.y * 4, data.y_val * 4  # type: ignore[operator]
    net = _net()
    with torch.no_grad():
        error = (net(data.x) - data.y).double().numpy()
        val_error = (net(data.x_val) - data.y_val).double().numpy()  # type: ignore[arg-type]
    assert (np.abs(error) < 1).any() and (np.abs(error) > 1).any()
    spec = TrainSpec(epochs=1, batch_size=8, lr=1e-30, loss=loss, progress=False)  # type: ignore[arg-type]
    history = fit(net, data, spec)
    assert history.train_loss[0] == pytest.approx(_reference_loss(loss, error), rel=1e-5)
    assert history.val_loss[0] == pytest.approx(_reference_loss(loss, val_error), rel=1e-5)


def test_nan_loss_stops_training() -> None:
    data = _data()
    data.y = data.y * float("nan")
    history = fit(_net(), data, TrainSpec(epochs=20, progress=False))
    assert history.epochs == 1 and math.isnan(history.train_loss[0])


def test_progress_bar_prints_nothing_when_disabled(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Rich takes the captured stderr for a terminal, so a bar that is shown writes to it
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("TERM", "xterm")
    fit(_net(), _data(), TrainSpec(epochs=3, progress=True))
    assert "training" in capsys.readouterr().err
    fit(_net(), _data(), TrainSpec(epochs=3, progress=False))
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""


def test_progress_bar_is_off_by_default_when_stderr_is_not_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    fit(_net(), _data(), TrainSpec(epochs=3))
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""


def test_members_train_like_solo_runs_of_their_seeds() -> None:
    from lstmsizer.config import ModelSpec, WindowSpec
    from lstmsizer.datasets import get
    from lstmsizer.forecaster import LSTMForecaster
    from lstmsizer.seeds import fit_seeds

    y = get("sine", n=120).values
    window, model = WindowSpec(6), ModelSpec(units=8)
    spec = TrainSpec(epochs=4, batch_size=16, patience=2, progress=False)
    together = fit_seeds(window, model, spec, [3, 5], y, train_end=90)
    for member, seed in zip(together, [3, 5], strict=True):
        alone = LSTMForecaster(window, model, TrainSpec(**{**spec.__dict__, "seed": seed}))
        alone.fit(y, train_end=90)
        assert member.history_ is not None and alone.history_ is not None
        np.testing.assert_allclose(member.history_.train_loss, alone.history_.train_loss, rtol=1e-4)
        np.testing.assert_allclose(
            member.predict(y, [100, 110]), alone.predict(y, [100, 110]), rtol=1e-4
        )


def test_members_stop_early_on_their_own_validation_loss() -> None:
    from lstmsizer.config import ModelSpec, WindowSpec
    from lstmsizer.datasets import get
    from lstmsizer.seeds import fit_seeds

    y = get("ar", n=150).values
    spec = TrainSpec(epochs=60, batch_size=16, lr=0.05, patience=2, progress=False)
    members = fit_seeds(WindowSpec(4), ModelSpec(units=16), spec, [0, 1, 2], y, train_end=100)
    epochs = [m.history_.epochs for m in members if m.history_ is not None]
    assert all(e < 60 for e in epochs)
    for m in members:
        assert m.history_ is not None
        assert m.history_.epochs == m.history_.best_epoch + 1 + 2


def _frozen_spec(**changes: object) -> TrainSpec:
    # a rate so small the loss cannot improve by MIN_IMPROVEMENT after the first epoch
    settings: dict[str, object] = {"epochs": 10, "batch_size": 8, "lr": 1e-12, "progress": False}
    settings.update(changes)
    return TrainSpec(**settings)  # type: ignore[arg-type]


def test_learning_rate_is_halved_after_lr_patience_epochs_without_improvement() -> None:
    history = fit(_net(), _data(), _frozen_spec(lr_patience=3))
    # epoch 0 is the best; epochs 1-3 bring no improvement, so the cut follows epoch 3,
    # and again three epochs later
    expected = [1e-12] * 4 + [0.5e-12] * 3 + [0.25e-12] * 3
    assert history.lr == pytest.approx(expected, rel=1e-9)
    assert history.best_epoch == 0


def test_patience_fires_only_after_the_warm_up() -> None:
    plain = fit(_net(), _data(), _frozen_spec(patience=2))
    assert plain.epochs == 3 and plain.stop == "patience" and plain.converged
    warm = fit(_net(), _data(), _frozen_spec(patience=2, min_epochs=8))
    assert warm.epochs == 8 and warm.stop == "patience"
    assert warm.stopped_early and not warm.under_trained


def test_a_run_cut_off_while_improving_is_under_trained() -> None:
    history = fit(
        _net(), _data(), TrainSpec(epochs=4, batch_size=8, lr=0.05, patience=20, progress=False)
    )
    assert history.val_loss[-1] < history.val_loss[0]
    assert history.stop == "cap" and history.under_trained and not history.converged
    fixed = fit(_net(), _data(), TrainSpec(epochs=4, batch_size=8, lr=0.05, progress=False))
    assert fixed.stop == "epochs" and not fixed.under_trained  # no early stopping asked for


def test_divergence_is_its_own_stop_reason() -> None:
    history = fit(
        _net(), _data(), TrainSpec(epochs=50, batch_size=8, lr=1e30, patience=5, progress=False)
    )
    assert history.stop == "diverged" and not history.converged


def test_trivial_loss_is_the_training_mean_forecast_on_the_block() -> None:
    data = _data()
    history = fit(_net(), data, TrainSpec(epochs=2, batch_size=8, progress=False))
    y, y_val = data.y.numpy().ravel(), data.y_val.numpy().ravel()  # type: ignore[union-attr]
    expected = float(np.mean((y_val - y.mean()) ** 2))
    assert history.trivial_loss == pytest.approx(expected, rel=1e-5)
    assert history.stuck == (not history.best_val_loss < expected)


def test_members_with_their_own_learning_rates_match_solo_runs() -> None:
    from lstmsizer.config import ModelSpec, WindowSpec
    from lstmsizer.forecaster import LSTMForecaster
    from lstmsizer.seeds import fit_seeds

    y = np.sin(np.arange(80) * 0.3) + 0.1 * np.arange(80) / 80
    window, model = WindowSpec(4), ModelSpec(units=3)
    spec = TrainSpec(epochs=25, batch_size=8, patience=5, lr_patience=2, progress=False)
    rates = (1e-3, 1e-2, 3e-2)
    together = fit_seeds(window, model, spec, [7, 7, 7], y, train_end=64, lrs=rates)
    origins = np.arange(64, 80)
    for rate, member in zip(rates, together, strict=True):
        solo = LSTMForecaster(window, model, dataclasses.replace(spec, seed=7, lr=rate))
        solo.fit(y, train_end=64)
        assert member.history_ is not None and solo.history_ is not None
        assert member.history_.epochs == solo.history_.epochs
        assert member.history_.lr == pytest.approx(solo.history_.lr)
        np.testing.assert_allclose(member.predict(y, origins), solo.predict(y, origins), atol=1e-4)
