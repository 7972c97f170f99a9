"""The angular part of the kernel constraint, solved for pairs of irreps.

A kernel ``K: R^d -> R^{d_out x d_in}`` is equivariant when

.. math::  K(g x) = \\sigma_{out}(g) \\, K(x) \\, \\sigma_{in}(g)^{-1}  \\qquad \\forall g \\in G

(Weiler & Cesa, *General E(2)-equivariant steerable CNNs*, NeurIPS 2019, eq. 2), one constraint per pair
of irreps ``(sigma_out, sigma_in)`` of the two representations (their section 2.5). Each solution is a
radial profile times an angular part in a single space of harmonics of frequency ``k`` that ``G`` maps
onto itself: ``e(g^{-1} x) = L_k(g) e(x)``. The angular coefficients are the fixed points of
``T -> sigma_out(g) T L_k(g)^T sigma_in(g)^T``, computed as the image of the group average of that action
(the Reynolds projector) on averaging elements exact for the band-limited integrand.

The solver is the same in every dimension; an :class:`AngularBasis` supplies the harmonics, their action
``L_k(g)``, the averaging elements and the irrep tables of its groups. On the plane
(:class:`CircularHarmonics`) the harmonics are ``(cos k theta, sin k theta)`` and the groups
``C_n``, ``D_n``, ``SO(2)``, ``O(2)``: averaging over every element of ``C_n`` / ``D_n`` and over an
exact quadrature of ``SO(2)`` / ``O(2)``, the projector finds the selection rules by itself, including the
aliased frequencies ``k = m +- n' + t N`` of ``C_N`` and ``D_N`` (Weiler & Cesa 2019, appendix F,
tables 8-11). In space (``spatial_dims=3``) the harmonics are the real spherical harmonics of
:class:`~groupconv.kernels.spherical.SphericalHarmonics`, for ``SO(3)``, ``O(3)`` (solved in closed form by
Clebsch-Gordan coefficients) and the finite groups acting on ``R^3`` (by this solver).

Examples
--------
>>> from groupconv.groups import SO2
>>> from groupconv.kernels import angular_solutions
>>> from groupconv.reps import irrep
>>> [angular_solutions(irrep(SO2(), 2), irrep(SO2(), 1), k).shape[0] for k in range(5)]
[0, 2, 0, 2, 0]
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import torch

from ..groups.base import Group, check_same_group
from ..groups.planar import O2, SO2, Cyclic, Dihedral, uniform_quadrature
from ..reps.representation import Irrep
from .grid import check_spatial_dims

__all__ = [
    "AngularBasis",
    "CircularHarmonics",
    "angular_basis",
    "angular_solutions",
    "circular_harmonics",
    "SOLUTION_CACHE_SIZE",
    "ANGULAR_BASES",
]

# (irrep pair, frequencies) entries of the angular solutions kept: a layer meets a few hundred
SOLUTION_CACHE_SIZE = 8192

# bytes of the Reynolds operators (and their products) of one batch of the solver
_SOLVER_BYTES = 2**27


class _BoundedCache(dict):
    """A dict that keeps its ``maxsize`` most recently inserted entries (reads are plain dict reads)."""

    def __init__(self, maxsize: int):
        super().__init__()
        self.maxsize = maxsize

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        while len(self) > self.maxsize:
            # dicts keep insertion order: the first key is the oldest
            del self[next(iter(self))]


_SOLUTIONS = _BoundedCache(SOLUTION_CACHE_SIZE)


def circular_harmonics(x: np.ndarray, y: np.ndarray, max_frequency: int) -> np.ndarray:
    """``(cos k theta, sin k theta)`` for ``k = 0..max_frequency``: array ``(K+1, 2, ...)``.

    Computed as the powers ``((x + i y) / r)^k`` by the real recurrence of repeated multiplication, so that
    a rotation of the grid by 90 degrees (``(x, y) -> (-y, x)``) and the reflection ``y -> -y`` act on the
    sampled values exactly (bit for bit). At ``r = 0`` every harmonic with ``k > 0`` is set to 0.

    Examples
    --------
    >>> import numpy as np
    >>> circular_harmonics(np.array([0.0, 1.0]), np.array([1.0, 0.0]), 2)[2, 0]  # cos 2 theta
    array([-1.,  1.])
    """
    r = np.sqrt(x * x + y * y)
    safe = np.where(r > 0, r, 1.0)
    c1 = np.where(r > 0, x / safe, 0.0)
    s1 = np.where(r > 0, y / safe, 0.0)
    out = np.empty((max_frequency + 1, 2) + x.shape)
    c, s = np.ones_like(c1), np.zeros_like(s1)
    for k in range(max_frequency + 1):
        if k > 0:
            # real recurrence: under (x, y) -> (-y, x) each term maps to +- a term of the same size
            c, s = c * c1 - s * s1, s * c1 + c * s1
        out[k, 0], out[k, 1] = c, s
    out[0, 0], out[0, 1] = 1.0, 0.0
    return out


class AngularBasis:
    """The harmonics of one space and their action: what the constraint solver needs of a dimension.

    A subclass supplies :meth:`multiplicity`, :meth:`harmonics`, :meth:`weights`,
    :meth:`averaging_action`, :meth:`irrep_table` and :meth:`averaging_degree` for the groups it
    :meth:`supports`; :meth:`solutions` is the solver, shared by every dimension.

    Attributes
    ----------
    spatial_dims:
        Dimension of the space.
    pad:
        Smallest size every irrep and harmonic block of a batch is padded to (more when a batch meets a
        larger irrep or multiplicity), so that all (pair, frequency) items of a batch share one product.
    max_irrep_dim:
        The largest irrep dimension of the groups the basis supports (``None``: no bound).
    """

    spatial_dims: int
    pad: int = 1
    max_irrep_dim: int | None = None

    def supports(self, group: Group) -> bool:
        raise NotImplementedError

    def multiplicity(self, k: int) -> int:
        """Dimension of the space of harmonics of frequency ``k``."""
        raise NotImplementedError

    def components(self, k: int) -> tuple:
        """Labels of the ``multiplicity(k)`` harmonics of frequency ``k`` (as in a basis's ``info``)."""
        raise NotImplementedError

    def harmonics(self, coords: np.ndarray, max_frequency: int) -> np.ndarray:
        """The harmonics of frequencies ``0..max_frequency`` at the points ``coords`` (``(d, ...)``):
        ``(K+1, a, ...)``, the components beyond ``multiplicity(k)`` unused."""
        raise NotImplementedError

    def weights(self, group: Group, degree: int) -> np.ndarray:
        """Weights of the elements averaging exactly functions of degree at most ``degree``."""
        raise NotImplementedError

    def averaging_action(self, group: Group, degree: int, k: int) -> np.ndarray:
        """``L_k(g)`` on the averaging elements: ``e(g^{-1} x) = L_k(g) e(x)``, shape ``(n, a, a)``."""
        raise NotImplementedError

    def irrep_table(self, irrep: Irrep, degree: int) -> np.ndarray:
        """``irrep(g)`` on the averaging elements, as numpy ``(n, d, d)``."""
        raise NotImplementedError

    def averaging_degree(self, group: Group, degree: int) -> int:
        """The degree of the averaging elements used for an integrand of degree ``degree`` (rounded up, so
        that one set of elements serves many items)."""
        raise NotImplementedError

    def solutions(self, pairs: Sequence[tuple[Irrep, Irrep]], ks: Sequence[int]) -> list[dict]:
        """Angular solutions of every pair ``(sigma_out, sigma_in)`` of ``pairs`` (irreps of one group) at
        every frequency of ``ks``: one dict ``{k: T}`` per pair, ``T`` of shape
        ``(m, d_out, d_in, multiplicity(k))``, cached (a bounded cache of this module).

        The (pair, frequency) items that average over the same group elements are solved together: their
        Reynolds projectors come from one product (blocks padded to :attr:`pad`), their ranks from the
        characters, and their columns from one batched pivoted Gram-Schmidt."""
        ks = tuple(int(k) for k in ks)
        out: list = []
        for so, si in pairs:
            hit = _SOLUTIONS.get((self, so, si, ks))
            if hit is None:
                flipped = _SOLUTIONS.get((self, si, so, ks))
                if flipped is not None:
                    # real irreps are orthogonal: T solves (si, so) iff its transpose solves (so, si)
                    hit = {k: t.transpose(0, 2, 1, 3) for k, t in flipped.items()}
                    _SOLUTIONS[(self, so, si, ks)] = hit
            out.append(hit)
        todo = [n for n, r in enumerate(out) if r is None]
        if not todo:
            return out
        group = pairs[todo[0]][0].group
        by_degree: dict = {}
        for n in todo:
            so, si = pairs[n]
            check_same_group(group, so.group, "irrep")
            check_same_group(group, si.group, "irrep")
            if self.max_irrep_dim is not None and max(so.dim, si.dim) > self.max_irrep_dim:
                raise ValueError(
                    f"the irreps of {group} have dimension at most {self.max_irrep_dim}, got {so!r} and {si!r}"
                )
            out[n] = {}
            for k in ks:
                degree = self.averaging_degree(group, k + so.degree + si.degree)
                by_degree.setdefault(degree, []).append((n, k))
        for degree, items in by_degree.items():
            sols = self._solve_items(group, degree, [(pairs[n][0], pairs[n][1], k) for n, k in items])
            for (n, k), t in zip(items, sols):
                out[n][k] = t
        for n in todo:
            _SOLUTIONS[(self, pairs[n][0], pairs[n][1], ks)] = out[n]
        return out

    def _solve_items(self, group: Group, degree: int, items: list) -> list[np.ndarray]:
        """Angular solutions ``T`` ``(m, d_out, d_in, a)`` of every ``(sigma_out, sigma_in, k)`` of
        ``items``, averaging over the elements of degree ``degree``."""
        w = self.weights(group, degree)
        irreps, index = [], {}  # by identity: equal irreps met as distinct objects only repeat a table row
        for so, si, _ in items:
            for ir in (so, si):
                if id(ir) not in index:
                    index[id(ir)] = len(irreps)
                    irreps.append(ir)
        freqs = sorted({k for _, _, k in items})
        d = max([self.pad] + [ir.dim for ir in irreps] + [self.multiplicity(k) for k in freqs])
        kidx = {k: j for j, k in enumerate(freqs)}
        tab = np.zeros((len(irreps), len(w), d, d))
        for j, ir in enumerate(irreps):
            tab[j, :, : ir.dim, : ir.dim] = self.irrep_table(ir, degree)
        lt = np.zeros((len(freqs), len(w), d, d))
        for j, k in enumerate(freqs):
            a = self.multiplicity(k)
            lt[j, :, :a, :a] = self.averaging_action(group, degree, k)
        io = np.array([index[id(so)] for so, _, _ in items])
        ii = np.array([index[id(si)] for _, si, _ in items])
        ik = np.array([kidx[k] for _, _, k in items])
        chi = sum(tab[:, :, i, i] for i in range(d))
        chil = sum(lt[:, :, i, i] for i in range(d))
        # the rank of each Reynolds projector is its trace, mean_g chi_out(g) chi_in(g) chi_L(g): the
        # selection rules make most (pair, frequency) items empty, found before building any operator
        rank = np.rint((chi[io] * chi[ii] * chil[ik]) @ w).astype(np.int64)
        # empty solutions share one read-only array per shape
        sols = [_empty_solutions(so.dim, si.dim, self.multiplicity(k)) for so, si, k in items]
        live = np.nonzero(rank > 0)[0]
        # the operators of a batch and the products forming them stay within a budget: a few items at a time
        # where the blocks are large (space), every item at once on the plane
        step = max(1, _SOLVER_BYTES // (8 * (2 * len(w) * d**4 + 4 * d**6)))
        for first in range(0, live.size, step):
            part = live[first : first + step]
            fixed = _fixed_points(tab[io[part]], tab[ii[part]], lt[ik[part]], w, rank[part], d)
            for m, t in zip(part, fixed):
                so, si, k = items[m]
                sols[m] = np.ascontiguousarray(t[:, : so.dim, : si.dim, : self.multiplicity(k)])
        return sols


def _fixed_points(
    so: np.ndarray, si: np.ndarray, lt: np.ndarray, w: np.ndarray, rk: np.ndarray, d: int
) -> list[np.ndarray]:
    """The fixed points ``(r, d, d, d)`` of ``T -> sigma_out(g) T L(g) sigma_in(g)^T`` averaged with weights
    ``w``, for items given by their padded tables ``so``, ``si``, ``lt`` (``(items, |elements|, d, d)``) and
    the ranks ``rk`` of their projectors."""
    n_live, n = rk.size, d * d * d
    # P[(o, i, b), (O, I, a)] = sum_g w_g so[o, O] si[i, I] L[a, b]: T -> so T(g^-1 .) si^T, averaged
    so_w = so * w[None, :, None, None]
    pair = (so_w[:, :, :, :, None, None] * si[:, :, None, None, :, :]).reshape(n_live, len(w), d**4)
    p = np.matmul(pair.transpose(0, 2, 1), lt.reshape(n_live, len(w), d * d))
    p = p.reshape((n_live,) + (d,) * 6).transpose(0, 1, 3, 6, 2, 4, 5).reshape(n_live, n, n)
    # columns chosen by pivoted Gram-Schmidt (projections of canonical basis vectors, so their entries
    # are simple algebraic numbers), all items at once; padded columns are zero and never chosen
    res = p.copy()
    rows = np.arange(n_live)
    chosen = np.zeros((n_live, n), dtype=bool)
    for step in range(int(rk.max())):
        norms = np.einsum("lrc,lrc->lc", res, res)
        j = norms.argmax(1)
        chosen[rows[rk > step], j[rk > step]] = True
        q = res[rows, :, j] / np.sqrt(np.maximum(norms[rows, j], 1e-300))[:, None]
        res -= q[:, :, None] * np.einsum("lr,lrc->lc", q, res)[:, None, :]
    li, ci = np.nonzero(chosen)  # item-major, columns in increasing order within each item
    cols = p[li, :, ci]
    cols = cols / np.sqrt((cols * cols).sum(1))[:, None]
    # round-off of the quadrature is at the 1e-16 level; exact zeros keep the templates sparse
    cols[np.abs(cols) < 1e-13] = 0.0
    cols = cols.reshape(-1, d, d, d)
    start = np.concatenate([[0], np.cumsum(rk)])
    return [cols[start[j] : start[j + 1]] for j in range(n_live)]


@lru_cache(maxsize=16)
def _empty_solutions(d_out: int, d_in: int, a: int) -> np.ndarray:
    out = np.zeros((0, d_out, d_in, a))
    out.flags.writeable = False
    return out


class CircularHarmonics(AngularBasis):
    """The angular basis of the plane: ``(cos k theta, sin k theta)`` (one function for ``k = 0``), for
    ``C_n``, ``D_n``, ``SO(2)`` and ``O(2)`` acting by rotations and reflections ``y -> -y``.

    Examples
    --------
    >>> from groupconv.groups import Dihedral
    >>> from groupconv.kernels.angular import CircularHarmonics
    >>> CircularHarmonics().averaging_action(Dihedral(4), 0, 1).shape  # L_1(g) on the 8 elements
    (8, 2, 2)
    """

    spatial_dims = 2
    # every planar irrep and frequency space has dimension 1 or 2: one padded size for every batch
    pad = 2
    max_irrep_dim = 2
    groups = (Cyclic, Dihedral, SO2, O2)

    def supports(self, group: Group) -> bool:
        return isinstance(group, self.groups)

    def multiplicity(self, k: int) -> int:
        return 1 if k == 0 else 2

    def components(self, k: int) -> tuple:
        return ("cos", "sin")[: self.multiplicity(k)]

    def harmonics(self, coords: np.ndarray, max_frequency: int) -> np.ndarray:
        return circular_harmonics(coords[0], coords[1], max_frequency)

    def elements(self, group: Group, degree: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, torch.Tensor]:
        """Angles, reflection flags, weights and the group elements averaging exactly functions of degree
        at most ``degree`` (every element of a finite group, in index order)."""
        return _elements(group, degree)

    def weights(self, group: Group, degree: int) -> np.ndarray:
        return _elements(group, degree)[2]

    @staticmethod
    def action(k: int, phi: np.ndarray, s: np.ndarray) -> np.ndarray:
        """``L(g)`` with ``e(g^{-1} theta) = L(g) e(theta)`` for ``e = (cos k theta, sin k theta)``, at the
        elements of angles ``phi`` and reflection flags ``s``: ``g^{-1} theta = (-1)^s (theta - phi)``.
        Shape ``(n, a, a)``."""
        if k == 0:
            return np.ones((phi.shape[0], 1, 1))
        c, sn = np.cos(k * phi), np.sin(k * phi)
        a = np.empty((phi.shape[0], 2, 2))
        a[:, 0, 0], a[:, 0, 1], a[:, 1, 0], a[:, 1, 1] = c, sn, -sn, c
        a[s == 1, 1] *= -1.0
        return a

    def averaging_action(self, group: Group, degree: int, k: int) -> np.ndarray:
        return _averaging_action(group, degree, k)

    def irrep_table(self, irrep: Irrep, degree: int) -> np.ndarray:
        return _irrep_table(irrep, degree)

    def averaging_degree(self, group: Group, degree: int) -> int:
        if group.is_finite:
            # every element: the same table for every frequency
            return 0
        # one quadrature (exact up to the next multiple of 16) serves many irrep pairs and frequencies
        return 16 * -(-max(degree, 1) // 16)


CIRCULAR = CircularHarmonics()

# the angular bases of each dimension, tried in order: a group none of them supports has no kernel bases
# in that dimension (groupconv.kernels.spherical registers the spherical harmonics of space)
ANGULAR_BASES: dict[int, tuple[AngularBasis, ...]] = {2: (CIRCULAR,), 3: ()}

# what each dimension's bases support, for the error naming them
_SUPPORTED = {
    2: "C_n, D_n, SO(2), O(2)",
    3: "SO(3), O(3) and the finite groups acting on R^3 (O, Oh, I, Ih)",
}


@lru_cache(maxsize=256)
def _elements(group: Group, degree: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, torch.Tensor]:
    if group.is_finite:
        g = group.elements()
        w = np.full(group.order, 1.0 / group.order)
    elif isinstance(group, (SO2, O2)):
        # the groups' own quadrature, without torch calls
        phi, s, w = uniform_quadrature(max(degree, 1), reflections=isinstance(group, O2))
        g = torch.from_numpy(np.stack([phi, s.astype(np.float64)], -1) if isinstance(group, O2) else phi)
        return phi, s, w, g
    else:
        g, wt = group.quadrature(max(degree, 1))
        w = wt.numpy()
    phi = group.angle(g, dtype=torch.float64).numpy()
    if isinstance(group, (Dihedral, O2)):
        s = group.reflection(g).numpy()
    else:
        s = np.zeros_like(phi, dtype=np.int64)
    return phi, s, w, g


@lru_cache(maxsize=1024)
def _irrep_table(sigma: Irrep, degree: int) -> np.ndarray:
    table = getattr(sigma, "table", None)
    if sigma.group.is_finite and isinstance(table, np.ndarray):
        # every element, in index order: the irrep's own table
        return table
    phi, s, _, g = _elements(sigma.group, degree)
    numpy_matrix = getattr(sigma, "matrix_np", None)
    if numpy_matrix is not None:
        # the irrep's closed form in numpy (SO(2), O(2)), without torch calls
        return numpy_matrix(phi, s)
    return sigma(g).numpy()


@lru_cache(maxsize=1024)
def _averaging_action(group: Group, degree: int, k: int) -> np.ndarray:
    phi, s, _, _ = _elements(group, degree)
    return CircularHarmonics.action(k, phi, s)


def angular_basis(group: Group, spatial_dims: int = 2) -> AngularBasis:
    """The angular basis of the kernel constraint of ``group`` acting on ``R^spatial_dims``.

    Raises
    ------
    TypeError
        for a group without kernel bases in that dimension (the message names the supported groups).

    Examples
    --------
    >>> from groupconv.groups import SO3, Cyclic
    >>> angular_basis(Cyclic(4)).spatial_dims, angular_basis(SO3(), spatial_dims=3).spatial_dims
    (2, 3)
    """
    spatial_dims = check_spatial_dims(spatial_dims)
    for basis in ANGULAR_BASES[spatial_dims]:
        if basis.supports(group):
            return basis
    space = "on the plane" if spatial_dims == 2 else "in space (spatial_dims=3)"
    raise TypeError(
        f"kernel bases {space} exist for {_SUPPORTED[spatial_dims]}; got representations of {group}"
    )


@lru_cache(maxsize=4096)
def angular_solutions(sigma_out: Irrep, sigma_in: Irrep, k: int) -> np.ndarray:
    """Angular parts of frequency ``k`` solving the constraint between two irreps of a planar group (of
    degree ``k`` for a group acting on space: ``a = 2k + 1`` and ``T_b[..., a]`` multiplies ``Y_{k,a}``).

    Returns ``T`` of shape ``(m, d_out, d_in, a)`` (``a = 1`` for ``k = 0``, else 2): the kernel
    ``T_b[..., 0] cos k theta + T_b[..., 1] sin k theta`` satisfies
    ``K(g x) = sigma_out(g) K(x) sigma_in(g)^T``. The solutions are columns of the Reynolds projector
    ``P = mean_g sigma_out(g) (x) sigma_in(g) (x) L(g)^T`` chosen by pivoted Gram-Schmidt (projections
    of canonical basis vectors, so their entries are simple algebraic numbers), scaled to unit norm.
    """
    group = sigma_out.group
    spatial_dims = 3 if any(b.supports(group) for b in ANGULAR_BASES[3]) else 2
    return angular_basis(group, spatial_dims).solutions([(sigma_out, sigma_in)], (int(k),))[0][int(k)]
