"""Exact kernel bases on the pixel grid for the groups that permute it (``C_2, C_4, D_2, D_4``; also
``C_1, D_1``).

On a ``k x k`` grid the constraint ``K(g x) = rho_out(g) K(x) rho_in(g)^{-1}`` is a finite linear system:
its solutions are the fixed points of the action ``(g . K)(x) = rho_out(g) K(g^{-1} x) rho_in(g)^T`` on
``R^{d_out x d_in x k x k}``, i.e. the image of the Reynolds projector ``P = mean_g (g .)``. Its dimension
is the trace of ``P``, the character formula

.. math::  \\dim = \\frac{1}{|G|} \\sum_{g \\in G} \\chi_{perm}(g) \\, \\chi_{out}(g) \\, \\chi_{in}(g),

with ``chi_perm(g)`` the number of pixels fixed by ``g`` (Serre, *Linear representations of finite
groups*, section 2.3, applied to ``Hom_G(perm (x) rho_in, rho_out)``).

Two solvers:

- ``"orbit"`` (exact, integer): when ``rho_in`` and ``rho_out`` are signed permutation representations
  (every irrep of these groups, regular and quotient representations and their sums), ``g .`` permutes
  the entries of ``K`` up to sign, so the fixed points are spanned by the signed orbit sums; orbits whose
  signs cancel contribute nothing. The basis has entries in ``{-1, 0, 1}`` and disjoint supports.
- ``"svd"`` (float64): the eigenvectors of ``P`` of eigenvalue 1, for any representations.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import sympy
import torch

from ..groups.actions import acts_on_grid, grid_permutation
from ..groups.base import FiniteGroup, check_same_group
from ..reps.representation import Representation
from .harmonic import KernelBasis, check_kernel_size

__all__ = [
    "grid_kernel_basis",
    "character_dimension",
    "signed_permutation",
    "verify_grid_basis",
    "certify_kernel_basis",
]


@lru_cache(maxsize=256)
def _grid_perms(group: FiniteGroup, k: int) -> np.ndarray:
    """``(|G|, k*k)``: :func:`~groupconv.groups.grid_permutation` of every element."""
    return np.stack([grid_permutation(group, g, k, k) for g in range(group.order)])


def _check_grid_group(group) -> FiniteGroup:
    if not acts_on_grid(group):
        raise ValueError(
            f"exact grid kernel bases need a group permuting the pixel grid (C1, C2, C4, D1, D2, D4), got "
            f"{group}; use the harmonic basis ('gaussian' or 'bessel') for other groups"
        )
    return group


def character_dimension(
    group: FiniteGroup, rho_in: Representation, rho_out: Representation, kernel_size: int
) -> int:
    """``(1/|G|) sum_g chi_perm(g) chi_out(g) chi_in(g)``: the dimension of the space of equivariant
    ``k x k`` kernels on the grid."""
    _check_grid_group(group)
    k = check_kernel_size(kernel_size)
    g = group.elements()
    fixed = np.array(
        [int((grid_permutation(group, int(e), k, k) == np.arange(k * k)).sum()) for e in g.tolist()]
    )
    chi = fixed * rho_out.character(g).numpy() * rho_in.character(g).numpy()
    return int(round(chi.sum() / group.order))


def signed_permutation(rho: Representation) -> tuple[np.ndarray, np.ndarray] | None:
    """``(targets, signs)`` of shape ``(|G|, d)`` with ``rho(g) e_j = signs[g, j] e_{targets[g, j]}``, or
    ``None`` when ``rho`` is not a signed permutation representation."""
    g = rho.group.elements()
    m = rho(g).numpy()
    r = np.rint(m)
    if np.abs(m - r).max() > 1e-9 or not (np.abs(r).sum(1) == 1).all():
        return None
    targets = np.abs(r).argmax(1)
    signs = np.take_along_axis(r, targets[:, None, :], 1)[:, 0, :]
    return targets.astype(np.int64), signs.astype(np.int64)


def _orbit_basis(group, rho_in, rho_out, k, sp_in, sp_out) -> np.ndarray:
    d_o, d_i, n_pix = rho_out.dim, rho_in.dim, k * k
    elems = group.elements().tolist()
    # destination of entry (o, i, q) under g: (pi_out(o), pi_in(i), g q)
    o, i, q = np.meshgrid(np.arange(d_o), np.arange(d_i), np.arange(n_pix), indexing="ij")
    o, i, q = o.reshape(-1), i.reshape(-1), q.reshape(-1)
    dest = np.empty((len(elems), o.size), dtype=np.int64)
    sign = np.empty((len(elems), o.size), dtype=np.int64)
    perms = _grid_perms(group, k)
    for a, g in enumerate(elems):
        perm = perms[g]
        # (g . f)(p) = f(perm[p]): the pixel q moves to p with perm[p] = q
        moved = np.empty(n_pix, dtype=np.int64)
        moved[perm] = np.arange(n_pix)
        dest[a] = (sp_out[0][g][o] * d_i + sp_in[0][g][i]) * n_pix + moved[q]
        sign[a] = sp_out[1][g][o] * sp_in[1][g][i]
    rep = dest.min(0)
    roots, orbit_id = np.unique(rep, return_inverse=True)
    vec = np.zeros((roots.size, o.size), dtype=np.int64)
    # sum over g of sign * delta_{g . e} for the root e of each orbit
    root_entry = roots
    np.add.at(
        vec,
        (np.broadcast_to(np.arange(roots.size), (len(elems), roots.size)), dest[:, root_entry]),
        sign[:, root_entry],
    )
    keep = np.abs(vec).sum(1) > 0
    vec = vec[keep]
    g_c = np.gcd.reduce(np.abs(vec), axis=1)
    vec = vec // g_c[:, None]
    return vec.reshape(-1, d_o, d_i, k, k)


def _svd_basis(group, rho_in, rho_out, k) -> np.ndarray:
    g = group.elements()
    ro = rho_out(g).numpy()
    ri = rho_in(g).numpy()
    n_pix = k * k
    perms = _grid_perms(group, k)
    pm = np.zeros((len(perms), n_pix, n_pix))
    pm[np.arange(len(perms))[:, None], np.arange(n_pix)[None], perms] = 1.0
    # (g . K)[o, i, p] = ro[o, O] K[O, I, perm[p]] ri[i, I]
    op = np.einsum("noO,niI,npP->oipOIP", ro, ri, pm, optimize=True).reshape(
        ro.shape[1] * ri.shape[1] * n_pix, -1
    ) / len(g)
    op = (op + op.T) / 2
    vals, vecs = np.linalg.eigh(op)
    sel = vecs[:, vals > 0.5].T
    return sel.reshape(-1, rho_out.dim, rho_in.dim, k, k)


def grid_kernel_basis(
    rho_in: Representation,
    rho_out: Representation,
    kernel_size: int,
    method: str = "auto",
    allow_empty: bool = False,
) -> KernelBasis:
    """Basis of all ``k x k`` kernels on the pixel grid with ``K(g x) = rho_out(g) K(x) rho_in(g)^{-1}``.

    Parameters
    ----------
    method:
        ``"orbit"`` (exact integer basis, signed permutation representations), ``"svd"`` (float64,
        orthonormal, any representations) or ``"auto"`` (orbit when possible).
    allow_empty:
        Return an empty basis instead of raising.

    Raises
    ------
    ValueError
        for a group that does not permute the grid, or when the basis is empty.
    """
    group = _check_grid_group(rho_in.group)
    check_same_group(group, rho_out.group, "output representation")
    k = check_kernel_size(kernel_size)
    if method not in ("auto", "orbit", "svd"):
        raise ValueError(f"method must be 'auto', 'orbit' or 'svd', got {method!r}")
    sp_in, sp_out = signed_permutation(rho_in), signed_permutation(rho_out)
    exact = sp_in is not None and sp_out is not None
    if method == "orbit" and not exact:
        raise ValueError(
            f"the orbit solver needs signed permutation representations; {rho_in!r} -> {rho_out!r} is not: "
            "use method='svd'"
        )
    if method != "svd" and exact:
        t = _orbit_basis(group, rho_in, rho_out, k, sp_in, sp_out).astype(np.float64)
        kind = "exact"
    else:
        t = _svd_basis(group, rho_in, rho_out, k)
        kind = "exact-svd"
    if t.shape[0] == 0 and not allow_empty:
        raise ValueError(
            f"empty kernel basis: no {k}x{k} kernel on the grid maps {rho_in!r} to {rho_out!r} equivariantly"
        )
    return KernelBasis(tensor=t, rho_in=rho_in, rho_out=rho_out, kernel_size=k, kind=kind)


def _integer_matrix(rep: Representation, g: int) -> np.ndarray | None:
    m = sympy.Matrix(rep.exact(int(g)))
    if not all(v.is_integer for v in m):
        return None
    return np.array(m.tolist(), dtype=np.int64)


def certify_kernel_basis(
    basis: Sequence[sympy.Array | np.ndarray],
    group: FiniteGroup,
    rho_in: Representation,
    rho_out: Representation,
) -> tuple[bool, str]:
    """Prove that each kernel ``K`` of shape ``(d_out, d_in, k, k)`` in ``basis`` satisfies
    ``K(g x) = rho_out(g) K(x) rho_in(g)^{-1}`` for every ``g`` of a group acting on the pixel grid.

    Entries are converted to exact sympy numbers (``nsimplify`` of floats is *not* used: float entries
    are taken as the exact binary rationals they are), so a pass is a proof for the sampled kernels.
    Returns ``(proved, reason)``.

    >>> from groupconv.groups import Cyclic
    >>> from groupconv.reps import trivial
    >>> C4 = Cyclic(4)
    >>> certify_kernel_basis([np.ones((1, 1, 3, 3))], C4, trivial(C4), trivial(C4))[0]
    True
    """
    if not (isinstance(group, FiniteGroup) and acts_on_grid(group)):
        return False, f"{group} does not act on the pixel grid: no exact certificate"
    gens = group.generators() if hasattr(group, "generators") else list(range(group.order))
    for idx, K in enumerate(basis):
        k = (
            np.asarray(K, dtype=object)
            if not isinstance(K, sympy.Array)
            else np.array(K.tolist(), dtype=object)
        )
        d_out, d_in, h, w = k.shape
        exact = np.vectorize(
            lambda v: sympy.Rational(v) if isinstance(v, float) else sympy.sympify(v), otypes=[object]
        )(k)
        flat = exact.reshape(d_out, d_in, h * w)
        # it suffices to check generators: the constraint is a group action
        for g in gens:
            perm = grid_permutation(group, g, h, w)
            ro = sympy.Matrix(rho_out.exact(int(g)))
            ri_inv = sympy.Matrix(rho_in.exact(int(group.inverse(torch.tensor(g)))))
            for p in range(h * w):
                # (g . K)(p) = rho_out(g) K(g^-1 p) rho_in(g)^-1 must equal K(p)
                lhs = sympy.Matrix(flat[:, :, p].tolist())
                src = sympy.Matrix(flat[:, :, perm[p]].tolist())
                rhs = ro * src * ri_inv
                if sympy.simplify(lhs - rhs) != sympy.zeros(d_out, d_in):
                    return False, f"basis element {idx} violates the constraint for g={g} at pixel {p}"
    return (
        True,
        f"{len(basis)} basis elements satisfy K(gx) = rho_out(g) K(x) rho_in(g)^-1 exactly for the generators {gens} of {group}",
    )


def verify_grid_basis(
    basis: np.ndarray, group: FiniteGroup, rho_in: Representation, rho_out: Representation
) -> tuple[bool, str]:
    """Prove ``K(g x) = rho_out(g) K(x) rho_in(g)^{-1}`` for integer-valued kernels ``(n, d_out, d_in, k, k)``
    with exact integer arithmetic, for the generators of ``group``, using the exact (sympy) matrices of the
    representations. Falls back to :func:`certify_kernel_basis` (sympy) when a representation has
    non-integer exact entries. Returns ``(proved, reason)``."""
    b = np.asarray(basis)
    if not np.array_equal(b, np.rint(b)):
        return certify_kernel_basis(list(b), group, rho_in, rho_out)
    bi = np.rint(b).astype(np.int64)
    n, d_o, d_i, h, w = bi.shape
    gens = group.generators()
    flat = bi.reshape(n, d_o, d_i, h * w)
    for g in gens:
        ro = _integer_matrix(rho_out, g)
        ri_inv = _integer_matrix(rho_in, int(group.inverse(torch.tensor(g))))
        if ro is None or ri_inv is None:
            return certify_kernel_basis(list(b), group, rho_in, rho_out)
        perm = grid_permutation(group, g, h, w)
        moved = np.einsum("oa,nabp,bi->noip", ro, flat[..., perm], ri_inv, optimize=True)
        if not np.array_equal(moved, flat):
            bad = int(np.nonzero((moved != flat).reshape(n, -1).any(1))[0][0])
            return False, f"basis element {bad} violates the constraint for g={g}"
    return True, (
        f"{n} integer basis elements satisfy K(gx) = rho_out(g) K(x) rho_in(g)^-1 exactly (integer "
        f"arithmetic, exact representation matrices) for the generators {gens} of {group}"
    )
