"""Scattering2D, RotoTranslationScattering: shapes, covariance, equivariance, bad input, devices."""

from __future__ import annotations

import pytest
import torch

from groupconv.scattering import (
    RotoTranslationScattering,
    Scattering2D,
    angular_wavelet_bank,
    morlet_bank,
    parseval_wavelet_bank,
)


def test_shapes_and_path_metadata():
    S = Scattering2D((32, 32), 2, 4, max_order=3)
    out = S(torch.randn(2, 3, 32, 32))
    n1, n2, n3 = 2 * 4, 4 * 4, 0
    assert out.shape == (2, 3, 1 + n1 + n2 + n3, 8, 8)
    assert S.paths_meta[0] == () and len(S.paths_meta) == out.shape[2]
    table = S.path_table()
    assert [r["order"] for r in table] == sorted(r["order"] for r in table)
    assert all(list(r["j"]) == sorted(set(r["j"])) for r in table)
    assert S.state_dict() == {} or all(not k.startswith("_") for k in S.state_dict())


def test_subsampled_equals_full_resolution_subsampled_at_order_one():
    """With subsampling, order 0 and 1 coefficients are the full-resolution ones sampled on the 2^J grid
    (aliasing-free for order 0; exact by construction for order 1 as U_1 is sampled, not filtered)."""
    x = torch.randn(2, 32, 32, dtype=torch.float64)
    bank = parseval_wavelet_bank((32, 32), 2, 4)
    sub = Scattering2D((32, 32), 2, 4, max_order=1, filters=bank).double()(x)
    full = Scattering2D((32, 32), 2, 4, max_order=1, filters=bank, subsample=False).double()(x)
    assert torch.allclose(sub[:, 0], full[:, 0, ::4, ::4], atol=1e-12)


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-10), (torch.float32, 1e-5)])
def test_translation_covariance(dtype, tol):
    J = 2
    S = Scattering2D((32, 32), J, 4, max_order=2).to(dtype)
    x = torch.randn(2, 32, 32, dtype=dtype)
    out = S(x)
    for dy, dx in [(4, 0), (0, 8), (12, 4)]:
        shifted = S(torch.roll(x, (dy, dx), (-2, -1)))
        expect = torch.roll(out, (dy // 2**J, dx // 2**J), (-2, -1))
        assert float((shifted - expect).abs().max() / out.abs().max()) < tol


def test_float64_via_double_is_float64_accurate():
    x = torch.randn(2, 16, 16, dtype=torch.float64)
    a = Scattering2D((16, 16), 2, 4).double()(x)
    b = Scattering2D((16, 16), 2, 4).float().double()(x)
    assert torch.equal(a, b)


@pytest.mark.parametrize("paths", ["increasing", "all"])
@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-10), (torch.float32, 1e-5)])
def test_roto_translation_rot90_equivariance(dtype, tol, paths):
    R = RotoTranslationScattering((16, 16), 2, 8, max_order=2, subsample=False, paths=paths).to(dtype)
    x = torch.randn(2, 16, 16, dtype=dtype)
    out = R(x)
    rot = R(torch.rot90(x, 1, (-2, -1)))
    expect = torch.rot90(out.roll(R.L // 4, -3), 1, (-2, -1))
    assert float((rot - expect).abs().max() / out.abs().max()) < tol
    # not trivially invariant: the orientation axis does carry information
    assert float((rot - torch.rot90(out, 1, (-2, -1))).abs().max() / out.abs().max()) > 1e-3
    inv, inv_rot = out.mean(-3), rot.mean(-3)
    assert float((inv_rot - torch.rot90(inv, 1, (-2, -1))).abs().max() / inv.abs().max()) < tol
    g, g_rot = inv.mean((-2, -1)), inv_rot.mean((-2, -1))
    assert float((g - g_rot).abs().max() / g.abs().max()) < tol


def test_roto_translation_subsampled_invariant():
    R = RotoTranslationScattering((16, 16), 2, 4, max_order=2)
    x = torch.randn(3, 16, 16, dtype=torch.float64)
    R = R.double()
    out = R(x)
    assert out.shape == (3, R.n_paths, 4, 4, 4)
    assert len(R.paths_meta) == R.n_paths
    a = R.invariant(x).mean((-2, -1))
    b = R.invariant(torch.rot90(x, 1, (-2, -1))).mean((-2, -1))
    assert float((a - b).abs().max() / a.abs().max()) < 1e-10


def test_angular_bank_parseval():
    for L in (1, 4, 6, 8, 16):
        h = angular_wavelet_bank(L)
        assert torch.allclose(h.pow(2).sum(0), torch.ones(L, dtype=torch.float64), atol=1e-14)


def test_bad_input():
    with pytest.raises(ValueError, match="too large"):
        Scattering2D((16, 16), 5, 4)
    with pytest.raises(ValueError, match="L must be"):
        Scattering2D((16, 16), 2, 0)
    with pytest.raises(ValueError, match="J must be"):
        morlet_bank((16, 16), 0, 4)
    with pytest.raises(ValueError, match="divisible"):
        Scattering2D((18, 16), 2, 4)
    with pytest.raises(ValueError, match="paths='all' needs subsample=False"):
        Scattering2D((16, 16), 2, 4, paths="all")
    S = Scattering2D((16, 16), 2, 4)
    with pytest.raises(ValueError, match="non-finite"):
        S(torch.full((1, 16, 16), float("nan")))
    with pytest.raises(ValueError, match="shape"):
        S(torch.randn(1, 16, 15))
    with pytest.raises(TypeError, match="float64 input"):
        S(torch.randn(1, 16, 16, dtype=torch.float64))
    with pytest.raises(ValueError, match="subsample=False"):
        S.energies(torch.randn(1, 16, 16))
    with pytest.raises(ValueError, match="does not match"):
        Scattering2D((16, 16), 2, 4, filters=morlet_bank((32, 32), 2, 4))
    R = RotoTranslationScattering((16, 16), 2, 4)
    with pytest.raises(ValueError, match="non-finite"):
        R(torch.full((1, 16, 16), float("inf")))


@pytest.mark.cuda
def test_cuda_matches_cpu():
    x = torch.randn(2, 32, 32)
    for net in (
        Scattering2D((32, 32), 2, 4, max_order=2),
        RotoTranslationScattering((32, 32), 2, 4, max_order=2),
    ):
        cpu = net(x)
        gpu = net.to("cuda")(x.to("cuda")).cpu()
        assert float((cpu - gpu).abs().max() / cpu.abs().max()) < 1e-5


def test_chunked_batches_match_and_gradients_flow():
    """The CPU forward runs the batch in chunks of at least two images (``chunk_bytes``); any chunking
    gives the same coefficients and energies, and gradients pass through (gradcheck in float64)."""
    S = Scattering2D((16, 16), 2, 4, max_order=2).double()
    x = torch.randn(5, 16, 16, dtype=torch.float64)
    whole = S(x)
    S.chunk_bytes = 1  # chunks of two images
    assert len(S._chunks(x)) == 3
    assert torch.allclose(S(x), whole, rtol=0, atol=1e-14)
    full = Scattering2D((16, 16), 2, 4, max_order=2, subsample=False, paths="all").double()
    W, E = full.energies(x)
    full.chunk_bytes = 1
    W2, E2 = full.energies(x)
    assert torch.allclose(W, W2, rtol=1e-14) and torch.allclose(E, E2, rtol=1e-14)
    small = Scattering2D((8, 8), 1, 2, max_order=2).double()
    small_full = Scattering2D((8, 8), 1, 2, max_order=2, subsample=False, paths="all").double()
    xg = torch.randn(2, 8, 8, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(small, (xg,), eps=1e-6, atol=1e-6)
    assert torch.autograd.gradcheck(small_full, (xg[:1],), eps=1e-6, atol=1e-6)


def test_roto_translation_gradients_and_no_grad_agree():
    """The in-place modulus of the no-grad forward and the autograd one give the same coefficients, and
    gradients pass through the joint layers (gradcheck in float64)."""
    R = RotoTranslationScattering((8, 8), 1, 4, max_order=2, subsample=False).double()
    x = torch.randn(2, 8, 8, dtype=torch.float64, requires_grad=True)
    with torch.no_grad():
        plain = R(x)
    assert torch.allclose(R(x), plain, rtol=0, atol=1e-14)
    assert torch.autograd.gradcheck(R, (x,), eps=1e-6, atol=1e-6)


def test_roto_translation_chunks_match_whole_batch():
    R = RotoTranslationScattering((16, 16), 2, 4, max_order=3).double()
    full = RotoTranslationScattering((16, 16), 2, 4, max_order=2, subsample=False, paths="all").double()
    x = torch.randn(3, 16, 16, dtype=torch.float64)
    for net in (R, full):
        net.chunk_bytes = 2**40
        assert len(net._chunks(x)) == 1
        whole = net(x)
        net.chunk_bytes = 1
        assert len(net._chunks(x)) == 3
        assert torch.allclose(net(x), whole, rtol=0, atol=1e-14)
    W, E = full.energies(x)
    full.chunk_bytes = 2**40
    W2, E2 = full.energies(x)
    assert torch.allclose(W, W2, rtol=1e-14) and torch.allclose(E, E2, rtol=1e-14)
