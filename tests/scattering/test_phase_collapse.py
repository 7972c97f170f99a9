"""PhaseCollapseNet (Guth, Zarka & Mallat, ICLR 2022) and its parts: shapes, gradients, the formulas and
phase behaviour of each non-linearity, the batched filter responses, the standardization, bad input."""

from __future__ import annotations

import pytest
import torch

from groupconv.nn.module import EquivariantModule
from groupconv.scattering import PhaseCollapseNet
from groupconv.scattering.phase_collapse import (
    NONLINEARITIES,
    ComplexStandardization,
    PhaseCollapseBlock,
    PhaseNonlinearity,
    complex_soft_threshold,
)


def _complex(shape, dtype=torch.complex128, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=dtype)


def _net(kind="modulus", dtype=torch.float64):
    torch.manual_seed(0)
    return PhaseCollapseNet(2, (16, 16), 5, widths=(6, 8), L=4, nonlinearity=kind).to(dtype)


@pytest.mark.parametrize("kind", NONLINEARITIES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_net_shapes_and_gradients(kind, dtype):
    net = _net(kind, dtype)
    x = torch.randn(4, 2, 16, 16, dtype=dtype)
    out = net(x)
    assert out.shape == (4, 5) and out.dtype == dtype and torch.isfinite(out).all()
    assert net.features(x).shape == (4, 8, 4, 4) and net.features(x).dtype.is_complex
    out.square().sum().backward()
    grads = {n: p.grad for n, p in net.named_parameters()}
    assert all(g is not None and torch.isfinite(g).all() for g in grads.values())
    assert grads["blocks.0.weight_real"].abs().sum() > 0 and grads["blocks.1.weight_imag"].abs().sum() > 0
    learned = {"soft-threshold": "threshold", "sigmoid-amplitude": "gain"}.get(kind)
    if learned:
        assert grads[f"blocks.0.rho.{learned}"].abs().sum() > 0


def test_float32_matches_float64():
    net64 = _net("soft-threshold").eval()
    net32 = _net("soft-threshold", torch.float32).eval()
    x = torch.randn(3, 2, 16, 16, dtype=torch.float64)
    a, b = net64(x), net32(x.float()).double()
    assert (a - b).norm() / a.norm() < 1e-5


def test_nonlinearities_match_formulas():
    z = _complex((3, 7, 5, 5))
    r, u = z.abs(), z / z.abs()
    t = torch.rand(7, dtype=torch.float64) * 1.5
    a, b = torch.randn(7, dtype=torch.float64), torch.randn(7, dtype=torch.float64)
    expected = {
        "modulus": r,
        "soft-threshold": torch.clamp(r - t.view(1, -1, 1, 1), min=0) * u,
        "sigmoid-amplitude": u / (1 + torch.exp(-(a.view(1, -1, 1, 1) * r + b.view(1, -1, 1, 1)))),
        "tanh-amplitude": u * (torch.exp(r) - torch.exp(-r)) / (torch.exp(r) + torch.exp(-r)),
        "phase-only": u,
    }
    for kind in NONLINEARITIES:
        rho = PhaseNonlinearity(kind, 7).double()
        with torch.no_grad():
            if kind == "soft-threshold":
                rho.threshold.copy_(t)
            if kind == "sigmoid-amplitude":
                rho.gain.copy_(a)
                rho.bias.copy_(b)
        torch.testing.assert_close(rho(z), expected[kind], rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(complex_soft_threshold(z, 0.5), torch.clamp(r - 0.5, min=0) * u)
    assert complex_soft_threshold(torch.zeros(3, dtype=torch.complex128), 0.1).abs().max() == 0


def test_phase_behaviour_of_each_nonlinearity():
    z = _complex((2, 6, 4, 4), seed=1)
    phase = torch.exp(1j * torch.tensor(0.7, dtype=torch.float64))
    for kind in NONLINEARITIES:
        rho = PhaseNonlinearity(kind, 6).double()
        if rho.collapses_phase:
            torch.testing.assert_close(rho(phase * z), rho(z), rtol=1e-12, atol=1e-12)
        else:
            torch.testing.assert_close(rho(phase * z), phase * rho(z), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_modulus_network_invariant_to_global_phase_of_responses(dtype):
    x = torch.randn(4, 2, 16, 16, dtype=dtype)
    outs = {}
    for kind in ("modulus", "soft-threshold"):
        net = _net(kind, dtype).eval()
        ref = net(x)
        for phi in (0.4, 2.0, -1.3):
            rot = torch.exp(1j * torch.tensor(phi, dtype=dtype))
            for block in net.blocks:
                orig = block.responses
                block.responses = lambda u, orig=orig, rot=rot: (orig(u)[0], rot * orig(u)[1])
            out = net(x)
            for block in net.blocks:
                del block.responses
            outs[(kind, phi)] = (out - ref).norm() / ref.norm()
    tol = 1e-12 if dtype == torch.float64 else 1e-5
    assert all(outs[("modulus", phi)] <= tol for phi in (0.4, 2.0, -1.3))
    assert all(outs[("soft-threshold", phi)] > 1e-3 for phi in (0.4, 2.0, -1.3))


def test_block_batched_responses_are_filtered_and_subsampled():
    torch.manual_seed(0)
    block = PhaseCollapseBlock(1, 3, (16, 16), J=2, L=4).double()
    x = torch.randn(2, 1, 16, 16, dtype=torch.float64)
    low, band = block.responses(x)
    assert low.shape == (2, 1, 8, 8) and band.shape == (2, 1, 8, 8, 8)
    # one filter at a time, by circular convolution in space, then x[::2, ::2]
    kernel = torch.fft.ifft2(block.filters[3])
    full = torch.fft.ifft2(torch.fft.fft2(x[0, 0]) * torch.fft.fft2(kernel))
    torch.testing.assert_close(band[0, 0, 2], full[::2, ::2], rtol=1e-10, atol=1e-12)
    out = block.transform(low, band)
    torch.testing.assert_close(out.abs().square().sum(1), torch.ones(2, 8, 8, dtype=torch.float64))


def test_standardization_statistics_and_state_dict():
    std = ComplexStandardization(4).double()
    z = _complex((8, 4, 5, 5)) * 3 + 2 - 1j
    out = std(z)
    torch.testing.assert_close(
        out.mean((0, 2, 3)), torch.zeros(4, dtype=torch.complex128), atol=1e-12, rtol=0
    )
    torch.testing.assert_close(
        out.abs().square().mean((0, 2, 3)), torch.ones(4, dtype=torch.float64), atol=1e-4, rtol=0
    )
    net = _net()
    fresh = _net()
    fresh.load_state_dict(net.state_dict())
    assert (
        set(net.state_dict()) == set(net.train().state_dict()) and "blocks.0.filters" not in net.state_dict()
    )


def test_bad_input():
    with pytest.raises(ValueError, match="nonlinearity"):
        PhaseCollapseNet(1, (16, 16), 3, widths=(4,), nonlinearity="relu")
    with pytest.raises(ValueError, match="divisible"):
        PhaseCollapseNet(1, (18, 18), 3, widths=(4, 4, 4))
    net = _net()
    with pytest.raises(ValueError, match="input must have shape"):
        net(torch.randn(2, 3, 16, 16, dtype=torch.float64))
    with pytest.raises(TypeError, match="real images"):
        net(torch.randn(2, 2, 16, 16, dtype=torch.complex128))
    with pytest.raises(ValueError, match="complex maps"):
        PhaseNonlinearity("modulus", 3)(torch.randn(2, 3, 4, 4))


@pytest.mark.cuda
def test_cuda_matches_cpu():
    net = _net("sigmoid-amplitude").eval()
    x = torch.randn(3, 2, 16, 16, dtype=torch.float64)
    torch.testing.assert_close(net.to("cuda")(x.to("cuda")).cpu(), net.cpu()(x), rtol=1e-10, atol=1e-10)


def test_docstring_examples():
    import doctest

    import groupconv.scattering.phase_collapse as module

    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_every_part_is_an_untyped_equivariant_module_with_its_own_input_check():
    net = _net()
    parts = [net, net.blocks[0], net.blocks[0].rho, net.blocks[0].standardize]
    assert all(isinstance(m, EquivariantModule) and m.in_type is None and m.out_type is None for m in parts)
    x = torch.randn(2, 2, 16, 16, dtype=torch.float64)
    assert net.check_input(x) is x and net.blocks[0].check_input(x) is x
    with pytest.raises(ValueError, match=r"expected \(B, 2, 16, 16\)"):
        net.blocks[0].check_input(torch.randn(2, 2, 8, 8, dtype=torch.float64))
    with pytest.raises(TypeError, match="torch.float32 or torch.float64"):
        net.blocks[0].check_input(x.half())
    with pytest.raises(ValueError, match="complex maps"):
        net.blocks[0].rho.check_input(x)
    with pytest.raises(ValueError, match=r"expected maps \(B, 10, H, W\)"):
        net.blocks[0].standardize.check_input(x)
    # the filters are derived buffers: float64 masters, rebuilt exactly by a round trip through float32
    block = net.blocks[0]
    assert torch.equal(block.float().double().filters, block.derived_master("filters"))
    assert "blocks.0.filters" not in net.state_dict()
    assert block.certificate().status == "not applicable"
