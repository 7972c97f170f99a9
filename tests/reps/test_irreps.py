from __future__ import annotations

import numpy as np
import pytest
import sympy
import torch

from groupconv.groups import O2, SO2, Cyclic, Dihedral
from groupconv.reps import (
    Representation,
    clebsch_gordan,
    decompose_exact,
    directsum,
    induced,
    integration_grid,
    irrep,
    irreps,
    parse_representation,
    quotient,
    regular,
    restrict,
    standard,
    tensor_product,
    trivial,
)

SMALL = [Cyclic(3), Cyclic(4), Dihedral(3), Dihedral(4)]
FINITE = SMALL + [Cyclic(1), Cyclic(6), Cyclic(7), Dihedral(1), Dihedral(2), Dihedral(5), Dihedral(6)]


def _e(ir):
    return 2 if ir.type == "C" else 1


@pytest.mark.parametrize("G", SMALL, ids=str)
def test_exact_homomorphism(G):
    for ir in irreps(G):
        mats = [ir.exact(g) for g in range(G.order)]
        for a in range(G.order):
            for b in range(G.order):
                ab = int(G.compose(torch.tensor(a), torch.tensor(b)))
                assert sympy.simplify(mats[ab] - mats[a] * mats[b]) == sympy.zeros(ir.dim)


@pytest.mark.parametrize("G", SMALL, ids=str)
def test_exact_schur_orthogonality_and_characters(G):
    n = G.order
    irs = irreps(G)
    tables = {ir: [ir.exact(g) for g in range(n)] for ir in irs}
    for s in irs:
        for t in irs:
            for i in range(s.dim):
                for j in range(s.dim):
                    for k in range(t.dim):
                        for l in range(t.dim):
                            val = sympy.simplify(
                                sum(tables[s][g][i, j] * tables[t][g][k, l] for g in range(n))
                            )
                            if s != t:
                                expected = 0
                            elif s.type == "R":
                                expected = sympy.Rational(n, s.dim) * int(i == k and j == l)
                            else:
                                J = s.endomorphism_basis[1]
                                expected = sympy.Rational(n, s.dim) * int(
                                    round(float((i == k) * (j == l) + J[i, k] * J[j, l]))
                                )
                            assert val == expected, (s, t, i, j, k, l)
            chi = sympy.simplify(sum(tables[s][g].trace() * tables[t][g].trace() for g in range(n)) / n)
            assert chi == (_e(s) if s == t else 0)


