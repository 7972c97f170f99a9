"""Steerable convolutions (groupconv.nn.conv.steerable): exact equivariance on the grid, interpolated
equivariance for the other groups, the bias, certificates, and the basis given as a KernelSpec."""

from __future__ import annotations

import warnings

import pytest
import torch
from _conv_cases import all_layers, disc, equivariance_error, grid_layers, identity, mixed_type, smooth_field
from torch import nn

from groupconv.groups import O2, SO2, Cyclic, Dihedral
from groupconv.kernels import KernelSpec, ZeroBlockWarning
from groupconv.nn import Certificate, FieldType, GroupConv2d, LiftingConv2d, SteerableConv2d, rotate_field
from groupconv.reps import irrep, regular, trivial
from groupconv.verify.certify import certify

pytestmark = pytest.mark.filterwarnings("ignore:kernel basis")


@pytest.mark.parametrize("G", [Cyclic(4), Dihedral(4)], ids=str)
def test_exact_equivariance_on_the_grid_float64_and_float32(G):
    torch.manual_seed(0)
    for name, layer in grid_layers(G).items():
        x = torch.randn(1, layer.in_type.size, 9, 9, dtype=torch.float64)
        err, scale = equivariance_error(layer.double(), x)
        assert err <= 1e-10, (name, err)
        err, scale = equivariance_error(layer.float(), x.float())
        assert err / scale <= 1e-5, (name, err / scale)


def _continuous_cases():
    s, o, c8, d8 = SO2(), O2(), Cyclic(8), Dihedral(8)
    return [
        (
            "SO2",
            FieldType(s, [irrep(s, 0), irrep(s, 1)]),
            FieldType(s, [irrep(s, 0), irrep(s, 1), irrep(s, 2)]),
        ),
        (
            "O2",
            FieldType(o, [irrep(o, 0, 0), irrep(o, 1, 1)]),
            FieldType(o, [irrep(o, 1, 0), irrep(o, 1, 1), irrep(o, 1, 2)]),
        ),
        ("C8", FieldType(c8, [trivial(c8)]), FieldType(c8, [regular(c8)])),
        ("D8", FieldType(d8, [regular(d8)]), FieldType(d8, [regular(d8)])),
    ]


# Interpolated rotations: inputs are Gaussian blobs of std 4 px evaluated exactly on rotated coordinates;
# outputs are rotated by Keys-cubic interpolation and compared inside the inscribed disc. The measured
# relative errors are about 1e-3 (Gaussian rings) and 3e-3 to 3e-2 (Fourier-Bessel, whose radial parts
# are cut at the disc of radius k/2 and sampled anisotropically on the square grid).
TOL = {"gaussian": 5e-3, "bessel": 5e-2}


@pytest.mark.parametrize("case", _continuous_cases(), ids=lambda c: c[0])
@pytest.mark.parametrize("basis", ["gaussian", "bessel"])
def test_interpolated_equivariance_for_other_groups(case, basis):
    _, fin, fout = case
    G = fin.group
    torch.manual_seed(0)
    conv = SteerableConv2d(fin, fout, 5, padding=2, basis=basis).double()
    x = smooth_field(fin, identity(G))
    m = disc(33)
    gs = G.elements()[1::2] if G.is_finite else G.sample(6, generator=torch.Generator().manual_seed(3))
    worst = 0.0
    with torch.no_grad():
        y = conv(x)
        for g in gs:
            err = (conv(smooth_field(fin, g)) - rotate_field(y, fout, g))[..., m].abs().max()
            worst = max(worst, float(err / y[..., m].abs().max()))
    assert worst <= TOL[basis], worst


