"""Convolutions in space (groupconv.nn.conv.volumetric): exact equivariance on the voxel grid under the
24 / 48 cube symmetries (O / Oh regular fields, SO(3) / O(3) steerable fields of degrees 0..3), the
approximate equivariance under other rotations on band-limited volumes, float32, kernel basis dimensions
against the character formula, gradients, export, state dicts, torch.compile, the icosahedral layers and
certificates."""

from __future__ import annotations

import copy
import math

import pytest
import torch
from torch import nn

from groupconv.groups import O3, SO3, FullIcosahedral, FullOctahedral, Icosahedral, Octahedral
from groupconv.kernels import KernelSpec, character_dimension
from groupconv.nn import (
    FieldType,
    GroupConv3d,
    LegacyStateWarning,
    LiftingConv3d,
    SteerableConv3d,
    rotate_field,
)
from groupconv.nn.conv.expansion import BasisExpansion
from groupconv.nn.conv.plan import expansion_plan
from groupconv.nn.conv.volumetric import template_residual
from groupconv.reps import irrep, regular, trivial
from groupconv.testing import assert_torch_compile
from groupconv.verify import check_equivariance
from groupconv.verify.elements import cube_rotations

pytestmark = pytest.mark.filterwarnings("ignore:.*kernels.*forced to zero")


def so3_type(degrees, parity=False):
    """Fields of SO(3) of the given degrees (of O(3) with the parity (-1)^l of vectors when ``parity``)."""
    if parity:
        G = O3()
        return FieldType(G, [irrep(G, l, (-1) ** l) for l in degrees])
    G = SO3()
    return FieldType(G, [irrep(G, l) for l in degrees])


def grid_equivariance_error(layer, x, tin=None, tout=None):
    """``max_g |L(g x) - g L(x)| / max |L(x)|`` over every element of a group permuting the voxel grid,
    all elements in one batch."""
    tin, tout = tin or layer.in_type, tout or layer.out_type
    n = tin.group.order
    with torch.no_grad():
        y = layer(x)
        gx = torch.cat([tin.transform(x, g) for g in range(n)])
        gy = torch.cat([tout.transform(y, g) for g in range(n)])
        return float((layer(gx) - gy).abs().max() / y.abs().max())


def cube_equivariance_error(layer, x, mats, tin=None, tout=None):
    """The same for fields of SO(3) / O(3) and the signed permutation matrices ``mats`` (voxel
    permutations: exact)."""
    tin, tout = tin or layer.in_type, tout or layer.out_type
    with torch.no_grad():
        y = layer(x)
        b = len(mats)
        gx = rotate_field(x.expand(b, *x.shape[1:]), tin, mats)
        gy = rotate_field(y.expand(b, *y.shape[1:]), tout, mats)
        return float((layer(gx) - gy).abs().max() / y.abs().max())


def blobs(ft, matrix, size=15, s=1.8, seed=0):
    """A sum of Gaussian blobs (std ``s`` voxels) per channel, evaluated exactly at ``g^{-1} x`` and acted
    on by ``rho(g)``: the exact transform of a band-limited volume (``matrix`` the action of ``g``)."""
    gen = torch.Generator().manual_seed(seed)
    centers = (torch.rand(ft.size, 3, 3, generator=gen, dtype=torch.float64) - 0.5) * size * 0.3
    amps = torch.randn(ft.size, 3, generator=gen, dtype=torch.float64)
    c = (size - 1) / 2
    k, i, j = torch.meshgrid(*(torch.arange(size, dtype=torch.float64),) * 3, indexing="ij")
    p = torch.stack([j - c, c - i, c - k], -1)
    q = p @ matrix  # rows g^{-1} p = g^T p for an orthogonal g
    d2 = ((q[None, None] - centers[:, :, None, None, None]) ** 2).sum(-1)
    f = (amps[:, :, None, None, None] * torch.exp(-d2 / (2 * s * s))).sum(1)
    return f[None]


