"""Representations of compact groups.

A :class:`Representation` of a group ``G`` on ``R^d`` is stored as a list of irreps and an orthogonal
change of basis ``Q``:

.. math::  \\rho(g) = Q \\, \\Big(\\bigoplus_i \\sigma_i(g)\\Big) \\, Q^\\top .

Matrices are evaluated batched: ``rep(g)`` returns a tensor ``batch + (d, d)`` for a batch of elements.
All representations are real and orthogonal, so the dual (contragredient) ``rho(g^{-1})^T`` equals
``rho`` itself.

Examples
--------
>>> from groupconv.groups import Cyclic
>>> from groupconv.reps import irrep
>>> rho = directsum(irrep(Cyclic(4), 1), irrep(Cyclic(4), 0))
>>> rho.dim, rho.exact(1)
(3, Matrix([
[0, -1, 0],
[1,  0, 0],
[0,  0, 1]]))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from ..groups.base import Group, HashedOnce, check_same_group
from ..utils.lazy import sympy

__all__ = ["Representation", "Irrep", "directsum", "block_diagonal"]


def block_diagonal(blocks: Sequence[torch.Tensor]) -> torch.Tensor:
    """Block-diagonal matrices ``(..., sum d_i, sum d_i)`` from batched blocks ``(..., d_i, d_i)``."""
    if len(blocks) == 1:
        return blocks[0]
    batch = torch.broadcast_shapes(*[b.shape[:-2] for b in blocks])
    dim = sum(b.shape[-1] for b in blocks)
    out = blocks[0].new_zeros(batch + (dim, dim))
    i = 0
    for b in blocks:
        d = b.shape[-1]
        out[..., i : i + d, i : i + d] = b
        i += d
    return out


def _check_orthogonal(q: np.ndarray, atol: float = 1e-8) -> None:
    if q.ndim != 2 or q.shape[0] != q.shape[1]:
        raise ValueError(f"change of basis must be a square matrix, got shape {q.shape}")
    err = np.abs(q.T @ q - np.eye(q.shape[0])).max() if q.size else 0.0
    if err > atol:
        raise ValueError(
            f"change of basis must be orthogonal (Q^T Q = I); got max |Q^T Q - I| = {err:.3g} > {atol:g}"
        )


class Representation(HashedOnce):
    """A real orthogonal representation of a compact group.

    Parameters
    ----------
    group:
        The group.
    irreps:
        The irreps ``sigma_i`` of the decomposition, in order.
    change_of_basis:
        Orthogonal ``(d, d)`` matrix ``Q`` with ``rho(g) = Q (+)_i sigma_i(g) Q^T``; identity if omitted.
    name:
        Short name used by the compact printable form (e.g. ``"regular"``).
    matrix_fn:
        Optional fast evaluation ``g -> rho(g)`` (e.g. permutation matrices); must agree with the
        decomposition.
    exact_fn:
        Optional exact evaluation ``g -> sympy.Matrix``.
    change_of_basis_exact:
        Optional exact ``Q`` as a sympy Matrix.
    """

    def __init__(
        self,
        group: Group,
        irreps: Sequence[Irrep],
        change_of_basis: np.ndarray | None = None,
        name: str | None = None,
        matrix_fn: Callable[[torch.Tensor], torch.Tensor] | None = None,
        exact_fn: Callable[[object], sympy.Matrix] | None = None,
        change_of_basis_exact: sympy.Matrix | None = None,
        summands: Sequence[Representation] | None = None,
    ):
        if not isinstance(group, Group):
            raise TypeError(f"group must be a groupconv Group, got {type(group).__name__}")
        self.group = group
        irreps = tuple(irreps)
        for ir in irreps:
            if not isinstance(ir, Irrep):
                raise TypeError(f"irreps must be Irrep objects, got {type(ir).__name__}")
            check_same_group(group, ir.group, "irrep")
        self.irreps = irreps
        self.dim = int(sum(ir.dim for ir in irreps))
        if change_of_basis is None:
            self.change_of_basis = np.eye(self.dim)
            self._q_is_identity = True
        else:
            q = np.asarray(change_of_basis, dtype=np.float64)
            if q.shape != (self.dim, self.dim):
                raise ValueError(
                    f"change of basis must be ({self.dim}, {self.dim}) for irreps of total dimension "
                    f"{self.dim}, got {q.shape}"
                )
            _check_orthogonal(q)
            self.change_of_basis = q
            self._q_is_identity = bool(np.array_equal(q, np.eye(self.dim)))
        self.name = name
        self._matrix_fn = matrix_fn
        self._exact_fn = exact_fn
        self.change_of_basis_exact = change_of_basis_exact
        self.summands = tuple(summands) if summands is not None else None

    #: ``(|G|, d)`` table with ``rho(g) e_x = e_{permutation[g, x]}`` for representations that permute
    #: a basis (regular, quotient, permutation representations and their direct sums), else ``None``.
    permutation: np.ndarray | None = None

    # -- evaluation -------------------------------------------------------------------------------
    def __call__(self, g: torch.Tensor, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        """Matrices ``rho(g)`` of shape ``batch + (d, d)``."""
        g = self.group.check_element(g)
        if self._matrix_fn is not None:
            return self._matrix_fn(g).to(dtype)
        return self._from_irreps(g, dtype)

    def act(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        """``rho(g) x`` for vectors ``x`` of shape ``(..., d)``: ``g`` is one element acting on every
        vector, or a batch of elements broadcasting with ``x.shape[:-1]``. A representation that permutes
        a basis (:attr:`permutation`) acts by a gather, exactly and without forming matrices."""
        g = self._check_act_input(x, g)
        mats = self(g, x.dtype)
        return (mats @ x.unsqueeze(-1)).squeeze(-1)

    def _check_act_input(self, x, g) -> torch.Tensor:
        """Checks the arguments of :meth:`act`; returns ``g`` checked, as a tensor on ``x``'s device."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"act takes a torch tensor x of shape (..., {self.dim}), got {type(x).__name__}")
        if x.dim() == 0 or x.shape[-1] != self.dim:
            raise ValueError(
                f"{self!r} acts on vectors of dimension {self.dim}: x must have shape (..., {self.dim}), got "
                f"{tuple(x.shape)}"
            )
        return self.group.check_element(torch.as_tensor(g, device=x.device))

    def _from_irreps(self, g: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        cache: dict[Irrep, torch.Tensor] = {}
        blocks = []
        for ir in self.irreps:
            if ir not in cache:
                cache[ir] = ir(g, dtype)
            blocks.append(cache[ir])
        b = block_diagonal(blocks)
        if self._q_is_identity:
            return b
        q = torch.as_tensor(self.change_of_basis, dtype=dtype, device=b.device)
        return q @ b @ q.T

    def character(self, g: torch.Tensor, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        """The character ``chi(g) = tr rho(g)``, batched."""
        g = self.group.check_element(g)
        total = None
        for ir in self.irreps:
            c = ir.character(g, dtype)
            total = c if total is None else total + c
        return total

    def exact(self, g) -> sympy.Matrix:
        """``rho(g)`` as a sympy Matrix with exact entries.

        ``g`` is a python ``int`` (finite groups), a sympy expression for the angle (SO2), or a pair
        ``(theta, s)`` (O2).
        """
        if self._exact_fn is not None:
            return self._exact_fn(g)
        if self.summands is not None:
            return sympy.diag(*[s.exact(g) for s in self.summands])
        blocks = sympy.diag(*[ir.exact(g) for ir in self.irreps])
        if self._q_is_identity:
            return blocks
        if self.change_of_basis_exact is None:
            raise NotImplementedError(
                f"{self!r} has no exact change of basis; build it with an exact decomposition"
            )
        q = self.change_of_basis_exact
        return q * blocks * q.T

    # -- structure --------------------------------------------------------------------------------
    @property
    def degree(self) -> int:
        """The largest frequency / degree among the irreps (0 for finite groups)."""
        return max((ir.degree for ir in self.irreps), default=0)

    def multiplicities(self) -> dict[Irrep, int]:
        """How many times each irrep occurs."""
        out: dict[Irrep, int] = {}
        for ir in self.irreps:
            out[ir] = out.get(ir, 0) + 1
        return out

    def multiplicity(self, irrep: Irrep) -> int:
        return self.multiplicities().get(irrep, 0)

    def is_trivial(self) -> bool:
        return all(ir.is_trivial() for ir in self.irreps)

    @property
    def atoms(self) -> tuple[Representation, ...]:
        """The named summands this representation was built from (itself if it is not a sum)."""
        return self.summands if self.summands is not None else (self,)

    # -- operations -------------------------------------------------------------------------------
    def __add__(self, other: Representation) -> Representation:
        return directsum(self, other)

    def __mul__(self, n: int) -> Representation:
        if not isinstance(n, int) or n < 0:
            raise TypeError(f"a representation can be repeated a non-negative int number of times, got {n!r}")
        return directsum(*([self] * n), group=self.group)

    __rmul__ = __mul__

    def tensor(self, other: Representation) -> Representation:
        """The tensor product ``rho (x) other`` decomposed into irreps (see :func:`tensor_product`)."""
        from .decomposition import tensor_product

        return tensor_product(self, other)

    def __matmul__(self, other: Representation) -> Representation:
        return self.tensor(other)

    def dual(self) -> Representation:
        """The contragredient ``g -> rho(g^{-1})^T``; equal to ``rho`` for real orthogonal representations."""
        return self

    def restrict(self, subgroup: Group, inclusion=None) -> Representation:
        """Restriction to a subgroup, decomposed into the subgroup's irreps."""
        from .operations import restrict

        return restrict(self, subgroup, inclusion)

    # -- printing and comparison --------------------------------------------------------------------
    def _atom_str(self) -> str:
        return self.name if self.name is not None else f"rep{self.dim}"

    def __repr__(self) -> str:
        parts = []
        atoms = [a._atom_str() for a in self.atoms]
        i = 0
        while i < len(atoms):
            j = i
            while j < len(atoms) and atoms[j] == atoms[i]:
                j += 1
            n = j - i
            parts.append(atoms[i] if n == 1 else f"{n} x {atoms[i]}")
            i = j
        return f"{self.group.name}[{' + '.join(parts)}]"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Representation):
            return NotImplemented
        if self is other:
            return True
        return (
            self.group == other.group
            and self.irreps == other.irreps
            and np.allclose(self.change_of_basis, other.change_of_basis, atol=1e-9)
        )

    # defining __eq__ unsets an inherited __hash__
    __hash__ = HashedOnce.__hash__

    def _hash_key(self) -> tuple:
        return (self.group, self.irreps)


class Irrep(Representation):
    """An irreducible real orthogonal representation.

    Subclasses implement :meth:`_matrix` (batched torch) and :meth:`_exact` (sympy).

    Attributes
    ----------
    id:
        A hashable identifier, unique among the group's irreps (e.g. the frequency ``k`` for ``C_n``).
    type:
        ``"R"`` (real type, endomorphisms = scalars), ``"C"`` (complex type, endomorphisms
        ``a I + b J``) or ``"H"`` (quaternionic type).
    """

    type: str = "R"

    def __init__(self, group: Group, id, dim: int, degree: int = 0, type: str = "R"):
        self.group = group
        self.id = id
        self.dim = int(dim)
        self.type = type
        self._degree = int(degree)
        self.irreps = (self,)
        self.change_of_basis = np.eye(self.dim)
        self._q_is_identity = True
        self.name = "irrep(" + ",".join(str(x) for x in (id if isinstance(id, tuple) else (id,))) + ")"
        self._matrix_fn = None
        self._exact_fn = None
        self.change_of_basis_exact = None
        self.summands = None

    @property
    def degree(self) -> int:
        return self._degree

    def _matrix(self, g: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError

    def _exact(self, g) -> sympy.Matrix:  # pragma: no cover
        raise NotImplementedError(f"{self!r} has no exact form")

    def __call__(self, g: torch.Tensor, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        g = self.group.check_element(g)
        return self._matrix(g, dtype)

    def character(self, g: torch.Tensor, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        return torch.diagonal(self(g, dtype), dim1=-2, dim2=-1).sum(-1)

    def exact(self, g) -> sympy.Matrix:
        return self._exact(g)

    def is_trivial(self) -> bool:
        """True for the trivial irrep (``sigma(g) = 1`` for every ``g``)."""
        if self.dim != 1 or self.degree != 0:
            return False
        known = self.__dict__.get("_trivial")
        if known is None:
            if self.group.is_finite:
                g = self.group.elements()
            else:
                g = self.group.sample(8, generator=torch.Generator().manual_seed(0))
            known = self.__dict__["_trivial"] = bool(
                torch.allclose(self(g), torch.ones((), dtype=torch.float64))
            )
        return known

    @property
    def endomorphism_basis(self) -> np.ndarray:
        """Basis ``(e, d, d)`` of the matrices commuting with every ``sigma(g)``: ``[I]`` for real type,
        ``[I, J]`` for complex type."""
        if self.type == "R":
            return np.eye(self.dim)[None]
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Irrep) and other.group == self.group and other.id == self.id

    __hash__ = HashedOnce.__hash__

    def _hash_key(self) -> tuple:
        return (self.group, "irrep", self.id)


class _BlockDiagonal:
    """``g -> diag(rho_1(g), rho_2(g), ...)``: the matrices of a direct sum (a class, not a closure, so
    that representations and the layers holding them pickle)."""

    def __init__(self, reps: tuple):
        self.reps = reps

    def __call__(self, g):
        return block_diagonal([r(g) for r in self.reps])


def directsum(*reps: Representation, group: Group | None = None) -> Representation:
    """Direct sum ``rho_1 (+) rho_2 (+) ...`` (also ``rho_1 + rho_2``)."""
    if not reps:
        if group is None:
            raise ValueError("directsum of no representations needs the group")
        return Representation(group, [])
    group = group if group is not None else reps[0].group
    if len(reps) == 1 and isinstance(reps[0], Representation):
        check_same_group(group, reps[0].group, "representation")
        return reps[0]
    for r in reps:
        if not isinstance(r, Representation):
            raise TypeError(f"directsum takes Representations, got {type(r).__name__}")
        check_same_group(group, r.group, "representation")
    atoms = [a for r in reps for a in r.atoms]
    if group.is_finite and all(r.permutation is not None for r in reps):
        # a sum of permutation representations permutes the union of the bases: it stays a table
        from .permutation import PermutationRepresentation

        offsets = np.cumsum([0] + [r.dim for r in reps])
        table = np.concatenate([r.permutation + o for r, o in zip(reps, offsets)], 1)
        return PermutationRepresentation(group, table, summands=atoms)
    irreps = [ir for r in reps for ir in r.irreps]
    dim = sum(r.dim for r in reps)
    if all(r._q_is_identity for r in reps):
        q = None
    else:
        q = np.zeros((dim, dim))
        i = 0
        for r in reps:
            q[i : i + r.dim, i : i + r.dim] = r.change_of_basis
            i += r.dim

    any_fast = any(r._matrix_fn is not None for r in reps)
    return Representation(
        group,
        irreps,
        q,
        matrix_fn=_BlockDiagonal(tuple(reps)) if any_fast else None,
        summands=atoms,
    )
