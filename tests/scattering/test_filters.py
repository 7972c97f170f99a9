"""Filter banks: Littlewood-Paley sums, frame bounds, tight versions, cropping, the angular wavelets."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from groupconv.scattering import (
    FilterBank,
    angular_wavelet_bank,
    frame_bounds,
    gabor_bank,
    littlewood_paley_sum,
    make_tight,
    morlet_bank,
    parseval_wavelet_bank,
)


def test_littlewood_paley_exactly_one():
    for shape in [(32, 32), (30, 28), (17, 24)]:
        for bank in (
            parseval_wavelet_bank(shape, 2, 4),
            parseval_wavelet_bank(shape, 2, 4, full_circle=True),
        ):
            lp = littlewood_paley_sum(bank)
            assert float((lp - 1).abs().max()) < 1e-12
        a, b = frame_bounds(gabor_bank(shape, 4))
        assert abs(a - 1) < 1e-12 and abs(b - 1) < 1e-12


def test_frame_bounds_morlet_inequality():
    bank = morlet_bank((32, 32), 3, 4)
    a, b = frame_bounds(bank)
    assert 0 < a < b
    x = torch.randn(8, 32, 32, dtype=torch.float64)
    xf = torch.fft.fft2(x)
    e_in = x.pow(2).sum((-2, -1))
    low = torch.fft.ifft2(xf * bank.phi).abs().pow(2).sum((-2, -1))
    high = torch.fft.ifft2(xf[:, None] * bank.psi).abs().pow(2).sum((-3, -2, -1))
    ratio = (low + high) / e_in
    assert bool((ratio >= a * (1 - 1e-12)).all()) and bool((ratio <= b * (1 + 1e-12)).all())
    # the bounds are attained by single (real) DFT modes
    lp = littlewood_paley_sum(bank)
    k = torch.nonzero(lp == lp.max())[0]
    mode = torch.cos(
        2 * np.pi * (k[0] * torch.arange(32)[:, None] + k[1] * torch.arange(32)[None]) / 32
    ).double()
    mf = torch.fft.fft2(mode)
    e = torch.fft.ifft2(mf * bank.phi).abs().pow(2).sum() + torch.fft.ifft2(mf * bank.psi).abs().pow(2).sum()
    assert abs(float(e / mode.pow(2).sum()) - b) < 1e-9


def test_make_tight_morlet():
    tight = make_tight(morlet_bank((32, 32), 3, 8))
    a, b = frame_bounds(tight)
    assert abs(a - 1) < 1e-12 and abs(b - 1) < 1e-12


def test_angular_bank_parseval():
    for L in (1, 4, 6, 8, 16):
        h = angular_wavelet_bank(L)
        assert torch.allclose(h.pow(2).sum(0), torch.ones(L, dtype=torch.float64), atol=1e-14)


def _mirror_index(n: int) -> np.ndarray:
    # the DFT index of -omega on an n-point grid
    return (-np.arange(n)) % n


@pytest.mark.parametrize("shape", [(32, 32), (24, 20), (17, 16)])
def test_morlet_littlewood_paley_sum_and_its_frame_bounds(shape):
    """The real-input Littlewood-Paley sum of a Morlet bank, summed by hand from its definition
    |phi^|^2 + (|psi^(omega)|^2 + |psi^(-omega)|^2) / 2, and its extrema, the computed frame bounds."""
    bank = morlet_bank(shape, 2, 6, convention="standard")
    phi, psi = bank.phi.numpy(), bank.psi.numpy()
    iy, ix = _mirror_index(shape[0]), _mirror_index(shape[1])
    by_hand = np.abs(phi) ** 2
    for p in psi:
        by_hand += 0.5 * (np.abs(p) ** 2 + np.abs(p[iy][:, ix]) ** 2)
    lp = littlewood_paley_sum(bank).numpy()
    np.testing.assert_allclose(lp, by_hand, rtol=1e-13, atol=1e-15)
    a, b = frame_bounds(bank)
    assert a == pytest.approx(by_hand.min(), rel=1e-13) and b == pytest.approx(by_hand.max(), rel=1e-13)
    assert 0 < a < b
    # complex input: no mirror, |phi^|^2 + sum |psi^|^2
    complex_lp = littlewood_paley_sum(bank, real_input=False).numpy()
    np.testing.assert_allclose(complex_lp, np.abs(phi) ** 2 + (np.abs(psi) ** 2).sum(0), rtol=1e-13)
    assert bank.frame_bounds() == (a, b) and bank.littlewood_paley_sum().shape == shape


def test_the_bounds_hold_for_real_signals_and_fail_for_complex_ones():
    """A half-circle bank sees omega and -omega together only for real input: a complex exponential at
    a frequency of the upper half-plane gets the complex Littlewood-Paley value, not the real one."""
    bank = morlet_bank((16, 16), 2, 4, convention="standard")
    real_lp, complex_lp = littlewood_paley_sum(bank), littlewood_paley_sum(bank, real_input=False)
    assert not torch.allclose(real_lp, complex_lp)
    k = (0, 3)
    u = torch.arange(16, dtype=torch.float64)
    wave = torch.exp(2j * torch.pi * (k[0] * u[:, None] + k[1] * u[None, :]) / 16)
    wf = torch.fft.fft2(wave)
    energy = (torch.fft.ifft2(wf * bank.phi).abs() ** 2).sum() + (
        torch.fft.ifft2(wf * bank.psi).abs() ** 2
    ).sum()
    assert float(energy / (wave.abs() ** 2).sum()) == pytest.approx(float(complex_lp[k]), rel=1e-12)


def test_crop_keeps_the_frequencies_of_the_coarser_grid():
    bank = parseval_wavelet_bank((32, 32), 3, 4)
    phi, psi = bank.crop(0)
    assert phi is bank.phi and psi is bank.psi
    phi2, psi2 = bank.crop(2)
    assert phi2.shape == (8, 8) and psi2.shape == (len(bank), 8, 8)
    keep = [k for k in range(32) if abs(np.fft.fftfreq(32, 1 / 32)[k]) < 4 or k == 28]
    assert torch.equal(phi2, bank.phi[keep][:, keep]) and torch.equal(psi2, bank.psi[:, keep][:, :, keep])


def test_make_tight_refuses_a_vanishing_sum_and_gabor_is_tight():
    bank = morlet_bank((16, 16), 2, 4)
    holed = replace(bank, phi=torch.zeros_like(bank.phi), psi=torch.zeros_like(bank.psi))
    with pytest.raises(ValueError, match="vanishes"):
        make_tight(holed)
    tight = make_tight(bank)
    assert tight.name == f"tight {bank.name}" and tight.paths() == bank.paths()
    a, b = frame_bounds(gabor_bank((16, 16), 4))
    assert abs(a - 1) < 1e-12 and abs(b - 1) < 1e-12


def test_bank_metadata():
    bank = parseval_wavelet_bank((16, 16), 2, 4)
    assert isinstance(bank, FilterBank) and len(bank) == 8 and bank.shape == (16, 16)
    assert bank.paths() == [(j, t) for j in range(2) for t in range(4)]
    # an even grid: the Nyquist lines are rescaled to keep the sum 1 there
    assert repr(bank) == "FilterBank(tight parseval wavelets, shape=(16, 16), J=2, L=4, filters=8)"
    h = angular_wavelet_bank(8, 3)  # the average, then K = 3 dyadic bands
    assert h.shape == (4, 8) and torch.allclose(
        h.pow(2).sum(0), torch.ones(8, dtype=torch.float64), atol=1e-14
    )
    with pytest.raises(ValueError, match="K must be >= 1"):
        angular_wavelet_bank(8, 0)