def ball(size, frac=0.3):
    c = (size - 1) / 2
    k, i, j = torch.meshgrid(*(torch.arange(size),) * 3, indexing="ij")
    return ((k - c) ** 2 + (i - c) ** 2 + (j - c) ** 2) <= (frac * size) ** 2


# -- exact equivariance on the voxel grid ----------------------------------------------------------------
@pytest.mark.parametrize("G", [Octahedral(), FullOctahedral()], ids=str)
def test_lifting_and_group_convolutions_are_exactly_equivariant_on_the_voxel_grid(G):
    torch.manual_seed(0)
    net = nn.Sequential(
        LiftingConv3d.from_channels(G, 1, 2, 3, padding=1),
        nn.ReLU(),
        GroupConv3d.from_channels(G, 2, 1, 3, padding=1),
    ).double()
    assert net[0].basis_kind == net[2].basis_kind == "index"
    x = torch.randn(1, 1, 7, 7, 7, dtype=torch.float64)
    err = grid_equivariance_error(net, x, net[0].in_type, net[2].out_type)
    assert err <= 1e-10, err
    # the same layer through the moved free filters of the steerable basis, and on O (1296 elements for
    # Oh) through the exact integer basis
    for basis in ("gaussian", "exact") if G.order == 24 else ("gaussian",):
        layer = GroupConv3d.from_channels(G, 1, 1, 3, padding=1, basis=basis).double()
        assert grid_equivariance_error(layer, torch.randn(1, G.order, 5, 5, 5, dtype=torch.float64)) <= 1e-10


@pytest.mark.parametrize("parity", [False, True], ids=["SO3", "O3"])
def test_steerable_fields_of_degrees_0_to_3_are_exactly_equivariant_under_the_cube_symmetries(parity):
    ft = so3_type([0, 1, 2, 3], parity)
    torch.manual_seed(0)
    # built in float32 and cast: the basis is taken from its float64 samples
    layer = SteerableConv3d(ft, ft, 5, padding=2).double()
    x = torch.randn(1, ft.size, 7, 7, 7, dtype=torch.float64)
    mats = cube_rotations(inversion=parity)
    assert len(mats) == (48 if parity else 24)
    assert cube_equivariance_error(layer, x, mats) <= 1e-10


def test_the_checker_passes_a_layer_built_in_float32():
    """groupconv.verify computes in float64 on a copy: the copy's basis comes from the float64 samples,
    so the exact tier (1e-10) holds for fields of degree 2, whose cube rotations are not permutations."""
    torch.manual_seed(0)
    ft = so3_type([0, 1, 2])
    layer = SteerableConv3d(ft, ft, 3, padding=1)
    report = check_equivariance(layer, torch.randn(1, ft.size, 6, 6, 6))
    assert report.passed, report


def test_float32_is_equivariant_to_its_rounding():
    torch.manual_seed(0)
    ft = so3_type([0, 1, 2])
    layer = SteerableConv3d(ft, ft, 3, padding=1)
    x = torch.randn(1, ft.size, 6, 6, 6)
    assert cube_equivariance_error(layer, x, cube_rotations()) <= 1e-5
    G = Octahedral()
    conv = GroupConv3d.from_channels(G, 1, 1, 3, padding=1)
    assert grid_equivariance_error(conv, torch.randn(1, 24, 5, 5, 5)) <= 1e-5


def test_random_rotations_of_band_limited_volumes_are_equivariant_to_the_documented_tolerance():
    """Other rotations move the grid off itself: on smooth volumes (blobs of 1.8 voxels, evaluated
    exactly at the rotated points) the layer commutes with the rotation up to the sampling of its
    filter and the cubic interpolation of its output; measured 1.2e-2 relative on the central ball for
    fields of degrees 0..2, bound 3e-2. A layer whose filter ignores the constraint is off by order 1."""
    torch.manual_seed(0)
    ft = so3_type([0, 1, 2])
    layer = SteerableConv3d(ft, ft, 5, padding=2).double()
    rots = SO3().sample(4, generator=torch.Generator().manual_seed(3))
    m = ball(15)
    worst = 0.0
    with torch.no_grad():
        x = blobs(ft, torch.eye(3, dtype=torch.float64))
        y = layer(x)
        for R in rots:
            gx = ft.representation(R, dtype=torch.float64) @ blobs(ft, R).flatten(2)
            moved = layer(gx.view_as(x)) - rotate_field(y, ft, R)
            worst = max(worst, float(moved[..., m].abs().max() / y[..., m].abs().max()))
    assert worst <= 3e-2, worst


