"""Radial profiles and frequency cutoffs: the default rings, widths and cutoff policy, the rate, callable
and table cutoffs, the deprecated sigma keyword, and the Fourier-Bessel profiles."""

from __future__ import annotations

import math

import numpy as np
import pytest

from groupconv.kernels import KernelSpec, gaussian_rings, polar_grid
from groupconv.kernels.radial import default_cutoff, escnn_cutoff, radial_profiles, ring_cutoffs


def test_default_rings_and_widths():
    radii, widths = gaussian_rings(7)
    assert radii.tolist() == [0.0, 1.0, 2.0, 3.0] and widths.tolist() == [0.6, 0.6, 0.6, 0.4]
    radii, widths = gaussian_rings(5, rings=[0.5, 1.5], width=[0.3, 0.2])
    assert radii.tolist() == [0.5, 1.5] and widths.tolist() == [0.3, 0.2]
    with pytest.raises(ValueError, match="positive"):
        gaussian_rings(5, width=0.0)
    with pytest.raises(ValueError, match="2 ring widths for 3 rings"):
        gaussian_rings(5, width=[0.3, 0.2])


def test_sigma_is_the_deprecated_name_of_the_width():
    with pytest.warns(DeprecationWarning, match="'sigma' is deprecated, use 'width'"):
        radii, widths = gaussian_rings(5, sigma=0.5)
    assert widths.tolist() == [0.5, 0.5, 0.5]


def test_the_cutoff_policies():
    radii = np.array([0.0, 1.0, 2.0, 3.0])
    # default: 0 at the centre, 1 on the outermost ring, floor(2 r) in between
    assert ring_cutoffs(KernelSpec(), radii) == [0, 2, 4, 1]
    assert [default_cutoff(r, 3.0) for r in radii] == [0, 2, 4, 1]
    assert ring_cutoffs(KernelSpec(frequency_cutoff=1.5), radii) == [0, 1, 3, 4]
    assert ring_cutoffs(KernelSpec(frequency_cutoff=math.floor), radii) == [0, 1, 2, 3]
    assert ring_cutoffs(KernelSpec(frequency_cutoff=(0, 3, 1, 2), max_frequency=2), radii) == [0, 2, 1, 2]
    with pytest.raises(ValueError, match="3 frequencies for 4 rings"):
        ring_cutoffs(KernelSpec(frequency_cutoff=(0, 1, 1)), radii)


def test_the_escnn_policy():
    # escnn 1.0.x, nn/modules/conv/r2convolution.py and r3convolution.py, _manual_fco1(R = kernel_size // 2):
    # plane min(2r, 2 if r == R else 2r - (r + 1) % 2), space min(2r, R - r + 2), 0 at the centre
    assert [escnn_cutoff(r, 9) for r in (0.0, 1.0, 2.0, 3.0, 4.0)] == [0, 2, 3, 6, 2]
    assert [escnn_cutoff(r, 9, 3) for r in (0.0, 1.0, 2.0, 3.0, 4.0)] == [0, 2, 4, 3, 2]
    assert [escnn_cutoff(r, 5) for r in (0.5, 1.5)] == [-1, 2]  # min(1, -0.5): escnn keeps nothing at 0.5
    spec = KernelSpec(frequency_cutoff="escnn")
    radii = np.array([0.0, 1.0, 2.0, 3.0])
    assert ring_cutoffs(spec, radii, 7) == [0, 2, 3, 2]
    assert ring_cutoffs(spec, radii, 7, spatial_dims=3) == [0, 2, 3, 2]
    assert ring_cutoffs(KernelSpec(frequency_cutoff="escnn", max_frequency=2), radii, 7) == [0, 2, 2, 2]
    # the outermost ring keeps frequency 2 (the default keeps 1)
    assert [(k, j) for k, j, _ in radial_profiles(spec, 3)] == [(0, 0), (0, 1), (1, 1), (2, 1)]
    # a ring escnn keeps no harmonic on contributes no profile
    profiles = radial_profiles(KernelSpec(rings=(0.0, 0.5, 2.0), frequency_cutoff="escnn"), 5)
    assert [(k, j) for k, j, _ in profiles] == [(0, 0), (0, 2), (1, 2), (2, 2)]
    with pytest.raises(ValueError, match="depends on the kernel size: pass kernel_size"):
        ring_cutoffs(spec, radii)
    with pytest.raises(ValueError, match="spatial_dims 2 and 3, got 4"):
        escnn_cutoff(1.0, 5, 4)
    with pytest.raises(ValueError, match="frequency_cutoff as a name must be one of 'escnn', got 'e2cnn'"):
        KernelSpec(frequency_cutoff="e2cnn")
    assert KernelSpec.from_options("gaussian", frequency_cutoff="escnn").to_options() == {
        "frequency_cutoff": "escnn"
    }


