"""The equivariance checker is right by default: correct C4, C8, C16, D8, SO(2) and O(2) networks pass with
default arguments on random inputs in float32 and float64, and the same networks with one planted defect
fail at exactly that layer; on volumes the same for SO(3) fields (the cube rotations exact, sampled
rotations calibrated), O (every element exact) and I (twelve exact, the others calibrated)."""

from __future__ import annotations

import warnings

import pytest
import torch
import torch.nn.functional as F
from _verify_models import (
    TRIV,
    VOLUME_TYPE,
    Blur,
    CubeOnlyProjection,
    Mix,
    Planted,
    real_network,
    volume_input,
    volume_network,
)
from torch import nn

from groupconv.groups import O2, SO2, Cyclic, Dihedral
from groupconv.nn import (
    BlurPool2d,
    BlurPool3d,
    FieldType,
    GroupPooling,
    HomogeneousFourierConv,
    MaxPool2d,
    MaxPool3d,
    NormNonlinearity,
    NormPooling,
    ReLU,
    SteerableConv2d,
)
from groupconv.reps import irrep, regular
from groupconv.verify import certify, check_equivariance, default_tolerances

GROUPS = {"C4": Cyclic(4), "C8": Cyclic(8), "C16": Cyclic(16), "D8": Dihedral(8), "SO2": SO2(), "O2": O2()}


def _scalar(G):
    return irrep(G, 0) if isinstance(G, (Cyclic, SO2)) else irrep(G, 0, 0)


def _vector(G):
    return irrep(G, 1) if isinstance(G, (Cyclic, SO2)) else irrep(G, 1, 1)


def _network(G) -> nn.Sequential:
    """conv 5x5 -> nonlinearity -> strided pooling -> conv 3x3 -> pooling to invariants."""
    torch.manual_seed(0)
    t0 = FieldType(G, [_scalar(G)])
    if G.is_finite:
        h = FieldType(G, [regular(G)])
        return nn.Sequential(
            SteerableConv2d(t0, h, 5, padding=2),
            ReLU(h),
            MaxPool2d(h, 3, 2),
            SteerableConv2d(h, h, 3, padding=1),
            GroupPooling(h),
        )
    h = FieldType(G, [_scalar(G), _vector(G)])
    return nn.Sequential(
        SteerableConv2d(t0, h, 5, padding=2),
        NormNonlinearity(h),
        BlurPool2d(h, 2),
        SteerableConv2d(h, h, 3, padding=1),
        NormPooling(h),
    )


def _input(dtype=torch.float64, size=21):
    return torch.randn(1, 1, size, size, generator=torch.Generator().manual_seed(1), dtype=dtype)


# the planted-defect checks use a smaller grid and four Haar samples of SO(2) / O(2) (instead of the
# default 20) to stay fast; the correct networks are checked with the default arguments
FAST = {"n_samples": 4}


class _PerturbedConv(nn.Module):
    """A steerable convolution whose expanded filter is moved off its constraint by ``eps`` (relative
    Frobenius norm), in a random direction."""

    def __init__(self, conv: SteerableConv2d, eps: float):
        super().__init__()
        self.in_type, self.out_type = conv.in_type, conv.out_type
        w, b = conv.expand_filter()
        noise = torch.randn(w.shape, generator=torch.Generator().manual_seed(2), dtype=w.dtype)
        self.weight = nn.Parameter((w + eps * w.norm() * noise / noise.norm()).detach())
        self.bias = None if b is None else nn.Parameter(b.detach())
        self.padding = conv.padding

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, padding=self.padding)


class _PointwiseReLU(nn.Module):
    """An entrywise ReLU claiming to map its (non-permutation) field type to itself."""

    def __init__(self, field_type):
        super().__init__()
        self.in_type = self.out_type = field_type

    def forward(self, x):
        return torch.relu(x)


def _verdicts(report):
    return {(r.layer, r.tier): r.passed for r in report.rows}


