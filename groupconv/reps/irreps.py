"""Irreducible representations: the registry and the irreps of the planar groups.

Real irreps (orthogonal, the default) of the planar groups, with ``R(t)`` the rotation by ``t`` and
``F = diag(1, -1)``:

- ``C_n``: ``irrep(0)`` trivial; ``irrep(k)`` for ``0 < k < n/2``: ``r^m -> R(2 pi k m / n)`` (complex type);
  ``irrep(n/2)`` for even ``n``: ``r^m -> (-1)^m``.
- ``D_n``: ``irrep(0,0)`` trivial; ``irrep(1,0)``: ``r -> 1, f -> -1``; for even ``n`` ``irrep(0,n/2)``:
  ``r -> -1, f -> 1`` and ``irrep(1,n/2)``: ``r -> -1, f -> -1``; ``irrep(1,k)`` for ``0 < k < n/2``:
  ``r^m f^s -> R(2 pi k m / n) F^s``.
- ``SO(2)``: ``irrep(0)`` trivial; ``irrep(k)``, ``k >= 1``: ``theta -> R(k theta)`` (complex type).
- ``O(2)``: ``irrep(0,0)`` trivial; ``irrep(1,0)`` the determinant; ``irrep(1,k)``, ``k >= 1``:
  ``(theta, s) -> R(k theta) F^s``.

Examples
--------
>>> from groupconv.groups import Dihedral
>>> [ir.name for ir in irreps(Dihedral(4))]
['irrep(0,0)', 'irrep(1,0)', 'irrep(0,2)', 'irrep(1,2)', 'irrep(1,1)']
>>> irrep(Dihedral(4), 1, 1).exact(1)
Matrix([
[0, -1],
[1,  0]])
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import torch

from ..groups.base import FiniteGroup, Group
from ..groups.planar import O2, SO2, Cyclic, Dihedral, rotation_matrix
from ..utils.lazy import sympy
from ..utils.memory import check_memory
from .representation import Irrep

__all__ = [
    "irreps",
    "irrep",
    "register_irreps",
    "TableIrrep",
    "SO2Irrep",
    "O2Irrep",
    "J2",
    "exact_rotation",
]

#: The complex structure of the 2D rotation irreps: ``R(t) = exp(t J2)``.
J2 = np.array([[0.0, -1.0], [1.0, 0.0]])


@functools.singledispatch
def _list_irreps(group: Group, max_degree: int | None) -> list[Irrep]:
    raise TypeError(f"no irreps are known for {group!r} ({type(group).__name__})")


@functools.singledispatch
def _get_irrep(group: Group, *id) -> Irrep:
    raise TypeError(f"no irreps are known for {group!r} ({type(group).__name__})")


def register_irreps(
    group_type: type, list_fn: Callable[[Group, int | None], list[Irrep]], get_fn: Callable[..., Irrep]
) -> None:
    """Register how to list and build the irreps of a group class (and of its subclasses that register
    nothing themselves): ``list_fn(group, max_degree)`` lists them as :func:`irreps` does and
    ``get_fn(group, *id)`` builds one as :func:`irrep` does. A later registration for the same class
    replaces the earlier one.

    Examples
    --------
    >>> from groupconv.groups import Cyclic
    >>> class Turns(Cyclic):
    ...     pass
    >>> irrep(Turns(4), 1).dim  # a subclass inherits the irreps of Cyclic
    2
    """
    if not isinstance(group_type, type):
        raise TypeError(f"register_irreps takes a group class, got {group_type!r}")
    _list_irreps.register(group_type, list_fn)
    _get_irrep.register(group_type, get_fn)


def irreps(group: Group, max_degree: int | None = None) -> list[Irrep]:
    """All irreps of a finite group (in canonical order), or those of degree <= ``max_degree`` of a
    continuous group."""
    if not isinstance(group, Group):
        raise TypeError(f"irreps() takes a groupconv Group, got {type(group).__name__}")
    if not group.is_finite and max_degree is None:
        raise ValueError(f"{group} has infinitely many irreps: pass max_degree")
    return _list_irreps(group, max_degree)


def irrep(group: Group, *id) -> Irrep:
    """The irrep of ``group`` with identifier ``id`` (see each group's convention)."""
    if not isinstance(group, Group):
        raise TypeError(f"irrep() takes a groupconv Group, got {type(group).__name__}")
    return _get_irrep(group, *id)


def exact_rotation(angle) -> sympy.Matrix:
    """``R(angle)`` as a sympy Matrix."""
    c, s = sympy.cos(angle), sympy.sin(angle)
    return sympy.Matrix([[c, -s], [s, c]])


class TableIrrep(Irrep):
    """An irrep of a finite group stored as a table of matrices ``(|G|, d, d)``."""

    def __init__(
        self,
        group: FiniteGroup,
        id,
        table: np.ndarray,
        exact_fn: Callable[[int], sympy.Matrix],
        type: str = "R",
        endomorphisms: np.ndarray | None = None,
    ):
        table = np.asarray(table, dtype=np.float64)
        if table.shape[0] != group.order or table.shape[1] != table.shape[2]:
            raise ValueError(f"irrep table of {group} must be ({group.order}, d, d), got {table.shape}")
        super().__init__(group, id, table.shape[1], degree=0, type=type)
        self.table = table
        self._exact_entry = exact_fn
        self._endo = endomorphisms
        self._torch: dict = {}

    def is_trivial(self) -> bool:
        return self.dim == 1 and bool(np.all(np.abs(self.table - 1.0) < 1e-12))

    def _matrix(self, g, dtype):
        key = (dtype, g.device)
        t = self._torch.get(key)
        if t is None:
            t = torch.as_tensor(self.table, dtype=dtype, device=g.device)
            self._torch[key] = t
        return t[g]

    def _exact(self, g) -> sympy.Matrix:
        g = int(g)
        if not 0 <= g < self.group.order:
            raise ValueError(f"element index of {self.group} must lie in [0, {self.group.order}), got {g}")
        return self._exact_entry(g)

    @property
    def endomorphism_basis(self) -> np.ndarray:
        if self._endo is not None:
            return self._endo
        return super().endomorphism_basis


def _freq_table(n: int, k: int, m: np.ndarray) -> np.ndarray:
    t = 2 * np.pi * k * m / n
    c, s = np.cos(t), np.sin(t)
    return np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)


