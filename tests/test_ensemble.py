"""BatchedForecastNet against its members run one by one as ForecastNets."""

from __future__ import annotations

import itertools

import pytest
import torch

from lstmsizer.config import ModelSpec, WindowSpec
from lstmsizer.ensemble import BatchedForecastNet
from lstmsizer.errors import DataError, OptionError
from lstmsizer.models import ForecastNet
from lstmsizer.sizes import keras_parameter_count

torch.set_num_threads(1)

CELLS = ["lstm", "gru", "rnn"]
MEMBERS = 3


def _spec(**fields: object) -> ModelSpec:
    return ModelSpec(**fields)  # type: ignore[arg-type]


def _nets(
    spec: ModelSpec, n_features: int, horizon: int, n_targets: int = 1, members: int = MEMBERS
) -> list[ForecastNet]:
    """Float64 members from different seeds, alternating fused and hand-written where possible."""
    can_fuse = spec.activation == "tanh" or (spec.cell == "rnn" and spec.activation == "relu")
    nets = []
    for m in range(members):
        torch.manual_seed(100 + m)
        fused = None if can_fuse and m % 2 == 0 else False
        nets.append(ForecastNet(n_features, spec, horizon, n_targets, fused=fused).double())
    return nets


def _pairs(
    batched: BatchedForecastNet, net: ForecastNet, m: int, grads: bool = False
) -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    """(name, member m's weight (or gradient) of batched in torch layout, the solo one)."""

    def get(p: torch.Tensor) -> torch.Tensor:
        if not grads:
            return p
        assert p.grad is not None
        return p.grad

    rows: list[tuple[str, torch.Tensor, torch.Tensor]] = []
    for k, (ours, theirs) in enumerate(zip(batched.recurrent, net.recurrent, strict=True)):
        own = dict(ours.named_parameters())
        solo = dict(theirs.named_parameters())
        rows += [
            (f"{k}.weight_ih", get(own["weight_ih"])[m].T, get(solo["weight_ih_l0"])),
            (f"{k}.weight_hh", get(own["weight_hh"])[m].T, get(solo["weight_hh_l0"])),
            (f"{k}.bias", get(own["bias"])[m, 0], get(solo["bias_ih_l0"])),
        ]
        if "bias_hh" in own:  # GRU only; LSTM and RNN hold Keras's single bias
            rows.append((f"{k}.bias_hh", get(own["bias_hh"])[m, 0], get(solo["bias_hh_l0"])))
    rows += [
        ("head.weight", get(batched.head.weight)[m].T, get(net.head.weight)),
        ("head.bias", get(batched.head.bias)[m, 0], get(net.head.bias)),
    ]
    return rows


GRID = list(itertools.product(CELLS, ["tanh", "relu"], [1, 2], [1, 3], [1, 3]))


@pytest.mark.parametrize(("cell", "activation", "layers", "n_features", "horizon"), GRID)
def test_forward_and_gradients_equal_solo_members(
    cell: str, activation: str, layers: int, n_features: int, horizon: int
) -> None:
    spec = _spec(cell=cell, units=5, layers=layers, activation=activation)
    nets = _nets(spec, n_features, horizon, n_targets=2)
    batched = BatchedForecastNet.from_nets(nets)
    gen = torch.Generator().manual_seed(7)
    x = torch.randn(MEMBERS, 4, 6, n_features, generator=gen, dtype=torch.float64)
    weights = torch.randn(MEMBERS, 4, horizon, 2, generator=gen, dtype=torch.float64)

    out = batched(x)
    assert out.shape == (MEMBERS, 4, horizon, 2)
    (out * weights).sum().backward()  # the sum of per-member losses
    for m, net in enumerate(nets):
        solo = net(x[m])
        torch.testing.assert_close(out[m], solo, rtol=0, atol=1e-6)
        (solo * weights[m]).sum().backward()
        for name, ours, theirs in _pairs(batched, net, m, grads=True):
            torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-6, msg=name)
            assert theirs.abs().sum() > 0, name


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("activation", ["sigmoid", "linear", "elu", "softsign"])
def test_every_other_activation_equals_solo_members(cell: str, activation: str) -> None:
    nets = _nets(_spec(cell=cell, units=4, activation=activation), 2, 1)
    x = torch.randn(MEMBERS, 3, 5, 2, dtype=torch.float64) * 2
    out = BatchedForecastNet.from_nets(nets)(x)
    for m, net in enumerate(nets):
        torch.testing.assert_close(out[m], net(x[m]), rtol=0, atol=1e-10)


