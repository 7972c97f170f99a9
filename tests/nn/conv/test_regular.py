"""Lifting and group convolutions (groupconv.nn.conv.regular): built from field types or from channel
counts (from_channels), the deprecated channel-count constructor, exact equivariance of networks on the
grid, steerable bases for the other C_n / D_n, certificates of index maps."""

from __future__ import annotations

import pytest
import torch
from _conv_cases import disc, equivariance_error, identity, mixed_type, smooth_field
from torch import nn

from groupconv.groups import SO2, Cyclic, Dihedral
from groupconv.nn import Certificate, FieldType, GroupConv2d, LiftingConv2d, SteerableConv2d, rotate_field
from groupconv.reps import irrep, regular, trivial

pytestmark = pytest.mark.filterwarnings("ignore:kernel basis")


def test_six_layer_network_is_exactly_equivariant():
    for G in [Cyclic(4), Dihedral(4)]:
        mixed = mixed_type(G)
        reg = FieldType(G, [regular(G)] * 2)
        net = nn.Sequential(
            LiftingConv2d.from_channels(G, 1, 2, 5, padding=2),
            nn.ReLU(),
            GroupConv2d.from_channels(G, 2, 2, 3, padding=1),
            nn.ReLU(),
            SteerableConv2d(reg, mixed, 3, padding=1),
            SteerableConv2d(mixed, reg, 3, padding=1, basis="exact"),
            nn.ReLU(),
            GroupConv2d.from_channels(G, 2, 2, 3, padding=1),
            SteerableConv2d(reg, mixed, 5, padding=2, basis="bessel"),
        ).double()
        x = torch.randn(2, 1, 15, 15, dtype=torch.float64)
        err, _ = equivariance_error(net, x, net[0].in_type, net[-1].out_type)
        assert err <= 1e-10, (G, err)


def test_lifting_and_group_conv_for_c8_and_d8_use_steerable_bases():
    for G in [Cyclic(8), Dihedral(8)]:
        net = nn.Sequential(
            LiftingConv2d.from_channels(G, 1, 2, 5, padding=2),
            GroupConv2d.from_channels(G, 2, 1, 5, padding=2),
        ).double()
        assert net[0].basis_kind == "gaussian" and net[1].weight.dim() == 1
        x = smooth_field(net[0].in_type, identity(G))
        m = disc(33)
        worst = 0.0
        with torch.no_grad():
            y = net(x)
            for g in G.elements()[1::3]:
                moved = net(smooth_field(net[0].in_type, g)) - rotate_field(y, net[1].out_type, g)
                worst = max(worst, float(moved[..., m].abs().max() / y[..., m].abs().max()))
        assert worst <= 1e-2, (G, worst)


@pytest.mark.parametrize("cls, lifting", [(LiftingConv2d, True), (GroupConv2d, False)])
@pytest.mark.parametrize("G", [Dihedral(4), Cyclic(8)], ids=str)
def test_from_channels_builds_the_layer_of_its_field_types(cls, lifting, G):
    in_rep = trivial(G) if lifting else regular(G)
    in_type, out_type = FieldType(G, [in_rep] * 2), FieldType(G, [regular(G)] * 3)
    torch.manual_seed(0)
    typed = cls(in_type, out_type, 3, padding=1, bias=True)
    torch.manual_seed(0)
    channels = cls.from_channels(G, 2, 3, 3, padding=1, bias=True)
    assert channels.in_type == in_type and channels.out_type == out_type
    assert (channels.group, channels.in_channels, channels.out_channels) == (G, 2, 3)
    assert channels.get_extra_state() == typed.get_extra_state()
    assert [n for n, _ in channels.named_parameters()] == [n for n, _ in typed.named_parameters()]
    assert all(torch.equal(a, b) for a, b in zip(channels.parameters(), typed.parameters()))
    x = torch.randn(1, in_type.size, 7, 7)
    assert torch.equal(channels(x), typed(x))
    # positional geometry as in torch.nn.Conv2d: stride, padding, dilation, bias, basis
    positional = cls.from_channels(G, 2, 3, 3, 2, 1, 1, False)
    assert positional.stride == (2, 2) and positional.padding == (1, 1) and positional.bias is None


@pytest.mark.parametrize("cls", [LiftingConv2d, GroupConv2d])
def test_the_channel_count_constructor_is_deprecated_and_builds_the_same_layer(cls):
    D4 = Dihedral(4)
    torch.manual_seed(0)
    new = cls.from_channels(D4, 2, 3, 3, 1, 1, bias=False)
    torch.manual_seed(0)
    with pytest.warns(DeprecationWarning, match=rf"{cls.__name__}\.from_channels\(group, in_channels"):
        old = cls(D4, 2, 3, 3, 1, 1, bias=False)
    assert old.get_extra_state() == new.get_extra_state() and old.stride == new.stride == (1, 1)
    assert torch.equal(old.weight, new.weight) and old.bias is None
    x = torch.randn(1, new.in_type.size, 6, 6)
    assert torch.equal(old(x), new(x))
    with pytest.warns(DeprecationWarning, match="from_channels"):
        keywords = cls(group=D4, in_channels=2, out_channels=3, kernel_size=3, padding=1, bias=False)
    assert keywords.get_extra_state() == new.get_extra_state()


def test_field_types_other_than_trivial_or_regular_are_refused():
    D4 = Dihedral(4)
    reg, triv = FieldType(D4, [regular(D4)]), FieldType(D4, [trivial(D4)])
    with pytest.raises(ValueError, match="LiftingConv2d maps trivial fields to regular fields: in_type"):
        LiftingConv2d(reg, reg, 3)
    with pytest.raises(ValueError, match="GroupConv2d maps regular fields to regular fields: in_type"):
        GroupConv2d(triv, reg, 3)
    with pytest.raises(ValueError, match="out_type must hold only regular fields of D4, got D4\\[irrep"):
        GroupConv2d(reg, FieldType(D4, [irrep(D4, 1, 1)]), 3)
    with pytest.raises(ValueError, match="same group"):
        GroupConv2d(reg, FieldType(Cyclic(4), [regular(Cyclic(4))]), 3)
    with pytest.raises(TypeError, match="C_n and D_n"):
        GroupConv2d(FieldType(SO2(), [irrep(SO2(), 0)]), FieldType(SO2(), [irrep(SO2(), 0)]), 3)
    with pytest.raises(TypeError, match="in_type must be a groupconv.nn.FieldType, got str"):
        GroupConv2d("regular", reg, 3)


def test_index_map_certificate_is_typed():
    for layer in (
        LiftingConv2d.from_channels(Dihedral(4), 1, 2, 3),
        GroupConv2d.from_channels(Cyclic(4), 1, 1, 3),
    ):
        assert layer.expansion_plan is None
        cert = layer.certificate()
        assert isinstance(cert, Certificate) and cert.status == "proved" and "index map" in cert.reason
