"""CBN rank on convolutions built with a known frequency support and known ranks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from groupconv.analysis import cbn_rank, conv_transfer_matrices


def _planted_conv(n, c_out, c_in, support, seed, dtype=torch.float64):
    """A full-size (odd n) circular conv whose transfer matrix has rank r at +-k for (k, r) in support, 0 elsewhere.

    The transfer matrices are set at k and their conjugates at -k (real weights); the spatial kernel is
    then the inverse FFT, placed so that a kernel of size n with padding n // 2 acts as that transfer.
    """
    g = np.random.default_rng(seed)
    t = np.zeros((n, n, c_out, c_in), dtype=complex)
    for (k1, k2), r in support.items():
        u = g.standard_normal((c_out, r)) + 1j * g.standard_normal((c_out, r))
        v = g.standard_normal((r, c_in)) + 1j * g.standard_normal((r, c_in))
        if (k1 % n, k2 % n) == ((-k1) % n, (-k2) % n):  # a self-conjugate frequency needs a real matrix
            u, v = u.real, v.real
        m = (u @ v).astype(complex)
        t[k1 % n, k2 % n] = m
        t[(-k1) % n, (-k2) % n] = m.conj()
    # T(w) = conj(fft2(k')) with k' the kernel rolled by -p, so k' = ifft2(conj(T))
    kroll = np.fft.ifft2(np.conj(t).transpose(2, 3, 0, 1), axes=(-2, -1))
    assert np.abs(kroll.imag).max() < 1e-10
    p = n // 2
    kernel = np.roll(kroll.real, shift=(p, p), axis=(-2, -1))
    conv = torch.nn.Conv2d(c_in, c_out, n, padding=p, padding_mode="circular", bias=False).to(dtype)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(kernel))
    return conv, t


@pytest.mark.parametrize("n", [5, 7])
def test_planted_support_and_ranks(n):
    support = {(0, 1): 2, (1, 0): 1, (2, 3): 3, (0, 0): 1}
    conv, t = _planted_conv(n, 5, 4, support, seed=n)
    np.testing.assert_allclose(conv_transfer_matrices(conv, (n, n)).numpy(), t, atol=1e-10)
    model = torch.nn.Sequential(conv, torch.nn.ReLU())
    rep = cbn_rank(model, grid=(n, n), threshold=1e-8)
    (layer,) = rep.select("weight")
    expected = {}
    for (k1, k2), r in support.items():
        for s in (1, -1):
            f = ((s * k1 + n // 2) % n - n // 2, (s * k2 + n // 2) % n - n // 2)
            expected[f] = r
    assert sorted(layer.kept_frequencies) == sorted(expected)
    for f, r in expected.items():
        assert layer.rank_at(*f) == r
    assert layer.cbn_rank == sum(expected.values())
    # activations of the conv output: rank of the per-frequency channel second moment equals the rank of
    # the transfer matrix when the inputs span all channels at every frequency
    x = torch.randn(64, 4, n, n, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    act = cbn_rank(torch.nn.Sequential(conv), x, threshold=1e-8).select("activation")[0]
    np.testing.assert_array_equal(act.ranks, layer.ranks)


def test_transfer_matches_fft_of_output():
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(3, 4, 3, padding=1, padding_mode="circular", bias=False).double()
    x = torch.randn(2, 3, 6, 5, dtype=torch.float64)
    t = conv_transfer_matrices(conv, (6, 5))
    lhs = torch.fft.fft2(conv(x).detach())
    rhs = torch.einsum("ijoc,bcij->boij", t, torch.fft.fft2(x))
    assert (lhs - rhs).abs().max() < 1e-12


def test_float32_and_errors():
    conv, _ = _planted_conv(5, 3, 2, {(1, 1): 1}, seed=0, dtype=torch.float32)
    rep = cbn_rank(torch.nn.Sequential(conv), grid=(5, 5), threshold=1e-4)
    assert rep.select("weight")[0].n_kept == 2
    with pytest.raises(ValueError, match="grid"):
        cbn_rank(torch.nn.Sequential(conv))
    with pytest.raises(ValueError, match="Conv2d"):
        cbn_rank(torch.nn.Linear(2, 2), grid=(4, 4))
    with pytest.raises(ValueError, match="stride 1"):
        conv_transfer_matrices(torch.nn.Conv2d(1, 1, 3, stride=2), (8, 8))


@pytest.mark.cuda
def test_cuda_model():
    conv, _ = _planted_conv(5, 3, 2, {(1, 1): 1}, seed=0)
    x = torch.randn(8, 2, 5, 5, dtype=torch.float64)
    cpu = cbn_rank(torch.nn.Sequential(conv), x, threshold=1e-8)
    gpu = cbn_rank(torch.nn.Sequential(conv).cuda(), x.cuda(), threshold=1e-8)
    for a, b in zip(cpu.layers, gpu.layers):
        np.testing.assert_array_equal(a.ranks, b.ranks)


def test_activation_rank_is_accurate_below_sqrt_eps():
    """A convolution with one input channel has rank-one output covariance at every frequency; its null
    spectrum stays at the rounding level, far below thresholds near sqrt(eps) ~ 1.5e-8."""
    conv = torch.nn.Conv2d(1, 6, 3, padding=1, padding_mode="circular", bias=False).double()
    x = torch.randn(32, 1, 8, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    act = cbn_rank(torch.nn.Sequential(conv), x, threshold=1e-11).select("activation")[0]
    assert act.spectrum.shape == (8, 8, 6)
    assert act.ranks.max() == 1
    assert float(act.spectrum[..., 1:].max()) < 1e-13 * float(act.spectrum.max())
