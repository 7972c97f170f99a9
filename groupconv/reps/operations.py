"""Decomposition into irreps, tensor products, Clebsch-Gordan coefficients, and the representations
built from a group's structure (trivial, standard, regular, quotient, induced, restricted).

Decomposition uses the projections (Serre, *Linear representations of finite groups*, section 2.7)

.. math::  P^{\\sigma}_{j1} = d_\\sigma \\int_G \\sigma(g)_{j1} \\, \\rho(g) \\, dg ,

exactly on the group (finite groups) or on a quadrature grid that integrates the band-limited
integrand exactly (continuous groups). The image of ``P_11`` holds one vector per copy of ``sigma``
(two for irreps of complex type); each such vector ``v`` generates the copy ``(P_j1 v)_j``, on which
``rho`` acts exactly as ``sigma``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np
import sympy
import torch

from ..groups.base import FiniteGroup, Group, check_same_group
from ..groups.subgroups import inclusion, left_cosets, subgroup_indices
from .irreps import irreps
from .representation import Irrep, Representation, block_diagonal

__all__ = [
    "integration_grid",
    "decompose",
    "decompose_exact",
    "tensor_product",
    "clebsch_gordan",
    "clebsch_gordan_exact",
    "register_clebsch_gordan",
    "trivial",
    "standard",
    "regular",
    "quotient",
    "induced",
    "restrict",
    "from_matrices",
    "permutation_representation",
]


def integration_grid(group: Group, degree: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Elements and weights (summing to 1) integrating exactly functions of degree <= ``degree``
    (all functions for a finite group)."""
    if group.is_finite:
        g = group.elements()
        return g, torch.full((group.order,), 1.0 / group.order, dtype=torch.float64)
    return group.quadrature(degree)


def _candidates(group: Group, degree: int) -> list[Irrep]:
    return irreps(group) if group.is_finite else irreps(group, max_degree=degree)


def decompose(
    group: Group,
    matrix_fn: Callable[[torch.Tensor], torch.Tensor],
    dim: int,
    degree: int = 0,
    candidates: Sequence[Irrep] | None = None,
) -> tuple[list[Irrep], np.ndarray]:
    """Decompose the orthogonal representation ``g -> matrix_fn(g)`` of dimension ``dim``.

    Parameters
    ----------
    degree:
        For continuous groups, the largest irrep degree that can occur (the band limit of ``rho``).

    Returns
    -------
    (irreps, Q):
        with ``rho(g) = Q (+)_i irreps[i](g) Q^T``; equal irreps are contiguous, in the order of
        ``candidates`` (default: the group's irreps).

    Raises
    ------
    ValueError
        if the copies found do not fill ``R^dim`` (``rho`` is not orthogonal, not a homomorphism, or
        contains irreps above ``degree``).
    """
    g, w = integration_grid(group, 2 * degree)
    rho = matrix_fn(g).to(torch.float64)
    if rho.shape[-2:] != (dim, dim):
        raise ValueError(f"matrix_fn must return (..., {dim}, {dim}) matrices, got {tuple(rho.shape)}")
    cands = list(candidates) if candidates is not None else _candidates(group, degree)
    found: list[Irrep] = []
    columns: list[torch.Tensor] = []
    for sigma in cands:
        s = sigma(g)
        d = sigma.dim
        proj = d * torch.einsum("n,nj,nab->jab", w, s[:, :, 0], rho)
        u, sv, _ = torch.linalg.svd(proj[0])
        image = u[:, sv > 0.5]
        accepted: list[torch.Tensor] = []
        for v in image.T:
            if accepted:
                basis = torch.cat(accepted, 1)
                v = v - basis @ (basis.T @ v)
            nv = torch.linalg.norm(v)
            if nv < 0.5:
                continue
            v = v / nv
            copy = (proj @ v).T  # (dim, d): column j is P_j1 v
            copy, _ = torch.linalg.qr(copy)
            copy = copy * torch.sign(torch.diagonal(copy.T @ (proj @ v).T))[None]
            accepted.append(copy)
            found.append(sigma)
        columns.extend(accepted)
    if not columns:
        q = torch.zeros(dim, 0, dtype=torch.float64)
    else:
        q = torch.cat(columns, 1)
    if q.shape[1] != dim:
        raise ValueError(
            f"decomposition of a {dim}-dimensional representation of {group} found irreps of total "
            f"dimension {q.shape[1]}: the matrices are not an orthogonal representation"
            + ("" if group.is_finite else f" of degree <= {degree}")
        )
    blocks = block_diagonal([ir(g) for ir in found])
    err = float((q @ blocks @ q.T - rho).abs().max())
    if err > 1e-8:
        raise ValueError(
            f"the matrices given for {group} are not an orthogonal representation: reconstruction "
            f"from irreps is off by {err:.3g}"
        )
    return found, q.numpy()