def test_members_see_only_their_own_inputs() -> None:
    batched = BatchedForecastNet.from_nets(_nets(_spec(units=4, layers=2), 1, 1))
    x = torch.randn(MEMBERS, 2, 5, 1, dtype=torch.float64)
    before = batched(x)
    x[1] += 1.0
    after = batched(x)
    assert torch.equal(before[0], after[0]) and torch.equal(before[2], after[2])
    assert not torch.allclose(before[1], after[1])


def test_one_adam_equals_one_adam_per_member() -> None:
    spec = _spec(cell="lstm", units=6, layers=2, activation="relu")
    nets = _nets(spec, 2, 2)
    batched = BatchedForecastNet.from_nets(nets)
    opt = torch.optim.Adam(batched.parameters(), lr=0.01)
    solo_opts = [torch.optim.Adam(n.parameters(), lr=0.01) for n in nets]
    x = torch.randn(MEMBERS, 8, 4, 2, dtype=torch.float64)
    y = torch.randn(MEMBERS, 8, 2, 1, dtype=torch.float64)
    for _ in range(3):
        opt.zero_grad()
        # mean over each member's batch, summed over members: every member's solo gradient
        (batched(x) - y).square().mean(dim=(1, 2, 3)).sum().backward()
        opt.step()
        for m, (net, solo_opt) in enumerate(zip(nets, solo_opts, strict=True)):
            solo_opt.zero_grad()
            torch.nn.functional.mse_loss(net(x[m]), y[m]).backward()
            solo_opt.step()
    for m, net in enumerate(nets):
        for name, ours, theirs in _pairs(batched, net, m):
            torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-10, msg=name)
        assert not torch.equal(net.head.weight, _nets(spec, 2, 2)[m].head.weight)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("init", ["keras", "torch"])
def test_seeded_members_equal_nets_built_after_manual_seed(cell: str, init: str) -> None:
    spec = _spec(cell=cell, units=6, layers=2, init=init)
    torch.manual_seed(99)
    state = torch.get_rng_state()
    batched = BatchedForecastNet.seeded(2, spec, 3, 1, [3, 5])
    assert torch.equal(torch.get_rng_state(), state)  # the global RNG is left alone
    assert batched.members == 2
    for m, seed in enumerate([3, 5]):
        torch.manual_seed(seed)
        ref = ForecastNet(2, spec, 3, 1)
        member = batched.member(m)
        for key, value in ref.state_dict().items():
            assert torch.equal(member.state_dict()[key], value), (m, key)
        for name, ours, theirs in _pairs(batched, ref, m):
            assert torch.equal(ours, theirs), (m, name)
    first = batched.recurrent[0].get_parameter("weight_ih")
    assert not torch.equal(first[0], first[1])


@pytest.mark.parametrize("cell", CELLS)
def test_member_round_trip_is_exact(cell: str) -> None:
    spec = _spec(cell=cell, units=5, layers=2, activation="relu")
    nets = _nets(spec, 3, 2, n_targets=2)
    batched = BatchedForecastNet.from_nets(nets)
    for m, net in enumerate(nets):
        member = batched.member(m)
        assert isinstance(member, ForecastNet) and member.spec == spec
        assert (member.n_features, member.horizon, member.n_targets) == (3, 2, 2)
        assert member.head.weight.dtype == torch.float64
        for (key, a), (_, b) in zip(member.named_parameters(), net.named_parameters(), strict=True):
            assert torch.equal(a, b) and a.requires_grad == b.requires_grad, (m, key)
    member = batched.member(0)
    with torch.no_grad():
        member.head.weight.add_(1.0)  # a copy: changing it leaves the batched net alone
    assert torch.equal(batched.head.weight[0].T, nets[0].head.weight)
    # and back: from_nets of the members rebuilds the same batched net
    again = BatchedForecastNet.from_nets([batched.member(m) for m in range(MEMBERS)])
    for (key, a), (_, b) in zip(again.named_parameters(), batched.named_parameters(), strict=True):
        assert torch.equal(a, b), key


def test_member_can_be_fused_or_hand_written() -> None:
    batched = BatchedForecastNet.seeded(1, _spec(units=4), 1, 1, [0, 1])
    fused, own = batched.member(1), batched.member(1, fused=False)
    assert fused.fused and not own.fused
    x = torch.randn(2, 3, 1)
    torch.testing.assert_close(fused(x), own(x))
    torch.testing.assert_close(batched(torch.stack([x, x]))[1], own(x))


SIZES = list(itertools.product(CELLS, [1, 7], [1, 3], [1, 4], [1, 3]))


