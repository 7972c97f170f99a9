from __future__ import annotations

import inspect
import pickle

import numpy as np
import pytest
import torch

from groupconv.groups import (
    SO2,
    Cyclic,
    Dihedral,
    DirectProduct,
    group_from_name,
    inclusion,
)
from groupconv.reps import irreps

FINITE = ["C4xC2", "D3xC2", "C3xC4"]


# -- the group ----------------------------------------------------------------------------------------


def test_construction_errors_and_types():
    with pytest.raises(TypeError, match="two groupconv Groups"):
        DirectProduct(Cyclic(4), "C2")
    P = DirectProduct(Cyclic(4), Cyclic(2))
    assert P.is_finite and P.order == 8
    assert not DirectProduct(SO2(), Cyclic(2)).is_finite
    assert (
        isinstance(P, DirectProduct)
        and P == DirectProduct(Cyclic(4), Cyclic(2))
        and P != DirectProduct(Cyclic(2), Cyclic(4))
    )
    assert pickle.loads(pickle.dumps(P)) == P
    with pytest.raises(ValueError, match=r"\[0, 8\)"):
        P.compose(torch.tensor(8), torch.tensor(0))
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        P.combine(torch.tensor(0), torch.tensor(2))
    with pytest.raises(TypeError, match="integer index"):
        P.split(torch.tensor([0.5]))
    Q = DirectProduct(SO2(), Cyclic(2))
    with pytest.raises(TypeError, match=r"\(\.\.\., 2\)"):
        Q.compose(torch.zeros(5, dtype=torch.float64), Q.identity((5,)))
    with pytest.raises(TypeError, match="float"):
        Q.inverse(torch.zeros(5, 2, dtype=torch.long))


@pytest.mark.parametrize("name", FINITE)
def test_finite_indexing_and_axioms(name):
    P = group_from_name(name)
    G, H = P.factors
    a, b = torch.meshgrid(G.elements(), H.elements(), indexing="ij")
    assert torch.equal(P.combine(a, b).reshape(-1), P.elements())
    assert torch.equal(P.combine(a, b), a * H.order + b)
    x, y = P.split(P.elements())
    assert torch.equal(P.combine(x, y), P.elements())
    t = P.cayley_table_np
    N = P.order
    u, v = torch.meshgrid(P.elements(), P.elements(), indexing="ij")
    (u1, u2), (v1, v2) = P.split(u), P.split(v)
    assert torch.equal(P.compose(u, v), P.combine(G.compose(u1, v1), H.compose(u2, v2)))
    assert (t == P.compose(u, v).numpy()).all()
    i, j, k = np.ix_(np.arange(N), np.arange(N), np.arange(N))
    assert (t[t[i, j], k] == t[i, t[j, k]]).all()
    assert (t[0] == np.arange(N)).all() and (t[:, 0] == np.arange(N)).all()
    inv = P.inverse(P.elements()).numpy()
    assert (t[np.arange(N), inv] == 0).all()
    gens = P.generators()
    assert [int(g) // H.order for g in gens[: len(G.generators())]] == G.generators()


def test_inclusions_of_factors():
    P = DirectProduct(Dihedral(3), Cyclic(2))
    g = inclusion(Dihedral(3), P)(torch.arange(6))
    assert torch.equal(g, torch.arange(6) * 2)
    h = inclusion(Cyclic(2), P)(torch.arange(2))
    assert torch.equal(h, torch.arange(2))
    c3 = inclusion(Cyclic(3), P)(torch.arange(3))
    assert torch.equal(P.split(c3)[0], torch.arange(3)) and torch.equal(
        P.split(c3)[1], torch.zeros(3, dtype=torch.long)
    )
    Q = DirectProduct(SO2(), Cyclic(2))
    assert torch.equal(
        inclusion(Cyclic(2), Q)(torch.arange(2)), torch.tensor([[0.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    )
    theta = torch.tensor([0.3, 1.2], dtype=torch.float64)
    assert torch.equal(
        inclusion(SO2(), Q)(theta), torch.stack([theta, torch.zeros(2, dtype=torch.float64)], -1)
    )
    iota = inclusion(DirectProduct(Cyclic(2), Cyclic(2)), DirectProduct(Cyclic(4), Cyclic(2)))
    assert iota(torch.arange(4)).tolist() == [0, 1, 4, 5]


# -- irreps of finite products ------------------------------------------------------------------------------


# -- continuous products ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["SO2xC2", "SO2xC4", "C3xSO2", "O2xC2"])
def test_continuous_product(name):
    P = group_from_name(name)
    gen = torch.Generator().manual_seed(0)
    a, b, c = (P.sample(25, generator=gen) for _ in range(3))
    assert P.sample(4).shape == (4, P.element_size)
    e = P.identity((25,))
    assert P.equal(P.compose(P.compose(a, b), c), P.compose(a, P.compose(b, c))).all()
    assert P.equal(P.compose(a, e), a).all() and P.equal(P.compose(e, a), a).all()
    assert P.equal(P.compose(a, P.inverse(a)), e).all()
    assert not P.equal(a, b).all()
    grid, w = P.quadrature(6)
    assert abs(float(w.sum()) - 1) < 1e-14


@pytest.mark.cuda
def test_cuda_matches_cpu():
    dev = torch.device("cuda")
    P = group_from_name("C3xC4")
    a = torch.randint(0, P.order, (32,))
    b = torch.randint(0, P.order, (32,))
    assert torch.equal(P.compose(a.to(dev), b.to(dev)).cpu(), P.compose(a, b))
    Q = group_from_name("SO2xC4")
    g = Q.sample(16, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(Q.compose(g.to(dev), g.to(dev)).cpu(), Q.compose(g, g))
    for ir in irreps(Q, max_degree=2):
        for dtype in (torch.float32, torch.float64):
            assert torch.allclose(ir(g.to(dev), dtype).cpu(), ir(g, dtype), atol=1e-6)


def test_deprecated_factor_keywords_warn_and_give_the_same_group():
    with pytest.warns(DeprecationWarning) as record:
        P = DirectProduct(G=Cyclic(4), H=Cyclic(2))
    assert sorted(str(w.message) for w in record) == [
        "DirectProduct(): the keyword 'G' is deprecated, use 'first'",
        "DirectProduct(): the keyword 'H' is deprecated, use 'second'",
    ]
    assert P == DirectProduct(Cyclic(4), Cyclic(2)) and P.order == 8 and P.G == Cyclic(4)
    with pytest.warns(DeprecationWarning, match="'G' is deprecated"):
        Q = DirectProduct(G=SO2(), second=Cyclic(2))
    assert Q == DirectProduct(first=SO2(), second=Cyclic(2)) and Q.element_size == 2
    assert list(inspect.signature(DirectProduct).parameters) == ["first", "second"]
