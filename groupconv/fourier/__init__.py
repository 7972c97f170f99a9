"""Fourier analysis on compact groups and their homogeneous spaces, and generalized convolutions
(Kondor & Trivedi, ICML 2018)."""

from __future__ import annotations

from .coefficients import FourierCoefficients
from .spaces import FunctionSpace, HomogeneousSpace, endomorphism_dim, function_space
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
]