@pytest.mark.parametrize("G", FINITE, ids=str)
def test_dimension_and_class_counts(G):
    irs = irreps(G)
    assert sum(ir.dim**2 // _e(ir) for ir in irs) == G.order
    # complex irreps: one per real irrep of real type, two per real irrep of complex type
    assert sum(_e(ir) for ir in irs) == len(G.conjugacy_classes)


@pytest.mark.parametrize("G", FINITE, ids=str)
def test_numeric_homomorphism_and_orthogonality(G):
    g = G.elements()
    for ir in irreps(G):
        m = ir(g)
        assert (ir(G.compose(g[:, None], g[None, :])) - m[:, None] @ m[None]).abs().max() < 1e-12
        assert (m @ m.transpose(-1, -2) - torch.eye(ir.dim, dtype=torch.float64)).abs().max() < 1e-12
        # endomorphisms commute with the irrep
        for e in ir.endomorphism_basis:
            e = torch.as_tensor(e)
            assert (m @ e - e @ m).abs().max() < 1e-12


@pytest.mark.parametrize("G", FINITE, ids=str)
def test_regular_contains_each_irrep_d_over_e_times(G):
    rho = regular(G)
    mult = rho.multiplicities()
    for ir in irreps(G):
        assert mult[ir] == ir.dim // _e(ir)
    g = G.elements()
    assert (rho(g) - rho._from_irreps(g, torch.float64)).abs().max() < 1e-12


@pytest.mark.parametrize("G", [Cyclic(3), Dihedral(3), Dihedral(4)], ids=str)
def test_exact_decomposition_of_regular(G):
    rho = regular(G)
    found, q = decompose_exact(rho)
    assert sympy.simplify(q.T * q) == sympy.eye(G.order)
    for ir in irreps(G):
        assert sum(1 for f in found if f == ir) == ir.dim // _e(ir)
    for g in range(G.order):
        block = sympy.diag(*[f.exact(g) for f in found])
        assert sympy.simplify(q * block * q.T - rho.exact(g)) == sympy.zeros(G.order)


@pytest.mark.parametrize("G", [SO2(), O2()], ids=str)
def test_continuous_irreps(G):
    gen = torch.Generator().manual_seed(3)
    a, b = G.sample(25, gen), G.sample(25, gen)
    irs = irreps(G, max_degree=4)
    for ir in irs:
        lhs = ir(G.compose(a, b))
        assert (lhs - ir(a) @ ir(b)).abs().max() < 1e-10
    # Schur orthogonality through the quadrature grid
    g, w = integration_grid(G, 8)
    for s in irs:
        for t in irs:
            val = torch.einsum("n,nij,nkl->ijkl", w, s(g), t(g))
            if s != t:
                assert val.abs().max() < 1e-12
            else:
                assert abs(float(torch.einsum("n,nii,nkk->", w, s(g), t(g))) - _e(s)) < 1e-12


def test_so2_exact_form():
    t = sympy.Symbol("t")
    m = irrep(SO2(), 3).exact(t)
    assert sympy.simplify(
        m - sympy.Matrix([[sympy.cos(3 * t), -sympy.sin(3 * t)], [sympy.sin(3 * t), sympy.cos(3 * t)]])
    ) == sympy.zeros(2)
    m2 = irrep(O2(), 1, 2).exact((t, 1))
    assert sympy.simplify(m2 * m2 - sympy.eye(2)) == sympy.zeros(2)  # a reflection
    # exact matches numeric
    val = float(irrep(SO2(), 3).exact(sympy.pi / 7)[1, 0])
    assert abs(val - float(irrep(SO2(), 3)(torch.tensor(np.pi / 7, dtype=torch.float64))[1, 0])) < 1e-14


@pytest.mark.parametrize(
    "G,pairs",
    [
        (Dihedral(4), [((1, 1), (1, 1)), ((1, 0), (1, 1)), ((1, 2), (1, 1))]),
        (Cyclic(5), [(1, 2), (2, 2), (1, 1)]),
        (SO2(), [(2, 3), (1, 1), (0, 4)]),
        (O2(), [((1, 2), (1, 2)), ((1, 0), (1, 3)), ((1, 1), (1, 3))]),
    ],
    ids=str,
)
def test_clebsch_gordan_reconstructs(G, pairs):
    g = G.elements() if G.is_finite else G.sample(20, torch.Generator().manual_seed(0))
    for a, b in pairs:
        s = irrep(G, *a) if isinstance(a, tuple) else irrep(G, a)
        t = irrep(G, *b) if isinstance(b, tuple) else irrep(G, b)
        found, c = clebsch_gordan(s, t)
        c = torch.as_tensor(c)
        kron = torch.einsum("nij,nkl->nikjl", s(g), t(g)).reshape(-1, s.dim * t.dim, s.dim * t.dim)
        blocks = directsum(*found)(g)
        assert (c.T @ c - torch.eye(c.shape[0], dtype=torch.float64)).abs().max() < 1e-12
        assert (kron - c @ blocks @ c.T).abs().max() < 1e-10


def test_so2_frequency_addition():
    found, _ = clebsch_gordan(irrep(SO2(), 2), irrep(SO2(), 3))
    assert sorted(ir.id for ir in found) == [1, 5]
    found, _ = clebsch_gordan(irrep(O2(), 1, 2), irrep(O2(), 1, 2))
    assert sorted(ir.id for ir in found) == [(0, 0), (1, 0), (1, 4)]


@pytest.mark.parametrize("G", [Dihedral(4), Cyclic(6), SO2(), O2()], ids=str)
def test_tensor_product_of_reducible_reps(G):
    if G.is_finite:
        r1 = regular(G) if G.order <= 8 else standard(G)
        r2 = standard(G)
        g = G.elements()
    else:
        r1 = irrep(G, 1) + irrep(G, 2) if isinstance(G, SO2) else irrep(G, 1, 0) + irrep(G, 1, 2)
        r2 = standard(G)
        g = G.sample(20, torch.Generator().manual_seed(1))
    t = tensor_product(r1, r2)
    assert t.dim == r1.dim * r2.dim
    direct = torch.einsum("nij,nkl->nikjl", r1(g), r2(g)).reshape(-1, t.dim, t.dim)
    assert (t(g) - direct).abs().max() < 1e-10
    assert (t._from_irreps(g, torch.float64) - direct).abs().max() < 1e-10


def test_quotient_induced_restrict_and_frobenius():
    G, H = Dihedral(4), Cyclic(4)
    q = quotient(G, H)
    assert q.dim == 2 and sorted(ir.id for ir in q.irreps) == [(0, 0), (1, 0)]
    g = G.elements()
    assert (q(g) - q._from_irreps(g, torch.float64)).abs().max() < 1e-12
    # quotient by the trivial subgroup is the regular representation
    assert quotient(G, Cyclic(1)).multiplicities() == regular(G).multiplicities()
    # Frobenius reciprocity: <Ind tau, sigma>_G = <tau, Res sigma>_H
    for tau in irreps(H):
        ind = induced(G, H, tau)
        assert (ind(G.compose(g[:, None], g[None, :])) - ind(g)[:, None] @ ind(g)[None]).abs().max() < 1e-12
        for sigma in irreps(G):
            res = restrict(sigma, H)
            # characters: (1/|G|) sum chi_ind chi_sigma == (1/|H|) sum chi_tau chi_res
            lhs = float((ind.character(g) * sigma.character(g)).mean())
            h = H.elements()
            rhs = float((tau.character(h) * res.character(h)).mean())
            assert abs(lhs - rhs) < 1e-12


def test_restriction_to_continuous_subgroup():
    r = restrict(irrep(O2(), 1, 3), SO2())
    assert [ir.id for ir in r.irreps] == [3]
    r = restrict(irrep(SO2(), 2), Cyclic(3))
    assert [ir.id for ir in r.irreps] == [1]  # frequency 2 aliases to 1 modulo 3
    r = restrict(irrep(O2(), 1, 2), Dihedral(4))
    assert sorted(ir.id for ir in r.irreps) == [(0, 2), (1, 2)]


def test_exact_induced_and_quotient():
    G, H = Dihedral(3), Cyclic(3)
    ind = induced(G, H, irrep(H, 1))
    for a in range(G.order):
        assert np.allclose(np.array(ind.exact(a), dtype=float), ind(torch.tensor(a)).numpy())
    assert quotient(G, H).exact(3) == sympy.Matrix([[0, 1], [1, 0]])


def test_trivial_and_standard():
    for G in [Cyclic(5), Dihedral(4), SO2(), O2()]:
        t = trivial(G)
        assert t.is_trivial() and t.dim == 1
        s = standard(G)
        g = G.elements() if G.is_finite else G.sample(5)
        assert (s(g) - G.action_matrix(g)).abs().max() < 1e-12
    assert not irrep(Dihedral(4), 1, 0).is_trivial()
    # the labels and tables that decide is_trivial agree with sigma(g) = 1 on the group's elements
    for G in [Cyclic(1), Cyclic(2), Cyclic(6), Dihedral(1), Dihedral(2), Dihedral(5), SO2(), O2()]:
        g = G.elements() if G.is_finite else G.sample(16, generator=torch.Generator().manual_seed(0))
        for ir in irreps(G, None if G.is_finite else 3):
            ones = bool((ir(g) - 1).abs().max() < 1e-12) if ir.dim == 1 else False
            assert ir.is_trivial() == ones, ir


def test_printable_form_round_trip():
    G = Dihedral(4)
    r = regular(G) * 3 + irrep(G, 1, 1) + quotient(G, Cyclic(4)) + trivial(G)
    assert repr(r) == "D4[3 x regular + irrep(1,1) + quotient(C4) + irrep(0,0)]"
    assert parse_representation(repr(r)) == r
    for text in [
        "C8[regular + irrep(3)]",
        "SO2[irrep(0) + 2 x irrep(2)]",
        "O2[irrep(1,0) + irrep(1,3)]",
        "D6[induced(C3:irrep(1))]",
    ]:
        rep = parse_representation(text)
        assert repr(rep) == text
    with pytest.raises(ValueError, match="unknown representation atom"):
        parse_representation("D4[foo]")
    with pytest.raises(ValueError, match="cannot parse group name"):
        parse_representation("Q8[regular]")
    with pytest.raises(ValueError, match="GROUP"):
        parse_representation("regular")


def test_bad_input_errors():
    with pytest.raises(ValueError, match=r"irrep\(k\) with 0 <= k <= 2"):
        irrep(Cyclic(4), 3)
    with pytest.raises(ValueError, match="irrep\\(j,k\\)"):
        irrep(Dihedral(4), 0, 1)
    with pytest.raises(ValueError, match="k >= 0"):
        irrep(SO2(), -1)
    with pytest.raises(TypeError, match="representation of C4, got one of D4"):
        directsum(regular(Cyclic(4)), regular(Dihedral(4)))
    with pytest.raises(TypeError, match="C4"):
        regular(Cyclic(4)) + irrep(Cyclic(8), 1)
    with pytest.raises(ValueError, match="orthogonal"):
        Representation(Cyclic(4), [irrep(Cyclic(4), 1)], np.array([[1.0, 1.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="pass max_degree"):
        irreps(SO2())
    with pytest.raises(TypeError, match="finite groups"):
        regular(SO2())
    with pytest.raises(ValueError, match="not an orthogonal representation"):
        from groupconv.reps import decompose

        decompose(Cyclic(4), lambda g: 2 * regular(Cyclic(4))(g), 4)
