"""The real irreps of the polyhedral groups ``O``, ``O_h``, ``I``, ``I_h``, exact in sympy.

All irreps of these groups are of real type. They are :class:`~groupconv.reps.TableIrrep` s: a float64
table ``(|G|, d, d)`` in element order (:mod:`groupconv.groups.polyhedral`), computed from the exact
matrices, which :meth:`~groupconv.reps.Irrep.exact` returns.

``O`` (``irrep(O, j)``, ``j = 0 .. 4``), built from the signed permutation matrices ``M_g``:

- ``j = 0`` ``A1``: trivial; ``j = 1`` ``A2``: the sign of the permutation of the axes;
- ``j = 2`` ``E``: the permutation ``|M_g|`` of the three axes on the plane ``x + y + z = 0``, in the
  orthonormal basis ``(1, -1, 0) / sqrt 2``, ``(1, 1, -2) / sqrt 6``;
- ``j = 3`` ``T1``: ``M_g`` itself (the action matrices); ``j = 4`` ``T2 = T1 (x) A2``.

``I`` (``irrep(I, j)``, ``j = 0 .. 4``), built from the matrices ``R_g`` (entries in ``Q(sqrt 5)``):

- ``j = 0`` ``A``: trivial; ``j = 1`` ``T1``: ``R_g`` itself;
- ``j = 2`` ``T2``: the Galois conjugate of ``T1`` (``sqrt 5 -> -sqrt 5`` in every entry);
- ``j = 3`` ``G``: the permutation of the five cubes ``g C`` inscribed in the dodecahedron (``C`` the cube
  ``(+-1, +-1, +-1)``, whose stabilizer is the tetrahedral group ``T``, the elements ``0 .. 11``; the
  cubes in the order of the smallest element of their coset ``g T``) on the sum-zero subspace of ``R^5``,
  in the orthonormal Helmert basis ``(1, -1, 0, 0, 0) / sqrt 2``, ..., ``(1, 1, 1, 1, -4) / sqrt 20``;
- ``j = 4`` ``H``: ``S -> R_g S R_g^T`` on the traceless symmetric matrices (the traceless part of
  ``Sym^2 T1``), in the orthonormal basis ``(E_xy + E_yx) / sqrt 2``, ``(E_yz + E_zy) / sqrt 2``,
  ``(E_zx + E_xz) / sqrt 2``, ``(E_xx - E_yy) / sqrt 2``, ``(E_xx + E_yy - 2 E_zz) / sqrt 6``.

Full groups (``irrep(Oh, j, p)``, ``irrep(Ih, j, p)``): the element ``(-I)^s R_g`` acts as
``(-1)^{p s}`` times irrep ``j`` of the rotation group at ``g``; ``p = 0`` is the even ("g") and ``p = 1``
the odd ("u") irrep, so ``T1u`` (``j = 3`` for ``O_h``, ``j = 1`` for ``I_h``, ``p = 1``) is the action
matrices. (``O(3)`` writes the parity as a sign, ``irrep(O3, l, +-1)``.) :func:`irreps` lists
``(j, p)`` with ``j`` major.

Names: ``A1, A2, E, T1, T2`` (``O``), ``A, T1, T2, G, H`` (``I``), with ``g`` / ``u`` appended for the full
groups (``T1u``).

Examples
--------
>>> from groupconv.groups import FullOctahedral, Icosahedral, Octahedral
>>> from groupconv.reps import irrep, irreps
>>> [(ir.name, ir.dim) for ir in irreps(Octahedral())]
[('A1', 1), ('A2', 1), ('E', 2), ('T1', 3), ('T2', 3)]
>>> irrep(Icosahedral(), 2).exact(12)[0, 0]
-sqrt(5)/4 - 1/4
>>> irrep(FullOctahedral(), 3, 1).name
'T1u'
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np

from ..groups.polyhedral import Icosahedral, Octahedral, PolyhedralGroup
from ..utils.lazy import sympy
from .irreps import TableIrrep, register_irreps
from .representation import Irrep

__all__ = ["IRREP_NAMES", "polyhedral_irreps"]


#: The names of the irreps ``j = 0 .. 4`` of the rotation groups, by the group's name.
IRREP_NAMES = {"O": ("A1", "A2", "E", "T1", "T2"), "I": ("A", "T1", "T2", "G", "H")}


def _helmert(n: int) -> sympy.Matrix:
    """The ``n x (n - 1)`` orthonormal basis of the sum-zero subspace of ``R^n`` whose column ``k`` is
    ``(1, ..., 1, -k, 0, ...) / sqrt(k (k + 1))`` (``k`` ones), ``k = 1 .. n - 1``."""
    b = sympy.zeros(n, n - 1)
    for k in range(1, n):
        norm = sympy.sqrt(k * (k + 1))
        for i in range(k):
            b[i, k - 1] = 1 / norm
        b[k, k - 1] = -k / norm
    return b


def _conjugated(m: sympy.Matrix) -> sympy.Matrix:
    """The Galois conjugate ``sqrt 5 -> -sqrt 5`` of a matrix with entries in ``Q(sqrt 5)``."""
    return m.applyfunc(lambda x: sympy.expand(sympy.expand(x).subs(sympy.sqrt(5), -sympy.sqrt(5))))


def _quarter_sqrt5_parts(m: sympy.Matrix) -> tuple[np.ndarray, np.ndarray]:
    """Integer arrays ``(A, B)`` with ``m = (A + B sqrt 5) / 4``, for the matrices of ``I`` (whose entries
    are ``0``, ``+-1``, ``+-1/2``, ``+-phi / 2`` and ``+-1 / (2 phi) = +-(sqrt 5 - 1) / 4``)."""
    a, b = np.zeros((3, 3), dtype=np.int64), np.zeros((3, 3), dtype=np.int64)
    for i in range(3):
        for j in range(3):
            x = sympy.expand(4 * m[i, j])
            q = x.coeff(sympy.sqrt(5))
            p = sympy.expand(x - q * sympy.sqrt(5))
            if not (p.is_integer and q.is_integer):
                raise ValueError(f"entry {m[i, j]} is not (a + b sqrt 5) / 4 with integers a, b")
            a[i, j], b[i, j] = int(p), int(q)
    return a, b


#: The traceless symmetric basis of the module docstring, as integer matrices ``C_a`` and the norms
#: ``|C_a|^2`` (``B_a = C_a / |C_a|``).
_TRACELESS = np.array(
    [
        [[0, 1, 0], [1, 0, 0], [0, 0, 0]],
        [[0, 0, 0], [0, 0, 1], [0, 1, 0]],
        [[0, 0, 1], [0, 0, 0], [1, 0, 0]],
        [[1, 0, 0], [0, -1, 0], [0, 0, 0]],
        [[1, 0, 0], [0, 1, 0], [0, 0, -2]],
    ],
    dtype=np.int64,
)
_TRACELESS_NORM2 = (2, 2, 2, 2, 6)


def _h_irrep(mats: list[sympy.ImmutableMatrix]) -> list[sympy.ImmutableMatrix]:
    """``S -> R S R^T`` on the traceless symmetric matrices, ``[a, b] = <B_a, R B_b R^T>``, computed exactly
    in integers: with ``R = (A + B sqrt 5) / 4``, ``16 <C_a, R C_b R^T> = P + Q sqrt 5`` where
    ``P = <C_a, A C_b A^T + 5 B C_b B^T>`` and ``Q = <C_a, A C_b B^T + B C_b A^T>``."""
    parts = [_quarter_sqrt5_parts(m) for m in mats]
    a = np.stack([x for x, _ in parts])[:, None]  # (n, 1, 3, 3) against the basis axis
    b = np.stack([y for _, y in parts])[:, None]
    c = _TRACELESS[None]
    p_img = a @ c @ a.transpose(0, 1, 3, 2) + 5 * (b @ c @ b.transpose(0, 1, 3, 2))
    q_img = a @ c @ b.transpose(0, 1, 3, 2) + b @ c @ a.transpose(0, 1, 3, 2)
    p = np.einsum("aij,nbij->nab", _TRACELESS, p_img)
    q = np.einsum("aij,nbij->nab", _TRACELESS, q_img)
    scale = [[sympy.sqrt(na * nb) * 16 for nb in _TRACELESS_NORM2] for na in _TRACELESS_NORM2]
    out = []
    for pg, qg in zip(p.tolist(), q.tolist()):
        entries = [
            [sympy.expand((x + y * sympy.sqrt(5)) / z) for x, y, z in zip(*rows)]
            for rows in zip(pg, qg, scale)
        ]
        out.append(sympy.ImmutableMatrix(entries))
    return out


@cache
def _rotation_irreps_exact(name: str) -> tuple[tuple[sympy.ImmutableMatrix, ...], ...]:
    """The exact matrices ``[j][g]`` of the five irreps of the rotation group ``name`` (``"O"``, ``"I"``)."""
    group = Octahedral() if name == "O" else Icosahedral()
    mats = [group.exact_matrix(g) for g in range(group.order)]
    one = sympy.ImmutableMatrix([[1]])
    if name == "O":
        perms = [m.applyfunc(abs) for m in mats]
        sign = [sympy.ImmutableMatrix([[p.det()]]) for p in perms]
        basis = _helmert(3)
        e = [sympy.ImmutableMatrix((basis.T * p * basis).applyfunc(sympy.radsimp)) for p in perms]
        t2 = [sympy.ImmutableMatrix(s[0, 0] * m) for s, m in zip(sign, mats)]
        return ((one,) * group.order, tuple(sign), tuple(e), tuple(mats), tuple(t2))
    t2 = [sympy.ImmutableMatrix(_conjugated(m)) for m in mats]
    # the five cubes are the left cosets g T of the tetrahedral group T = elements 0 .. 11
    table = group.cayley_table_np
    coset_of = -np.ones(group.order, dtype=np.int64)
    reps = []
    for g in range(group.order):
        if coset_of[g] < 0:
            coset_of[table[g, :12]] = len(reps)
            reps.append(g)
    basis = _helmert(5)
    g_irrep = []
    for g in range(group.order):
        p = sympy.zeros(5, 5)
        for c, x in enumerate(reps):
            p[coset_of[table[g, x]], c] = 1
        g_irrep.append(sympy.ImmutableMatrix((basis.T * p * basis).applyfunc(sympy.expand)))
    h_irrep = _h_irrep(mats)
    return ((one,) * group.order, tuple(mats), tuple(t2), tuple(g_irrep), tuple(h_irrep))


def _octahedral_tables_np() -> list[np.ndarray]:
    """The float64 tables of the irreps of ``O`` by the constructions of :func:`_rotation_irreps_exact`
    in floating point (their entries are 0, +-1 and Helmert products: exact to a few ulps, tested), so
    that a layer on ``O`` or ``O_h`` needs no sympy."""
    mats = np.asarray(Octahedral().matrices_np, dtype=np.float64)
    perms = np.abs(mats)
    sign = np.round(np.linalg.det(perms))[:, None, None]
    helmert = np.zeros((3, 2))  # the columns of _helmert(3)
    for c in (1, 2):
        helmert[:c, c - 1] = 1 / math.sqrt(c * (c + 1))
        helmert[c, c - 1] = -c / math.sqrt(c * (c + 1))
    e = helmert.T @ perms @ helmert
    return [np.ones((24, 1, 1)), sign, e, mats, sign * mats]


@cache
def _rotation_tables(name: str) -> tuple[np.ndarray, ...]:
    """The float64 tables of :func:`_rotation_irreps_exact` (for ``O`` built in floating point)."""
    if name == "O":
        tables = _octahedral_tables_np()
    else:
        tables = [
            np.array([np.array(m.tolist(), dtype=np.float64) for m in mats])
            for mats in _rotation_irreps_exact(name)
        ]
    out = []
    for t in tables:
        t = np.ascontiguousarray(t, dtype=np.float64)
        t.setflags(write=False)
        out.append(t)
    return tuple(out)


class _PolyhedralExact:
    """The exact irrep ``j`` (parity ``p``) of a polyhedral group at an element; picklable, unlike a
    closure."""

    def __init__(self, name: str, rotations: int, j: int, p: int):
        self.name, self.rotations, self.j, self.p = name, rotations, j, p

    def __call__(self, g: int) -> sympy.Matrix:
        s = g // self.rotations
        m = _rotation_irreps_exact(self.name)[self.j][g % self.rotations]
        return sympy.Matrix(m) * (-1) ** (self.p * s)


def _irrep_ids(group: PolyhedralGroup) -> list:
    return [(j, p) for j in range(5) for p in (0, 1)] if group.full else list(range(5))


def _polyhedral_get(group: PolyhedralGroup, j=None, p=None) -> Irrep:
    full = group.full
    expected = "irrep(j, p) with j in 0..4 and p in {0, 1}" if full else "irrep(j) with j in 0..4"
    given = f"irrep({j!r})" if p is None else f"irrep({j!r}, {p!r})"

    def is_int(x) -> bool:
        return isinstance(x, (int, np.integer)) and not isinstance(x, bool)

    ok_p = (is_int(p) and p in (0, 1)) if full else p is None
    if not (is_int(j) and 0 <= j <= 4 and ok_p):
        raise ValueError(f"irreps of {group} are {expected}, got {given}")
    j, p = int(j), int(p or 0)
    rot = group.rotation_group()
    # a copy: the cached table is shared and read-only
    table = np.array(_rotation_tables(rot.name)[j])
    if full:
        sign = np.where(np.arange(group.order) >= rot.order, (-1.0) ** p, 1.0)
        table = np.concatenate([table, table]) * sign[:, None, None]
    ir = TableIrrep(group, (j, p) if full else j, table, _PolyhedralExact(rot.name, rot.order, j, p))
    ir.name = IRREP_NAMES[rot.name][j] + (("g", "u")[p] if full else "")
    return ir


def polyhedral_irreps(group: PolyhedralGroup, max_degree: int | None = None) -> list[Irrep]:
    """All irreps of ``group`` (``O``, ``O_h``, ``I`` or ``I_h``) in the order of the module docstring;
    ``max_degree`` is ignored (every irrep has degree 0).

    Examples
    --------
    >>> from groupconv.groups import FullIcosahedral
    >>> [ir.name for ir in polyhedral_irreps(FullIcosahedral())][:4]
    ['Ag', 'Au', 'T1g', 'T1u']
    """
    return [_polyhedral_get(group, *(i if isinstance(i, tuple) else (i,))) for i in _irrep_ids(group)]


register_irreps(PolyhedralGroup, polyhedral_irreps, _polyhedral_get)