@pytest.mark.parametrize("name", sorted(GROUPS))
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
def test_correct_networks_pass_with_default_arguments(name, dtype):
    G = GROUPS[name]
    report = check_equivariance(_network(G), _input(dtype), dtype=dtype)
    assert report.passed, report.to_text()
    assert report.info["dtype"] == str(dtype).replace("torch.", "")
    atol, rtol = default_tolerances(dtype)
    for row in report.rows:
        assert row.passed is not False
        if row.tier == "exact":
            # grid symmetries: rounding only, held to the dtype's tolerance
            assert row.max_rel_error <= rtol and f"rtol {rtol:g}" in row.reason
        else:
            assert row.tier == "approximate" and row.reason.startswith("calibrated: 8 x")
    tiers = {r.tier for r in report.rows}
    # C4 permutes the grid; every other group also has interpolated elements
    assert tiers == ({"exact"} if name == "C4" else {"exact", "approximate"})
    exact_counts = {r.elements_tried for r in report.rows if r.tier == "exact"}
    assert exact_counts == {{"C4": 4, "C8": 4, "C16": 4, "D8": 8, "SO2": 4, "O2": 8}[name]}


@pytest.mark.parametrize("name", sorted(GROUPS))
def test_a_filter_off_its_constraint_by_one_percent_fails_at_that_layer(name):
    G = GROUPS[name]
    net = _network(G)
    net[3] = _PerturbedConv(net[3], 0.01)
    report = check_equivariance(net, _input(size=17), **FAST)
    failed = {(r.layer, r.tier) for r in report.failures()}
    assert failed and {layer for layer, _ in failed} == {"3"}, report.to_text()
    exact = next(r for r in report.rows if r.layer == "3" and r.tier == "exact")
    # a 1% defect is ~1e-3 relative on the grid symmetries: eight orders above the float64 tolerance
    assert not exact.passed and exact.max_rel_error > 1e5 * exact.tolerance


@pytest.mark.parametrize("name", ["C4", "C8", "SO2"])
def test_an_untyped_plain_conv_is_a_row_and_a_warning_and_fails_on_request(name):
    G = GROUPS[name]
    net = _network(G)
    c = net[0].out_type.size
    torch.manual_seed(3)
    net.insert(3, nn.Conv2d(c, c, 3, padding=1))
    with pytest.warns(UserWarning, match=r"layer '3' \(Conv2d\) has no in_type/out_type"):
        report = check_equivariance(net, _input(size=17), **FAST)
    (row,) = [r for r in report.rows if r.layer == "3"]
    assert row.tier == "not checked" and row.passed is None and "not checked: no type" in row.reason
    assert row.max_abs_error is None and row.tolerance is None
    with pytest.warns(UserWarning):
        strict = check_equivariance(net, _input(size=17), untyped="fail", **FAST)
    assert [r.layer for r in strict.failures()] == ["3"]


@pytest.mark.parametrize("name", sorted(GROUPS))
def test_a_pointwise_relu_on_vector_fields_fails_at_that_layer(name):
    G = GROUPS[name]
    torch.manual_seed(0)
    t0 = FieldType(G, [_scalar(G)])
    vectors = FieldType(G, [_vector(G)] * 2)
    net = nn.Sequential(
        SteerableConv2d(t0, vectors, 5, padding=2),
        _PointwiseReLU(vectors),
        SteerableConv2d(vectors, t0, 3, padding=1),
    )
    report = check_equivariance(net, _input(size=17), **FAST)
    assert {r.layer for r in report.failures()} == {"1"}, report.to_text()
    exact = next(r for r in report.rows if r.layer == "1" and r.tier == "exact")
    # a ReLU does not commute with the rotation of a vector by 90 degrees: an error of order 1
    assert not exact.passed and exact.max_rel_error > 0.1


