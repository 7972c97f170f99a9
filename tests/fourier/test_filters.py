"""Filters of generalized convolutions: the irreps common to two spaces, and the orthonormal bases of the
kept filter blocks, counted against the double cosets ``H\\G/K``, checked for equivariance through
``generalized_convolution`` and for the commutant of complex-type irreps."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _fourier_helpers import _one_thread  # noqa: F401  (autouse fixture)
from _fourier_helpers import gen as _gen

from groupconv.fourier import (
    HomogeneousSpace,
    as_generalized_convolution,
    common_irreps,
    convolve,
    equivariant_projection,
    filter_basis,
    function_space,
    generalized_convolution,
)
from groupconv.groups import O2, SO2, Cyclic, Dihedral, Symmetric

FINITE_PAIRS = [
    (Cyclic(5), None, None),
    (Cyclic(8), None, Cyclic(2)),
    (Dihedral(4), None, None),
    (Dihedral(4), Cyclic(4), None),
    (Dihedral(6), Dihedral(3), Cyclic(2)),
    (Symmetric(4), Symmetric(3), Symmetric(2)),
    (Symmetric(4), Symmetric(3), Symmetric(3)),
]


def _space(G, H, bandwidth=None):
    return function_space(G, bandwidth) if H is None else HomogeneousSpace(G, H, bandwidth)


def _orbits_of_pairs(X, Y) -> int:
    """The number of ``G``-orbits on ``Y x X``: the dimension of the equivariant maps
    ``L^2(X) -> L^2(Y)`` (one indicator matrix per orbit), ``|H\\G/K|`` for ``X = G/H``, ``Y = G/K``."""
    tx, ty = X.action_table, Y.action_table
    seen = np.zeros((Y.num_points, X.num_points), dtype=bool)
    orbits = 0
    for y in range(Y.num_points):
        for x in range(X.num_points):
            if not seen[y, x]:
                orbits += 1
                seen[ty[:, y], tx[:, x]] = True
    return orbits


@pytest.mark.parametrize("G, H, K", FINITE_PAIRS, ids=str)
def test_bases_are_orthonormal_and_count_the_double_cosets(G, H, K):
    X, Y = _space(G, H), _space(G, K)
    bases = filter_basis(X, Y)
    pairs = common_irreps(X, Y)
    assert len(bases) == len(pairs)
    for (i, j), b in zip(pairs, bases):
        assert b.shape[1:] == (X.multiplicities[i], Y.multiplicities[j])
        flat = b.reshape(b.shape[0], -1)
        assert np.abs(flat @ flat.T - np.eye(b.shape[0])).max() < 1e-12
    assert sum(b.shape[0] for b in bases) == _orbits_of_pairs(X, Y)


@pytest.mark.parametrize("G, H, K", FINITE_PAIRS[:5], ids=str)
def test_every_basis_filter_is_an_equivariant_map(G, H, K):
    """The map ``x -> x * h`` of each basis filter, as a matrix, is fixed by the group average."""
    X, Y = _space(G, H), _space(G, K)
    bases = filter_basis(X, Y)
    eye = torch.eye(X.num_points, dtype=torch.float64)
    for k, b in enumerate(bases):
        for n in range(b.shape[0]):
            blocks = [torch.as_tensor(bb[0] * 0.0) for bb in bases]
            blocks[k] = torch.as_tensor(b[n])
            M = generalized_convolution(eye, blocks, X, Y).T
            assert float(M.abs().max()) > 1e-3
            assert torch.allclose(equivariant_projection(M, G, X, Y), M, atol=1e-12)


def test_complex_type_irreps_give_the_commutant():
    """On ``C_n`` and ``SO(2)`` an irrep of complex type commutes with ``J``: its filters on ``G`` are the
    two-dimensional span of ``I`` and ``J``; a real-type irrep gets every matrix."""
    J = np.array([[0.0, -1.0], [1.0, 0.0]])
    for sp in (function_space(Cyclic(6)), function_space(SO2(), 3)):
        for (_, j), b in zip(common_irreps(sp, sp), filter_basis(sp, sp)):
            ir = sp.irreps[j]
            if ir.type == "C":
                assert b.shape == (2, 2, 2)
                for m in b:
                    assert np.abs(m @ J - J @ m).max() < 1e-12
            else:
                assert b.shape == (ir.dim**2, ir.dim, ir.dim)


def test_continuous_quotient_filters():
    """``O(2) -> O(2)/SO(2)``: the quotient keeps the two one-dimensional irreps, with one filter each."""
    X, Y = function_space(O2(), 2), HomogeneousSpace(O2(), SO2(), 2)
    pairs = common_irreps(X, Y)
    assert [Y.irreps[j].id for _, j in pairs] == [(0, 0), (1, 0)]
    assert [b.shape for b in filter_basis(X, Y)] == [(1, 1, 1), (1, 1, 1)]
    # the reverse direction keeps the same irreps, in the codomain's order
    assert [(j, i) for i, j in common_irreps(Y, X)] == pairs


def test_common_irreps_follow_the_codomain_order():
    G = Symmetric(4)
    X, Y = HomogeneousSpace(G, Symmetric(3)), HomogeneousSpace(G, Symmetric(2))
    pairs = common_irreps(X, Y)
    assert [j for _, j in pairs] == sorted(j for _, j in pairs)
    assert all(X.irreps[i] == Y.irreps[j] for i, j in pairs)
    assert len(pairs) == len(set(X.irreps) & set(Y.irreps))
    with pytest.raises(TypeError, match="spaces of one group"):
        common_irreps(function_space(Cyclic(4)), function_space(Dihedral(2)))


def test_random_filter_of_the_basis_is_a_convolution():
    """A random combination of the basis filters on ``D_4`` is the convolution with the function ``h`` on
    ``G`` of those Fourier blocks: ``generalized_convolution`` agrees with ``convolve`` through
    ``as_generalized_convolution``'s recovered filter."""
    G = Dihedral(4)
    X = function_space(G)
    g = _gen(3)
    blocks = [
        torch.einsum(
            "n,nij->ij", torch.randn(b.shape[0], dtype=torch.float64, generator=g), torch.as_tensor(b)
        )
        for b in filter_basis(X, X)
    ]
    eye = torch.eye(G.order, dtype=torch.float64)
    M = generalized_convolution(eye, blocks, X, X).T
    res = as_generalized_convolution(M, G)
    x = torch.randn(2, G.order, dtype=torch.float64, generator=g)
    assert res.is_convolution
    assert torch.allclose(x @ M.T, convolve(x, res.filter, G), atol=1e-12)
