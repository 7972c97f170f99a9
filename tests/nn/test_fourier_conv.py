"""HomogeneousFourierConv: equivariance (every element of finite groups, sampled elements of SO(2)/O(2)) in
float64 and float32, agreement with spatial convolution, parameter counts, bias, state dicts, exact
certificates, bad input, CUDA."""

from __future__ import annotations

import pytest
import torch
from _fourier_helpers import _one_thread  # noqa: F401  (autouse fixture)
from _fourier_helpers import gen as _gen

from groupconv.fourier import as_generalized_convolution, convolve, endomorphism_dim
from groupconv.groups import O2, SO2, Cyclic, Dihedral, DirectProduct, Symmetric
from groupconv.nn import Certificate, HomogeneousFourierConv
from groupconv.reps import irreps
from groupconv.verify.certify import certify
from groupconv.verify.equivariance import check_equivariance

CASES = [
    (Cyclic(5), None, None, None),
    (Cyclic(8), None, None, None),
    (Dihedral(4), None, None, None),
    (Dihedral(3), None, None, None),
    (Symmetric(4), None, None, None),
    (DirectProduct(Cyclic(3), Cyclic(4)), None, None, None),
    (Dihedral(4), Cyclic(4), None, None),
    (Dihedral(6), None, Dihedral(3), None),
    (Symmetric(4), Symmetric(3), Symmetric(3), None),
    (Cyclic(6), Cyclic(2), Cyclic(3), None),
    (SO2(), None, None, 4),
    (O2(), None, None, 3),
    (O2(), SO2(), None, 3),
    (O2(), None, SO2(), 3),
]
IDS = [
    "C5",
    "C8",
    "D4",
    "D3",
    "S4",
    "C3xC4",
    "D4/C4->D4",
    "D6->D6/D3",
    "S4/S3",
    "C6/C2->C6/C3",
    "SO2",
    "O2",
    "O2/SO2->O2",
    "O2->O2/SO2",
]


def _layer(G, dom, cod, L, **kw):
    return HomogeneousFourierConv(G, 3, 2, domain=dom, codomain=cod, bandwidth=L, generator=_gen(0), **kw)


@pytest.mark.parametrize("G, dom, cod, L", CASES, ids=IDS)
def test_equivariance_float64_and_float32(G, dom, cod, L):
    m = _layer(G, dom, cod, L)
    with torch.no_grad():
        m.bias.normal_(generator=_gen(1))
    x = torch.randn(4, 3, m.domain.num_points, dtype=torch.float64, generator=_gen(2))
    report = check_equivariance(m, x, n_samples=20, atol=1e-10, rtol=0.0)
    row = report.rows[0]
    assert row.passed and row.max_abs_error <= 1e-10
    assert row.elements_tried >= (G.order if G.is_finite else 20)
    m32 = m.float()
    x32 = x.float()
    g = G.elements()[-1] if G.is_finite else G.sample(1, generator=_gen(3))[0]
    with torch.no_grad():
        y = m32(x32)
        lhs = m32(m32.in_type.transform(x32, g))
        rhs = m32.out_type.transform(y, g)
    assert y.dtype == torch.float32
    assert float((lhs - rhs).abs().max() / y.abs().max()) <= 1e-5


@pytest.mark.parametrize("G", [Cyclic(6), Dihedral(4), Symmetric(3), SO2(), O2()], ids=str)
def test_parameter_count_and_spatial_agreement(G):
    L = None if G.is_finite else 3
    m = HomogeneousFourierConv(G, 1, 1, bandwidth=L, bias=False, generator=_gen(4)).double()
    # G -> G: one filter per channel pair, a function on G: sum_rho d_rho^2 / e_rho parameters
    expected = sum(
        ir.dim**2 // endomorphism_dim(ir) for ir in (irreps(G) if G.is_finite else irreps(G, max_degree=L))
    )
    assert m.weight.shape[-1] == expected
    n = m.domain.num_points
    x = torch.randn(5, 1, n, dtype=torch.float64, generator=_gen(5))
    M = m(torch.eye(n, dtype=torch.float64)[:, None]).detach()[:, 0].T
    h = as_generalized_convolution(M, G, m.domain, m.codomain).filter
    with torch.no_grad():
        y = m(x)[:, 0]
    assert float((y - convolve(x[:, 0], h, m.domain, method="spatial")).abs().max()) <= 1e-12


