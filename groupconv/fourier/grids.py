"""Quadrature grids of the sphere ``S^2`` and of ``SO(3)``, and the checks of their arguments.

Two conventions of bandwidth meet here. The fast transforms of :mod:`~groupconv.fourier.sphere` and the
spherical layers count degrees ``0 <= l < B`` (``B`` the bandwidth, the convention of Driscoll & Healy, of
Kostelec & Rockmore's SOFT and of Cohen et al.'s spherical CNNs); :class:`~groupconv.fourier.FunctionSpace`
counts the largest degree ``L = B - 1`` and samples ``SO(3)`` on :func:`so3_grid`.

Grids of bandwidth ``B`` (``grid=``):

- ``"dh"`` (Driscoll-Healy, equiangular): ``beta_j = pi (2j + 1) / (4B)``, ``j < 2B``, with Fejer's first
  rule in ``cos beta`` (the weights of Driscoll & Healy, Adv. Appl. Math. 15, 1994, Theorem 3), exact for
  polynomials in ``cos beta`` of degree ``< 2B``.
- ``"gl"`` (Gauss-Legendre): ``B`` angles ``beta_j = arccos x_j``, exact for polynomials of degree ``< 2B``
  with half the points.

``alpha`` (and ``gamma`` on ``SO(3)``) take ``2B`` uniform values ``2 pi a / (2B)``, exact for ``e^{i k t}``
with ``|k| < 2B``. Both rules integrate every function whose expansion has degrees ``< 2B`` exactly
(``D^l_{mn}``: the ``alpha`` / ``gamma`` sums kill ``0 < |m|, |n| < 2B``, and ``d^l_{00} = P_l`` has degree
``l``), hence the products of two functions of bandwidth ``B`` (transforms and Plancherel are exact), and
fail at degree ``2B``. Grids are ordered ``beta`` ascending. Storage: on the sphere ``(..., n_beta, 2B)``
(``beta``, ``alpha``), the point ``R_z(alpha) R_y(beta) e_z``; on ``SO(3)`` ``(..., 2B, n_beta, 2B)``
(``alpha``, ``beta``, ``gamma``), the rotation ``R_z(alpha) R_y(beta) R_z(gamma)``.

>>> beta, alpha, w = s2_grid(4, "gl")
>>> beta.shape, alpha.shape, round(float(w.sum()), 12)
((4,), (8,), 1.0)
>>> check_grid("driscoll-healy")
'dh'
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from ..groups.spatial import SO3

__all__ = [
    "GRIDS",
    "check_bandwidth",
    "check_grid",
    "beta_rule",
    "s2_grid",
    "so3_euler_grid",
    "so3_grid",
    "euler_to_matrix",
]

GRIDS = ("dh", "gl")
_GRID_ALIASES = {
    "dh": "dh",
    "driscoll-healy": "dh",
    "equiangular": "dh",
    "gl": "gl",
    "gauss-legendre": "gl",
}


def check_bandwidth(bandwidth) -> int:
    """``bandwidth`` as an int ``B >= 1`` (degrees ``l < B``); a ValueError for anything else.

    >>> check_bandwidth(8)
    8
    """
    if isinstance(bandwidth, bool) or not isinstance(bandwidth, (int, np.integer)) or bandwidth < 1:
        raise ValueError(f"bandwidth must be an int >= 1 (degrees l < bandwidth), got {bandwidth!r}")
    return int(bandwidth)


def check_grid(grid) -> str:
    """The short name (``"dh"`` or ``"gl"``) of a grid given by name or alias (``"driscoll-healy"``,
    ``"equiangular"``, ``"gauss-legendre"``); a ValueError for anything else."""
    name = _GRID_ALIASES.get(grid) if isinstance(grid, str) else None
    if name is None:
        raise ValueError(
            f"grid must be 'dh' (Driscoll-Healy, equiangular) or 'gl' (Gauss-Legendre), got {grid!r}"
        )
    return name


@lru_cache(maxsize=64)
def beta_rule(bandwidth: int, grid: str) -> tuple[np.ndarray, np.ndarray]:
    """The colatitudes ``beta`` (ascending) and their weights (summing to 1) of the rule ``grid``
    (``"dh"`` or ``"gl"``, already checked) for ``bandwidth``: read-only float64 arrays, cached."""
    B = bandwidth
    if grid == "dh":
        n = 2 * B
        beta = np.pi * (2 * np.arange(n) + 1) / (2 * n)
        k = np.arange(1, n // 2 + 1)
        # Fejer's first rule on the Chebyshev nodes cos(beta_j), halved for the measure of mass 1
        w = (1 - 2 * (np.cos(2 * k[None, :] * beta[:, None]) / (4 * k**2 - 1)).sum(1)) / n
    else:
        x, w = np.polynomial.legendre.leggauss(B)
        beta, w = np.arccos(x[::-1]), w[::-1] / 2
    beta.setflags(write=False)
    w.setflags(write=False)
    return beta, w


def s2_grid(bandwidth: int, grid: str = "dh") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(beta, alpha, w_beta)`` of the sphere grid of ``bandwidth`` (degrees ``< B``), float64 numpy.

    ``beta`` ascending (``2B`` angles for ``"dh"``, ``B`` for ``"gl"``), ``alpha`` the ``2B`` uniform
    longitudes, ``w_beta`` summing to 1: ``\\int_{S^2} f = \\sum_{j, a} w_j f(\\beta_j, \\alpha_a) / (2B)``,
    exact for degrees ``< 2B`` (module docstring).
    """
    B, g = check_bandwidth(bandwidth), check_grid(grid)
    beta, w = beta_rule(B, g)
    return beta.copy(), 2 * np.pi * np.arange(2 * B) / (2 * B), w.copy()