class _SignExact:
    """The exact one-dimensional irrep ``g -> r^(g mod n) f^(g div n)`` of ``C_n`` / ``D_n`` (a class, not a
    closure, so that irreps and the layers holding them pickle)."""

    def __init__(self, n: int, r_sign: int, f_sign: int = 1):
        self.n, self.r_sign, self.f_sign = n, r_sign, f_sign

    def __call__(self, g: int) -> sympy.Matrix:
        n = self.n
        return sympy.Matrix(
            [[sympy.Integer(self.r_sign) ** (g % n) * sympy.Integer(self.f_sign) ** (g // n)]]
        )


class _RotationExact:
    """The exact two-dimensional irrep of frequency ``k`` of ``C_n`` (rotation by ``2 pi k g / n``) or of
    ``D_n`` (times ``diag(1, -1)`` on the reflections ``g >= n``); picklable, unlike a closure."""

    def __init__(self, n: int, k: int, dihedral: bool):
        self.n, self.k, self.dihedral = n, k, dihedral

    def __call__(self, g: int) -> sympy.Matrix:
        n, k = self.n, self.k
        if not self.dihedral:
            return exact_rotation(2 * sympy.pi * k * g / n)
        return exact_rotation(2 * sympy.pi * k * (g % n) / n) * sympy.diag(1, -1) ** (g // n)


# -- cyclic ------------------------------------------------------------------------------------------
def _cyclic_get(G: Cyclic, k) -> Irrep:
    n = G.n
    if not isinstance(k, (int, np.integer)) or not 0 <= k <= n // 2:
        raise ValueError(f"irreps of {G} are irrep(k) with 0 <= k <= {n // 2}, got irrep({k!r})")
    k = int(k)
    m = np.arange(n)
    if k == 0 or 2 * k == n:
        sign = 1 if k == 0 else -1
        table = (sign**m).astype(np.float64)[:, None, None]
        return TableIrrep(G, k, table, _SignExact(n, sign))
    table = _freq_table(n, k, m)
    return TableIrrep(
        G,
        k,
        table,
        _RotationExact(n, k, dihedral=False),
        type="C",
        endomorphisms=np.stack([np.eye(2), J2]),
    )


def _check_tables(G: FiniteGroup, ks) -> None:
    """The budget for the tables of the irreps of frequencies ``ks`` of ``C_n`` / ``D_n`` (``|G|`` matrices
    each, 2 x 2 except at frequency 0 and n/2)."""
    n = G.n
    entries = G.order * sum(1 if k == 0 or 2 * k == n else 4 for k in ks)
    check_memory(
        8 * entries,
        f"the tables of the {len(ks)} irreps of {G} ({G.order} matrices each)",
        "use a group of smaller order",
    )


def _cyclic_list(G: Cyclic, max_degree=None) -> list[Irrep]:
    _check_tables(G, range(G.n // 2 + 1))
    return [_cyclic_get(G, k) for k in range(G.n // 2 + 1)]


# -- dihedral ----------------------------------------------------------------------------------------
def _dihedral_ids(n: int) -> list[tuple[int, int]]:
    ids = [(0, 0), (1, 0)]
    if n % 2 == 0:
        ids += [(0, n // 2), (1, n // 2)]
    ids += [(1, k) for k in range(1, (n + 1) // 2)]
    return ids


def _dihedral_get(G: Dihedral, j, k=None) -> Irrep:
    if k is None:
        # shorthand irrep(k) for the 2D irrep of frequency k
        j, k = 1, j
    n = G.n
    if (j, k) not in _dihedral_ids(n):
        raise ValueError(
            f"irreps of {G} are irrep(j,k) with (j,k) in {_dihedral_ids(n)}, got irrep({j!r},{k!r})"
        )
    idx = np.arange(2 * n)
    m, s = idx % n, idx // n
    if k == 0 or 2 * k == n:
        r_sign = 1 if k == 0 else -1
        f_sign = 1 if j == 0 else -1
        table = ((r_sign**m) * (f_sign**s)).astype(np.float64)[:, None, None]
        return TableIrrep(G, (j, k), table, _SignExact(n, r_sign, f_sign))
    flip = np.where(s[:, None, None] == 1, np.diag([1.0, -1.0])[None], np.eye(2)[None])
    table = _freq_table(n, k, m) @ flip
    return TableIrrep(G, (j, k), table, _RotationExact(n, k, dihedral=True))


def _dihedral_list(G: Dihedral, max_degree=None) -> list[Irrep]:
    ids = _dihedral_ids(G.n)
    _check_tables(G, [k for _, k in ids])
    return [_dihedral_get(G, *i) for i in ids]


# -- SO(2), O(2) ---------------------------------------------------------------------------------------
def _planar_np(k: int, theta: np.ndarray, s: np.ndarray, det_sign: float) -> np.ndarray:
    """``R(k theta) F^s`` as numpy ``(n, 2, 2)``, or for ``k = 0`` the one-dimensional irrep that is 1 on
    rotations and ``det_sign`` on reflections, ``(n, 1, 1)``."""
    f = 1 - 2 * np.asarray(s, dtype=np.float64)
    if k == 0:
        return np.where(f < 0, det_sign, 1.0)[:, None, None]
    c, sn = np.cos(k * theta), np.sin(k * theta)
    return np.stack([np.stack([c, -sn * f], -1), np.stack([sn, c * f], -1)], -2)


class SO2Irrep(Irrep):
    """``theta -> R(k theta)`` (``k >= 1``, complex type) or the trivial irrep (``k = 0``)."""

    def __init__(self, group: SO2, k: int):
        if not isinstance(k, (int, np.integer)) or k < 0:
            raise ValueError(f"irreps of SO2 are irrep(k) with integer k >= 0, got irrep({k!r})")
        k = int(k)
        super().__init__(group, k, 1 if k == 0 else 2, degree=k, type="R" if k == 0 else "C")
        self.k = k

    def is_trivial(self) -> bool:
        return self.k == 0

    def _matrix(self, g, dtype):
        if self.k == 0:
            return torch.ones(g.shape + (1, 1), dtype=dtype, device=g.device)
        return rotation_matrix(self.k * g.to(dtype))

    def matrix_np(self, theta: np.ndarray, s: np.ndarray) -> np.ndarray:
        """The matrices in numpy (float64) at angles ``theta``, without torch (``s``, the reflection flags,
        are all 0 for SO(2)): the closed form that kernel solvers evaluate on many angles at once."""
        return _planar_np(self.k, theta, np.zeros_like(theta), 1.0)

    def _exact(self, g):
        if self.k == 0:
            return sympy.Matrix([[1]])
        return exact_rotation(self.k * sympy.sympify(g))

    @property
    def endomorphism_basis(self):
        return np.eye(1)[None] if self.k == 0 else np.stack([np.eye(2), J2])


class O2Irrep(Irrep):
    """``irrep(0,0)`` trivial, ``irrep(1,0)`` determinant, ``irrep(1,k)``: ``(theta, s) -> R(k theta) F^s``."""

    def __init__(self, group: O2, j: int, k: int | None = None):
        if k is None:
            j, k = 1, j
        if (j, k) != (0, 0) and not (j == 1 and isinstance(k, (int, np.integer)) and k >= 0):
            raise ValueError(
                f"irreps of O2 are irrep(0,0) and irrep(1,k) with integer k >= 0, got irrep({j!r},{k!r})"
            )
        j, k = int(j), int(k)
        super().__init__(group, (j, k), 1 if k == 0 else 2, degree=k)
        self.j, self.k = j, k

    def is_trivial(self) -> bool:
        return self.j == 0 and self.k == 0

    def _matrix(self, g, dtype):
        g = g.to(dtype)
        theta, s = g[..., 0], g[..., 1]
        if self.k == 0:
            val = torch.ones_like(theta) if self.j == 0 else 1 - 2 * s
            return val[..., None, None]
        one, zero = torch.ones_like(s), torch.zeros_like(s)
        flip = torch.stack([torch.stack([one, zero], -1), torch.stack([zero, 1 - 2 * s], -1)], -2)
        return rotation_matrix(self.k * theta) @ flip

    def matrix_np(self, theta: np.ndarray, s: np.ndarray) -> np.ndarray:
        """The matrices in numpy (float64) at elements ``(theta, s)`` (angles and reflection flags), without
        torch: the closed form that kernel solvers evaluate on many elements at once."""
        return _planar_np(self.k, theta, s, 1.0 if self.j == 0 else -1.0)

    def _exact(self, g):
        theta, s = g
        s = int(s)
        if self.k == 0:
            return sympy.Matrix([[(-1) ** (self.j * s)]])
        return exact_rotation(self.k * sympy.sympify(theta)) * sympy.diag(1, -1) ** s


def _so2_list(G, max_degree):
    return [SO2Irrep(G, k) for k in range(max_degree + 1)]


def _o2_list(G, max_degree):
    return [O2Irrep(G, 0, 0), O2Irrep(G, 1, 0)] + [O2Irrep(G, 1, k) for k in range(1, max_degree + 1)]


register_irreps(Cyclic, _cyclic_list, _cyclic_get)
register_irreps(Dihedral, _dihedral_list, _dihedral_get)
register_irreps(SO2, _so2_list, lambda G, k: SO2Irrep(G, k))
register_irreps(O2, _o2_list, lambda G, j, k=None: O2Irrep(G, j, k))
