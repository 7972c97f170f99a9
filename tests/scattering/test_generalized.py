"""Generalized scattering (Wiatowski & Bolcskei 2018): the non-linearities, pooling, one layer, the network,
their energy bounds, bad input and the certificate of a layer's bank."""

from __future__ import annotations

import pytest
import torch

from groupconv.nn.module import EquivariantModule
from groupconv.scattering import (
    GeneralizedScattering,
    Modulus,
    Pooling,
    RealReLU,
    ScatteringLayer,
    SoftModulus,
    frame_bounds,
    gabor_bank,
    morlet_bank,
    parseval_wavelet_bank,
)
from groupconv.verify.energy import check_energy


def test_layer_bounds_seen_by_check_energy():
    bank = morlet_bank((16, 16), 2, 4)
    net = GeneralizedScattering([bank, bank])
    report = check_energy(net, torch.randn(4, 16, 16))
    assert report.passed
    a, b = net.layers[0].frame_bounds()
    assert (a, b) == frame_bounds(bank)
    relu_net = GeneralizedScattering([bank], nonlinearity=RealReLU())
    assert relu_net.layers[0].frame_bounds() == (0.0, frame_bounds(bank)[1])


def test_pooling_shapes():
    b0, b1 = parseval_wavelet_bank((32, 32), 2, 2), parseval_wavelet_bank((16, 16), 1, 2)
    net = GeneralizedScattering([b0, b1], pooling=[Pooling("average", 2), None])
    outs = net(torch.randn(2, 32, 32))
    assert [tuple(o.shape) for o in outs] == [(2, 1, 32, 32), (2, 4, 16, 16), (2, 8, 16, 16)]
    with pytest.raises(ValueError, match="bank 1 has shape"):
        GeneralizedScattering([b0, b0], pooling=2)


def test_nonlinearities_match_their_formulas_and_energy_bounds():
    z = torch.randn(4, 3, 5, 5, dtype=torch.complex128)
    torch.testing.assert_close(Modulus()(z), z.abs(), rtol=0, atol=0)
    torch.testing.assert_close(RealReLU()(z), z.real.clamp_min(0), rtol=0, atol=0)
    torch.testing.assert_close(SoftModulus(0.5)(z), (z.abs() - 0.5).clamp_min(0), rtol=0, atol=0)
    x = torch.randn(10)
    assert torch.equal(RealReLU()(x), x.clamp_min(0))
    for m in (Modulus(), RealReLU(), SoftModulus(0.3)):
        a, b = m.energy_bounds
        e = m(z).abs().square()
        assert bool((e >= a * z.abs().square() - 1e-12).all()) and bool(
            (e <= b * z.abs().square() + 1e-12).all()
        )
    with pytest.raises(ValueError, match="threshold must be >= 0"):
        SoftModulus(-1.0)
    with pytest.raises(TypeError, match="Modulus takes a torch.Tensor, got list"):
        Modulus()([1.0])


def test_pooling_values_and_bad_arguments():
    u = torch.arange(32.0).reshape(2, 4, 4)
    assert torch.equal(Pooling("subsample", 2)(u), u[:, ::2, ::2] * 2)
    blocks = u.reshape(2, 2, 2, 2, 2).mean((-3, -1)) * 2
    assert torch.equal(Pooling("average", 2)(u), blocks)
    assert Pooling("average", 1)(u) is u
    with pytest.raises(ValueError, match="pooling kind"):
        Pooling("max", 2)
    with pytest.raises(ValueError, match="pooling factor"):
        Pooling("average", 0)
    assert repr(Pooling("average", 2)) == "Pooling(kind='average', factor=2)"


def test_layer_equals_filtering_by_hand():
    bank = gabor_bank((8, 8), 2)
    layer = ScatteringLayer(bank, RealReLU()).double()
    u = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    out = layer(u)
    uf = torch.fft.fft2(u)
    low = torch.fft.ifft2(uf * bank.phi).real
    high = torch.fft.ifft2(uf[:, :, None] * bank.psi).real.clamp_min(0)
    torch.testing.assert_close(out, torch.cat([low[:, :, None], high], 2), rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match=r"expects \(B, P, 8, 8\)"):
        layer(torch.randn(2, 8, 8, dtype=torch.float64))
    with pytest.raises(TypeError, match="takes a FilterBank"):
        ScatteringLayer("morlet")


def test_network_bad_arguments():
    bank = parseval_wavelet_bank((16, 16), 2, 4)
    with pytest.raises(TypeError, match="non-empty sequence of FilterBank"):
        GeneralizedScattering([])
    with pytest.raises(ValueError, match="one non-linearity and one pooling per layer"):
        GeneralizedScattering([bank, bank], nonlinearity=[Modulus()])
    with pytest.raises(ValueError, match="not divisible by the pooling factor 3"):
        GeneralizedScattering([bank, parseval_wavelet_bank((5, 5), 1, 4)], pooling=3)
    net = GeneralizedScattering([bank])
    with pytest.raises(ValueError, match="non-finite"):
        net(torch.full((1, 16, 16), float("nan")))
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 16, 16\)"):
        net(torch.randn(1, 8, 8))


def test_untyped_modules_and_the_certificate_of_a_layer():
    bank = parseval_wavelet_bank((16, 16), 2, 4)
    net = GeneralizedScattering([bank, bank], pooling=None)
    for m in [net, *net.layers, *net.pools, net.layers[0].nonlinearity]:
        assert isinstance(m, EquivariantModule) and m.in_type is None and m.out_type is None
    cert = net.layers[0].certificate()
    assert cert.status == "proved" and cert.residual < 1e-10
    morlet = ScatteringLayer(morlet_bank((16, 16), 2, 4)).certificate()
    assert morlet.status == "not applicable" and "morlet" in morlet.reason
    # the filters are derived buffers: not in the state_dict, rebuilt exactly from float64
    assert list(net.state_dict()) == []
    layer = net.layers[0]
    assert torch.equal(layer.float().double()._psi, layer.derived_master("_psi"))
