"""Irreps of the symmetric groups ``S_n`` in Young's orthogonal form.

The irreps of ``S_n`` are indexed by the partitions ``lambda`` of ``n`` (Sagan, *The Symmetric Group*,
2nd ed., 2001, section 2.3); ``irrep(S_n, 3, 1)`` or ``irrep(S_n, (3, 1))`` has ``id = (3, 1)`` and
prints as ``irrep(3,1)``. Canonical order: partitions in reverse lexicographic order, from the trivial
irrep ``(n)`` to the sign ``(1^n)``; ``(n-1, 1)`` is the standard irrep on the sum-zero hyperplane of
``R^n``. All irreps of ``S_n`` are of real type.

Basis: the standard Young tableaux of shape ``lambda`` filled with ``0, ..., n-1``. A tableau is coded by
its row word ``(r_0, ..., r_{n-1})`` (``r_k`` = row of the entry ``k``), and tableaux are ordered
lexicographically by the reversed word ``(r_{n-1}, ..., r_0)`` (the *last letter order*): first by the
row of ``n-1``, then by the row of ``n-2``, and so on. With this order, the restriction to
``S_{n-1}`` (the permutations fixing ``n-1``) is block diagonal, its blocks being Young's orthogonal form
of the shapes ``lambda`` minus one corner, taken from the top row down.

Young's orthogonal form (Okounkov and Vershik, *A new approach to representation theory of symmetric
groups*, Selecta Math. 2, 1996; James and Kerber, *The Representation Theory of the Symmetric Group*,
1981, chapter 3): with the content ``c(k) = column - row`` of the box holding ``k``
and the axial distance ``r = c(i+1) - c(i)`` in the tableau ``T``, the adjacent transposition
``s_i = (i, i+1)`` acts by

.. math:: \\rho(s_i) e_T = \\frac{1}{r} e_T + \\sqrt{1 - \\frac{1}{r^2}} \\, e_{s_i T},

where ``s_i T`` swaps ``i`` and ``i+1`` (the second term vanishes when ``|r| = 1``, i.e. when ``s_i T`` is
not standard). The matrices of all ``n!`` elements are products of these along a breadth-first spanning
tree of the Cayley graph (``rho(g s) = rho(g) rho(s)``), one batched product per tree level.

Exact form. Young's seminormal form ``sigma = D rho D^{-1}`` (``D`` diagonal, positive) has rational
entries: ``sigma(s_i)`` has ``1/r`` on the diagonal, ``1`` at ``(s_i T, T)`` and ``1 - 1/r^2`` at
``(T, s_i T)`` for ``r > 0``. It is computed with exact rationals along the same tree, and the exact
orthogonal matrices are ``rho(g)_{ST} = sigma(g)_{ST} \\, a_T / a_S`` with ``a_T^2`` rational; every
entry is a rational times the square root of a rational.

Examples
--------
>>> from groupconv.groups import Symmetric
>>> from groupconv.reps import irreps
>>> partitions(4)
[(4,), (3, 1), (2, 2), (2, 1, 1), (1, 1, 1, 1)]
>>> [ir.dim for ir in irreps(Symmetric(4))]
[1, 3, 2, 3, 1]
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from functools import lru_cache

import numpy as np

from ..groups.symmetric import Symmetric
from ..utils.lazy import sympy
from ..utils.memory import check_memory
from .irreps import TableIrrep, register_irreps

__all__ = ["partitions", "standard_tableaux", "SymmetricIrrep", "young_orthogonal_generators"]


def partitions(n: int) -> list[tuple[int, ...]]:
    """The partitions of ``n`` in reverse lexicographic order (``(n)`` first, ``(1, ..., 1)`` last).

    >>> partitions(4)
    [(4,), (3, 1), (2, 2), (2, 1, 1), (1, 1, 1, 1)]
    """
    if not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"partitions(n) needs an integer n >= 0, got {n!r}")

    def gen(m: int, largest: int) -> Iterator[tuple[int, ...]]:
        if m == 0:
            yield ()
            return
        for k in range(min(m, largest), 0, -1):
            for rest in gen(m - k, k):
                yield (k,) + rest

    return list(gen(int(n), int(n)))


def _check_partition(shape) -> tuple[int, ...]:
    shape = tuple(int(x) for x in shape)
    if not shape or any(a < b for a, b in zip(shape, shape[1:])) or shape[-1] < 1:
        raise ValueError(f"a partition is a non-empty non-increasing tuple of positive integers, got {shape}")
    return shape


@lru_cache(maxsize=256)
def standard_tableaux(shape: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """Standard Young tableaux of ``shape`` as row words ``(r_0, ..., r_{n-1})`` (``r_k`` = row of the
    entry ``k``), in last letter order: lexicographic in ``(r_{n-1}, ..., r_0)``.

    >>> standard_tableaux((2, 1))
    ((0, 1, 0), (0, 0, 1))
    """
    shape = _check_partition(shape)
    n = sum(shape)
    words: list[tuple[int, ...]] = []

    def grow(word: list[int], filled: list[int]) -> None:
        if len(word) == n:
            words.append(tuple(word))
            return
        for row in range(len(shape)):
            if filled[row] < shape[row] and (row == 0 or filled[row - 1] > filled[row]):
                filled[row] += 1
                word.append(row)
                grow(word, filled)
                word.pop()
                filled[row] -= 1

    grow([], [0] * len(shape))
    return tuple(sorted(words, key=lambda w: w[::-1]))


def _contents(word: tuple[int, ...]) -> list[int]:
    count: dict[int, int] = {}
    out = []
    for row in word:
        col = count.get(row, 0)
        count[row] = col + 1
        out.append(col - row)
    return out


@lru_cache(maxsize=256)
def _generator_data(shape: tuple[int, ...]):
    """For each ``s_i``: axial distances ``r[T]`` and partners ``s_i T`` (``-1`` when not standard)."""
    tabs = standard_tableaux(shape)
    index = {t: k for k, t in enumerate(tabs)}
    contents = [_contents(t) for t in tabs]
    n = sum(shape)
    dist = np.zeros((max(n - 1, 0), len(tabs)), dtype=np.int64)
    partner = -np.ones((max(n - 1, 0), len(tabs)), dtype=np.int64)
    for i in range(n - 1):
        for k, t in enumerate(tabs):
            r = contents[k][i + 1] - contents[k][i]
            dist[i, k] = r
            if abs(r) > 1:
                w = list(t)
                w[i], w[i + 1] = w[i + 1], w[i]
                partner[i, k] = index[tuple(w)]
    return dist, partner


def young_orthogonal_generators(shape: tuple[int, ...]) -> np.ndarray:
    """Young's orthogonal form of the adjacent transpositions, ``(n-1, d, d)`` float64: entry ``i`` is
    ``rho(s_i)`` with ``rho(s_i) e_T = e_T / r + sqrt(1 - 1/r^2) e_{s_i T}``."""
    dist, partner = _generator_data(_check_partition(shape))
    m, d = dist.shape
    out = np.zeros((m, d, d))
    cols = np.arange(d)
    for i in range(m):
        r = dist[i].astype(np.float64)
        out[i, cols, cols] = 1.0 / r
        has = partner[i] >= 0
        out[i, partner[i][has], cols[has]] = np.sqrt(1.0 - 1.0 / r[has] ** 2)
    return out


@lru_cache(maxsize=16)
def _spanning_tree(G: Symmetric) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Breadth-first spanning tree of the Cayley graph for the adjacent transpositions: a list of levels
    ``(elements, parents, generator positions)`` with ``element = parent s_gen``."""
    gens = np.array(G.generators(), dtype=np.int64)
    seen = np.zeros(G.order, dtype=bool)
    seen[0] = True
    frontier = np.array([0], dtype=np.int64)
    levels = []
    while frontier.size and gens.size:
        cand = G.compose_indices(frontier[:, None], gens[None, :]).reshape(-1)
        par = np.repeat(frontier, gens.size)
        gen = np.tile(np.arange(gens.size), frontier.size)
        new = ~seen[cand]
        cand, par, gen = cand[new], par[new], gen[new]
        if not cand.size:
            break
        cand, first = np.unique(cand, return_index=True)
        par, gen = par[first], gen[first]
        seen[cand] = True
        levels.append((cand, par, gen))
        frontier = cand
    return levels


