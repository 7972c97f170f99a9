from __future__ import annotations

import itertools
import math
from collections import Counter

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from groupconv.groups import Symmetric, inclusion
from groupconv.reps import (
    irreps,
    partitions,
)

# -- independent references ------------------------------------------------------------------------


# Character tables of S_3 and S_4 (e.g. James and Liebeck, *Representations and Characters of Groups*,
# 2nd ed. 2001, chapters 18-19), rows = irreps by partition, columns = cycle types.


# -- the group ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [0, -2, 2.5, True, "3"])
def test_bad_n(bad):
    with pytest.raises(ValueError, match="n >= 1"):
        Symmetric(bad)


def test_canonical_order_and_name():
    G = Symmetric(3)
    expected = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]
    assert G.permutation(G.elements()).tolist() == expected
    assert G.name == "S3" and repr(G) == "S3" and G.order == 6
    for n in range(1, 7):
        S = Symmetric(n)
        perms = S.permutation(S.elements())
        assert perms.tolist() == [list(p) for p in itertools.permutations(range(n))]
        assert torch.equal(S.index_of(perms), S.elements())


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_group_axioms_from_table(n):
    G = Symmetric(n)
    t = G.cayley_table_np
    N = G.order
    assert (t[0] == np.arange(N)).all() and (t[:, 0] == np.arange(N)).all()
    a, b, c = np.ix_(np.arange(N), np.arange(N), np.arange(N))
    assert (t[t[a, b], c] == t[a, t[b, c]]).all()
    inv = G.inverse(G.elements()).numpy()
    assert (t[np.arange(N), inv] == 0).all() and (t[inv, np.arange(N)] == 0).all()
    assert all(sorted(row) == list(range(N)) for row in t)


def test_group_axioms_s6_vectorized():
    """Associativity (ab)c = a(bc) for all a, b and every generator c implies it for all c, by induction
    on the word length of c: (ab)(cs) = ((ab)c)s = (a(bc))s = a((bc)s) = a(b(cs)). A random sample of
    further c is checked as well."""
    G = Symmetric(6)
    t = G.cayley_table_np.astype(np.int16)
    N = G.order
    assert (t[0] == np.arange(N)).all() and (t[:, 0] == np.arange(N)).all()
    assert (np.sort(t, axis=1) == np.arange(N)).all()
    inv = G.inverse(G.elements()).numpy()
    assert (t[np.arange(N), inv] == 0).all() and (t[inv, np.arange(N)] == 0).all()
    rng = np.random.default_rng(0)
    c = np.concatenate([np.array(G.generators()), rng.integers(0, N, 16)])
    lhs = t[t[:, :, None], c[None, None, :]]
    rhs = t[np.arange(N)[:, None, None], t[:, c][None, :, :]]
    assert (lhs == rhs).all()


def test_compose_convention():
    G = Symmetric(4)
    perms = G.permutation(G.elements()).tolist()
    a, b = torch.meshgrid(G.elements(), G.elements(), indexing="ij")
    ab = G.permutation(G.compose(a, b)).tolist()
    for i in range(G.order):
        for j in range(G.order):
            assert ab[i][j] == [perms[i][perms[j][k]] for k in range(4)]
    S5 = Symmetric(5)
    x, y = torch.meshgrid(S5.elements(), S5.elements(), indexing="ij")
    assert torch.equal(S5.compose(x, y), S5.cayley_table())


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6).flatmap(lambda n: st.tuples(st.just(n), st.permutations(list(range(n))))))
def test_index_roundtrip(n_perm):
    n, p = n_perm
    G = Symmetric(n)
    g = G.index_of(torch.tensor(p))
    assert G.permutation(g).tolist() == list(p)
    pinv = [p.index(i) for i in range(n)]
    assert G.permutation(G.inverse(g)).tolist() == pinv


def test_sign_and_generators():
    G = Symmetric(5)
    e = G.elements()
    a, b = torch.meshgrid(e, e, indexing="ij")
    assert torch.equal(G.sign(G.compose(a, b)), G.sign(a) * G.sign(b))
    det = torch.linalg.det(G.action_matrix(e)).round().long()
    assert torch.equal(G.sign(e), det)
    gens = G.generators()
    assert len(gens) == 4
    for i, s in enumerate(gens):
        p = list(range(5))
        p[i], p[i + 1] = p[i + 1], p[i]
        assert G.permutation(torch.tensor(s)).tolist() == p
        assert int(G.sign(torch.tensor(s))) == -1
    assert Symmetric(1).generators() == []
    # the generators generate the whole group
    for n in range(2, 7):
        S = Symmetric(n)
        reached = {0}
        frontier = [0]
        while frontier:
            nxt = S.cayley_table_np[frontier][:, S.generators()].reshape(-1)
            frontier = [int(x) for x in set(nxt.tolist()) - reached]
            reached.update(frontier)
        assert len(reached) == S.order


