from __future__ import annotations

import pytest
import sympy
import torch

from groupconv.groups import O2, SO2, Cyclic, Dihedral
from groupconv.reps import (
    clebsch_gordan,
    decompose_exact,
    directsum,
    irrep,
    irreps,
    regular,
    standard,
    tensor_product,
)


def _e(ir):
    return 2 if ir.type == "C" else 1


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