# -- the icosahedral groups --------------------------------------------------------------------------------
@pytest.mark.parametrize("G", [Icosahedral(), FullIcosahedral()], ids=str)
def test_icosahedral_layers_satisfy_the_constraint_on_the_continuous_kernel(G):
    """``I`` / ``Ih`` do not permute the voxel grid (apart from the 12 / 24 elements they share with the
    cube group: the tetrahedral rotations, and the inversion): the angular templates of every pair of irreps satisfy the constraint for EVERY element
    (float64), and the layers are exactly equivariant under the elements that permute the grid."""
    ft = FieldType(G, [irrep(G, j) if G.order == 60 else irrep(G, j, 0) for j in range(5)])
    conv = SteerableConv3d(ft, ft, 5, padding=2).double()
    templates = {k: v for row in conv.expansion_plan.bases for b in row for k, v in b.templates.items()}
    residual, checked = template_residual(templates, G)
    assert checked == G.order and residual <= 1e-12
    cert = conv.certificate()
    assert cert.status == "not applicable" and f"every element of {G}" in cert.reason
    lift = LiftingConv3d.from_channels(G, 1, 1, 3, padding=1).double()
    group = GroupConv3d.from_channels(G, 1, 1, 3, padding=1).double()
    # moved free filters, no dense basis of |G|^2 kernels per filter
    assert lift.basis_kind == group.basis_kind == "gaussian" and group.expansion_plan is None
    assert group.lift_filters.shape == (G.order, 5, 27) and group.weight.shape == (1, 1, G.order, 5)
    mats = G.action_matrix(G.elements(), dtype=torch.float64)
    on_grid = [g for g in range(G.order) if bool((mats[g].abs().round() == mats[g].abs()).all())]
    assert len(on_grid) == G.order // 5
    x = torch.randn(1, 1, 5, 5, 5, dtype=torch.float64)
    with torch.no_grad():
        y = group(lift(x))
        for g in on_grid:
            gx = rotate_field(x, lift.in_type, torch.tensor(g))
            gy = rotate_field(y, group.out_type, torch.tensor(g))
            torch.testing.assert_close(group(lift(gx)), gy, rtol=0, atol=1e-10 * float(y.abs().max()))
    assert group.certificate().status == "not applicable"


# -- bases, certificates ---------------------------------------------------------------------------------
@pytest.mark.parametrize("G", [Octahedral(), FullOctahedral()], ids=str)
def test_exact_bases_have_the_dimension_of_the_character_formula(G):
    vector = irrep(G, 3) if G.order == 24 else irrep(G, 3, 1)
    tin, tout = FieldType(G, [trivial(G), vector]), FieldType(G, [trivial(G), regular(G), vector])
    for k in (3, 5) if G.order == 24 else (3,):
        layer = SteerableConv3d(tin, tout, k, basis="exact", bias=False)
        expected = sum(
            character_dimension(G, ri, ro, k) for ro in tout.representations for ri in tin.representations
        )
        assert layer.weight.numel() == expected, (k, layer.weight.numel(), expected)
        cert = layer.certificate()
        assert cert.status == "proved" and "character formula" in cert.reason, cert


