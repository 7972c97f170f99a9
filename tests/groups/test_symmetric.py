from __future__ import annotations

import itertools
import math
from collections import Counter

import numpy as np
import pytest
import sympy
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from groupconv.groups import Symmetric, inclusion
from groupconv.reps import (
    decompose_exact,
    irrep,
    irreps,
    partitions,
    permutation_representation,
    regular,
    standard_tableaux,
)


def _is_zero(m: sympy.Matrix) -> bool:
    return all(sympy.expand(x) == 0 for x in m)


# -- independent references ------------------------------------------------------------------------
def hook_length_dim(shape: tuple[int, ...]) -> int:
    """Frame-Robinson-Thrall hook length formula."""
    n = sum(shape)
    conj = [sum(1 for r in shape if r > c) for c in range(shape[0])]
    hooks = 1
    for i, row in enumerate(shape):
        for j in range(row):
            hooks *= (row - j - 1) + (conj[j] - i - 1) + 1
    return math.factorial(n) // hooks


def murnaghan_nakayama(shape: tuple[int, ...], cycles: tuple[int, ...]) -> int:
    """chi^shape(cycle type) by removing rim hooks on the beta-set (James and Kerber 1981, 2.4.7)."""
    if not cycles:
        return 1 if sum(shape) == 0 else 0
    k, rest = cycles[0], cycles[1:]
    length = len(shape)
    beta = [shape[i] + (length - 1 - i) for i in range(length)]
    total = 0
    for b in beta:
        if b - k < 0 or (b - k) in beta:
            continue
        sign = (-1) ** sum(1 for c in beta if b - k < c < b)
        new = sorted([c for c in beta if c != b] + [b - k], reverse=True)
        lam = tuple(x for x in (new[i] - (length - 1 - i) for i in range(length)) if x > 0)
        total += sign * murnaghan_nakayama(lam, rest)
    return total


# Character tables of S_3 and S_4 (e.g. James and Liebeck, *Representations and Characters of Groups*,
# 2nd ed. 2001, chapters 18-19), rows = irreps by partition, columns = cycle types.
S3_CLASSES = [(1, 1, 1), (2, 1), (3,)]
S3_TABLE = {(3,): [1, 1, 1], (2, 1): [2, 0, -1], (1, 1, 1): [1, -1, 1]}
S4_CLASSES = [(1, 1, 1, 1), (2, 1, 1), (2, 2), (3, 1), (4,)]
S4_TABLE = {
    (4,): [1, 1, 1, 1, 1],
    (3, 1): [3, 1, -1, 0, -1],
    (2, 2): [2, 0, 2, -1, 0],
    (2, 1, 1): [3, -1, -1, 0, 1],
    (1, 1, 1, 1): [1, -1, 1, 1, -1],
}


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
def test_partitions_and_tableaux():
    assert [len(partitions(n)) for n in range(1, 9)] == [1, 2, 3, 5, 7, 11, 15, 22]
    for n in range(1, 7):
        ps = partitions(n)
        assert ps == sorted(ps, reverse=True) and ps[0] == (n,) and ps[-1] == (1,) * n
        for lam in ps:
            tabs = standard_tableaux(lam)
            assert len(tabs) == hook_length_dim(lam)
            assert list(tabs) == sorted(tabs, key=lambda w: w[::-1])
            for w in tabs:
                assert Counter(w) == {i: r for i, r in enumerate(lam)}
                counts = [0] * len(lam)
                for row in w:
                    counts[row] += 1
                    assert row == 0 or counts[row] <= counts[row - 1]


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6])
def test_irreps_dims_count_and_order(n):
    G = Symmetric(n)
    irs = irreps(G)
    assert [ir.id for ir in irs] == partitions(n)
    assert [ir.dim for ir in irs] == [hook_length_dim(p) for p in partitions(n)]
    assert sum(ir.dim**2 for ir in irs) == G.order
    assert len(irs) == len(G.conjugacy_classes)
    assert all(ir.type == "R" for ir in irs)
    assert irs[0].is_trivial()
    assert torch.equal(irs[-1](G.elements())[:, 0, 0], G.sign(G.elements()).double())


def test_irrep_names_and_lookup():
    G = Symmetric(4)
    assert irrep(G, 3, 1) is irrep(G, (3, 1))
    assert irrep(G, 3, 1).name == "irrep(3,1)"
    assert repr(irrep(G, 2, 2)) == "S4[irrep(2,2)]"
    for bad in [(2, 2, 1), (5,), (1, 3), ("a",)]:
        with pytest.raises(ValueError, match="partitions of 4"):
            irrep(G, *bad)
    ir = irrep(G, 3, 1)
    with pytest.raises(ValueError, match=r"\[0, 24\)"):
        ir(torch.tensor([24]))
    with pytest.raises(ValueError, match=r"\[0, 24\)"):
        ir.exact(24)
    assert ir(torch.tensor([1, 2]), torch.float32).dtype == torch.float32


def test_young_orthogonal_form_on_generators():
    for n in range(2, 7):
        G = Symmetric(n)
        for ir in irreps(G):
            tabs = ir.tableaux
            contents = []
            for w in tabs:
                cnt = Counter()
                c = []
                for row in w:
                    c.append(cnt[row] - row)
                    cnt[row] += 1
                contents.append(c)
            for i, s in enumerate(G.generators()):
                m = ir(torch.tensor(s))
                expected = torch.zeros(ir.dim, ir.dim, dtype=torch.float64)
                for k, w in enumerate(tabs):
                    r = contents[k][i + 1] - contents[k][i]
                    expected[k, k] = 1.0 / r
                    if abs(r) > 1:
                        w2 = list(w)
                        w2[i], w2[i + 1] = w2[i + 1], w2[i]
                        expected[tabs.index(tuple(w2)), k] = math.sqrt(1 - 1 / r**2)
                assert torch.allclose(m, expected, atol=1e-15, rtol=0)


