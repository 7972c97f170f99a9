"""Wigner small-d by recursion and the fast S^2 / SO(3) transforms: conventions against groupconv's real
irreps, quadrature exactness (and its failure one degree past the limit), round trips at bandwidths 8, 32
and 64, Plancherel, the convolution theorem, float32, autograd and the compact tables."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from _fourier_helpers import (
    _one_thread,  # noqa: F401  (autouse fixture)
    gen,
)

from groupconv.fourier import (
    S2FFT,
    SO3FFT,
    s2_blocks,
    s2_fft,
    s2_grid,
    s2_ifft,
    so3_blocks,
    so3_euler_grid,
    so3_fft,
    so3_ifft,
)
from groupconv.fourier.wigner import (
    fundamental_pairs,
    real_to_complex_basis,
    wigner_d_column,
    wigner_d_matrix,
    wigner_d_recursive,
)
from groupconv.groups.spatial import SO3
from groupconv.reps.spatial import spherical_harmonics, wigner_D, wigner_d_small

GRIDS = ["dh", "gl"]


def _wigner_formula(l: int, m: int, n: int, b: float) -> float:
    """Wigner's explicit sum for ``d^l_{mn}(b)`` (independent of the recursion)."""
    f = math.factorial
    total = 0.0
    for s in range(0, 2 * l + 1):
        if l + n - s < 0 or s + m - n < 0 or l - m - s < 0:
            continue
        total += (
            (-1) ** (m - n + s)
            * math.cos(b / 2) ** (2 * l + n - m - 2 * s)
            * math.sin(b / 2) ** (m - n + 2 * s)
            / (f(l + n - s) * f(s) * f(m - n + s) * f(l - m - s))
        )
    return total * math.sqrt(f(l + m) * f(l - m) * f(l + n) * f(l - n))


def _so3_points(B, grid):
    alpha, beta, gamma, _ = so3_euler_grid(B, grid)
    a, b, c = np.meshgrid(alpha, beta, gamma, indexing="ij")
    return torch.as_tensor(a), torch.as_tensor(b), torch.as_tensor(c)


def _sphere_points(B, grid):
    beta, alpha, _ = s2_grid(B, grid)
    b, a = np.meshgrid(beta, alpha, indexing="ij")
    R = SO3.from_euler(torch.as_tensor(a), torch.as_tensor(b), torch.zeros(b.shape, dtype=torch.float64))
    return R[..., :, 2]


# -- Wigner small-d ----------------------------------------------------------------------------------------
def test_recursion_matches_wigner_formula():
    betas = [0.05, 0.9, 2.0, 3.1]
    for l in (0, 1, 4, 9):
        d = wigner_d_matrix(l, betas)
        ref = np.array(
            [
                [[_wigner_formula(l, m, n, b) for n in range(-l, l + 1)] for m in range(-l, l + 1)]
                for b in betas
            ]
        )
        assert np.abs(d - ref).max() < 1e-13


def test_change_of_basis_to_groupconv_real_irreps():
    """``U_l^H rho_l(R_y(beta)) U_l = d^l(beta)`` and ``U_l`` diagonalizes ``rho_l(R_z(t))`` as
    ``diag(e^{i m t})``: the two facts the transforms rest on."""
    betas = torch.tensor([0.01, 0.7, 1.9, 3.13], dtype=torch.float64)
    for l in (1, 2, 5, 12, 25):
        u = real_to_complex_basis(l)
        assert np.abs(u.conj().T @ u - np.eye(2 * l + 1)).max() < 1e-14
        real = wigner_d_small(l, betas).numpy()
        assert (
            np.abs(np.einsum("am,jab,bn->jmn", u.conj(), real, u) - wigner_d_matrix(l, betas)).max() < 1e-12
        )
        z = wigner_D(l, *torch.tensor([0.3, 0.0, 0.0], dtype=torch.float64)).numpy()
        m = np.arange(-l, l + 1)
        assert np.abs(u.conj().T @ z @ u - np.diag(np.exp(1j * m * 0.3))).max() < 1e-13


def test_recursion_stays_orthogonal_at_degree_127():
    d = wigner_d_matrix(127, [0.003, 0.8, 1.5707, 2.9, 3.14])
    assert np.abs(np.einsum("jab,jac->jbc", d, d) - np.eye(255)).max() < 1e-11


def test_compact_tables_hold_the_fundamental_pairs_only():
    B, beta = 16, np.linspace(0.1, 3.0, 5)
    ks, ns = fundamental_pairs(B)
    assert len(ks) == B * B and (ks >= np.abs(ns)).all()
    (full,) = wigner_d_recursive(B, beta, buckets=[(0, B)])
    per_k = wigner_d_recursive(B, beta)
    stored = sum(t.size for t in per_k)
    # sum_k (2k + 1)(B - k) numbers per angle: about B^3 / 3, a quarter of sum_l (2l + 1)^2
    assert stored == len(beta) * sum((2 * k + 1) * (B - k) for k in range(B))
    assert stored < 0.3 * len(beta) * sum((2 * l + 1) ** 2 for l in range(B))
    for k in range(B):
        assert np.array_equal(per_k[k], full[k * k : (k + 1) ** 2, k:])
        assert not full[k * k : (k + 1) ** 2, :k].any()
    col = wigner_d_column(B, beta)
    assert np.abs(col[3, 7] - wigner_d_matrix(7, beta)[:, 7 + 3, 7]).max() < 1e-15


