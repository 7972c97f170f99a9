from __future__ import annotations

import pytest
import sympy
import torch

from groupconv.groups import O2, SO2, Cyclic, Dihedral, DirectProduct
from groupconv.reps import ComplexIrrep, clebsch_gordan_exact, complex_irreps, irrep, irreps


@pytest.mark.parametrize("G", [Cyclic(1), Cyclic(5), Cyclic(6), Dihedral(4), Dihedral(5)], ids=str)
def test_complex_irreps_of_finite_groups(G):
    cs = complex_irreps(G)
    # as many complex irreps as conjugacy classes, and sum of d^2 = |G|
    assert len(cs) == len(G.conjugacy_classes)
    assert sum(c.dim**2 for c in cs) == G.order
    g = G.elements()
    for a in cs:
        m = a(g)
        assert (a(G.compose(g[:, None], g[None, :])) - m[:, None] @ m[None]).abs().max() < 1e-12
        assert (m @ m.conj().transpose(-1, -2) - torch.eye(a.dim)).abs().max() < 1e-12
        for b in cs:
            inner = (a.character(g) * b.character(g).conj()).mean()
            assert abs(inner - (1.0 if a is b else 0.0)) < 1e-12


def test_cyclic_complex_characters_are_exponentials():
    G = Cyclic(7)
    g = G.elements()
    for c in complex_irreps(G)[1:]:
        k, sign = c.id
        assert (
            c(g)[:, 0, 0] - torch.exp(sign * 2j * torch.pi * k * g.to(torch.complex128) / 7)
        ).abs().max() < 1e-12
    t = sympy.Symbol("t", real=True)
    e = ComplexIrrep(irrep(SO2(), 3), -1).exact(t)[0, 0]
    assert sympy.simplify(e - sympy.exp(-3 * sympy.I * t)) == 0


def test_complex_form_errors():
    with pytest.raises(ValueError, match="real type"):
        ComplexIrrep(irrep(O2(), 1, 2), 1)
    with pytest.raises(ValueError, match="complex type"):
        ComplexIrrep(irrep(SO2(), 2), 0)


@pytest.mark.parametrize(
    "G,a,b",
    [
        (Dihedral(4), (1, 1), (1, 1)),
        (Dihedral(3), (1, 1), (1, 1)),
        (Cyclic(4), (1,), (1,)),
        (Cyclic(3), (1,), (1,)),
    ],
    ids=str,
)
def test_exact_clebsch_gordan(G, a, b):
    s, t = irrep(G, *a), irrep(G, *b)
    found, c = clebsch_gordan_exact(s, t)
    n = s.dim * t.dim
    assert sympy.simplify(c.T * c) == sympy.eye(n)
    from sympy.physics.quantum import TensorProduct

    for g in range(G.order):
        kron = TensorProduct(s.exact(g), t.exact(g))
        assert sympy.simplify(kron - c * sympy.diag(*[f.exact(g) for f in found]) * c.T) == sympy.zeros(n)
    continuous = irreps(DirectProduct(SO2(), Cyclic(2)), max_degree=1)[-1]
    with pytest.raises(TypeError, match="finite group"):
        clebsch_gordan_exact(continuous, continuous)
