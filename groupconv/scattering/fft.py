"""The Fourier-domain steps shared by the scattering transforms: subsampling by periodization, filtering
folded with subsampling, the full spectrum of a real map from its real FFT, the real low-pass output,
and the modulus.

Every filter is a Fourier-domain multiplier on the DFT grid of an ``M x N`` map; subsampling a map by
``k`` in space is periodizing its spectrum by ``k`` (:func:`periodize`), so a filter followed by
subsampling is one product and one fold, computed without forming the full-resolution product.

>>> import torch
>>> from groupconv.scattering.fft import periodize
>>> x = torch.randn(8, 8, dtype=torch.float64)
>>> y = torch.fft.ifft2(periodize(torch.fft.fft2(x), 2)).real
>>> torch.allclose(y, x[::2, ::2])
True
"""

from __future__ import annotations

import torch

__all__ = ["periodize"]


def periodize(x: torch.Tensor, k: int) -> torch.Tensor:
    """Fourier-domain subsampling by ``k`` in both axes: the DFT of ``IDFT(x)[::k, ::k]``.

    .. math::  \\hat y(\\omega) = \\frac{1}{k^2} \\sum_{a, b < k} \\hat x(\\omega + 2\\pi (a, b) / k).
    """
    if k == 1:
        return x
    *lead, M, N = x.shape
    return x.reshape(*lead, k, M // k, k, N // k).mean((-4, -2))


def _filter_fold(uf: torch.Tensor, filt: torch.Tensor, k: int) -> torch.Tensor:
    """``periodize(uf[:, :, None] * filt, k)`` for ``uf`` ``(B, P, M, N)`` and ``filt`` ``(F, M, N)``,
    ``(B, P, F, M / k, N / k)``.

    The ``k^2`` aliased blocks are accumulated in place into the ``(B, P, F, M / k, N / k)`` output with
    one fused multiply-add each: the full-resolution product is never formed (kymatio forms it per filter,
    then averages it), and no operand is copied into another layout. ``filt`` carries the factor
    ``1 / k^2`` of the periodization already and is cast to the dtype of ``uf``.
    """
    filt = filt.to(uf.dtype)
    if k == 1:
        return uf.unsqueeze(2) * filt
    B, P, M, N = uf.shape
    m, n = M // k, N // k
    u = uf.reshape(B, P, 1, k, m, k, n)
    w = filt.reshape(-1, k, m, k, n)
    out = u[:, :, :, 0, :, 0] * w[:, 0, :, 0]
    for a in range(k):
        for c in range(k):
            if a or c:
                out.addcmul_(u[:, :, :, a, :, c], w[:, a, :, c])
    return out


def _full_spectrum(half: torch.Tensor, N: int) -> torch.Tensor:
    """The ``(..., M, N)`` DFT of a real signal from its ``rfft2`` half ``(..., M, N // 2 + 1)``, by
    Hermitian symmetry ``X[k_1, k_2] = conj(X[-k_1, N - k_2])``."""
    M = half.shape[-2]
    rows = (-torch.arange(M, device=half.device)) % M
    upper = half[..., 1 : (N + 1) // 2].index_select(-2, rows).flip(-1).conj()
    return torch.cat([half, upper], -1)


def _lowpass(half: torch.Tensor, phi_half: torch.Tensor, k: int, N: int) -> torch.Tensor:
    """``IDFT(periodize(X phi, k))`` for the real maps whose ``rfft2`` half is ``half`` ``(..., M, N // 2 +
    1)`` and a real even low-pass ``phi`` given by its half ``phi_half``: the real maps ``(..., M / k,
    N / k)``.

    The product is Hermitian, so the rows are periodized in the frequency domain (the DFT of the
    row-subsampled map), the inverse is a real FFT, and the columns are subsampled in space.
    ``phi_half`` carries the factor ``1 / (M N)`` of the fold and of the inverse transform already.
    """
    M = half.shape[-2]
    m = M // k
    phi_half = phi_half.to(half.real.dtype)
    out = half[..., :m, :] * phi_half[:m]
    for a in range(1, k):
        out.addcmul_(half[..., a * m : (a + 1) * m, :], phi_half[a * m : (a + 1) * m])
    y = torch.fft.irfft2(out, s=(m, N), norm="forward")
    return y if k == 1 else y[..., ::k]


def _modulus(y: torch.Tensor) -> torch.Tensor:
    """``|y|`` of a complex tensor. Without autograd ``y`` is overwritten: its real view is squared in
    place and the halves summed, ``sqrt(re^2 + im^2)`` in three passes (``abs`` is about twice as slow on
    CPU); with autograd ``abs`` (whose gradient at 0 is 0, where the square root's is not finite)."""
    if y.requires_grad and torch.is_grad_enabled():
        return y.abs()
    r = torch.view_as_real(y).square_()
    return torch.add(r[..., 0], r[..., 1]).sqrt_()


def _even_part(phi: torch.Tensor) -> torch.Tensor:
    """``(phi(omega) + phi(-omega)) / 2`` of a real Fourier-domain filter: the part of it that acts on a
    real signal's real output, ``Re IDFT(X phi) = IDFT(X phi_even)`` for real ``x``."""
    mirror = torch.roll(phi.flip(-2, -1), (1, 1), (-2, -1))
    return (phi + mirror) / 2