def _exact_gram_schmidt(vectors: list[sympy.Matrix], against: list[sympy.Matrix]) -> sympy.Matrix | None:
    v = vectors[0]
    for b in against:
        v = v - (b.T * v)[0, 0] * b
    v = v.applyfunc(sympy.nsimplify)
    n2 = sympy.nsimplify((v.T * v)[0, 0])
    if n2 == 0:
        return None
    return (v / sympy.sqrt(n2)).applyfunc(sympy.radsimp)


def decompose_exact(rep: Representation) -> tuple[list[Irrep], sympy.Matrix]:
    """Exact decomposition of a representation of a finite group whose matrices are exact.

    Multiplicities come from exact characters ``<chi_rho, chi_sigma> / <chi_sigma, chi_sigma>``;
    the change of basis from exact projections and exact Gram-Schmidt.

    Returns ``(irreps, Q)`` with ``Q`` an exact orthogonal sympy Matrix.
    """
    G = rep.group
    if not G.is_finite:
        raise TypeError(f"exact decomposition needs a finite group, got {G}")
    n = G.order
    mats = [rep.exact(g) for g in range(n)]
    found: list[Irrep] = []
    cols: list[sympy.Matrix] = []
    for sigma in irreps(G):
        smats = [sigma.exact(g) for g in range(n)]
        chi_s = [m.trace() for m in smats]
        chi_r = [m.trace() for m in mats]
        mult = sympy.nsimplify(
            sympy.simplify(sum(a * b for a, b in zip(chi_r, chi_s)) / sum(a * a for a in chi_s))
        )
        if mult == 0:
            continue
        d = sigma.dim
        proj = [
            (
                sympy.Rational(d, n) * sum((smats[g][j, 0] * mats[g] for g in range(n)), sympy.zeros(rep.dim))
            ).applyfunc(sympy.simplify)
            for j in range(d)
        ]
        accepted: list[sympy.Matrix] = []
        copies = 0
        for v in proj[0].columnspace():
            u = _exact_gram_schmidt([v], accepted)
            if u is None:
                continue
            copy = [u] + [(proj[j] * u).applyfunc(sympy.radsimp) for j in range(1, d)]
            accepted.extend(copy)
            found.append(sigma)
            copies += 1
        if copies != mult:
            raise ArithmeticError(
                f"exact decomposition found {copies} copies of {sigma!r}, characters say {mult}"
            )
        cols.extend(accepted)
    q = sympy.Matrix.hstack(*cols)
    return found, q


def from_matrices(
    group: Group,
    matrix_fn: Callable[[torch.Tensor], torch.Tensor],
    dim: int,
    name: str | None = None,
    degree: int = 0,
    exact_fn: Callable | None = None,
) -> Representation:
    """A :class:`Representation` from its matrices, decomposed numerically into irreps."""
    found, q = decompose(group, matrix_fn, dim, degree)
    return Representation(group, found, q, name=name, matrix_fn=matrix_fn, exact_fn=exact_fn)