def test_multichannel_is_sum_of_single_convolutions():
    G = Dihedral(5)
    m = HomogeneousFourierConv(G, 3, 2, bias=False, generator=_gen(6)).double()
    x = torch.randn(2, 3, 10, dtype=torch.float64, generator=_gen(7))
    with torch.no_grad():
        y = m(x)
        w = m.weight.clone()
        total = torch.zeros_like(y)
        for i in range(3):
            for o in range(2):
                m.weight.zero_()
                m.weight[i, o] = w[i, o]
                total[:, o] += m(x)[:, o]
    assert torch.allclose(total, y, atol=1e-13)


def test_bias_is_constant_and_state_dict():
    m = HomogeneousFourierConv(Dihedral(4), 2, 3, generator=_gen(8)).double()
    with torch.no_grad():
        m.bias.copy_(torch.tensor([1.0, -2.0, 0.5]))
    x = torch.zeros(1, 2, 8, dtype=torch.float64)
    assert torch.allclose(m(x)[0], torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)[:, None].expand(3, 8))
    sd = m.state_dict()
    assert set(sd) == {"weight", "bias", "_extra_state"}
    fresh = HomogeneousFourierConv(Dihedral(4), 2, 3).double()
    fresh.load_state_dict(sd)
    x = torch.randn(2, 2, 8, dtype=torch.float64, generator=_gen(9))
    assert torch.allclose(fresh(x), m(x))
    m.eval()
    assert set(m.state_dict()) == {"weight", "bias", "_extra_state"}
    assert HomogeneousFourierConv(Dihedral(4), 2, 3, bias=False).bias is None


def test_gradients_flow():
    m = HomogeneousFourierConv(O2(), 2, 2, bandwidth=2, generator=_gen(10)).double()
    x = torch.randn(3, 2, m.domain.num_points, dtype=torch.float64, requires_grad=True, generator=_gen(11))
    assert torch.autograd.gradcheck(lambda a: m(a), (x,))
    m(x).pow(2).sum().backward()
    assert m.weight.grad is not None and float(m.weight.grad.abs().sum()) > 0


@pytest.mark.parametrize(
    "G, dom, cod",
    [
        (Cyclic(4), None, None),
        (Dihedral(3), None, None),
        (Symmetric(3), None, None),
        (Dihedral(4), Cyclic(4), None),
    ],
    ids=["C4", "D3", "S3", "D4/C4"],
)
def test_certificate(G, dom, cod):
    m = HomogeneousFourierConv(G, 2, 2, domain=dom, codomain=cod)
    cert = m.certificate()
    assert isinstance(cert, Certificate)
    assert cert.status == "proved", cert.reason
    assert cert.residual <= 1e-12
    report = certify(m)
    assert report.rows[0].status == "proved"
    assert HomogeneousFourierConv(SO2(), 1, 1, bandwidth=2).certificate().status == "not applicable"


def test_bad_input():
    m = HomogeneousFourierConv(Dihedral(4), 3, 2)
    with pytest.raises(ValueError, match=r"\(\.\.\., 3, 8\)"):
        m(torch.randn(2, 3, 7))
    with pytest.raises(ValueError, match=r"\(\.\.\., 3, 8\)"):
        m(torch.randn(2, 4, 8))
    with pytest.raises(ValueError, match="in_channels"):
        HomogeneousFourierConv(Dihedral(4), 0, 2)
    with pytest.raises(ValueError, match="bandwidth"):
        HomogeneousFourierConv(SO2(), 1, 1)
    with pytest.raises(TypeError, match="subgroup"):
        HomogeneousFourierConv(Cyclic(4), 1, 1, domain=torch.nn.Identity())
    with pytest.raises(ValueError, match="not a known subgroup"):
        HomogeneousFourierConv(Cyclic(4), 1, 1, domain=Cyclic(3))
    with pytest.raises(TypeError):
        HomogeneousFourierConv("D4", 1, 1)


@pytest.mark.cuda
def test_cuda_matches_cpu():
    for G, dom, cod, L in CASES:
        m = _layer(G, dom, cod, L).double()
        x = torch.randn(2, 3, m.domain.num_points, dtype=torch.float64, generator=_gen(12))
        y = m(x)
        mc = m.to("cuda")
        assert torch.allclose(mc(x.cuda()).cpu(), y, atol=1e-12)
