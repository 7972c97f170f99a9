"""Exact proofs (sympy and integer arithmetic) that layers call from their own ``certificate()``.

A proof holds for every input, not for samples:

- the kernel constraint ``K(g x) = rho_out(g) K(x) rho_in(g)^{-1}`` of sampled kernel bases
  (:func:`certify_kernel_basis`) and of index maps of learned weights (:func:`certify_index_map`), with
  the distance of a filter from the span of a basis (:func:`span_residual`);
- the convolution theorem on a finite group (:func:`certify_convolution_theorem`);
- the Littlewood-Paley identity or frame bounds of a filter bank (:func:`certify_littlewood_paley`,
  :func:`prove_parseval_littlewood_paley`, :func:`certify_parseval_bank`);
- fields that transform by permutation matrices, on which entrywise maps and symmetric reductions are
  equivariant (:func:`certify_permutation_fields`);
- the frame bounds of a convolution filter on the plane or in space (:func:`conv2d_frame_bounds`,
  :func:`conv_frame_bounds`).

Each returns ``(proved, reason)`` (and a deviation where a number is compared); a layer turns it into a
:class:`~groupconv.nn.module.Certificate`, and :func:`groupconv.verify.certify` collects them. The
package sits below :mod:`groupconv.nn`: it reads groups, representations, kernels and Fourier transforms,
never layers.

>>> from groupconv.groups import Dihedral
>>> certify_convolution_theorem(Dihedral(2))[0]
True
"""

from __future__ import annotations

from .convolution import certify_convolution_theorem
from .frames import conv2d_frame_bounds, conv_frame_bounds
from .kernel import certify_index_map, certify_kernel_basis, span_residual
from .littlewood_paley import certify_littlewood_paley, certify_parseval_bank, prove_parseval_littlewood_paley
from .permutation import certify_permutation_fields

__all__ = [
    "certify_kernel_basis",
    "certify_index_map",
    "span_residual",
    "certify_convolution_theorem",
    "certify_littlewood_paley",
    "prove_parseval_littlewood_paley",
    "certify_parseval_bank",
    "certify_permutation_fields",
    "conv2d_frame_bounds",
    "conv_frame_bounds",
]