def test_bias_only_on_trivial_irreps():
    D = Dihedral(4)
    no_trivial = SteerableConv2d(FieldType(D, [regular(D)]), FieldType(D, [irrep(D, 1, 1)] * 2), 3)
    assert no_trivial.bias is None
    layer = SteerableConv2d(FieldType(D, [regular(D)]), FieldType(D, [regular(D), irrep(D, 1, 1)]), 3)
    assert layer.bias.numel() == 1
    with torch.no_grad():
        layer.bias.fill_(1.0)
    b = layer.expand_filter()[1]
    assert torch.allclose(b[:8], b[:8].mean().expand(8)) and b[8:].abs().max() == 0
    # the bias map is a derived buffer: rebuilt from its float64 master on every cast
    assert torch.equal(layer.double().bias_map, layer.derived_master("bias_map"))


def test_certificates():
    D = Dihedral(4)
    reg = FieldType(D, [regular(D)] * 2)
    layers = {
        "lift": LiftingConv2d.from_channels(D, 1, 2, 5),
        "group": GroupConv2d.from_channels(D, 2, 2, 3),
        "steer": SteerableConv2d(reg, mixed_type(D), 5),
        "exact": SteerableConv2d(mixed_type(D), reg, 3, basis="exact"),
        "c8": GroupConv2d.from_channels(Cyclic(8), 1, 1, 5),
        "so2": all_layers()["steerable-SO2"],
    }
    report = certify(nn.ModuleDict(layers))
    assert all(r.status == "proved" for r in report.rows), report.to_text()
    assert all(isinstance(m.certificate(), Certificate) for m in layers.values())
    broken = layers["steer"]
    broken.basis = broken.basis.clone()  # identical layers share the basis buffer
    broken.basis[0, 0, 0, 0, 0, 0] += 0.5
    if broken._expansion.factor is not None or broken._expansion.lift is not None:
        # the expansion reads factors derived from the basis: an edited basis no longer matches them
        cert = broken.certificate()
        assert cert.status == "failed" and "edited after construction" in cert.reason
        broken.double()  # derives the factors of the edited basis
    cert = broken.certificate()
    assert cert.status == "failed" and cert.residual > 1e-3
    # a lifted basis (regular fields of C8): proved through the harmonic templates and the equal span; a
    # buffer moved out of that span fails
    assert "lifted" in report.rows[list(layers).index("c8")].reason
    lifted = GroupConv2d.from_channels(Cyclic(8), 2, 2, 5)
    assert lifted.certificate().status == "proved"
    lifted.basis = lifted.basis.clone()
    with torch.no_grad():
        lifted.basis[0, 0, 0, 0, 1, 0] += 0.5
    cert = lifted.certificate()
    assert cert.status == "failed" and "edited after construction" in cert.reason
    lifted.double()  # the factors of the edited basis: none, the layer expands with the dense basis
    cert = lifted.certificate()
    assert cert.status == "failed" and "leave the harmonic span" in cert.reason


def test_a_kernel_spec_builds_the_layer_its_keywords_build():
    o = O2()
    t_in = FieldType(o, [irrep(o, 0, 0), irrep(o, 1, 1)])
    t_out = FieldType(o, [irrep(o, 1, 1), irrep(o, 1, 2)])
    spec = KernelSpec(rings=(0.0, 1.0, 2.0), width=0.6, max_frequency=2)
    torch.manual_seed(0)
    typed = SteerableConv2d(t_in, t_out, 5, padding=2, basis=spec)
    torch.manual_seed(0)
    keywords = SteerableConv2d(t_in, t_out, 5, padding=2, rings=(0, 1, 2), width=0.6, max_frequency=2)
    assert typed.expansion_plan.spec == keywords.expansion_plan.spec == spec
    assert torch.equal(typed.weight, keywords.weight) and torch.equal(typed.basis, keywords.basis)
    x = torch.randn(1, t_in.size, 9, 9)
    assert torch.equal(typed(x), keywords(x))
    assert typed.basis_kind == "gaussian"
    assert typed.state_description()["basis_options"] == spec.to_options()
    # the former name of the ring width still works, with a DeprecationWarning
    torch.manual_seed(0)
    with pytest.warns(DeprecationWarning, match="width"):
        old = SteerableConv2d(t_in, t_out, 5, padding=2, rings=(0, 1, 2), sigma=0.6, max_frequency=2)
    assert torch.equal(old.basis, keywords.basis) and torch.equal(old.weight, keywords.weight)
    # a Fourier-Bessel spec; options both in a spec and as keywords are refused
    bessel = SteerableConv2d(t_in, t_out, 5, basis=KernelSpec(profile="bessel"))
    assert bessel.basis_kind == "bessel"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert torch.equal(bessel.basis, SteerableConv2d(t_in, t_out, 5, basis="bessel").basis)
    with pytest.raises(TypeError, match="in the KernelSpec or as keywords, not both"):
        SteerableConv2d(t_in, t_out, 5, basis=spec, max_frequency=1)
    with pytest.raises(ValueError, match="basis must be 'gaussian', 'bessel', 'exact' or a KernelSpec"):
        SteerableConv2d(t_in, t_out, 5, basis="fourier")


