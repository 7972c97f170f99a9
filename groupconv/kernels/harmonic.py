"""Analytic steerable kernel bases on the plane: circular harmonics times radial profiles.

A kernel ``K: R^2 -> R^{d_out x d_in}`` is equivariant when it satisfies the kernel constraint

.. math::  K(g x) = \\rho_{out}(g) \\, K(x) \\, \\rho_{in}(g)^{-1}  \\qquad \\forall g \\in G, x \\in R^2

(Weiler & Cesa, *General E(2)-equivariant steerable CNNs*, NeurIPS 2019, eq. 2). With
``rho = Q (+)_i sigma_i Q^T`` the constraint splits into one constraint per pair of irreps
``(sigma_out, sigma_in)`` (their section 2.5). In polar coordinates ``x = (r, theta)`` each solution is a
radial profile times an angular part of a single circular-harmonic frequency ``k``,

.. math::  K(r, \\theta) = \\phi(r) \\, \\big(T_c \\cos k\\theta + T_s \\sin k\\theta\\big),

because ``G`` maps each frequency space ``span{cos k theta, sin k theta}`` onto itself. The coefficients
``(T_c, T_s)`` are the fixed points of the action
``T -> sigma_out(g) T(g^{-1} .) sigma_in(g)^T``: this module computes them as the image of the group
average of that action (the Reynolds projector), exactly on every element of ``C_n`` / ``D_n`` and on a
quadrature that is exact for the band-limited integrand for ``SO(2)`` / ``O(2)``. The projector finds the
selection rule by itself, including the aliased frequencies ``k = m +- n' + t N`` of ``C_N`` and ``D_N``
(Weiler & Cesa 2019, appendix F, tables 8-11).

Radial profiles are Gaussian rings (Weiler & Cesa 2019, section 3.4) or Fourier-Bessel radial parts
``J_k(z_{k,q} r / R)`` (Qiu, Cheng, Calderbank, Sapiro, *DCFNet*, ICML 2018, section 2.1).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import torch
from scipy.special import jv

from ..groups.base import Group, check_same_group
from ..groups.planar import O2, SO2, Cyclic, Dihedral, uniform_quadrature
from ..reps.operations import regular
from ..reps.representation import Irrep, Representation
from ..utils.memory import check_memory

__all__ = [
    "KernelBasis",
    "angular_solutions",
    "harmonic_kernel_basis",
    "regular_kernel_basis",
    "polar_grid",
    "circular_harmonics",
    "gaussian_rings",
    "check_kernel_size",
]

PLANAR = (Cyclic, Dihedral, SO2, O2)


@dataclass
class KernelBasis:
    """A sampled basis of equivariant kernels between two representations.

    Attributes
    ----------
    tensor:
        ``(n, d_out, d_in, k, k)`` array (float64 unless another ``dtype`` was asked for); element ``b``
        is the kernel ``K_b`` sampled on the ``k x k`` grid (pixel ``(i, j)`` at ``x = j - (k-1)/2``,
        ``y = (k-1)/2 - i``).
    rho_in, rho_out:
        The representations.
    kernel_size:
        ``k``.
    kind:
        ``"gaussian"``, ``"bessel"`` or ``"exact"``.
    info:
        One dict per element for the analytic bases: irrep slots, frequency, radial index and solution
        (harmonic), or frequency, radial index, component and free filter (lifted regular bases).
    zero_blocks:
        Pairs of irreps ``(sigma_out, sigma_in)`` (by name) whose block is forced to zero: no solution
        within the kernel size and frequency band (Schur's lemma or the selection rule).
    templates:
        For the analytic bases: ``{(sigma_out, sigma_in, k): T}`` (irreps and frequency) with ``T`` of shape
        ``(m, d_out, d_in, a)`` the angular solutions used (``a = 1`` for ``k = 0``, else 2 for
        ``(cos, sin)``); used by the symbolic certificate.
    """

    tensor: np.ndarray
    rho_in: Representation
    rho_out: Representation
    kernel_size: int
    kind: str
    info: list[dict] = field(default_factory=list)
    zero_blocks: list[tuple[str, str]] = field(default_factory=list)
    templates: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.tensor.shape[0])

    @property
    def dim(self) -> int:
        return len(self)

    def torch(self, dtype: torch.dtype = torch.float64, device=None) -> torch.Tensor:
        return torch.as_tensor(self.tensor, dtype=dtype, device=device)


def check_kernel_size(kernel_size) -> int:
    """``k`` from ``k`` or ``(k, k)``; square and odd kernels only (an even kernel has no centre pixel,
    so no grid symmetry fixes the origin)."""
    if isinstance(kernel_size, (tuple, list)):
        if len(kernel_size) != 2 or kernel_size[0] != kernel_size[1]:
            raise ValueError(
                f"equivariant kernels must be square (k or (k, k)), got kernel_size={kernel_size!r}"
            )
        kernel_size = kernel_size[0]
    if not isinstance(kernel_size, (int, np.integer)) or isinstance(kernel_size, bool) or kernel_size < 1:
        raise ValueError(f"kernel_size must be a positive odd int, got {kernel_size!r}")
    if kernel_size % 2 == 0:
        raise ValueError(
            f"kernel_size must be odd (an even grid has no centre pixel fixed by rotations), got {kernel_size}"
        )
    return int(kernel_size)


def polar_grid(kernel_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(x, y, r)`` of the ``k x k`` kernel grid (float64, shape ``(k, k)``)."""
    c = (kernel_size - 1) / 2
    i, j = np.meshgrid(np.arange(kernel_size), np.arange(kernel_size), indexing="ij")
    x, y = j - c, c - i
    return x.astype(np.float64), y.astype(np.float64), np.sqrt(x * x + y * y)


def circular_harmonics(x: np.ndarray, y: np.ndarray, max_frequency: int) -> np.ndarray:
    """``(cos k theta, sin k theta)`` for ``k = 0..max_frequency``: array ``(K+1, 2, ...)``.

    Computed as the powers ``((x + i y) / r)^k`` by the real recurrence of repeated multiplication, so that a rotation of
    the grid by 90 degrees (``(x, y) -> (-y, x)``) and the reflection ``y -> -y`` act on the sampled
    values exactly (bit for bit). At ``r = 0`` every harmonic with ``k > 0`` is set to 0.
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


@lru_cache(maxsize=256)
def _elements(group: Group, degree: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, torch.Tensor]:
    """Angles, reflection flags, weights and the group elements averaging exactly functions of
    degree <= ``degree``."""
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
    """``sigma(g)`` on the averaging elements of :func:`_elements`, as numpy."""
    table = getattr(sigma, "table", None)
    if sigma.group.is_finite and isinstance(table, np.ndarray):
        # every element, in index order: the irrep's own table
        return table
    phi, s, _, g = _elements(sigma.group, degree)
    numpy_matrix = getattr(sigma, "_matrix_np", None)
    if numpy_matrix is not None:
        # the irrep's closed form in numpy (SO(2), O(2)), without torch calls
        return numpy_matrix(phi, s)
    return sigma(g).numpy()


def _angular_action(k: int, phi: np.ndarray, s: np.ndarray) -> np.ndarray:
    """``L(g)`` with ``e(g^{-1} theta) = L(g) e(theta)`` for ``e = (cos k theta, sin k theta)``:
    ``g^{-1} theta = (-1)^s (theta - phi)``. Shape ``(n, a, a)``."""
    if k == 0:
        return np.ones((phi.shape[0], 1, 1))
    c, sn = np.cos(k * phi), np.sin(k * phi)
    a = np.empty((phi.shape[0], 2, 2))
    a[:, 0, 0], a[:, 0, 1], a[:, 1, 0], a[:, 1, 1] = c, sn, -sn, c
    a[s == 1, 1] *= -1.0
    return a


@lru_cache(maxsize=1024)
def _averaging_action(group: Group, degree: int, k: int) -> np.ndarray:
    """:func:`_angular_action` on the averaging elements of :func:`_elements`."""
    phi, s, _, _ = _elements(group, degree)
    return _angular_action(k, phi, s)


@lru_cache(maxsize=4096)
def angular_solutions(sigma_out: Irrep, sigma_in: Irrep, k: int) -> np.ndarray:
    """Angular parts of frequency ``k`` solving the constraint between two irreps of a planar group.

    Returns ``T`` of shape ``(m, d_out, d_in, a)`` (``a = 1`` for ``k = 0``, else 2): the kernel
    ``T_b[..., 0] cos k theta + T_b[..., 1] sin k theta`` satisfies
    ``K(g x) = sigma_out(g) K(x) sigma_in(g)^T``. The solutions are columns of the Reynolds projector
    ``P = mean_g sigma_out(g) (x) sigma_in(g) (x) L(g)^T`` chosen by pivoted Gram-Schmidt (projections
    of canonical basis vectors, so their entries are simple algebraic numbers), scaled to unit norm.
    """
    return _angular_many(sigma_out, sigma_in, (int(k),))[int(k)]


def _averaging_degree(group: Group, degree: int) -> int:
    if group.is_finite:
        # every element: the same table for every frequency
        return 0
    # one quadrature (exact up to the next multiple of 16) serves many irrep pairs and frequencies
    return 16 * -(-max(degree, 1) // 16)


_ANGULAR: dict = {}


def _angular_many(sigma_out: Irrep, sigma_in: Irrep, ks: tuple) -> dict:
    """:func:`angular_solutions` for every frequency of ``ks``: ``{k: T}``."""
    return _angular_batch([(sigma_out, sigma_in)], ks)[0]


def _angular_batch(pairs: Sequence[tuple[Irrep, Irrep]], ks: tuple) -> list[dict]:
    """:func:`angular_solutions` for every pair ``(sigma_out, sigma_in)`` of ``pairs`` (irreps of one
    planar group) and every frequency of ``ks``: one dict ``{k: T}`` per pair, cached.

    The (pair, frequency) items that average over the same group elements are solved together: their
    Reynolds projectors come from one product (irrep dimensions padded to 2), their ranks from the
    characters, and their columns from one batched pivoted Gram-Schmidt."""
    ks = tuple(int(k) for k in ks)
    out: list = []
    for so, si in pairs:
        hit = _ANGULAR.get((so, si, ks))
        if hit is None:
            flipped = _ANGULAR.get((si, so, ks))
            if flipped is not None:
                # planar irreps are orthogonal: T solves (si, so) iff its transpose solves (so, si)
                hit = _ANGULAR[(so, si, ks)] = {k: t.transpose(0, 2, 1, 3) for k, t in flipped.items()}
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
        if max(so.dim, si.dim) > 2:
            raise ValueError(f"planar irreps have dimension 1 or 2, got {so!r} and {si!r}")
        out[n] = {}
        for k in ks:
            degree = _averaging_degree(group, k + so.degree + si.degree)
            by_degree.setdefault(degree, []).append((n, k))
    for degree, items in by_degree.items():
        sols = _solve_items(group, degree, [(pairs[n][0], pairs[n][1], k) for n, k in items])
        for (n, k), t in zip(items, sols):
            out[n][k] = t
    if len(_ANGULAR) > 8192:
        _ANGULAR.clear()
    for n in todo:
        _ANGULAR[(pairs[n][0], pairs[n][1], ks)] = out[n]
    return out


@lru_cache(maxsize=16)
def _empty_solutions(d_out: int, d_in: int, a: int) -> np.ndarray:
    out = np.zeros((0, d_out, d_in, a))
    out.flags.writeable = False
    return out


def _solve_items(group: Group, degree: int, items: list) -> list[np.ndarray]:
    """Angular solutions ``T`` ``(m, d_out, d_in, a)`` of every ``(sigma_out, sigma_in, k)`` of
    ``items``, averaging over the elements of :func:`_elements` ``(group, degree)``."""
    w = _elements(group, degree)[2]
    irreps, index = [], {}  # by identity: equal irreps met as distinct objects only repeat a table row
    for so, si, _ in items:
        for ir in (so, si):
            if id(ir) not in index:
                index[id(ir)] = len(irreps)
                irreps.append(ir)
    freqs = sorted({k for _, _, k in items})
    kidx = {k: j for j, k in enumerate(freqs)}
    tab = np.zeros((len(irreps), len(w), 2, 2))
    for j, ir in enumerate(irreps):
        tab[j, :, : ir.dim, : ir.dim] = _irrep_table(ir, degree)
    lt = np.zeros((len(freqs), len(w), 2, 2))
    for j, k in enumerate(freqs):
        a = 1 if k == 0 else 2
        lt[j, :, :a, :a] = _averaging_action(group, degree, k)
    io = np.array([index[id(so)] for so, _, _ in items])
    ii = np.array([index[id(si)] for _, si, _ in items])
    ik = np.array([kidx[k] for _, _, k in items])
    chi = tab[:, :, 0, 0] + tab[:, :, 1, 1]
    chil = lt[:, :, 0, 0] + lt[:, :, 1, 1]
    # the rank of each Reynolds projector is its trace, mean_g chi_out(g) chi_in(g) chi_L(g): the selection
    # rules make most (pair, frequency) items empty, found before building any operator
    rank = np.rint((chi[io] * chi[ii] * chil[ik]) @ w).astype(np.int64)
    # empty solutions share one read-only array per shape
    sols = [_empty_solutions(so.dim, si.dim, 1 if k == 0 else 2) for so, si, k in items]
    live = np.nonzero(rank > 0)[0]
    if live.size == 0:
        return sols
    n_live, rk = live.size, rank[live]
    # P[(o, i, b), (O, I, a)] = sum_g w_g so[o, O] si[i, I] L[a, b]: T -> so T(g^-1 .) si^T, averaged
    so_w = tab[io[live]] * w[None, :, None, None]
    pair = (so_w[:, :, :, :, None, None] * tab[ii[live]][:, :, None, None, :, :]).reshape(n_live, len(w), 16)
    p = np.matmul(pair.transpose(0, 2, 1), lt[ik[live]].reshape(n_live, len(w), 4))
    p = p.reshape(n_live, 2, 2, 2, 2, 2, 2).transpose(0, 1, 3, 6, 2, 4, 5).reshape(n_live, 8, 8)
    # columns chosen by pivoted Gram-Schmidt (projections of canonical basis vectors, so their entries
    # are simple algebraic numbers), all items at once; padded columns are zero and never chosen
    res = p.copy()
    rows = np.arange(n_live)
    chosen = np.zeros((n_live, 8), dtype=bool)
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
    cols = cols.reshape(-1, 2, 2, 2)
    start = np.concatenate([[0], np.cumsum(rk)])
    for n, m in enumerate(live):
        so, si, k = items[m]
        sols[m] = np.ascontiguousarray(
            cols[start[n] : start[n + 1], : so.dim, : si.dim, : 1 if k == 0 else 2]
        )
    return sols


def gaussian_rings(
    kernel_size: int, rings: Sequence[float] | None = None, sigma: float | Sequence[float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Ring radii and widths: by default ``ceil(k/2)`` rings at radii ``0, 1, ..., (k-1)/2`` of width
    0.6 (0.4 for the outermost), as in Weiler & Cesa 2019, section 3.4."""
    if rings is None:
        n = math.ceil(kernel_size / 2)
        radii = np.linspace(0.0, (kernel_size - 1) / 2, n)
    else:
        radii = np.asarray(rings, dtype=np.float64)
    if sigma is None:
        widths = np.full(radii.shape, 0.6)
        if widths.size > 1:
            widths[-1] = 0.4
    else:
        widths = np.broadcast_to(np.asarray(sigma, dtype=np.float64), radii.shape).copy()
    if (widths <= 0).any():
        raise ValueError(f"ring widths must be positive, got {widths.tolist()}")
    return radii, widths


def _default_cutoff(r: float, outer: float) -> int:
    # a ring of radius r holds about 2 pi r samples: frequencies <= 2 r stay below their Nyquist rate
    # pi r; the outermost ring is cut by the square grid (its samples leave the disc) and keeps only
    # frequency 1, the same policy as escnn's default
    if r == 0:
        return 0
    if abs(r - outer) < 1e-9:
        return 1
    return int(math.floor(2 * r + 1e-9))


def _radial_profiles(
    kind: str,
    kernel_size: int,
    max_frequency: int | None,
    frequency_cutoff: Callable[[float], int] | float | None,
    rings,
    sigma,
) -> list[tuple[int, int, np.ndarray]]:
    """``(frequency k, radial index, profile (k, k))`` triples allowed by the band limit."""
    _, _, r = polar_grid(kernel_size)
    out = []
    if kind == "gaussian":
        radii, widths = gaussian_rings(kernel_size, rings, sigma)
        if frequency_cutoff is None:
            outer = float(radii.max())

            def fco(rad):
                return _default_cutoff(rad, outer)

        elif callable(frequency_cutoff):
            fco = frequency_cutoff
        else:
            alpha = float(frequency_cutoff)

            def fco(rad):
                return 0 if rad == 0 else int(math.floor(alpha * rad + 1e-9))

        for j, (rad, wid) in enumerate(zip(radii, widths)):
            profile = np.exp(-((r - rad) ** 2) / (2 * wid**2))
            kmax = fco(float(rad))
            if max_frequency is not None:
                kmax = min(kmax, max_frequency)
            for k in range(kmax + 1):
                out.append((k, j, profile))
        return out
    if kind == "bessel":
        from .fourier_bessel import bessel_zeros_dcf

        radius = kernel_size / 2
        # angular frequencies above (k - 1) / 2 alias on the sampled grid (their zeros crowd the
        # outermost pixels), so they are left out unless asked for
        kcap = (kernel_size - 1) // 2 if max_frequency is None else max_frequency
        for k, q, z in bessel_zeros_dcf(kernel_size):
            if k > kcap:
                continue
            profile = np.where(r < radius, jv(k, z * r / radius) / abs(jv(k + 1, z)), 0.0)
            out.append((k, q, profile))
        return out
    raise ValueError(f"basis must be 'gaussian', 'bessel' or 'exact', got {kind!r}")


@lru_cache(maxsize=64)
def _sampled_parts(basis, kernel_size, max_frequency, frequency_cutoff, rings, sigma):
    """Radial profiles, circular harmonics and pixel functions on the grid, shared by every irrep pair."""
    profiles = _radial_profiles(basis, kernel_size, max_frequency, frequency_cutoff, rings, sigma)
    kmax = max((k for k, _, _ in profiles), default=0)
    x, y, _ = polar_grid(kernel_size)
    harmonics = circular_harmonics(x, y, kmax)
    return profiles, harmonics, _pixel_functions(profiles, harmonics)


def _pixel_functions(profiles: list, harmonics: np.ndarray) -> list:
    """The profiles grouped by frequency: ``(k, positions, P)`` with ``P`` of shape ``(a, n_k k^2)``, the
    pixel functions ``(cos k theta, sin k theta) phi_j`` of the ``n_k`` profiles of frequency ``k``."""
    out = []
    for k in sorted({k for k, _, _ in profiles}):
        pos = [n for n, (kk, _, _) in enumerate(profiles) if kk == k]
        a = 1 if k == 0 else 2
        pix = np.stack([harmonics[k, :a] * profiles[n][2] for n in pos], 1)  # (a, n_k, k, k)
        out.append((k, pos, pix.reshape(a, -1)))
    return out


def presolve_angular(
    rep_pairs: Sequence[tuple[Representation, Representation]], kernel_size: int, basis: str, **band
) -> None:
    """Solve, in one batch, the angular parts of every pair of irreps met by the ``(rho_in, rho_out)``
    pairs of ``rep_pairs`` for the frequencies of the band limit ``band`` (the ``max_frequency``,
    ``frequency_cutoff``, ``rings``, ``sigma`` of :func:`harmonic_kernel_basis`), so that the
    :func:`harmonic_kernel_basis` calls that follow (one per pair, same arguments) find them cached."""
    profiles = _sampled_parts_for(kernel_size, basis, **band)[0]
    pairs = _irrep_pairs(rep_pairs)
    if pairs:
        _angular_batch(pairs, tuple(sorted({k for k, _, _ in profiles})))


def _irrep_pairs(rep_pairs) -> list[tuple[Irrep, Irrep]]:
    """The distinct pairs ``(sigma_out, sigma_in)`` of irreps of the ``(rho_in, rho_out)`` pairs, one of
    each pair and its transpose (whose solutions are the transposed ones), in order of appearance."""
    pairs, seen = [], set()
    for rho_in, rho_out in rep_pairs:
        for so in dict.fromkeys(rho_out.irreps):
            for si in dict.fromkeys(rho_in.irreps):
                if (so, si) not in seen and (si, so) not in seen:
                    seen.add((so, si))
                    pairs.append((so, si))
    return pairs


def _sampled_parts_for(kernel_size, basis, max_frequency=None, frequency_cutoff=None, rings=None, sigma=None):
    key = (
        basis,
        kernel_size,
        max_frequency,
        frequency_cutoff,
        None if rings is None else tuple(np.atleast_1d(rings).tolist()),
        None if sigma is None else tuple(np.atleast_1d(sigma).tolist()),
    )
    try:
        return _sampled_parts(*key)
    except TypeError:  # an unhashable cutoff: no caching
        return _sampled_parts.__wrapped__(*key)


def _irrep_pair_basis(
    sigma_out: Irrep,
    sigma_in: Irrep,
    harmonics: np.ndarray,
    profiles: list,
    solutions: dict,
    pixels: list,
) -> tuple[np.ndarray, list[dict], dict]:
    """Sampled basis ``(m, d_out, d_in, k, k)`` for one pair of irreps, from its angular solutions
    ``{k: T}`` (:func:`_angular_batch`): one product per frequency with the pixel functions of its
    profiles (:func:`_pixel_functions`), the elements ordered by profile, then solution."""
    kk = harmonics.shape[-1]
    pieces: list = [None] * len(profiles)
    templates = {}
    for k, pos, pix in pixels:
        t = solutions[k]
        if t.shape[0] == 0:
            continue
        templates[(sigma_out, sigma_in, k)] = t
        m, do, di, a = t.shape
        e = (t.reshape(m * do * di, a) @ pix).reshape(m, do, di, len(pos), kk, kk)
        for n, p in enumerate(pos):
            pieces[p] = e[:, :, :, n]
    elems = [e for e in pieces if e is not None]
    if not elems:
        return np.zeros((0, sigma_out.dim, sigma_in.dim, kk, kk)), [], {}
    info = [
        {"frequency": k, "radial": j, "solution": b}
        for (k, j, _), e in zip(profiles, pieces)
        if e is not None
        for b in range(e.shape[0])
    ]
    return np.concatenate(elems, 0), info, templates


def _transposed(pair: tuple) -> tuple:
    """The pair basis of ``(sigma_in, sigma_out)`` from that of ``(sigma_out, sigma_in)``."""
    b, info, templates = pair
    return (
        b.transpose(0, 2, 1, 3, 4),
        info,
        {(si, so, k): t.transpose(0, 2, 1, 3) for (so, si, k), t in templates.items()},
    )


def harmonic_kernel_basis(
    rho_in: Representation,
    rho_out: Representation,
    kernel_size: int,
    basis: str = "gaussian",
    max_frequency: int | None = None,
    frequency_cutoff: Callable[[float], int] | float | None = None,
    rings: Sequence[float] | None = None,
    sigma: float | Sequence[float] | None = None,
    warn: bool = True,
    allow_empty: bool = False,
    dtype=np.float64,
) -> KernelBasis:
    """Steerable kernel basis between two representations of ``C_n``, ``D_n``, ``SO(2)`` or ``O(2)``.

    .. math::  K_{p q k j b}(x) = Q_{out}[:, p] \\, \\phi_j(r) \\big(T^{(b)}_c \\cos k\\theta
               + T^{(b)}_s \\sin k\\theta\\big) \\, Q_{in}[:, q]^T

    for every pair of irrep slots ``(p, q)`` of ``rho_out = Q_out (+) sigma_p Q_out^T`` and
    ``rho_in = Q_in (+) sigma_q Q_in^T``, every frequency ``k`` and radial profile ``phi_j`` allowed by
    the band limit, and every angular solution ``T^{(b)}`` (:func:`angular_solutions`). The construction
    loops over irrep pairs once; the sampling is vectorized over the grid.

    Parameters
    ----------
    basis:
        ``"gaussian"`` (rings of Weiler & Cesa 2019) or ``"bessel"`` (Fourier-Bessel radial parts with
        the DCFNet cutoff, :func:`~groupconv.kernels.bessel_zeros_dcf`).
    max_frequency:
        Largest circular-harmonic frequency kept (for ``C_n`` / ``D_n`` aliases count by their own
        frequency ``k``, not ``k mod n``); for ``"bessel"`` the default is ``(kernel_size - 1) // 2``.
    frequency_cutoff:
        Gaussian rings only: a callable ``radius -> max frequency`` or a float ``alpha`` meaning
        ``floor(alpha r)``; default: 0 at the centre, 1 on the outermost ring, ``floor(2 r)`` on the
        rings in between.
    rings, sigma:
        Gaussian ring radii and widths (:func:`gaussian_rings`).
    warn:
        Emit a warning listing the irrep pairs whose block is forced to zero.
    allow_empty:
        Return an empty basis instead of raising.
    dtype:
        numpy dtype of the returned tensor: computed in float64 and rounded once (``np.float32`` for a
        basis stored in single precision, without a float64 copy of the whole tensor).

    Raises
    ------
    ValueError
        when the basis is empty (no equivariant kernel of this size and band limit exists).
    """
    group = rho_in.group
    if not isinstance(group, PLANAR):
        raise TypeError(
            f"harmonic kernel bases exist for C_n, D_n, SO(2), O(2); got representations of {group}"
        )
    check_same_group(group, rho_out.group, "output representation")
    kernel_size = check_kernel_size(kernel_size)
    profiles, harmonics, pixels = _sampled_parts_for(
        kernel_size, basis, max_frequency, frequency_cutoff, rings, sigma
    )
    out_slots = _slots(rho_out)
    in_slots = _slots(rho_in)
    uo = list(dict.fromkeys(ir for ir, _ in out_slots))
    ui = list(dict.fromkeys(ir for ir, _ in in_slots))
    pairs = _irrep_pairs([(rho_in, rho_out)])
    ks = tuple(sorted({k for k, _, _ in profiles}))
    solutions = _angular_batch(pairs, ks)
    # the number of elements of each irrep pair's basis, known before any pixel is sampled
    count = {}
    for (so, si), t in zip(pairs, solutions):
        count[(so, si)] = count[(si, so)] = sum(t[k].shape[0] * len(pos) for k, pos, _ in pixels)
    m = sum(count[(so, si)] for so, _ in out_slots for si, _ in in_slots)
    kk = kernel_size * kernel_size
    # the irrep pairs' bases and the padded blocks (float64), then the basis itself
    nbytes = kk * (
        8 * sum(count[p] * p[0].dim * p[1].dim for p in pairs)
        + m * (8 * 4 + rho_out.dim * rho_in.dim * np.dtype(dtype).itemsize)
    )
    check_memory(
        nbytes,
        f"the {kernel_size}x{kernel_size} kernel basis {rho_in!r} -> {rho_out!r} ({m} elements of "
        f"{rho_out.dim} x {rho_in.dim} x {kk})",
        "use a smaller kernel_size, a lower max_frequency / frequency_cutoff, or fewer / smaller fields",
    )
    solved = {
        pair: _irrep_pair_basis(*pair, harmonics, profiles, t, pixels) for pair, t in zip(pairs, solutions)
    }
    # planar irreps are orthogonal: K solves the (so, si) constraint iff K^T solves (si, so)
    table = [[solved.get((so, si)) or _transposed(solved[(si, so)]) for si in ui] for so in uo]
    templates: dict = {}
    for row in table:
        for _, _, tmpl in row:
            templates.update(tmpl)
    index_o, index_i = {ir: n for n, ir in enumerate(uo)}, {ir: n for n, ir in enumerate(ui)}
    slot_i = [index_i[ir] for ir, _ in in_slots]
    blocks, info, zero = [], [], []
    for p, (so, _) in enumerate(out_slots):
        row = table[index_o[so]]
        for q, t in enumerate(slot_i):
            b, binfo, _ = row[t]
            if b.shape[0] == 0:
                name = (so.name, ui[t].name)
                if name not in zero:
                    zero.append(name)
                continue
            blocks.append((p, q, b))
            info.extend(dict(d, out_slot=p, in_slot=q) for d in binfo)
    if not blocks and not allow_empty:
        raise ValueError(
            f"empty kernel basis: no {kernel_size}x{kernel_size} kernel maps {rho_in!r} to {rho_out!r} "
            f"equivariantly within the frequency band (basis={basis!r}, max_frequency={max_frequency}); "
            "use a larger kernel, a higher max_frequency / frequency_cutoff, or other representations"
        )
    if zero and warn:
        _warn_zero_blocks(rho_in, rho_out, kernel_size, basis, zero)
    if blocks:
        tensor = _change_basis(
            rho_out.change_of_basis, out_slots, rho_in.change_of_basis, in_slots, blocks, dtype
        )
    else:
        tensor = np.zeros((0, rho_out.dim, rho_in.dim, kernel_size, kernel_size), dtype=dtype)
    return KernelBasis(
        tensor=tensor,
        rho_in=rho_in,
        rho_out=rho_out,
        kernel_size=kernel_size,
        kind=basis,
        info=info,
        zero_blocks=zero,
        templates=templates,
    )


@lru_cache(maxsize=256)
def regular_action(rho: Representation) -> np.ndarray | None:
    """``perm`` ``(|G|, d)`` with ``rho(g) e_b = e_{perm[g, b]}`` (elements in index order) when ``rho``
    is a regular representation of a finite group (a permutation representation acting simply
    transitively, in any numbering of its basis); ``None`` otherwise."""
    group = rho.group
    if not group.is_finite or rho.dim != group.order:
        return None
    if rho is regular(group):
        # rho(g) e_h = e_{gh}
        return group.cayley_table_np
    if rho.permutation is not None:
        # a permutation table: regular when the first basis vector's orbit is the whole basis
        perm = rho.permutation
        return perm if np.bincount(perm[:, 0], minlength=group.order).max() == 1 else None
    check_memory(
        8 * group.order * rho.dim**2,
        f"the matrices of {rho!r} on every element of {group}, to test whether it permutes a basis",
        "build regular fields with groupconv.reps.regular (a permutation table)",
    )
    m = rho(group.elements()).numpy()  # (|G|, d, d)
    r = np.rint(m)
    if np.abs(m - r).max() > 1e-9 or not ((r == 0) | (r == 1)).all() or not (r.sum(1) == 1).all():
        return None
    perm = r.argmax(1)  # perm[g, b] = a with rho(g)[a, b] = 1
    if np.bincount(perm[:, 0], minlength=group.order).max() != 1:
        return None
    return perm


def lifts_to_regular(rho_in: Representation, rho_out: Representation) -> bool:
    """Whether :func:`regular_kernel_basis` applies: representations of ``C_n`` / ``D_n``, regular to
    regular, trivial to regular, or regular to trivial."""
    if not isinstance(rho_out.group, (Cyclic, Dihedral)) or rho_in.group != rho_out.group:
        return False
    reg_out, reg_in = regular_action(rho_out) is not None, regular_action(rho_in) is not None
    triv_out = rho_out.dim == 1 and rho_out.irreps[0].is_trivial()
    triv_in = rho_in.dim == 1 and rho_in.irreps[0].is_trivial()
    return (reg_out and (reg_in or triv_in)) or (reg_in and triv_out)


def regular_kernel_basis(
    rho_in: Representation,
    rho_out: Representation,
    kernel_size: int,
    basis: str = "gaussian",
    max_frequency: int | None = None,
    frequency_cutoff: Callable[[float], int] | float | None = None,
    rings: Sequence[float] | None = None,
    sigma: float | Sequence[float] | None = None,
    warn: bool = True,
    allow_empty: bool = False,
    dtype=np.float64,
) -> KernelBasis:
    """Steerable kernel basis of ``C_n`` or ``D_n`` between regular fields (or a regular and a trivial
    one), lifted from unconstrained band-limited filters.

    A kernel between regular representations is determined by one row: with ``g_a`` the element
    taking the first basis vector to the ``a``-th, the constraint forces

    .. math::  K(x)_{a b} = \\kappa_{\\pi_{g_a}^{-1}(b)}\\big(g_a^{-1} x\\big)

    (``rho(g) e_b = e_{\\pi_g(b)}``) for ``|G|`` free filters ``kappa_c`` (the group convolution of Cohen &
    Welling, ICML 2016, eq. 11), and from a trivial to a regular field ``K(x)_a = \\kappa(g_a^{-1} x)``
    (their lifting convolution, eq. 10; the transpose for regular to trivial). Each free filter ranges
    over the pixel functions ``phi_j(r) cos k theta``, ``phi_j(r) sin k theta`` of the band limit of
    :func:`harmonic_kernel_basis`, and a rotated pixel function is the rotation ``L(g)`` of its
    ``(cos, sin)`` pair, so the basis spans the same kernels as :func:`harmonic_kernel_basis` with the
    same arguments (its dimension is ``|G|`` (or 1) times the number of pixel functions) and costs no
    constraint solve. Element ``(f, c)`` (pixel function ``f``, free filter ``c``) is index
    ``f |G| + c``; ``info`` gives its frequency, radial index, component and filter, and ``zero_blocks``
    the irrep pairs of the two representations between which these kernels vanish (found from the
    characters; ``warn`` emits the same warning as :func:`harmonic_kernel_basis`).

    Examples
    --------
    >>> from groupconv.groups import Dihedral
    >>> from groupconv.kernels import regular_kernel_basis
    >>> from groupconv.reps import regular, trivial
    >>> G = Dihedral(4)
    >>> regular_kernel_basis(regular(G), regular(G), 5, warn=False).tensor.shape  # 8 filters x 9 pixel functions
    (72, 8, 8, 5, 5)
    >>> regular_kernel_basis(trivial(G), regular(G), 5, warn=False).tensor.shape
    (9, 8, 1, 5, 5)

    Raises
    ------
    TypeError
        for a group other than ``C_n`` / ``D_n``.
    ValueError
        when neither representation is regular, the other is neither regular nor trivial, or the basis is
        empty.
    """
    group = rho_out.group
    if not isinstance(group, (Cyclic, Dihedral)):
        raise TypeError(f"regular kernel bases exist for C_n and D_n, got representations of {group}")
    check_same_group(group, rho_in.group, "input representation")
    kernel_size = check_kernel_size(kernel_size)
    if not lifts_to_regular(rho_in, rho_out):
        raise ValueError(
            f"regular_kernel_basis maps regular fields to regular ones, or a trivial field to a regular one "
            f"and back; got {rho_in!r} -> {rho_out!r} (use harmonic_kernel_basis)"
        )
    p_out, p_in = regular_action(rho_out), regular_action(rho_in)
    profiles, _, pixels = _sampled_parts_for(
        kernel_size, basis, max_frequency, frequency_cutoff, rings, sigma
    )
    kk = kernel_size * kernel_size
    n = group.order
    nf = sum(pix.shape[0] * len(pos) for _, pos, pix in pixels)
    both = p_out is not None and p_in is not None
    # the moved pixel functions (float64) and the basis: |G|^2 entries per element between regular fields
    size = nf * (n * n * n if both else n) * kk * np.dtype(dtype).itemsize
    check_memory(
        8 * n * nf * kk + size,
        f"the {kernel_size}x{kernel_size} kernel basis {rho_in!r} -> {rho_out!r} ({nf * (n if both else 1)} "
        f"elements of {rho_out.dim} x {rho_in.dim} x {kk})",
        "use a smaller kernel_size, a lower max_frequency / frequency_cutoff, or a group of smaller order"
        + (" (between two regular fields the basis has |G|^3 entries per pixel function)" if both else ""),
    )
    phi, s, _, _ = _elements(group, 0)
    # rotated[g, f] = f(g^-1 x) for every pixel function f, ordered by profile, then (cos, sin)
    funcs, labels = [None] * len(profiles), [None] * len(profiles)
    for k, pos, pix in pixels:
        a = pix.shape[0]
        lk = _angular_action(k, phi, s)
        # cos / sin of multiples of the grid angles are exact
        near = np.rint(lk)
        lk = np.where(np.abs(lk - near) < 1e-13, near, lk)
        rot = np.einsum("gab,bnp->gnap", lk, pix.reshape(a, len(pos), kk))
        for i, p in enumerate(pos):
            funcs[p] = rot[:, i]
            labels[p] = [(k, profiles[p][1], c) for c in ("cos", "sin")[:a]]
    rotated = np.concatenate(funcs, 1) if funcs else np.zeros((n, 0, kk))  # (|G|, F, k^2)
    labels = [lab for row in labels for lab in row]
    if nf == 0 and not allow_empty:
        raise ValueError(
            f"empty kernel basis: no {kernel_size}x{kernel_size} pixel function within the frequency band "
            f"(basis={basis!r}, max_frequency={max_frequency})"
        )
    zero = _forced_zero_pairs(rho_in, rho_out, sorted({k for k, _, _ in profiles}))
    if zero and warn:
        _warn_zero_blocks(rho_in, rho_out, kernel_size, basis, zero)
    if both:
        # g_a: the element taking the first basis vector of rho_out to the a-th
        g_row = np.argsort(p_out[:, 0])
        out = np.zeros((nf, n, n, n, kk), dtype=dtype)  # (f, c, a, b, pixel)
        f = np.arange(nf)[:, None, None]
        c = np.arange(n)[None, :, None]
        a = np.arange(n)[None, None, :]
        out[f, c, a, p_in[g_row[a], c]] = rotated[g_row[a], f]
        filters = range(n)
        tensor = out.reshape(nf * n, n, n, kernel_size, kernel_size)
    else:
        # one trivial side: element f at the regular side's a-th vector is f moved by g_a
        g_reg = np.argsort((p_in if p_out is None else p_out)[:, 0])
        filters = range(1)
        tensor = rotated[g_reg].transpose(1, 0, 2).astype(dtype, copy=False)
        tensor = tensor.reshape(nf, rho_out.dim, rho_in.dim, kernel_size, kernel_size)
    info = [
        {"frequency": k, "radial": j, "component": cs, "filter": cc} for k, j, cs in labels for cc in filters
    ]
    return KernelBasis(
        tensor=np.ascontiguousarray(tensor),
        rho_in=rho_in,
        rho_out=rho_out,
        kernel_size=kernel_size,
        kind=basis,
        info=info,
        zero_blocks=zero,
    )


def _forced_zero_pairs(rho_in: Representation, rho_out: Representation, ks: Sequence[int]) -> list:
    """The irrep pairs ``(sigma_out, sigma_in)`` (by name) of two representations of a finite planar group
    with no solution at any frequency of ``ks``: the rank of each pair's Reynolds projector is the
    character inner product ``mean_g chi_out(g) chi_in(g) chi_L(g)``, no solve needed."""
    group = rho_out.group
    w = _elements(group, 0)[2]
    uo, ui = list(dict.fromkeys(rho_out.irreps)), list(dict.fromkeys(rho_in.irreps))

    def characters(tables):
        return np.stack([np.einsum("gii->g", t) for t in tables])

    chil = characters(_averaging_action(group, 0, k) for k in ks)
    rank = np.einsum(
        "og,ig,kg->oi",
        characters(_irrep_table(ir, 0) for ir in uo) * w,
        characters(_irrep_table(ir, 0) for ir in ui),
        chil,
    )
    # ranks are non-negative integers: their sum over the frequencies vanishes only if each does
    return [(so.name, si.name) for a, so in enumerate(uo) for b, si in enumerate(ui) if rank[a, b] < 0.5]


def _warn_zero_blocks(rho_in, rho_out, kernel_size: int, basis: str, zero: list) -> None:
    """The warning of a basis some of whose irrep blocks are forced to zero, pointing at the caller's
    caller (the code that asked for the basis or built the layer)."""
    # a large group has hundreds of such pairs: the first few name the pattern, the count the extent
    shown = f"{zero}" if len(zero) <= 12 else f"{zero[:12]} and {len(zero) - 12} more ({len(zero)} in all)"
    warnings.warn(
        f"kernel basis {rho_in!r} -> {rho_out!r} ({kernel_size}x{kernel_size}, {basis}): the blocks "
        f"between the irrep pairs (out, in) {shown} are forced to zero (no solution within the kernel "
        "size and frequency band)",
        stacklevel=4,
    )


def _change_basis(
    qo: np.ndarray, out_slots: list, qi: np.ndarray, in_slots: list, blocks: list, dtype=np.float64
) -> np.ndarray:
    """Every basis element of the (non-empty list of) irrep blocks ``(p, q, b)``, ``b`` of shape
    ``(m, d_p, d_q, h, w)``, mapped to the bases of the representations, ``Q_out[:, p] b Q_in[:, q]^T``,
    in block order: ``(sum m, D_out, D_in, h, w)`` of ``dtype``. Vectorized over all blocks (irrep
    dimensions padded to the largest), in float64, a few elements at a time: the float64 intermediates
    stay small and the result is written once in ``dtype``."""
    h, w = blocks[0][2].shape[-2:]
    # padded to the largest irrep of either side (slots whose blocks are all empty included)
    d = max(sl.stop - sl.start for _, sl in out_slots + in_slots)

    def padded(q, slots):
        out = np.zeros((len(slots), q.shape[0], d))
        for i, (_, sl) in enumerate(slots):
            out[i, :, : sl.stop - sl.start] = q[:, sl]
        return out

    qo_p, qi_p = padded(qo, out_slots), padded(qi, in_slots)
    m = sum(b.shape[0] for _, _, b in blocks)
    bb = np.zeros((m, d, d, h * w))
    po, pi = np.empty(m, dtype=np.int64), np.empty(m, dtype=np.int64)
    e = 0
    for p, q, b in blocks:
        n = b.shape[0]
        bb[e : e + n, : b.shape[1], : b.shape[2]] = b.reshape(n, b.shape[1], b.shape[2], h * w)
        po[e : e + n], pi[e : e + n] = p, q
        e += n
    do, di = qo.shape[0], qi.shape[0]
    qo_e, qi_e = qo_p[po], qi_p[pi][:, None]  # (m, D_out, d), (m, 1, D_in, d)
    out = np.empty((m, do, di, h * w), dtype=dtype)
    # elements per step: float64 temporaries of at most 1 MiB
    step = max(1, 2**15 // (do * max(di, d) * h * w))
    tmp = np.empty((step, do, di, h * w)) if out.dtype != np.float64 else None
    for e in range(0, m, step):
        f = min(e + step, m)
        # Q_out b, then (Q_out b) Q_in^T, pixel by pixel; in float64, rounded once when copied to out (a
        # product written straight into a float32 out is slower)
        left = np.matmul(qo_e[e:f], bb[e:f].reshape(f - e, d, d * h * w)).reshape(f - e, do, d, h * w)
        if tmp is None:
            np.matmul(qi_e[e:f], left, out=out[e:f])
        else:
            np.matmul(qi_e[e:f], left, out=tmp[: f - e])
            out[e:f] = tmp[: f - e]
    return out.reshape(m, do, di, h, w)


def _slots(rho: Representation) -> list[tuple[Irrep, slice]]:
    out, i = [], 0
    for ir in rho.irreps:
        out.append((ir, slice(i, i + ir.dim)))
        i += ir.dim
    return out
