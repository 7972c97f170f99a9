"""Radial profiles of the steerable kernel bases, and the angular frequencies each one keeps.

Gaussian rings (Weiler & Cesa, NeurIPS 2019, section 3.4): ``exp(-(r - r_j)^2 / (2 w_j^2))`` at radii
``r_j`` with widths ``w_j``, ring ``j`` keeping the frequencies up to its cutoff. Fourier-Bessel radial
parts (Qiu, Cheng, Calderbank, Sapiro, *DCFNet*, ICML 2018, section 2.1): ``J_k(z_{k,q} r / R)`` under the
DCFNet cutoff. Both are functions of the radius only, sampled on the grid of any dimension.

Band limit in space. The Gaussian shells of a ``k x k x k`` kernel sit at the radii of the plane's rings,
``0, 1, ..., (k-1)/2``, and each keeps the spherical harmonics up to the degree :func:`default_cutoff` gives
its radius, the plane's rule: 0 at the centre, 1 on the outermost shell, ``floor(2 r)`` in between. A
harmonic of degree ``L`` oscillates along a great circle of the shell of radius ``r`` with wavelength
``2 pi r / L``; voxels one unit apart resolve it for ``L <= pi r`` (Nyquist), and ``floor(2 r)`` keeps a
margin below that, as on the plane. The shell holds about ``4 pi r^2`` voxels (weighted by the Gaussian),
more than the ``(L + 1)^2 <= (2 r + 1)^2`` harmonics up to that degree, so the sampled functions stay
linearly independent; the outermost shell is cut by the cube (its voxels leave the ball) and keeps degree 1. ``max_frequency`` and ``frequency_cutoff`` bound the degree of each shell as they
bound the frequency of each ring. The Fourier-Bessel profile is planar (``J_k`` with the DCFNet cutoff of
the disc); in space it is refused with a ``ValueError`` (the ball's spherical Bessel functions are not
offered).

escnn's band limit. ``frequency_cutoff="escnn"`` applies the default rule of escnn's ``R2Conv`` / ``R3Conv``
(Cesa, Lang & Weiler, ICLR 2022; its ``frequencies_cutoff=None``) to the rings, with ``R = kernel_size // 2``:
on the plane ``min(2 r, 2 if r = R else 2 r - (r + 1) mod 2)``, in space ``min(2 r, R - r + 2)``, 0 at the
centre in both. It keeps frequency 2 on the outermost ring where the default keeps 1 (a ``C_8`` regular to
regular ``3 x 3`` convolution: 48 weights against 32), and caps the inner rings differently. escnn's
default rings are groupconv's for odd kernel sizes; its centre ring is narrower (width 0.005, nearly the
centre pixel alone, against 0.6), which changes the sampled functions but not their number: pass
``width=(0.005, 0.6, ..., 0.6, 0.4)`` to sample escnn's.

Examples
--------
>>> from groupconv.kernels import KernelSpec, gaussian_rings
>>> from groupconv.kernels.radial import radial_profiles
>>> radii, widths = gaussian_rings(5)
>>> radii.tolist(), widths.tolist()
([0.0, 1.0, 2.0], [0.6, 0.6, 0.4])
>>> [(k, j) for k, j, _ in radial_profiles(KernelSpec(), 5)]  # (frequency, ring)
[(0, 0), (0, 1), (1, 1), (2, 1), (0, 2), (1, 2)]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from ..utils.deprecation import renamed_keywords
from .fourier_bessel import bessel_zeros_dcf
from .grid import sampled_grid
from .spec import KernelSpec

__all__ = ["gaussian_rings", "default_cutoff", "escnn_cutoff", "ring_cutoffs", "radial_profiles"]


@renamed_keywords(sigma="width")
def gaussian_rings(
    kernel_size: int, rings: Sequence[float] | None = None, width: float | Sequence[float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Ring radii and widths: by default ``ceil(k/2)`` rings at radii ``0, 1, ..., (k-1)/2`` of width
    0.6 (0.4 for the outermost), as in Weiler & Cesa 2019, section 3.4.

    ``width`` is one width for every ring or one per ring (its former name ``sigma`` is deprecated)."""
    if rings is None:
        n = math.ceil(kernel_size / 2)
        radii = np.linspace(0.0, (kernel_size - 1) / 2, n)
    else:
        radii = np.asarray(rings, dtype=np.float64)
    if width is None:
        widths = np.full(radii.shape, 0.6)
        if widths.size > 1:
            widths[-1] = 0.4
    else:
        given = np.asarray(width, dtype=np.float64)
        if given.size not in (1, radii.size):
            raise ValueError(
                f"{given.size} ring widths for {radii.size} rings; give one width or one per ring"
            )
        widths = np.broadcast_to(given.reshape(-1) if given.ndim else given, radii.shape).copy()
    if (widths <= 0).any():
        raise ValueError(f"ring widths must be positive, got {widths.tolist()}")
    return radii, widths


def default_cutoff(r: float, outer: float) -> int:
    """The default largest frequency of a ring of radius ``r`` when the outermost one has radius
    ``outer``: 0 at the centre, 1 on the outermost ring, ``floor(2 r)`` in between. The same rule bounds the
    degree of the spherical harmonics of a shell in space (module docstring)."""
    # a ring of radius r holds about 2 pi r samples: frequencies <= 2 r stay below their Nyquist rate
    # pi r; the outermost ring is cut by the square grid (its samples leave the disc) and keeps only
    # frequency 1 (escnn's default keeps 2 there: escnn_cutoff)
    if r == 0:
        return 0
    if abs(r - outer) < 1e-9:
        return 1
    return int(math.floor(2 * r + 1e-9))


