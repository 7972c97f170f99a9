"""Nonlinearities (pointwise, norm, gated, modulus): exact equivariance on the pixel grid (C_4, D_4), fiber
equivariance for SO(2) / O(2), gradients (the norm nonlinearity's own backward to first and second order),
certificates and bad input."""

from __future__ import annotations

import pytest
import torch
from _layer_cases import (
    FIBER_NONLINEARITIES,
    GROUPS,
    NONLINEARITIES,
    assert_exact_grid_equivariance,
    assert_fiber_equivariance,
    assert_gradcheck,
    mixed_type,
    perm_type,
)
from torch import nn

from groupconv.groups import SO2, Dihedral
from groupconv.nn import (
    ELU,
    Certificate,
    FieldType,
    GatedNonlinearity,
    ModulusNonlinearity,
    NormNonlinearity,
    PointwiseNonlinearity,
    ReLU,
)
from groupconv.reps import irrep, regular, trivial
from groupconv.verify import certify


@pytest.mark.parametrize("group", sorted(GROUPS))
@pytest.mark.parametrize("name", sorted(NONLINEARITIES))
def test_exact_grid_equivariance_every_element(name, group):
    assert_exact_grid_equivariance(NONLINEARITIES[name], name, group)


@pytest.mark.parametrize("group", ["SO2", "O2"])
@pytest.mark.parametrize("name", sorted(FIBER_NONLINEARITIES))
def test_fiber_equivariance_continuous_groups(name, group):
    assert_fiber_equivariance(FIBER_NONLINEARITIES[name], name, group)


@pytest.mark.parametrize("name", ["norm_relu", "norm_squash", "gated", "modulus", "relu"])
def test_gradcheck(name):
    assert_gradcheck(NONLINEARITIES[name])


def test_pointwise_layers_certify_permutation_fields():
    G = GROUPS["D4"]
    for layer in (ReLU(perm_type(G)), ELU(perm_type(G)), PointwiseNonlinearity(perm_type(G), torch.tanh)):
        cert = layer.certificate()
        assert isinstance(cert, Certificate) and cert.status == "proved", cert
        assert "permutation matrices" in cert.reason
        assert certify(layer).rows[0].status == "proved"
    # trivial fields of a continuous group are fixed by every element: entrywise maps commute with them
    so2 = FieldType(SO2(), [trivial(SO2())] * 2)
    cert = ReLU(so2).certificate()
    assert cert.status == "proved" and "trivial" in cert.reason
    # the norm-based layers have no exact description
    assert NormNonlinearity(mixed_type(G)).certificate().status == "not applicable"


def test_frame_bounds():
    G = GROUPS["D4"]
    assert ReLU(perm_type(G)).frame_bounds() == (0.0, 1.0)
    assert PointwiseNonlinearity(perm_type(G), nn.LeakyReLU(0.5)).frame_bounds() == (0.25, 1.0)
    assert PointwiseNonlinearity(perm_type(G), "gelu").frame_bounds() == (None, None)
    norm = NormNonlinearity(mixed_type(G))
    assert norm.frame_bounds() == (0.0, 1.0)
    with torch.no_grad():
        norm.bias.fill_(0.1)
    assert norm.frame_bounds() == (0.0, None)
    assert NormNonlinearity(mixed_type(G), "sigmoid").frame_bounds() == (None, None)
    assert GatedNonlinearity(mixed_type(G)).frame_bounds() == (0.0, 1.0)
    assert ModulusNonlinearity(mixed_type(G)).frame_bounds() == (1.0, 1.0)


def test_bad_input_errors():
    G = GROUPS["D4"]
    t, p = mixed_type(G), perm_type(G)
    with pytest.raises(ValueError, match=r"shape \(batch, 17, H, W\), got \(2, 16, 5, 5\)"):
        ReLU(p)(torch.randn(2, 16, 5, 5))
    with pytest.raises(ValueError, match="got \\(17, 5, 5\\)"):
        ReLU(p)(torch.randn(17, 5, 5))
    with pytest.raises(TypeError, match="floating point"):
        ReLU(p)(torch.ones(1, 17, 3, 3, dtype=torch.long))
    with pytest.raises(TypeError, match="torch.Tensor"):
        ReLU(p)([1, 2])
    with pytest.raises(TypeError, match="FieldType"):
        ReLU([regular(G)])
    with pytest.raises(ValueError, match=r"field 1: D4\[irrep\(1,1\)\].*NormNonlinearity"):
        ReLU(t)
    with pytest.raises(ValueError, match="unknown pointwise function"):
        PointwiseNonlinearity(p, "swish3")
    with pytest.raises(ValueError, match="per-channel parameters"):
        PointwiseNonlinearity(p, nn.PReLU(17))
    with pytest.raises(ValueError, match="unknown norm function"):
        NormNonlinearity(t, "abs")


# -- the norm nonlinearity's own backward ----------------------------------------------------------------
D4 = Dihedral(4)
MIXED = FieldType(D4, [regular(D4), irrep(D4, 1, 1), trivial(D4), irrep(D4, 1, 0), irrep(D4, 1, 1)])
SO2_TYPE = FieldType(SO2(), [trivial(SO2())] * 2 + [irrep(SO2(), 1), irrep(SO2(), 2)])


