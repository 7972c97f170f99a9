"""Equivariant kernel bases.

- :class:`KernelSpec`: the radial profile and frequency band of a basis (a frozen, hashable value);
- :class:`ZeroBlockWarning`: some irrep blocks of a basis are forced to zero by its band;
- :func:`kernel_basis` / :func:`kernel_bases`: the basis of one pair of representations, or of many
  at once, choosing the construction below;
- :func:`harmonic_kernel_basis`: circular harmonics times Gaussian-ring or Fourier-Bessel radial profiles,
  for any representations of ``C_n``, ``D_n``, ``SO(2)``, ``O(2)`` (Weiler & Cesa, NeurIPS 2019); in space
  (``spatial_dims=3``) spherical harmonics times Gaussian shells, for ``SO(3)``, ``O(3)`` and the finite
  groups acting on ``R^3`` (``O``, ``Oh``, ``I``, ``Ih``);
- :func:`regular_kernel_basis`: the same kernels between regular fields of a finite group (and from or to
  trivial ones), lifted from free band-limited filters without a constraint solve;
- :func:`grid_kernel_basis`: the exact solution of the constraint on the sampled grid for the groups that
  permute it (pixels: ``C_2``, ``C_4``, ``D_2``, ``D_4``; voxels: ``O``, ``Oh``), with
  :func:`character_dimension` its dimension;
- :func:`fourier_bessel_basis`: the DCFNet basis (Qiu et al., ICML 2018).

Modules: ``spec`` (the band limit), ``grid`` (kernel size and sampled grid), ``radial`` (profiles and
frequency cutoffs), ``angular`` (the constraint solver, one angular basis per dimension) and ``spherical``
(the angular basis of space), ``harmonic`` and
``regular`` (the two constructions), ``basis`` (the entry points), ``exact``, ``fourier_bessel`` and
``symbolic`` (exact certificates of the harmonic templates).

Examples
--------
>>> from groupconv.groups import Dihedral
>>> from groupconv.kernels import KernelSpec, kernel_basis
>>> from groupconv.reps import irrep, regular
>>> G = Dihedral(4)
>>> kernel_basis(irrep(G, 1, 1), regular(G), 5, KernelSpec(max_frequency=2)).tensor.shape
(18, 8, 2, 5, 5)
"""

from __future__ import annotations

from .angular import AngularBasis, CircularHarmonics, angular_basis, angular_solutions, circular_harmonics
from .basis import kernel_bases, kernel_basis
from .exact import character_dimension, grid_kernel_basis, signed_permutation, verify_grid_basis
from .fourier_bessel import bessel_zeros_dcf, fourier_bessel_basis, fourier_bessel_indices
from .grid import check_kernel_size, check_spatial_dims, polar_grid, sampled_grid
from .harmonic import KernelBasis, ZeroBlockWarning, harmonic_kernel_basis, presolve_angular
from .radial import gaussian_rings
from .regular import lifts_to_regular, regular_action, regular_kernel_basis
from .spec import KernelSpec
from .spherical import SphericalHarmonics, sampled_spherical_harmonics, spherical_action

__all__ = [
    "KernelSpec",
    "KernelBasis",
    "ZeroBlockWarning",
    "kernel_basis",
    "kernel_bases",
    "harmonic_kernel_basis",
    "regular_kernel_basis",
    "lifts_to_regular",
    "regular_action",
    "AngularBasis",
    "CircularHarmonics",
    "SphericalHarmonics",
    "sampled_spherical_harmonics",
    "spherical_action",
    "angular_basis",
    "angular_solutions",
    "grid_kernel_basis",
    "character_dimension",
    "signed_permutation",
    "verify_grid_basis",
    "fourier_bessel_basis",
    "fourier_bessel_indices",
    "bessel_zeros_dcf",
    "circular_harmonics",
    "gaussian_rings",
    "check_kernel_size",
    "check_spatial_dims",
    "polar_grid",
    "sampled_grid",
    "presolve_angular",
]
