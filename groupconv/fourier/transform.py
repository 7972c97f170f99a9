"""Fourier transform and inverse on compact groups and homogeneous spaces.

Conventions (Kondor & Trivedi, ICML 2018, eq. (2)-(3)), real orthogonal irreps,
Haar measure of mass 1, ``e_rho = dim End(rho)``:

.. math::  \\hat f(\\rho) = \\int_G f(u)\\, \\rho(u)\\, du, \\qquad
           f(u) = \\sum_\\rho \\frac{d_\\rho}{e_\\rho}\\, \\operatorname{tr}\\big[\\hat f(\\rho)\\, \\rho(u^{-1})\\big].

The factor ``d_rho / e_rho`` (instead of the complex ``d_rho``) comes from real Schur orthogonality
(see :mod:`groupconv.fourier.spaces`): an irrep of complex type (``C_n`` with ``0 < k < n/2``,
``SO(2)`` with ``k >= 1``) is the realification of a complex irrep and of its conjugate at once.

>>> from groupconv.groups import Cyclic
>>> f = torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)
>>> fh = fourier_transform(f, Cyclic(4))
>>> fh
FourierCoefficients(L2(C4), batch=(), {irrep(0): (1, 1), irrep(1): (2, 2), irrep(2): (1, 1)})
>>> fh[0], fh[2]  # the mean, and the alternating sum over 4
(tensor([[2.5000]], dtype=torch.float64), tensor([[-0.5000]], dtype=torch.float64))
>>> bool(torch.allclose(inverse_fourier_transform(fh), f))
True
"""

from __future__ import annotations

import math

import torch

from ..groups.base import Group
from ..groups.planar import O2, SO2, Cyclic, Dihedral
from ..utils.deprecation import renamed_keywords
from .coefficients import FourierCoefficients
from .so3 import so3_forward, so3_inverse, sphere_forward, sphere_inverse
from .spaces import FunctionSpace, function_space, is_so3

__all__ = ["fourier_transform", "inverse_fourier_transform", "transform_methods"]


def _rot_block(c: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """``[[c, -s], [s, c]]`` batched: ``c, s`` of shape ``(..., K)`` -> ``(..., K, 2, 2)``."""
    return torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2)


def _rot_refl_block(c0, s0, c1, s1) -> torch.Tensor:
    """``C0 + C1 F`` with ``C = [[c, -s], [s, c]]`` and ``F = diag(1, -1)``."""
    return torch.stack([torch.stack([c0 + c1, s1 - s0], -1), torch.stack([s0 + s1, c0 - c1], -1)], -2)


