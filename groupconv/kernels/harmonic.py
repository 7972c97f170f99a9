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
from scipy.linalg.lapack import dgeqp3 as _geqp3
from scipy.special import jv

from ..groups.base import Group, check_same_group
from ..groups.planar import O2, SO2, Cyclic, Dihedral
from ..reps.representation import Irrep, Representation

__all__ = [
    "KernelBasis",
    "angular_solutions",
    "harmonic_kernel_basis",
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
        ``(n, d_out, d_in, k, k)`` float64 array; element ``b`` is the kernel ``K_b`` sampled on the
        ``k x k`` grid (pixel ``(i, j)`` at ``x = j - (k-1)/2``, ``y = (k-1)/2 - i``).
    rho_in, rho_out:
        The representations.
    kernel_size:
        ``k``.
    kind:
        ``"gaussian"``, ``"bessel"`` or ``"exact"``.
    info:
        One dict per element (irrep slots, frequency, radial index) for the analytic bases.
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
    return sigma(_elements(sigma.group, degree)[3]).numpy()


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


@lru_cache(maxsize=1024)
def _characters(sigma: Irrep, degree: int) -> np.ndarray:
    """Traces of :func:`_irrep_table`."""
    return _irrep_table(sigma, degree).diagonal(axis1=-2, axis2=-1).sum(-1)


@lru_cache(maxsize=1024)
def _angular_characters(group: Group, degree: int, k: int) -> np.ndarray:
    """Traces of :func:`_averaging_action`."""
    return _averaging_action(group, degree, k).diagonal(axis1=-2, axis2=-1).sum(-1)


def _pivots(p: np.ndarray) -> np.ndarray:
    """Column pivots of the QR decomposition of ``p`` with column pivoting (LAPACK ``dgeqp3``)."""
    _, jpvt, _, _, info = _geqp3(np.array(p, order="F"), overwrite_a=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"pivoted QR failed (dgeqp3 info={info})")
    return jpvt - 1


@lru_cache(maxsize=4096)
def angular_solutions(sigma_out: Irrep, sigma_in: Irrep, k: int) -> np.ndarray:
    """Angular parts of frequency ``k`` solving the constraint between two irreps of a planar group.

    Returns ``T`` of shape ``(m, d_out, d_in, a)`` (``a = 1`` for ``k = 0``, else 2): the kernel
    ``T_b[..., 0] cos k theta + T_b[..., 1] sin k theta`` satisfies
    ``K(g x) = sigma_out(g) K(x) sigma_in(g)^T``. The solutions are columns of the Reynolds projector
    ``P = mean_g sigma_out(g) (x) sigma_in(g) (x) L(g)^T`` chosen by pivoted QR (projections of
    canonical basis vectors, so their entries are simple algebraic numbers), scaled to unit norm.
    """
    return _angular_many(sigma_out, sigma_in, (int(k),))[int(k)]


def _averaging_degree(group: Group, degree: int) -> int:
    if group.is_finite:
        # every element: the same table for every frequency
        return 0
    # one quadrature (exact up to the next multiple of 16) serves many irrep pairs and frequencies
    return 16 * -(-max(degree, 1) // 16)


@lru_cache(maxsize=4096)
def _angular_many(sigma_out: Irrep, sigma_in: Irrep, ks: tuple) -> dict:
    """:func:`angular_solutions` for every frequency of ``ks``: the tables, characters and the tensor
    product of the two irreps are shared by the frequencies that use the same averaging elements."""
    group = sigma_out.group
    check_same_group(group, sigma_in.group, "irrep")
    out, shared = {}, {}
    for k in ks:
        degree = _averaging_degree(group, k + sigma_out.degree + sigma_in.degree)
        if degree not in shared:
            w = _elements(group, degree)[2]
            so, si = _irrep_table(sigma_out, degree), _irrep_table(sigma_in, degree)
            shared[degree] = (
                w,
                so,
                si,
                w * _characters(sigma_out, degree) * _characters(sigma_in, degree),
                None,
            )
        w, so, si, wchi, pair = shared[degree]
        a = 1 if k == 0 else 2
        # the rank of the Reynolds projector is its trace, mean_g chi_out(g) chi_in(g) chi_L(g): the
        # selection rules make most (pair, frequency) combinations empty, found before building the operator
        rank = int(round(float(np.dot(wchi, _angular_characters(group, degree, k)))))
        if rank == 0:
            out[k] = np.zeros((0, so.shape[-1], si.shape[-1], a))
            continue
        if pair is None:
            # sum over g of w_g so[o, O] si[i, I], flattened to (g, o i O I)
            pair = (
                (w[:, None, None, None, None] * so[:, :, None, :, None]) * si[:, None, :, None, :]
            ).reshape(len(w), -1)
            shared[degree] = (w, so, si, wchi, pair)
        lk = _averaging_action(group, degree, k)
        # T'[o, i, b] = sum_a L[a, b] so[o, O] T[O, I, a] si[i, I], averaged with the weights w
        op = (pair.T @ lk.reshape(len(w), -1)).reshape(
            so.shape[1], si.shape[1], so.shape[2], si.shape[2], a, a
        )
        n = so.shape[-1] * si.shape[-1] * a
        p = op.transpose(0, 1, 5, 2, 3, 4).reshape(n, n)  # (o, i, b) x (O, I, a)
        cols = p[:, np.sort(_pivots(p)[:rank])]
        cols = cols / np.sqrt((cols * cols).sum(0))
        # round-off of the quadrature is at the 1e-16 level; exact zeros keep the templates sparse
        cols[np.abs(cols) < 1e-13] = 0.0
        out[k] = cols.T.reshape(rank, so.shape[-1], si.shape[-1], a)
    return out


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
    """Radial profiles and circular harmonics on the grid, shared by every irrep pair."""
    profiles = _radial_profiles(basis, kernel_size, max_frequency, frequency_cutoff, rings, sigma)
    kmax = max((k for k, _, _ in profiles), default=0)
    x, y, _ = polar_grid(kernel_size)
    return profiles, circular_harmonics(x, y, kmax)


def _irrep_pair_basis(
    sigma_out: Irrep, sigma_in: Irrep, harmonics: np.ndarray, profiles: list
) -> tuple[np.ndarray, list[dict], dict]:
    """Sampled basis ``(m, d_out, d_in, k, k)`` for one pair of irreps."""
    elems, info, templates = [], [], {}
    solutions = _angular_many(sigma_out, sigma_in, tuple(sorted({k for k, _, _ in profiles})))
    for k, j, profile in profiles:
        t = solutions[k]
        if t.shape[0] == 0:
            continue
        templates[(sigma_out, sigma_in, k)] = t
        ang = harmonics[k, : t.shape[-1]]  # (a, k, k)
        m, do, di, a = t.shape
        elems.append(
            (t.reshape(m * do * di, a) @ (ang * profile).reshape(a, -1)).reshape(m, do, di, *profile.shape)
        )
        info.extend({"frequency": k, "radial": j, "solution": b} for b in range(t.shape[0]))
    if not elems:
        return np.zeros((0, sigma_out.dim, sigma_in.dim) + harmonics.shape[-2:]), [], {}
    return np.concatenate(elems, 0), info, templates


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
    key = (
        basis,
        kernel_size,
        max_frequency,
        frequency_cutoff,
        None if rings is None else tuple(np.atleast_1d(rings).tolist()),
        None if sigma is None else tuple(np.atleast_1d(sigma).tolist()),
    )
    try:
        profiles, harmonics = _sampled_parts(*key)
    except TypeError:  # an unhashable cutoff: no caching
        profiles, harmonics = _sampled_parts.__wrapped__(*key)
    pair_cache: dict = {}
    out_slots = _slots(rho_out)
    in_slots = _slots(rho_in)
    blocks, info, zero, templates = [], [], [], {}
    for p, (so, _) in enumerate(out_slots):
        for q, (si, _) in enumerate(in_slots):
            key = (so, si)
            if key not in pair_cache:
                pair_cache[key] = _irrep_pair_basis(so, si, harmonics, profiles)
            b, binfo, tmpl = pair_cache[key]
            templates.update(tmpl)
            if b.shape[0] == 0:
                name = (so.name, si.name)
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
        warnings.warn(
            f"kernel basis {rho_in!r} -> {rho_out!r} ({kernel_size}x{kernel_size}, {basis}): the blocks "
            f"between the irrep pairs (out, in) {zero} are forced to zero (no solution within the kernel "
            "size and frequency band)",
            stacklevel=3,
        )
    if blocks:
        tensor = _change_basis(rho_out.change_of_basis, out_slots, rho_in.change_of_basis, in_slots, blocks)
    else:
        tensor = np.zeros((0, rho_out.dim, rho_in.dim, kernel_size, kernel_size))
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


def _change_basis(
    qo: np.ndarray, out_slots: list, qi: np.ndarray, in_slots: list, blocks: list
) -> np.ndarray:
    """Every basis element of the (non-empty list of) irrep blocks ``(p, q, b)``, ``b`` of shape
    ``(m, d_p, d_q, h, w)``, mapped to the bases of the representations, ``Q_out[:, p] b Q_in[:, q]^T``,
    in block order: ``(sum m, D_out, D_in, h, w)``. Vectorized over all blocks (irrep dimensions padded
    to the largest)."""
    h, w = blocks[0][2].shape[-2:]
    d = max(max(b.shape[1], b.shape[2]) for _, _, b in blocks)

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
    # kron[e, (c, c'), (a, a')] = Q_out[c, a] Q_in[c', a'] of the element's slots, times b[e, (a, a'), pixel]
    do, di = qo.shape[0], qi.shape[0]
    kron = (qo_p[po][:, :, None, :, None] * qi_p[pi][:, None, :, None, :]).reshape(m, do * di, d * d)
    return np.matmul(kron, bb.reshape(m, d * d, h * w)).reshape(m, do, di, h, w)


def _slots(rho: Representation) -> list[tuple[Irrep, slice]]:
    out, i = [], 0
    for ir in rho.irreps:
        out.append((ir, slice(i, i + ir.dim)))
        i += ir.dim
    return out
