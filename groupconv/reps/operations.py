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

from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np
import sympy
import torch

from ..groups.base import FiniteGroup, Group, check_same_group
from ..groups.subgroups import inclusion, left_cosets, subgroup_indices
from ..utils.memory import check_memory
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
    "PermutationRepresentation",
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


# -- representations from the group's structure ------------------------------------------------------
def trivial(group: Group) -> Irrep:
    """The trivial irrep."""
    for ir in irreps(group) if group.is_finite else irreps(group, max_degree=0):
        if ir.is_trivial():
            return ir
    raise ValueError(f"no trivial irrep found for {group}")  # pragma: no cover


def standard(group: Group) -> Representation:
    """The defining action on ``R^n`` (``group.action_matrix``), decomposed into irreps."""
    return from_matrices(group, _ActionMatrix(group), group.action_dim, name="standard", degree=1)


class _ActionMatrix:
    """``g -> group.action_matrix(g)`` in float64 (picklable, unlike a closure)."""

    def __init__(self, group: Group):
        self.group = group

    def __call__(self, g):
        return self.group.action_matrix(g, dtype=torch.float64)


def _dense_bytes(batch: int, n: int) -> int:
    # the float64 matrices and the scatter's int64 index of the same shape
    return 16 * batch * n * n


class PermutationRepresentation(Representation):
    """A representation of a finite group that permutes a basis: ``rho(g) e_x = e_{perm[g, x]}``.

    It is stored as its permutation table :attr:`permutation` ``(|G|, d)`` and acts by a gather
    (:meth:`act`). Its irreps come from the characters (``chi(g)`` = number of fixed points), without
    evaluating matrices; the change of basis is computed on first use: for a representation acting simply
    transitively (the regular representation in any numbering of its basis) from the irreps directly
    (Peter-Weyl: ``Q[x, (sigma, j, i)] = sqrt(d_sigma / |G|) sigma(h_x)_{ij}`` with ``h_x`` the element
    taking the first basis vector to the ``x``-th, one copy per column ``j``, ``d_sigma / e_sigma`` columns),
    otherwise from the projections of the module docstring computed on the table (scatter-adds, no
    ``|G| x d x d`` tensor). Dense matrices ``rho(g)`` are formed only when asked for (``rep(g)``), under the
    memory budget (:mod:`groupconv.utils.memory`).

    Build one with :func:`permutation_representation`, :func:`regular` or :func:`quotient`; direct sums of
    permutation representations are permutation representations.
    """

    def __init__(
        self,
        group: FiniteGroup,
        perm_table: np.ndarray,
        name: str | None = None,
        summands: Sequence[Representation] | None = None,
    ):
        # no call to Representation.__init__: the irreps and the change of basis are found on first use
        self.group = group
        # a read-only view: the array it views (e.g. the group's Cayley table) stays as it was
        table = np.ascontiguousarray(perm_table, dtype=np.int64).view()
        table.flags.writeable = False
        self.permutation = table
        self.dim = int(table.shape[1])
        self.name = name
        self._matrix_fn = self._matrices
        self._exact_fn = None
        self.change_of_basis_exact = None
        self.summands = tuple(summands) if summands is not None else None
        self._irreps: tuple[Irrep, ...] | None = None
        self._q: np.ndarray | None = None
        self._tables: dict = {}

    def _table(self, device, inverse: bool = False) -> torch.Tensor:
        """The table as a ``long`` tensor on ``device`` (cached); with ``inverse``, the table of the
        inverse elements, ``perm[g^{-1}]``."""
        key = (torch.device(device), inverse)
        t = self._tables.get(key)
        if t is None:
            table = self.permutation[self.group.inverse_table_np] if inverse else self.permutation
            t = self._tables[key] = torch.from_numpy(np.array(table)).to(device)
        return t

    # -- lazily found decomposition ----------------------------------------------------------------------
    @property
    def irreps(self) -> tuple[Irrep, ...]:
        if self._irreps is None:
            if self.summands is not None:
                self._irreps = tuple(ir for r in self.summands for ir in r.irreps)
            else:
                self._irreps = _permutation_irreps(self.group, self.permutation)
        return self._irreps

    @property
    def change_of_basis(self) -> np.ndarray:
        if self._q is None:
            check_memory(
                24 * self.dim**2,
                f"the change of basis of {self!r} (a dense {self.dim} x {self.dim} matrix)",
                "act with rep.act(x, g) or rep.permutation, which need no change of basis",
            )
            if self.summands is not None:
                q = np.zeros((self.dim, self.dim))
                i = 0
                for r in self.summands:
                    q[i : i + r.dim, i : i + r.dim] = r.change_of_basis
                    i += r.dim
            elif _acts_simply_transitively(self.permutation):
                q = _peter_weyl_basis(self.group, self.permutation, self.irreps)
            else:
                q = _permutation_basis(self.group, self.permutation, self.irreps)
            self._q = q
        return self._q

    @property
    def _q_is_identity(self) -> bool:
        return bool(np.array_equal(self.change_of_basis, np.eye(self.dim)))

    # -- evaluation ----------------------------------------------------------------------------------------
    def _matrices(self, g: torch.Tensor) -> torch.Tensor:
        check_memory(
            _dense_bytes(g.numel(), self.dim),
            f"{g.numel()} dense {self.dim} x {self.dim} matrices of {self!r}",
            "act on vectors with rep.act(x, g) (a gather) or read rep.permutation instead of forming matrices",
        )
        return _perm_matrix(self._table(g.device)[g], self.dim)

    def act(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        """``rho(g) x`` along the last axis of ``x`` ``(..., d)`` by a gather: ``(rho(g) x)[y] =
        x[perm[g^{-1}, y]]``; ``g`` is one element or a batch broadcasting with ``x.shape[:-1]``. Exact."""
        g = self._check_act_input(x, g)
        idx = self._table(x.device, inverse=True)[g]  # g.shape + (d,)
        if g.dim() == 0:
            return x.index_select(-1, idx)
        shape = torch.broadcast_shapes(x.shape[:-1], g.shape) + (self.dim,)
        return torch.gather(x.expand(shape), -1, idx.expand(shape))

    def exact(self, g) -> sympy.Matrix:
        g = int(g)
        if not 0 <= g < self.group.order:
            raise ValueError(f"element indices of {self.group} lie in [0, {self.group.order}), got {g}")
        m = sympy.zeros(self.dim)
        for x in range(self.dim):
            m[int(self.permutation[g, x]), x] = 1
        return m

    def character(self, g: torch.Tensor, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        """The number of basis vectors each ``g`` fixes."""
        g = self.group.check_element(g)
        fixed = self._table(g.device) == torch.arange(self.dim, device=g.device)
        return fixed.sum(-1).to(dtype)[g]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PermutationRepresentation) and other.group == self.group:
            # equal matrices iff equal tables
            return other is self or np.array_equal(other.permutation, self.permutation)
        return super().__eq__(other)

    __hash__ = Representation.__hash__

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        # the bound method and the torch copies of the table are rebuilt on loading
        state.pop("_matrix_fn", None)
        state["_tables"] = {}
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.permutation.flags.writeable = False
        self._matrix_fn = self._matrices


def _check_permutation_table(group: FiniteGroup, table) -> np.ndarray:
    if not isinstance(group, FiniteGroup):
        raise TypeError(f"permutation representations are built for finite groups, got {group!r}")
    arr = np.asarray(table)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"a permutation table holds integer indices, got dtype {arr.dtype}")
    if arr.ndim != 2 or arr.shape[0] != group.order or arr.shape[1] < 1:
        raise ValueError(
            f"a permutation table of {group} has shape ({group.order}, d) with d >= 1, got {arr.shape}"
        )
    arr = arr.astype(np.int64)
    n = arr.shape[1]
    if not (np.sort(arr, 1) == np.arange(n)).all():
        raise ValueError(f"every row of a permutation table must be a permutation of 0..{n - 1}")
    if not (arr[group.identity_index] == np.arange(n)).all():
        raise ValueError("the identity must act as the identity permutation (row 0 of the table)")
    # a homomorphism: perm[g s] = perm[g] o perm[s] for the generators s (which determine the rest)
    try:
        gens = group.generators()
    except NotImplementedError:
        # a group that names no generators: every element is checked
        gens = range(group.order)
    elements = group.elements()
    for s in gens:
        gs = group.compose(elements, torch.tensor(s)).numpy()
        if not np.array_equal(arr[gs], arr[:, arr[s]]):
            raise ValueError(
                f"the table is not a representation of {group}: the permutation of g s differs from that of g "
                f"followed by s for the generator s = {s}"
            )
    return arr