# -- quadrature ----------------------------------------------------------------------------------------------
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
    a, b, c = _so3_points(B, grid)
    _, _, _, w = so3_euler_grid(B, grid)
    weights = torch.as_tensor(w)[None, :, None] / (2 * B) ** 2
    for l in range(1, 2 * B):
        integral = torch.einsum("ajcmn,ajc->mn", wigner_D(l, a, b, c), weights.expand(a.shape))
        assert integral.abs().max() < 1e-13, l
    past = torch.einsum("ajcmn,ajc->mn", wigner_D(2 * B, a, b, c), weights.expand(a.shape))
    assert past.abs().max() > 0.1


# -- conventions of the transforms --------------------------------------------------------------------------
@pytest.mark.parametrize("grid", GRIDS)
def test_so3_fft_of_an_irrep_entry_is_schur(grid):
    """``f = rho_l(u)_{ab}`` has ``\\hat f(l) = E_{ab} / (2l+1)`` and no other degree (Schur orthogonality,
    ``\\hat f(l) = \\int f \\rho_l``): the transform uses groupconv's irreps and measure of mass 1."""
    B, l, a_, b_ = 5, 3, 1, 4
    a, b, c = _so3_points(B, grid)
    f = wigner_D(l, a, b, c)[..., a_, b_]
    blocks = so3_blocks(so3_fft(f, B, grid), B)
    for k, blk in enumerate(blocks):
        ref = torch.zeros_like(blk)
        if k == l:
            ref[a_, b_] = 1 / (2 * l + 1)
        assert (blk - ref).abs().max() < 1e-14
    assert (so3_ifft(so3_fft(f, B, grid), B, grid) - f).abs().max() < 1e-13


@pytest.mark.parametrize("grid", GRIDS)
def test_s2_fft_of_a_spherical_harmonic(grid):
    """``f = Y_{l,a} / sqrt(2l+1) = (rho_l(R_x) e_l)_a`` has the column ``e_a / (2l+1)`` at degree ``l``."""
    B, l, a_ = 6, 4, 2
    x = _sphere_points(B, grid)
    f = spherical_harmonics(l, x)[..., a_] / math.sqrt(2 * l + 1)
    cols = s2_blocks(s2_fft(f, B, grid), B)
    for k, col in enumerate(cols):
        ref = torch.zeros_like(col)
        if k == l:
            ref[a_] = 1 / (2 * l + 1)
        assert (col - ref).abs().max() < 1e-14
    assert (s2_ifft(s2_fft(f, B, grid), B, grid) - f).abs().max() < 1e-13


# -- round trips, Plancherel ---------------------------------------------------------------------------------
@pytest.mark.parametrize("grid", GRIDS)
@pytest.mark.parametrize("B", [8, 32])
def test_round_trips(grid, B):
    t, s = SO3FFT(B, grid).double(), S2FFT(B, grid).double()
    c = torch.randn(2, 3, t.num_coefficients, dtype=torch.float64, generator=gen(B))
    f = t.inverse(c)
    assert f.shape == (2, 3) + t.grid_shape
    assert ((t(f) - c).norm() / c.norm()) < 1e-10
    assert ((t.inverse(t(f)) - f).norm() / f.norm()) < 1e-10
    a = torch.randn(4, B * B, dtype=torch.float64, generator=gen(B + 1))
    g = s.inverse(a)
    assert ((s(g) - a).norm() / a.norm()) < 1e-10
    assert ((s.inverse(s(g)) - g).norm() / g.norm()) < 1e-10


def test_round_trip_bandwidth_64():
    t = SO3FFT(64, "gl").double()
    c = torch.randn(1, t.num_coefficients, dtype=torch.float64, generator=gen(64))
    assert ((t(t.inverse(c)) - c).norm() / c.norm()) < 1e-10
    s = S2FFT(64, "dh").double()
    a = torch.randn(2, 64 * 64, dtype=torch.float64, generator=gen(65))
    assert ((s(s.inverse(a)) - a).norm() / a.norm()) < 1e-10


