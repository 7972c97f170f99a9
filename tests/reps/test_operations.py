from __future__ import annotations

import numpy as np
import sympy
import torch

from groupconv.groups import O2, SO2, Cyclic, Dihedral
from groupconv.reps import (
    induced,
    irrep,
    irreps,
    quotient,
    regular,
    restrict,
    standard,
    trivial,
)


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