def test_a_c8_filter_that_keeps_only_the_c4_constraint_fails_the_approximate_tier():
    """The grid symmetries cannot see a defect that only the 45-degree rotations break; the calibrated
    tier does, when it is large against the interpolation error (here half the filter's norm)."""
    G = Cyclic(8)
    torch.manual_seed(0)
    t0, h = FieldType(G, [_scalar(G)]), FieldType(G, [regular(G)])
    conv = SteerableConv2d(h, h, 5, padding=2).double()
    w, _ = conv.expand_filter()
    noise = torch.randn(w.shape, generator=torch.Generator().manual_seed(2), dtype=w.dtype)
    r = h.representation(torch.as_tensor(2), dtype=w.dtype)  # the rotation by 90 degrees

    def quarter_turn(k):
        # the action of the 90-degree rotation on a filter: the layer's filters are its fixed points
        return torch.einsum("co,cdhw,de->oehw", r, torch.rot90(k, -1, dims=(-2, -1)), r)

    assert torch.allclose(quarter_turn(w), w, atol=1e-12)
    # the average of the noise over C4: C4-equivariant, not C8-equivariant
    sym, k = torch.zeros_like(noise), noise
    for _ in range(4):
        sym, k = sym + k, quarter_turn(k)
    broken = _PerturbedConv(conv, 0.0)
    with torch.no_grad():
        broken.weight.copy_(w + 0.5 * w.norm() * sym / sym.norm())
    net = nn.Sequential(SteerableConv2d(t0, h, 5, padding=2), broken)
    report = check_equivariance(net, torch.randn(1, 1, 29, 29, generator=torch.Generator().manual_seed(1)))
    verdicts = _verdicts(report)
    assert verdicts[("1", "exact")] is True  # the C4 part of the constraint holds
    assert verdicts[("1", "approximate")] is False and verdicts[("0", "approximate")] is True
    assert [r.layer for r in report.failures()] == ["1"]
    row = next(r for r in report.rows if r.layer == "1" and r.tier == "approximate")
    assert row.max_rel_error > 1.5 * row.tolerance


def test_the_tolerance_follows_the_dtype_in_every_entry_point():
    from groupconv.cli import build_parser
    from groupconv.testing import assert_equivariant

    G = Cyclic(4)
    net = _network(G)[:2]
    x = torch.randn(1, 1, 9, 9)
    for dtype in (torch.float64, torch.float32):
        atol, rtol = default_tolerances(dtype)
        rows = check_equivariance(net, x, dtype=dtype).rows
        assert all(r.reason == f"{str(dtype)[6:]} floor: atol {atol:g} + rtol {rtol:g}" for r in rows)
        assert [r.tolerance for r in assert_equivariant(net, x, dtype=dtype).rows] == [
            r.tolerance for r in rows
        ]
    args = build_parser().parse_args(["verify", "torch.nn:Identity"])
    assert args.atol is None and args.rtol is None  # the CLI leaves them to default_tolerances
    assert (
        build_parser().parse_args(["verify", "torch.nn:Identity", "--dtype", "bfloat16"]).dtype == "bfloat16"
    )
    assert default_tolerances(torch.float16)[1] >= 1e-2 and default_tolerances(torch.bfloat16)[1] >= 1e-2


def test_a_correct_lifting_layer_passes_in_float32_with_default_arguments():
    from groupconv.nn import GroupConv2d, LiftingConv2d

    G = Dihedral(4)
    torch.manual_seed(0)
    lift = LiftingConv2d.from_channels(G, 1, 4, 5, padding=2)
    net = nn.Sequential(lift, ReLU(lift.out_type), GroupConv2d.from_channels(G, 4, 4, 3, padding=1))
    report = check_equivariance(net, torch.randn(2, 1, 17, 17), dtype=torch.float32)
    assert report.passed and all(0 < r.max_rel_error < 1e-5 for r in report.rows if r.layer != "1")


def test_a_bfloat16_check_uses_the_bfloat16_tolerance():
    G = Cyclic(4)
    net = _network(G)[:2]
    report = check_equivariance(net, torch.randn(1, 1, 9, 9), dtype=torch.bfloat16)
    assert report.passed and report.info["dtype"] == "bfloat16"
    assert all("bfloat16 floor" in r.reason for r in report.rows)


def test_a_model_without_any_typed_layer_is_an_error_not_a_pass():
    net = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU())
    with pytest.raises(ValueError, match="no layer with in_type/out_type, so nothing can be checked"):
        check_equivariance(net, torch.randn(1, 1, 9, 9))