@pytest.mark.parametrize(("cell", "units", "layers", "n_features", "horizon"), SIZES)
def test_num_parameters_is_the_keras_count(
    cell: str, units: int, layers: int, n_features: int, horizon: int
) -> None:
    spec = _spec(cell=cell, units=units, layers=layers)
    batched = BatchedForecastNet(n_features, spec, horizon, 2, members=4)
    expected = keras_parameter_count(spec, WindowSpec(lags=3, horizon=horizon), n_features, 2)
    assert batched.num_parameters() == expected
    assert ForecastNet(n_features, spec, horizon, 2).num_parameters() == expected
    assert all(p.shape[0] == 4 for p in batched.parameters())


def test_constructor_draws_members_like_consecutive_forecast_nets() -> None:
    spec = _spec(cell="gru", units=4, layers=2, init="keras")
    torch.manual_seed(8)
    batched = BatchedForecastNet(2, spec, 1, 1, members=2)
    torch.manual_seed(8)
    refs = [ForecastNet(2, spec), ForecastNet(2, spec)]
    for m, ref in enumerate(refs):
        for name, ours, theirs in _pairs(batched, ref, m):
            assert torch.equal(ours, theirs), (m, name)


def test_dropout_between_layers_only_in_train_mode() -> None:
    x = torch.randn(2, 6, 4, 2)
    two = BatchedForecastNet.seeded(2, _spec(units=32, layers=2, dropout=0.5), 1, 1, [0, 1])
    assert two.training
    assert not torch.allclose(two(x), two(x))
    two.eval()
    torch.testing.assert_close(two(x), two(x))
    for m in range(2):
        member = two.member(m)
        assert not member.training
        torch.testing.assert_close(two(x)[m], member(x[m]))
    one = BatchedForecastNet.seeded(2, _spec(units=32, layers=1, dropout=0.5), 1, 1, [0, 1])
    torch.testing.assert_close(one(x), one(x))  # never after the last layer


def test_from_nets_keeps_device_dtype_and_mode() -> None:
    nets = _nets(_spec(units=3), 1, 1)
    for net in nets:
        net.eval()
    batched = BatchedForecastNet.from_nets(nets)
    assert not batched.training
    assert all(p.dtype == torch.float64 and p.device.type == "cpu" for p in batched.parameters())
    assert all(p.requires_grad for p in batched.parameters())
    assert "members=3" in repr(batched) and "units=3" in repr(batched)


def test_bad_input_shape_raises_data_error() -> None:
    batched = BatchedForecastNet(2, _spec(units=3), members=2)
    for shape in [(3, 4, 5, 2), (2, 4, 5, 1), (2, 4, 0, 2), (4, 5, 2)]:
        with pytest.raises(DataError, match="x must have shape"):
            batched(torch.zeros(shape))


def _nonzero_bias_hh() -> list[ForecastNet]:
    nets = _nets(_spec(units=3), 1, 1, members=2)
    with torch.no_grad():
        nets[1].recurrent[0].get_parameter("bias_hh_l0").fill_(0.5)
    return nets


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: BatchedForecastNet.from_nets([]), "nets"),
        (lambda: BatchedForecastNet.from_nets([torch.nn.Linear(1, 1)]), "nets\\[0\\]"),  # type: ignore[list-item]
        (
            lambda: BatchedForecastNet.from_nets(
                _nets(_spec(units=3), 1, 1) + _nets(_spec(units=4), 1, 1)
            ),
            "nets\\[3\\]",
        ),
        (
            lambda: BatchedForecastNet.from_nets(
                [*_nets(_spec(units=3), 1, 1), ForecastNet(1, _spec(units=3))]
            ),
            "nets\\[3\\] must be on cpu in torch.float64",
        ),
        (lambda: BatchedForecastNet.from_nets(_nonzero_bias_hh()), "nets\\[1\\].recurrent\\[0\\]"),
        (lambda: BatchedForecastNet(1, _spec(), members=0), "members"),
        (lambda: BatchedForecastNet(0, _spec()), "n_features"),
        (lambda: BatchedForecastNet(1, "lstm"), "spec"),  # type: ignore[arg-type]
        (lambda: BatchedForecastNet.seeded(1, _spec(units=2), 1, 1, []), "seeds"),
        (lambda: BatchedForecastNet(1, _spec(units=2), members=2).member(2), "m must be"),
        (lambda: BatchedForecastNet(1, _spec(units=2), members=2).member(-1), "m must be"),
    ],
)
def test_bad_arguments_raise_option_error(call: object, argument: str) -> None:
    with pytest.raises(OptionError, match=argument):
        call()  # type: ignore[operator]
