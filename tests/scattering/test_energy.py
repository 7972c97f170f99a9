"""Energy identity, frame bounds and energy propagation of scattering networks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from groupconv.scattering import (
    GeneralizedScattering,
    Pooling,
    RealReLU,
    RotoTranslationScattering,
    Scattering2D,
    depth_for_energy,
    energy_per_layer,
    frame_bounds,
    gabor_bank,
    littlewood_paley_sum,
    make_tight,
    morlet_bank,
    parseval_wavelet_bank,
)
from groupconv.verify.energy import check_energy


def _images(size: int = 24) -> torch.Tensor:
    skd = pytest.importorskip("skimage.data")
    crops = []
    for name in ("camera", "brick", "grass"):
        img = getattr(skd, name)().astype(np.float64) / 255.0
        crops.append(torch.from_numpy(img[200 : 200 + size, 100 : 100 + size].copy()))
    return torch.stack(crops)


def _identity_error(net, x):
    p = energy_per_layer(net, x)
    depth = p.depth
    lhs = p.input_energy
    rhs = p.output[:depth].sum(0) + p.propagated[depth]
    return float(((lhs - rhs).abs() / lhs).max()), p


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_parseval_energy_identity_real_images(depth):
    x = torch.cat([_images(), torch.randn(2, 24, 24, dtype=torch.float64)])
    bank = parseval_wavelet_bank((24, 24), 2, 2)
    net = Scattering2D((24, 24), 2, 2, max_order=depth, filters=bank, subsample=False, paths="all")
    err64, p = _identity_error(net.double(), x)
    assert err64 < 1e-12
    assert float(p.identity_defect().abs().max()) < 1e-12
    err32, _ = _identity_error(net.float(), x.float())
    assert err32 < 1e-6


@pytest.mark.parametrize("bank_fn", [lambda s: parseval_wavelet_bank(s, 2, 3), lambda s: gabor_bank(s, 3)])
def test_generalized_identity_random(bank_fn):
    x = torch.randn(3, 20, 20, dtype=torch.float64)
    net = GeneralizedScattering([bank_fn((20, 20))] * 3).double()
    err, _ = _identity_error(net, x)
    assert err < 1e-12
    err32, _ = _identity_error(net.float(), x.float())
    assert err32 < 1e-6


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


def test_layer_bounds_seen_by_check_energy():
    bank = morlet_bank((16, 16), 2, 4)
    net = GeneralizedScattering([bank, bank])
    report = check_energy(net, torch.randn(4, 16, 16))
    assert report.passed
    a, b = net.layers[0].frame_bounds()
    assert (a, b) == frame_bounds(bank)
    relu_net = GeneralizedScattering([bank], nonlinearity=RealReLU())
    assert relu_net.layers[0].frame_bounds() == (0.0, frame_bounds(bank)[1])


def test_energy_decays_and_depth_estimate():
    x = _images(32)
    bank = parseval_wavelet_bank((32, 32), 2, 4)
    p = energy_per_layer(GeneralizedScattering([bank] * 4).double(), x)
    w = (p.propagated / p.input_energy).mean(1)
    assert bool((w[1:] < w[:-1]).all())
    assert 0 < p.decay_rate() < 1
    d = depth_for_energy(0.1, bank.info["delta"], 5 / 3, propagation=p, x=x)
    assert d["measured"] is not None and d["measured"] <= 4
    assert d["bound_on_signal"] <= d["bound"]
    assert d["measured"] <= d["bound_on_signal"]


def test_scattering2d_bounds_seen_by_check_energy():
    x = torch.randn(3, 16, 16, dtype=torch.float64)
    for bank in (morlet_bank((16, 16), 2, 4), parseval_wavelet_bank((16, 16), 2, 4)):
        net = Scattering2D((16, 16), 2, 4, max_order=2, filters=bank, subsample=False)
        report = check_energy(torch.nn.Sequential(net), x)
        assert len(report.rows) == 1 and report.passed and report.rows[0].upper_bound >= 1


def test_pooling_shapes():
    b0, b1 = parseval_wavelet_bank((32, 32), 2, 2), parseval_wavelet_bank((16, 16), 1, 2)
    net = GeneralizedScattering([b0, b1], pooling=[Pooling("average", 2), None])
    outs = net(torch.randn(2, 32, 32))
    assert [tuple(o.shape) for o in outs] == [(2, 1, 32, 32), (2, 4, 16, 16), (2, 8, 16, 16)]
    with pytest.raises(ValueError, match="bank 1 has shape"):
        GeneralizedScattering([b0, b0], pooling=2)


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_roto_translation_energy_identity_real_images(depth):
    """Every path (paths='all'), Parseval full-circle bank and Parseval angular wavelets: each joint
    layer conserves energy, so ||f||^2 = sum_{n<N} |||Phi^n f|||^2 + W_N f."""
    x = torch.cat([_images(16), torch.randn(1, 16, 16, dtype=torch.float64)])
    net = RotoTranslationScattering((16, 16), 2, 4, max_order=depth, subsample=False, paths="all")
    err64, p = _identity_error(net.double(), x)
    assert err64 < 1e-12
    err32, _ = _identity_error(net.float(), x.float())
    assert err32 < 1e-6
    # the frequency-decreasing paths keep less energy, and never more than the input's
    inc = RotoTranslationScattering((16, 16), 2, 4, max_order=depth, subsample=False).double()
    q = energy_per_layer(inc, x)
    kept = q.output[: q.depth].sum(0) + q.propagated[q.depth]
    assert bool((kept <= q.input_energy * (1 + 1e-12)).all())
    if depth >= 2:
        assert bool((kept < q.input_energy * (1 - 1e-9)).all())


def test_roto_translation_bounds_seen_by_check_energy():
    x = torch.randn(3, 16, 16, dtype=torch.float64)
    for paths in ("increasing", "all"):
        net = RotoTranslationScattering((16, 16), 2, 4, max_order=2, subsample=False, paths=paths)
        a, b = net.frame_bounds()
        assert b == pytest.approx(1.0, abs=1e-12)
        assert (a is None) == (paths == "increasing")
        report = check_energy(torch.nn.Sequential(net.double()), x)
        assert report.passed and any("[identity]" in r.layer for r in report.rows)
    assert RotoTranslationScattering((16, 16), 2, 4).frame_bounds() == (None, None)
    # a Morlet bank is not tight: the upper bound is the bank's, raised to the number of layers
    morlet = morlet_bank((16, 16), 2, 4, convention="standard", full_circle=True)
    net = RotoTranslationScattering((16, 16), 2, 4, max_order=2, filters=morlet, subsample=False)
    assert net.frame_bounds()[1] == pytest.approx(max(1.0, frame_bounds(morlet)[1]) ** 3)
    report = check_energy(torch.nn.Sequential(net.double()), x)
    assert report.passed


def test_roto_translation_paths_bad_input():
    with pytest.raises(ValueError, match="paths"):
        RotoTranslationScattering((16, 16), 2, 4, paths="some")
    with pytest.raises(ValueError, match="subsample=False"):
        RotoTranslationScattering((16, 16), 2, 4, paths="all")
    with pytest.raises(ValueError, match="subsample=False"):
        RotoTranslationScattering((16, 16), 2, 4).energies(torch.randn(1, 16, 16))