def test_certificates_say_what_is_proved():
    G = Octahedral()
    assert GroupConv3d.from_channels(G, 1, 1, 3).certificate().status == "proved"
    assert LiftingConv3d.from_channels(G, 1, 1, 3).certificate().status == "proved"
    ft = FieldType(G, [regular(G)])
    assert SteerableConv3d(ft, ft, 3).certificate().status == "proved"
    # moved free filters on the voxel grid: the index map is proved, the filter is its expansion
    for cls in (LiftingConv3d, GroupConv3d):
        layer = cls.from_channels(FullOctahedral(), 1, 2, 3, basis="gaussian").double()
        cert = layer.certificate()
        assert cert.status == "proved" and "index map" in cert.reason and cert.residual < 1e-14, cert
        with torch.no_grad():
            layer.lift_filters[1] += 0.01 * torch.randn_like(layer.lift_filters[1])
        assert layer.certificate().status == "failed"
    for parity in (False, True):
        t = so3_type([0, 1, 2], parity)
        cert = SteerableConv3d(t, t, 3).certificate()
        assert cert.status == "not applicable" and "checked numerically" in cert.reason, cert
    # a basis edited after construction, and templates that violate the constraint, are caught
    ft1 = so3_type([1])
    conv = SteerableConv3d(ft1, ft1, 3)
    with torch.no_grad():
        conv.basis = conv.basis + 0.1 * torch.randn_like(conv.basis)
    cert = conv.certificate()
    assert cert.status == "failed" and "basis buffer" in cert.reason, cert
    wrong = {(irrep(SO3(), 1), irrep(SO3(), 1), 1): torch.randn(1, 3, 3, 3, dtype=torch.float64).numpy()}
    assert template_residual(wrong, SO3())[0] > 0.1


# -- the convolution machinery in space ----------------------------------------------------------------
def layers_3d():
    G = Octahedral()
    t = so3_type([0, 1, 2])
    return {
        "lifting-O": LiftingConv3d.from_channels(G, 1, 2, 3, padding=1),
        "group-Oh": GroupConv3d.from_channels(FullOctahedral(), 1, 1, 3, padding=1, bias=False),
        "steerable-SO3": SteerableConv3d(t, t, 3, padding=1),
        "steerable-O3": SteerableConv3d(so3_type([0, 1], True), so3_type([1, 2], True), 3, padding=1),
        "group-I": GroupConv3d.from_channels(Icosahedral(), 1, 1, 3, padding=1),
    }


def test_export_is_a_plain_conv3d_with_the_same_outputs():
    for name, layer in layers_3d().items():
        conv = layer.export()
        assert type(conv) is nn.Conv3d and conv.kernel_size == (3, 3, 3), name
        x = torch.randn(2, layer.in_type.size, 5, 5, 5)
        torch.testing.assert_close(conv(x), layer(x), atol=1e-6, rtol=1e-5, msg=name)


def test_geometry_shapes_and_he_initialization_in_space():
    t = so3_type([0, 1])
    layer = SteerableConv3d(t, t, (3, 3, 3), stride=(1, 2, 2), padding=1, dilation=1)
    assert layer.spatial_dims == 3 and layer.stride == (1, 2, 2) and layer.padding == (1, 1, 1)
    w, b = layer.expand_filter()
    assert w.shape == (4, 4, 3, 3, 3) and b.shape == (4,)
    assert layer(torch.randn(1, 4, 6, 8, 8)).shape == (1, 4, 6, 4, 4)
    # He initialization: unit second moment through a ReLU for the index maps (fan_in = C_in k^3)
    G = Octahedral()
    conv = GroupConv3d.from_channels(G, 2, 2, 3, bias=False)
    assert conv.weight.std().item() == pytest.approx(math.sqrt(2 / (48 * 27)), rel=0.1)
    torch.manual_seed(0)
    x = torch.relu(torch.randn(4, 48, 9, 9, 9))
    m2 = float(conv(x).pow(2).mean() / (2 * x.pow(2).mean()))
    assert 0.5 < m2 < 2.0, m2
    # moved free filters (I) and a steerable basis (SO(3); l = 2 is out of the band of scalars on 3^3 kernels):
    # the closed form keeps ReLU inputs at unit scale
    # on average over draws (one draw's response to the input mean is a single Gaussian sum)
    for build in (
        lambda: GroupConv3d.from_channels(Icosahedral(), 1, 4, 3, bias=False),
        lambda: LiftingConv3d.from_channels(Icosahedral(), 4, 4, 3, bias=False),
        lambda: SteerableConv3d(so3_type([0] * 8), so3_type([0, 1] * 4), 3, bias=False),
    ):
        draws = []
        for seed in range(8):
            torch.manual_seed(seed)
            layer = build()
            x = torch.relu(torch.randn(2, layer.in_type.size, 7, 7, 7))
            draws.append(float(layer(x).pow(2).mean() / (2 * x.pow(2).mean())))
        assert 0.6 < sum(draws) / len(draws) < 1.6, (layer, draws)
    # frame bounds of the expanded filter on an 8^3 frequency grid
    lower, upper = conv.frame_bounds()
    assert lower is None and upper > 0