# -- Clebsch-Gordan ------------------------------------------------------------------------------------
_CG_RULES: dict[type, Callable[[Irrep, Irrep], tuple[list[Irrep], np.ndarray]]] = {}
_CG_EXACT_RULES: dict[type, Callable[[Irrep, Irrep], tuple[list[Irrep], sympy.Matrix]]] = {}


def register_clebsch_gordan(
    group_type: type,
    fn: Callable[[Irrep, Irrep], tuple[list[Irrep], np.ndarray]],
    exact: Callable[[Irrep, Irrep], tuple[list[Irrep], sympy.Matrix]] | None = None,
) -> None:
    """Register a specialised Clebsch-Gordan rule for a group class, and optionally its exact (sympy)
    form used by :func:`clebsch_gordan_exact`."""
    _CG_RULES[group_type] = fn
    if exact is not None:
        _CG_EXACT_RULES[group_type] = exact


@lru_cache(maxsize=4096)
def clebsch_gordan(sigma: Irrep, tau: Irrep) -> tuple[tuple[Irrep, ...], np.ndarray]:
    """Clebsch-Gordan decomposition of ``sigma (x) tau``.

    Returns ``(irreps, C)`` with ``C`` orthogonal ``(d_sigma d_tau, d_sigma d_tau)`` such that

    .. math:: \\sigma(g) \\otimes \\tau(g) = C \\Big(\\bigoplus_k \\lambda_k(g)\\Big) C^\\top ,

    the Kronecker product indexed ``(a, b) -> a d_tau + b``. The columns of ``C`` for ``lambda_k``,
    reshaped ``(d_sigma, d_tau, d_lambda)``, are the Clebsch-Gordan coefficients.
    """
    if not isinstance(sigma, Irrep) or not isinstance(tau, Irrep):
        raise TypeError("clebsch_gordan takes two Irreps")
    check_same_group(sigma.group, tau.group, "irrep")
    for cls in type(sigma.group).__mro__:
        if cls in _CG_RULES:
            found, c = _CG_RULES[cls](sigma, tau)
            return tuple(found), c

    def kron(g):
        a, b = sigma(g), tau(g)
        return torch.einsum("...ij,...kl->...ikjl", a, b).reshape(
            a.shape[:-2] + (a.shape[-1] * b.shape[-1],) * 2
        )

    found, c = decompose(sigma.group, kron, sigma.dim * tau.dim, sigma.degree + tau.degree)
    return tuple(found), c


def clebsch_gordan_exact(sigma: Irrep, tau: Irrep) -> tuple[list[Irrep], sympy.Matrix]:
    """Exact Clebsch-Gordan decomposition of ``sigma (x) tau``: ``(irreps, C)`` with ``C`` an exact
    orthogonal sympy Matrix, ``sigma (x) tau = C (+)lambda C^T`` (Kronecker order).

    Finite groups use :func:`decompose_exact`; groups with a registered exact rule (``SO(2)``, ``O(2)``,
    ``SO(3)``, ``O(3)``, see :mod:`groupconv.reps.clebsch_gordan_continuous`) use it."""
    if not isinstance(sigma, Irrep) or not isinstance(tau, Irrep):
        raise TypeError("clebsch_gordan_exact takes two Irreps")
    check_same_group(sigma.group, tau.group, "irrep")
    for cls in type(sigma.group).__mro__:
        if cls in _CG_EXACT_RULES:
            found, c = _CG_EXACT_RULES[cls](sigma, tau)
            return list(found), c
    if not sigma.group.is_finite:
        raise TypeError(
            f"no exact Clebsch-Gordan rule is known for {sigma.group}: the exact decomposition needs a "
            "finite group or a group with a registered exact rule"
        )
    return decompose_exact(tensor_product(sigma, tau))


