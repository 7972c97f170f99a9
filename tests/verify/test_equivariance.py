"""The equivariance checker is right by default: correct C4, C8, C16, D8, SO(2) and O(2) networks pass with
default arguments on random inputs in float32 and float64, and the same networks with one planted defect
fail at exactly that layer."""

from __future__ import annotations

import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from groupconv.groups import O2, SO2, Cyclic, Dihedral
from groupconv.nn import (
    BlurPool2d,
    FieldType,
    GroupPooling,
    MaxPool2d,
    NormNonlinearity,
    NormPooling,
    ReLU,
    SteerableConv2d,
)
from groupconv.reps import irrep, regular
from groupconv.verify import check_equivariance, default_tolerances

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
    lift = LiftingConv2d(G, 1, 4, 5, padding=2)
    net = nn.Sequential(lift, ReLU(lift.out_type), GroupConv2d(G, 4, 4, 3, padding=1))
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
