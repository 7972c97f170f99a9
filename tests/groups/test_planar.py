from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from groupconv.groups import (
    O2,
    SO2,
    Cyclic,
    Dihedral,
)

FINITE = [Cyclic(1), Cyclic(2), Cyclic(5), Cyclic(8), Dihedral(1), Dihedral(3), Dihedral(4), Dihedral(6)]


@pytest.mark.parametrize("G", FINITE, ids=str)
def test_finite_group_axioms(G):
    t = G.cayley_table_np
    n = G.order
    # closure and latin square (each row/column a permutation)
    assert ((t >= 0) & (t < n)).all()
    assert all(len(set(row)) == n for row in t) and all(len(set(col)) == n for col in t.T)
    # identity is element 0
    assert (t[0] == np.arange(n)).all() and (t[:, 0] == np.arange(n)).all()
    # associativity on every triple
    assert (
        t[t[:, :, None], np.arange(n)[None, None, :]] == t[np.arange(n)[:, None, None], t[None, :, :]]
    ).all()
    # inverses
    g = G.elements()
    assert (G.compose(g, G.inverse(g)) == 0).all()


@pytest.mark.parametrize("G", FINITE, ids=str)
def test_action_is_homomorphism(G):
    g = G.elements()
    lhs = G.action_matrix(G.compose(g[:, None], g[None, :]))
    rhs = G.action_matrix(g)[:, None] @ G.action_matrix(g)[None]
    assert (lhs - rhs).abs().max() < 1e-12


def test_dihedral_reflection_convention():
    G = Dihedral(4)
    f = torch.tensor(4)  # r^0 f
    assert torch.allclose(G.action_matrix(f), torch.tensor([[1.0, 0.0], [0.0, -1.0]], dtype=torch.float64))
    r = torch.tensor(1)
    # f r f = r^-1
    assert int(G.compose(G.compose(f, r), f)) == 3


@pytest.mark.parametrize("G", [SO2(), O2()], ids=str)
def test_continuous_group_axioms(G):
    gen = torch.Generator().manual_seed(1)
    a, b, c = G.sample(30, gen), G.sample(30, gen), G.sample(30, gen)
    assert G.equal(G.compose(G.compose(a, b), c), G.compose(a, G.compose(b, c))).all()
    assert G.equal(G.compose(a, G.inverse(a)), G.identity((30,))).all()
    assert G.equal(G.compose(G.identity((30,)), a), a).all()
    ma = G.action_matrix(G.compose(a, b))
    assert (ma - G.action_matrix(a) @ G.action_matrix(b)).abs().max() < 1e-12
    assert not G.equal(a, b).all()


@settings(max_examples=50, deadline=None)
@given(t1=st.floats(-10, 10), t2=st.floats(-10, 10), s1=st.integers(0, 1), s2=st.integers(0, 1))
def test_o2_product_matches_matrices(t1, t2, s1, s2):
    G = O2()
    a = O2.make(torch.tensor(t1, dtype=torch.float64), s1)
    b = O2.make(torch.tensor(t2, dtype=torch.float64), s2)
    assert (G.action_matrix(G.compose(a, b)) - G.action_matrix(a) @ G.action_matrix(b)).abs().max() < 1e-12


def test_haar_sampling_is_uniform():
    gen = torch.Generator().manual_seed(0)
    theta = SO2().sample(20000, gen)
    # first Fourier moments of the Haar measure vanish
    assert abs(torch.cos(theta).mean()) < 0.03 and abs(torch.sin(2 * theta).mean()) < 0.03
    s = O2().sample(20000, gen)[:, 1]
    assert abs(s.mean() - 0.5) < 0.02
    k = Dihedral(3).sample(6000, gen)
    counts = torch.bincount(k, minlength=6).double() / 6000
    assert (counts - 1 / 6).abs().max() < 0.03


@pytest.mark.parametrize("degree", [0, 1, 4, 7])
def test_so2_quadrature_exact_up_to_degree(degree):
    theta, w = SO2().quadrature(degree)
    assert abs(w.sum() - 1) < 1e-15
    for k in range(1, degree + 1):
        assert abs((w * torch.cos(k * theta)).sum()) < 1e-14
        assert abs((w * torch.sin(k * theta)).sum()) < 1e-14
    # one degree higher is not integrated exactly
    assert abs((w * torch.cos((degree + 1) * theta)).sum() - 0) > 0.5


def test_conjugacy_classes():
    # D_n, n odd: identity, (n-1)/2 rotation pairs, one class of reflections
    assert len(Dihedral(5).conjugacy_classes) == 1 + 2 + 1
    # D_n, n even: identity, r^{n/2}, (n-2)/2 rotation pairs, two classes of reflections
    assert len(Dihedral(6).conjugacy_classes) == 1 + 1 + 2 + 2
    assert len(Cyclic(7).conjugacy_classes) == 7
    sizes = sorted(len(c) for c in Dihedral(4).conjugacy_classes)
    assert sizes == [1, 1, 2, 2, 2]


def test_bad_elements():
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        Cyclic(4).compose(torch.tensor(1), torch.tensor(7))
    with pytest.raises(TypeError, match="integer index"):
        Cyclic(4).inverse(torch.tensor(1.0))
    with pytest.raises(TypeError, match=r"\(theta, s\)"):
        O2().compose(torch.tensor(1.0), torch.tensor(2.0))
    with pytest.raises(TypeError, match="float angle"):
        SO2().compose(torch.tensor(1), torch.tensor(2))
    with pytest.raises(ValueError, match="n >= 1"):
        Cyclic(0)
    with pytest.raises(ValueError, match="quadrature degree"):
        SO2().quadrature(-1)


def test_element_orders_and_angles():
    G = Dihedral(6)
    assert G.element_order(1) == 6 and G.element_order(6) == 2 and G.element_order(3) == 2
    assert math.isclose(float(Cyclic(8).angle(torch.tensor(2))), math.pi / 2)