def test_untyped_layers_inside_a_typed_model_are_covered_by_the_model_rows():
    G = Dihedral(4)
    t = FieldType(G, [regular(G)])

    class Typed(nn.Module):
        def __init__(self):
            super().__init__()
            self.in_type = self.out_type = t
            self.inner = nn.ReLU()  # untyped, but the model's own rows check it

        def forward(self, x):
            return self.inner(x)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = check_equivariance(Typed(), torch.randn(1, 8, 7, 7))
    assert report.passed and [r.layer for r in report.rows] == ["(model)"]


def test_planted_layer_is_reported_at_that_layer_only():
    net = nn.Sequential(Mix(), Blur(), Planted(), Mix(), Blur())
    report = check_equivariance(net, torch.randn(2, 8, 7, 7))
    assert [r.passed for r in report.rows] == [True, True, False, True, True]
    assert report.first_failure().layer == "2"
    assert all(r.elements_tried == 8 for r in report.rows)
    assert report.rows[0].max_abs_error < 1e-12 and report.rows[2].max_rel_error > 0.1
    assert "worst element" in report.rows[2].note


def test_plain_torch_modules_with_given_types():
    net = nn.Sequential(nn.Conv2d(1, 1, 3, padding=1, bias=False), nn.ReLU())
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[0.0, 1.0, 0.0], [1.0, 2.0, 1.0], [0.0, 1.0, 0.0]]))
    report = check_equivariance(net, torch.randn(2, 1, 6, 6), types={"0": (TRIV, TRIV), "1": (TRIV, TRIV)})
    assert report.passed and len(report.rows) == 2
    with torch.no_grad():
        net[0].weight[0, 0, 0, 0] = 0.3  # breaks the D4 symmetry of the stencil
    report = check_equivariance(net, torch.randn(2, 1, 6, 6), types={"0": (TRIV, TRIV), "1": (TRIV, TRIV)})
    assert [r.passed for r in report.rows] == [False, True]
    with pytest.raises(ValueError, match="no layer with in_type"):
        check_equivariance(net, torch.randn(2, 1, 6, 6))
    with pytest.raises(ValueError, match="does not have"):
        check_equivariance(net, torch.randn(2, 1, 6, 6), types={"7": (TRIV, TRIV)})


def test_float32_model_is_checked_in_float64_without_changing_it():
    net = nn.Sequential(Mix(), Blur())
    check_equivariance(net, torch.randn(1, 8, 5, 5))
    assert net[0].scale.dtype == torch.float32


def test_so2_layer_on_a_plain_module_with_representation_types():
    G = SO2()
    rho = irrep(G, 1)

    class Rotor(nn.Module):
        # a linear map on R^2 commuting with rotations: a R(phi), complex multiplication
        def forward(self, x):
            return torch.stack([2 * x[..., 0] - x[..., 1], x[..., 0] + 2 * x[..., 1]], -1)

    class Skew(nn.Module):
        def forward(self, x):
            return x * torch.tensor([1.0, 2.0], dtype=x.dtype)

    net = nn.Sequential(Rotor(), Skew())
    x = torch.randn(5, 2)
    report = check_equivariance(net, x, types={"0": (rho, rho), "1": (rho, rho)})
    assert [r.passed for r in report.rows] == [True, False]
    assert report.rows[0].elements_tried == 24 and report.rows[0].max_abs_error < 1e-12
    assert report.rows[0].group == "SO2"
    f32 = check_equivariance(net, x, types={"0": (rho, rho)}, dtype=torch.float32, atol=0, rtol=1e-5)
    assert f32.passed and f32.rows[0].max_rel_error < 1e-5 and f32.info["dtype"] == "float32"


def test_equivariance_check_is_silent_off_a_terminal(capsys):
    G = Dihedral(4)
    reg = FieldType(G, [regular(G)])

    class Id(nn.Module):
        in_type = out_type = reg

        def forward(self, x):
            return x

    check_equivariance(Id(), torch.randn(1, 8, 3, 3))
    assert capsys.readouterr().err == ""