def test_state_dict_round_trip_and_refusal_across_groups():
    for name, layer in layers_3d().items():
        sd = copy.deepcopy(layer.state_dict())
        assert sd["_extra_state"]["layer"] == type(layer).__name__, name
        fresh = copy.deepcopy(layer)
        for p in fresh.parameters():
            nn.init.normal_(p)
        fresh.load_state_dict(sd)
        x = torch.randn(1, layer.in_type.size, 5, 5, 5)
        assert torch.equal(fresh(x), layer(x)), name
    # the same parameter shapes on another group: refused with both descriptions
    o, oh = (
        LiftingConv3d.from_channels(Octahedral(), 1, 1, 3),
        LiftingConv3d.from_channels(FullOctahedral(), 1, 1, 3),
    )
    assert o.weight.shape == oh.weight.shape
    with pytest.raises(RuntimeError, match="saved from another layer.*group: saved 'O', this layer 'Oh'"):
        oh.load_state_dict(o.state_dict())
    so3 = SteerableConv3d(so3_type([0]), so3_type([0]), 3)
    o3 = SteerableConv3d(so3_type([0], True), so3_type([0], True), 3)
    assert so3.weight.shape == o3.weight.shape
    with pytest.raises(RuntimeError, match="group: saved 'SO3', this layer 'O3'"):
        o3.load_state_dict(so3.state_dict())
    # a state dict without the description loads with a warning
    legacy = {k: v for k, v in so3.state_dict().items() if k != "_extra_state"}
    with pytest.warns(LegacyStateWarning):
        copy.deepcopy(so3).load_state_dict(legacy)


def test_gradcheck():
    for layer in [
        LiftingConv3d.from_channels(Octahedral(), 1, 1, 3, padding=1),
        GroupConv3d.from_channels(Icosahedral(), 1, 1, 3, padding=1),
        SteerableConv3d(so3_type([0, 1]), so3_type([1]), 3, padding=1),
    ]:
        layer = layer.double()
        x = torch.randn(1, layer.in_type.size, 3, 3, 3, dtype=torch.float64, requires_grad=True)
        w = layer.weight.detach().clone().requires_grad_(True)

        def fn(x, w, layer=layer):
            return torch.func.functional_call(layer, {"weight": w}, (x,))

        assert torch.autograd.gradcheck(fn, (x, w), fast_mode=True)


def test_torch_compile_of_a_small_steerable_layer():
    layer = SteerableConv3d(so3_type([0, 1]), so3_type([1]), 3, padding=1)
    assert_torch_compile(layer, torch.randn(1, 4, 4, 4, 4))


