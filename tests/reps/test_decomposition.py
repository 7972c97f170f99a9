"""Decompositions into irreps (numerical and exact), Clebsch-Gordan coefficients with their registered
rules, and tensor products."""

from __future__ import annotations

import inspect

import pytest
import sympy
import torch

from groupconv.groups import O2, SO2, Cyclic, Dihedral, DirectProduct
from groupconv.reps import (
    clebsch_gordan,
    clebsch_gordan_exact,
    decompose,
    decompose_exact,
    directsum,
    irrep,
    irreps,
    quotient,
    register_clebsch_gordan,
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


def test_numerical_decomposition_rejects_a_non_orthogonal_representation():
    with pytest.raises(ValueError, match="not an orthogonal representation"):
        decompose(Cyclic(4), lambda g: 2 * regular(Cyclic(4))(g), 4)
    with pytest.raises(ValueError, match=r"matrix_fn must return \(\.\.\., 3, 3\) matrices"):
        decompose(Cyclic(4), regular(Cyclic(4)), 3)


def test_decompose_exact_deprecated_keyword():
    rho = quotient(Dihedral(3), Cyclic(3))
    with pytest.warns(
        DeprecationWarning, match=r"decompose_exact\(\): the keyword 'rep' is deprecated, use 'rho'"
    ):
        found, q = decompose_exact(rep=rho)
    assert (found, q) == decompose_exact(rho)
    assert list(inspect.signature(decompose_exact).parameters) == ["rho"]
    with pytest.raises(TypeError, match="needs a finite group"):
        decompose_exact(standard(SO2()))


class _Turns(Cyclic):
    """Rotations by quarter turns under a class of their own: irreps inherited from Cyclic."""


class _FinerTurns(_Turns):
    """A subclass that registers nothing: it uses the rules of _Turns."""


def _turns_rule(calls: list):
    def rule(sigma, tau):
        calls.append((sigma, tau))
        n = sigma.group.n
        found, c = clebsch_gordan(irrep(Cyclic(n), sigma.id), irrep(Cyclic(n), tau.id))
        return [irrep(sigma.group, f.id) for f in found], c

    return rule


def test_registered_clebsch_gordan_rule_dispatches_on_the_class_and_its_subclasses():
    calls: list = []
    register_clebsch_gordan(_Turns, _turns_rule(calls))
    for G in (_Turns(8), _FinerTurns(8)):
        s, t = irrep(G, 1), irrep(G, 2)
        found, c = clebsch_gordan(s, t)
        assert calls[-1] == (s, t)
        assert [f.group for f in found] == [G, G] and sorted(f.id for f in found) == [1, 3]
        g = G.elements()
        kron = torch.einsum("nij,nkl->nikjl", s(g), t(g)).reshape(-1, 4, 4)
        c = torch.as_tensor(c)
        assert (kron - c @ directsum(*found)(g) @ c.T).abs().max() < 1e-12
    assert len(calls) == 2
    # other groups keep the numerical decomposition
    clebsch_gordan(irrep(Cyclic(8), 1), irrep(Cyclic(8), 2))
    assert len(calls) == 2


def test_registered_exact_rule_is_used_by_clebsch_gordan_exact():
    class Exact(_Turns):
        pass

    calls: list = []

    def exact(sigma, tau):
        calls.append((sigma, tau))
        return [irrep(sigma.group, 0), irrep(sigma.group, 0)], sympy.eye(2)

    register_clebsch_gordan(Exact, _turns_rule([]), exact=exact)
    s = irrep(Exact(2), 1)
    found, c = clebsch_gordan_exact(s, s)
    assert calls == [(s, s)] and c == sympy.eye(2) and [f.id for f in found] == [0, 0]
    with pytest.raises(TypeError, match="no exact Clebsch-Gordan rule is known for SO2xC2"):
        P = DirectProduct(SO2(), Cyclic(2))
        clebsch_gordan_exact(irrep(P, 1, 1), irrep(P, 1, 1))
    with pytest.raises(TypeError, match="register_clebsch_gordan takes a group class"):
        register_clebsch_gordan(Cyclic(4), exact)