def _numeric_table(G: Symmetric, shape: tuple[int, ...]) -> np.ndarray:
    gens = young_orthogonal_generators(shape)
    d = len(standard_tableaux(shape))
    check_memory(
        8 * G.order * d * d,
        f"the table of the irrep {shape} of {G} ({G.order} matrices {d} x {d})",
        "use a smaller symmetric group or an irrep of smaller dimension",
    )
    table = np.empty((G.order, d, d))
    table[0] = np.eye(d)
    for elems, parents, gen in _spanning_tree(G):
        table[elems] = table[parents] @ gens[gen]
    return table


def _squared_norms(shape: tuple[int, ...]) -> list:
    """``a_T^2`` (exact rationals) with ``sigma = D rho D^{-1}``, ``D = diag(a_T)``, ``a_{T_0} = 1``:
    ``a_{s_i T}^2 = a_T^2 r^2 / (r^2 - 1)`` when the axial distance ``r`` of ``T`` is positive."""
    dist, partner = _generator_data(shape)
    d = len(standard_tableaux(shape))
    norms: list = [None] * d
    from sympy.polys.domains import QQ

    norms[0] = QQ(1)
    stack = [0]
    while stack:
        t = stack.pop()
        for i in range(dist.shape[0]):
            u = int(partner[i, t])
            if u < 0 or norms[u] is not None:
                continue
            r2 = QQ(int(dist[i, t]) ** 2)
            ratio = r2 / (r2 - 1)
            norms[u] = norms[t] * ratio if dist[i, t] > 0 else norms[t] / ratio
            stack.append(u)
    return norms


