"""Quadrature grids of the sphere and SO(3): exactness below degree 2B and failure at 2B, the Euler grid
of the function spaces against SO3().quadrature, argument checks, caching, and the old import paths."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _fourier_helpers import (
    _one_thread,  # noqa: F401  (autouse fixture)
    so3_grid_points,
)

from groupconv.fourier import function_space, so3, sphere
from groupconv.fourier.grids import (
    GRIDS,
    beta_rule,
    check_bandwidth,
    check_grid,
    euler_to_matrix,
    s2_grid,
    so3_euler_grid,
    so3_grid,
)
from groupconv.groups.spatial import SO3
from groupconv.reps.spatial import wigner_D


@pytest.mark.parametrize("grid", GRIDS)
@pytest.mark.parametrize("B", [3, 8])
def test_beta_rule_exact_below_2B_and_not_at_2B(grid, B):
    """Both rules integrate polynomials in ``cos beta`` of degree ``< 2B`` against ``sin beta / 2`` and miss
    the Legendre polynomial of degree ``2B``."""
    beta, _, w = s2_grid(B, grid)
    assert len(beta) == (2 * B if grid == "dh" else B) and abs(w.sum() - 1) < 1e-14
    x = np.cos(beta)
    for k in range(1, 2 * B):
        p = np.polynomial.legendre.Legendre.basis(k)(x)
        assert abs(w @ p) < 1e-13, k
    p = np.polynomial.legendre.Legendre.basis(2 * B)(x)
    assert abs(w @ p) > 1e-3


@pytest.mark.parametrize("grid", GRIDS)
def test_so3_quadrature_exact_for_degrees_below_2B_and_fails_at_2B(grid):
    """``\\int \\rho_l = 0`` for ``1 <= l < 2B`` on the grid of bandwidth ``B``; at ``l = 2B`` the grid
    integral is wrong (the ``alpha`` sum aliases ``e^{2B i alpha}`` and the ``beta`` rule misses ``P_{2B}``)."""
    B = 3
    a, b, c = so3_grid_points(B, grid)
    _, _, _, w = so3_euler_grid(B, grid)
    weights = torch.as_tensor(w)[None, :, None] / (2 * B) ** 2
    for l in range(1, 2 * B):
        integral = torch.einsum("ajcmn,ajc->mn", wigner_D(l, a, b, c), weights.expand(a.shape))
        assert integral.abs().max() < 1e-13, l
    past = torch.einsum("ajcmn,ajc->mn", wigner_D(2 * B, a, b, c), weights.expand(a.shape))
    assert past.abs().max() > 0.1


def test_grid_matches_group_conventions():
    alpha, beta, gamma, w = so3_grid(3)
    assert len(alpha) == 7 and len(beta) == 4 and abs(w.sum() - 1) < 1e-14
    R = euler_to_matrix(torch.tensor(0.3), torch.tensor(1.1), torch.tensor(-0.4))
    assert torch.allclose(R @ R.T, torch.eye(3, dtype=torch.float64), atol=1e-14)
    assert torch.allclose(SO3.from_euler(*torch.tensor([0.3, 1.1, -0.4], dtype=torch.float64)), R, atol=1e-14)
    # the grid of bandwidth L is SO3().quadrature(2L), in its order
    sp = function_space(SO3(), 3)
    g, wq = SO3().quadrature(6)
    assert torch.allclose(sp.points, g, atol=1e-14) and torch.allclose(
        torch.as_tensor(sp.weights), wq, atol=1e-15
    )


def test_so3_grid_is_exact_for_degree_2L():
    """The Gauss-Legendre Euler grid of the function spaces, largest degree ``L``, integrates ``rho_l``
    exactly to 0 for ``1 <= l <= 2L`` (products of two functions of bandwidth ``L``)."""
    L = 2
    alpha, beta, gamma, wb = so3_grid(L)
    a, b, c = (torch.as_tensor(x) for x in np.meshgrid(alpha, beta, gamma, indexing="ij"))
    w = torch.as_tensor(wb)[None, :, None].expand(a.shape) / (len(alpha) * len(gamma))
    assert abs(float(w.sum()) - 1) < 1e-14
    for l in range(1, 2 * L + 1):
        assert torch.einsum("ajcmn,ajc->mn", wigner_D(l, a, b, c), w).abs().max() < 1e-13, l


def test_euler_to_matrix_is_float64_whatever_the_input():
    R = euler_to_matrix(torch.tensor([0.5], dtype=torch.float32), 0.25, np.array([1.0]))
    assert R.dtype == torch.float64 and R.shape == (1, 3, 3)
    assert torch.allclose(R[0] @ R[0].T, torch.eye(3, dtype=torch.float64), atol=1e-15)


def test_grid_names_and_aliases():
    assert check_grid("dh") == check_grid("driscoll-healy") == check_grid("equiangular") == "dh"
    assert check_grid("gl") == check_grid("gauss-legendre") == "gl"
    for bad in ("DH", "healpix", None, 3):
        with pytest.raises(ValueError, match="grid must be 'dh'"):
            check_grid(bad)


def test_bandwidth_checks():
    assert check_bandwidth(np.int64(4)) == 4 and type(check_bandwidth(np.int64(4))) is int
    for bad in (0, -1, 2.0, True, "3", None):
        with pytest.raises(ValueError, match="bandwidth must be an int >= 1"):
            check_bandwidth(bad)
    with pytest.raises(ValueError, match="bandwidth must be an int >= 1"):
        s2_grid(0)
    for bad in (-1, 1.5, False):
        with pytest.raises(ValueError, match="bandwidth must be an int >= 0"):
            so3_grid(bad)


def test_beta_rule_is_cached_and_read_only_and_the_grids_are_copies():
    beta, w = beta_rule(5, "gl")
    assert beta_rule(5, "gl")[0] is beta
    assert not beta.flags.writeable and not w.flags.writeable
    b2, alpha, w2 = s2_grid(5, "gl")
    b2[0] = -1.0
    w2[:] = 0.0
    assert beta[0] > 0 and abs(w.sum() - 1) < 1e-14
    alpha3, beta3, gamma3, w3 = so3_euler_grid(5, "gl")
    assert np.array_equal(alpha3, alpha) and np.array_equal(gamma3, alpha) and alpha3 is not gamma3
    assert np.array_equal(beta3, beta) and np.array_equal(w3, w)


def test_the_old_import_paths_still_work():
    """The grids moved out of ``sphere`` and ``so3``; both keep the names they exported."""
    assert sphere.s2_grid is s2_grid and sphere.so3_euler_grid is so3_euler_grid and sphere.GRIDS is GRIDS
    assert sphere.beta_rule is beta_rule and sphere.check_grid is check_grid
    assert sphere.check_bandwidth is check_bandwidth
    assert so3.so3_grid is so3_grid and so3.euler_to_matrix is euler_to_matrix