def so3_euler_grid(bandwidth: int, grid: str = "dh") -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(alpha, beta, gamma, w_beta)`` of the ``SO(3)`` grid of ``bandwidth``: ``2B x n_beta x 2B`` ZYZ
    Euler angles, ``\\int_{SO(3)} f = \\sum w_j f(\\alpha_a, \\beta_j, \\gamma_c) / (2B)^2``, exact for
    degrees ``< 2B``."""
    beta, alpha, w = s2_grid(bandwidth, grid)
    return alpha, beta, alpha.copy(), w


def so3_grid(bandwidth: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(alpha, beta, gamma, w_beta)`` of the exact Euler grid of :class:`~groupconv.fourier.FunctionSpace`
    for the largest degree ``bandwidth`` ``L`` (see :mod:`~groupconv.fourier.so3`); ``w_beta`` sums to 1.

    ``2L + 1`` uniform ``alpha`` and ``gamma``, and ``beta_j = arccos(x_j)`` for the ``L + 1``
    Gauss-Legendre nodes ``x_j`` (ascending ``x_j``, so descending ``beta``).

    >>> alpha, beta, gamma, w = so3_grid(2)
    >>> len(alpha), len(beta), len(gamma), round(float(w.sum()), 12)
    (5, 3, 5, 1.0)
    """
    if isinstance(bandwidth, bool) or not isinstance(bandwidth, (int, np.integer)) or bandwidth < 0:
        raise ValueError(f"bandwidth must be an int >= 0, got {bandwidth!r}")
    L = int(bandwidth)
    n = 2 * L + 1
    x, w = np.polynomial.legendre.leggauss(L + 1)
    beta = np.arccos(x)
    wb = w / 2
    alpha = 2 * np.pi * np.arange(n) / n
    return alpha, beta, alpha.copy(), wb


def euler_to_matrix(alpha: torch.Tensor, beta: torch.Tensor, gamma: torch.Tensor) -> torch.Tensor:
    """ZYZ Euler angles to rotation matrices: ``R_z(alpha) R_y(beta) R_z(gamma)``, batched, in float64.

    :meth:`~groupconv.groups.SO3.from_euler` on the angles cast to float64 (the grid tables are built in
    float64 whatever the dtype of the angles given).

    >>> euler_to_matrix(0.0, 0.0, 0.0).equal(torch.eye(3, dtype=torch.float64))
    True
    """
    return SO3.from_euler(
        torch.as_tensor(alpha, dtype=torch.float64),
        torch.as_tensor(beta, dtype=torch.float64),
        torch.as_tensor(gamma, dtype=torch.float64),
    )