# Weight counts of escnn 1.0.x's R2Conv / R3Conv(in, out, k, bias=False) with its default band limit
# (conv.basisexpansion.dimension()), measured by running escnn in a separate environment: in = out = 2 x
# regular -> 3 x regular for the finite groups, in = out = the irreps (0, 1, 2) for C_n / SO(2), (0,0),
# (1,1), (1,2) for D_4, (0, 1, 2) of SO(3) in space (gspaces rot2dOnR2(8), rot2dOnR2(4), flipRot2dOnR2(4),
# rot2dOnR2(-1, maximum_frequency=4), rot3dOnR3(maximum_frequency=3)). An external reference, not groupconv's
# output: frequency_cutoff="escnn" must reproduce it.
ESCNN_COUNTS = {
    ("C8", "regular"): (288, 528, 864),
    ("C8", "irreps"): (24, 43, 66),
    ("C4", "regular"): (144, 264, 432),
    ("C4", "irreps"): (24, 44, 72),
    ("D4", "regular"): (288, 528, 864),
    ("D4", "irreps"): (14, 25, 40),
    ("SO2", "irreps"): (24, 43, 66),
    ("SO3", "irreps"): (18, 33, 51),
}


def _field_types(name, kind):
    from groupconv.groups import SO2, SO3, Cyclic, Dihedral
    from groupconv.nn import FieldType
    from groupconv.reps import irrep, regular

    group = {"C8": Cyclic(8), "C4": Cyclic(4), "D4": Dihedral(4), "SO2": SO2(), "SO3": SO3()}[name]
    if kind == "regular":
        return FieldType(group, [regular(group)] * 2), FieldType(group, [regular(group)] * 3)
    ids = [(0, 0), (1, 1), (1, 2)] if name == "D4" else [(0,), (1,), (2,)]
    ft = FieldType(group, [irrep(group, *i) for i in ids])
    return ft, ft


@pytest.mark.parametrize("case", sorted(ESCNN_COUNTS))
def test_escnn_policy_reproduces_escnn_weight_counts(case):
    from groupconv.nn import SteerableConv2d, SteerableConv3d

    layer = SteerableConv3d if case[0] == "SO3" else SteerableConv2d
    ti, to = _field_types(*case)
    counts = []
    for k in (3, 5, 7):
        conv = layer(ti, to, k, bias=False, frequency_cutoff="escnn", warn=False)
        counts.append(sum(p.numel() for p in conv.parameters()))
    assert tuple(counts) == ESCNN_COUNTS[case]
    if case == ("C8", "regular"):
        # the default band keeps frequency 1 on the outermost ring: 32 weights per pair of 3 x 3 C8 regular fields
        assert (
            sum(p.numel() for p in SteerableConv2d(ti, to, 3, bias=False, warn=False).parameters()) == 6 * 32
        )


def test_gaussian_profiles_follow_the_rings_and_the_table():
    spec = KernelSpec(frequency_cutoff=(0, 2, 1))
    profiles = radial_profiles(spec, 5)
    assert [(k, j) for k, j, _ in profiles] == [(0, 0), (0, 1), (1, 1), (2, 1), (0, 2), (1, 2)]
    _, _, r = polar_grid(5)
    assert np.array_equal(profiles[1][2], np.exp(-((r - 1.0) ** 2) / (2 * 0.6**2)))


def test_bessel_profiles_stop_at_the_aliasing_frequency():
    profiles = radial_profiles(KernelSpec("bessel"), 5)
    assert max(k for k, _, _ in profiles) == 2
    assert max(k for k, _, _ in radial_profiles(KernelSpec("bessel", max_frequency=1), 5)) == 1
    _, _, r = polar_grid(5)
    # every profile vanishes outside the disc of radius k / 2
    assert all(np.all(p[r >= 2.5] == 0) for _, _, p in profiles)