# -- fast paths: forward -------------------------------------------------------------------------------
def _cyclic_forward(f: torch.Tensor, n: int, kmax: int, nyquist: bool) -> dict:
    """``f^(k)`` for ``k = 0..kmax`` from one real FFT: ``F_k = sum_m f(m) e^{-2 pi i k m / n}`` gives
    ``(1/n) sum_m f(m) R(2 pi k m / n) = [[Re F_k, Im F_k], [-Im F_k, Re F_k]] / n``."""
    F = torch.fft.rfft(f, dim=-1) / n
    out = {0: F[..., 0:1].real[..., None]}
    if kmax >= 1:
        Fk = F[..., 1 : kmax + 1]
        blocks = _rot_block(Fk.real, -Fk.imag)
        for k in range(1, kmax + 1):
            out[k] = blocks[..., k - 1, :, :]
    if nyquist:
        out[n // 2] = F[..., n // 2 : n // 2 + 1].real[..., None]
    return out


def _dihedral_forward(f: torch.Tensor, n: int, kmax: int, nyquist: bool) -> dict:
    """Functions on ``r^k f^s`` stored at ``k + n s``: one real FFT per reflection class."""
    x = f.reshape(f.shape[:-1] + (2, n))
    F = torch.fft.rfft(x, dim=-1) / (2 * n)
    F0, F1 = F[..., 0, :], F[..., 1, :]
    out = {
        (0, 0): (F0[..., 0:1] + F1[..., 0:1]).real[..., None],
        (1, 0): (F0[..., 0:1] - F1[..., 0:1]).real[..., None],
    }
    if nyquist:
        h = n // 2
        out[(0, h)] = (F0[..., h : h + 1] + F1[..., h : h + 1]).real[..., None]
        out[(1, h)] = (F0[..., h : h + 1] - F1[..., h : h + 1]).real[..., None]
    if kmax >= 1:
        A, B = F0[..., 1 : kmax + 1], F1[..., 1 : kmax + 1]
        blocks = _rot_refl_block(A.real, -A.imag, B.real, -B.imag)
        for k in range(1, kmax + 1):
            out[(1, k)] = blocks[..., k - 1, :, :]
    return out


def _fast_forward(space: FunctionSpace, f: torch.Tensor) -> list[torch.Tensor] | None:
    G = space.group
    if not space.is_group:
        if is_so3(G):
            return sphere_forward(space, f)
        return None
    if isinstance(G, Cyclic):
        n = G.n
        d = _cyclic_forward(f, n, (n - 1) // 2, n % 2 == 0)
    elif isinstance(G, Dihedral):
        n = G.n
        d = _dihedral_forward(f, n, (n - 1) // 2, n % 2 == 0)
    elif isinstance(G, SO2):
        d = _cyclic_forward(f, space.grid_shape[0], space.bandwidth, False)
    elif isinstance(G, O2):
        d = _dihedral_forward(f, space.grid_shape[1], space.bandwidth, False)
    elif is_so3(G):
        return so3_forward(space, f)
    else:
        return None
    return [d[ir.id] for ir in space.irreps]


# -- fast paths: inverse -------------------------------------------------------------------------------
def _tr_parts(A: torch.Tensor):
    """``(A00 + A11, A10 - A01, A00 - A11, A10 + A01)`` of 2x2 blocks."""
    a00, a01, a10, a11 = A[..., 0, 0], A[..., 0, 1], A[..., 1, 0], A[..., 1, 1]
    return a00 + a11, a10 - a01, a00 - a11, a10 + a01


def _cyclic_inverse(blocks: dict, n: int, kmax: int, nyquist: bool, batch, like) -> torch.Tensor:
    """``f(m) = sum_k (d_k / e_k) tr[f^(k) R(2 pi k m / n)^T]`` by one inverse real FFT:
    ``tr[A R(t)^T] = (A00 + A11) cos t + (A10 - A01) sin t``."""
    X = torch.zeros(
        batch + (n // 2 + 1,),
        dtype=torch.complex128 if like.dtype == torch.float64 else torch.complex64,
        device=like.device,
    )
    X[..., 0] = n * blocks[0][..., 0, 0]
    if kmax >= 1:
        A = torch.stack([blocks[k] for k in range(1, kmax + 1)], -3)
        p, q, _, _ = _tr_parts(A)
        X[..., 1 : kmax + 1] = torch.complex(p, -q) * (n / 2)
    if nyquist:
        X[..., n // 2] = n * blocks[n // 2][..., 0, 0]
    return torch.fft.irfft(X, n=n, dim=-1)


def _dihedral_inverse(blocks: dict, n: int, kmax: int, nyquist: bool, batch, like) -> torch.Tensor:
    """Inverse on ``D_n`` / the ``O(2)`` grid: for ``s = 0`` use ``tr[A R^T]``, for ``s = 1``
    ``tr[A F R^T] = (A00 - A11) cos t + (A10 + A01) sin t``; 2D irreps are of real type (weight 2)."""
    cdtype = torch.complex128 if like.dtype == torch.float64 else torch.complex64
    X = torch.zeros(batch + (2, n // 2 + 1), dtype=cdtype, device=like.device)
    a00, a10 = blocks[(0, 0)][..., 0, 0], blocks[(1, 0)][..., 0, 0]
    X[..., 0, 0] = n * (a00 + a10)
    X[..., 1, 0] = n * (a00 - a10)
    if nyquist:
        h = n // 2
        b0, b1 = blocks[(0, h)][..., 0, 0], blocks[(1, h)][..., 0, 0]
        X[..., 0, h] = n * (b0 + b1)
        X[..., 1, h] = n * (b0 - b1)
    if kmax >= 1:
        A = torch.stack([blocks[(1, k)] for k in range(1, kmax + 1)], -3)
        p, q, r, s = _tr_parts(A)
        X[..., 0, 1 : kmax + 1] = torch.complex(p, -q) * n
        X[..., 1, 1 : kmax + 1] = torch.complex(r, -s) * n
    x = torch.fft.irfft(X, n=n, dim=-1)
    return x.reshape(batch + (2 * n,))


def _fast_inverse(space: FunctionSpace, blocks: list[torch.Tensor]) -> torch.Tensor | None:
    G = space.group
    like = blocks[0]
    batch = tuple(like.shape[:-2])
    if not space.is_group:
        if is_so3(G):
            return sphere_inverse(space, blocks)
        return None
    d = {ir.id: b for ir, b in zip(space.irreps, blocks)}
    if isinstance(G, Cyclic):
        return _cyclic_inverse(d, G.n, (G.n - 1) // 2, G.n % 2 == 0, batch, like)
    if isinstance(G, Dihedral):
        return _dihedral_inverse(d, G.n, (G.n - 1) // 2, G.n % 2 == 0, batch, like)
    if isinstance(G, SO2):
        return _cyclic_inverse(d, space.grid_shape[0], space.bandwidth, False, batch, like)
    if isinstance(G, O2):
        return _dihedral_inverse(d, space.grid_shape[1], space.bandwidth, False, batch, like)
    if is_so3(G):
        return so3_inverse(space, blocks)
    return None


# -- public API ------------------------------------------------------------------------------------------
def transform_methods(space: FunctionSpace) -> tuple[str, ...]:
    """The methods available for a space: ``"matrix"`` always, ``"fast"`` where an FFT / separable
    path exists (cyclic, dihedral, SO2, O2, SO3, S^2)."""
    G = space.group
    fast = (space.is_group and isinstance(G, (Cyclic, Dihedral, SO2, O2))) or is_so3(G)
    return ("matrix", "fast") if fast else ("matrix",)


def _resolve(group, bandwidth, grid_size) -> FunctionSpace:
    if isinstance(group, FunctionSpace):
        return function_space(group, bandwidth)
    if not isinstance(group, Group):
        raise TypeError(
            "expected a groupconv Group or FunctionSpace (e.g. a HomogeneousSpace), "
            f"got {type(group).__name__}"
        )
    return function_space(group, bandwidth, grid_size)


def _check_method(method: str, space: FunctionSpace) -> str:
    methods = transform_methods(space)
    if method == "auto":
        return "fast" if "fast" in methods else "matrix"
    if method not in methods:
        raise ValueError(f"method must be 'auto' or one of {methods} for {space}, got {method!r}")
    return method


@renamed_keywords(G="group")
def fourier_transform(
    f: torch.Tensor,
    group: Group | FunctionSpace,
    bandwidth: int | None = None,
    grid_size: int | None = None,
    method: str = "auto",
) -> FourierCoefficients:
    """Fourier transform of (a batch of) real functions on a group or homogeneous space.

    .. math::  \\hat f(\\rho) = \\int_G f(u)\\, \\rho(u)\\, du  \\quad (\\text{kept columns }
               \\hat f(\\rho) V_\\rho \\text{ on } G/H),

    computed exactly: a finite sum on a finite group, an exact quadrature for band-limited functions on
    a continuous group (Kondor & Trivedi, ICML 2018, eq. (2)).

    Parameters
    ----------
    f:
        Values ``(..., num_points)`` in the layout of the space (see :class:`FunctionSpace`): the
        canonical order of a finite group, the cosets of ``G/H``, the ``SO2().quadrature(2L)`` grid
        (``grid_size`` uniform angles, default ``2L + 1``), the O2 grid (all rotations, then all
        reflections), the SO(3) Euler grid ``(alpha, beta, gamma)`` of :func:`~groupconv.fourier.so3_grid`,
        or the sphere grid ``(beta, alpha)``.
    group:
        A group or a :class:`FunctionSpace` / :class:`HomogeneousSpace`.
    bandwidth:
        Continuous groups: the largest irrep degree kept (the grid must integrate degree ``2L``).
    method:
        ``"matrix"``: one matmul with the stacked irreps table, ``O(N D)`` for ``N`` points and
        ``D = sum_rho d_rho m_rho`` coefficients (``O(|G|^2)`` on a finite group). ``"fast"``: cyclic
        and SO(2) by one real FFT, ``O(n log n)``; dihedral and O(2) by an FFT on the rotation part,
        ``O(n log n)``; SO(3) by FFTs over ``alpha`` and ``gamma`` then Wigner small-d sums over
        ``beta``, ``O(L^4)``; the sphere likewise, ``O(L^3)``. ``"auto"`` picks ``"fast"`` where it
        exists.

    Returns
    -------
    FourierCoefficients
        One block ``(..., d_rho, m_rho)`` per irrep.
    """
    space = _resolve(group, bandwidth, grid_size)
    f = space.check_function(f)
    method = _check_method(method, space)
    if f.shape[:-1].numel() == 0:
        # an empty batch has empty coefficients (the FFTs and reshapes below refuse zero sizes)
        batch = f.shape[:-1]
        return FourierCoefficients(
            space, [f.new_zeros(batch + (ir.dim, v.shape[1])) for ir, v in zip(space.irreps, space.columns)]
        )
    if method == "fast":
        blocks = _fast_forward(space, f)
    else:
        A = space.tensor("analysis_matrix", f.dtype, f.device)
        blocks = space.unflatten(f @ A)
    return FourierCoefficients(space, blocks)


@renamed_keywords(G="group")
def inverse_fourier_transform(
    fhat: FourierCoefficients, group: Group | FunctionSpace | None = None, method: str = "auto"
) -> torch.Tensor:
    """Inverse Fourier transform: the values ``(..., num_points)`` on the space's points of

    .. math::  f(u) = \\sum_\\rho \\frac{d_\\rho}{e_\\rho}\\, \\operatorname{tr}\\big[\\hat f(\\rho)\\,
               \\rho(u)^\\top\\big]

    (on ``G/H``: ``tr[(f^(rho) V_rho) (rho(x) V_rho)^T]``). Same methods and costs as
    :func:`fourier_transform`. ``group``, when given, must be the group (or space) of ``fhat``.
    """
    if not isinstance(fhat, FourierCoefficients):
        raise TypeError(f"inverse_fourier_transform takes FourierCoefficients, got {type(fhat).__name__}")
    space = fhat.space
    if group is not None:
        if isinstance(group, FunctionSpace):
            if group != space:
                raise TypeError(f"the coefficients are those of {space}, not of {group}")
        elif group != space.group:
            raise TypeError(f"the coefficients are those of a function on {space.group}, not on {group}")
    method = _check_method(method, space)
    if fhat.batch_shape and math.prod(fhat.batch_shape) == 0:
        return fhat.blocks[0].new_zeros(fhat.batch_shape + (space.num_points,))
    if method == "fast":
        return _fast_inverse(space, fhat.blocks)
    flat = space.flatten(fhat.blocks)
    S = space.tensor("synthesis_matrix", flat.dtype, flat.device)
    return flat @ S
