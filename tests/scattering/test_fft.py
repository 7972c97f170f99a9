"""The Fourier-domain steps of the scattering transforms, each against its definition in space."""

from __future__ import annotations

import pytest
import torch

from groupconv.scattering.fft import _even_part, _filter_fold, _full_spectrum, _lowpass, _modulus, periodize


def _real(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


@pytest.mark.parametrize("k", [1, 2, 4])
def test_periodize_is_subsampling_in_space(k):
    x = _real(3, 16, 8) + 1j * _real(3, 16, 8, seed=1)
    y = torch.fft.ifft2(periodize(torch.fft.fft2(x), k))
    torch.testing.assert_close(y, x[..., ::k, ::k], rtol=1e-12, atol=1e-12)
    assert periodize(x, 1) is x


@pytest.mark.parametrize("k", [1, 2])
def test_filter_fold_is_filtering_then_periodizing(k):
    uf = torch.fft.fft2(_real(2, 3, 8, 8))
    filt = torch.fft.fft2(_real(4, 8, 8, seed=2))
    expected = periodize(uf[:, :, None] * filt, k)
    # the filter carries the periodization's 1 / k^2
    torch.testing.assert_close(_filter_fold(uf, filt / k**2, k), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("N", [8, 7])
def test_full_spectrum_from_the_real_fft(N):
    x = _real(2, 6, N)
    torch.testing.assert_close(
        _full_spectrum(torch.fft.rfft2(x), N), torch.fft.fft2(x), rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize("k", [1, 2, 4])
def test_lowpass_is_the_subsampled_real_output(k):
    M, N = 8, 16
    x = _real(3, M, N)
    phi = _even_part(torch.rand(M, N, generator=torch.Generator().manual_seed(3), dtype=torch.float64))
    expected = torch.fft.ifft2(torch.fft.fft2(x) * phi).real[..., ::k, ::k]
    got = _lowpass(torch.fft.rfft2(x), phi[..., : N // 2 + 1] / (M * N), k, N)
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)


def test_modulus_with_and_without_autograd():
    y = _real(4, 5) + 1j * _real(4, 5, seed=1)
    expected = y.abs()
    torch.testing.assert_close(_modulus(y.clone()), expected, rtol=1e-15, atol=0)
    leaf = y.clone().requires_grad_()
    out = _modulus(leaf)
    out.sum().backward()
    torch.testing.assert_close(leaf.grad, y / y.abs(), rtol=1e-12, atol=1e-12)


def test_even_part_acts_on_real_signals_as_the_filter():
    phi = torch.rand(6, 6, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    even = _even_part(phi)
    mirror = torch.roll(even.flip(-2, -1), (1, 1), (-2, -1))
    assert torch.equal(even, mirror) or torch.allclose(even, mirror, rtol=0, atol=1e-15)
    x = _real(2, 6, 6)
    real_out = torch.fft.ifft2(torch.fft.fft2(x) * phi).real
    torch.testing.assert_close(
        torch.fft.ifft2(torch.fft.fft2(x) * even).real, real_out, rtol=1e-12, atol=1e-12
    )
    assert torch.fft.ifft2(torch.fft.fft2(x) * even).imag.abs().max() < 1e-14