@pytest.mark.parametrize("grid", GRIDS)
def test_plancherel(grid):
    B = 8
    t, s = SO3FFT(B, grid).double(), S2FFT(B, grid).double()
    f = t.inverse(torch.randn(3, t.num_coefficients, dtype=torch.float64, generator=gen(3)))
    _, _, _, w = so3_euler_grid(B, grid)
    energy = torch.einsum("bajc,j->b", f**2, torch.as_tensor(w)) / (2 * B) ** 2
    spectral = sum((2 * l + 1) * blk.pow(2).sum((-2, -1)) for l, blk in enumerate(so3_blocks(t(f), B)))
    assert torch.allclose(energy, spectral, rtol=1e-12)
    g = s.inverse(torch.randn(3, B * B, dtype=torch.float64, generator=gen(4)))
    energy = torch.einsum("bja,j->b", g**2, torch.as_tensor(w)) / (2 * B)
    spectral = sum((2 * l + 1) * col.pow(2).sum(-1) for l, col in enumerate(s2_blocks(s(g), B)))
    assert torch.allclose(energy, spectral, rtol=1e-12)


def _evaluate(coefficients: torch.Tensor, B: int, R: torch.Tensor) -> torch.Tensor:
    """``f(R) = sum_l (2l+1) tr[f^(l) rho_l(R)^T]`` at arbitrary rotations (the inversion formula)."""
    angles = SO3.to_euler(R)
    return sum(
        (2 * l + 1) * torch.einsum("mn,...mn->...", blk, wigner_D(l, *angles))
        for l, blk in enumerate(so3_blocks(coefficients, B))
    )


def test_convolution_theorem():
    """``(f * h)(u) = \\int f(u v^{-1}) h(v) dv`` by quadrature at a few rotations equals the inverse
    transform of the blockwise product ``\\hat f(l) \\hat h(l)``."""
    B, grid = 4, "gl"
    t = SO3FFT(B, grid).double()
    cf = torch.randn(t.num_coefficients, dtype=torch.float64, generator=gen(5))
    ch = torch.randn(t.num_coefficients, dtype=torch.float64, generator=gen(6))
    prod = torch.cat([(a @ b).flatten() for a, b in zip(so3_blocks(cf, B), so3_blocks(ch, B))])
    conv = t.inverse(prod)
    a, b, c = _so3_points(B, grid)
    v = SO3.from_euler(a, b, c).reshape(-1, 3, 3)
    hv = t.inverse(ch).reshape(-1)
    _, _, _, w = so3_euler_grid(B, grid)
    wv = (torch.as_tensor(w)[None, :, None] / (2 * B) ** 2).expand(a.shape).reshape(-1)
    for idx in [(0, 0, 0), (3, 1, 5), (7, 3, 2)]:
        u = SO3.from_euler(a[idx], b[idx], c[idx])
        direct = (_evaluate(cf, B, u @ v.transpose(-1, -2)) * hv * wv).sum()
        assert abs(float(direct - conv[idx])) < 1e-12


# -- dtypes, autograd, batches ------------------------------------------------------------------------------
def test_float32_and_dtype_round_trip():
    B = 16
    t = SO3FFT(B, "dh")
    assert t.table0.dtype == torch.get_default_dtype()
    c = torch.randn(2, t.num_coefficients, dtype=torch.float64, generator=gen(7))
    t32 = t.float()
    c32 = t32(t32.inverse(c.float()))
    assert ((c32.double() - c).norm() / c.norm()) < 1e-5
    # float64 tables are rebuilt from the float64 plan, not from the float32 copy
    t64 = t32.double()
    assert ((t64(t64.inverse(c)) - c).norm() / c.norm()) < 1e-12
    assert t64.state_dict() == {}


def test_gradients_of_the_transforms():
    t, s = SO3FFT(3, "gl").double(), S2FFT(3, "dh").double()
    f = torch.randn(1, *t.grid_shape, dtype=torch.float64, generator=gen(8), requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: t(x), (f,))
    c = torch.randn(1, t.num_coefficients, dtype=torch.float64, generator=gen(9), requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: t.inverse(x), (c,))
    g = torch.randn(2, *s.grid_shape, dtype=torch.float64, generator=gen(10), requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: s.inverse(s(x)), (g,))


def test_empty_batches_and_leading_dimensions():
    t = SO3FFT(4, "dh").double()
    assert t(torch.zeros(0, 3, *t.grid_shape, dtype=torch.float64)).shape == (0, 3, t.num_coefficients)
    assert t.inverse(torch.zeros(0, t.num_coefficients, dtype=torch.float64)).shape == (0,) + t.grid_shape
    f = t.inverse(torch.randn(t.num_coefficients, dtype=torch.float64, generator=gen(11)))
    assert f.shape == t.grid_shape and t(f).shape == (t.num_coefficients,)


@pytest.mark.cuda
def test_transforms_on_cuda():
    t = SO3FFT(8, "dh").to("cuda", torch.float64)
    c = torch.randn(2, t.num_coefficients, dtype=torch.float64, device="cuda")
    assert ((t(t.inverse(c)) - c).norm() / c.norm()) < 1e-10
    s = S2FFT(8, "gl").to("cuda", torch.float32)
    a = torch.randn(2, 64, device="cuda")
    assert ((s(s.inverse(a)) - a).norm() / a.norm()) < 1e-5
