"""Shared by the Fourier test modules: one torch thread per module, seeded generators, grid points and
random band-limited functions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from groupconv.fourier import (
    FourierCoefficients,
    fourier_transform,
    inverse_fourier_transform,
    s2_grid,
    so3_euler_grid,
)
from groupconv.groups import Cyclic, Dihedral, DirectProduct, Symmetric
from groupconv.groups.spatial import SO3

# finite groups of every kind of fast and matrix path: cyclic and dihedral of odd and even order (with and
# without a Nyquist irrep), symmetric groups (irreps of dimension > 2) and direct products
FINITE_GROUPS = [
    Cyclic(1),
    Cyclic(2),
    Cyclic(7),
    Cyclic(8),
    Dihedral(1),
    Dihedral(2),
    Dihedral(5),
    Dihedral(6),
    Symmetric(3),
    Symmetric(4),
    DirectProduct(Cyclic(3), Cyclic(4)),
    DirectProduct(Cyclic(4), Cyclic(4)),
    DirectProduct(Dihedral(3), Cyclic(2)),
]


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Small FFTs on a shared 2-core machine are far faster on one thread (no OpenMP spin-waits)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def gen(seed: int = 0) -> torch.Generator:
    """A CPU generator seeded with ``seed``."""
    return torch.Generator().manual_seed(seed)


def so3_grid_points(bandwidth: int, grid: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The Euler angles ``(alpha, beta, gamma)`` of the ``SO(3)`` grid of the fast transforms, each of
    the grid's shape ``(2B, n_beta, 2B)``."""
    alpha, beta, gamma, _ = so3_euler_grid(bandwidth, grid)
    a, b, c = np.meshgrid(alpha, beta, gamma, indexing="ij")
    return torch.as_tensor(a), torch.as_tensor(b), torch.as_tensor(c)


def sphere_grid_points(bandwidth: int, grid: str) -> torch.Tensor:
    """The unit vectors ``R_z(alpha) R_y(beta) e_z`` of the sphere grid of the fast transforms,
    ``(n_beta, 2B, 3)``."""
    beta, alpha, _ = s2_grid(bandwidth, grid)
    b, a = np.meshgrid(beta, alpha, indexing="ij")
    R = SO3.from_euler(torch.as_tensor(a), torch.as_tensor(b), torch.zeros(b.shape, dtype=torch.float64))
    return R[..., :, 2]


def random_coefficients(space, batch: tuple[int, ...] = (2,), seed: int = 0):
    """Standard normal :class:`~groupconv.fourier.FourierCoefficients` on ``space`` (float64)."""
    g = gen(seed)
    return FourierCoefficients(
        space,
        [
            torch.randn(batch + (ir.dim, v.shape[1]), dtype=torch.float64, generator=g)
            for ir, v in zip(space.irreps, space.columns)
        ],
    )


def band_limited(space, batch: tuple[int, ...] = (3,), seed: int = 0) -> torch.Tensor:
    """Random values on ``space`` projected onto its band-limited functions (transform and inverse)."""
    f = torch.randn(batch + (space.num_points,), dtype=torch.float64, generator=gen(seed))
    return inverse_fourier_transform(fourier_transform(f, space, method="matrix"), method="matrix")
