"""Bad inputs to the kernel bases on R^3: even or non-cubic kernel sizes, the planar Fourier-Bessel profile,
groups without bases in space (or on the plane), representations of two groups, groups that do not permute
the voxel grid, pairs that do not lift, and malformed points or degrees are refused with errors that name
what was expected and what was given."""

from __future__ import annotations

import numpy as np
import pytest

from groupconv.groups import O3, SO3, Cyclic, Icosahedral, Octahedral
from groupconv.kernels import (
    KernelSpec,
    angular_basis,
    character_dimension,
    grid_kernel_basis,
    harmonic_kernel_basis,
    kernel_bases,
    kernel_basis,
    regular_kernel_basis,
    sampled_spherical_harmonics,
)
from groupconv.kernels.exact import certify_kernel_basis
from groupconv.reps import irrep, regular, trivial


@pytest.mark.parametrize("size", [4, (4, 4, 4), 0])
def test_even_or_empty_kernel_sizes_are_refused_in_space(size):
    with pytest.raises(ValueError, match="kernel_size must be"):
        kernel_basis(trivial(SO3()), irrep(SO3(), 1), size, spatial_dims=3)


def test_non_cubic_kernel_sizes_are_refused():
    with pytest.raises(ValueError, match=r"cubic \(k or \(k, k, k\)\), got kernel_size=\(3, 3, 5\)"):
        kernel_basis(trivial(SO3()), trivial(SO3()), (3, 3, 5), spatial_dims=3)
    with pytest.raises(ValueError, match=r"cubic .* got kernel_size=\(5, 5\)"):
        kernel_basis(trivial(SO3()), trivial(SO3()), (5, 5), spatial_dims=3)


def test_even_kernel_sizes_are_refused_on_the_voxel_grid():
    O = Octahedral()
    with pytest.raises(ValueError, match="kernel_size must be odd .* got 4"):
        grid_kernel_basis(trivial(O), regular(O), 4)
    with pytest.raises(ValueError, match="kernel_size must be odd .* got 2"):
        character_dimension(O, trivial(O), regular(O), 2)


def test_the_fourier_bessel_profile_is_refused_in_space():
    with pytest.raises(ValueError, match=r"Fourier-Bessel profile \('bessel'\) is planar.*'gaussian'"):
        kernel_basis(trivial(SO3()), irrep(SO3(), 1), 5, KernelSpec(profile="bessel"), spatial_dims=3)
    with pytest.raises(ValueError, match="Fourier-Bessel profile"):
        regular_kernel_basis(trivial(Octahedral()), regular(Octahedral()), 5, "bessel", spatial_dims=3)


def test_groups_without_bases_in_space_name_the_supported_ones():
    with pytest.raises(
        TypeError, match=r"in space \(spatial_dims=3\) exist for SO\(3\), O\(3\) and the finite .* C8"
    ):
        kernel_bases([(trivial(Cyclic(8)), trivial(Cyclic(8)))], 3, spatial_dims=3)


def test_groups_of_space_have_no_planar_bases():
    with pytest.raises(TypeError, match=r"on the plane exist for C_n, D_n, SO\(2\), O\(2\); got .* SO3"):
        kernel_basis(trivial(SO3()), irrep(SO3(), 1), 5)
    with pytest.raises(TypeError, match=r"on the plane exist for .* got .* of O\b"):
        angular_basis(Octahedral(), spatial_dims=2)


@pytest.mark.parametrize("dims", [1, 4])
def test_other_dimensions_are_refused(dims):
    with pytest.raises(ValueError, match=f"spatial_dims must be 2 .* or 3 .*, got {dims}"):
        kernel_basis(trivial(SO3()), trivial(SO3()), 3, spatial_dims=dims)


def test_representations_of_two_groups_are_refused():
    with pytest.raises(TypeError, match="output representation of SO3, got one of O3"):
        harmonic_kernel_basis(trivial(SO3()), irrep(O3(), 1, -1), 3, spatial_dims=3)


def test_the_icosahedral_groups_do_not_permute_the_voxel_grid():
    ico = Icosahedral()
    with pytest.raises(ValueError, match=r"permuting the grid: .* O, Oh \(voxel grid\); got I"):
        grid_kernel_basis(trivial(ico), regular(ico), 3)
    ok, reason = certify_kernel_basis([np.ones((1, 1, 3, 3, 3))], ico, trivial(ico), trivial(ico))
    assert not ok and "does not act on the pixel or voxel grid" in reason


def test_a_certificate_of_a_kernel_of_the_wrong_dimension_fails_and_says_why():
    O = Octahedral()
    ok, reason = certify_kernel_basis([np.ones((1, 1, 3, 3))], O, trivial(O), trivial(O))
    assert not ok and "kernels of O on its grid have shape (d_out, d_in, k, k, k)" in reason


def test_pairs_that_do_not_lift_are_refused():
    O = Octahedral()
    with pytest.raises(
        ValueError, match=r"regular_kernel_basis maps regular fields .* got O\[T1\] -> O\[regular\]"
    ):
        regular_kernel_basis(irrep(O, 3), regular(O), 3, spatial_dims=3)
    with pytest.raises(TypeError, match=r"regular kernel bases exist for finite groups .* SO3"):
        regular_kernel_basis(trivial(SO3()), irrep(SO3(), 1), 3, spatial_dims=3)


def test_malformed_points_and_degrees_are_refused():
    with pytest.raises(ValueError, match=r"3 coordinates \(x, y, z\) first, got shape \(2, 5\)"):
        sampled_spherical_harmonics(np.zeros((2, 5)), 2)
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="max_degree must be an int >= 0"):
            sampled_spherical_harmonics(np.zeros((3, 5)), bad)


def test_an_empty_basis_in_space_is_reported():
    with pytest.raises(
        ValueError, match=r"empty kernel basis: no 3x3x3 kernel maps SO3\[irrep\(0\)\] to SO3\[irrep\(2\)\]"
    ):
        kernel_basis(trivial(SO3()), irrep(SO3(), 2), 3, spatial_dims=3)