def _irrep_values(sigma: Irrep, elements: np.ndarray) -> np.ndarray:
    """``sigma(g)`` ``(len(elements), d, d)`` in numpy, read from the irrep's table where it has one."""
    table = getattr(sigma, "table", None)
    if isinstance(table, np.ndarray):
        return table[elements]
    return sigma(torch.as_tensor(elements)).numpy()


def _permutation_irreps(group: FiniteGroup, table: np.ndarray) -> tuple[Irrep, ...]:
    """Irreps of a permutation representation from the character inner products
    ``<chi, chi_sigma> / <chi_sigma, chi_sigma>`` (``chi(g)`` = number of fixed points), in the order of
    the group's irreps, equal ones contiguous."""
    chi = (table == np.arange(table.shape[1])).sum(1).astype(np.float64)
    g = np.arange(group.order)
    found: list[Irrep] = []
    total = 0
    for sigma in irreps(group):
        cs = np.einsum("gii->g", _irrep_values(sigma, g))
        mult = float(chi @ cs) / float(cs @ cs)
        m = int(round(mult))
        if abs(mult - m) > 1e-6:
            raise ValueError(f"the permutation table is not a representation of {group}")  # pragma: no cover
        found.extend([sigma] * m)
        total += m * sigma.dim
    if total != table.shape[1]:
        raise ValueError(  # pragma: no cover - the table was checked to be a homomorphism
            f"the irreps found for a permutation representation of {group} have total dimension {total}, "
            f"not {table.shape[1]}"
        )
    return tuple(found)


