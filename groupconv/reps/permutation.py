"""Representations that permute a basis: permutation, regular and quotient representations.

A :class:`PermutationRepresentation` is stored as its permutation table and acts by a gather; its irreps
come from the characters (numbers of fixed points) and its change of basis, built on first use, from
the irreps (Peter-Weyl, for a representation acting simply transitively) or from the projections of
:mod:`groupconv.reps.decomposition` computed on the table.

Examples
--------
>>> import torch
>>> from groupconv.groups import Cyclic
>>> rho = regular(Cyclic(3))
>>> rho.permutation[1].tolist(), rho.act(torch.tensor([1.0, 2.0, 3.0]), torch.tensor(1)).tolist()
([1, 2, 0], [3.0, 1.0, 2.0])
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import torch

from ..groups.base import FiniteGroup
from ..groups.subgroups import left_cosets
from ..utils.lazy import sympy
from ..utils.memory import check_memory
from .irreps import irreps
from .representation import Irrep, Representation

__all__ = ["PermutationRepresentation", "permutation_representation", "regular", "quotient"]


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
    otherwise from the projections of :mod:`groupconv.reps.decomposition` computed on the table
    (scatter-adds, no ``|G| x d x d`` tensor). Dense matrices ``rho(g)`` are formed only when asked for
    (``rep(g)``), under the memory budget (:mod:`groupconv.utils.memory`).

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
