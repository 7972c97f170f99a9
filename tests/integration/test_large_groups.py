"""Permutation representations as tables (gathers), their decomposition from the irreps, and builds for
groups of order about 1000: each either builds or refuses at once with the memory budget's error."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
import torch

from groupconv.fourier import fourier_transform, inverse_fourier_transform
from groupconv.groups import Cyclic, Dihedral, Symmetric
from groupconv.groups.product import DirectProduct
from groupconv.nn import GroupConv2d, HomogeneousFourierConv, LiftingConv2d
from groupconv.reps import (
    PermutationRepresentation,
    decompose,
    directsum,
    irrep,
    permutation_representation,
    quotient,
    regular,
    trivial,
)
from groupconv.reps.representation import block_diagonal
from groupconv.utils.memory import MemoryBudgetError

SMALL = [
    Cyclic(1),
    Cyclic(2),
    Cyclic(5),
    Cyclic(8),
    Dihedral(1),
    Dihedral(3),
    Dihedral(6),
    Symmetric(3),
    Symmetric(4),
    # irreps of complex type of dimension 4 (two copies each in the regular representation)
    DirectProduct(Cyclic(5), Cyclic(5)),
    DirectProduct(Dihedral(3), Cyclic(4)),
]


def _reconstruction_error(rep, g) -> float:
    q = torch.as_tensor(rep.change_of_basis)
    blocks = block_diagonal([ir(g) for ir in rep.irreps])
    return float((q @ blocks @ q.T - rep(g)).abs().max())


@pytest.mark.parametrize("G", SMALL, ids=str)
def test_regular_decomposition_from_the_irreps(G):
    rep = regular(G)
    g = G.elements()
    q = rep.change_of_basis
    assert np.abs(q.T @ q - np.eye(rep.dim)).max() < 1e-12
    assert _reconstruction_error(rep, g) < 1e-12
    # the same irreps, in the same order, as the generic numerical decomposition of the dense matrices
    found, _ = decompose(G, rep._matrices, rep.dim)
    assert list(found) == list(rep.irreps)
    # every irrep d / e times
    for ir, m in rep.multiplicities().items():
        e = 1 if ir.type == "R" else len(ir.endomorphism_basis)
        assert m == ir.dim // e


@pytest.mark.parametrize("G", SMALL, ids=str)
def test_act_is_the_dense_matrix_exactly(G):
    rep = regular(G)
    g = G.elements()
    x = torch.randn(3, G.order, dtype=torch.float64)
    mats = rep(g)
    for k in range(G.order):
        assert torch.equal(rep.act(x, g[k]), x @ mats[k].T)
    # a batch of elements, one per vector
    xb = torch.randn(G.order, G.order, dtype=torch.float64)
    assert torch.equal(rep.act(xb, g), torch.einsum("gab,gb->ga", mats, xb))
    # float32 and an element given as an int
    x32 = x.float()
    assert torch.equal(rep.act(x32, 1 % G.order), x32 @ mats[1 % G.order].T.float())


@pytest.mark.parametrize(
    "G, H",
    [(Dihedral(6), Cyclic(6)), (Dihedral(6), Cyclic(3)), (Dihedral(6), Dihedral(2)), (Cyclic(12), Cyclic(4))],
)
def test_quotient_decomposition(G, H):
    rep = quotient(G, H)
    assert isinstance(rep, PermutationRepresentation)
    assert rep.dim == G.order // H.order
    assert _reconstruction_error(rep, G.elements()) < 1e-12
    x = torch.randn(2, rep.dim, dtype=torch.float64)
    g = torch.tensor(1)
    assert torch.equal(rep.act(x, g), x @ rep(g).T)


def test_permutation_representation_of_the_symmetric_group():
    G = Symmetric(4)
    rep = permutation_representation(G, G.permutations_np)
    assert [ir.id for ir in rep.irreps] == [(4,), (3, 1)]
    assert _reconstruction_error(rep, G.elements()) < 1e-12
    assert np.array_equal(np.array(rep.exact(5).tolist(), dtype=float), rep(torch.tensor(5)).numpy())


def test_direct_sum_of_permutation_representations_stays_a_table():
    G = Dihedral(3)
    r = directsum(regular(G), quotient(G, Cyclic(3)), regular(G))
    assert isinstance(r, PermutationRepresentation)
    assert repr(r) == "D3[regular + quotient(C3) + regular]"
    assert r.dim == 14 and r.permutation.shape == (6, 14)
    assert list(r.irreps) == list(regular(G).irreps) + list(quotient(G, Cyclic(3)).irreps) + list(
        regular(G).irreps
    )
    assert _reconstruction_error(r, G.elements()) < 1e-12
    assert 3 * regular(G) == directsum(regular(G), regular(G), regular(G))


def test_equality_compares_tables():
    G = Cyclic(6)
    assert regular(G) == permutation_representation(G, G.cayley_table_np)
    # the basis renumbered by x -> 5x: the same representation up to a change of basis, other matrices
    renumbered = (5 * np.arange(6)) % 6
    table = renumbered[G.cayley_table_np][:, np.argsort(renumbered)]
    assert not np.array_equal(table, G.cayley_table_np)
    other = permutation_representation(G, table)
    assert other != regular(G)
    assert other.irreps == regular(G).irreps
    assert _reconstruction_error(other, G.elements()) < 1e-12


def test_pickle_round_trip():
    rep = pickle.loads(pickle.dumps(regular(Dihedral(5))))
    x = torch.randn(10, dtype=torch.float64)
    assert torch.equal(rep.act(x, torch.tensor(7)), regular(Dihedral(5)).act(x, torch.tensor(7)))
    assert rep == regular(Dihedral(5))


def test_regular_of_order_1000_is_a_table_with_the_peter_weyl_basis():
    G = Cyclic(1000)
    rep = regular(G)
    assert rep.permutation.shape == (1000, 1000)
    mult = rep.multiplicities()
    assert mult[irrep(G, 0)] == 1 and mult[irrep(G, 500)] == 1 and mult[irrep(G, 7)] == 1
    assert len(rep.irreps) == 501
    q = rep.change_of_basis
    assert np.abs(q.T @ q - np.eye(1000)).max() < 1e-10
    g = torch.tensor([0, 1, 333, 999])
    assert _reconstruction_error(rep, g) < 1e-10
    x = torch.randn(1000, dtype=torch.float64)
    assert torch.equal(rep.act(x, torch.tensor(1)), torch.roll(x, 1))


def test_dense_matrices_of_all_elements_of_order_1000_refuse_at_once():
    G = Cyclic(1000)
    with pytest.raises(MemoryBudgetError, match=r"1000 dense 1000 x 1000 matrices.*rep\.act"):
        regular(G)(G.elements())


def test_symmetric_groups_refuse_the_cayley_table_but_invert_without_it():
    G = Symmetric(8)
    with pytest.raises(MemoryBudgetError, match=r"Cayley table of S8 \(40320 x 40320"):
        _ = G.cayley_table_np
    inv = G.inverse_table_np
    g = torch.tensor([0, 1, 12345, 40319])
    assert torch.equal(G.compose(g, torch.as_tensor(inv[g.numpy()])), torch.zeros(4, dtype=torch.long))


@pytest.mark.parametrize("G", [Cyclic(1000), Dihedral(500)], ids=str)
def test_lifting_convolution_of_order_1000_builds_and_is_equivariant_under_quarter_turns(G):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        conv = LiftingConv2d.from_channels(G, 1, 2, 3, padding=1).double()
    x = torch.randn(1, 1, 7, 7, dtype=torch.float64)
    y = conv(x)
    assert y.shape == (1, 2 * G.order, 7, 7)
    # the quarter turn r^{n/4} permutes the pixel grid exactly: rotating the input rotates the output and
    # moves it along the group axis by the regular representation
    g = torch.tensor(G.order // 4 if isinstance(G, Cyclic) else G.order // 8)
    y_rot = conv(torch.rot90(x, 1, (-2, -1)))
    moved = regular(G).act(torch.rot90(y, 1, (-2, -1)).reshape(2, G.order, 7, 7).movedim(1, -1), g)
    assert torch.allclose(y_rot, moved.movedim(-1, 1).reshape(1, -1, 7, 7), atol=1e-10)


@pytest.mark.parametrize("G", [Cyclic(1000), Dihedral(500)], ids=str)
def test_group_convolution_of_order_1000_refuses_at_once(G):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(
            MemoryBudgetError, match=r"kernel basis .*regular.* -> .*regular.*GiB.*kernel_size"
        ):
            GroupConv2d.from_channels(G, 1, 1, 3, padding=1)


def test_fourier_convolution_of_s9_refuses_at_once():
    with pytest.raises(MemoryBudgetError, match=r"Fourier tables of functions on S9.*TiB.*smaller order"):
        HomogeneousFourierConv(Symmetric(9), 1, 1)


@pytest.mark.parametrize("G", [Cyclic(100000), Dihedral(50000)], ids=str)
def test_inverses_of_a_huge_group_need_no_cayley_table(G):
    inv = torch.as_tensor(G.inverse_table_np)
    g = torch.tensor([0, 1, 7, G.order - 1])
    assert torch.equal(G.compose(g, inv[g]), torch.zeros(4, dtype=torch.long))
    assert "cayley_table_np" not in G.__dict__


def test_quotient_of_a_large_group_needs_no_cayley_table():
    G = Cyclic(1000)
    rep = quotient(G, Cyclic(10))
    assert rep.dim == 100
    x = torch.randn(100, dtype=torch.float64)
    # cosets x + C10 (C10 = multiples of 100) numbered by x < 100: r^k shifts them by k
    assert torch.equal(rep.act(x, torch.tensor(1)), torch.roll(x, 1))
    assert torch.equal(rep.act(x, torch.tensor(110)), torch.roll(x, 10))
    assert trivial(G) in rep.irreps


def test_fourier_transform_of_an_empty_batch():
    for G in (Cyclic(6), Dihedral(3), Symmetric(3)):
        f = torch.randn(0, 2, G.order, dtype=torch.float64)
        c = fourier_transform(f, G)
        assert c.batch_shape == (0, 2)
        assert inverse_fourier_transform(c).shape == (0, 2, G.order)
