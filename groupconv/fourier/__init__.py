"""Fourier analysis on compact groups and their homogeneous spaces, and generalized convolutions
(Kondor & Trivedi, ICML 2018)."""

from __future__ import annotations

from .coefficients import FourierCoefficients
from .convolution import convolution_cost, convolve, evaluate
from .filters import common_irreps, filter_basis
from .projection import (
    GeneralizedConvolution,
    as_generalized_convolution,
    equivariant_projection,
    generalized_convolution,
)
from .so3 import euler_to_matrix, so3_grid, so3_tables
from .spaces import FunctionSpace, HomogeneousSpace, endomorphism_dim, function_space, resolve_space
from .sphere import (
    S2FFT,
    SO3FFT,
    s2_blocks,
    s2_fft,
    s2_grid,
    s2_ifft,
    so3_blocks,
    so3_coefficient_offsets,
    so3_euler_grid,
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
