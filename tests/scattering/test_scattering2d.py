"""Scattering2D: shapes, paths, translation covariance, dtypes, bad input, devices, chunking, gradients,
energy bounds and the certificate of its bank."""

from __future__ import annotations

import pytest
import torch

from groupconv.nn.module import Certificate, EquivariantModule
from groupconv.scattering import (
    RotoTranslationScattering,
    Scattering2D,
    morlet_bank,
    parseval_wavelet_bank,
    periodize,
)
from groupconv.verify.energy import check_energy


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


@pytest.mark.cuda
def test_cuda_matches_cpu():
    x = torch.randn(2, 32, 32)
    for net in (Scattering2D((32, 32), 2, 4, max_order=2),):
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


def test_scattering2d_bounds_seen_by_check_energy():
    x = torch.randn(3, 16, 16, dtype=torch.float64)
    for bank in (morlet_bank((16, 16), 2, 4), parseval_wavelet_bank((16, 16), 2, 4)):
        net = Scattering2D((16, 16), 2, 4, max_order=2, filters=bank, subsample=False)
        report = check_energy(torch.nn.Sequential(net), x)
        assert len(report.rows) == 1 and report.passed and report.rows[0].upper_bound >= 1


def test_certificate_proves_the_parseval_bank_and_names_a_planted_defect():
    tight = Scattering2D((32, 32), J=2, L=4, max_order=1, filters="parseval", subsample=False)
    cert = tight.certificate()
    assert isinstance(cert, Certificate) and cert.status == "proved" and cert.residual < 1e-10
    assert "half circle" in cert.reason and "A = B = 1" in cert.reason
    full = Scattering2D((32, 32), J=2, L=4, filters=parseval_wavelet_bank((32, 32), 2, 4, full_circle=True))
    assert full.certificate().status == "proved" and "full circle" in full.certificate().reason
    a, b = tight.bank_frame_bounds()
    tight._frame_bounds = (a, b * 1.01)
    cert = tight.certificate()
    assert cert.status == "failed" and "frame bounds" in cert.reason and cert.residual > 1e-3
    morlet = Scattering2D((32, 32), J=2, L=4).certificate()
    assert morlet.status == "not applicable" and "morlet (kymatio)" in morlet.reason


def test_an_image_transform_without_field_types():
    s = Scattering2D((16, 16), 2, 4)
    assert isinstance(s, EquivariantModule) and s.in_type is None and s.out_type is None
    x = torch.randn(2, 3, 16, 16)
    assert s.check_input(x) is x  # any leading axes: (..., M, N)
    assert "type=" not in repr(s) and "J=2" in repr(s)


def test_the_former_module_still_exports_its_names():
    from groupconv.scattering import scattering2d

    assert scattering2d.RotoTranslationScattering is RotoTranslationScattering
    assert scattering2d.periodize is periodize
