"""The verification tools on groupconv's own image layers: a planted layer is found where it is, a
perturbed basis element fails the certificate."""

from __future__ import annotations

import torch
from torch import nn

from groupconv.groups import Dihedral
from groupconv.nn import FieldType, GroupConv2d, LiftingConv2d, SteerableConv2d
from groupconv.reps import irrep, regular
from groupconv.verify import certify, check_energy, check_equivariance, verify_model

G = Dihedral(4)


class TypedReLU(nn.ReLU):
    def __init__(self, field_type):
        super().__init__()
        self.in_type = self.out_type = field_type


class Planted(nn.Module):
    """Claims to map regular fields to regular fields but mixes only the first two group channels."""

    def __init__(self, field_type):
        super().__init__()
        self.in_type = self.out_type = field_type

    def forward(self, x):
        y = x.clone()
        y[:, 0] = x[:, 0] + 0.5 * x[:, 1]
        return y


def _network(planted: bool):
    torch.manual_seed(0)
    lift = LiftingConv2d(G, 1, 2, 3, padding=1, bias=False)
    conv1 = GroupConv2d(G, 2, 2, 3, padding=1, bias=False)
    conv2 = GroupConv2d(G, 2, 2, 3, padding=1, bias=False)
    middle = Planted(conv1.out_type) if planted else TypedReLU(conv1.out_type)
    return nn.Sequential(lift, TypedReLU(lift.out_type), conv1, middle, conv2)


def test_planted_layer_among_real_layers_is_reported_there_only():
    x = torch.randn(2, 1, 9, 9)
    good = check_equivariance(_network(False), x)
    assert good.passed and max(r.max_abs_error for r in good.rows) < 1e-10
    bad = check_equivariance(_network(True), x)
    assert [r.passed for r in bad.rows] == [True, True, True, False, True]
    assert bad.first_failure().layer == "3" and bad.first_failure().kind == "Planted"
    f32 = check_equivariance(_network(False), x, dtype=torch.float32, atol=0, rtol=1e-5)
    assert f32.passed and max(r.max_rel_error for r in f32.rows) < 1e-5


def test_energy_bounds_of_bias_free_convolutions_hold_and_an_expansion_fails():
    x = torch.randn(2, 1, 9, 9)
    net = _network(False)
    report = check_energy(net, x)
    rows = {r.layer: r for r in report.rows}
    assert rows["0"].upper_bound is not None and rows["0"].passed and rows["0"].ratio <= rows["0"].upper_bound

    class Expanding(nn.Module):
        def __init__(self, field_type):
            super().__init__()
            self.in_type = self.out_type = field_type

        def frame_bounds(self):
            return 0.0, 1.0  # claims to be a contraction

        def forward(self, u):
            return 1.2 * u

    net.append(Expanding(net[-1].out_type))
    report = check_energy(net, x)
    assert report.first_failure().layer == "5" and [r.layer for r in report.failures()] == ["5"]


def test_perturbed_basis_element_of_a_steerable_conv_fails_the_certificate():
    t_in = FieldType(G, [regular(G)])
    t_out = FieldType(G, [irrep(G, 1, 1), irrep(G, 0, 0)])
    conv = SteerableConv2d(t_in, t_out, 3, padding=1, basis="exact")
    report = certify(nn.Sequential(conv))
    assert report.rows[0].status == "proved", report.rows[0].reason
    with torch.no_grad():
        conv.basis[0, 0, 0, 0, 0, 4] += 0.5  # one entry of one basis element
    row = certify(nn.Sequential(conv)).rows[0]
    assert row.status == "failed" and row.residual > 1e-6
    # the numerical check sees it as well, at that layer
    eq = check_equivariance(nn.Sequential(conv), torch.randn(1, 8, 7, 7))
    assert not eq.passed


def test_verify_model_on_real_layers():
    report = verify_model(_network(False), torch.randn(1, 1, 9, 9))
    assert report.passed
    assert [r.status for r in report.certificates.rows if r.kind.endswith("Conv2d")] == ["proved"] * 3


def test_fourier_domain_group_convolutions_are_checked_and_certified():
    from groupconv.groups import Dihedral as D
    from groupconv.nn import HomogeneousFourierConv

    G3 = D(3)
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
    from groupconv.groups import SO2

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