def test_a_c8_network_reports_each_zero_block_once_at_the_users_line():
    C8 = Cyclic(8)
    t0, reg = FieldType(C8, [trivial(C8)]), FieldType(C8, [regular(C8)] * 16)
    # a band of its own, so that no basis is cached from another test
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        SteerableConv2d(t0, reg, 5, padding=2, width=0.57)
        SteerableConv2d(reg, reg, 5, padding=2, width=0.57)
        SteerableConv2d(reg, reg, 5, padding=2, width=0.57)
    assert [w.category for w in caught] == [ZeroBlockWarning, ZeroBlockWarning]
    assert all(w.filename == __file__ for w in caught)
    assert "irrep(0) -> irrep(3)" in str(caught[0].message)
    assert "irrep(3) -> irrep(0)" in str(caught[1].message) and "irrep(0) -> irrep(3)" not in str(
        caught[1].message
    )
    # the bases of all the pairs of fields of one layer give one warning
    mixed = FieldType(C8, [trivial(C8), regular(C8)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        SteerableConv2d(mixed, reg, 5, padding=2, width=0.56)
    assert len(caught) == 1 and caught[0].filename == __file__
    assert "irrep(0) -> irrep(3)" in str(caught[0].message) and "irrep(3) -> irrep(0)" in str(
        caught[0].message
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        SteerableConv2d(reg, reg, 5, padding=2, width=0.58, warn=False)
        SteerableConv2d(reg, reg, 5, padding=2, basis=KernelSpec(width=0.59, warn=False))
    assert not caught


def test_list_valued_basis_options_build_the_layer_of_the_tuples():
    C8 = Cyclic(8)
    ft = FieldType(C8, [regular(C8)] * 2)
    ref = SteerableConv2d(
        ft, ft, 5, rings=(0, 1, 2), width=(0.6, 0.6, 0.4), frequency_cutoff=(0, 1, 1), warn=False
    )
    conv = SteerableConv2d(
        ft, ft, 5, rings=[0, 1, 2], width=[0.6, 0.6, 0.4], frequency_cutoff=[0, 1, 1], warn=False
    )
    assert conv.weight.numel() == ref.weight.numel()
    torch.manual_seed(0)
    conv.weight.data.normal_()
    ref.weight.data.copy_(conv.weight.data)
    assert torch.equal(conv.expand_filter()[0], ref.expand_filter()[0])
    with pytest.warns(DeprecationWarning, match="sigma"):
        old = SteerableConv2d(ft, ft, 5, sigma=[0.6, 0.6, 0.4], warn=False)
    assert old.weight.numel() == SteerableConv2d(ft, ft, 5, width=(0.6, 0.6, 0.4), warn=False).weight.numel()
    assert KernelSpec(rings=[0, 1, 2], width=[0.6, 0.6, 0.4], frequency_cutoff=[0, 1, 1]) == KernelSpec(
        rings=(0.0, 1.0, 2.0), width=(0.6, 0.6, 0.4), frequency_cutoff=(0, 1, 1)
    )
