"""The angular constraint solver: solutions satisfy the constraint, the batched solver is complete and
agrees with single pairs, the selection rules appear by themselves, the averaging elements are exact, the
solution cache is bounded, and space (3D) has no angular basis yet."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from groupconv.groups import O2, SO2, Cyclic, Dihedral
from groupconv.kernels import CircularHarmonics, angular, angular_basis, angular_solutions
from groupconv.kernels.angular import CIRCULAR
from groupconv.reps import irrep, irreps, trivial


@pytest.mark.parametrize("G", [SO2(), O2(), Cyclic(8), Dihedral(8), Cyclic(3), Dihedral(6)], ids=str)
def test_angular_solutions_satisfy_the_constraint(G):
    ir = irreps(G, max_degree=3) if not G.is_finite else irreps(G)
    gen = torch.Generator().manual_seed(0)
    g = G.elements() if G.is_finite else G.sample(25, generator=gen)
    phi = G.angle(g, dtype=torch.float64).numpy()
    s = G.reflection(g).numpy() if isinstance(G, (Dihedral, O2)) else np.zeros(len(phi), dtype=np.int64)
    total = 0
    for so in ir:
        for si in ir:
            for k in range(7):
                t = angular_solutions(so, si, k)
                total += t.shape[0]
                if t.shape[0] == 0:
                    continue
                lk = CircularHarmonics.action(k, phi, s)
                moved = np.einsum("nac,noO,mOIa,niI->nmoic", lk, so(g).numpy(), t, si(g).numpy())
                assert np.abs(moved - t[None]).max() < 1e-12, (so, si, k)
    assert total > 0


@pytest.mark.parametrize("G", [O2(), Cyclic(8), Dihedral(6), Cyclic(5)], ids=str)
def test_batched_angular_solutions_are_complete_and_match_single_pairs(G):
    """The batched solver against an independent null space: the solutions span the kernel of the stacked
    constraint ``[A(g) - I]_g`` (sampled elements for the continuous groups), and solving all pairs at
    once gives the same spaces as solving each pair alone (and transposes for the swapped pairs)."""
    ir = irreps(G, max_degree=2) if not G.is_finite else irreps(G)
    pairs = [(so, si) for so in ir for si in ir]
    ks = tuple(range(6))
    angular._SOLUTIONS.clear()
    batched = CIRCULAR.solutions(pairs, ks)
    gen = torch.Generator().manual_seed(1)
    g = G.elements() if G.is_finite else G.sample(12, generator=gen)
    phi = G.angle(g, dtype=torch.float64).numpy()
    s = G.reflection(g).numpy() if isinstance(G, (Dihedral, O2)) else np.zeros(len(phi), dtype=np.int64)

    def span_equal(a, b):
        if a.shape[0] != b.shape[0]:
            return False
        if a.shape[0] == 0:
            return True
        a, b = a.reshape(a.shape[0], -1).T, b.reshape(b.shape[0], -1).T
        return np.abs(b - a @ np.linalg.lstsq(a, b, rcond=None)[0]).max() < 1e-10

    for (so, si), sols in zip(pairs, batched):
        for k in ks:
            t = sols[k]
            lk = CircularHarmonics.action(k, phi, s)
            a = lk.shape[-1]
            # A(g) vec(T) = vec(so(g) T L(g)-action si(g)^T), as in the Reynolds projector
            ops = np.einsum("noO,niI,nab->noibOIa", so(g).numpy(), si(g).numpy(), lk)
            n = so.dim * si.dim * a
            m = ops.reshape(len(phi), n, n) - np.eye(n)
            nullity = n - np.linalg.matrix_rank(m.reshape(-1, n), tol=1e-9)
            assert t.shape[0] == nullity, (so, si, k)
            assert t.shape[0] == 0 or np.linalg.matrix_rank(t.reshape(t.shape[0], -1), tol=1e-9) == t.shape[0]
            angular._SOLUTIONS.clear()
            alone = CIRCULAR.solutions([(so, si)], (k,))[0][k]
            assert span_equal(t, alone), (so, si, k)
    # a swapped pair is answered from the cache as the transposed solutions
    so, si = ir[1], ir[-1]
    angular._SOLUTIONS.clear()
    first = CIRCULAR.solutions([(so, si)], ks)[0]
    swapped = CIRCULAR.solutions([(si, so)], ks)[0]
    for k in ks:
        assert np.array_equal(swapped[k], first[k].transpose(0, 2, 1, 3))


def test_selection_rules_so2_and_aliasing_cn():
    G = SO2()
    # between frequencies m and n only harmonics |m - n| and m + n occur
    for m in range(3):
        for n in range(3):
            allowed = {abs(m - n), m + n}
            for k in range(7):
                t = angular_solutions(irrep(G, m), irrep(G, n), k)
                assert (t.shape[0] > 0) == (k in allowed), (m, n, k)
    C = Cyclic(4)
    # trivial -> trivial of C4 admits the aliased frequencies 4, 8, ...
    assert angular_solutions(trivial(C), trivial(C), 4).shape[0] == 2
    assert angular_solutions(trivial(C), trivial(C), 2).shape[0] == 0


@pytest.mark.parametrize("G", [SO2(), O2()])
def test_averaging_elements_and_tables_of_the_continuous_groups(G):
    """The averaging elements of SO(2) / O(2) are the group's own quadrature (built in numpy), and the irrep
    tables the kernel solver uses (closed forms in numpy) are the irreps' own matrices."""
    ids = [(k,) for k in range(5)] if isinstance(G, SO2) else [(0, 0), (1, 0)] + [(1, k) for k in range(1, 5)]
    for degree in (16, 48):
        phi, s, w, g = CIRCULAR.elements(G, degree)
        q, wq = G.quadrature(degree)
        assert torch.equal(g, q.to(g.dtype)) and np.allclose(w, wq.numpy(), rtol=0, atol=1e-15)
        assert np.allclose(phi, G.angle(q).numpy(), rtol=0, atol=1e-15)
        for i in ids:
            ir = irrep(G, *i)
            assert np.allclose(CIRCULAR.irrep_table(ir, degree), ir(q).numpy(), rtol=0, atol=1e-15)