@pytest.mark.parametrize("ftype", [MIXED, SO2_TYPE], ids=["mixed", "so2"])
@pytest.mark.parametrize("function", ["relu", "sigmoid", "squash"])
@pytest.mark.parametrize("scale", [1.0, 6.0], ids=["unit", "large"])
def test_norm_nonlinearity_gradients_first_and_second_order(ftype, function, scale):
    layer = NormNonlinearity(ftype, function, bias=True).double()
    with torch.no_grad():
        layer.bias.copy_(torch.linspace(-0.4, 0.3, len(ftype), dtype=torch.float64))
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, ftype.size, 2, 2, generator=gen, dtype=torch.float64) * scale
    x.requires_grad_(True)
    bias = layer.bias.detach().clone().requires_grad_(True)

    def f(a, b):
        return torch.func.functional_call(layer, {"bias": b}, (a,))

    assert torch.autograd.gradcheck(f, (x, bias), eps=1e-6, atol=1e-6, fast_mode=True)
    assert torch.autograd.gradgradcheck(f, (x, bias), eps=1e-6, atol=1e-6, fast_mode=True)


def test_modulus_gradient_and_zero_gradient_at_a_zero_field():
    layer = ModulusNonlinearity(MIXED)
    x = torch.randn(2, MIXED.size, 3, 3, dtype=torch.float64)
    x[0, MIXED.field_slices()[1], 0, 0] = 0.0
    x.requires_grad_(True)
    assert torch.autograd.gradcheck(layer, (x,), eps=1e-6, atol=1e-6, nondet_tol=0.0)
    layer(x).sum().backward()
    assert torch.isfinite(x.grad).all()
    assert (x.grad[0, MIXED.field_slices()[1], 0, 0] == 0).all()


# -- volumes ---------------------------------------------------------------------------------------------------
def _volume_layers():
    from groupconv.groups import SO3, Octahedral

    S, O = SO3(), Octahedral()
    fields = FieldType(S, [irrep(S, 0), irrep(S, 1), irrep(S, 1), irrep(S, 2)])
    reg = FieldType(O, [regular(O), trivial(O)])
    return {
        "ReLU": lambda d: ReLU(reg, spatial_dims=d),
        "ELU": lambda d: ELU(reg, 0.5, spatial_dims=d),
        "Pointwise": lambda d: PointwiseNonlinearity(reg, "tanh", spatial_dims=d),
        "Norm": lambda d: NormNonlinearity(fields, bias_init=-0.3, spatial_dims=d),
        "Gated": lambda d: GatedNonlinearity(fields, spatial_dims=d),
        "Modulus": lambda d: ModulusNonlinearity(fields, spatial_dims=d),
    }


@pytest.mark.parametrize("name", ["ReLU", "ELU", "Pointwise", "Norm", "Gated", "Modulus"])
def test_volume_layers_compute_the_2d_map_at_every_voxel_and_export(name):
    """spatial_dims=3: the same numerics as the 2D layer (acting at every point alike), the volume shape
    kept, spatial_dims=3 in the repr, and the exported module computes the same map on volumes."""
    build = _volume_layers()[name]
    layer3, layer2 = build(3), build(2)
    assert (
        layer3.spatial_dims == 3 and "spatial_dims=3" in repr(layer3) and "spatial_dims" not in repr(layer2)
    )
    c = layer3.in_type.size
    x = torch.randn(2, c, 3, 4, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    layer3, layer2 = layer3.double(), layer2.double()
    y = layer3(x)
    assert y.shape == (2, layer3.out_type.size, 3, 4, 5)
    assert torch.equal(y, layer2(x.reshape(2, c, 12, 5)).reshape(y.shape))
    assert torch.equal(layer3.export()(x), y)
    with pytest.raises(ValueError, match=r"shape \(batch, \d+, D, H, W\), got \(2, \d+, 12, 5\)"):
        layer3(x.reshape(2, c, 12, 5))


def test_volume_nonlinearities_commute_with_the_cube_rotations():
    from groupconv.nn import rotate_field
    from groupconv.nn.field_type import cube_symmetries

    layers = _volume_layers()
    x = torch.randn(1, 12, 4, 4, 4, dtype=torch.float64)
    for name in ("Norm", "Gated", "Modulus"):
        layer = layers[name](3).double()
        u = x if name != "Gated" else torch.randn(1, layer.in_type.size, 4, 4, 4, dtype=torch.float64)
        for m in cube_symmetries()[::5]:
            lhs = layer(rotate_field(u, layer.in_type, m))
            assert (lhs - rotate_field(layer(u), layer.out_type, m)).abs().max() < 1e-13, name


def test_norm_and_gated_nonlinearities_compile_without_graph_breaks():
    # their eager one-node forms write into slices (out=); compiled, they take traceable forms
    from groupconv.testing import assert_torch_compile

    G = SO2()
    t = FieldType(G, [trivial(G)] * 2 + [irrep(G, 1)] * 2 + [irrep(G, 2)])
    for layer in (NormNonlinearity(t, bias_init=-0.3), GatedNonlinearity(t)):
        assert_torch_compile(layer, torch.randn(2, layer.in_type.size, 3, 3), fullgraph=True)
