"""The Fourier-Bessel basis of DCFNet (Qiu, Cheng, Calderbank, Sapiro, ICML 2018).

On the unit disk the Dirichlet eigenfunctions of the Laplacian are

.. math::  \\psi_{k,q}(r, \\theta) = c_{k,q} \\, J_k(R_{k,q} r) \\, e^{i k \\theta},
           \\qquad -\\Delta \\psi_{k,q} = R_{k,q}^2 \\, \\psi_{k,q},

with ``R_{k,q}`` the ``q``-th positive zero of the Bessel function ``J_k`` (DCFNet, section 2.1, eq. 2).
Their real parts ``cos k theta`` and ``sin k theta`` give one real element for ``k = 0`` and two for
``k > 0``. The basis is ordered by eigenvalue ``R_{k,q}^2`` (low spatial frequencies first) and truncated.

The cutoff follows the DCFNet reference code (``calculate_FB_bases``): on a ``(2L+1) x (2L+1)`` grid
scaled so that the disk has radius ``R = L + 1/2`` pixels, keep the pairs ``(k, q)`` with ``k <= 15`` whose
*next* zero satisfies ``R_{k,q+1} <= pi R f``, with ``f = 2`` for ``L < 2`` and ``f = 1.5`` otherwise;
at most ``(2L+1)^2 - 1`` elements. This gives 6, 14 and 38 real elements for 3x3, 5x5 and 7x7 kernels.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .angular import circular_harmonics
from .grid import check_kernel_size, polar_grid

__all__ = ["bessel_zeros_dcf", "fourier_bessel_basis", "fourier_bessel_indices"]

_KMAX = 15


@lru_cache(maxsize=32)
def bessel_zeros_dcf(kernel_size: int) -> tuple[tuple[int, int, float], ...]:
    """The pairs ``(k, q, R_{k,q})`` kept by the DCFNet cutoff, sorted by ``R_{k,q}`` (ties by ``k``)."""
    # scipy.special costs a third of a second to import: loaded when Bessel functions are needed
    from scipy.special import jn_zeros

    kernel_size = check_kernel_size(kernel_size)
    half = (kernel_size - 1) // 2
    radius = half + 0.5
    factor = 2.0 if half < 2 else 1.5
    bound = np.pi * radius * factor
    out = []
    for k in range(_KMAX + 1):
        # enough zeros: the q-th zero of J_k exceeds (q + k/2 - 1/4) pi
        nz = int(bound / np.pi) + 2
        z = jn_zeros(k, nz + 1)
        for q in range(nz):
            if z[q + 1] <= bound:
                out.append((k, q + 1, float(z[q])))
    out.sort(key=lambda t: (t[2], t[0]))
    return tuple(out)


def fourier_bessel_indices(kernel_size: int, num_bases: int | None = None) -> list[tuple[int, int, str]]:
    """``(k, q, part)`` of each real basis element, ``part`` in ``{"cos", "sin"}``."""
    out = []
    for k, q, _ in bessel_zeros_dcf(kernel_size):
        out.append((k, q, "cos"))
        if k > 0:
            out.append((k, q, "sin"))
    cap = kernel_size * kernel_size - 1
    out = out[:cap]
    if num_bases is not None:
        if not isinstance(num_bases, (int, np.integer)) or num_bases < 1:
            raise ValueError(f"num_bases must be a positive int, got {num_bases!r}")
        if num_bases > len(out):
            raise ValueError(
                f"a {kernel_size}x{kernel_size} Fourier-Bessel basis has {len(out)} elements under the DCFNet "
                f"cutoff, got num_bases={num_bases}"
            )
        out = out[:num_bases]
    return out


def fourier_bessel_basis(
    kernel_size: int, num_bases: int | None = None, normalize: bool = True
) -> np.ndarray:
    """The real Fourier-Bessel basis ``(K, k, k)`` (float64), ordered by eigenvalue.

    Element ``(k, q, cos)`` is ``J_k(R_{k,q} r / R) cos(k theta) / |J_{k+1}(R_{k,q})|`` (times
    ``sqrt 2`` for ``k > 0``), zero for ``r >= R``, with ``R = kernel_size / 2``; ``(k, q, sin)`` likewise.
    ``normalize`` divides by the root-mean-square norm of the elements, as DCFNet does.
    Sampled on 7x7 pixels, 3 of the 38 elements are linear combinations of the others (aliasing of the
    highest frequencies), as in the DCFNet reference basis.
    A rotation of the grid by 90 degrees maps each element to plus or minus an element (exactly, in
    floating point: the angular parts are computed as complex powers, see
    :func:`~groupconv.kernels.circular_harmonics`).
    """
    from scipy.special import jv

    kernel_size = check_kernel_size(kernel_size)
    idx = fourier_bessel_indices(kernel_size, num_bases)
    zeros = {(k, q): z for k, q, z in bessel_zeros_dcf(kernel_size)}
    x, y, r = polar_grid(kernel_size)
    radius = kernel_size / 2
    kmax = max(k for k, _, _ in idx)
    harm = circular_harmonics(x, y, kmax)
    out = np.empty((len(idx), kernel_size, kernel_size))
    for b, (k, q, part) in enumerate(idx):
        z = zeros[(k, q)]
        radial = np.where(r < radius, jv(k, z * r / radius), 0.0) / abs(jv(k + 1, z))
        ang = harm[k, 0 if part == "cos" else 1] * (np.sqrt(2.0) if k > 0 else 1.0)
        out[b] = radial * ang
    if normalize:
        out = out / np.sqrt((out**2).sum(axis=(1, 2)).mean())
    return out
