from __future__ import annotations

import numpy as np
import pytest
import sympy
import torch

from groupconv.groups import O2, SO2, Cyclic, Dihedral
from groupconv.reps import (
    Representation,
    directsum,
    integration_grid,
    irrep,
    irreps,
    regular,
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


def test_bad_input_errors():
    with pytest.raises(ValueError, match=r"irrep\(k\) with 0 <= k <= 2"):
        irrep(Cyclic(4), 3)
    with pytest.raises(ValueError, match="irrep\\(j,k\\)"):
        irrep(Dihedral(4), 0, 1)
    with pytest.raises(ValueError, match="k >= 0"):
        irrep(SO2(), -1)
    with pytest.raises(ValueError, match="pass max_degree"):
        irreps(SO2())
