"""Equivariant kernel bases on the plane.

- :func:`harmonic_kernel_basis`: circular harmonics times Gaussian-ring or Fourier-Bessel radial profiles,
  for any representations of ``C_n``, ``D_n``, ``SO(2)``, ``O(2)`` (Weiler & Cesa, NeurIPS 2019);
- :func:`regular_kernel_basis`: the same kernels between regular fields of ``C_n`` / ``D_n`` (and from or to
  trivial ones), lifted from free band-limited filters without a constraint solve;
- :func:`grid_kernel_basis`: the exact solution of the constraint on the sampled grid for the groups that
  permute it, with :func:`character_dimension` its dimension;
- :func:`fourier_bessel_basis`: the DCFNet basis (Qiu et al., ICML 2018).
"""

from __future__ import annotations

from .exact import character_dimension, grid_kernel_basis, signed_permutation, verify_grid_basis
from .fourier_bessel import bessel_zeros_dcf, fourier_bessel_basis, fourier_bessel_indices
from .harmonic import (
    KernelBasis,
    angular_solutions,
    check_kernel_size,
    circular_harmonics,
    gaussian_rings,
    harmonic_kernel_basis,
    polar_grid,
    regular_kernel_basis,
)
from .spec import KernelSpec

__all__ = [
    "KernelSpec",
    "KernelBasis",
    "harmonic_kernel_basis",
    "regular_kernel_basis",
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
    "polar_grid",
    "check_kernel_size",
]
