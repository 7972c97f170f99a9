"""Whole D_4 networks (convolutions, nonlinearities, batch norm, pooling, group pooling): exact end-to-end
equivariance and invariance under every element of D_4, per-layer reports, export."""

from __future__ import annotations

import pytest
import torch

from groupconv.groups import Dihedral
from groupconv.nn import (
    AvgPool2d,
    EquivariantSequential,
    FieldBatchNorm,
    FieldType,
    GatedNonlinearity,
    GlobalPool2d,
    GroupConv2d,
    GroupPooling,
    LiftingConv2d,
    MaxPool2d,
    ModulusNonlinearity,
    NormNonlinearity,
    NormPooling,
    ReLU,
    SteerableConv2d,
    export,
)
from groupconv.reps import irrep, regular, trivial
from groupconv.verify.equivariance import check_equivariance

G = Dihedral(4)


def regular_network(width: int = 2) -> EquivariantSequential:
    """Lifting conv, four group convs and group pooling, with batch norm, ReLU and antialiased pooling."""
    reg = lambda n: FieldType(G, [regular(G)] * n)  # noqa: E731
    torch.manual_seed(0)
    return EquivariantSequential(
        LiftingConv2d.from_channels(G, 1, width, 5, padding=2),
        FieldBatchNorm(reg(width)),
        ReLU(reg(width)),
        GroupConv2d.from_channels(G, width, width, 3, padding=1),
        FieldBatchNorm(reg(width)),
        ReLU(reg(width)),
        MaxPool2d(reg(width)),
        GroupConv2d.from_channels(G, width, 2 * width, 3, padding=1),
        FieldBatchNorm(reg(2 * width)),
        ReLU(reg(2 * width)),
        AvgPool2d(reg(2 * width)),
        GroupConv2d.from_channels(G, 2 * width, 2 * width, 3, padding=1),
        ReLU(reg(2 * width)),
        GroupConv2d.from_channels(G, 2 * width, 2 * width, 3, padding=1),
        GroupPooling(reg(2 * width)),
        GlobalPool2d(FieldType(G, [trivial(G)] * 2 * width)),
    )


def steerable_network() -> EquivariantSequential:
    """Steerable convs between irrep fields with gated and norm nonlinearities and norm pooling."""
    scalars = FieldType(G, [trivial(G)])
    hidden = FieldType(G, [irrep(G, 1, 1), irrep(G, 1, 0), regular(G), irrep(G, 1, 1)])
    gated = GatedNonlinearity(hidden)
    torch.manual_seed(1)
    return EquivariantSequential(
        SteerableConv2d(scalars, gated.in_type, 5, padding=2, basis="exact"),
        gated,
        FieldBatchNorm(hidden),
        NormNonlinearity(hidden, bias_init=-0.05),
        AvgPool2d(hidden),
        SteerableConv2d(hidden, hidden, 3, padding=1, basis="exact"),
        ModulusNonlinearity(hidden),
        NormPooling(FieldType(G, [trivial(G)] * len(hidden)), "max"),
    )


NETWORKS = {"regular": regular_network, "steerable": steerable_network}


def _input(batch: int = 2, size: int = 13, dtype=torch.float64, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(batch, 1, size, size, generator=gen, dtype=torch.float64).to(dtype)


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_network_invariant_under_every_element_of_d4(name):
    net = NETWORKS[name]()
    x = _input()
    for train in (True, False):
        net.train(train)
        for dtype in (torch.float64, torch.float32):
            m = net.to(dtype)
            u = x.to(dtype)
            with torch.no_grad():
                y = m(u)
                assert y.shape[-2:] == (1, 1) and m.out_type.representation.is_trivial()
                err = max(float((m(m.in_type.transform(u, g)) - y).abs().max()) for g in range(G.order))
            tol = 1e-10 if dtype == torch.float64 else 1e-5 * float(y.abs().max())
            assert err <= tol, (name, train, dtype, err)


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_every_layer_exactly_equivariant_and_export_matches(name):
    net = NETWORKS[name]().double()
    x = _input()
    net.train()(x)
    net.eval()
    report = check_equivariance(net, x)
    assert report.passed, report.to_text()
    assert report.rows[-1].layer == "(model)"
    assert len(report.rows) == len(net) + 1
    assert max(r.max_abs_error for r in report.rows) <= 1e-10, report.to_text()
    plain = export(net)
    assert all(not hasattr(m, "in_type") for m in plain.modules())
    with torch.no_grad():
        torch.testing.assert_close(plain(x), net(x), atol=1e-12, rtol=1e-10)
        plain32, net32 = export(net.float()), net.float()
        torch.testing.assert_close(plain32(x.float()), net32(x.float()), atol=1e-5, rtol=1e-5)


@pytest.mark.cuda
@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_network_on_cuda_matches_cpu(name):
    cpu = NETWORKS[name]().double()
    gpu = NETWORKS[name]().double().cuda()
    gpu.load_state_dict(cpu.state_dict())
    x = _input()
    for train in (True, False):
        cpu.train(train), gpu.train(train)
        with torch.no_grad():
            torch.testing.assert_close(gpu(x.cuda()).cpu(), cpu(x), atol=1e-10, rtol=1e-8)
    with torch.no_grad():
        torch.testing.assert_close(export(gpu.eval())(x.cuda()).cpu(), cpu.eval()(x), atol=1e-10, rtol=1e-8)