def _seminormal_table(G: Symmetric, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Young's seminormal form of every element as exact fractions ``sigma(g) = N[g] / D[g]``: integer
    arrays ``N`` ``(n!, d, d)`` and ``D`` ``(n!,)`` with ``gcd(N[g], D[g]) = 1``.

    ``sigma(s_i) = K_i / L`` with ``L = lcm(r^2)`` and integer ``K_i``; column ``T`` of ``sigma(g s_i)`` is
    ``sigma(g)[:, T] / r_T + sigma(g)[:, s_i T] sigma(s_i)[s_i T, T]``. Integers are int64 while they
    provably fit, Python integers beyond.
    """
    dist, partner = _generator_data(shape)
    n_gen, d = dist.shape
    lcm = 1
    for r in range(1, sum(shape)):
        lcm = math.lcm(lcm, r * r)
    safe_r = np.where(dist == 0, 1, dist)
    diag = lcm // safe_r
    part = np.where(partner >= 0, partner, np.arange(d)[None, :])
    # sigma(s_i)[s_i T, T] is 1 when r_T > 0 and 1 - 1/r_T^2 when r_T < 0
    coef = np.where(partner < 0, 0, np.where(dist > 0, lcm, lcm - lcm // (safe_r * safe_r)))
    num = np.zeros((G.order, d, d), dtype=np.int64)
    den = np.ones(G.order, dtype=np.int64)
    num[0] = np.eye(d, dtype=np.int64)
    step = int(np.abs(diag).max(initial=0) + np.abs(coef).max(initial=0))
    rows = np.arange(d)[None, :, None]
    for elems, parents, gen in _spanning_tree(G):
        p, q = num[parents], den[parents]
        if num.dtype != object and max(int(np.abs(p).max()) * step, int(q.max()) * lcm) >= 2**62:
            num, den = num.astype(object), den.astype(object)
            p, q = num[parents], den[parents]
        swapped = p[np.arange(len(elems))[:, None, None], rows, part[gen][:, None, :]]
        new = p * diag[gen][:, None, :] + swapped * coef[gen][:, None, :]
        new_den = q * lcm
        g = np.gcd(np.gcd.reduce(new.reshape(len(elems), -1), axis=1), new_den)
        num[elems] = new // g[:, None, None]
        den[elems] = new_den // g
    return num, den


@lru_cache(maxsize=65536)
def _exact_entry(num: int, den: int, ratio_num: int, ratio_den: int) -> sympy.Expr:
    """``(num / den) * sqrt(ratio_num / ratio_den)`` as a sympy number."""
    if num == 0:
        return sympy.S.Zero
    return sympy.Rational(num, den) * sympy.sqrt(sympy.Rational(ratio_num, ratio_den))


class SymmetricIrrep(TableIrrep):
    """The irrep of ``S_n`` for a partition ``lambda`` of ``n``, in Young's orthogonal form (see
    :mod:`groupconv.reps.symmetric` for the basis order and the equations).

    Attributes
    ----------
    partition:
        ``lambda`` (also the :attr:`id`).
    tableaux:
        The basis: standard Young tableaux as row words, in last letter order.
    """

    def __init__(self, group: Symmetric, partition: tuple[int, ...]):
        self.partition = partition
        self.tableaux = standard_tableaux(partition)
        self._sympy_cache: dict[int, sympy.Matrix] = {}
        self._seminormal: np.ndarray | None = None
        super().__init__(group, partition, _numeric_table(group, partition), self._exact_matrix)

    def _exact_data(self):
        if self._seminormal is None:
            norms = _squared_norms(self.partition)
            # rho_{ST} = sigma_{ST} sqrt(a_T^2 / a_S^2)
            ratio = [[norms[t] / norms[s] for t in range(len(norms))] for s in range(len(norms))]
            self._ratio = [(int(x.numerator), int(x.denominator)) for row in ratio for x in row]
            self._seminormal = _seminormal_table(self.group, self.partition)
        return self._seminormal, self._ratio

    def _exact_matrix(self, g: int) -> sympy.Matrix:
        out = self._sympy_cache.get(g)
        if out is None:
            (num, den), ratio = self._exact_data()
            dg = int(den[g])
            entries = [_exact_entry(int(x), dg, *r) for x, r in zip(num[g].reshape(-1), ratio)]
            out = sympy.Matrix(self.dim, self.dim, entries)
            self._sympy_cache[g] = out
        return out

    def exact_table(self) -> list[sympy.Matrix]:
        """``rho(g)`` as exact sympy matrices for every element, in the canonical order."""
        return [self._exact_matrix(g) for g in range(self.group.order)]


@lru_cache(maxsize=256)
def _symmetric_irrep(G: Symmetric, partition: tuple[int, ...]) -> SymmetricIrrep:
    return SymmetricIrrep(G, partition)


def _symmetric_get(G: Symmetric, *id) -> SymmetricIrrep:
    shape = id[0] if len(id) == 1 and isinstance(id[0], (tuple, list)) else id
    try:
        shape = tuple(int(x) for x in shape)
    except (TypeError, ValueError):
        shape = None
    if shape is None or shape not in set(partitions(G.n)):
        raise ValueError(
            f"irreps of {G} are indexed by the partitions of {G.n} ({partitions(G.n)}), got irrep{tuple(id)!r}"
        )
    return _symmetric_irrep(G, shape)


def _symmetric_list(G: Symmetric, max_degree=None) -> list[SymmetricIrrep]:
    # the tables of all irreps hold |G| sum_lambda d_lambda^2 = |G|^2 entries
    check_memory(
        8 * G.order**2,
        f"the tables of the {len(partitions(G.n))} irreps of {G} ({G.order} x {G.order} entries in all)",
        "use a smaller symmetric group",
    )
    return [_symmetric_irrep(G, p) for p in partitions(G.n)]


register_irreps(Symmetric, _symmetric_list, _symmetric_get)
