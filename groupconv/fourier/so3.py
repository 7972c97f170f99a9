"""Band-limited Fourier analysis on SO(3) and on the sphere ``S^2 = SO(3)/SO(2)``, separable.

Grid (exact for bandwidth ``L``, :func:`~groupconv.fourier.grids.so3_grid`): ZYZ Euler angles
``R = R_z(alpha) R_y(beta) R_z(gamma)`` with ``alpha_a = 2 pi a / N``, ``gamma_c = 2 pi c / N``
(``N = 2L + 1``) and ``beta_j = arccos(x_j)`` for the ``L + 1`` Gauss-Legendre nodes ``x_j`` (ascending
``x_j``, so descending ``beta``), weights ``w_j / (2 N^2)``: the grid of ``SO3().quadrature(2L)``, in its
order. The product of two functions of bandwidth ``L`` has frequencies ``<= 2L`` in ``alpha`` and
``gamma`` (integrated exactly by ``N`` uniform points) and, for matching frequencies, is a polynomial of
degree ``<= 2L`` in ``cos beta`` (integrated exactly by ``L + 1`` Gauss-Legendre nodes). A function on
SO(3) is stored as ``(..., N * (L+1) * N)``, flat index ``(a (L+1) + j) N + c``; on the sphere as
``(..., (L+1) * N)``, flat index ``j N + a``, the point ``R_z(alpha_a) R_y(beta_j) e_z``.

Separable transform (Kondor & Trivedi, ICML 2018, section 5; the classical SO(3) FFT of Kostelec &
Rockmore, J. Fourier Anal. Appl. 14, 2008): in the real basis of ``rho_l``, ``R_z(t)`` acts as
``U_l diag(e^{i m t}) U_l^H`` (``U_l`` its unitary eigenbasis, ``m = -l..l``), so with
``d_l(beta) = U_l^H rho_l(R_y(beta)) U_l`` (the complex Wigner small-d matrix up to phases)

.. math::  \\hat f(l) = U_l \\Big[\\sum_j w_j\\, d_l(\\beta_j)_{m m'}\\, F_{m j m'}\\Big] U_l^H,
           \\qquad F_{m j m'} = \\frac{1}{N^2} \\sum_{a, c} f(\\alpha_a, \\beta_j, \\gamma_c)\\,
           e^{i m \\alpha_a} e^{i m' \\gamma_c},

``F`` by one 2D FFT (``O(L^3 log L)``), the ``beta`` sums ``O(L^4)``, the basis changes ``O(L^4)``.
The inverse runs the same steps backwards with ``f(u) = sum_l (2l+1) tr[f^(l) rho_l(u)^T]``.

The tables of bandwidth ``L = 2`` (``U_l`` zero padded to ``5 x 5``, ``d_l`` on the 3 angles ``beta_j``),
and the exactness of the separable path on :class:`~groupconv.groups.SO3`:

>>> tables = so3_tables(2)
>>> tables["u"].shape, tables["d"].shape
((3, 5, 5), (3, 3, 5, 5))
>>> from groupconv.fourier import fourier_transform, function_space, inverse_fourier_transform
>>> space = function_space(SO3(), 2)
>>> f = inverse_fourier_transform(fourier_transform(torch.ones(space.num_points, dtype=torch.float64), space))
>>> bool((f - 1).abs().max() < 1e-12)
True
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..groups.planar import SO2
from ..groups.spatial import SO3
from ..groups.subgroups import inclusion
from ..reps.irreps import irreps as list_irreps
from .grids import euler_to_matrix, so3_grid
from .spaces import _invariant_basis

__all__ = ["so3_grid", "euler_to_matrix", "so3_tables"]


def _z_eigenbasis(ir, l: int) -> np.ndarray:
    """Unitary ``U (2l+1, 2l+1)`` with ``rho(R_z(t)) = U diag(e^{i m t}) U^H``, columns ``m = -l..l``.

    ``-i (Z - Z^T) / 2`` for ``Z = rho(R_z(t0))``, ``t0 = pi / (2l + 1)``, is Hermitian with the distinct
    eigenvalues ``sin(m t0)`` (increasing in ``m`` on ``|m| <= l``), so ``eigh`` gives an orthonormal
    eigenbasis sorted by ``m``.
    """
    t0 = math.pi / (2 * l + 1)
    z = ir(euler_to_matrix(t0, 0.0, 0.0), torch.float64).numpy()
    herm = -0.5j * (z - z.T)
    _, u = np.linalg.eigh(herm)
    return u


def so3_tables(bandwidth: int) -> dict[str, np.ndarray]:
    """The precomputed tables of the separable transforms for ``bandwidth`` ``L``.

    ``u``: ``(L+1, 2L+1, 2L+1)`` complex, ``u[l, :d_l, L-l : L+l+1] = U_l`` (zero padded);
    ``d``: ``(L+1, L+1, 2L+1, 2L+1)`` complex, ``d[l, j, L+m, L+m'] = d_l(beta_j)_{m m'}``;
    ``w``: the ``beta`` weights; ``c0``: ``(L+1,)`` complex, ``(U_l^H V_l)_{m=0}`` for the sphere
    (``V_l`` the kept column of :class:`~groupconv.fourier.HomogeneousSpace`).
    Cost: ``O(L^4)`` for the small-d matrices (``L + 1`` rotations per degree) plus the irreps' own
    evaluation.
    """
    key = int(bandwidth)
    cached = _TABLES.get(key)
    if cached is not None:
        return cached
    group = SO3()
    L = key
    _, beta, _, wb = so3_grid(L)
    n = 2 * L + 1
    u = np.zeros((L + 1, n, n), dtype=np.complex128)
    d = np.zeros((L + 1, L + 1, n, n), dtype=np.complex128)
    c0 = np.zeros(L + 1, dtype=np.complex128)
    ry = euler_to_matrix(torch.zeros(L + 1), torch.as_tensor(beta), torch.zeros(L + 1))
    iota = inclusion(SO2(), group)
    for ir in list_irreps(group, max_degree=L):
        l = ir.degree
        ul = _z_eigenbasis(ir, l)
        s = slice(L - l, L + l + 1)
        u[l, : 2 * l + 1, s] = ul
        dl = ir(ry, torch.float64).numpy()
        # U^H D U from real products (BLAS), U = A + iB
        a, b = ul.real, ul.imag
        da, db = dl @ a, dl @ b
        d[l, :, s, s] = (a.T @ da + b.T @ db) + 1j * (a.T @ db - b.T @ da)
        v = _invariant_basis(ir, SO2(), iota)
        c0[l] = (ul.conj().T @ v)[l, 0]
    out = {"u": u, "d": d, "w": wb, "c0": c0}
    _TABLES[key] = out
    return out


_TABLES: dict = {}


def _torch_tables(bandwidth: int, dtype: torch.dtype, device) -> dict[str, torch.Tensor]:
    key = (bandwidth, dtype, torch.device(device))
    t = _TORCH.get(key)
    if t is None:
        cdtype = torch.complex128 if dtype == torch.float64 else torch.complex64
        t = {
            k: torch.as_tensor(v, dtype=cdtype if np.iscomplexobj(v) else dtype, device=device)
            for k, v in so3_tables(bandwidth).items()
        }
        _TORCH[key] = t
    return t


_TORCH: dict = {}


def _cdtype(dtype: torch.dtype) -> torch.dtype:
    return torch.complex128 if dtype == torch.float64 else torch.complex64


def so3_forward(space, f: torch.Tensor, tables: dict | None = None) -> list[torch.Tensor]:
    """Separable forward transform on SO(3) (see the module docstring), ``O(L^4)``."""
    L = space.bandwidth
    n = 2 * L + 1
    t = tables if tables is not None else _torch_tables(L, f.dtype, f.device)
    batch = f.shape[:-1]
    x = f.reshape(batch + (n, L + 1, n)).to(_cdtype(f.dtype))
    F = torch.fft.ifft2(x, dim=(-3, -1))
    idx = torch.arange(-L, L + 1, device=f.device) % n
    F = F[..., idx, :, :][..., idx]
    g = torch.einsum("...mjq,ljmq,j->...lmq", F, t["d"], t["w"].to(F.dtype))
    u = t["u"]
    full = (u @ g @ u.conj().transpose(-2, -1)).real
    return [full[..., l, : 2 * l + 1, : 2 * l + 1] for l in range(L + 1)]


def so3_inverse(space, blocks: list[torch.Tensor], tables: dict | None = None) -> torch.Tensor:
    """Separable inverse transform on SO(3): ``f(u) = sum_l (2l+1) tr[f^(l) rho_l(u)^T]``, ``O(L^4)``."""
    L = space.bandwidth
    n = 2 * L + 1
    like = blocks[0]
    t = tables if tables is not None else _torch_tables(L, like.dtype, like.device)
    batch = like.shape[:-2]
    pad = like.new_zeros(batch + (L + 1, n, n))
    for l, b in enumerate(blocks):
        pad[..., l, : 2 * l + 1, : 2 * l + 1] = b * (2 * l + 1)
    u = t["u"]
    gh = u.conj().transpose(-2, -1) @ pad.to(u.dtype) @ u
    h = torch.einsum("...lmq,ljmq->...mjq", gh, t["d"].conj())
    # m = -L..L -> FFT index m mod N (a permutation, N = 2L + 1)
    perm = torch.argsort(torch.arange(-L, L + 1, device=like.device) % n)
    X = h[..., perm, :, :][..., perm]
    out = torch.fft.fft2(X, dim=(-3, -1)).real
    return out.reshape(batch + (n * (L + 1) * n,))


def sphere_forward(space, f: torch.Tensor, tables: dict | None = None) -> list[torch.Tensor]:
    """Separable forward transform on the sphere: ``f^(l) V_l``, ``O(L^3)`` after one FFT over ``alpha``."""
    L = space.bandwidth
    n = 2 * L + 1
    t = tables if tables is not None else _torch_tables(L, f.dtype, f.device)
    batch = f.shape[:-1]
    x = f.reshape(batch + (L + 1, n)).to(_cdtype(f.dtype))
    F = torch.fft.ifft(x, dim=-1)
    idx = torch.arange(-L, L + 1, device=f.device) % n
    F = F[..., idx]
    g = torch.einsum("...jm,ljm,j->...lm", F, t["d"][..., L], t["w"].to(F.dtype)) * t["c0"][:, None]
    full = (t["u"] @ g[..., None]).real
    return [full[..., l, : 2 * l + 1, :] for l in range(L + 1)]


def sphere_inverse(space, blocks: list[torch.Tensor], tables: dict | None = None) -> torch.Tensor:
    """Separable inverse transform on the sphere: ``f(x) = sum_l (2l+1) (f^ V_l)^T rho_l(R_x) V_l``."""
    L = space.bandwidth
    n = 2 * L + 1
    like = blocks[0]
    t = tables if tables is not None else _torch_tables(L, like.dtype, like.device)
    batch = like.shape[:-2]
    pad = like.new_zeros(batch + (L + 1, n))
    for l, b in enumerate(blocks):
        pad[..., l, : 2 * l + 1] = b[..., 0] * (2 * l + 1)
    a = (pad.to(t["u"].dtype)[..., None, :] @ t["u"])[..., 0, :] * t["c0"][:, None]
    h = torch.einsum("...lm,ljm->...jm", a, t["d"][..., L])
    perm = torch.argsort(torch.arange(-L, L + 1, device=like.device) % n)
    X = h[..., perm]
    out = torch.fft.ifft(X, dim=-1).real * n
    return out.reshape(batch + ((L + 1) * n,))