@pytest.mark.cuda
def test_equivariance_check_on_cuda_matches_cpu():
    G = Dihedral(4)
    reg = FieldType(G, [regular(G)])

    class Mean(nn.Module):
        def __init__(self):
            super().__init__()
            self.in_type = self.out_type = reg
            self.w = nn.Parameter(torch.tensor(0.5))

        def forward(self, x):
            return x + self.w * x.mean(1, keepdim=True)

    x = torch.randn(2, 8, 5, 5)
    cpu = check_equivariance(Mean(), x)
    gpu = check_equivariance(Mean().cuda(), x)
    assert gpu.info["device"].startswith("cuda") and gpu.passed and cpu.passed


def test_planted_layer_among_real_layers_is_reported_there_only():
    x = torch.randn(2, 1, 9, 9)
    good = check_equivariance(real_network(False), x)
    assert good.passed and max(r.max_abs_error for r in good.rows) < 1e-10
    bad = check_equivariance(real_network(True), x)
    assert [r.passed for r in bad.rows] == [True, True, True, False, True]
    assert bad.first_failure().layer == "3" and bad.first_failure().kind == "PlantedMixer"
    f32 = check_equivariance(real_network(False), x, dtype=torch.float32, atol=0, rtol=1e-5)
    assert f32.passed and max(r.max_rel_error for r in f32.rows) < 1e-5


def test_fourier_domain_group_convolutions_are_checked_and_certified():
    G3 = Dihedral(3)
    torch.manual_seed(0)
    a, b = HomogeneousFourierConv(G3, 2, 3), HomogeneousFourierConv(G3, 3, 1)

    class Shift(nn.Module):
        """Claims functions on D3 in and out, but shifts the element axis (not a left action)."""

        def __init__(self, t):
            super().__init__()
            self.in_type = self.out_type = t

        def forward(self, x):
            return torch.roll(x, 1, dims=-1)

    net = nn.Sequential(a, Shift(a.out_type), b)
    x = torch.randn(4, 2, G3.order)
    report = check_equivariance(net, x)
    assert [r.passed for r in report.rows] == [True, False, True]
    assert report.rows[0].elements_tried == 6 and report.rows[0].max_abs_error < 1e-12
    cert = certify(net)
    assert [r.status for r in cert.rows] == ["proved", "not applicable", "proved"]


def test_so2_steerable_conv_rows_show_the_exact_and_the_approximate_tier():
    G2 = SO2()
    t_in = FieldType(G2, [irrep(G2, 0)])
    t_out = FieldType(G2, [irrep(G2, 0), irrep(G2, 1)])
    torch.manual_seed(0)
    conv = SteerableConv2d(t_in, t_out, 5, padding=2)
    x = torch.randn(1, 1, 17, 17, generator=torch.Generator().manual_seed(0))
    report = check_equivariance(nn.Sequential(conv), x)  # default arguments
    exact, approx = report.rows
    # rotations by 90 degrees permute the grid: rounding only, at the float64 tolerance
    assert exact.tier == "exact" and exact.elements_tried == 4 and exact.passed
    assert exact.max_rel_error < 1e-12 and "float64 floor" in exact.reason
    # the 20 Haar samples interpolate: band-limited input, calibrated tolerance
    assert approx.tier == "approximate" and approx.elements_tried == 20 and approx.passed is True
    assert approx.group == "SO2" and approx.reason.startswith("calibrated: 8 x the action's own error")
    # conclusive: the calibrated tolerance stays below half the output's maximum
    assert 1e-12 < approx.max_rel_error <= approx.tolerance < 0.5


# -- volumes ---------------------------------------------------------------------------------------------------
def test_a_correct_volume_network_passes_with_default_arguments():
    """SO(3) fields on 9^3 volumes: the 24 cube rotations are exact (rounding only); the sampled rotations
    are interpolated, and on so small a grid the calibrated tier says it cannot decide rather than pass."""
    report = check_equivariance(volume_network(), volume_input()[:1])
    assert report.passed, report.to_text()
    for row in report.rows:
        if row.tier == "exact":
            assert row.passed and row.elements_tried == 24 and row.max_rel_error <= 1e-10
        else:
            assert row.tier == "approximate" and row.elements_tried == 20 and row.passed is not False


