"""Decomposition into irreps, Clebsch-Gordan coefficients and tensor products.

Decomposition uses the projections (Serre, *Linear representations of finite groups*, section 2.7)

.. math::  P^{\\sigma}_{j1} = d_\\sigma \\int_G \\sigma(g)_{j1} \\, \\rho(g) \\, dg ,

exactly on the group (finite groups) or on a quadrature grid that integrates the band-limited
integrand exactly (continuous groups). The image of ``P_11`` holds one vector per copy of ``sigma``
(two for irreps of complex type); each such vector ``v`` generates the copy ``(P_j1 v)_j``, on which
``rho`` acts exactly as ``sigma``.

Clebsch-Gordan decompositions ``sigma (x) tau`` use a rule registered for the group's class
(:func:`register_clebsch_gordan`, dispatched on the class and its bases like
:func:`functools.singledispatch`), else the numerical decomposition of the Kronecker product.

Examples
--------
>>> from groupconv.groups import Cyclic
>>> from groupconv.reps import irrep
>>> found, C = clebsch_gordan(irrep(Cyclic(4), 1), irrep(Cyclic(4), 1))
>>> [ir.id for ir in found], C.shape
([0, 0, 2, 2], (4, 4))
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np
import torch

from ..groups.base import Group, check_same_group
from ..utils.deprecation import renamed_keywords
from ..utils.lazy import sympy
from ..utils.memory import check_memory
from .irreps import irreps
from .representation import Irrep, Representation, block_diagonal

__all__ = [
    "integration_grid",
    "decompose",
    "decompose_exact",
    "from_matrices",
    "tensor_product",
    "clebsch_gordan",
    "clebsch_gordan_exact",
    "register_clebsch_gordan",
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
    # the matrices on the grid, one projection of the same size per irrep column and its SVD
    check_memory(
        8 * (len(w) + 3) * dim * dim,
        f"the numerical decomposition of a {dim}-dimensional representation of {group} ({len(w)} matrices "
        f"{dim} x {dim})",
        "decompose smaller representations (the summands of a direct sum one at a time), or use "
        "permutation_representation for a representation that permutes a basis",
    )
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


@renamed_keywords(rep="rho")
def decompose_exact(rho: Representation) -> tuple[list[Irrep], sympy.Matrix]:
    """Exact decomposition of a representation ``rho`` of a finite group whose matrices are exact.

    Multiplicities come from exact characters ``<chi_rho, chi_sigma> / <chi_sigma, chi_sigma>``;
    the change of basis from exact projections and exact Gram-Schmidt.

    Returns ``(irreps, Q)`` with ``Q`` an exact orthogonal sympy Matrix.
    """
    G = rho.group
    if not G.is_finite:
        raise TypeError(f"exact decomposition needs a finite group, got {G}")
    n = G.order
    mats = [rho.exact(g) for g in range(n)]
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
                sympy.Rational(d, n) * sum((smats[g][j, 0] * mats[g] for g in range(n)), sympy.zeros(rho.dim))
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
_NumericRule = Callable[[Irrep, Irrep], tuple[list[Irrep], np.ndarray]]
_ExactRule = Callable[[Irrep, Irrep], tuple[list[Irrep], "sympy.Matrix"]]


@functools.singledispatch
def _numeric_rule(group: Group) -> _NumericRule | None:
    """The Clebsch-Gordan rule registered for the class of ``group`` or its nearest base (None: none)."""
    return None


@functools.singledispatch
def _exact_rule(group: Group) -> _ExactRule | None:
    """The exact Clebsch-Gordan rule registered for the class of ``group`` or its nearest base."""
    return None


def register_clebsch_gordan(group_type: type, fn: _NumericRule, exact: _ExactRule | None = None) -> None:
    """Register a specialised Clebsch-Gordan rule for a group class (used for its subclasses too, unless
    they register their own), and optionally its exact (sympy) form used by
    :func:`clebsch_gordan_exact`. ``fn(sigma, tau)`` returns ``(irreps, C)`` as :func:`clebsch_gordan`
    does; a later registration for the same class replaces the earlier one.

    Results are cached per pair of irreps: register a rule before the first decomposition it should
    answer."""
    if not isinstance(group_type, type):
        raise TypeError(f"register_clebsch_gordan takes a group class, got {group_type!r}")
    _numeric_rule.register(group_type, lambda group: fn)
    if exact is not None:
        _exact_rule.register(group_type, lambda group: exact)


@functools.lru_cache(maxsize=4096)
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
    rule = _numeric_rule(sigma.group)
    if rule is not None:
        found, c = rule(sigma, tau)
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
    rule = _exact_rule(sigma.group)
    if rule is not None:
        found, c = rule(sigma, tau)
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
    # the Clebsch-Gordan matrix and the change of basis, both dense (d1 d2)^2
    check_memory(
        24 * (d1 * d2) ** 2,
        f"the change of basis of the tensor product {rho!r} (x) {tau!r} (a dense {d1 * d2} x {d1 * d2} matrix)",
        "take tensor products of smaller representations (of their irreps, with clebsch_gordan)",
    )
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

    product = _KroneckerProduct(rho, tau)
    return Representation(rho.group, found, q, name=name, matrix_fn=product, exact_fn=product.exact)


class _KroneckerProduct:
    """``g -> rho(g) (x) tau(g)`` (Kronecker order), in torch and exactly; a class, not a closure, so that
    representations and the layers holding them pickle."""

    def __init__(self, rho: Representation, tau: Representation):
        self.rho, self.tau = rho, tau

    def __call__(self, g):
        a, b = self.rho(g), self.tau(g)
        d = self.rho.dim * self.tau.dim
        return torch.einsum("...ij,...kl->...ikjl", a, b).reshape(a.shape[:-2] + (d, d))

    def exact(self, g):
        from sympy.physics.quantum import TensorProduct

        return TensorProduct(self.rho.exact(g), self.tau.exact(g))
