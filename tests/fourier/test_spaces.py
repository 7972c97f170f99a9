"""Homogeneous spaces: kept columns (Frobenius reciprocity), lifting and projection, the action, and
convolution on G/H; equivariant projection and recognition of generalized convolutions."""

from __future__ import annotations

import pytest
import torch
from _fourier_helpers import _one_thread  # noqa: F401  (autouse fixture)
from _fourier_helpers import gen as _gen

from groupconv.fourier import (
    HomogeneousSpace,
    as_generalized_convolution,
    convolve,
    equivariant_projection,
    fourier_transform,
    function_space,
    inverse_fourier_transform,
)
from groupconv.groups import O2, SO2, Cyclic, Dihedral, Symmetric
from groupconv.nn import FunctionType
from groupconv.reps import irrep, irreps, regular, restrict, trivial

PAIRS = [
    (Dihedral(4), Cyclic(4)),
    (Dihedral(6), Dihedral(3)),
    (Dihedral(6), Cyclic(2)),
    (Cyclic(6), Cyclic(2)),
    (Cyclic(8), Cyclic(4)),
    (Symmetric(4), Symmetric(3)),
    (Symmetric(4), Symmetric(2)),
]


@pytest.mark.parametrize("G, H", PAIRS, ids=lambda x: str(x))
def test_kept_columns_frobenius(G, H):
    X = HomogeneousSpace(G, H)
    assert X.num_points == G.order // H.order
    mult = dict(zip(X.irreps, X.multiplicities))
    for ir in irreps(G):
        expected = restrict(ir, H).multiplicity(trivial(H))
        assert mult.get(ir, 0) == expected
    # sum_rho d_rho m_rho / e_rho = |G/H| (the real count of the quotient representation)
    assert sum(w * m for w, m in zip(X.plancherel_weights, X.multiplicities)) == X.num_points
    for v in X.columns:
        assert torch.allclose(
            torch.as_tensor(v).T @ torch.as_tensor(v), torch.eye(v.shape[1], dtype=torch.float64)
        )


@pytest.mark.parametrize("G, H", PAIRS, ids=lambda x: str(x))
def test_lift_project_and_transform(G, H):
    X = HomogeneousSpace(G, H)
    f = torch.randn(3, X.num_points, dtype=torch.float64, generator=_gen(1))
    lifted = X.lift(f)
    assert torch.allclose(X.project(lifted), f, atol=1e-14)
    # right-H-invariance of the lift
    hidx = torch.as_tensor(H.elements())
    from groupconv.groups import inclusion

    hg = inclusion(H, G)(hidx)
    table = torch.as_tensor(G.cayley_table_np)
    for h in hg:
        assert torch.equal(lifted[..., table[:, h]], lifted)
    # the stored columns are those of the transform of the lift
    full = fourier_transform(lifted, G)
    kept = fourier_transform(f, X)
    for ir, v, b in zip(X.irreps, X.columns, kept.blocks):
        assert torch.allclose(full[ir] @ torch.as_tensor(v), b, atol=1e-13)
        # and nothing outside them: f^ = f^ V V^T
        assert torch.allclose(full[ir], b @ torch.as_tensor(v).T, atol=1e-13)
    assert torch.allclose(inverse_fourier_transform(kept), f, atol=1e-13)
    assert torch.allclose(kept.norm() ** 2, (f**2).mean(-1), atol=1e-13)


@pytest.mark.parametrize("G, H", PAIRS[:4], ids=lambda x: str(x))
def test_action_commutes_with_lift_and_transform(G, H):
    X = HomogeneousSpace(G, H)
    tX, tG = FunctionType(X, 1), FunctionType(function_space(G), 1)
    f = torch.randn(2, 1, X.num_points, dtype=torch.float64, generator=_gen(2))
    for g in range(G.order):
        assert torch.equal(X.lift(tX.transform(f, g)), tG.transform(X.lift(f), g))
        # (g . f)(g x) = f(x)
        assert torch.equal(tX.transform(f, g)[..., X.act_on_points(g)], f)
        # (g . f)^ = rho(g) f^
        lhs = fourier_transform(tX.transform(f, g), X)
        rhs = fourier_transform(f, X)
        for ir, a, b in zip(X.irreps, lhs.blocks, rhs.blocks):
            assert torch.allclose(a, ir(torch.tensor(g)) @ b, atol=1e-13)


