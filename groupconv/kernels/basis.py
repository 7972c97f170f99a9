"""The entry points of the kernel bases: one pair of representations, or many at once.

:func:`kernel_basis` builds the steerable kernel basis between two representations from a
:class:`~groupconv.kernels.KernelSpec`, choosing the construction: the basis lifted from free filters
between regular fields of a finite group (:func:`~groupconv.kernels.regular_kernel_basis`, no constraint
to solve), the harmonic one otherwise (:func:`~groupconv.kernels.harmonic_kernel_basis`), on the plane
(``spatial_dims=2``) or in space (``spatial_dims=3``).
:func:`kernel_bases` builds the bases of many pairs, solving the angular constraints of all their irrep
pairs in one batch first.

Examples
--------
>>> from groupconv.groups import Cyclic
>>> from groupconv.kernels import KernelSpec, kernel_basis, kernel_bases
>>> from groupconv.reps import irrep, regular, trivial
>>> G = Cyclic(4)
>>> kernel_basis(trivial(G), irrep(G, 1), 5).tensor.shape
(4, 2, 1, 5, 5)
>>> spec = KernelSpec(max_frequency=1, warn=False)
>>> [len(b) for b in kernel_bases([(trivial(G), regular(G)), (regular(G), irrep(G, 1))], 5, spec)]
[7, 14]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ..reps.representation import Representation
from .grid import check_spatial_dims
from .harmonic import KernelBasis, build_harmonic, presolve, warn_zero_blocks
from .regular import build_regular, lifts_to_regular
from .spec import KernelSpec

__all__ = ["kernel_basis", "kernel_bases"]

_DEFAULT = KernelSpec()


def kernel_basis(
    rho_in: Representation,
    rho_out: Representation,
    kernel_size,
    spec: KernelSpec = _DEFAULT,
    spatial_dims: int = 2,
    *,
    dtype=np.float64,
) -> KernelBasis:
    """Steerable kernel basis between ``rho_in`` and ``rho_out`` on a ``k x k`` grid (``k x k x k`` in space).

    Between regular fields of a finite group (or a regular and a trivial one) the basis is lifted from
    free filters (:func:`~groupconv.kernels.regular_kernel_basis`), otherwise it is the harmonic one
    (:func:`~groupconv.kernels.harmonic_kernel_basis`); both span the same kernels.

    Parameters
    ----------
    rho_in, rho_out:
        Representations of one group (``C_n``, ``D_n``, ``SO(2)``, ``O(2)`` on the plane; ``SO(3)``,
        ``O(3)`` and the finite groups acting on ``R^3``, ``O``, ``Oh``, ``I``, ``Ih``, in space).
    kernel_size:
        Odd ``k`` (or ``(k, k)``, ``(k, k, k)`` in space).
    spec:
        The radial profile and frequency band (:class:`~groupconv.kernels.KernelSpec`).
    spatial_dims:
        Dimension of the space the kernel lives on: 2 (the plane, tensor ``(n, d_out, d_in, k, k)``) or 3
        (space, ``(n, d_out, d_in, k, k, k)``: Gaussian shells times spherical harmonics,
        :mod:`~groupconv.kernels.spherical`).
    dtype:
        numpy dtype of the sampled tensor (computed in float64 and rounded once).

    Raises
    ------
    TypeError
        for representations of different groups or a group without kernel bases in that dimension.
    ValueError
        for a bad kernel size, the ``"bessel"`` profile in space, or an empty basis unless
        ``spec.allow_empty``.

    Examples
    --------
    >>> from groupconv.groups import SO3
    >>> from groupconv.reps import irrep
    >>> kernel_basis(irrep(SO3(), 1), irrep(SO3(), 1), 5, spatial_dims=3).tensor.shape
    (6, 3, 3, 5, 5, 5)
    """
    return kernel_bases([(rho_in, rho_out)], kernel_size, spec, spatial_dims, dtype=dtype)[0]


def kernel_bases(
    pairs: Sequence[tuple[Representation, Representation]],
    kernel_size,
    spec: KernelSpec = _DEFAULT,
    spatial_dims: int = 2,
    *,
    dtype=np.float64,
) -> list[KernelBasis]:
    """:func:`kernel_basis` of every ``(rho_in, rho_out)`` of ``pairs``, in order.

    The angular constraints of every pair of irreps met by the harmonic constructions are solved in one
    batch first (one Reynolds product and one batched Gram-Schmidt), so that many pairs cost little more
    than one.
    """
    if not isinstance(spec, KernelSpec):
        raise TypeError(f"spec must be a KernelSpec, got {type(spec).__name__}")
    spatial_dims = check_spatial_dims(spatial_dims)
    pairs = [tuple(p) for p in pairs]
    lifted = [lifts_to_regular(ri, ro) for ri, ro in pairs]
    harmonic = [p for p, lift in zip(pairs, lifted) if not lift]
    if len(harmonic) > 1:
        presolve(harmonic, kernel_size, spec, spatial_dims)
    # the blocks forced to zero are reported once for all the pairs (one warning for a layer's bases)
    quiet = replace(spec, warn=False)
    bases = [
        (build_regular if lift else build_harmonic)(ri, ro, kernel_size, quiet, spatial_dims, dtype)
        for (ri, ro), lift in zip(pairs, lifted)
    ]
    zero = list(dict.fromkeys(pair for basis in bases for pair in basis.zero_blocks))
    if spec.warn and zero:
        warn_zero_blocks(bases[0].rho_in.group, bases[0].kernel_size, spec, zero, spatial_dims)
    return bases
