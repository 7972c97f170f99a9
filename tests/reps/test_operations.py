"""Representations built from a group's structure (trivial, standard, induced, restricted), the
deprecated keyword of the renamed parameters, and the import paths kept after the split of the module."""

from __future__ import annotations

import inspect
import pickle

import numpy as np
import pytest
import sympy
import torch

from groupconv import reps
from groupconv.groups import O2, SO2, Cyclic, Dihedral, DirectProduct
from groupconv.reps import (
    decomposition,
    induced,
    irrep,
    irreps,
    operations,
    permutation,
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


def test_deprecated_rep_keyword_warns_and_gives_the_same_result():
    G, H = Dihedral(4), Cyclic(4)
    tau = irrep(H, 1)
    with pytest.warns(DeprecationWarning, match=r"induced\(\): the keyword 'rep' is deprecated, use 'rho'"):
        ind = induced(G, H, rep=tau)
    assert ind == induced(G, H, rho=tau) and torch.equal(ind(G.elements()), induced(G, H, tau)(G.elements()))
    with pytest.warns(DeprecationWarning, match=r"restrict\(\): the keyword 'rep' is deprecated, use 'rho'"):
        res = restrict(rep=standard(G), subgroup=H)
    assert res == restrict(standard(G), H)
    assert list(inspect.signature(restrict).parameters) == ["rho", "subgroup", "iota"]
    assert list(inspect.signature(induced).parameters) == ["group", "subgroup", "rho", "iota"]


def test_old_import_paths_keep_working():
    # every name operations.py held before the split is importable from it, as the same object
    for name in operations.__all__:
        assert getattr(operations, name) is getattr(reps, name), name
    assert operations.PermutationRepresentation is permutation.PermutationRepresentation
    assert operations.clebsch_gordan is decomposition.clebsch_gordan
    # a tensor product pickled under the old module path of its matrix function still loads
    t = reps.tensor_product(irrep(Cyclic(4), 1), irrep(Cyclic(4), 1))
    old = pickle.dumps(t, protocol=0).replace(b"groupconv.reps.decomposition", b"groupconv.reps.operations")
    assert b"groupconv.reps.operations" in old and pickle.loads(old) == t


def test_standard_of_a_product_and_induced_of_a_continuous_group_errors():
    P = DirectProduct(Cyclic(4), Cyclic(2))
    s = standard(P)
    g = P.elements()
    assert s.dim == 4 and torch.allclose(s(g), P.action_matrix(g), atol=1e-12)
    with pytest.raises(TypeError, match="induced representations are built for finite groups"):
        induced(O2(), SO2(), irrep(SO2(), 1))
    with pytest.raises(TypeError, match="representation of C4, got one of C2"):
        induced(Dihedral(4), Cyclic(4), irrep(Cyclic(2), 1))
