"""Irreps of direct products ``G x H``.

Every irrep of ``G x H`` occurs in an outer tensor product ``sigma (x) tau`` of irreps of the factors,
``(g, h) -> sigma(g) (x) tau(h)`` (Kronecker order, index ``(a, b) -> a d_tau + b``); see Serre, *Linear
representations of finite groups*, 1977, section 3.2, and for real representations Broecker and tom
Dieck, *Representations of Compact Lie Groups*, 1985, chapter II. Over the reals, with ``e`` the
dimension of the endomorphism algebra (1 for real type ``'R'``, 2 for complex type ``'C'``):

- ``R (x) R`` is irreducible of real type, ``id = (id_sigma, id_tau)``;
- ``R (x) C`` and ``C (x) R`` are irreducible of complex type (complex structure ``I (x) J_tau``, resp.
  ``J_sigma (x) I``), ``id = (id_sigma, id_tau)``;
- ``C (x) C`` splits: ``K = J_sigma (x) J_tau`` is symmetric, squares to ``I`` and commutes with the
  action, and its ``+1`` and ``-1`` eigenspaces carry two irreps of complex type (complex structure
  ``J_sigma (x) I`` restricted), ``id = (id_sigma, id_tau, +1)`` and ``(id_sigma, id_tau, -1)``.

``J`` is the second element of :attr:`~groupconv.reps.Irrep.endomorphism_basis`. The basis of the
``+-1`` eigenspace is obtained by exact Gram-Schmidt on the columns of ``(I +- K) / 2`` in index order,
skipping dependent ones, and the irrep is ``P^T (sigma (x) tau) P``.

Canonical order: ``sigma`` over the irreps of ``G`` (outer), ``tau`` over those of ``H`` (inner), ``+1``
before ``-1``. For a continuous product, ``irreps(G x H, max_degree=L)`` takes the factors' irreps of
degree at most ``L`` and the product irrep has degree ``max(deg sigma, deg tau)``.

Exact forms: for a finite product ``exact(g)`` takes the index of ``g``; otherwise it takes the pair
``(g_G, g_H)`` of the factors' exact element forms (e.g. ``(theta, k)`` for ``SO2 x C2``).

Examples
--------
>>> from groupconv.groups import Cyclic, DirectProduct
>>> from groupconv.reps import irrep
>>> P = DirectProduct(Cyclic(3), Cyclic(4))
>>> irrep(P, 1, 1, -1).dim, product_irrep_factors(irrep(P, 1, 1, -1))
(2, (C3[irrep(1)], C4[irrep(1)], -1))
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from ..groups.product import DirectProduct
from ..utils.lazy import sympy
from .irreps import TableIrrep, irrep, irreps, register_irreps
from .representation import Irrep

__all__ = ["FiniteProductIrrep", "ProductIrrep", "product_irrep_factors"]


def _fmt(x) -> str:
    if isinstance(x, tuple):
        return "(" + ",".join(_fmt(y) for y in x) + ")"
    return str(x)


def _kron_torch(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    out = torch.einsum("...ij,...kl->...ikjl", a, b)
    return out.reshape(out.shape[:-4] + (a.shape[-1] * b.shape[-1],) * 2)


def _kron_sympy(a: sympy.Matrix, b: sympy.Matrix) -> sympy.Matrix:
    db = b.shape[0]
    return sympy.Matrix(
        a.shape[0] * db, a.shape[1] * db, lambda r, c: a[r // db, c // db] * b[r % db, c % db]
    )


def _exact_complex_structure(ir: Irrep) -> sympy.Matrix:
    """``J`` of an irrep of complex type as an exact sympy Matrix."""
    exact = getattr(ir, "endomorphism_exact", None)
    if exact is not None:
        return exact[1]
    j = np.asarray(ir.endomorphism_basis[1], dtype=np.float64)
    out = sympy.Matrix(j.shape[0], j.shape[1], [sympy.nsimplify(float(x)) for x in j.reshape(-1)])
    if np.abs(np.array(out.evalf(), dtype=np.float64) - j).max() > 1e-12:
        raise ValueError(f"the complex structure J of {ir!r} has no recognisable exact form")
    return out


def _eigenbasis_exact(k: sympy.Matrix, sign: int) -> sympy.Matrix:
    """Orthonormal basis (columns) of the ``sign`` eigenspace of the symmetric involution ``k``:
    Gram-Schmidt on the columns of ``(I + sign k) / 2`` in index order."""
    dim = k.shape[0]
    proj = (sympy.eye(dim) + sign * k) / 2
    basis: list[sympy.Matrix] = []
    for j in range(dim):
        v = proj[:, j]
        for b in basis:
            v = v - (b.T * v)[0, 0] * b
        v = v.applyfunc(sympy.radsimp)
        n2 = sympy.radsimp((v.T * v)[0, 0])
        if n2 == 0:
            continue
        basis.append((v / sympy.sqrt(n2)).applyfunc(sympy.radsimp))
    if 2 * len(basis) != dim:
        raise ArithmeticError(
            f"the {sign:+d} eigenspace of J (x) J has dimension {len(basis)}, expected {dim // 2}"
        )
    return sympy.Matrix.hstack(*basis)


class _ProductData:
    """Shared construction: dimension, type, projection ``P`` and complex structure."""

    def __init__(self, sigma: Irrep, tau: Irrep, sign: int | None):
        for ir in (sigma, tau):
            if ir.type not in ("R", "C"):
                raise NotImplementedError(
                    f"irreps of direct products are built for factors of real or complex type, got {ir!r} "
                    f"of type {ir.type!r}"
                )
        both_complex = sigma.type == "C" and tau.type == "C"
        if both_complex and sign not in (1, -1):
            raise ValueError(
                f"{sigma!r} (x) {tau!r} splits into two irreps: give the sign +1 or -1, got {sign!r}"
            )
        if not both_complex and sign is not None:
            raise ValueError(f"{sigma!r} (x) {tau!r} is irreducible: no sign is taken, got {sign!r}")
        ds, dt = sigma.dim, tau.dim
        self.proj_exact: sympy.Matrix | None = None
        self.proj: np.ndarray | None = None
        if both_complex:
            js, jt = _exact_complex_structure(sigma), _exact_complex_structure(tau)
            p = _eigenbasis_exact(_kron_sympy(js, jt), sign)
            self.proj_exact = p
            self.proj = np.array(p.evalf(17), dtype=np.float64)
            j = (p.T * _kron_sympy(js, sympy.eye(dt)) * p).applyfunc(sympy.radsimp)
            self.type = "C"
        elif sigma.type == "C":
            j = _kron_sympy(_exact_complex_structure(sigma), sympy.eye(dt))
            self.type = "C"
        elif tau.type == "C":
            j = _kron_sympy(sympy.eye(ds), _exact_complex_structure(tau))
            self.type = "C"
        else:
            j = None
            self.type = "R"
        self.dim = ds * dt // (2 if both_complex else 1)
        if j is None:
            self.endo_exact = [sympy.eye(self.dim)]
        else:
            self.endo_exact = [sympy.eye(self.dim), j]
        self.endo = np.stack([np.array(m.evalf(17), dtype=np.float64) for m in self.endo_exact])

    def project(self, m: torch.Tensor) -> torch.Tensor:
        if self.proj is None:
            return m
        p = torch.as_tensor(self.proj, dtype=m.dtype, device=m.device)
        return p.T @ m @ p

    def project_exact(self, m: sympy.Matrix) -> sympy.Matrix:
        if self.proj_exact is None:
            return m
        return (self.proj_exact.T * m * self.proj_exact).applyfunc(sympy.expand)


def _product_id(sigma: Irrep, tau: Irrep, sign: int | None) -> tuple:
    return (sigma.id, tau.id) if sign is None else (sigma.id, tau.id, sign)


def _product_name(sigma: Irrep, tau: Irrep, sign: int | None) -> str:
    parts = [_fmt(sigma.id), _fmt(tau.id)] + ([] if sign is None else [f"{sign:+d}"])
    return "irrep(" + ",".join(parts) + ")"


class FiniteProductIrrep(TableIrrep):
    """An irrep of a finite direct product ``G x H`` (see :mod:`groupconv.reps.product`), stored as a
    table over the elements ``g |H| + h``; ``exact(g)`` takes the index ``g``."""

    def __init__(self, group: DirectProduct, sigma: Irrep, tau: Irrep, sign: int | None = None):
        data = _ProductData(sigma, tau, sign)
        G, H = group.factors
        a = sigma(G.elements(), torch.float64)
        b = tau(H.elements(), torch.float64)
        kron = _kron_torch(a[:, None], b[None, :]).reshape(group.order, sigma.dim * tau.dim, -1)
        table = data.project(kron).numpy()
        self.factors = (sigma, tau)
        self.sign = sign
        self._data = data
        self._exact_cache: dict[int, sympy.Matrix] = {}
        super().__init__(
            group,
            _product_id(sigma, tau, sign),
            table,
            self._exact_matrix,
            type=data.type,
            endomorphisms=data.endo,
        )
        self.name = _product_name(sigma, tau, sign)
        self.endomorphism_exact = data.endo_exact

    def _exact_matrix(self, g: int) -> sympy.Matrix:
        out = self._exact_cache.get(g)
        if out is None:
            m = self.group.H.order
            sigma, tau = self.factors
            out = self._data.project_exact(_kron_sympy(sigma.exact(g // m), tau.exact(g % m)))
            self._exact_cache[g] = out
        return out


class ProductIrrep(Irrep):
    """An irrep of a direct product with a continuous factor (see :mod:`groupconv.reps.product`).
    ``exact((g_G, g_H))`` takes the pair of the factors' exact element forms."""

    def __init__(self, group: DirectProduct, sigma: Irrep, tau: Irrep, sign: int | None = None):
        data = _ProductData(sigma, tau, sign)
        super().__init__(
            group,
            _product_id(sigma, tau, sign),
            data.dim,
            degree=max(sigma.degree, tau.degree),
            type=data.type,
        )
        self.factors = (sigma, tau)
        self.sign = sign
        self._data = data
        self.name = _product_name(sigma, tau, sign)
        self.endomorphism_exact = data.endo_exact

    def _matrix(self, g: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        a, b = self.group.split(g)
        sigma, tau = self.factors
        return self._data.project(_kron_torch(sigma(a, dtype), tau(b, dtype)))

    def _exact(self, g) -> sympy.Matrix:
        if not isinstance(g, (tuple, list)) or len(g) != 2:
            raise TypeError(
                f"exact elements of {self.group} are pairs (g_G, g_H) of the factors' exact forms, got {g!r}"
            )
        sigma, tau = self.factors
        return self._data.project_exact(_kron_sympy(sigma.exact(g[0]), tau.exact(g[1])))

    @property
    def endomorphism_basis(self) -> np.ndarray:
        return self._data.endo


def product_irrep_factors(ir: Irrep) -> tuple[Irrep, Irrep, int | None]:
    """``(sigma, tau, sign)`` of an irrep of a direct product (``sign`` is None unless it splits)."""
    if not isinstance(ir, (FiniteProductIrrep, ProductIrrep)):
        raise TypeError(f"expected an irrep of a direct product, got {ir!r}")
    return ir.factors[0], ir.factors[1], ir.sign


@lru_cache(maxsize=1024)
def _build(P: DirectProduct, sigma: Irrep, tau: Irrep, sign: int | None) -> Irrep:
    cls = FiniteProductIrrep if P.is_finite else ProductIrrep
    return cls(P, sigma, tau, sign)


def _factor_irrep(F, id) -> Irrep:
    return irrep(F, *id) if isinstance(id, tuple) else irrep(F, id)


def _product_get(P: DirectProduct, *id) -> Irrep:
    if len(id) == 1 and isinstance(id[0], tuple):
        id = id[0]
    if len(id) not in (2, 3):
        raise ValueError(
            f"irreps of {P} are irrep(id_G, id_H) or irrep(id_G, id_H, sign) with sign +1/-1, got irrep{id!r}"
        )
    sigma = _factor_irrep(P.G, id[0])
    tau = _factor_irrep(P.H, id[1])
    sign = id[2] if len(id) == 3 else None
    return _build(P, sigma, tau, sign)


def _product_list(P: DirectProduct, max_degree: int | None = None) -> list[Irrep]:
    def factor_irreps(F):
        return irreps(F) if F.is_finite else irreps(F, max_degree=max_degree)

    out = []
    for sigma in factor_irreps(P.G):
        for tau in factor_irreps(P.H):
            signs = (1, -1) if sigma.type == "C" and tau.type == "C" else (None,)
            out.extend(_build(P, sigma, tau, s) for s in signs)
    return out


register_irreps(DirectProduct, _product_list, _product_get)
