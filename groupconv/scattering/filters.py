"""Filter banks in the Fourier domain, their Littlewood-Paley sums and frame bounds.

All banks live on the discrete frequency grid of an ``M x N`` image, ``omega_k = 2 pi k / M`` with ``k``
in ``numpy.fft.fftfreq`` order, and are built vectorized over filters and frequencies in float64. A bank
holds a low-pass filter ``phi^`` (the output-generating atom of Wiatowski & Bolcskei) and filters
``psi^_lambda``; filtering is the circular convolution ``f * psi = IDFT(f^ psi^)``.

For a real signal ``f`` (every layer input of a modulus scattering network is real),
``|f^(omega)| = |f^(-omega)|`` and

.. math::

    \\|f * \\phi\\|^2 + \\sum_\\lambda \\|f * \\psi_\\lambda\\|^2
    = \\frac{1}{MN} \\sum_\\omega |\\hat f(\\omega)|^2 \\, A(\\omega), \\qquad
    A(\\omega) = |\\hat\\phi(\\omega)|^2 + \\tfrac12 \\sum_\\lambda
    \\big(|\\hat\\psi_\\lambda(\\omega)|^2 + |\\hat\\psi_\\lambda(-\\omega)|^2\\big),

the Littlewood-Paley sum ``A``; its extrema are the frame bounds (Mallat, "Group invariant
scattering", CPAM 2012, Eq. (2.7)). ``-omega`` is the discrete mirror ``k -> -k mod M``.

Examples
--------

>>> bank = morlet_bank((32, 32), J=3, L=8)
>>> len(bank), bank.psi.shape
(24, torch.Size([24, 32, 32]))
>>> a, b = frame_bounds(bank)  # the extrema of the Littlewood-Paley sum
>>> round(a, 4), round(b, 4)  # not a tight frame: energy is lost at low frequencies
(0.123, 1.0109)
>>> [round(v, 12) for v in frame_bounds(make_tight(bank))]
[1.0, 1.0]
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, replace

import numpy as np
import torch

__all__ = [
    "FilterBank",
    "morlet_bank",
    "parseval_wavelet_bank",
    "gabor_bank",
    "angular_wavelet_bank",
    "make_tight",
    "littlewood_paley_sum",
    "frame_bounds",
    "check_scales",
]


@dataclass
class FilterBank:
    """A low-pass filter and a family of filters on a discrete frequency grid.

    Attributes
    ----------
    phi:
        ``(M, N)`` Fourier-domain low-pass filter (float64 or complex128).
    psi:
        ``(K, M, N)`` Fourier-domain filters.
    j, theta:
        ``(K,)`` integer scale and orientation index of each filter (``j = 0`` for banks without scales).
    J, L:
        Number of scales and orientations; ``2^J`` is the scale of ``phi``.
    name:
        A short description.
    full_circle:
        Orientations cover ``[0, 2 pi)`` (``theta_l = 2 pi l / L``) instead of ``[0, pi)``.
    """

    phi: torch.Tensor
    psi: torch.Tensor
    j: torch.Tensor
    theta: torch.Tensor
    J: int
    L: int
    name: str = "bank"
    full_circle: bool = False
    info: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.phi.shape)

    def __len__(self) -> int:
        return self.psi.shape[0]

    def __repr__(self) -> str:
        return f"FilterBank({self.name}, shape={self.shape}, J={self.J}, L={self.L}, filters={len(self)})"

    def paths(self) -> list[tuple[int, int]]:
        """``(j, theta)`` of every filter, in filter order."""
        return list(zip(self.j.tolist(), self.theta.tolist()))

    def crop(self, res: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``(phi, psi)`` restricted to the frequencies of the grid subsampled by ``2^res``.

        The kept frequencies are ``|k| < M / 2^{res+1}`` (and the negative Nyquist one), the filter seen
        by a signal living on the coarser grid.
        """
        if res == 0:
            return self.phi, self.psi
        M, N = self.shape
        m, n = M >> res, N >> res
        iy = torch.cat([torch.arange(m // 2), torch.arange(M - m // 2, M)])
        ix = torch.cat([torch.arange(n // 2), torch.arange(N - n // 2, N)])
        return self.phi[iy][:, ix], self.psi[:, iy][:, :, ix]

    def littlewood_paley_sum(self, real_input: bool = True) -> torch.Tensor:
        """See :func:`littlewood_paley_sum`."""
        return littlewood_paley_sum(self, real_input)

    def frame_bounds(self, real_input: bool = True) -> tuple[float, float]:
        """See :func:`frame_bounds`."""
        return frame_bounds(self, real_input)


def _single_threaded(fn):
    """Run a bank builder on one intra-op thread, restoring the setting afterwards.

    Construction is memory-bound elementwise work on moderate arrays; on shared cores the OpenMP
    barriers between its many small ops cost more than they gain (measured 5-10x slower with 2 threads
    on a loaded 2-core machine, see docs/benchmarks.md).
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        n = torch.get_num_threads()
        if n == 1:
            return fn(*args, **kwargs)
        torch.set_num_threads(1)
        try:
            return fn(*args, **kwargs)
        finally:
            torch.set_num_threads(n)

    return wrapper


def _mirror(t: torch.Tensor) -> torch.Tensor:
    """``t(-omega)`` on the discrete grid: index ``k -> -k mod M`` on the last two axes."""
    return torch.roll(torch.flip(t, (-2, -1)), (1, 1), (-2, -1))


def littlewood_paley_sum(bank: FilterBank, real_input: bool = True) -> torch.Tensor:
    """The Littlewood-Paley sum of ``bank`` on its frequency grid.

    .. math::

        A(\\omega) = |\\hat\\phi(\\omega)|^2 + \\tfrac12\\sum_\\lambda
        \\big(|\\hat\\psi_\\lambda(\\omega)|^2 + |\\hat\\psi_\\lambda(-\\omega)|^2\\big)
        \\quad (\\text{real input}), \\qquad
        A(\\omega) = |\\hat\\phi(\\omega)|^2 + \\sum_\\lambda |\\hat\\psi_\\lambda(\\omega)|^2
        \\quad (\\text{complex input}).

    Parameters
    ----------
    real_input:
        Symmetrize over ``omega -> -omega``, the sum that governs real signals (Mallat 2012, Eq. (2.7)).
    """
    s = bank.psi.abs().pow(2).sum(0)
    if real_input:
        s = 0.5 * (s + _mirror(s))
    return bank.phi.abs().pow(2) + s


def frame_bounds(bank: FilterBank, real_input: bool = True) -> tuple[float, float]:
    """Frame bounds ``(A, B)`` of the bank on the discrete grid.

    .. math::  A \\|f\\|^2 \\le \\|f * \\phi\\|^2 + \\sum_\\lambda \\|f * \\psi_\\lambda\\|^2 \\le B \\|f\\|^2,

    with ``A = min_omega A(omega)`` and ``B = max_omega A(omega)`` of :func:`littlewood_paley_sum`;
    both are attained (by single DFT modes), so they are the optimal bounds on this grid.
    """
    lp = littlewood_paley_sum(bank, real_input)
    return float(lp.min()), float(lp.max())


@_single_threaded
def make_tight(bank: FilterBank) -> FilterBank:
    """The canonical tight (Parseval) version of a bank: every filter divided by ``sqrt(A(omega))``.

    Since the real-input sum ``A`` is mirror symmetric, the new real-input Littlewood-Paley sum is 1 at
    every frequency of the grid (up to rounding). Raises if ``A`` vanishes somewhere: no tight frame of
    this form exists then.
    """
    lp = littlewood_paley_sum(bank, real_input=True)
    if float(lp.min()) <= 0:
        raise ValueError(f"make_tight: the Littlewood-Paley sum of {bank.name} vanishes at some frequency")
    s = lp.rsqrt()
    return replace(bank, phi=bank.phi * s, psi=bank.psi * s, name=f"tight {bank.name}")


def _tighten_nyquist(bank: FilterBank) -> FilterBank:
    """:func:`make_tight` for banks whose Littlewood-Paley sum is 1 off the Nyquist lines by
    construction: only the lines ``k = M/2`` and ``l = N/2`` (closed under the mirror) are rescaled,
    in place (the bank is freshly built by the caller)."""
    M, N = bank.shape
    phi, psi = bank.phi, bank.psi
    for axis, size in ((-2, M), (-1, N)):
        if size % 2:
            continue
        p_line, q_line = phi.select(axis, size // 2), psi.select(axis, size // 2)
        s = q_line.abs().pow(2).sum(0)
        lp = p_line.abs().pow(2) + 0.5 * (s + torch.roll(torch.flip(s, (-1,)), 1, -1))
        if float(lp.min()) <= 0:
            raise ValueError(f"the Littlewood-Paley sum of {bank.name} vanishes on a Nyquist line")
        p_line.mul_(lp.rsqrt())
        q_line.mul_(lp.rsqrt())
    return replace(bank, phi=phi, psi=psi, name=f"tight {bank.name}")


def check_scales(shape: tuple[int, int], J: int, L: int, need_divisible: bool = True) -> tuple[int, int]:
    """Validate ``shape``, ``J`` and ``L``; return ``(M, N)``."""
    if not (isinstance(shape, (tuple, list)) and len(shape) == 2 and all(int(s) == s for s in shape)):
        raise ValueError(f"shape must be a pair of ints (M, N), got {shape!r}")
    M, N = int(shape[0]), int(shape[1])
    if not isinstance(J, (int, np.integer)) or J < 1:
        raise ValueError(f"J must be an int >= 1, got {J!r}")
    if not isinstance(L, (int, np.integer)) or L < 1:
        raise ValueError(f"L must be an int >= 1 (number of orientations), got {L!r}")
    if 2**J > min(M, N):
        raise ValueError(f"J={J} is too large for shape {(M, N)}: need 2^J <= min(M, N) = {min(M, N)}")
    if need_divisible and (M % 2**J or N % 2**J):
        raise ValueError(f"shape {(M, N)} must be divisible by 2^J = {2**J} for subsampling")
    return M, N


def _freq(n: int) -> torch.Tensor:
    return 2 * math.pi * torch.fft.fftfreq(n, dtype=torch.float64)


def _evaluate(fn, M: int, N: int) -> torch.Tensor:
    """``fn(wy, wx)`` (elementwise in broadcast coordinates, leading filter axis) on the ``M x N`` grid.

    On a Nyquist line the frequency is both ``-pi`` and ``+pi``; there the value is the average over the
    representatives, which makes the bank exactly covariant under the grid's mirror ``k -> -k`` and its
    90-degree rotations (every frequency treated alike, whichever representative fftfreq prints).
    """
    wy, wx = _freq(M), _freq(N)
    out = fn(wy[:, None], wx[None, :])
    pm = torch.tensor([-math.pi, math.pi], dtype=torch.float64)
    if M % 2 == 0:
        reps_x = torch.stack([wx, torch.where(wx == -math.pi, math.pi, wx)])
        out[..., M // 2, :] = fn(pm[:, None, None], reps_x[None]).mean((-3, -2))
    if N % 2 == 0:
        reps_y = torch.stack([wy, torch.where(wy == -math.pi, math.pi, wy)])
        out[..., :, N // 2] = fn(reps_y[None], pm[:, None, None]).mean((-3, -2))
    return out


def _meyer_step(t: torch.Tensor) -> torch.Tensor:
    """Meyer's smooth step: 0 for t <= 0, 1 for t >= 1, ``nu(t) + nu(1 - t) = 1``."""
    if isinstance(t, np.ndarray):
        t = np.clip(t, 0.0, 1.0)
    else:
        t = t.clamp(0.0, 1.0)
    t2 = t * t
    return t2 * t2 * (35 + t * (-84 + t * (70 - 20 * t)))


def _lowpass_profile(r: torch.Tensor, j: torch.Tensor) -> torch.Tensor:
    """``C_j(r)``: 1 for ``r <= pi 2^{-j-2}``, 0 for ``r >= pi 2^{-j-1}``, ``cos^2`` of a Meyer step between
    (in ``log2 r``); ``C_{-1} = 1``."""
    t = torch.log2(r.clamp_min(1e-300) / (math.pi * 2.0 ** (-j - 2.0)))
    c = torch.cos(0.5 * math.pi * _meyer_step(t)) ** 2
    return torch.where(j < 0, torch.ones_like(c), c)


def _wrap(a: torch.Tensor) -> torch.Tensor:
    """Angle in ``[-pi, pi)``."""
    return torch.remainder(a + math.pi, 2 * math.pi) - math.pi


@_single_threaded
def parseval_wavelet_bank(
    shape: tuple[int, int], J: int, L: int = 8, full_circle: bool = False, tight: bool = True
) -> FilterBank:
    """A Parseval (tight) bank of analytic oriented wavelets: real-input Littlewood-Paley sum exactly 1.

    Radial partition: with ``C_j`` smooth and decreasing from 1 (``r <= pi 2^{-j-2}``) to 0
    (``r >= pi 2^{-j-1}``), ``C_{-1} = 1``, the telescoping sum
    ``C_{J-1} + sum_{j<J} (C_{j-1} - C_j) = 1`` gives

    .. math::

        |\\hat\\phi|^2 = C_{J-1}(|\\omega|), \\qquad
        |\\hat\\psi_{j,\\theta}(\\omega)|^2 = c \\,(C_{j-1} - C_j)(|\\omega|)\\, a_\\theta(\\arg\\omega)^2,

    with angular windows ``a_theta^2 = cos^2(pi d / 2)``, ``d`` the angular distance to ``theta`` in units of
    the spacing, a partition of unity of the circle. ``psi_{j, theta}`` is supported in the annulus
    ``pi 2^{-j-2} <= |omega| <= pi 2^{-j}`` (``j = 0`` reaches the corners) and ``phi`` in
    ``|omega| <= pi 2^{-J}``, so subsampling ``f * phi`` by ``2^J`` does not alias.

    Parameters
    ----------
    full_circle:
        ``False``: ``L`` orientations ``theta_l = pi l / L`` in ``[0, pi)``, each one-sided (analytic
        half-plane lobe, ``c = 2``), as in Morlet scattering. ``True``: ``L`` orientations
        ``2 pi l / L`` of the whole circle (``c = 1``), the group ``C_L`` acting on the orientation axis
        (roto-translation scattering); the bank is then exactly covariant under 90-degree grid rotations
        when ``4 | L`` and ``M = N``.
    tight:
        Divide by the square root of the discrete Littlewood-Paley sum (:func:`make_tight`), which is 1
        away from the Nyquist lines already; this makes it 1 everywhere on the grid.
    """
    M, N = check_scales(shape, J, L, need_divisible=False)
    n_windows = L if full_circle else 2 * L
    spacing = 2 * math.pi / n_windows
    theta = torch.arange(L, dtype=torch.float64) * spacing
    c = 1.0 if full_circle else 2.0

    def psi_fn(wy, wx):
        r = torch.sqrt(wy**2 + wx**2)[None]
        alpha = torch.atan2(wx, wy)[None]
        shp = (-1,) + (1,) * (r.dim() - 1)
        prof = _lowpass_profile(r, torch.arange(-1, J, dtype=torch.float64).view(shp))
        rad = (prof[:-1] - prof[1:]).clamp_min(0).sqrt()
        if L == 1 and full_circle:
            ang = torch.ones_like(alpha)
        else:
            d = _wrap(alpha - theta.view(shp)) / spacing
            ang = torch.where(d.abs() < 1, math.sqrt(c) * torch.cos(0.5 * math.pi * d), torch.zeros_like(d))
        return (rad[:, None] * ang[None]).flatten(0, 1)

    def phi_fn(wy, wx):
        r = torch.sqrt(wy**2 + wx**2)
        return _lowpass_profile(r, torch.tensor(float(J - 1), dtype=torch.float64)).sqrt()

    psi = _evaluate(psi_fn, M, N)
    phi = _evaluate(phi_fn, M, N)
    js = torch.arange(J).repeat_interleave(L)
    ls = torch.arange(L).repeat(J)
    bank = FilterBank(phi, psi, js, ls, J, L, name="parseval wavelets", full_circle=full_circle)
    bank.info["delta"] = math.pi * 2.0 ** (-J - 1)
    return _tighten_nyquist(bank) if tight else bank


@_single_threaded
def morlet_bank(
    shape: tuple[int, int],
    J: int,
    L: int = 8,
    convention: str = "kymatio",
    sigma0: float = 0.8,
    xi0: float = 3 * math.pi / 4,
    slant: float | None = None,
    full_circle: bool = False,
) -> FilterBank:
    """Morlet wavelets ``psi_{j,theta}`` and a Gaussian low-pass, periodized on the grid.

    In space, ``g_{sigma,theta,xi}(u) = exp(-u^T C u + i xi e_theta . u) / Z`` with
    ``C = R_theta diag(1, s^2) R_theta^T / (2 sigma^2)`` and the Morlet wavelet
    ``psi = g_{sigma,theta,xi} - kappa g_{sigma,theta,0}`` with ``kappa`` making its mean zero; the
    scattering parametrization (Bruna & Mallat, TPAMI 2013) is ``sigma = sigma0 2^j``,
    ``xi = xi0 2^{-j}``, slant ``s = 4 / L`` and the low-pass ``g_{sigma0 2^{J-1}, 0, 0}``. The filters are
    sampled on the integer grid, periodized,

    .. math::  g^{per}(u) = \\sum_{n \\in \\mathbb Z^2} g(u + (Mn_1, Nn_2)),

    and transformed with one batched FFT (real part kept: the filters are Hermitian). Each scale is
    evaluated only on the window where its Gaussian exceeds ``e^{-36}`` of its peak, so the cost grows
    with the filters' support, not with ``J L M N``.

    Parameters
    ----------
    convention:
        ``"kymatio"``: kymatio 0.3's choices (orientation ``theta_l = (floor(L/2) - 1 - l) pi / L``,
        ``Z = 2 * 3.1415 sigma^2 / s``, first array axis first), so that the filters agree with
        ``kymatio.scattering2d.filter_bank`` to its float32 rounding. ``"standard"``:
        ``theta_l = pi l / L`` (``2 pi l / L`` with ``full_circle``) and ``Z = 2 pi sigma^2 / s``.
    """
    if convention not in ("kymatio", "standard"):
        raise ValueError(f"convention must be 'kymatio' or 'standard', got {convention!r}")
    M, N = check_scales(shape, J, L, need_divisible=False)
    s = 4.0 / L if slant is None else float(slant)
    if s <= 0:
        raise ValueError(f"slant must be > 0, got {s}")
    pi_z = 3.1415 if convention == "kymatio" else math.pi
    js = torch.arange(J).repeat_interleave(L)
    ls = torch.arange(L).repeat(J)
    if convention == "kymatio":
        theta = (int(L - L / 2 - 1) - ls).double() * math.pi / L
    else:
        theta = ls.double() * (2 * math.pi if full_circle else math.pi) / L

    def gabor_space(sig: float, th: torch.Tensor, xi_: torch.Tensor, sl: float) -> torch.Tensor:
        """Spatial Gabor filters ``(F, M, N)`` of one width, periodized on the grid; the Gaussian is
        evaluated on the window where it exceeds ``e^{-36}`` of its peak, wrapped modulo ``(M, N)``."""
        radius = int(math.ceil(math.sqrt(72.0) * sig / min(1.0, sl)))
        u = torch.arange(-radius, radius + 1, dtype=torch.float64)
        y, x = u[:, None], u[None, :]
        c, sn = torch.cos(th).view(-1, 1, 1), torch.sin(th).view(-1, 1, 1)
        a1, a2 = c * y + sn * x, -sn * y + c * x
        quad = (a1**2 + (sl * a2) ** 2) / (2 * sig**2)
        phase = xi_.view(-1, 1, 1) * a1
        g = torch.exp(torch.complex(-quad, phase)) / (2 * pi_z * sig**2 / sl)
        index = ((y.long() % M) * N + (x.long() % N)).flatten()
        out = torch.zeros(len(th), M * N, dtype=torch.complex128)
        out.index_add_(1, index, g.flatten(1))
        return out.view(-1, M, N)

    psi_space = []
    for j in range(J):
        th = theta[j * L : (j + 1) * L]
        g_xi = gabor_space(sigma0 * 2.0**j, th, xi0 * 2.0**-j * torch.ones(L, dtype=torch.float64), s)
        g_0 = gabor_space(sigma0 * 2.0**j, th, torch.zeros(L, dtype=torch.float64), s)
        kappa = g_xi.sum((-2, -1)) / g_0.sum((-2, -1))
        psi_space.append(g_xi - kappa.view(-1, 1, 1) * g_0)
    psi = torch.fft.fft2(torch.cat(psi_space)).real.contiguous()
    zero = torch.zeros(1, dtype=torch.float64)
    phi = torch.fft.fft2(gabor_space(sigma0 * 2.0 ** (J - 1), zero, zero, 1.0)[0]).real.contiguous()
    bank = FilterBank(phi, psi, js, ls, J, L, name=f"morlet ({convention})", full_circle=full_circle)
    bank.info["delta"] = None
    return bank


@_single_threaded
def gabor_bank(
    shape: tuple[int, int],
    n_bands: int = 4,
    analytic: bool = True,
    tight: bool = True,
    rolloff: float = 0.5,
) -> FilterBank:
    """A Parseval Weyl-Heisenberg (Gabor) bank: modulations of one window on a uniform frequency lattice.

    With ``d_k = (w - 2 pi k / n) / (2 pi / n)`` wrapped to ``[-n/2, n/2)`` and the periodic 1-D partition
    of unity ``b_k(w)^2 = cos^2(pi/2 nu((|d_k| - (1 - rho)/2) / rho))`` (``nu`` Meyer's step: ``b_k = 1``
    for ``|d_k| <= (1 - rho)/2``, 0 for ``|d_k| >= (1 + rho)/2``, ``rho`` the ``rolloff``), the tiles

    .. math::  \\hat g_{k_1 k_2}(\\omega) = b_{k_1}(\\omega_1)\\, b_{k_2}(\\omega_2), \\qquad
               \\sum_{k \\in \\mathbb Z_n^2} |\\hat g_k|^2 = 1,

    are frequency shifts of one window ``b_0 b_0`` (Weyl-Heisenberg filters, Wiatowski, Grohs &
    Bolcskei, IEEE Trans. Inf. Theory 2018, Sec. II); ``phi = g_{00}``. ``analytic`` keeps one tile of
    every mirror pair ``{k, -k}`` with weight ``sqrt 2`` (a half-plane of centres). Scale indices ``j``
    are 0 (no dyadic structure, so no subsampling by scale). The high-pass tiles vanish for
    ``max(|omega_1|, |omega_2|) < delta = (1 - rho) pi / n`` (the paper's high-pass condition).
    """
    if not isinstance(n_bands, (int, np.integer)) or n_bands < 2:
        raise ValueError(f"n_bands must be an int >= 2, got {n_bands!r}")
    if not 0 < rolloff <= 1:
        raise ValueError(f"rolloff must lie in (0, 1], got {rolloff}")
    M, N = check_scales(shape, 1, 1, need_divisible=False)
    width = 2 * math.pi / n_bands
    centres = width * torch.arange(n_bands, dtype=torch.float64)
    k1, k2 = torch.meshgrid(torch.arange(n_bands), torch.arange(n_bands), indexing="ij")
    k1, k2 = k1.flatten(), k2.flatten()
    keep = ~((k1 == 0) & (k2 == 0))
    weight = torch.ones(len(k1), dtype=torch.float64)
    if analytic:
        code, mcode = k1 * n_bands + k2, ((-k1) % n_bands) * n_bands + (-k2) % n_bands
        keep &= code <= mcode
        weight = torch.where(code < mcode, math.sqrt(2.0), 1.0).double()

    def window(w):
        shp = (-1,) + (1,) * w.dim()
        d = _wrap(w[None] - centres.view(shp)).abs() / width
        return torch.cos(0.5 * math.pi * _meyer_step((d - (1 - rolloff) / 2) / rolloff))

    def tiles_fn(wy, wx):
        by, bx = window(wy), window(wx)
        return by[k1] * bx[k2]

    tiles = _evaluate(tiles_fn, M, N)
    psi = tiles[keep] * weight[keep].view(-1, 1, 1)
    nk = int(keep.sum())
    bank = FilterBank(
        tiles[0].clone(),
        psi,
        torch.zeros(nk, dtype=torch.long),
        torch.arange(nk),
        1,
        nk,
        name="weyl-heisenberg",
    )
    bank.info["centres"] = torch.stack([k1[keep], k2[keep]], 1).tolist()
    bank.info["delta"] = width * (1 - rolloff) / 2
    return make_tight(bank) if tight else bank


def angular_wavelet_bank(L: int, K: int | None = None) -> torch.Tensor:
    """Parseval wavelets on the rotation group ``C_L`` (the orientation axis), in the Fourier domain.

    Returns ``h^`` of shape ``(K + 1, L)`` over the angular frequencies ``m`` (fftfreq order) with
    ``sum_k |h^_k(m)|^2 = 1``: ``h_0`` is the average over orientations (``m = 0`` only) and
    ``h_k`` for ``k >= 1`` a dyadic band ``2^{k-1} <= |m| < 2^k`` with smooth transitions, the wavelets
    along angles of roto-translation scattering (Sifre & Mallat, CVPR 2013, Sec. 3).
    """
    if not isinstance(L, (int, np.integer)) or L < 1:
        raise ValueError(f"L must be an int >= 1, got {L!r}")
    m = np.abs(np.fft.fftfreq(L) * L)
    k_max = max(1, math.ceil(math.log2(max(L // 2, 1))) + 1)
    K = k_max if K is None else int(K)
    if K < 1:
        raise ValueError(f"K must be >= 1, got {K}")
    # Dyadic partition in |m|: C_k(|m|) = 1 for |m| < 2^{k-1}, then a Meyer step to 0 at 2^k.
    ks = np.arange(K + 1)[:, None]
    with np.errstate(divide="ignore"):
        t = np.log2(np.maximum(m[None], 1e-300) / 2.0 ** (ks - 1.0))
    C = np.where(m[None] < 2.0 ** (ks - 1.0), 1.0, np.cos(0.5 * np.pi * _meyer_step(t)) ** 2)
    C = np.where(m[None] == 0, 1.0, C)
    C[0] = (m == 0).astype(float)
    C[-1] = 1.0
    h2 = np.concatenate([C[:1], np.diff(C, axis=0)], 0)
    return torch.from_numpy(np.sqrt(np.clip(h2, 0, None)))
