"""The solid harmonic filter bank: its normalization (kymatio's closed forms), its inverse transform against
the spatial formula, the Hermitian / Nyquist split, and its Littlewood-Paley sum."""

from __future__ import annotations

import math

import pytest
import torch

from groupconv.reps.spatial import spherical_harmonics
from groupconv.scattering.solid_harmonics import (
    solid_harmonic_bank,
    solid_harmonic_constant,
    solid_harmonic_power,
)


def _double_factorial(n: int) -> int:
    return math.prod(range(n, 0, -2))


@pytest.mark.parametrize("l", range(7))
def test_constant_equals_kymatios_even_and_odd_forms(l):
    if l % 2 == 0:
        expected = 1 / (2 * math.pi * math.sqrt(l + 0.5) * _double_factorial(l + 1))
    else:
        expected = 1 / (
            2 ** (0.5 * (l + 3)) * math.sqrt(math.pi * (2 * l + 1)) * math.factorial((l + 1) // 2)
        )
    assert solid_harmonic_constant(l) == pytest.approx(expected, rel=1e-14)


def test_inverse_transform_is_the_spatial_wavelet():
    """sigma = 2.5 on 40^3: the Gaussian is about 4e-14 at the band edge (exp(-sigma^2 pi^2 / 2)) and
    1e-14 at the periodic images (exp(-20^2 / (2 sigma^2))), so the inverse DFT of the sampled
    spectrum is the spatial formula of the module docstring."""
    n, sigma, L = 40, 2.5, 3
    bank = solid_harmonic_bank((n, n, n), J=0, L=L, sigma_0=sigma)
    spatial = torch.fft.irfftn(bank.filters[0], s=(n, n, n), dim=(-3, -2, -1))
    c = torch.fft.fftfreq(n, 1 / n, dtype=torch.float64)
    grid = torch.stack(torch.meshgrid(c, c, c, indexing="ij"), -1)
    r = grid.norm(dim=-1)
    u = grid.flip(-1).clone()  # (x, y, z) = axes (2, 1, 0)
    u[r == 0] = torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64)
    row = 0
    for l in range(L + 1):
        y = spherical_harmonics(l, u).movedim(-1, 0) / math.sqrt(4 * math.pi)
        psi = (
            solid_harmonic_constant(l) / sigma**3 * (r / sigma) ** l * torch.exp(-(r**2) / (2 * sigma**2)) * y
        )
        got = spatial[row : row + 2 * l + 1]
        assert float((got - psi).abs().max() / psi.abs().max()) < 1e-10
        row += 2 * l + 1


def test_unit_mass_gaussian_and_zero_mean_wavelets():
    bank = solid_harmonic_bank((9, 9, 9), J=0, L=2, sigma_0=1.5)
    dc = bank.filters[0, :, 0, 0, 0]
    assert dc[0].real.item() == pytest.approx(1.0, abs=1e-14)
    assert dc[1:].abs().max().item() == 0.0


def test_layout_and_nyquist_split():
    odd = solid_harmonic_bank((7, 9, 5), J=1, L=2)
    assert odd.filters.shape == (2, 9, 7, 9, 3)
    assert odd.degree.tolist() == [0, 1, 1, 1, 2, 2, 2, 2, 2]
    assert odd.nyquist == (None, None, None)
    even = solid_harmonic_bank((8, 6, 10), J=1, L=2)
    assert all(p is not None for p in even.nyquist)
    assert even.nyquist[0].shape == (2, 9, 6, 6)
    assert even.nyquist[1].shape == (2, 9, 8, 6)
    assert even.nyquist[2].shape == (2, 9, 8, 6)
    # the Gaussians are even functions: no anti-Hermitian part
    assert all(float(p[:, 0].abs().max()) == 0.0 for p in even.nyquist)
    # coarse scales vanish at the Nyquist planes below the cutoff
    coarse = solid_harmonic_bank((8, 8, 8), J=3, L=2)
    assert float(coarse.nyquist[0][3].abs().max()) == 0.0
    single = solid_harmonic_bank((8, 8, 8), J=0, L=2, rotation_covariant=False)
    assert single.degree.tolist() == [0, 0, 1, 1, 2, 2] and single.nyquist == (None, None, None)


@pytest.mark.parametrize("rc", [True, False])
def test_power_is_the_squared_filters_off_the_nyquist_planes(rc):
    bank = solid_harmonic_bank((7, 7, 7), J=1, L=3, rotation_covariant=rc)
    for j in range(2):
        p = solid_harmonic_power((7, 7, 7), bank.sigma(j), 3, rc)[..., :4]
        got = torch.zeros_like(p).index_add_(0, bank.degree, bank.filters[j].abs() ** 2)
        assert torch.allclose(got, p, rtol=1e-12, atol=1e-15)


def test_littlewood_paley_sum_and_frame_bounds():
    bank = solid_harmonic_bank((12, 12, 12), J=2, L=3)
    lp = bank.littlewood_paley_sum()
    assert lp[0, 0, 0].item() == pytest.approx(3.0, rel=1e-12)
    A, B = bank.frame_bounds()
    assert (A, B) == (float(lp.min()), float(lp.max()))
    assert B >= 3.0 - 1e-12 and 0 < A < 0.01
