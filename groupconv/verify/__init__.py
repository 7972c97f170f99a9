"""Per-layer equivariance and energy checks, exact certificates, and their reports.

- :func:`check_equivariance` -- rows per typed layer and tier (exact / approximate):
  ``max_g |L(g . u) - g . L(u)|`` against a tolerance that follows the dtype, calibrated for
  interpolated elements.
- :func:`check_energy` -- one row per layer with known frame bounds, and the scattering energy identity.
- :func:`certify` -- exact (sympy) certificates: proved, not applicable or failed, with the reason.
- :func:`verify_model` -- the three at once, as a :class:`VerificationReport`.

The exact proofs themselves live in :mod:`groupconv.proofs` (re-exported here); the choice of elements and
tolerances in :mod:`groupconv.verify.elements`, the actions on typed features in
:mod:`groupconv.verify.actions`.

>>> import torch
>>> from torch import nn
>>> from groupconv.groups import Cyclic
>>> from groupconv.nn import FieldType, ReLU
>>> from groupconv.reps import regular
>>> t = FieldType(Cyclic(4), [regular(Cyclic(4))])
>>> verify_model(nn.Sequential(ReLU(t)), torch.randn(1, 4, 6, 6), progress=False).passed
True
"""

from __future__ import annotations

from .actions import Action, act, is_typed, typed_layers
from .certify import (
    certify,
    certify_convolution_theorem,
    certify_index_map,
    certify_kernel_basis,
    certify_littlewood_paley,
    certify_permutation_fields,
    register_certifier,
    span_residual,
)
from .combined import verify_model
from .elements import (
    band_limit,
    choose_elements,
    cube_rotations,
    default_tolerances,
    elements_to_try,
    is_exact,
    resolve_tolerances,
)
from .energy import check_energy, conv2d_frame_bounds, layer_frame_bounds, register_frame_bounds
from .equivariance import check_equivariance
from .report import CertificateRow, EnergyRow, EquivarianceRow, Report, VerificationReport

__all__ = [
    "check_equivariance",
    "default_tolerances",
    "resolve_tolerances",
    "choose_elements",
    "is_exact",
    "band_limit",
    "check_energy",
    "certify",
    "verify_model",
    "certify_kernel_basis",
    "certify_index_map",
    "certify_convolution_theorem",
    "certify_littlewood_paley",
    "certify_permutation_fields",
    "span_residual",
    "register_certifier",
    "register_frame_bounds",
    "layer_frame_bounds",
    "conv2d_frame_bounds",
    "Action",
    "act",
    "typed_layers",
    "is_typed",
    "elements_to_try",
    "cube_rotations",
    "Report",
    "VerificationReport",
    "EquivarianceRow",
    "EnergyRow",
    "CertificateRow",
]