def _acts_simply_transitively(table: np.ndarray) -> bool:
    n = table.shape[0]
    return table.shape[1] == n and bool((np.bincount(table[:, 0], minlength=n) == 1).all())


def _orthonormal_copy(c: np.ndarray) -> np.ndarray:
    """The columns of an equivariant image ``c`` ``(n, d)`` of an irrep made orthonormal by the polar
    factor ``c (c^T c)^{-1/2}``, which stays equivariant (``c^T c`` commutes with the irrep)."""
    w, v = np.linalg.eigh(c.T @ c)
    return c @ (v / np.sqrt(w)) @ v.T


def _copies(candidates, n: int) -> list[np.ndarray]:
    """Orthonormal copies ``(n, d)`` of an irrep from candidate copies (equivariant images of the irrep
    with orthonormal columns, possibly inside the span of those before): each is orthogonalized against
    those accepted and kept when something remains."""
    accepted: list[np.ndarray] = []
    for c in candidates:
        if accepted:
            basis = np.concatenate(accepted, 1)
            c = c - basis @ (basis.T @ c)
        if np.linalg.norm(c) < 0.5:
            continue
        accepted.append(_orthonormal_copy(c))
    return accepted


def _peter_weyl_basis(group: FiniteGroup, table: np.ndarray, found: Sequence[Irrep]) -> np.ndarray:
    """Change of basis of a permutation representation acting simply transitively, from the irreps:
    ``sigma(h_x)_{ij}`` with ``h_x`` the element with ``h_x . e_0 = e_x`` (Peter-Weyl). For orthogonal
    ``sigma``, ``(rho(g) v)_x = v_{g^{-1} x}`` turns ``v_i = (sigma(h_x)_{ij})_x`` into
    ``sum_k sigma(g)_{ki} v_k``: each column ``j`` carries a copy; Schur orthogonality makes the columns
    orthogonal with squared norm ``|G| / d`` (those of an irrep of complex or quaternionic type overlap
    in pairs, and the copies are orthogonalized)."""
    n = table.shape[0]
    h = np.argsort(table[:, 0])  # h[x]: the element taking e_0 to e_x
    q = np.empty((n, n))
    col = 0
    for sigma, mult in Counter(found).items():
        d = sigma.dim
        vals = _irrep_values(sigma, h) * np.sqrt(d / n)  # (n, d, d)
        if sigma.type == "R":
            copies = [vals[:, :, j] for j in range(d)]
        else:
            copies = _copies((vals[:, :, j] for j in range(d)), n)
        if len(copies) != mult:
            raise ArithmeticError(  # pragma: no cover - characters and Schur orthogonality agree
                f"{len(copies)} copies of {sigma!r} found, the characters say {mult}"
            )
        for c in copies:
            q[:, col : col + d] = c
            col += d
    return q


