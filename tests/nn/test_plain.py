"""The plain torch modules of groupconv.nn.plain: what each layer exports to, with no groupconv types, the
same outputs as the layer, and importable from the layers' modules."""

from __future__ import annotations

import pytest
import torch
from _layer_cases import GROUPS, layer_input, mixed_type, perm_type, with_bias
from torch import nn

import groupconv.nn.nonlinearities as nonlinearities
import groupconv.nn.pooling as pooling
from groupconv.nn import (
    FieldType,
    GatedNonlinearity,
    GlobalPool2d,
    GroupPooling,
    ModulusNonlinearity,
    NormNonlinearity,
    NormPooling,
    PointwiseNonlinearity,
    plain,
)
from groupconv.nn._fields import FieldGroups
from groupconv.reps import Representation

EXPORTS = {
    "Elementwise": lambda G: PointwiseNonlinearity(perm_type(G), torch.tanh),
    "NormActivation": lambda G: with_bias(NormNonlinearity(mixed_type(G))),
    "Gate": lambda G: GatedNonlinearity(mixed_type(G), "tanh"),
    "FieldNorms": lambda G: ModulusNonlinearity(mixed_type(G)),
    "GlobalPool": lambda G: GlobalPool2d(perm_type(G), "max"),
    "FieldReduce": lambda G: GroupPooling(perm_type(G), "mean"),
    "PooledFieldNorms": lambda G: NormPooling(mixed_type(G), "avg", 3, 2),
}


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_each_layer_exports_to_its_plain_module(name):
    layer = EXPORTS[name](GROUPS["D4"]).double()
    exported = layer.export()
    assert type(exported) is getattr(plain, name)
    assert not isinstance(exported, nonlinearities.EquivariantModule)
    x = layer_input(layer)
    assert torch.equal(exported(x), layer(x))


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_plain_modules_hold_no_groupconv_objects(name):
    exported = EXPORTS[name](GROUPS["D4"]).export()
    for sub in exported.modules():
        assert all(not isinstance(v, (FieldType, Representation)) for v in vars(sub).values())
        assert not hasattr(sub, "in_type")


def test_still_importable_from_the_layers_modules():
    for name in ("Elementwise", "NormActivation", "Gate", "FieldNorms", "field_norm", "field_norms"):
        assert getattr(nonlinearities, name) is getattr(plain, name)
    for name in ("GlobalPool", "FieldReduce", "PooledFieldNorms"):
        assert getattr(pooling, name) is getattr(plain, name)


def test_field_norm_is_scaled_and_has_a_zero_gradient_at_zero():
    big = torch.tensor([[[3e30], [4e30]]], dtype=torch.float32).view(1, 1, 2, 1)
    assert plain.field_norm(big).item() == pytest.approx(5e30)
    zero = torch.zeros(1, 1, 3, 1, dtype=torch.float64, requires_grad=True)
    plain.field_norm(zero).sum().backward()
    assert torch.equal(zero.grad, torch.zeros_like(zero))
    t = mixed_type(GROUPS["C4"])
    x = torch.randn(2, t.size, 3, 3, dtype=torch.float64)
    norms = plain.field_norms(x, FieldGroups(t))
    expected = torch.stack([x[:, s].norm(dim=1) for s in t.field_slices()], 1)
    torch.testing.assert_close(norms, expected, atol=1e-14, rtol=1e-14)


def test_elementwise_and_global_pool():
    e = plain.Elementwise(torch.tanh)
    x = torch.randn(2, 3)
    assert torch.equal(e(x), torch.tanh(x)) and e.extra_repr() == "tanh"
    with pytest.raises(TypeError, match="Elementwise takes a callable, got int"):
        plain.Elementwise(3)
    x = torch.randn(2, 3, 4, 5)
    assert torch.equal(plain.GlobalPool("avg")(x), x.mean((-2, -1), keepdim=True))
    assert torch.equal(plain.GlobalPool("max")(x), x.amax((-2, -1), keepdim=True))
    assert isinstance(plain.GlobalPool(), nn.Module)


