"""The fast S^2 / SO(3) transforms: conventions against groupconv's real irreps, round trips at bandwidths
8, 32 and 64, Plancherel, the convolution theorem, float32, autograd, the packed layouts and empty batches
(the Wigner tables are tested in test_wigner.py, the quadrature grids in test_grids.py)."""

from __future__ import annotations

import math

import pytest
import torch
from _fourier_helpers import (
    _one_thread,  # noqa: F401  (autouse fixture)
    gen,
    so3_grid_points,
    sphere_grid_points,
)

from groupconv.fourier import (
    S2FFT,
    SO3FFT,
    s2_blocks,
    s2_fft,
    s2_ifft,
    so3_blocks,
    so3_coefficient_offsets,
    so3_euler_grid,
    so3_fft,
    so3_ifft,
)
from groupconv.groups.spatial import SO3
from groupconv.reps.spatial import spherical_harmonics, wigner_D

GRIDS = ["dh", "gl"]


# -- conventions of the transforms --------------------------------------------------------------------------
@pytest.mark.parametrize("grid", GRIDS)
def test_so3_fft_of_an_irrep_entry_is_schur(grid):
    """``f = rho_l(u)_{ab}`` has ``\\hat f(l) = E_{ab} / (2l+1)`` and no other degree (Schur orthogonality,
    ``\\hat f(l) = \\int f \\rho_l``): the transform uses groupconv's irreps and measure of mass 1."""
    B, l, a_, b_ = 5, 3, 1, 4
    a, b, c = so3_grid_points(B, grid)
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
    x = sphere_grid_points(B, grid)
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
    a, b, c = so3_grid_points(B, grid)
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


def test_packed_layouts_are_prefixes_and_blocks_are_views():
    """Block ``l`` of the packed ``SO(3)`` layout starts at ``l (4 l^2 - 1) / 3``, column ``l`` of the sphere
    layout at ``l^2``; the layouts of bandwidth ``B`` are prefixes of those of ``B + 1``."""
    off = so3_coefficient_offsets(6)
    assert off.tolist() == [sum((2 * k + 1) ** 2 for k in range(l)) for l in range(7)]
    assert so3_coefficient_offsets(4).tolist() == off[:5].tolist()
    c = torch.arange(float(off[-1]))
    blocks = so3_blocks(c, 6)
    assert [tuple(b.shape) for b in blocks] == [(2 * l + 1, 2 * l + 1) for l in range(6)]
    assert blocks[2].data_ptr() == c[off[2] :].data_ptr() and float(blocks[2][1, 0]) == off[2] + 5
    cols = s2_blocks(torch.arange(36.0).expand(2, 36), 6)
    assert [tuple(x.shape) for x in cols] == [(2, 2 * l + 1) for l in range(6)]
    assert cols[3][0].tolist() == [9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0]
    with pytest.raises(ValueError, match="286 entries"):
        so3_blocks(torch.zeros(285), 6)
    with pytest.raises(ValueError, match="36 entries"):
        s2_blocks(torch.zeros(3, 35), 6)


def test_functional_forms_match_the_modules_in_each_dtype():
    B = 5
    f = torch.randn(2, 2 * B, B, 2 * B, dtype=torch.float64, generator=gen(12))
    t = SO3FFT(B, "gl").double()
    assert torch.equal(so3_fft(f, B, "gl"), t(f))
    c = t(f)
    assert torch.equal(so3_ifft(c, B, "gauss-legendre"), t.inverse(c))
    g = torch.randn(3, 2 * B, 2 * B, generator=gen(13))
    s = S2FFT(B).float()
    assert s2_fft(g, B).dtype == torch.float32 and torch.equal(s2_fft(g, B), s(g))
    assert torch.equal(s2_ifft(s(g), B), s.inverse(s(g)))
    with pytest.raises(TypeError, match="float32 or float64"):
        s2_fft(g.to(torch.float16), B)
    with pytest.raises(ValueError, match="grid must be"):
        so3_fft(f, B, "healpix")


@pytest.mark.cuda
def test_transforms_on_cuda():
    t = SO3FFT(8, "dh").to("cuda", torch.float64)
    c = torch.randn(2, t.num_coefficients, dtype=torch.float64, device="cuda")
    assert ((t(t.inverse(c)) - c).norm() / c.norm()) < 1e-10
    s = S2FFT(8, "gl").to("cuda", torch.float32)
    a = torch.randn(2, 64, device="cuda")
    assert ((s(s.inverse(a)) - a).norm() / a.norm()) < 1e-5