def test_a_perturbed_stencil_in_a_volume_network_is_named_at_its_layer():
    report = check_equivariance(volume_network(planted=True), volume_input()[:1], n_samples=2)
    failed = {(r.layer, r.tier) for r in report.failures()}
    assert failed == {("3", "exact")}, report.to_text()
    row = next(r for r in report.rows if r.layer == "3" and r.tier == "exact")
    assert row.max_rel_error > 1e-3 and "worst element" in row.note


def test_volume_float32_checks_hold_the_float32_tolerance():
    report = check_equivariance(
        volume_network(), volume_input(dtype=torch.float32)[:1], dtype=torch.float32, n_samples=2
    )
    assert report.passed and report.info["dtype"] == "float32"
    assert (
        max(r.max_rel_error for r in report.rows if r.tier == "exact") <= default_tolerances(torch.float32)[1]
    )


def test_the_approximate_tier_on_volumes_passes_a_correct_layer_and_fails_one_only_cube_symmetric():
    """A projection of l = 2 fields onto their E component under O commutes with the cube rotations but
    with no other rotation: only the calibrated tier, on a band-limited 15^3 volume, sees it; a norm
    nonlinearity passes it conclusively."""
    G = VOLUME_TYPE.group
    fields = FieldType(G, [irrep(G, 2)] * 2)
    net = nn.Sequential(NormNonlinearity(fields, spatial_dims=3), CubeOnlyProjection(fields))
    x = torch.randn(1, 10, 15, 15, 15, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    report = check_equivariance(net, x, n_samples=3)
    assert _verdicts(report) == {
        ("0", "exact"): True,
        ("0", "approximate"): True,
        ("1", "exact"): True,
        ("1", "approximate"): False,
    }, report.to_text()


def test_finite_groups_on_volumes_every_element_exact_for_o_and_twelve_of_i():
    from groupconv.groups import Icosahedral, Octahedral

    O = Octahedral()
    reg = FieldType(O, [regular(O)])
    net = nn.Sequential(ReLU(reg, spatial_dims=3), MaxPool3d(reg), GroupPooling(reg, spatial_dims=3))
    report = check_equivariance(net, torch.randn(1, 24, 5, 5, 5))
    assert report.passed and {(r.tier, r.elements_tried) for r in report.rows} == {("exact", 24)}
    ico = Icosahedral()
    scalars = FieldType(ico, [irrep(ico, 0)] * 2)
    report = check_equivariance(nn.Sequential(BlurPool3d(scalars, stride=1)), torch.randn(1, 2, 7, 7, 7))
    assert {(r.tier, r.elements_tried) for r in report.rows} == {("exact", 12), ("approximate", 48)}
    assert report.passed


def test_a_steerable_3d_network_passes_and_a_perturbed_filter_entry_is_named():
    from _verify_models import conv3d_network

    x = torch.randn(1, 1, 9, 9, 9, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    report = check_equivariance(conv3d_network(), x, n_samples=2)
    assert report.passed, report.to_text()
    assert max(r.max_rel_error for r in report.rows if r.tier == "exact") <= 1e-10
    planted = check_equivariance(conv3d_network(planted=True), x, n_samples=2)
    assert {(r.layer, r.tier) for r in planted.failures()} == {("3", "exact")}, planted.to_text()
    assert certify(conv3d_network()).passed


@pytest.mark.cuda
def test_the_volume_checker_and_rotations_on_cuda_match_cpu():
    """Voxel permutations, cubic resampling (also the checker's sparse one) and the 3D layers on CUDA."""
    from groupconv.nn import rotate_field

    G = VOLUME_TYPE.group
    x = volume_input()[:1]
    rs = G.sample(2, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(
        rotate_field(x.cuda(), VOLUME_TYPE, rs.cuda()).cpu(), rotate_field(x, VOLUME_TYPE, rs)
    )
    cpu = check_equivariance(volume_network(), x, n_samples=2)
    gpu = check_equivariance(volume_network().cuda(), x, n_samples=2)
    assert gpu.info["device"].startswith("cuda") and gpu.passed == cpu.passed
    for a, b in zip(cpu.rows, gpu.rows):
        assert (a.layer, a.tier, a.passed) == (b.layer, b.tier, b.passed)
