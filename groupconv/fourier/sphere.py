"""Fast spectral transforms on the sphere ``S^2`` and on ``SO(3)`` at bandwidths up to a few hundred.

Bandwidth ``B`` means degrees ``0 <= l < B`` (the convention of Driscoll & Healy, of Kostelec & Rockmore's
SOFT, of Cohen et al.'s spherical CNNs and of :meth:`~groupconv.groups.SO3.euler_grid`; groupconv's
:class:`~groupconv.fourier.FunctionSpace` counts the largest degree instead, ``L = B - 1``).

Conventions (those of the whole library): the Haar measure of ``SO(3)`` and the area measure of ``S^2``
have mass 1; the Fourier coefficient of ``f`` at the real orthogonal irrep ``rho_l`` of
:class:`~groupconv.reps.SO3Irrep` is

.. math::  \\hat f(l) = \\int_{SO(3)} f(u)\\, \\rho_l(u)\\, du \\quad ((2l+1) \\times (2l+1)), \\qquad
           f(u) = \\sum_{l < B} (2l+1) \\operatorname{tr}\\big[\\hat f(l)\\, \\rho_l(u)^T\\big],

and a function on the sphere ``S^2 = SO(3)/SO(2)`` (the point ``x = R e_z``) has the column
``\\hat f(l) e_l = \\int f(x) \\rho_l(R_x) e_l dx`` (``e_l`` the ``m = 0`` basis vector, fixed by ``SO(2)``):
``\\rho_l(R_x) e_l = Y_l(x) / \\sqrt{2l+1}`` with the real spherical harmonics of
:func:`~groupconv.reps.spatial.spherical_harmonics`, so ``f(x) = \\sum_l (2l+1) \\hat f(l)_{:, l} \\cdot
\\rho_l(R_x) e_l``. Plancherel: ``\\int |f|^2 = \\sum_l (2l+1) \\|\\hat f(l)\\|_F^2`` on both spaces.

Grids (``grid="dh"``, Driscoll-Healy, or ``"gl"``, Gauss-Legendre) are those of
:mod:`~groupconv.fourier.grids`: exact for every function whose expansion has degrees ``< 2B``, hence for
the products of two functions of bandwidth ``B`` (transforms and Plancherel are exact). Storage: on the
sphere ``(..., n_beta, 2B)`` (``beta``, ``alpha``), the point ``R_z(alpha) R_y(beta) e_z``; on ``SO(3)``
``(..., 2B, n_beta, 2B)`` (``alpha``, ``beta``, ``gamma``), the rotation ``R_z(alpha) R_y(beta) R_z(gamma)``.

Coefficients are packed: on ``SO(3)`` ``(..., sum_l (2l+1)^2)``, block ``l`` row-major at offset
``l (4 l^2 - 1) / 3``; on the sphere ``(..., B^2)``, the column ``\\hat f(l) e_l`` at offset ``l^2``. Both
layouts are prefixes of those of a larger bandwidth.

Algorithm (Kostelec & Rockmore, J. Fourier Anal. Appl. 14, 2008, the separation of variables; Driscoll &
Healy for the sphere): in the basis of :func:`~groupconv.fourier.wigner.real_to_complex_basis`,
``\\hat f(l) = U_l C^l U_l^H`` with

.. math::  C^l_{mn} = \\sum_j w_j\\, d^l_{mn}(\\beta_j)\\, F_{m j n}, \\qquad
           F_{m j n} = \\frac{1}{(2B)^2} \\sum_{a, c} f(\\alpha_a, \\beta_j, \\gamma_c)
           e^{i m \\alpha_a} e^{i n \\gamma_c}.

``F`` comes from one real FFT (``O(B^3 log B)``); the ``beta`` sums are batched matrix products over the
fundamental pairs ``(k, n)`` (``k >= |n|``) of :mod:`~groupconv.fourier.wigner`, each product serving the
pairs ``(k, n)`` and ``(n, k)`` (the other two of ``d``'s symmetry class follow from ``C_{-m,-n} =
(-1)^{m-n} \\bar C_{mn}`` for real ``f``), ``O(B^4)`` in all, channels in the rows; the change to the real
basis touches two entries per row of ``U_l``. The inverse runs the same steps backwards. The sphere needs
only the pairs ``(m, 0)``: ``O(B^3)``.

The constant function 1 has the single coefficient ``\\hat f(0) = 1`` (measure of mass 1):

>>> s2 = S2FFT(4).double()
>>> c = s2(torch.ones(s2.grid_shape, dtype=torch.float64))
>>> round(float(c[0]), 12), bool(c[1:].abs().max() < 1e-12)
(1.0, True)
>>> bool((s2.inverse(c) - 1).abs().max() < 1e-12)
True
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..utils.buffers import DerivedBuffers
from ..utils.memory import check_memory
from .grids import GRIDS, beta_rule, check_bandwidth, check_grid, s2_grid, so3_euler_grid
from .wigner import fundamental_pairs, wigner_d_column, wigner_d_recursive

__all__ = [
    "GRIDS",
    "s2_grid",
    "so3_euler_grid",
    "so3_coefficient_offsets",
    "so3_blocks",
    "s2_blocks",
    "S2FFT",
    "SO3FFT",
    "s2_fft",
    "s2_ifft",
    "so3_fft",
    "so3_ifft",
]


def so3_coefficient_offsets(bandwidth: int) -> np.ndarray:
    """Offsets of the blocks ``l = 0..B`` in the packed ``SO(3)`` layout: ``l (4 l^2 - 1) / 3``."""
    ls = np.arange(check_bandwidth(bandwidth) + 1)
    return ls * (4 * ls * ls - 1) // 3


def so3_blocks(coefficients: torch.Tensor, bandwidth: int) -> list[torch.Tensor]:
    """Views ``(..., 2l+1, 2l+1)`` of the blocks ``\\hat f(l)``, ``l < B``, of packed ``SO(3)`` coefficients."""
    off = so3_coefficient_offsets(bandwidth)
    if coefficients.shape[-1] != off[-1]:
        raise ValueError(
            f"packed SO(3) coefficients of bandwidth {bandwidth} have {off[-1]} entries in the last "
            f"dimension, got shape {tuple(coefficients.shape)}"
        )
    return [
        coefficients[..., off[l] : off[l + 1]].unflatten(-1, (2 * l + 1, 2 * l + 1))
        for l in range(len(off) - 1)
    ]


def s2_blocks(coefficients: torch.Tensor, bandwidth: int) -> list[torch.Tensor]:
    """Views ``(..., 2l+1)`` of the columns ``\\hat f(l) e_l``, ``l < B``, of packed sphere coefficients."""
    B = check_bandwidth(bandwidth)
    if coefficients.shape[-1] != B * B:
        raise ValueError(
            f"packed sphere coefficients of bandwidth {B} have {B * B} entries in the last dimension, got "
            f"shape {tuple(coefficients.shape)}"
        )
    return [coefficients[..., l * l : (l + 1) ** 2] for l in range(B)]


def _buckets(bandwidth: int) -> list[tuple[int, int]]:
    """Consecutive ranges of ``k`` whose fundamental pairs share one batched product: about 16 of them,
    so that the padding of the degree axis (``l < k`` inside a bucket) stays small."""
    width = max(1, bandwidth // 16)
    return [(k, min(k + width, bandwidth)) for k in range(0, bandwidth, width)]


def _row_entries(l: np.ndarray, a: np.ndarray):
    """The two nonzero entries ``(m, U_l[a, l + m])`` of row ``a`` of ``U_l`` (the second is 0 for ``a = l``),
    vectorized (:func:`~groupconv.fourier.wigner.real_to_complex_basis`)."""
    mu = np.abs(a - l)
    s = 1.0 - 2.0 * (mu % 2)
    r = 1 / math.sqrt(2)
    up, mid = a > l, a == l
    u1 = np.where(up, s * r, -1j * s * r)
    u2 = np.where(up, r, 1j * r)
    return mu, np.where(mid, 1.0, u1), -mu, np.where(mid, 0.0, u2)


def _column_entries(l: np.ndarray, m: np.ndarray):
    """The two nonzero entries ``(a, U_l[a, l + m])`` of column ``m`` of ``U_l`` (the second 0 for ``m = 0``)."""
    mu = np.abs(m)
    s = 1.0 - 2.0 * (mu % 2)
    r = 1 / math.sqrt(2)
    pos, zero = m > 0, m == 0
    v1 = np.where(pos, s * r, r)
    v2 = np.where(pos, -1j * s * r, 1j * r)
    return l + mu, np.where(zero, 1.0, v1), l - mu, np.where(zero, 0.0, v2)


def _locate(m: np.ndarray, q: np.ndarray):
    """The computed copy ``(fundamental pair p, rel)`` holding ``C_{mq}`` or, with ``conj``, the pair whose
    conjugate times ``sign`` is ``C_{mq}`` (``C_{-m,-q} = (-1)^{m-q} conj C_{mq}`` for real functions)."""
    a = m >= np.abs(q)
    b = ~a & (q >= np.abs(m))
    c = ~a & ~b & (-m >= np.abs(q))
    k = np.select([a, b, c], [m, q, -m], -q)
    n = np.select([a, b, c], [q, m, -q], -m)
    rel = np.where(a | c, 0, 1)
    conj = ~(a | b)
    sign = np.where(conj, 1.0 - 2.0 * (np.abs(m - q) % 2), 1.0)
    return k * k + n + k, rel, sign, conj


class _SO3Plan:
    """The float64 tables and index maps of the ``SO(3)`` transforms of one bandwidth and grid.

    The computed coefficients are, for every fundamental pair ``(k, n)`` (index ``p``) the ordered pairs
    ``(k, n)`` (``rel = 0``) and ``(n, k)`` (``rel = 1``), degrees ``l = k0 .. B-1`` of the pair's bucket,
    flattened per bucket as ``(p, rel, l)``.
    """

    def __init__(self, bandwidth: int, grid: str):
        B = self.bandwidth = bandwidth
        self.grid = grid
        beta, w = beta_rule(B, grid)
        self.w = np.array(w)
        self.buckets = _buckets(B)
        entries = sum((k1 * k1 - k0 * k0) * (B - k0) for k0, k1 in self.buckets)
        # float64 tables and a float32 copy, the index maps (12 numbers per packed or computed
        # coefficient) and the recursion's three rows of B^2 pairs
        check_memory(
            12 * entries * len(beta) + 8 * 12 * (2 * entries + B**3) + 24 * B * B * len(beta),
            f"the Wigner tables of the SO(3) transform of bandwidth {B} ({grid} grid)",
            "use a smaller bandwidth, or the Gauss-Legendre grid (grid='gl', half the tables)",
        )
        self.tables = wigner_d_recursive(B, beta, self.buckets)
        ks, ns = fundamental_pairs(B)
        N, half = 2 * B, B + 1
        npairs = len(ks)
        # flat offset of (p, rel, l = 0) in the computed coefficients, and each pair's bucket start k0
        base = np.zeros(npairs, dtype=np.int64)
        length = np.zeros(npairs, dtype=np.int64)
        flat = 0
        for k0, k1 in self.buckets:
            p = np.arange(k0 * k0, k1 * k1)
            L = B - k0
            base[p] = flat + (p - k0 * k0) * 2 * L - k0
            length[p] = L
            flat += (k1 * k1 - k0 * k0) * 2 * L
        self.num_computed = flat

        def comp(p, rel, l):
            return base[p] + rel * length[p] + l

        # forward input: F(m, q) of each copy from R = FFT(f) / N^2 (kernel e^{-i}): R[-m, -q] for q <= 0,
        # else conj R[m, q]; rel = 1 carries the sign of d_{nk} = (-1)^{k-n} d_{kn}
        rel = np.tile([0, 1], npairs)
        kk, nn_ = np.repeat(ks, 2), np.repeat(ns, 2)
        m = np.where(rel == 0, kk, nn_)
        q = np.where(rel == 0, nn_, kk)
        sigma = np.where(rel == 0, 1.0, 1.0 - 2.0 * ((kk - nn_) % 2))
        self.fwd_rows = np.where(q <= 0, (-m) % N * half - q, m % N * half + q).astype(np.int64)
        self.fwd_mult = np.stack([sigma, np.where(q <= 0, sigma, -sigma)], 1)

        # forward output: the packed real block l, entry (a, b), is Re sum U[a, m] C_mq conj U[b, q]
        off = so3_coefficient_offsets(B)
        l_of = np.repeat(np.arange(B), (2 * np.arange(B) + 1) ** 2)
        local = np.arange(off[-1]) - off[l_of]
        d_of = 2 * l_of + 1
        ra, rb = local // d_of, local % d_of
        rows_a = _row_entries(l_of, ra)
        rows_b = _row_entries(l_of, rb)
        idx, coef = [], []
        for ma, ua in (rows_a[:2], rows_a[2:]):
            for mb, ub in (rows_b[:2], rows_b[2:]):
                p, r, sign, conj = _locate(ma, mb)
                z = ua * np.conj(ub) * sign
                idx.append(comp(p, r, l_of))
                coef.append(np.stack([z.real, np.where(conj, z.imag, -z.imag)]))
        self.fwd_idx = np.stack(idx)
        self.fwd_coef = np.stack(coef, 1)

        # inverse: (2l + 1) conj C_mq = (2l + 1) sum U[a, m] f_ab conj U[b, q] for every computed entry
        inv_idx = np.zeros((4, flat), dtype=np.int64)
        inv_coef = np.zeros((2, 4, flat))
        for k0, k1 in self.buckets:
            L = B - k0
            p = np.arange(k0 * k0, k1 * k1)
            P, R_, LL = np.meshgrid(p, [0, 1], np.arange(k0, B), indexing="ij")
            P, R_, LL = P.ravel(), R_.ravel(), LL.ravel()
            valid = LL >= ks[P]
            P, R_, LL = P[valid], R_[valid], LL[valid]
            mm = np.where(R_ == 0, ks[P], ns[P])
            qq = np.where(R_ == 0, ns[P], ks[P])
            target = comp(P, R_, LL)
            cm, cq = _column_entries(LL, mm), _column_entries(LL, qq)
            dd = 2 * LL + 1
            t = 0
            for a, ua in (cm[:2], cm[2:]):
                for b, ub in (cq[:2], cq[2:]):
                    z = dd * ua * np.conj(ub)
                    inv_idx[t, target] = off[LL] + a * dd + b
                    inv_coef[0, t, target] = z.real
                    inv_coef[1, t, target] = z.imag
                    t += 1
        self.inv_idx, self.inv_coef = inv_idx, inv_coef

        # inverse: the half spectrum H(m, q), q = 0..B, from the computed copies (a zero row at the end);
        # H(m, q) = conj H(-m, -q) where only (-m, -q) is computed
        n_copies = 2 * npairs
        mi, q = np.meshgrid(np.arange(N), np.arange(half), indexing="ij")
        mi, q = mi.ravel(), q.ravel()
        m = np.where(mi < B, mi, mi - N)
        ok = (np.abs(m) < B) & (q < B)
        p, r, _, conj = _locate(m[ok], q[ok])
        k_p, n_p = ks[p], ns[p]
        sig = np.where(r == 0, 1.0, 1.0 - 2.0 * ((k_p - n_p) % 2))
        self.h_rows = np.full(N * half, n_copies, dtype=np.int64)
        self.h_rows[ok] = 2 * p + r
        self.h_mult = np.zeros((N * half, 2))
        self.h_mult[ok] = np.stack([sig, np.where(conj, -sig, sig)], 1)


class _S2Plan:
    """The float64 tables and index maps of the sphere transforms of one bandwidth and grid."""

    def __init__(self, bandwidth: int, grid: str):
        B = self.bandwidth = bandwidth
        self.grid = grid
        beta, w = beta_rule(B, grid)
        self.w = np.array(w)
        self.table = wigner_d_column(B, beta)  # (mu, l, j)
        # computed c[reim, mu, l] (flat); packed a[l^2 + l + m] = sqrt2 s Re c (m = mu > 0), sqrt2 s Im c
        # (m = -mu), Re c (m = 0), s = (-1)^mu
        idx = np.zeros(B * B, dtype=np.int64)
        coef = np.zeros(B * B)
        inv_idx = np.zeros(2 * B * B, dtype=np.int64)
        inv_coef = np.zeros(2 * B * B)
        r2 = math.sqrt(2)
        for l in range(B):
            for mu in range(l + 1):
                s = (-1.0) ** mu
                re, im = (0 * B + mu) * B + l, (1 * B + mu) * B + l
                if mu == 0:
                    idx[l * l + l], coef[l * l + l] = re, 1.0
                    inv_idx[re], inv_coef[re] = l * l + l, 2 * l + 1
                    continue
                idx[l * l + l + mu], coef[l * l + l + mu] = re, r2 * s
                idx[l * l + l - mu], coef[l * l + l - mu] = im, r2 * s
                # g = a^T U[:, mu]: Re g = s a[l + mu] / sqrt2, Im g = -s a[l - mu] / sqrt2
                inv_idx[re], inv_coef[re] = l * l + l + mu, (2 * l + 1) * s / r2
                inv_idx[im], inv_coef[im] = l * l + l - mu, -(2 * l + 1) * s / r2
        self.fwd_idx, self.fwd_coef = idx, coef
        self.inv_idx, self.inv_coef = inv_idx, inv_coef


_PLANS: dict = {}


def _plan(kind: str, bandwidth: int, grid: str):
    key = (kind, bandwidth, grid)
    p = _PLANS.get(key)
    if p is None:
        p = (_SO3Plan if kind == "so3" else _S2Plan)(bandwidth, grid)
        _PLANS[key] = p
    return p


class _Transform(DerivedBuffers, nn.Module):
    """Shared machinery: float tables as non-persistent buffers rebuilt from the float64 plan on every
    dtype / device change (so a round trip through float32 loses nothing), integer maps as buffers."""

    def _start(self, kind: str, bandwidth: int, grid: str):
        """Checks the arguments, sets ``bandwidth``, ``grid`` and ``n_beta``, registers the quadrature
        weights ``w``; returns the plan of the transform."""
        self.bandwidth = check_bandwidth(bandwidth)
        self.grid = check_grid(grid)
        plan = _plan(kind, self.bandwidth, self.grid)
        self.n_beta = len(plan.w)
        self._register("w", plan.w, True)
        return plan

    def _register(self, name: str, value: np.ndarray, master: bool) -> None:
        if master:
            self.register_derived(name, value, dtype=torch.as_tensor(value).dtype)
        else:
            self.register_buffer(name, torch.as_tensor(value), persistent=False)

    def _check_input(self, x, shape: tuple[int, ...], what: str) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{type(self).__name__} takes a torch.Tensor {what}, got {type(x).__name__}")
        if x.dtype not in (torch.float32, torch.float64):
            raise TypeError(
                f"{type(self).__name__} takes float32 or float64 {what}, got dtype {x.dtype} (complex "
                "functions: transform the real and imaginary parts)"
            )
        ref = self.w
        if x.dtype != ref.dtype:
            raise TypeError(
                f"{what} of dtype {x.dtype} does not match the transform's dtype {ref.dtype}: cast one of "
                "them (e.g. transform.double())"
            )
        if x.device != ref.device:
            raise ValueError(f"{what} is on {x.device}, the transform's tables on {ref.device}")
        n = len(shape)
        if x.dim() < n or tuple(x.shape[-n:]) != shape:
            raise ValueError(
                f"{type(self).__name__} of bandwidth {self.bandwidth} ({self.grid} grid) expects {what} of "
                f"shape (..., {', '.join(map(str, shape))}), got {tuple(x.shape)}"
            )
        return x

    def extra_repr(self) -> str:
        return f"bandwidth={self.bandwidth}, grid={self.grid!r}"


class SO3FFT(_Transform):
    """Forward and inverse Fourier transforms of real functions on ``SO(3)`` (module docstring).

    Parameters
    ----------
    bandwidth:
        ``B``: degrees ``l < B``.
    grid:
        ``"dh"`` (Driscoll-Healy, ``2B x 2B x 2B``) or ``"gl"`` (Gauss-Legendre, ``2B x B x 2B``).

    Notes
    -----
    ``forward(f)``: ``(..., 2B, n_beta, 2B)`` -> packed ``(..., sum_l (2l+1)^2)``; ``inverse(c)``: back.
    Exact (to rounding) on functions of bandwidth ``B``: ``inverse(forward(f)) = f`` for them, and
    ``forward(inverse(c)) = c`` for every ``c``. The Wigner tables are stored for the fundamental pairs only
    (:mod:`groupconv.fourier.wigner`), ``~ B^3 n_beta / 3`` numbers. Cost ``O(B^4)`` per channel.
    """

    def __init__(self, bandwidth: int, grid: str = "dh"):
        super().__init__()
        plan = self._start("so3", bandwidth, grid)
        self.num_coefficients = int(so3_coefficient_offsets(self.bandwidth)[-1])
        self._bucket_shapes = []
        for i, ((k0, k1), t) in enumerate(zip(plan.buckets, plan.tables)):
            self._register(f"table{i}", t, True)
            self._bucket_shapes.append((k1 * k1 - k0 * k0, self.bandwidth - k0))
        self._register("fwd_rows", plan.fwd_rows, False)
        self._register("fwd_mult", plan.fwd_mult, True)
        self._register("fwd_idx", plan.fwd_idx.reshape(-1), False)
        self._register("fwd_coef", plan.fwd_coef, True)
        self._register("inv_idx", plan.inv_idx.reshape(-1), False)
        self._register("inv_coef", plan.inv_coef, True)
        self._register("h_rows", plan.h_rows, False)
        self._register("h_mult", plan.h_mult, True)
        self.to(torch.get_default_dtype())

    @property
    def grid_shape(self) -> tuple[int, int, int]:
        return (2 * self.bandwidth, self.n_beta, 2 * self.bandwidth)

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        f = self._check_input(f, self.grid_shape, "functions on the SO(3) grid")
        B, N = self.bandwidth, 2 * self.bandwidth
        batch = f.shape[:-3]
        if f.numel() == 0:
            # MKL's FFT refuses empty batches
            return f.new_zeros(batch + (self.num_coefficients,))
        x = f.reshape((math.prod(batch),) + self.grid_shape)
        bc = x.shape[0]
        R = torch.fft.fft(torch.fft.rfft(x, dim=-1), dim=-3) / (N * N)
        # rows (m, q), then (re / im, channels, beta): the beta sums become batched matrix products
        rows = torch.view_as_real(R).permute(1, 3, 4, 0, 2).reshape(N * (B + 1), 2, bc, self.n_beta)
        X = rows[self.fwd_rows] * (self.fwd_mult[:, :, None, None] * self.w)
        outs = []
        c0 = 0
        for i, (npairs, L) in enumerate(self._bucket_shapes):
            xi = X[c0 : c0 + 2 * npairs].reshape(npairs, 4 * bc, self.n_beta)
            c0 += 2 * npairs
            y = torch.bmm(xi, getattr(self, f"table{i}").transpose(1, 2))
            outs.append(y.view(npairs, 2, 2, bc, L).permute(2, 3, 0, 1, 4).reshape(2, bc, -1))
        Y = torch.cat(outs, -1)
        terms = Y.index_select(-1, self.fwd_idx).view(2, bc, 4, -1)
        # a broadcast product and a sum (einsum would batch 1 x 1 matrix products over the coefficients)
        out = (terms * self.fwd_coef[:, None]).sum((0, 2))
        return out.reshape(batch + (self.num_coefficients,))

    def inverse(self, c: torch.Tensor) -> torch.Tensor:
        c = self._check_input(c, (self.num_coefficients,), "packed SO(3) coefficients")
        B, N = self.bandwidth, 2 * self.bandwidth
        batch = c.shape[:-1]
        if c.numel() == 0:
            return c.new_zeros(batch + self.grid_shape)
        x = c.reshape(math.prod(batch), self.num_coefficients)
        bc = x.shape[0]
        terms = x.index_select(-1, self.inv_idx).view(1, bc, 4, -1)
        Z = (terms * self.inv_coef[:, None]).sum(2)
        hs = []
        q0 = 0
        for i, (npairs, L) in enumerate(self._bucket_shapes):
            zi = Z[:, :, q0 : q0 + npairs * 2 * L].reshape(2, bc, npairs, 2, L)
            q0 += npairs * 2 * L
            zi = zi.permute(2, 3, 0, 1, 4).reshape(npairs, 4 * bc, L)
            h = torch.bmm(zi, getattr(self, f"table{i}"))
            hs.append(h.view(npairs * 2, 2, bc, self.n_beta))
        hs.append(Z.new_zeros(1, 2, bc, self.n_beta))
        H = torch.cat(hs)[self.h_rows] * self.h_mult[:, :, None, None]
        H = H.view(N, B + 1, 2, bc, self.n_beta).permute(3, 0, 4, 1, 2).contiguous()
        H = torch.view_as_complex(H)
        out = torch.fft.irfft(torch.fft.ifft(H, dim=-3), n=N, dim=-1) * (N * N)
        return out.reshape(batch + self.grid_shape)


class S2FFT(_Transform):
    """Forward and inverse transforms of real functions on the sphere (module docstring).

    ``forward(f)``: ``(..., n_beta, 2B)`` -> packed ``(..., B^2)`` (the columns ``\\hat f(l) e_l``);
    ``inverse(c)``: back. Exact on functions of bandwidth ``B``; cost ``O(B^3)`` per channel, tables
    ``B^2 n_beta`` numbers.
    """

    def __init__(self, bandwidth: int, grid: str = "dh"):
        super().__init__()
        plan = self._start("s2", bandwidth, grid)
        self.num_coefficients = self.bandwidth**2
        self._register("table", plan.table, True)
        self._register("fwd_idx", plan.fwd_idx, False)
        self._register("fwd_coef", plan.fwd_coef, True)
        self._register("inv_idx", plan.inv_idx, False)
        self._register("inv_coef", plan.inv_coef, True)
        conj = np.ones((2, 1, 1))
        conj[1] = -1.0
        self._register("conj", conj, True)
        self.to(torch.get_default_dtype())

    @property
    def grid_shape(self) -> tuple[int, int]:
        return (self.n_beta, 2 * self.bandwidth)

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        f = self._check_input(f, self.grid_shape, "functions on the sphere grid")
        B, N = self.bandwidth, 2 * self.bandwidth
        batch = f.shape[:-2]
        if f.numel() == 0:
            return f.new_zeros(batch + (B * B,))
        x = f.reshape((math.prod(batch),) + self.grid_shape)
        bc = x.shape[0]
        R = torch.fft.rfft(x, dim=-1)[..., :B] / N
        # F(mu) = conj R(mu); rows mu, then (re / im, channels, beta)
        X = torch.view_as_real(R).permute(2, 3, 0, 1) * (self.conj * self.w)
        y = torch.bmm(X.reshape(B, 2 * bc, self.n_beta), self.table.transpose(1, 2))
        Y = y.view(B, 2, bc, B).permute(2, 1, 0, 3).reshape(bc, 2 * B * B)
        out = Y.index_select(-1, self.fwd_idx) * self.fwd_coef
        return out.reshape(batch + (B * B,))

    def inverse(self, c: torch.Tensor) -> torch.Tensor:
        c = self._check_input(c, (self.bandwidth**2,), "packed sphere coefficients")
        B, N = self.bandwidth, 2 * self.bandwidth
        batch = c.shape[:-1]
        if c.numel() == 0:
            return c.new_zeros(batch + self.grid_shape)
        x = c.reshape(math.prod(batch), B * B)
        bc = x.shape[0]
        G = (x.index_select(-1, self.inv_idx) * self.inv_coef).view(bc, 2, B, B)
        G = G.permute(2, 1, 0, 3).reshape(B, 2 * bc, B)
        h = torch.bmm(G, self.table).view(B, 2, bc, self.n_beta)
        H = torch.view_as_complex(h.permute(2, 3, 0, 1).contiguous())
        out = torch.fft.irfft(H, n=N, dim=-1) * N
        return out.reshape(batch + self.grid_shape)


_FUNCTIONAL: dict = {}


def _functional(cls, bandwidth, grid, like: torch.Tensor):
    B, g = check_bandwidth(bandwidth), check_grid(grid)
    if not isinstance(like, torch.Tensor):
        raise TypeError(f"expected a torch.Tensor, got {type(like).__name__}")
    if like.dtype not in (torch.float32, torch.float64):
        raise TypeError(f"the spherical transforms take float32 or float64 tensors, got dtype {like.dtype}")
    key = (cls.__name__, B, g, like.dtype, like.device)
    t = _FUNCTIONAL.get(key)
    if t is None:
        t = cls(B, g).to(dtype=like.dtype, device=like.device)
        _FUNCTIONAL[key] = t
    return t


def s2_fft(f: torch.Tensor, bandwidth: int, grid: str = "dh") -> torch.Tensor:
    """Packed sphere coefficients ``(..., B^2)`` of ``f (..., n_beta, 2B)`` (see :class:`S2FFT`)."""
    return _functional(S2FFT, bandwidth, grid, f)(f)


def s2_ifft(coefficients: torch.Tensor, bandwidth: int, grid: str = "dh") -> torch.Tensor:
    """Samples ``(..., n_beta, 2B)`` of the function with packed sphere coefficients ``(..., B^2)``."""
    return _functional(S2FFT, bandwidth, grid, coefficients).inverse(coefficients)


def so3_fft(f: torch.Tensor, bandwidth: int, grid: str = "dh") -> torch.Tensor:
    """Packed ``SO(3)`` coefficients ``(..., sum (2l+1)^2)`` of ``f (..., 2B, n_beta, 2B)`` (:class:`SO3FFT`)."""
    return _functional(SO3FFT, bandwidth, grid, f)(f)


def so3_ifft(coefficients: torch.Tensor, bandwidth: int, grid: str = "dh") -> torch.Tensor:
    """Samples ``(..., 2B, n_beta, 2B)`` of the function with packed ``SO(3)`` coefficients."""
    return _functional(SO3FFT, bandwidth, grid, coefficients).inverse(coefficients)
