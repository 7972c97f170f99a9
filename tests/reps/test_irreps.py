"""Irreps: the planar groups' irreps (exact and numeric homomorphisms, Schur orthogonality, counts) and
the registry that finds the irreps of a group class, its subclasses, and newly registered classes."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
import torch

from groupconv.groups import O2, SO2, Cyclic, Dihedral, FiniteGroup
from groupconv.reps import (
    TableIrrep,
    integration_grid,
    irrep,
    irreps,
    register_irreps,
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


class _Turns(Cyclic):
    """Rotations by multiples of 2 pi / n under a class of their own."""


class _Klein(FiniteGroup):
    """``C2 x C2`` by its law alone; its irreps are registered below."""

    @property
    def name(self) -> str:
        return "V4"

    @property
    def order(self) -> int:
        return 4

    def compose_indices(self, a, b):
        return np.bitwise_xor(a, b)


class _KleinIrrep(TableIrrep):
    def __init__(self, group, a: int, b: int):
        # the character (g0, g1) -> (-1)^(a g0 + b g1) of the bits of g
        signs = [(-1) ** (a * (g >> 1) + b * (g & 1)) for g in range(4)]
        table = np.array(signs, dtype=np.float64)[:, None, None]
        super().__init__(group, (a, b), table, lambda g: sympy.Matrix([[signs[g]]]))


def test_irreps_of_a_subclass_are_those_of_its_base():
    G = _Turns(6)
    assert [ir.id for ir in irreps(G)] == [0, 1, 2, 3]
    assert irrep(G, 2).group == G and torch.equal(
        irrep(G, 2)(G.elements()), irrep(Cyclic(6), 2)(G.elements())
    )


def test_registered_irreps_of_a_new_group_class_and_its_subclasses():
    with pytest.raises(TypeError, match=r"no irreps are known for V4 \(_Klein\)"):
        irreps(_Klein())
    with pytest.raises(TypeError, match=r"no irreps are known for V4 \(_Klein\)"):
        irrep(_Klein(), 0, 1)

    def listing(group, max_degree=None):
        return [_KleinIrrep(group, a, b) for a in (0, 1) for b in (0, 1)]

    register_irreps(_Klein, listing, _KleinIrrep)

    class Sub(_Klein):
        pass

    for V in (_Klein(), Sub()):
        irs = irreps(V)
        assert [ir.id for ir in irs] == [(0, 0), (0, 1), (1, 0), (1, 1)]
        g = V.elements()
        for ir in irs:
            assert torch.equal(ir(V.compose(g[:, None], g[None, :])), ir(g)[:, None] @ ir(g)[None])
        assert irrep(V, 1, 1).exact(3) == sympy.Matrix([[1]]) and irs[0].is_trivial()
        # the regular representation holds each character once
        assert regular(V).multiplicities() == {ir: 1 for ir in irs}


def test_registration_and_lookup_errors():
    with pytest.raises(TypeError, match="register_irreps takes a group class, got C4"):
        register_irreps(Cyclic(4), lambda g, m: [], lambda g, *i: None)
    with pytest.raises(TypeError, match="irreps\\(\\) takes a groupconv Group, got str"):
        irreps("C4")
    with pytest.raises(TypeError, match="irrep\\(\\) takes a groupconv Group, got int"):
        irrep(4, 1)