def test_action_matrix_and_permute():
    G = Symmetric(4)
    e = G.elements()
    m = G.action_matrix(e)
    perms = G.permutation(e)
    for g in range(G.order):
        for i in range(4):
            col = torch.zeros(4, dtype=torch.float64)
            col[perms[g, i]] = 1
            assert torch.equal(m[g, :, i], col)
    a, b = torch.meshgrid(e, e, indexing="ij")
    assert torch.equal(G.action_matrix(G.compose(a, b)), m[a] @ m[b])
    x = torch.randn(3, 4, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float32)
    for g in range(G.order):
        gx = G.permute(x, torch.tensor(g), dim=1)
        assert torch.equal(gx, torch.einsum("ij,bjc->bic", m[g].float(), x))
        p = perms[g]
        assert torch.equal(gx[:, p], x)
    gb = torch.tensor([3, 17, 5])
    xb = G.permute(x, gb, dim=1)
    for k in range(3):
        assert torch.equal(xb[k], G.permute(x[k], gb[k], dim=0))
    assert torch.equal(
        G.permute(G.permute(x, torch.tensor(7), 1), torch.tensor(9), 1),
        G.permute(x, G.compose(torch.tensor(9), torch.tensor(7)), 1),
    )


def test_conjugacy_classes_are_cycle_types():
    for n in range(1, 7):
        G = Symmetric(n)
        classes = G.conjugacy_classes
        assert len(classes) == len(partitions(n))
        types = []
        for cls in classes:
            ct = {G.cycle_type(int(g)) for g in cls}
            assert len(ct) == 1
            mu = ct.pop()
            types.append(mu)
            z = math.prod(k**m * math.factorial(m) for k, m in Counter(mu).items())
            assert len(cls) == math.factorial(n) // z
        assert sorted(types) == sorted(partitions(n))


def test_inclusions():
    for m, n in [(3, 4), (4, 5), (5, 6), (2, 5), (1, 3), (4, 4)]:
        H, G = Symmetric(m), Symmetric(n)
        iota = inclusion(H, G)
        h = H.elements()
        img = iota(h)
        assert len(set(img.tolist())) == H.order
        p = G.permutation(img)
        assert torch.equal(p[:, :m], H.permutation(h))
        assert torch.equal(p[:, m:], torch.arange(m, n).expand(H.order, n - m))
        a, b = torch.meshgrid(h, h, indexing="ij")
        assert torch.equal(iota(H.compose(a, b)), G.compose(iota(a), iota(b)))
    with pytest.raises(ValueError, match="not a known subgroup"):
        inclusion(Symmetric(5), Symmetric(4))


def test_bad_elements():
    G = Symmetric(3)
    with pytest.raises(ValueError, match=r"\[0, 6\)"):
        G.compose(torch.tensor(6), torch.tensor(0))
    with pytest.raises(TypeError, match="integer index"):
        G.inverse(torch.tensor([0.5]))
    with pytest.raises(ValueError, match="shape"):
        G.index_of(torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="permutations of 0..2"):
        G.index_of(torch.tensor([0, 0, 1]))
    with pytest.raises(TypeError, match="integer"):
        G.index_of(torch.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="length 3"):
        G.permute(torch.zeros(2, 4), torch.tensor(1))
    with pytest.raises(ValueError, match="leading dimensions"):
        G.permute(torch.zeros(2, 3), torch.tensor([1, 2, 3]), dim=1)
    with pytest.raises(ValueError, match=r"\[0, 6\)"):
        G.cycle_type(6)


# -- irreps ---------------------------------------------------------------------------------------------


@pytest.mark.cuda
def test_cuda_matches_cpu():
    G = Symmetric(5)
    a = torch.randint(0, G.order, (64,))
    b = torch.randint(0, G.order, (64,))
    dev = torch.device("cuda")
    assert torch.equal(G.compose(a.to(dev), b.to(dev)).cpu(), G.compose(a, b))
    assert torch.equal(G.inverse(a.to(dev)).cpu(), G.inverse(a))
    x = torch.randn(64, 5, 3)
    assert torch.equal(G.permute(x.to(dev), a.to(dev), dim=1).cpu(), G.permute(x, a, dim=1))
    for ir in irreps(G):
        for dtype in (torch.float32, torch.float64):
            assert torch.equal(ir(a.to(dev), dtype).cpu(), ir(a, dtype))


def test_cycle_type_is_batched():
    G = Symmetric(4)
    perms = torch.tensor([[0, 1, 2, 3], [1, 0, 3, 2], [1, 2, 0, 3], [1, 2, 3, 0], [1, 0, 2, 3]])
    g = G.index_of(perms)
    expected = [[1, 1, 1, 1], [2, 2, 0, 0], [3, 1, 0, 0], [4, 0, 0, 0], [2, 1, 1, 0]]
    assert G.cycle_type(g).tolist() == expected
    assert G.cycle_type(g).dtype == torch.long
    assert G.cycle_type(g.reshape(5, 1)).shape == (5, 1, 4)
    assert G.cycle_type(g[:0]).shape == (0, 4)
    # one element, as an int or a 0-dimensional tensor: a tuple without the padding
    assert G.cycle_type(g[1]) == G.cycle_type(int(g[1])) == (2, 2)
    # every row agrees with the single-element form
    rows = G.cycle_type(G.elements())
    assert all(tuple(c for c in row if c) == G.cycle_type(i) for i, row in enumerate(rows.tolist()))
    with pytest.raises(ValueError, match=r"lie in \[0, 24\)"):
        G.cycle_type(torch.tensor([0, 24]))
    with pytest.raises(TypeError, match="integer index tensors"):
        G.cycle_type(torch.tensor([0.0]))
