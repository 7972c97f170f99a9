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
    grid_permutation,
    inclusion,
    left_cosets,
    transform_grid,
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


def test_inclusions_are_homomorphisms():
    pairs = [
        (Cyclic(3), Cyclic(12)),
        (Cyclic(4), Dihedral(8)),
        (Dihedral(2), Dihedral(6)),
        (Cyclic(5), SO2()),
        (Cyclic(5), O2()),
        (Dihedral(5), O2()),
    ]
    for H, G in pairs:
        iota = inclusion(H, G)
        h = H.elements()
        lhs = iota(H.compose(h[:, None], h[None, :]))
        rhs = G.compose(iota(h)[:, None], iota(h)[None, :])
        assert G.equal(lhs, rhs).all(), (H, G)
        # injective, and preserves the action on the plane
        assert (G.action_matrix(iota(h)) - H.action_matrix(h)).abs().max() < 1e-12
    iota = inclusion(SO2(), O2())
    t = SO2().sample(10)
    assert (O2().action_matrix(iota(t)) - SO2().action_matrix(t)).abs().max() < 1e-14
    with pytest.raises(ValueError, match="not a known subgroup"):
        inclusion(Cyclic(3), Cyclic(8))


def test_left_cosets():
    reps_, coset_of = left_cosets(Cyclic(4), Dihedral(4))
    assert len(reps_) == 2 and sorted(np.bincount(coset_of).tolist()) == [4, 4]
    reps_, coset_of = left_cosets(Cyclic(2), Cyclic(6))
    assert len(reps_) == 3


@pytest.mark.parametrize("G", [Cyclic(2), Cyclic(4), Dihedral(1), Dihedral(2), Dihedral(4)], ids=str)
@pytest.mark.parametrize("size", [4, 5])
def test_grid_action_is_exact_left_action(G, size):
    x = torch.arange(size * size, dtype=torch.float64).reshape(size, size)
    for a in range(G.order):
        for b in range(G.order):
            ab = int(G.compose(torch.tensor(a), torch.tensor(b)))
            assert torch.equal(transform_grid(transform_grid(x, G, b), G, a), transform_grid(x, G, ab))


def test_grid_action_matches_point_action():
    # (g.f)(p) = f(g^-1 p) on pixel centres
    G, size = Dihedral(4), 5
    c = (size - 1) / 2
    x = torch.randn(size, size, dtype=torch.float64)
    for g in range(G.order):
        y = transform_grid(x, G, g)
        ginv = G.action_matrix(G.inverse(torch.tensor(g)))
        for i in range(size):
            for j in range(size):
                px, py = ginv @ torch.tensor([j - c, c - i], dtype=torch.float64)
                si, sj = int(round(c - py.item())), int(round(px.item() + c))
                assert y[i, j] == x[si, sj]
    assert torch.equal(transform_grid(x, Cyclic(4), 1), torch.rot90(x, 1, dims=(-2, -1)))


def test_grid_action_errors():
    with pytest.raises(ValueError, match="pixel grid"):
        grid_permutation(Cyclic(8), 1, 5)
    with pytest.raises(ValueError, match="square"):
        grid_permutation(Cyclic(4), 1, 4, 6)


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


def test_cached_hashes_are_not_pickled():
    """Groups and representations cache their hash (it keys every table); string hashing is salted per
    process, so a pickled object must recompute it."""
    import copy
    import pickle

    from groupconv.groups import O2, Dihedral
    from groupconv.reps import irrep, regular

    for obj in (Dihedral(8), O2()):
        h = hash(obj)
        assert "_hash" in obj.__dict__
        back = pickle.loads(pickle.dumps(obj))
        assert "_hash" not in back.__dict__ and back == obj and hash(back) == h
    for obj in (regular(Dihedral(4)), irrep(O2(), 1, 2)):
        h = hash(obj)
        back = copy.deepcopy(obj)
        assert "_hash" not in back.__dict__ and back == obj and hash(back) == h