def test_the_solution_cache_is_bounded_and_keeps_the_recent_entries():
    G = Cyclic(6)
    cache = angular._SOLUTIONS
    assert cache.maxsize == angular.SOLUTION_CACHE_SIZE
    saved = cache.maxsize
    try:
        cache.maxsize = 3
        cache.clear()
        ir = irreps(G)
        pairs = [(a, b) for a in ir for b in ir]
        for n, pair in enumerate(pairs):
            CIRCULAR.solutions([pair], (0, 1, 2))
            assert len(cache) == min(n + 1, 3)
        # the newest pairs are served from the cache: the same arrays come back
        last = CIRCULAR.solutions([pairs[-1]], (0, 1, 2))[0]
        assert CIRCULAR.solutions([pairs[-1]], (0, 1, 2))[0] is last
        assert (CIRCULAR, *pairs[0], (0, 1, 2)) not in cache
    finally:
        cache.maxsize = saved
        cache.clear()


def test_planar_groups_have_no_angular_basis_in_space():
    with pytest.raises(
        TypeError, match=r"in space \(spatial_dims=3\) exist for SO\(3\), O\(3\).*got .* of C4"
    ):
        angular_basis(Cyclic(4), spatial_dims=3)
    with pytest.raises(ValueError, match="spatial_dims must be 2"):
        angular_basis(Cyclic(4), spatial_dims=4)
    assert angular_basis(O2()) is CIRCULAR and CIRCULAR.spatial_dims == 2


def test_groups_without_planar_bases_are_refused():
    from groupconv.groups import SO3

    with pytest.raises(TypeError, match="C_n, D_n, SO\\(2\\), O\\(2\\)"):
        angular_basis(SO3())


def test_circular_harmonics_rotate_exactly_on_the_grid():
    """A rotation of the grid by 90 degrees maps cos k theta, sin k theta to the rotated pair bit for bit."""
    from groupconv.kernels import circular_harmonics, polar_grid

    x, y, _ = polar_grid(7)
    h = circular_harmonics(x, y, 5)
    rotated = circular_harmonics(-y, x, 5)  # the harmonics at the rotated points: theta + 90 degrees
    for k in range(6):
        c, s = {0: (1, 0), 1: (0, 1), 2: (-1, 0), 3: (0, -1)}[k % 4]
        assert np.array_equal(rotated[k, 0], c * h[k, 0] - s * h[k, 1])
        assert np.array_equal(rotated[k, 1], s * h[k, 0] + c * h[k, 1])


def test_the_solver_is_generic_in_the_padded_block_size():
    """An angular basis that pads every block further (as a basis of space with larger irreps and harmonic
    spaces does) gets the same solutions from the shared solver."""

    class Padded(CircularHarmonics):
        pad = 3

    padded = Padded()
    for G in [Dihedral(6), O2()]:
        ir = irreps(G, max_degree=2) if not G.is_finite else irreps(G)
        pairs = [(so, si) for so in ir for si in ir]
        ks = tuple(range(5))
        for ours, theirs in zip(padded.solutions(pairs, ks), CIRCULAR.solutions(pairs, ks)):
            for k in ks:
                assert ours[k].shape == theirs[k].shape
                assert np.allclose(ours[k], theirs[k], rtol=0, atol=1e-12)