def tensor_product(rho: Representation, tau: Representation) -> Representation:
    """The tensor product ``rho (x) tau`` (Kronecker order), decomposed with Clebsch-Gordan coefficients
    of each pair of irreps."""
    check_same_group(rho.group, tau.group, "representation")
    d1, d2 = rho.dim, tau.dim
    offsets1 = np.cumsum([0] + [ir.dim for ir in rho.irreps])
    offsets2 = np.cumsum([0] + [ir.dim for ir in tau.irreps])
    m = np.zeros((d1 * d2, d1 * d2))
    found: list[Irrep] = []
    col = 0
    for i, s in enumerate(rho.irreps):
        for j, t in enumerate(tau.irreps):
            ir_found, c = clebsch_gordan(s, t)
            a = np.arange(offsets1[i], offsets1[i + 1])
            b = np.arange(offsets2[j], offsets2[j + 1])
            rows = (a[:, None] * d2 + b[None, :]).reshape(-1)
            m[rows, col : col + c.shape[1]] = c
            col += c.shape[1]
            found.extend(ir_found)
    q = np.kron(rho.change_of_basis, tau.change_of_basis) @ m
    name = f"({rho._atom_str()} (x) {tau._atom_str()})" if rho.name or tau.name else None

    def matrix_fn(g):
        a, b = rho(g), tau(g)
        return torch.einsum("...ij,...kl->...ikjl", a, b).reshape(a.shape[:-2] + (d1 * d2, d1 * d2))

    def exact_fn(g):
        from sympy.physics.quantum import TensorProduct

        return TensorProduct(rho.exact(g), tau.exact(g))

    return Representation(rho.group, found, q, name=name, matrix_fn=matrix_fn, exact_fn=exact_fn)


# -- representations from the group's structure ------------------------------------------------------
def trivial(group: Group) -> Irrep:
    """The trivial irrep."""
    for ir in irreps(group) if group.is_finite else irreps(group, max_degree=0):
        if ir.is_trivial():
            return ir
    raise ValueError(f"no trivial irrep found for {group}")  # pragma: no cover


def standard(group: Group) -> Representation:
    """The defining action on ``R^n`` (``group.action_matrix``), decomposed into irreps."""
    n = group.action_dim

    def matrix_fn(g):
        return group.action_matrix(g, dtype=torch.float64)

    rep = from_matrices(group, matrix_fn, n, name="standard", degree=1)
    return rep


def permutation_representation(
    group: FiniteGroup, perm_table: np.ndarray, name: str | None = None
) -> Representation:
    """The permutation representation ``rho(g) e_x = e_{perm_table[g, x]}`` of a finite group."""
    perm_table = np.asarray(perm_table, dtype=np.int64)
    n = perm_table.shape[1]
    cache: dict = {}

    def matrix_fn(g):
        key = g.device
        t = cache.get(key)
        if t is None:
            t = torch.as_tensor(perm_table, device=g.device)
            cache[key] = t
        return _perm_matrix(t[g], n)

    def exact_fn(g):
        m = sympy.zeros(n)
        for x in range(n):
            m[int(perm_table[int(g), x]), x] = 1
        return m

    found, q = decompose(group, matrix_fn, n)
    return Representation(group, found, q, name=name, matrix_fn=matrix_fn, exact_fn=exact_fn)


def _perm_matrix(targets: torch.Tensor, n: int) -> torch.Tensor:
    """Matrices with ``M[targets[x], x] = 1``."""
    out = torch.zeros(targets.shape[:-1] + (n, n), dtype=torch.float64, device=targets.device)
    out.scatter_(-2, targets.unsqueeze(-2), 1.0)
    return out


def regular(group: FiniteGroup) -> Representation:
    """The regular representation on functions ``G -> R``: ``(rho(g) f)(h) = f(g^{-1} h)``, i.e.
    ``rho(g) e_h = e_{gh}``; every irrep ``sigma`` occurs ``d_sigma / e_sigma`` times (``e_sigma`` =
    dimension of its endomorphism algebra)."""
    if not isinstance(group, FiniteGroup):
        raise TypeError(f"the regular representation is built for finite groups, got {group}")
    return _regular(group)


