"""Representations that permute a basis: the action by the table, the characters and both ways of
finding the change of basis (Peter-Weyl for a simply transitive table, projections otherwise), regular
and quotient representations, pickling."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import sympy
import torch

from groupconv.groups import SO2, Cyclic, Dihedral, left_cosets
from groupconv.reps import irreps, permutation_representation, quotient, regular

FINITE = [Cyclic(1), Cyclic(3), Cyclic(4), Cyclic(6), Cyclic(7), Dihedral(1), Dihedral(2)]
FINITE += [Dihedral(3), Dihedral(4), Dihedral(5), Dihedral(6)]


def _e(ir):
    return 2 if ir.type == "C" else 1


@pytest.mark.parametrize("G", FINITE, ids=str)
def test_regular_contains_each_irrep_d_over_e_times(G):
    rho = regular(G)
    mult = rho.multiplicities()
    for ir in irreps(G):
        assert mult[ir] == ir.dim // _e(ir)
    g = G.elements()
    assert (rho(g) - rho._from_irreps(g, torch.float64)).abs().max() < 1e-12


def test_regular_of_a_continuous_group_errors():
    with pytest.raises(TypeError, match="finite groups"):
        regular(SO2())


def _cycles_of_d4() -> np.ndarray:
    """``D4`` permuting the four vertices of a square (vertex ``v`` at angle ``pi v / 2``) and, as a
    second orbit, its four edges: a permutation representation that is not transitive."""
    G = Dihedral(4)
    k, s = G.split(G.elements().numpy())
    v = np.arange(4)
    vertices = (np.where(s[:, None] == 1, -v[None], v[None]) + k[:, None]) % 4
    # edge e joins the vertices e and e + 1; the reflection maps it to the edge -e - 1
    edges = (np.where(s[:, None] == 1, -v[None] - 1, v[None]) + k[:, None]) % 4
    return np.concatenate([vertices, 4 + edges], 1)


def test_permutation_representation_acts_by_its_table():
    G = Dihedral(4)
    table = _cycles_of_d4()
    rho = permutation_representation(G, table, name="square")
    g = G.elements()
    mats = rho(g)
    # rho(g) e_x = e_{table[g, x]}
    for a in range(G.order):
        for x in range(8):
            assert mats[a, :, x].tolist() == [1.0 if y == table[a, x] else 0.0 for y in range(8)]
    x = torch.randn(5, 8, dtype=torch.float64)
    assert torch.equal(rho.act(x, torch.tensor(3)), (mats[3] @ x[..., None])[..., 0])
    assert torch.equal(rho.act(x[:, None], g), (mats @ x[:, None, :, None])[..., 0])
    # characters count fixed points; the decomposition (generic projections) reconstructs the matrices
    assert rho.character(g).tolist() == [float((table[a] == np.arange(8)).sum()) for a in range(8)]
    assert torch.allclose(rho._from_irreps(g, torch.float64), mats, atol=1e-12)
    q = rho.change_of_basis
    assert np.allclose(q.T @ q, np.eye(8), atol=1e-12)
    assert rho.exact(5) == sympy.Matrix(mats[5].numpy().astype(int))


def test_regular_in_another_numbering_uses_the_peter_weyl_basis():
    G = Dihedral(3)
    # the regular representation with its basis renumbered: still simply transitive
    perm = np.array([3, 0, 5, 1, 4, 2])
    table = perm[G.cayley_table_np][:, np.argsort(perm)]
    rho = permutation_representation(G, table)
    g = G.elements()
    assert rho.multiplicities() == regular(G).multiplicities()
    assert torch.allclose(rho._from_irreps(g, torch.float64), rho(g), atol=1e-12)


def test_quotient_permutes_the_cosets():
    G, H = Dihedral(4), Cyclic(2)
    q = quotient(G, H)
    assert q.dim == 4 and q.name == "quotient(C2)"
    _, coset_of = left_cosets(H, G)
    reps_, _ = left_cosets(H, G)
    for a in range(G.order):
        for i, r in enumerate(reps_):
            assert q.permutation[a, i] == coset_of[G.cayley_table_np[a, r]]
    assert torch.allclose(q._from_irreps(G.elements(), torch.float64), q(G.elements()), atol=1e-12)


def test_pickle_keeps_the_table_and_the_evaluation():
    rho = regular(Dihedral(3)) + quotient(Dihedral(3), Cyclic(3))
    back = pickle.loads(pickle.dumps(rho))
    g = Dihedral(3).elements()
    assert back == rho and torch.equal(back(g), rho(g)) and not back.permutation.flags.writeable
