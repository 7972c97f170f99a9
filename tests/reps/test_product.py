from __future__ import annotations

import math

import numpy as np
import pytest
import sympy
import torch

from groupconv.groups import (
    SO2,
    Cyclic,
    DirectProduct,
    Symmetric,
    group_from_name,
)
from groupconv.reps import decompose, irrep, irreps, product_irrep_factors, regular, standard

FINITE = ["C4xC2", "D3xC2", "C3xC4"]


def _is_zero(m: sympy.Matrix) -> bool:
    return all(sympy.simplify(x) == 0 for x in m)


def _n_real_classes(G) -> int:
    """Classes up to C ~ C^{-1}: the number of real irreps (Serre 1977, section 13.2)."""
    inv = G.inverse_table_np
    seen = set()
    for cls in G.conjugacy_classes:
        seen.add(min(int(cls.min()), int(inv[cls].min())))
    return len(seen)


@pytest.mark.parametrize("name", FINITE)
def test_finite_irreps_counts(name):
    P = group_from_name(name)
    irs = irreps(P)
    e = [ir.endomorphism_basis.shape[0] for ir in irs]
    assert sum(ir.dim**2 / k for ir, k in zip(irs, e)) == P.order
    # complex irreps: one per real irrep of real type, two per real irrep of complex type
    assert sum(e) == len(P.conjugacy_classes)
    assert len(irs) == _n_real_classes(P)
    if all(ir.type == "R" for ir in irs):
        assert len(irs) == len(P.conjugacy_classes)
    assert len({ir.id for ir in irs}) == len(irs)
    assert irs[0].is_trivial()


@pytest.mark.parametrize("name", FINITE)
def test_finite_irreps_exact_homomorphism(name):
    P = group_from_name(name)
    t = P.cayley_table_np
    for ir in irreps(P):
        mats = [ir.exact(g) for g in range(P.order)]
        assert _is_zero(mats[0] - sympy.eye(ir.dim))
        for a in range(P.order):
            assert _is_zero(mats[a] * mats[a].T - sympy.eye(ir.dim))
            for b in range(P.order):
                assert _is_zero(mats[a] * mats[b] - mats[t[a, b]])
        num = ir(P.elements()).numpy()
        ex = np.array([np.array(m.evalf(20), dtype=np.float64) for m in mats])
        assert np.abs(num - ex).max() < 1e-14


@pytest.mark.parametrize("name", FINITE)
def test_finite_irreps_orthogonality_and_endomorphisms(name):
    P = group_from_name(name)
    irs = irreps(P)
    g = P.elements()
    chars = torch.stack([ir.character(g) for ir in irs])
    gram = chars @ chars.T / P.order
    e = torch.tensor([float(ir.endomorphism_basis.shape[0]) for ir in irs], dtype=torch.float64)
    assert torch.allclose(gram, torch.diag(e), atol=1e-12)
    for ir in irs:
        m = ir(g)
        # the commutant {X : X m_g = m_g X} has dimension e: (I (x) m_g^T - m_g (x) I) vec(X) = 0
        eye = torch.eye(ir.dim, dtype=torch.float64)
        eqs = torch.einsum("ab,gdc->gacbd", eye, m) - torch.einsum("gab,cd->gacbd", m, eye)
        eqs = eqs.reshape(-1, ir.dim**2)
        assert ir.dim**2 - int(torch.linalg.matrix_rank(eqs)) == ir.endomorphism_basis.shape[0]
        for j in torch.as_tensor(ir.endomorphism_basis):
            assert torch.allclose(j @ m, m @ j, atol=1e-12)
        if ir.type == "C":
            j = torch.as_tensor(ir.endomorphism_basis[1])
            assert torch.allclose(j @ j, -torch.eye(ir.dim, dtype=torch.float64), atol=1e-12)
            assert torch.allclose(j.T, -j, atol=1e-12)
        exact_j = ir.endomorphism_exact
        for x in range(P.order):
            for j in exact_j:
                assert _is_zero(j * ir.exact(x) - ir.exact(x) * j)


@pytest.mark.parametrize("name", FINITE)
def test_regular_contains_each_irrep_d_over_e_times(name):
    P = group_from_name(name)
    mult = regular(P).multiplicities()
    for ir in irreps(P):
        assert mult[ir] == ir.dim // ir.endomorphism_basis.shape[0]


