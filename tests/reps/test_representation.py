"""The Representation value type: construction from irreps and a change of basis, evaluation (matrices,
action, characters, exact form), direct sums, repetition and tensor products, printing and equality."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import sympy
import torch

from groupconv.groups import SO2, Cyclic, Dihedral
from groupconv.reps import (
    PermutationRepresentation,
    Representation,
    block_diagonal,
    directsum,
    irrep,
    regular,
    standard,
)


def _rotation(t: float) -> np.ndarray:
    return np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])


def test_matrices_from_irreps_and_change_of_basis():
    G = Dihedral(4)
    sigma, sign = irrep(G, 1, 1), irrep(G, 1, 0)
    q = np.zeros((3, 3))
    q[:2, 1:] = _rotation(0.3)
    q[2, 0] = 1.0
    rho = Representation(G, [sign, sigma], q)
    g = G.elements()
    expected = torch.as_tensor(q) @ block_diagonal([sign(g), sigma(g)]) @ torch.as_tensor(q).T
    assert rho.dim == 3 and torch.allclose(rho(g), expected, atol=1e-14)
    assert rho(g, torch.float32).dtype == torch.float32
    # a homomorphism, orthogonal, with the character of its irreps
    assert torch.allclose(rho(G.compose(g[:, None], g[None, :])), rho(g)[:, None] @ rho(g)[None], atol=1e-12)
    assert torch.allclose(rho.character(g), sign.character(g) + sigma.character(g), atol=1e-12)
    x = torch.randn(8, 3, dtype=torch.float64)
    assert torch.allclose(rho.act(x, g), (rho(g) @ x[..., None])[..., 0], atol=1e-14)
    assert rho.multiplicities() == {sign: 1, sigma: 1} and rho.multiplicity(irrep(G, 0, 0)) == 0
    assert rho.degree == 0 and not rho.is_trivial()


def test_block_diagonal():
    a = torch.ones(2, 1, 1)
    b = torch.full((2, 2, 2), 2.0)
    m = block_diagonal([a, b])
    assert m.shape == (2, 3, 3)
    assert m[0].tolist() == [[1.0, 0.0, 0.0], [0.0, 2.0, 2.0], [0.0, 2.0, 2.0]]
    assert block_diagonal([b]) is b


def test_direct_sums_repetition_and_printing():
    G = Cyclic(4)
    r = regular(G)
    s = directsum(irrep(G, 1), irrep(G, 2))
    assert s.dim == 3 and repr(s) == "C4[irrep(1) + irrep(2)]"
    assert (s + irrep(G, 0)).irreps == (irrep(G, 1), irrep(G, 2), irrep(G, 0))
    three = r * 3
    assert three == 3 * r and three.dim == 12 and repr(three) == "C4[3 x regular]"
    # a sum of permutation representations still permutes a basis
    assert isinstance(three, PermutationRepresentation) and three.permutation.shape == (4, 12)
    g = G.elements()
    assert torch.equal(three(g)[:, 4:8, 4:8], r(g))
    assert directsum(group=G).dim == 0 and directsum(r) is r
    with pytest.raises(ValueError, match="needs the group"):
        directsum()
    with pytest.raises(TypeError, match="non-negative int"):
        r * -1


def test_tensor_product_restriction_and_exact_form():
    G = Dihedral(4)
    rho = standard(G)
    t = rho @ rho
    g = G.elements()
    kron = torch.einsum("nij,nkl->nikjl", rho(g), rho(g)).reshape(-1, 4, 4)
    assert torch.allclose(t(g), kron, atol=1e-12) and t == rho.tensor(rho)
    res = rho.restrict(Cyclic(4))
    assert res.group == Cyclic(4) and [ir.id for ir in res.irreps] == [1]
    assert rho.dual() is rho
    s = directsum(irrep(G, 1, 1), irrep(G, 1, 0))
    assert s.exact(1) == sympy.diag(sympy.Matrix([[0, -1], [1, 0]]), sympy.Matrix([[1]]))


def test_equality_hash_and_pickle():
    G = Cyclic(4)
    a = directsum(irrep(G, 1), irrep(G, 0))
    b = directsum(irrep(G, 1), irrep(G, 0))
    assert a == b and hash(a) == hash(b)
    assert a != directsum(irrep(G, 0), irrep(G, 1))
    back = pickle.loads(pickle.dumps(a))
    assert back == a and torch.equal(back(G.elements()), a(G.elements()))


def test_construction_errors():
    G = Cyclic(4)
    with pytest.raises(ValueError, match="orthogonal"):
        Representation(G, [irrep(G, 1)], np.array([[1.0, 1.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match=r"must be \(2, 2\) for irreps of total dimension 2, got \(3, 3\)"):
        Representation(G, [irrep(G, 1)], np.eye(3))
    with pytest.raises(TypeError, match="group must be a groupconv Group"):
        Representation("C4", [])
    with pytest.raises(TypeError, match="irreps must be Irrep objects"):
        Representation(G, [regular(G)])
    with pytest.raises(TypeError, match="representation of C4, got one of D4"):
        directsum(regular(Cyclic(4)), regular(Dihedral(4)))
    with pytest.raises(TypeError, match="C4"):
        regular(Cyclic(4)) + irrep(Cyclic(8), 1)
    with pytest.raises(TypeError, match="expected a irrep of SO2, got one of C4"):
        Representation(SO2(), [irrep(G, 1)])
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., 3\), got \(2,\)"):
        directsum(irrep(G, 1), irrep(G, 0)).act(torch.zeros(2), torch.tensor(0))