def test_projection_residual_in_space():
    """The distance of the expanded filter from the exactly equivariant kernels of the voxel grid: rounding
    for a layer of O, order one for a filter that ignores the constraint."""
    G = Octahedral()
    ft = FieldType(G, [regular(G), irrep(G, 3)])
    layer = SteerableConv3d(ft, ft, 3).double()
    assert layer.projection_residual() <= 1e-13
    plain = GroupConv3d.from_channels(G, 1, 1, 3)
    plain.weight_index = (
        torch.arange(plain.weight_index.numel()).reshape(plain.weight_index.shape) % plain.weight.numel()
    )
    assert plain.projection_residual() > 0.1


def test_identical_layers_share_their_plan():
    t = so3_type([0, 1, 2])
    a, b = SteerableConv3d(t, t, 3), SteerableConv3d(t, t, 3)
    assert a.expansion_plan is b.expansion_plan and a.expansion_plan.spatial_dims == 3
    assert a.basis.shape[-1] == 27


@pytest.mark.parametrize("G", [Octahedral(), FullOctahedral(), Icosahedral()], ids=str)
def test_steerable_layers_between_regular_fields_expand_moved_free_filters(G):
    """Between regular fields of a polyhedral group SteerableConv3d expands GroupConv3d's moved free
    filters: no dense basis, GroupConv3d's weight shape and outputs for equal weights, and the filter of
    the dense steerable basis (the plan's lifted expansion) for the same coefficients."""
    ft = FieldType(G, [regular(G)])
    layer = SteerableConv3d(ft, ft, 3, padding=1, bias=False).double()
    group = GroupConv3d(ft, ft, 3, padding=1, bias=False, basis="gaussian").double()
    assert layer.expansion_plan is None and "basis" not in dict(layer.named_buffers())
    assert layer.weight.shape == group.weight.shape
    with torch.no_grad():
        group.weight.copy_(torch.randn_like(group.weight))
        layer.weight.copy_(group.weight)
    x = torch.randn(1, ft.size, 5, 5, 5, dtype=torch.float64)
    torch.testing.assert_close(layer(x), group(x), rtol=0, atol=1e-13)
    # the dense basis of the plan, with the flat coefficients ordered (out field, in field, free filter, g)
    plan = expansion_plan(
        (regular(G),), (regular(G),), 1, 3, KernelSpec(warn=False), torch.float64, spatial_dims=3
    )
    holder = nn.Module()
    holder.kernel_size = 3
    dense = BasisExpansion(holder, plan).expand(holder, layer.weight.detach().transpose(2, 3).reshape(-1))
    torch.testing.assert_close(layer.filter()[0], dense, rtol=0, atol=1e-14)
    if G.order != 60:
        assert grid_equivariance_error(layer, x) <= 1e-10
        assert layer.certificate().status == "proved"
    else:
        assert layer.certificate().status == "not applicable"


def test_steerable_layer_between_regular_fields_of_ih_builds_and_keeps_its_bias():
    """The dense basis of two regular fields of Ih (120 x 120 entries per free filter and voxel) is never
    built; the bias is one learned value per regular field, constant over the group."""
    G = FullIcosahedral()
    ft = FieldType(G, [regular(G)])
    layer = SteerableConv3d(ft, ft, 3, padding=1)
    assert layer.weight.shape[:3] == (1, 1, 120) and layer.bias.shape == (1,)
    with torch.no_grad():
        layer.bias.fill_(2.0)
    _, b = layer.filter()
    torch.testing.assert_close(b, torch.full((120,), 2.0 / math.sqrt(120)))
    x = torch.randn(1, 120, 4, 4, 4)
    torch.testing.assert_close(layer.export()(x), layer(x))
    fresh = SteerableConv3d(ft, ft, 3, padding=1)
    fresh.load_state_dict(layer.state_dict())
    assert torch.equal(fresh(x), layer(x))


@pytest.mark.cuda
def test_cuda_matches_cpu():
    for name, layer in layers_3d().items():
        x = torch.randn(2, layer.in_type.size, 6, 6, 6)
        y = layer(x)
        moved = copy.deepcopy(layer).cuda()
        torch.testing.assert_close(moved(x.cuda()).cpu(), y, atol=1e-5, rtol=1e-4, msg=name)
