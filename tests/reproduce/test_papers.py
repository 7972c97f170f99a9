"""PhaseCollapseNet (Guth, Zarka & Mallat 2022) and the ``dcfnet`` / ``phase-collapse`` reproductions."""

from __future__ import annotations

import json
import math

import pytest
import torch

from groupconv.cli import main
from groupconv.reproduce.dcfnet import RandomBasisConv2d, conv_parameters, deform, make_cnn
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


def test_dcfnet_variants_and_control():
    plain, dcf3, rnd = make_cnn("plain", 4), make_cnn("dcf", 4, 3), make_cnn("random", 4, 3)
    assert conv_parameters(plain) == 25 * (4 + 4 * 8 + 8 * 16)
    assert conv_parameters(dcf3) == conv_parameters(rnd) == 3 * (4 + 4 * 8 + 8 * 16)
    x = torch.randn(2, 1, 16, 16)
    assert all(m(x).shape == (2, 10) for m in (plain, dcf3, rnd))
    conv = RandomBasisConv2d(2, 3, 5, 4).double()
    gram = conv.basis.double().flatten(1) @ conv.basis.double().flatten(1).T
    torch.testing.assert_close(gram, gram[0, 0] * torch.eye(4, dtype=torch.float64), rtol=1e-5, atol=1e-5)
    img = torch.rand(3, 1, 16, 16)
    assert torch.equal(deform(img, 0.0, 0), img)
    assert not torch.allclose(deform(img, 2.0, 0), img) and deform(img, 2.0, 0).shape == img.shape


@pytest.mark.parametrize("name", ["dcfnet", "phase-collapse"])
def test_smoke_reproduction_writes_table(name, tmp_path):
    out = tmp_path / name
    assert main(["reproduce", name, "--smoke", "--out", str(out), "--quiet"]) == 0
    data = json.loads((out / "results.json").read_text())
    (rows,) = list(data["tables"].values())
    assert data["name"] == name and data["settings"]["smoke"] is True and len(rows) == 5
    assert all(set(r) == set(rows[0]) for r in rows)
    assert "| ---" in (out / "results.md").read_text()
    for r in rows:
        for k, v in r.items():
            if k.endswith("test") or k.startswith("test_acc"):
                mean = float(str(v).split(" ")[0])
                assert 0 <= mean <= 100 and not math.isnan(mean)


def test_phase_collapse_data_root_errors(tmp_path, monkeypatch):
    from groupconv.reproduce import Options
    from groupconv.reproduce.phase_collapse import DATA_ROOT_ENV, load_image_dataset, run

    with pytest.raises(ValueError, match="not a folder"):
        load_image_dataset(tmp_path / "missing")
    with pytest.raises(ValueError, match="neither CIFAR-10"):
        load_image_dataset(tmp_path)
    monkeypatch.setenv(DATA_ROOT_ENV, str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="not a folder"):
        run(Options(smoke=False, out=tmp_path, quiet=True))


def test_docstring_examples():
    import doctest

    import groupconv.scattering.phase_collapse as module

    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_phase_collapse_data_root_flag(tmp_path, capsys):
    from groupconv.cli import main

    argv = ["reproduce", "phase-collapse", "--data-root", str(tmp_path / "missing"), "--out", str(tmp_path)]
    assert main(argv) == 2
    assert "--data-root" in capsys.readouterr().err


def _cifar_records(labels, seed):
    """CIFAR-10 binary records: a label byte, then 3072 pixel bytes, per image."""
    import numpy as np

    pixels = np.random.default_rng(seed).integers(0, 256, (len(labels), 3072), dtype=np.uint8)
    return np.concatenate([np.array(labels, dtype=np.uint8)[:, None], pixels], 1), pixels


def test_phase_collapse_reads_cifar_binary_batches(tmp_path):
    import numpy as np

    from groupconv.reproduce.phase_collapse import load_image_dataset

    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    train1, p1 = _cifar_records([3, 9, 0], 1)
    train2, p2 = _cifar_records([1], 2)
    test, pt = _cifar_records([7, 2], 3)
    (folder / "data_batch_1.bin").write_bytes(train1.tobytes())
    (folder / "data_batch_2.bin").write_bytes(train2.tobytes())
    (folder / "test_batch.bin").write_bytes(test.tobytes())
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    (folder / "batches.meta.txt").write_text("\n".join(names) + "\n\n")
    (xtr, ytr, xte, yte), classes = load_image_dataset(tmp_path)
    assert classes == names
    assert xtr.shape == (4, 3, 32, 32) and xte.shape == (2, 3, 32, 32) and xtr.dtype == torch.float32
    assert ytr.tolist() == [3, 9, 0, 1] and yte.tolist() == [7, 2]
    # channel-major planes, row-major pixels: byte 1 + 32 r + c of a record is red at (r, c)
    expected = np.concatenate([p1, p2]).reshape(4, 3, 32, 32) / 255.0
    assert np.array_equal(xtr.numpy(), expected.astype(np.float32))
    assert float(xte[1, 2, 31, 31]) == np.float32(pt[1, 3071] / 255.0)


@pytest.mark.parametrize(
    "content, match",
    [(b"", "0 bytes"), (b"\x00" * 3074, "3074 bytes"), (bytes([10]) + b"\x00" * 3072, "label 10")],
)
def test_phase_collapse_rejects_malformed_cifar_batches(tmp_path, content, match):
    from groupconv.reproduce.phase_collapse import read_cifar_batch

    (tmp_path / "b.bin").write_bytes(content)
    with pytest.raises(ValueError, match=match):
        read_cifar_batch(tmp_path / "b.bin")