@pytest.mark.parametrize("n", [3, 4])
def test_exact_homomorphism_all_pairs(n):
    G = Symmetric(n)
    t = G.cayley_table_np
    for ir in irreps(G):
        mats = ir.exact_table()
        assert mats[0] == sympy.eye(ir.dim)
        for a in range(G.order):
            for b in range(G.order):
                assert _is_zero(mats[a] * mats[b] - mats[t[a, b]])


@pytest.mark.parametrize("n", [5, 6])
def test_exact_coxeter_relations_and_numeric_agreement(n):
    """Exact Coxeter relations on the generators (a presentation of S_n), and the exact table equals the
    numeric one; the numeric table is a homomorphism (checked on every g and generator: by induction on
    word length this covers all pairs)."""
    G = Symmetric(n)
    gens = G.generators()
    t = G.cayley_table_np
    for ir in irreps(G):
        s = [ir.exact(g) for g in gens]
        eye = sympy.eye(ir.dim)
        for i in range(n - 1):
            assert _is_zero(s[i] * s[i] - eye)
            if i + 1 < n - 1:
                assert _is_zero((s[i] * s[i + 1]) ** 3 - eye)
            for j in range(i + 2, n - 1):
                assert _is_zero((s[i] * s[j]) ** 2 - eye)
        table = ir.table
        assert np.allclose(table[t[:, gens]], table[:, None] @ table[gens][None], atol=1e-13, rtol=0)
        assert np.allclose(table @ table.transpose(0, 2, 1), np.eye(ir.dim), atol=1e-13, rtol=0)
        for g in [0, 1, G.order // 3, G.order - 1]:
            ex = np.array(ir.exact(g).evalf(20), dtype=np.float64)
            assert np.allclose(ex, table[g], atol=1e-14, rtol=0)
            for x in ir.exact(g):
                assert sympy.nsimplify(x**2).is_rational


@pytest.mark.parametrize("n", [3, 4])
def test_exact_schur_and_character_orthogonality(n):
    G = Symmetric(n)
    irs = irreps(G)
    tables = {ir: ir.exact_table() for ir in irs}
    for s in irs:
        for u in irs:
            total = sympy.zeros(s.dim * u.dim)
            for g in range(G.order):
                total += sympy.kronecker_product(tables[s][g], tables[u][g])
            total = total.applyfunc(sympy.expand)
            expected = sympy.zeros(s.dim * u.dim)
            if s == u:
                d = s.dim
                for i in range(d):
                    for j in range(d):
                        expected[i * d + i, j * d + j] = sympy.Rational(G.order, d)
            assert total == expected
            chi = sum(sympy.expand(tables[s][g].trace() * tables[u][g].trace()) for g in range(G.order))
            assert chi == (G.order if s == u else 0)


@pytest.mark.parametrize("n,classes,table", [(3, S3_CLASSES, S3_TABLE), (4, S4_CLASSES, S4_TABLE)])
def test_known_character_tables(n, classes, table):
    G = Symmetric(n)
    for ir in irreps(G):
        for mu, value in zip(classes, table[ir.id]):
            g = next(g for g in range(G.order) if G.cycle_type(g) == mu)
            assert sympy.expand(ir.exact(g).trace()) == value


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_characters_murnaghan_nakayama(n):
    G = Symmetric(n)
    cycle = [G.cycle_type(g) for g in range(G.order)]
    for ir in irreps(G):
        chi = ir.character(G.elements()).numpy()
        expected = np.array([murnaghan_nakayama(ir.id, mu) for mu in cycle], dtype=np.float64)
        assert np.abs(chi - expected).max() < 1e-12


@pytest.mark.parametrize("n", [4, 5, 6])
def test_branching_to_s_n_minus_1(n):
    """In last letter order the restriction to S_{n-1} is block diagonal, blocks = lambda minus a corner,
    corners from the top row down."""
    G, H = Symmetric(n), Symmetric(n - 1)
    h_in_g = inclusion(H, G)(H.elements())
    for ir in irreps(G):
        lam = list(ir.id)
        blocks = []
        for row in range(len(lam)):
            if row == len(lam) - 1 or lam[row] > lam[row + 1]:
                mu = lam.copy()
                mu[row] -= 1
                blocks.append(irrep(H, *[x for x in mu if x > 0]).table)
        expected = np.zeros((H.order, ir.dim, ir.dim))
        i = 0
        for b in blocks:
            expected[:, i : i + b.shape[1], i : i + b.shape[1]] = b
            i += b.shape[1]
        assert i == ir.dim
        assert np.abs(ir.table[h_in_g.numpy()] - expected).max() < 1e-13


def test_regular_contains_each_irrep_d_times():
    G = Symmetric(4)
    mult = regular(G).multiplicities()
    assert {ir.id: m for ir, m in mult.items()} == {ir.id: ir.dim for ir in irreps(G)}


@pytest.mark.parametrize("n", [3, 4])
def test_decompose_exact_permutation_representation(n):
    G = Symmetric(n)
    rep = permutation_representation(G, G.permutations_np, name="perm")
    assert torch.equal(rep(G.elements()), G.action_matrix(G.elements()))
    found, q = decompose_exact(rep)
    assert [ir.id for ir in found] == [(n,), (n - 1, 1)]
    assert (q.T * q).applyfunc(sympy.simplify) == sympy.eye(n)
    for g in range(G.order):
        block = sympy.diag(*[ir.exact(g) for ir in found])
        assert _is_zero(q * block * q.T - rep.exact(g))


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