def test_complex_times_complex_splits():
    P = DirectProduct(Cyclic(3), Cyclic(4))
    sigma, tau = irrep(Cyclic(3), 1), irrep(Cyclic(4), 1)
    plus, minus = irrep(P, 1, 1, 1), irrep(P, 1, 1, -1)
    assert plus.id == (1, 1, 1) and plus.name == "irrep(1,1,+1)" and plus.type == minus.type == "C"
    assert product_irrep_factors(minus) == (sigma, tau, -1)
    k = np.kron(sigma.endomorphism_basis[1], tau.endomorphism_basis[1])
    assert np.allclose(k, k.T) and np.allclose(k @ k, np.eye(4))
    g = P.elements()
    a, b = P.split(g)
    kron = torch.einsum("gij,gkl->gikjl", sigma(a), tau(b)).reshape(-1, 4, 4)
    assert torch.allclose(torch.as_tensor(k) @ kron, kron @ torch.as_tensor(k), atol=1e-12)
    # the two halves are inequivalent, and together they are sigma (x) tau
    assert abs(float((plus.character(g) * minus.character(g)).mean())) < 1e-12
    assert torch.allclose(plus.character(g) + minus.character(g), torch.einsum("gii->g", kron), atol=1e-12)
    # C3 x C4 = C12: the halves are the frequencies 2 pi (k/3 - l/4) and 2 pi (k/3 + l/4)
    angles = 2 * math.pi * (a.double() / 3 + torch.tensor([-1.0, 1.0])[:, None] * b.double() / 4)
    cos = torch.stack([plus(g)[:, 0, 0], minus(g)[:, 0, 0]])
    assert torch.allclose(cos, torch.cos(angles), atol=1e-12)
    with pytest.raises(ValueError, match="sign"):
        irrep(P, 1, 1)
    with pytest.raises(ValueError, match="no sign"):
        irrep(P, 0, 1, 1)
    with pytest.raises(ValueError, match="irrep"):
        irrep(P, 2, 0)
    with pytest.raises(ValueError, match="irrep"):
        irrep(P, 1)


def test_product_with_symmetric_group_exact():
    P = DirectProduct(Symmetric(3), Cyclic(2))
    irs = irreps(P)
    assert [ir.id for ir in irs] == [(p, k) for p in [(3,), (2, 1), (1, 1, 1)] for k in (0, 1)]
    assert sum(ir.dim**2 for ir in irs) == 12 == P.order
    ir = irrep(P, (2, 1), 1)
    assert ir.name == "irrep((2,1),1)"
    t = P.cayley_table_np
    for a in range(12):
        for b in range(12):
            assert _is_zero(ir.exact(a) * ir.exact(b) - ir.exact(int(t[a, b])))


def test_continuous_standard_action_and_exact():
    P = DirectProduct(SO2(), Cyclic(2))
    rep = standard(P)
    assert {ir.id: m for ir, m in rep.multiplicities().items()} == {(1, 0): 1, (0, 1): 2}
    theta = sympy.Rational(1, 3) * sympy.pi
    ir = irrep(P, 2, 1)
    ex = ir.exact((theta, 1))
    num = ir(P.combine(torch.tensor(math.pi / 3, dtype=torch.float64), torch.tensor(1)))
    assert np.allclose(np.array(ex.evalf(20), dtype=np.float64), num.numpy(), atol=1e-14)
    with pytest.raises(TypeError, match="pairs"):
        ir.exact(theta)
    split = irrep(DirectProduct(SO2(), Cyclic(4)), 2, 1, -1)
    x = sympy.Symbol("x", real=True)
    m = split.exact((x, 1))
    Q = DirectProduct(SO2(), Cyclic(4))
    g = Q.combine(torch.tensor(0.7, dtype=torch.float64), torch.tensor(1))
    assert np.allclose(np.array(m.subs(x, 0.7).evalf(), dtype=np.float64), split(g).numpy(), atol=1e-14)
    found, _ = decompose(Q, lambda h: split(h), 2, degree=2)
    assert found == [split]


@pytest.mark.parametrize("name", ["SO2xC2", "SO2xC4", "C3xSO2", "O2xC2"])
def test_continuous_product_irreps(name):
    P = group_from_name(name)
    gen = torch.Generator().manual_seed(0)
    a, b = (P.sample(25, generator=gen) for _ in range(2))
    L = 3
    irs = irreps(P, max_degree=L)
    fs = [irreps(F) if F.is_finite else irreps(F, max_degree=L) for F in P.factors]
    assert len(irs) == sum(2 if s.type == t.type == "C" else 1 for s in fs[0] for t in fs[1])
    for ir in irs:
        assert ir.degree <= L
        err = (ir(P.compose(a, b)) - ir(a) @ ir(b)).abs().max()
        assert err < 1e-12
        m = ir(a)
        assert torch.allclose(
            m @ m.transpose(-1, -2), torch.eye(ir.dim, dtype=torch.float64).expand_as(m), atol=1e-12
        )
        assert ir(a, torch.float32).dtype == torch.float32
    grid, w = P.quadrature(2 * L)
    chars = torch.stack([ir.character(grid) for ir in irs])
    gram = (chars * w) @ chars.T
    e_dim = torch.tensor([float(ir.endomorphism_basis.shape[0]) for ir in irs], dtype=torch.float64)
    assert torch.allclose(gram, torch.diag(e_dim), atol=1e-12)
