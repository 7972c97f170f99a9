"""Exact proofs of the kernel constraint: sampled kernel bases, index maps, span residuals."""

from __future__ import annotations

import numpy as np
import torch

from groupconv.groups import Cyclic
from groupconv.proofs import certify_index_map, certify_kernel_basis, span_residual
from groupconv.reps import regular, trivial


def _invariant_basis():
    # exact basis of C4-invariant 3x3 kernels: centre, edges, corners
    centre = np.zeros((1, 1, 3, 3), dtype=object)
    centre[0, 0, 1, 1] = 1
    edges = np.zeros((1, 1, 3, 3), dtype=object)
    for i, j in [(0, 1), (1, 0), (1, 2), (2, 1)]:
        edges[0, 0, i, j] = 1
    corners = np.zeros((1, 1, 3, 3), dtype=object)
    for i, j in [(0, 0), (0, 2), (2, 0), (2, 2)]:
        corners[0, 0, i, j] = 1
    return [centre, edges, corners]


def test_certify_kernel_basis_proves_and_catches_perturbation():
    C4 = Cyclic(4)
    basis = _invariant_basis()
    ok, reason = certify_kernel_basis(basis, C4, trivial(C4), trivial(C4))
    assert ok, reason
    bad = [b.copy() for b in basis]
    bad[1][0, 0, 0, 1] = 1 + 2.0**-40  # a perturbation far below float32 resolution is still caught
    ok, reason = certify_kernel_basis(bad, C4, trivial(C4), trivial(C4))
    assert not ok and "basis element 1" in reason
    ok, reason = certify_kernel_basis(basis, Cyclic(8), trivial(Cyclic(8)), trivial(Cyclic(8)))
    assert not ok and "does not act on the pixel or voxel grid" in reason


def test_certify_index_map_for_a_lifting_layer():
    C4 = Cyclic(4)

    def expand(theta):
        k = theta.reshape(1, 1, 3, 3)
        return torch.cat([torch.rot90(k, r, dims=(-2, -1)) for r in range(4)], 0)

    ok, reason = certify_index_map(expand, 9, C4, trivial(C4), regular(C4))
    assert ok, reason

    def wrong(theta):
        k = theta.reshape(1, 1, 3, 3)
        return torch.cat([torch.rot90(k, -r, dims=(-2, -1)) for r in range(4)], 0)

    ok, _ = certify_index_map(wrong, 9, C4, trivial(C4), regular(C4))
    assert not ok


def test_certify_index_map_refuses_non_index_maps_and_non_permutation_representations():
    C4 = Cyclic(4)

    def halved(theta):
        k = theta.reshape(1, 1, 3, 3) / 2
        return torch.cat([torch.rot90(k, r, dims=(-2, -1)) for r in range(4)], 0)

    ok, reason = certify_index_map(halved, 9, C4, trivial(C4), regular(C4))
    assert not ok and "not an index map" in reason
    from groupconv.reps import irrep

    def two_channels(theta):
        return theta.reshape(1, 1, 3, 3).repeat(2, 1, 1, 1)

    ok, reason = certify_index_map(two_channels, 9, Cyclic(8), trivial(Cyclic(8)), irrep(Cyclic(8), 1))
    assert not ok and "signed permutations" in reason


def test_span_residual():
    basis = torch.eye(4).reshape(4, 2, 2)[:3]
    assert span_residual(torch.tensor([[1.0, 2.0], [3.0, 0.0]]), basis) < 1e-12
    assert span_residual(torch.tensor([[0.0, 0.0], [0.0, 1.0]]), basis) > 0.99
    # an empty basis spans only the zero filter
    assert span_residual(torch.ones(2, 2), torch.zeros(0, 2, 2)) == 1.0
    assert span_residual(torch.zeros(2, 2), torch.zeros(0, 2, 2)) == 0.0