def escnn_cutoff(r: float, kernel_size: int, spatial_dims: int = 2) -> int:
    """The largest frequency escnn's default band limit keeps on a ring (a shell in space) of radius ``r``
    of a ``kernel_size`` kernel: with ``R = kernel_size // 2``, ``min(2 r, 2 if r = R else 2 r - (r + 1)
    mod 2)`` on the plane and ``min(2 r, R - r + 2)`` in space (escnn's ``_manual_fco1`` of ``R2Conv`` and
    of ``R3Conv``), 0 at the centre, rounded down to an integer; -1 where escnn keeps no harmonic on the
    ring (a negative bound, e.g. at radius 0.5 on the plane).

    Examples
    --------
    >>> from groupconv.kernels.radial import escnn_cutoff
    >>> [escnn_cutoff(r, 7) for r in (0.0, 1.0, 2.0, 3.0)], [escnn_cutoff(r, 9, 3) for r in (1.0, 2.0, 3.0, 4.0)]
    ([0, 2, 3, 2], [2, 4, 3, 2])
    """
    if spatial_dims not in (2, 3):
        raise ValueError(f"escnn's band limit is defined for spatial_dims 2 and 3, got {spatial_dims!r}")
    outer = kernel_size // 2
    if r == 0:
        return 0
    if spatial_dims == 3:
        top = min(2 * r, outer - r + 2)
    elif abs(r - outer) < 1e-9:
        top = min(2 * r, 2)
    else:
        top = min(2 * r, 2 * r - (r + 1) % 2)
    # escnn keeps the harmonics of frequency k <= top: none when top < 0 (e.g. a ring at radius 0.5), -1 here
    return int(math.floor(top + 1e-9))


def ring_cutoffs(
    spec: KernelSpec, radii: np.ndarray, kernel_size: int | None = None, spatial_dims: int = 2
) -> list[int]:
    """The largest frequency of each Gaussian ring of radii ``radii`` under ``spec.frequency_cutoff`` and
    ``spec.max_frequency``; escnn's rule (``frequency_cutoff="escnn"``) needs the ``kernel_size`` and the
    ``spatial_dims`` of the grid."""
    cutoff = spec.frequency_cutoff
    if cutoff == "escnn":
        if kernel_size is None:
            raise ValueError("frequency_cutoff='escnn' depends on the kernel size: pass kernel_size")
        kmax = [escnn_cutoff(float(rad), kernel_size, spatial_dims) for rad in radii]
    elif isinstance(cutoff, tuple):
        if len(cutoff) != len(radii):
            raise ValueError(
                f"the frequency_cutoff table has {len(cutoff)} frequencies for {len(radii)} rings "
                f"(radii {radii.tolist()})"
            )
        kmax = list(cutoff)
    else:
        fco: Callable[[float], int]
        if cutoff is None:
            outer = float(radii.max())

            def fco(rad):
                return default_cutoff(rad, outer)

        elif callable(cutoff):
            fco = cutoff
        else:
            alpha = float(cutoff)

            def fco(rad):
                return 0 if rad == 0 else int(math.floor(alpha * rad + 1e-9))

        kmax = [fco(float(rad)) for rad in radii]
    if spec.max_frequency is not None:
        kmax = [min(k, spec.max_frequency) for k in kmax]
    return kmax


def radial_profiles(
    spec: KernelSpec, kernel_size: int, spatial_dims: int = 2
) -> list[tuple[int, int, np.ndarray]]:
    """``(frequency k, radial index, profile)`` triples allowed by the band limit of ``spec``, each profile
    sampled on the ``k x ... x k`` grid (float64), ordered by radial index, then frequency (the degree of
    the spherical harmonics in space).

    Raises
    ------
    ValueError
        for the ``"bessel"`` profile in space (``spatial_dims=3``), which has only Gaussian shells.
    """
    if spec.profile == "bessel" and spatial_dims == 3:
        raise ValueError(
            "the Fourier-Bessel profile ('bessel') is planar: kernels in space (spatial_dims=3) take the "
            "'gaussian' profile (Gaussian shells times spherical harmonics)"
        )
    _, r = sampled_grid(kernel_size, spatial_dims)
    out = []
    if spec.profile == "gaussian":
        radii, widths = gaussian_rings(kernel_size, spec.rings, spec.width)
        kmaxs = ring_cutoffs(spec, radii, kernel_size, spatial_dims)
        for j, (rad, wid, kmax) in enumerate(zip(radii, widths, kmaxs)):
            profile = np.exp(-((r - rad) ** 2) / (2 * wid**2))
            for k in range(kmax + 1):
                out.append((k, j, profile))
        return out
    # scipy.special costs a third of a second to import: loaded for the Bessel profile only
    from scipy.special import jv

    radius = kernel_size / 2
    # angular frequencies above (k - 1) / 2 alias on the sampled grid (their zeros crowd the outermost
    # pixels), so they are left out unless asked for
    kcap = (kernel_size - 1) // 2 if spec.max_frequency is None else spec.max_frequency
    for k, q, z in bessel_zeros_dcf(kernel_size):
        if k > kcap:
            continue
        profile = np.where(r < radius, jv(k, z * r / radius) / abs(jv(k + 1, z)), 0.0)
        out.append((k, q, profile))
    return out