def test_plain_pooling_modules_act_on_volumes():
    x = torch.randn(2, 3, 4, 5, 6, dtype=torch.float64)
    assert torch.equal(plain.GlobalPool("max")(x), x.amax((2, 3, 4), keepdim=True))
    assert torch.allclose(plain.GlobalPool("avg")(x), x.mean((2, 3, 4), keepdim=True))
    G = GROUPS["D4"]
    t = mixed_type(G)
    v = torch.randn(1, t.size, 5, 5, 5, dtype=torch.float64)
    norms = NormPooling(t, "max", 3, 2, spatial_dims=3)
    assert torch.equal(norms.export()(v), norms(v)) and norms(v).shape == (1, len(t), 3, 3, 3)


@pytest.mark.parametrize("with_bias", [True, False])
@pytest.mark.parametrize("function", ["relu", "sigmoid", "squash"])
def test_fused_norm_activation_equals_the_per_group_nodes(function, with_bias):
    # a type grouped by dimension in declared order takes the one-node path; it must give the values and
    # gradients of the per-group nodes, with zero fields, a NaN field and an infinite entry included
    from groupconv.groups import SO2
    from groupconv.nn import FieldType
    from groupconv.nn._fields import FieldGroups
    from groupconv.nn.plain import _norm_activation, _NormActivation
    from groupconv.reps import irrep, trivial

    G = SO2()
    t = FieldType(G, [trivial(G)] * 3 + [irrep(G, 1)] * 2 + [irrep(G, 2)] * 2)
    groups = FieldGroups(t)
    assert groups.in_order
    gen = torch.Generator().manual_seed(1)
    x0 = torch.randn(3, t.size, 4, 5, generator=gen, dtype=torch.float64) * 2
    x0[0, :, 0, 0] = 0.0
    x0[1, 3:5, 1, 1] = 0.0
    x0[2, 5, 2, 2] = float("nan")
    x0[2, 7, 3, 3] = float("inf")
    bias0 = torch.linspace(-0.5, 0.4, len(t), dtype=torch.float64)
    g = torch.randn(x0.shape, generator=gen, dtype=torch.float64)

    def run(fused):
        x = x0.clone().requires_grad_(True)
        b = bias0.clone().requires_grad_(True) if with_bias else None
        if fused:
            y = _norm_activation(x, groups, b, function)
        else:
            parts = zip(groups.split(x), groups.per_group(b) if with_bias else [None] * len(groups.dims))
            y = groups.merge([_NormActivation.apply(p, pb, function) for p, pb in parts])
        y.backward(g)
        return y.detach(), x.grad, b.grad if with_bias else torch.zeros(())

    for new, old in zip(run(True), run(False)):
        assert torch.allclose(new, old, rtol=1e-12, atol=1e-14, equal_nan=True)


@pytest.mark.parametrize("function", ["sigmoid", "tanh"])
def test_gate_equals_the_expanded_gate_definition(function):
    # the one-node gate (runs of one dimension, gates broadcast) against sigma(s) expanded per channel,
    # values and gradients, on interleaved field dimensions with a NaN and an infinite entry
    from groupconv.groups import Dihedral

    G = Dihedral(4)
    layer = GatedNonlinearity(mixed_type(G), function).double()
    k = layer.n_gates
    gen = torch.Generator().manual_seed(2)
    x0 = torch.randn(2, layer.in_type.size, 3, 4, generator=gen, dtype=torch.float64) * 3
    x0[0, k + 2, 1, 1] = float("nan")
    x0[1, 1, 2, 2] = float("inf")
    g = torch.randn(2, layer.out_type.size, 3, 4, generator=gen, dtype=torch.float64)
    fn = torch.sigmoid if function == "sigmoid" else torch.tanh

    def run(reference):
        x = x0.clone().requires_grad_(True)
        y = fn(x[:, :k]).index_select(1, layer.channel_field) * x[:, k:] if reference else layer(x)
        y.backward(g)
        return y.detach(), x.grad

    for new, old in zip(run(False), run(True)):
        assert torch.allclose(new, old, rtol=1e-12, atol=1e-14, equal_nan=True)
    x = torch.randn(1, layer.in_type.size, 2, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradgradcheck(layer, (x,), eps=1e-6, atol=1e-6)
