"""Fourier analysis on compact groups and their homogeneous spaces, and generalized convolutions
(Kondor & Trivedi, ICML 2018).

Modules: :mod:`~groupconv.fourier.spaces` (function spaces on ``G`` and ``G/H`` and their Fourier data),
:mod:`~groupconv.fourier.coefficients` (the coefficients, one block per irrep),
:mod:`~groupconv.fourier.transform` (the transform and its inverse), :mod:`~groupconv.fourier.convolution`,
:mod:`~groupconv.fourier.filters` and :mod:`~groupconv.fourier.projection` (convolutions, their filters
and the equivariant maps they are), :mod:`~groupconv.fourier.so3` (the separable path on ``SO(3)`` and
``S^2``), and the fast transforms of large bandwidths: :mod:`~groupconv.fourier.grids` (quadrature grids),
:mod:`~groupconv.fourier.wigner` (Wigner small-d) and :mod:`~groupconv.fourier.sphere` (``S2FFT``,
``SO3FFT``).

>>> import torch
>>> from groupconv.groups import Dihedral
>>> f = torch.arange(8, dtype=torch.float64)
>>> bool(torch.allclose(inverse_fourier_transform(fourier_transform(f, Dihedral(4))), f))
True
"""

from __future__ import annotations

from .coefficients import FourierCoefficients
from .convolution import convolution_cost, convolve, evaluate
from .filters import common_irreps, filter_basis
from .grids import (
    GRIDS,
    beta_rule,
    check_bandwidth,
    check_grid,
    euler_to_matrix,
    s2_grid,
    so3_euler_grid,
    so3_grid,
)
from .projection import (
    GeneralizedConvolution,
    as_generalized_convolution,
    equivariant_projection,
    generalized_convolution,
)
from .so3 import so3_tables
from .spaces import FunctionSpace, HomogeneousSpace, endomorphism_dim, function_space, is_so3, resolve_space
from .sphere import (
    S2FFT,
    SO3FFT,
    s2_blocks,
    s2_fft,
    s2_ifft,
    so3_blocks,
    so3_coefficient_offsets,
    so3_fft,
    so3_ifft,
)
from .transform import fourier_transform, inverse_fourier_transform, transform_methods

__all__ = [
    "FourierCoefficients",
    "FunctionSpace",
    "HomogeneousSpace",
    "function_space",
    "endomorphism_dim",
    "fourier_transform",
    "inverse_fourier_transform",
    "transform_methods",
    "resolve_space",
    "is_so3",
    "convolve",
    "convolution_cost",
    "evaluate",
    "common_irreps",
    "filter_basis",
    "generalized_convolution",
    "equivariant_projection",
    "as_generalized_convolution",
    "GeneralizedConvolution",
    "so3_grid",
    "so3_tables",
    "euler_to_matrix",
    "GRIDS",
    "check_bandwidth",
    "check_grid",
    "beta_rule",
    "s2_grid",
    "so3_euler_grid",
    "so3_coefficient_offsets",
    "so3_blocks",
    "s2_blocks",
    "S2FFT",
    "SO3FFT",
    "s2_fft",
    "s2_ifft",
    "so3_fft",
    "so3_ifft",
]