@pytest.mark.parametrize("G, H", PAIRS, ids=lambda x: str(x))
def test_convolution_on_quotient(G, H):
    X = HomogeneousSpace(G, H)
    f = torch.randn(4, X.num_points, dtype=torch.float64, generator=_gen(3))
    h = torch.randn(X.num_points, dtype=torch.float64, generator=_gen(4))
    a = convolve(f, h, X, method="spatial")
    b = convolve(f, h, X, method="fourier")
    assert float((a - b).abs().max()) <= 1e-12
    # the same as convolving the lifts on G and projecting
    c = X.project(convolve(X.lift(f), X.lift(h), G, method="spatial"))
    assert float((a - c).abs().max()) <= 1e-12


def test_o2_over_so2():
    X = HomogeneousSpace(O2(), SO2(), bandwidth=3)
    assert X.num_points == 2 and [ir.id for ir in X.irreps] == [(0, 0), (1, 0)]
    f = torch.randn(5, 2, dtype=torch.float64, generator=_gen(5))
    assert torch.allclose(X.project(X.lift(f)), f)
    h = torch.randn(2, dtype=torch.float64, generator=_gen(6))
    assert (
        float((convolve(f, h, X, method="spatial") - convolve(f, h, X, method="fourier")).abs().max())
        <= 1e-12
    )
    t = FunctionType(X, 1)
    g = O2.make(torch.tensor(0.7, dtype=torch.float64), 1.0)
    assert X.act_on_points(g).tolist() == [1, 0]
    assert torch.allclose(t.transform(f[:, None], g)[:, 0], f.flip(-1), atol=1e-13)


# -- equivariant maps ------------------------------------------------------------------------------------------
def test_equivariant_projection_representations():
    G = Dihedral(3)
    rho_in, rho_out = regular(G), irrep(G, 1, 1)
    M = torch.randn(2, 6, dtype=torch.float64, generator=_gen(7))
    P = equivariant_projection(M, G, rho_in, rho_out)
    for g in G.elements():
        assert torch.allclose(rho_out(g) @ P, P @ rho_in(g), atol=1e-13)
    assert torch.allclose(equivariant_projection(P, G, rho_in, rho_out), P, atol=1e-13)
    # continuous: SO(2), frequency-2 irrep to itself: commutant a I + b J
    S = SO2()
    P = equivariant_projection(
        torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64), S, irrep(S, 2), irrep(S, 2)
    )
    assert torch.allclose(P, torch.tensor([[2.5, -0.5], [0.5, 2.5]], dtype=torch.float64), atol=1e-13)
    with pytest.raises(ValueError, match="shape"):
        equivariant_projection(torch.randn(3, 3), G, rho_in, rho_out)


@pytest.mark.parametrize(
    "G, dom, cod, L",
    [
        (Dihedral(4), None, None, None),
        (Symmetric(4), Symmetric(3), Symmetric(2), None),
        (SO2(), None, None, 3),
        (O2(), None, SO2(), 2),
    ],
    ids=["D4", "S4/S3->S4/S2", "SO2", "O2->O2/SO2"],
)
def test_generalized_convolution_recognition(G, dom, cod, L):
    from groupconv.fourier import resolve_space

    X, Y = resolve_space(G, dom, L), resolve_space(G, cod, L)
    R = torch.randn(Y.num_points, X.num_points, dtype=torch.float64, generator=_gen(8))
    P = equivariant_projection(R, G, X, Y)
    res = as_generalized_convolution(P, G, X, Y)
    assert res.is_convolution and res.residual <= 1e-12 and res.equivariance_residual <= 1e-12
    x = torch.randn(3, X.num_points, dtype=torch.float64, generator=_gen(9))
    xb = inverse_fourier_transform(fourier_transform(x, X))
    assert torch.allclose(res(x), xb @ P.T, atol=1e-12)
    bad = as_generalized_convolution(R, G, X, Y)
    assert not bad.is_convolution
    # Theorem 1: the distance to the convolutions is the distance to the equivariant maps
    assert abs(bad.residual - bad.equivariance_residual) <= 1e-10
    if G.is_finite and dom is None and cod is None:
        # on G itself the filter is h(v) = |G| M[v, e]
        assert torch.allclose(res.filter, P[:, 0] * G.order, atol=1e-12)
