"""Solid harmonic wavelets on a 3D grid (Eickenberg, Exarchakis, Hirn, Mallat & Thiry, J. Chem. Phys. 148,
2018; NeurIPS 2017), their Littlewood-Paley sum and frame bounds.

The wavelet of scale ``j`` and degree ``l`` is a Gaussian of width ``sigma_j = sigma_0 2^j`` times a
solid harmonic:

.. math::  \\psi_{j,l,m}(x) = \\frac{C_l}{\\sigma_j^3} \\Big(\\frac{|x|}{\\sigma_j}\\Big)^l
           e^{-|x|^2 / (2 \\sigma_j^2)} \\, Y_{l,m}\\Big(\\frac{x}{|x|}\\Big), \\qquad
           C_l = \\frac{1}{\\sqrt{4 \\pi (2l + 1)} \\; 2^{(l+1)/2} \\, \\Gamma\\big(\\tfrac{l + 3}{2}\\big)},

with ``Y_{l,m}`` orthonormal spherical harmonics on the unit sphere, so that
``C_l \\int_0^\\infty r^{l+2} e^{-r^2/2} dr = 1 / \\sqrt{4 \\pi (2l+1)}`` (for ``l = 0``: the Gaussian of
unit mass). Its Fourier transform has the same form,

.. math::  \\hat\\psi_{j,l,m}(\\omega) = C_l (2\\pi)^{3/2} (-i)^l (\\sigma_j |\\omega|)^l
           e^{-\\sigma_j^2 |\\omega|^2 / 2} \\, Y_{l,m}\\Big(\\frac{\\omega}{|\\omega|}\\Big),

and the filters are this closed form sampled on the DFT grid ``omega_k = 2 pi k / M`` with
``k = -floor(M/2), ..., ceil(M/2) - 1`` along each axis (:func:`torch.fft.fftfreq`): the normalization
and the sampling of kymatio's ``solid_harmonic_filter_bank`` (kymatio 0.3). Axes ``(0, 1, 2)`` of a
volume are the coordinates ``(z, y, x)``.

The harmonics are real (:func:`groupconv.reps.spatial.spherical_harmonics` divided by ``sqrt(4 pi)``);
kymatio's are the complex ones. For one ``(j, l)`` the two sets span the same space and are related by a
unitary matrix, so the rotation-covariant modulus ``sqrt(sum_m |f * psi_{j,l,m}|^2)`` is the same. Real
harmonics make ``psi`` real in space, so a real volume's filtered maps are real and computed with real
FFTs, up to one detail of the sampling: on an even axis the frequency ``-pi`` is sampled and ``+pi`` is
not, so the sampled filter is not Hermitian there. Every filter ``h`` is therefore split into Hermitian
parts,

.. math::  h = H + i A, \\qquad H(\\omega) = \\frac{h(\\omega) + \\overline{h(-\\omega)}}{2}, \\quad
           A(\\omega) = \\frac{h(\\omega) - \\overline{h(-\\omega)}}{2i},

and ``f * h = IDFT(F H) + i IDFT(F A)`` with both terms real for real ``f``. ``A`` lives on the Nyquist
planes only (zero on odd axes); it is kept where it is larger than ``2^-60`` times the filter's maximum
(below the rounding of float64, the filters of coarse scales vanish there).

With ``rotation_covariant=False`` the filters are kymatio's ``m = -l`` harmonic alone,
``Y_{l,-l}(u) = K_l (u_x - i u_y)^l`` with ``K_l = sqrt((2l+1)! / (4 pi)) / (2^l l!)``, complex in space;
each is stored as its two Hermitian parts ``H`` and ``A``, both full grids.

>>> from groupconv.scattering.solid_harmonics import solid_harmonic_bank
>>> bank = solid_harmonic_bank((8, 8, 8), J=1, L=2)
>>> tuple(bank.filters.shape), bank.degree.tolist()  # (J + 1, (L + 1)^2 filters, M, N, O // 2 + 1)
((2, 9, 8, 8, 5), [0, 1, 1, 1, 2, 2, 2, 2, 2])
>>> round(float(bank.littlewood_paley_sum()[0, 0, 0]), 12)  # J + 1 Gaussians of value 1 at omega = 0
2.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from ..reps.spatial import spherical_harmonics
from ..utils.memory import check_memory, format_bytes

__all__ = ["SolidHarmonicBank", "solid_harmonic_bank", "solid_harmonic_constant", "solid_harmonic_power"]

# anti-Hermitian Nyquist parts below this fraction of the filter's maximum are dropped (module docstring)
_NYQUIST_CUTOFF = 2.0**-60


def solid_harmonic_constant(l: int) -> float:
    """The normalization ``C_l = 1 / (sqrt(4 pi (2l+1)) 2^((l+1)/2) Gamma((l+3)/2))`` of the module
    docstring (kymatio's, written with the Gamma function).

    >>> round(solid_harmonic_constant(0) * math.sqrt(2) * math.pi, 12)  # the unit-mass Gaussian
    1.0
    """
    return 1.0 / (math.sqrt(4 * math.pi * (2 * l + 1)) * 2 ** ((l + 1) / 2) * math.gamma((l + 3) / 2))


def _frequencies(shape: tuple[int, int, int]) -> torch.Tensor:
    """The DFT grid ``(M, N, O, 3)`` of angular frequencies along axes ``(0, 1, 2)``, float64."""
    axes = [2 * math.pi * torch.fft.fftfreq(n, dtype=torch.float64) for n in shape]
    return torch.stack(torch.meshgrid(*axes, indexing="ij"), -1)


def _mirror(t: torch.Tensor) -> torch.Tensor:
    """``t(-omega)`` on the DFT grid of the last three axes (index ``k -> -k mod n``)."""
    for d in (-3, -2, -1):
        n = t.shape[d]
        t = t.index_select(d, (-torch.arange(n)) % n)
    return t


def _radial(w: torch.Tensor, sigma: float, l: int) -> torch.Tensor:
    """``C_l (2 pi)^{3/2} (sigma |omega|)^l exp(-sigma^2 |omega|^2 / 2)`` on the grid ``w``."""
    r2 = (w * w).sum(-1)
    return (
        solid_harmonic_constant(l)
        * (2 * math.pi) ** 1.5
        * (sigma**2 * r2) ** (l / 2)
        * torch.exp(-0.5 * sigma**2 * r2)
    )


def _harmonics(w: torch.Tensor, l: int) -> torch.Tensor:
    """The orthonormal real harmonics of degree ``l`` at the directions of ``w``, ``(2l + 1, M, N, O)``."""
    # (x, y, z) = axes (2, 1, 0); the origin gets any direction: its radial factor is 0 for l >= 1
    u = w.flip(-1).clone()
    u[(u == 0).all(-1)] = torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64)
    return spherical_harmonics(l, u).movedim(-1, 0) / math.sqrt(4 * math.pi)


def _single_filter(w: torch.Tensor, sigma: float, l: int) -> torch.Tensor:
    """kymatio's ``m = -l`` filter of degree ``l``: ``(1, M, N, O)`` complex128 (module docstring)."""
    k = math.sqrt(math.factorial(2 * l + 1) / (4 * math.pi)) / (2**l * math.factorial(l))
    c = solid_harmonic_constant(l) * (2 * math.pi) ** 1.5 * k * sigma**l
    r2 = (w * w).sum(-1)
    poly = torch.complex(w[..., 2], -w[..., 1]) ** l
    return ((-1j) ** l * c * poly * torch.exp(-0.5 * sigma**2 * r2))[None]


def solid_harmonic_power(
    shape: tuple[int, int, int], sigma: float, L: int, rotation_covariant: bool = True
) -> torch.Tensor:
    """``sum_m |h_{l,m}(omega)|^2`` of the filters of width ``sigma`` on the full DFT grid of ``shape``,
    ``(L + 1, M, N, O)`` float64, one row per degree ``l``; symmetrized over ``omega`` and ``-omega``: the
    multiplier that acts on the energy of a real volume, ``sum_m ||f * psi_{l,m}||^2 = sum_omega
    |f^(omega)|^2 P_l(omega) / (M N O)``.

    >>> p = solid_harmonic_power((4, 4, 4), 1.0, 1)
    >>> tuple(p.shape), round(float(p[0, 0, 0, 0]), 12), float(p[1, 0, 0, 0])  # l = 0: 1, l = 1: 0
    ((2, 4, 4, 4), 1.0, 0.0)
    """
    w = _frequencies(tuple(shape))
    out = torch.empty(L + 1, *shape, dtype=torch.float64)
    for l in range(L + 1):
        if rotation_covariant:
            # sum_m Y_{l,m}^2 = (2l + 1) / (4 pi) for orthonormal harmonics
            p = _radial(w, sigma, l) ** 2 * (2 * l + 1) / (4 * math.pi)
        else:
            p = _single_filter(w, sigma, l)[0].abs() ** 2
        out[l] = (p + _mirror(p)) / 2
    return out


@dataclass
class SolidHarmonicBank:
    """A solid harmonic filter bank on an ``(M, N, O)`` grid, in float64 / complex128 (module docstring).

    Attributes
    ----------
    shape, J, L, sigma_0, rotation_covariant:
        The grid, the scales ``j = 0..J``, the degrees ``l = 0..L``, the width of scale 0 and the kind.
    filters:
        ``(J + 1, F, M, N, O // 2 + 1)`` complex128: the Hermitian parts on the half spectrum of a real
        FFT. Rotation-covariant: ``F = (L + 1)^2`` filters ``(l, m)`` in order of ``l`` then ``m``;
        otherwise ``F = 2 (L + 1)``: for each ``l`` the parts ``H`` and ``A`` of one complex filter.
    degree:
        ``(F,)`` long: the degree ``l`` of each filter; the modulus sums the squares of the filters of one
        degree.
    nyquist:
        Rotation-covariant banks: the anti-Hermitian parts ``A`` on the Nyquist planes of the even axes
        (module docstring), ``(J + 1, F, N, O // 2 + 1)`` (plane ``k_0 = M / 2``), ``(J + 1, F, M,
        O // 2 + 1)`` (``k_1 = N / 2``, without ``k_0 = M / 2``) and ``(J + 1, F, M, N)`` (``k_2 = O / 2``,
        without the other two planes), ``None`` for an odd axis or where every part is below the cutoff.
    """

    shape: tuple[int, int, int]
    J: int
    L: int
    sigma_0: float
    rotation_covariant: bool
    filters: torch.Tensor
    degree: torch.Tensor
    nyquist: tuple[torch.Tensor | None, torch.Tensor | None, torch.Tensor | None] = field(
        default=(None, None, None)
    )

    def sigma(self, j: int) -> float:
        """The width ``sigma_0 2^j`` of scale ``j``."""
        return self.sigma_0 * 2**j

    def power(self, j: int | None = None) -> torch.Tensor:
        """:func:`solid_harmonic_power` of this bank's scale ``j`` (summed over the scales if ``None``)."""
        js = range(self.J + 1) if j is None else [j]
        return sum(
            solid_harmonic_power(self.shape, self.sigma(jj), self.L, self.rotation_covariant) for jj in js
        )

    def littlewood_paley_sum(self) -> torch.Tensor:
        """``sum_{j,l,m} |h_{j,l,m}(omega)|^2`` on the full DFT grid ``(M, N, O)`` (real-input form, see
        :meth:`power`). It is ``J + 1`` at ``omega = 0`` (the Gaussians ``l = 0``) and decays like
        ``exp(-sigma_0^2 |omega|^2)`` at high frequencies: the bank is not tight."""
        return self.power().sum(0)

    def frame_bounds(self) -> tuple[float, float]:
        """``(A, B)`` = min and max of :meth:`littlewood_paley_sum` over the grid: for a real volume,
        ``A ||f||^2 <= sum_{j,l,m} ||f * psi_{j,l,m}||^2 <= B ||f||^2``."""
        lp = self.littlewood_paley_sum()
        return float(lp.min()), float(lp.max())


def _check_bank_args(shape, J, L, sigma_0) -> tuple[int, int, int]:
    if not isinstance(shape, (tuple, list)) or len(shape) != 3:
        raise ValueError(f"shape must be a tuple (M, N, O) of three ints, got {shape!r}")
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in shape):
        raise ValueError(f"shape must hold three positive ints, got {tuple(shape)!r}")
    for name, v in (("J", J), ("L", L)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ValueError(f"{name} must be an int >= 0, got {v!r}")
    if isinstance(sigma_0, bool) or not isinstance(sigma_0, (int, float)) or not sigma_0 > 0:
        raise ValueError(f"sigma_0 must be a positive number, got {sigma_0!r}")
    if not math.isfinite(sigma_0):
        raise ValueError(f"sigma_0 must be finite, got {sigma_0!r}")
    if sigma_0 * 2**J > min(shape):
        # a Gaussian wider than the grid wraps around the periodic grid onto itself: no longer a wavelet
        largest = max(0, math.floor(math.log2(min(shape) / sigma_0))) if min(shape) >= sigma_0 else None
        hint = f"use J <= {largest}" if largest is not None else "use a smaller sigma_0"
        raise ValueError(
            f"the widest wavelet, sigma_0 2^J = {sigma_0 * 2**J:g}, is wider than the grid's smallest side "
            f"({min(shape)}) and would wrap around the periodic grid; {hint} or a larger grid"
        )
    return tuple(int(n) for n in shape)


def _covariant_bank(w, J: int, L: int, sigma_0: float, filters, planes, kept) -> None:
    """Fill ``filters`` and the Nyquist ``planes`` of a rotation-covariant bank (module docstring).

    With ``h = (-i)^l R(|omega|) Y(omega / |omega|)`` and ``|-omega| = |omega|`` on the grid (the mirror
    of ``-pi`` is ``-pi``), the parts are ``H = (-i)^l R (Y + (-1)^l Y^-) / 2`` and ``A = (-i)^l R (Y -
    (-1)^l Y^-) / (2i)`` with ``Y^-(omega) = Y(mirror of omega)``: the angular factors are computed once
    per degree, the radial ones per scale."""
    M, N, O = w.shape[:3]
    Oh = O // 2 + 1
    # the three Nyquist planes, each without the planes before it (no point counted twice)
    where = []
    if M % 2 == 0:
        where.append((0, (M // 2, slice(None), slice(0, Oh))))
    if N % 2 == 0:
        rows = [k for k in range(M) if not (M % 2 == 0 and k == M // 2)]
        where.append((1, (torch.tensor(rows), N // 2, slice(0, Oh))))
    if O % 2 == 0:
        keep0 = torch.tensor([k for k in range(M) if not (M % 2 == 0 and k == M // 2)])
        keep1 = torch.tensor([k for k in range(N) if not (N % 2 == 0 and k == N // 2)])
        where.append((2, (keep0[:, None], keep1[None, :], O // 2)))
    half = w[..., :Oh, :]
    row = 0
    for l in range(L + 1):
        y = _harmonics(w, l)
        ym = _mirror(y)
        sign = (-1) ** l
        even_part = ((y + sign * ym) / 2)[..., :Oh]
        odd_part = (y - sign * ym) / 2
        n = 2 * l + 1
        for j in range(J + 1):
            s = sigma_0 * 2**j
            herm = (-1j) ** l * (_radial(half, s, l) * even_part)
            filters[j, row : row + n] = herm
            cut = _NYQUIST_CUTOFF * float(herm.abs().max())
            for k, idx in where:
                p = (-1j) ** l / 1j * _radial(w[idx], s, l) * odd_part[(slice(None), *idx)]
                if float(p.abs().max()) > cut:
                    _put_plane(planes[k][j, row : row + n], k, idx, p)
                    kept[k] = True
        row += n


def _put_plane(target: torch.Tensor, k: int, idx, values: torch.Tensor) -> None:
    """Write the values of the part ``idx`` of plane ``k`` into its stored plane ``target`` (zero off it)."""
    if k == 0:
        target[:] = values
    elif k == 1:
        target[:, idx[0]] = values
    else:
        target[:, idx[0], idx[1]] = values


def solid_harmonic_bank(
    shape: tuple[int, int, int], J: int, L: int = 3, sigma_0: float = 1.0, rotation_covariant: bool = True
) -> SolidHarmonicBank:
    """The solid harmonic wavelets of scales ``j = 0..J`` and degrees ``l = 0..L`` on the ``shape`` grid
    (module docstring), computed in float64.

    Raises :class:`~groupconv.utils.memory.MemoryBudgetError` before building a bank larger than the
    memory budget.
    """
    M, N, O = _check_bank_args(shape, J, L, sigma_0)
    F = (L + 1) ** 2 if rotation_covariant else 2 * (L + 1)
    Oh = O // 2 + 1
    check_memory(
        16 * (J + 1) * F * M * N * Oh + 32 * (2 * L + 1) * M * N * O,
        f"a solid harmonic bank of {(J + 1) * F} filters on a {M}x{N}x{O} grid "
        f"({format_bytes(16 * (J + 1) * F * M * N * Oh)} of complex128 half spectra)",
        "use a smaller grid, fewer scales J or degrees L",
    )
    w = _frequencies((M, N, O))
    filters = torch.empty(J + 1, F, M, N, Oh, dtype=torch.complex128)
    planes = [torch.zeros(J + 1, F, *s, dtype=torch.complex128) for s in ((N, Oh), (M, Oh), (M, N))]
    kept = [False, False, False]
    degree = []
    for l in range(L + 1):
        degree += [l] * ((2 * l + 1) if rotation_covariant else 2)
    if rotation_covariant:
        _covariant_bank(w, J, L, sigma_0, filters, planes, kept)
    else:
        for j in range(J + 1):
            for l in range(L + 1):
                h = _single_filter(w, sigma_0 * 2**j, l)[0]
                filters[j, 2 * l] = ((h + _mirror(h).conj()) / 2)[..., :Oh]
                filters[j, 2 * l + 1] = ((h - _mirror(h).conj()) / 2j)[..., :Oh]
    nyquist = tuple(p if k else None for p, k in zip(planes, kept))
    return SolidHarmonicBank(
        shape=(M, N, O),
        J=J,
        L=L,
        sigma_0=float(sigma_0),
        rotation_covariant=rotation_covariant,
        filters=filters,
        degree=torch.tensor(degree, dtype=torch.long),
        nyquist=nyquist,
    )
