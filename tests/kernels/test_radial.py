"""Radial profiles and frequency cutoffs: the default rings, widths and cutoff policy, the rate, callable
and table cutoffs, the deprecated sigma keyword, and the Fourier-Bessel profiles."""

from __future__ import annotations

import math

import numpy as np
import pytest

from groupconv.kernels import KernelSpec, gaussian_rings, polar_grid
from groupconv.kernels.radial import default_cutoff, radial_profiles, ring_cutoffs


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
