from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
import sympy
import torch

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
