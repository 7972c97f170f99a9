"""Shared by the kernel-basis test modules: the groups permuting the pixel grid, their representations, the
constraint error of a sampled basis on the pixel or voxel grid, and the span residual of two bases."""

from __future__ import annotations

import numpy as np

from groupconv.groups import Cyclic, Dihedral, grid_permutation
from groupconv.reps import irreps, quotient, regular

GRID_GROUPS = [Cyclic(2), Cyclic(4), Dihedral(2), Dihedral(4)]


def grid_reps(G):
    out = [regular(G)] + irreps(G)
    if isinstance(G, Dihedral):
        out.append(quotient(G, Cyclic(G.n)))
    return out


def constraint_error(basis, G, rho_in, rho_out):
    """max over every element of ``G`` and basis element of ``|rho_out(g) K(g^-1 x) rho_in(g)^T - K(x)|`` on
    the pixel or voxel grid, the kernel moved by permuting its pixels (voxels)."""
    t = basis.tensor
    n, d_o, d_i, *grid = t.shape
    flat = np.ascontiguousarray(t.reshape(n, d_o, d_i, -1).transpose(0, 3, 1, 2))  # (n, pixel, d_o, d_i)
    g = G.elements()
    ro, ri = rho_out(g).numpy(), rho_in(g).numpy()
    worst = 0.0
    for e in range(G.order):
        perm = grid_permutation(G, e, *grid)
        moved = ro[e] @ flat[:, perm] @ ri[e].T
        worst = max(worst, float(np.abs(moved - flat).max()))
    return worst


def span_residual(a, b):
    a = a.reshape(a.shape[0], -1).T
    q, _ = np.linalg.qr(b.reshape(b.shape[0], -1).T)
    return np.linalg.norm(a - q @ (q.T @ a)) / np.linalg.norm(a)