@lru_cache(maxsize=64)
def _regular(group: FiniteGroup) -> Representation:
    return permutation_representation(group, group.cayley_table_np, name="regular")


def quotient(group: FiniteGroup, subgroup: FiniteGroup, iota=None) -> Representation:
    """The quotient representation on functions on ``G/H``: ``rho(g) e_{xH} = e_{gxH}``."""
    if not isinstance(group, FiniteGroup) or not isinstance(subgroup, FiniteGroup):
        raise TypeError(f"quotient representations are built for finite groups, got {group} and {subgroup}")
    reps_, coset_of = left_cosets(subgroup, group, iota)
    table = group.cayley_table_np
    perm = coset_of[table[:, reps_]]
    return permutation_representation(group, perm, name=f"quotient({subgroup.name})")


def induced(group: FiniteGroup, subgroup: FiniteGroup, rep: Representation, iota=None) -> Representation:
    """The induced representation ``Ind_H^G rep`` with coset representatives ``r_i`` (smallest element
    of each left coset): block ``(i, j)`` of ``rho(g)`` is ``rep(r_i^{-1} g r_j)`` when
    ``r_i^{-1} g r_j`` lies in ``H``, else 0."""
    if not isinstance(group, FiniteGroup) or not isinstance(subgroup, FiniteGroup):
        raise TypeError(f"induced representations are built for finite groups, got {group} and {subgroup}")
    check_same_group(subgroup, rep.group, "representation")
    iota = iota or inclusion(subgroup, group)
    h_in_g = subgroup_indices(subgroup, group, iota)
    g_to_h = -np.ones(group.order, dtype=np.int64)
    g_to_h[h_in_g] = np.arange(subgroup.order)
    reps_, _ = left_cosets(subgroup, group, iota)
    table, inv = group.cayley_table_np, group._inverse_np
    m, d = len(reps_), rep.dim
    # x[g, i, j] = r_i^{-1} g r_j as an element of H, or -1
    x = table[table[inv[reps_][None, :, None], np.arange(group.order)[:, None, None]], reps_[None, None, :]]
    hidx = g_to_h[x]
    hidx_t = torch.as_tensor(hidx)
    valid = hidx_t >= 0

    def matrix_fn(g):
        hh = hidx_t.to(g.device)[g]
        mats = rep(hh.clamp(min=0)) * valid.to(g.device)[g][..., None, None]
        return mats.transpose(-3, -2).reshape(g.shape + (m * d, m * d))

    def exact_fn(g):
        out = sympy.zeros(m * d)
        for i in range(m):
            for j in range(m):
                if hidx[int(g), i, j] >= 0:
                    out[i * d : (i + 1) * d, j * d : (j + 1) * d] = rep.exact(int(hidx[int(g), i, j]))
        return out

    found, q = decompose(group, matrix_fn, m * d)
    return Representation(
        group,
        found,
        q,
        name=f"induced({subgroup.name}:{rep._atom_str()})",
        matrix_fn=matrix_fn,
        exact_fn=exact_fn,
    )


def restrict(rep: Representation, subgroup: Group, iota=None) -> Representation:
    """``Res^G_H rep``: ``h -> rep(iota(h))``, decomposed into the irreps of ``H``."""
    iota = iota or inclusion(subgroup, rep.group)

    def matrix_fn(h):
        return rep(iota(h))

    exact_fn = None
    if subgroup.is_finite and rep.group.is_finite:

        def exact_fn(h):
            return rep.exact(int(iota(torch.tensor(int(h)))))

    found, q = decompose(subgroup, matrix_fn, rep.dim, rep.degree)
    return Representation(
        subgroup,
        found,
        q,
        name=f"restrict({rep.group.name}:{rep._atom_str()})" if rep.name else None,
        matrix_fn=matrix_fn,
        exact_fn=exact_fn,
    )