def _permutation_basis(group: FiniteGroup, table: np.ndarray, found: Sequence[Irrep]) -> np.ndarray:
    """Change of basis of any permutation representation from the projections
    ``P_j1 = d/|G| sum_g sigma(g)_{j1} rho(g)``, whose entries ``P_j1[perm[g, b], b] += sigma(g)_{j1}``
    are scatter-adds on the table (no dense matrices); the image of ``P_11`` holds one vector per copy
    (two for irreps of complex type), each generating the copy ``(P_j1 v)_j``."""
    order, n = table.shape
    flat = (table * n + np.arange(n)).reshape(-1)  # entry (perm[g, b], b) of an n x n matrix
    q = np.empty((n, n))
    col = 0
    for sigma, mult in Counter(found).items():
        d = sigma.dim
        check_memory(
            8 * (d + 2) * n * n,
            f"the projections onto {sigma!r} in {n} dimensions",
            "use a smaller representation",
        )
        s0 = _irrep_values(sigma, np.arange(order))[:, :, 0]  # (|G|, d): sigma(g)_{j1}
        proj = np.stack(
            [
                np.bincount(flat, weights=np.repeat(s0[:, j], n), minlength=n * n).reshape(n, n)
                for j in range(d)
            ]
        ) * (d / order)
        # the image of P_11 minus the copies found so far, as the columns of a residual: the column of
        # largest norm generates the next copy (no SVD; the projector onto the copies commutes with P_11)
        residual = proj[0].copy()
        copies: list[np.ndarray] = []
        for _ in range(mult):
            norms = np.einsum("ij,ij->j", residual, residual)
            j = int(np.argmax(norms))
            if norms[j] < 1e-12:
                break
            c = _orthonormal_copy((proj @ (residual[:, j] / np.sqrt(norms[j]))).T)
            copies.append(c)
            residual -= c @ (c.T @ residual)
        if len(copies) != mult:
            raise ArithmeticError(  # pragma: no cover
                f"{len(copies)} copies of {sigma!r} found, the characters say {mult}"
            )
        for c in copies:
            q[:, col : col + d] = c
            col += d
    return q


def permutation_representation(
    group: FiniteGroup, perm_table: np.ndarray, name: str | None = None
) -> PermutationRepresentation:
    """The permutation representation ``rho(g) e_x = e_{perm_table[g, x]}`` of a finite group, stored as
    its table and acting by a gather (:class:`PermutationRepresentation`).

    Raises
    ------
    TypeError
        for a group that is not finite or a table that does not hold integers.
    ValueError
        for a table that is not ``(|G|, d)``, whose rows are not permutations, or that is not a
        homomorphism.
    """
    return PermutationRepresentation(group, _check_permutation_table(group, perm_table), name=name)


def _perm_matrix(targets: torch.Tensor, n: int) -> torch.Tensor:
    """Matrices with ``M[targets[x], x] = 1``."""
    out = torch.zeros(targets.shape[:-1] + (n, n), dtype=torch.float64, device=targets.device)
    out.scatter_(-2, targets.unsqueeze(-2), 1.0)
    return out


def regular(group: FiniteGroup) -> PermutationRepresentation:
    """The regular representation on functions ``G -> R``: ``(rho(g) f)(h) = f(g^{-1} h)``, i.e.
    ``rho(g) e_h = e_{gh}``; every irrep ``sigma`` occurs ``d_sigma / e_sigma`` times (``e_sigma`` =
    dimension of its endomorphism algebra). Stored as its permutation table (the Cayley table) and acting
    by a gather; its change of basis (Peter-Weyl) and dense matrices are built only when asked for."""
    if not isinstance(group, FiniteGroup):
        raise TypeError(f"the regular representation is built for finite groups, got {group}")
    return _regular(group)


