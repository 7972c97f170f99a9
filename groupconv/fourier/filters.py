"""Filters of generalized convolutions ``L^2(G/H) -> L^2(G/K)`` in the Fourier domain.

A generalized convolution (Kondor & Trivedi, ICML 2018, Definition 3 and Theorem 1) maps a function
``f`` on ``G/H`` to ``f * h`` on ``G/K`` with ``h`` a function on the double cosets ``H\\G/K``; in the
Fourier domain

.. math::  \\widehat{f * h}(\\rho)\\, V^K_\\rho
           = \\big(\\hat f(\\rho) V^H_\\rho\\big)\\, \\big(V^{H\\top}_\\rho\\, \\hat h(\\rho)\\, V^K_\\rho\\big),

so the filter is stored as its kept block ``K_rho = V^{H T} h^(rho) V^K`` of shape ``(m^H_rho, m^K_rho)``
and only irreps kept by both spaces contribute. ``h^(rho)`` ranges over the span of ``rho(G)``: all
matrices for an irrep of real type, the commutant of ``End(rho)`` for complex type (``a I + b J`` in
dimension 2), so the kept blocks range over ``V^{H T} span(rho(G)) V^K``, of which
:func:`filter_basis` returns an orthonormal basis.

On ``C_4`` the convolutions ``L^2(C_4) -> L^2(C_4)`` have ``|C_4| = 4`` parameters: one for each
one-dimensional irrep and two (``a I + b J``) for the rotation by a quarter turn, of complex type:

Examples
--------

>>> from groupconv.fourier import function_space
>>> from groupconv.groups import Cyclic
>>> X = function_space(Cyclic(4))
>>> common_irreps(X, X)
[(0, 0), (1, 1), (2, 2)]
>>> [basis.shape for basis in filter_basis(X, X)]
[(1, 1, 1), (2, 2, 2), (1, 1, 1)]
"""

from __future__ import annotations

import numpy as np

from ..utils.lazy import scipy_linalg
from .spaces import FunctionSpace

__all__ = ["filter_basis", "common_irreps"]


def common_irreps(domain: FunctionSpace, codomain: FunctionSpace) -> list[tuple[int, int]]:
    """Pairs ``(i_in, i_out)`` of positions of the irreps kept by both spaces, in codomain order."""
    if domain.group != codomain.group:
        raise TypeError(
            f"domain and codomain must be spaces of one group, got {domain.group} and {codomain.group}"
        )
    pos = {ir: i for i, ir in enumerate(domain.irreps)}
    return [(pos[ir], j) for j, ir in enumerate(codomain.irreps) if ir in pos]


def _span_basis(ir) -> np.ndarray:
    """Orthonormal basis ``(n, d, d)`` of ``span rho(G)`` = the commutant of ``End(rho)``."""
    d = ir.dim
    if ir.type == "R":
        return np.eye(d * d).reshape(d * d, d, d)
    endo = np.asarray(ir.endomorphism_basis)
    # M E = E M for every E: (I (x) E - E^T (x) I) vec(M) = 0 (column-major vec)
    rows = [np.kron(np.eye(d), E) - np.kron(E.T, np.eye(d)) for E in endo]
    null = scipy_linalg.null_space(np.concatenate(rows, 0))
    return np.stack([null[:, k].reshape(d, d, order="F") for k in range(null.shape[1])])


def filter_basis(domain: FunctionSpace, codomain: FunctionSpace) -> list[np.ndarray]:
    """For each common irrep (see :func:`common_irreps`), an orthonormal basis ``(n, m^H, m^K)`` of the
    kept filter blocks ``V^{H T} M V^K``, ``M`` in ``span rho(G)``."""
    out = []
    for i, j in common_irreps(domain, codomain):
        ir = codomain.irreps[j]
        vh, vk = domain.columns[i], codomain.columns[j]
        if ir.type == "R":
            # span rho(G) holds every matrix and V^H, V^K have orthonormal columns: the kept blocks are all
            # (m^H, m^K) matrices, with the standard basis (no (d^2, d^2) SVD)
            mh, mk = vh.shape[1], vk.shape[1]
            out.append(np.eye(mh * mk).reshape(mh * mk, mh, mk))
            continue
        span = _span_basis(ir)
        blocks = np.einsum("dm,ndk,kq->nmq", vh, span, vk)
        flat = blocks.reshape(blocks.shape[0], -1)
        _, s, vt = np.linalg.svd(flat, full_matrices=False)
        rank = int((s > 1e-9 * max(s.max(initial=0.0), 1.0)).sum())
        out.append(vt[:rank].reshape(rank, vh.shape[1], vk.shape[1]))
    return out
