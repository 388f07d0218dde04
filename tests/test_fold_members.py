"""Members with windows of their own: per-member Adam, seeds x folds as one network, sweeps."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from helpers import numpy_only

from lstmsizer.config import ModelSpec, TrainSpec, WindowSpec
from lstmsizer.datasets import get
from lstmsizer.errors import OptionError
from lstmsizer.forecaster import LSTMForecaster
from lstmsizer.memberadam import MemberAdam
from lstmsizer.seeds import fit_folds
from lstmsizer.splits import rolling_origin_folds
from lstmsizer.step import TrainStep
from lstmsizer.sweeping import SweepSpec, sweep
from lstmsizer.sweeping.folds import FoldRuns, Trained, train_configuration
from lstmsizer.sweeping.plan import Configuration


def test_member_adam_is_torch_adam_per_member_skipped_steps_and_rates_included() -> None:
    torch.manual_seed(0)
    members, rates = 3, [1e-3, 1e-2, 3e-2]
    params = [torch.randn(members, 4, 5), torch.randn(members, 1, 5), torch.randn(members, 7)]
    # the reference: one torch Adam per member that simply never sees the skipped steps
    solo = [[p[m].clone().requires_grad_() for p in params] for m in range(members)]
    refs = [torch.optim.Adam(s, lr=r, foreach=False) for s, r in zip(solo, rates, strict=True)]
    stacked = [p.clone().requires_grad_() for p in params]
    adam = MemberAdam(stacked, rates)
    skipped = {1: {1, 3, 4}, 2: {0, 1}}  # member 2 starts late: its first step is step 2
    for step in range(8):
        if step == 5:  # a rate cut of member 0
            rates[0] /= 2
            adam.set(rates)
            refs[0].param_groups[0]["lr"] = rates[0]
        grads = [torch.randn_like(p) for p in params]
        for p, g in zip(stacked, grads, strict=True):
            p.grad = g.clone()
        active = torch.tensor([step not in skipped.get(m, ()) for m in range(members)])
        adam.step(active)
        for m in range(members):
            if active[m]:
                for s, g in zip(solo[m], grads, strict=True):
                    s.grad = g[m].clone()
                refs[m].step()
    for m in range(members):
        for ours, theirs in zip(stacked, solo[m], strict=True):
            torch.testing.assert_close(ours[m], theirs, rtol=1e-6, atol=1e-7)


def test_a_member_without_rows_in_a_batch_does_not_move() -> None:
    from lstmsizer.ensemble import BatchedForecastNet

    net = BatchedForecastNet.seeded(1, ModelSpec(units=3), 1, 1, [0, 1])
    step = TrainStep(net, TrainSpec(clip=1.0), [0.01, 0.01], members=2, masked=True)
    x, y = torch.randn(2, 4, 5, 1), torch.randn(2, 4, 1, 1)
    valid = torch.tensor([[True] * 4, [True, True, False, False]])
    step(x, y, valid)  # both step once
    before = [p.detach().clone() for p in net.parameters()]
    valid = torch.tensor([[True] * 4, [False] * 4])
    losses = step(x, y, valid)
    assert losses[1] == 0
    for p, old in zip(net.parameters(), before, strict=True):
        assert torch.equal(p[1], old[1]) and not torch.equal(p[0], old[0])


def _close(a: list[float], b: list[float]) -> None:
    assert len(a) == len(b)
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-7)


def test_seeds_x_folds_members_equal_their_solo_runs() -> None:
    y = get("sine", n=150, seed=2).values
    window, model = WindowSpec(5), ModelSpec(units=5)
    spec = TrainSpec(
        epochs=30, batch_size=8, lr=0.02, patience=3, lr_patience=2, restarts=1, progress=False
    )
    ends, seeds = (70, 100, 130), [0, 1, 2]  # 54, 80 and 105 fitted windows
    together = fit_folds(window, model, spec, seeds, y, train_ends=ends)
    origins = np.arange(130, 150)
    stops = set()
    for end, fold in zip(ends, together, strict=True):
        for seed, member in zip(seeds, fold, strict=True):
            alone = LSTMForecaster(window, model, dataclasses.replace(spec, seed=seed))
            alone.fit(y, train_end=end)
            ours, theirs = member.history_, alone.history_
            assert ours is not None and theirs is not None
            _close(ours.train_loss, theirs.train_loss)
            _close(ours.val_loss, theirs.val_loss)
            _close(ours.lr, theirs.lr)
            assert ours.trivial_loss == pytest.approx(theirs.trivial_loss, rel=1e-6)
            same = ("best_epoch", "stop", "restarts", "init_seed")
            assert [getattr(ours, k) for k in same] == [getattr(theirs, k) for k in same]
            assert member.stop_block_ == alone.stop_block_
            np.testing.assert_allclose(
                member.predict(y, origins), alone.predict(y, origins), rtol=1e-4, atol=1e-4
            )
            stops.add(ours.epochs)
    assert len(stops) > 1  # members stopped at different epochs, and each was restored


def _folds(spec: SweepSpec, n: int = 150) -> list:
    folds, _ = rolling_origin_folds(n, spec.window, spec.split.folds, spec.split.test_fraction)
    return folds


SMALL = {"lags": 4, "seeds": 2, "folds": 3, "epochs": 12, "patience": 3, "min_epochs": 2}


def test_the_later_folds_trained_together_score_as_one_by_one() -> None:
    spec = SweepSpec().replace(**SMALL, lr=0.01, lr_patience=2)
    data, config = get("ar", n=150), Configuration(ModelSpec("lstm", 3, 1, "tanh"))
    together = train_configuration(config, spec, data, _folds(spec))
    alone = train_configuration(config, spec.replace(batching="off"), data, _folds(spec))
    assert [r["batched"] for r in together.rows] == [True] * 6
    assert [r["batched"] for r in alone.rows] == [False] * 6
    for a, b in zip(together.rows, alone.rows, strict=True):
        assert (a["seed"], a["fold"], a["epochs"]) == (b["seed"], b["fold"], b["epochs"])
        assert a["rmse"] == pytest.approx(b["rmse"], rel=1e-4)


def _frames(trained: Trained) -> list[pd.DataFrame]:
    runs = pd.DataFrame(trained.rows).drop(columns="seconds")  # the one column timing sets
    curve = pd.DataFrame({k: pd.Series(v, dtype=float) for k, v in trained.curve.items()})
    return [runs, pd.DataFrame(trained.lr_search), curve]


@pytest.mark.parametrize("stored", [1, 2])  # after fold 0; in the middle of the later folds
def test_an_interrupted_trial_resumes_to_the_uninterrupted_result(stored: int) -> None:
    spec = SweepSpec().replace(**SMALL)  # --lr auto: the first fold searches the rate
    data, config = get("ar", n=150), Configuration(ModelSpec("lstm", 2, 1, "tanh"))
    folds = _folds(spec)
    kept: dict[int, FoldRuns] = {}
    whole = train_configuration(config, spec, data, folds, on_fold=kept.__setitem__)
    assert sorted(kept) == [0, 1, 2] and all(r["batched"] for r in whole.rows)
    done = {f: FoldRuns.from_dict(json.loads(json.dumps(kept[f].to_dict()))) for f in range(stored)}
    trained: list[int] = []
    resumed = train_configuration(
        config, spec, data, folds, done=done, on_fold=lambda fold, _: trained.append(fold)
    )
    assert trained == list(range(stored, 3)) and resumed.resumed == list(range(stored))
    for got, want in zip(_frames(resumed), _frames(whole), strict=True):
        pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_a_sweep_with_batching_off_trains_one_model_at_a_time(tmp_path: Path) -> None:
    result = sweep(
        get("sine", n=150),
        out=tmp_path,
        lags=4,
        units=(2,),
        layers=(1,),
        seeds=2,
        folds=3,
        epochs=2,
        patience=None,
        lr=0.01,
        batching="off",
        workers=1,
        progress=False,
        baselines=numpy_only,
    )
    assert len(result.runs) == 6 and not result.runs["batched"].any()
    recorded = json.loads((tmp_path / "recommendation.json").read_text())
    assert recorded["spec"]["batching"] == "off" and recorded["batching"].startswith("off")


def test_an_old_spec_without_batching_reads_as_auto_and_a_bad_one_is_named() -> None:
    plain = SweepSpec().to_dict()
    del plain["batching"]
    assert SweepSpec.from_dict(plain).train.batching == "auto"
    with pytest.raises(OptionError, match="batching"):
        SweepSpec().replace(batching="sometimes")