@lru_cache(maxsize=64)
def _regular(group: FiniteGroup) -> PermutationRepresentation:
    # the Cayley table is a representation by associativity: no check needed
    return PermutationRepresentation(group, group.cayley_table_np, name="regular")


def quotient(group: FiniteGroup, subgroup: FiniteGroup, iota=None) -> Representation:
    """The quotient representation on functions on ``G/H``: ``rho(g) e_{xH} = e_{gxH}``."""
    if not isinstance(group, FiniteGroup) or not isinstance(subgroup, FiniteGroup):
        raise TypeError(f"quotient representations are built for finite groups, got {group} and {subgroup}")
    reps_, coset_of = left_cosets(subgroup, group, iota)
    # g x_i for every element g and coset representative x_i: |G| x |G/H| products, not the Cayley table
    perm = coset_of[group.compose(group.elements()[:, None], torch.as_tensor(reps_)[None, :]).numpy()]
    # a left action on cosets: a representation by construction
    return PermutationRepresentation(group, perm, name=f"quotient({subgroup.name})")


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
    table, inv = group.cayley_table_np, group.inverse_table_np
    m, d = len(reps_), rep.dim
    # x[g, i, j] = r_i^{-1} g r_j as an element of H, or -1
    x = table[table[inv[reps_][None, :, None], np.arange(group.order)[:, None, None]], reps_[None, None, :]]
    hidx = g_to_h[x]
    blocks = _InducedBlocks(rep, hidx)
    found, q = decompose(group, blocks, m * d)
    return Representation(
        group,
        found,
        q,
        name=f"induced({subgroup.name}:{rep._atom_str()})",
        matrix_fn=blocks,
        exact_fn=blocks.exact,
    )


class _InducedBlocks:
    """The matrices of an induced representation from ``hidx[g, i, j]`` (the element ``r_i^{-1} g r_j`` of
    ``H``, or -1): block ``(i, j)`` is ``rep(hidx[g, i, j])`` or zero. Picklable, unlike a closure."""

    def __init__(self, rep: Representation, hidx: np.ndarray):
        self.rep, self.hidx = rep, hidx
        self.hidx_t = torch.as_tensor(hidx)

    def __call__(self, g):
        m, d = self.hidx.shape[1], self.rep.dim
        hh = self.hidx_t.to(g.device)[g]
        mats = self.rep(hh.clamp(min=0)) * (hh >= 0)[..., None, None]
        return mats.transpose(-3, -2).reshape(g.shape + (m * d, m * d))

    def exact(self, g):
        m, d = self.hidx.shape[1], self.rep.dim
        out = sympy.zeros(m * d)
        for i in range(m):
            for j in range(m):
                if self.hidx[int(g), i, j] >= 0:
                    out[i * d : (i + 1) * d, j * d : (j + 1) * d] = self.rep.exact(
                        int(self.hidx[int(g), i, j])
                    )
        return out


def restrict(rep: Representation, subgroup: Group, iota=None) -> Representation:
    """``Res^G_H rep``: ``h -> rep(iota(h))``, decomposed into the irreps of ``H``."""
    iota = iota or inclusion(subgroup, rep.group)
    restricted = _Restricted(rep, iota)
    exact = subgroup.is_finite and rep.group.is_finite
    found, q = decompose(subgroup, restricted, rep.dim, rep.degree)
    return Representation(
        subgroup,
        found,
        q,
        name=f"restrict({rep.group.name}:{rep._atom_str()})" if rep.name else None,
        matrix_fn=restricted,
        exact_fn=restricted.exact if exact else None,
    )


class _Restricted:
    """``h -> rep(iota(h))``, in torch and exactly (picklable, unlike a closure)."""

    def __init__(self, rep: Representation, iota):
        self.rep, self.iota = rep, iota

    def __call__(self, h):
        return self.rep(self.iota(h))

    def exact(self, h):
        return self.rep.exact(int(self.iota(torch.tensor(int(h)))))
