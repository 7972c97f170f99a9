"""Inclusions of subgroups (the standard rules, registered rules, pickling), subgroup indices and left
cosets, and the deprecated keywords of the renamed parameters."""

from __future__ import annotations

import inspect
import pickle

import numpy as np
import pytest
import torch

from groupconv.groups import (
    O2,
    SO2,
    Cyclic,
    Dihedral,
    FiniteGroup,
    inclusion,
    left_cosets,
    register_inclusion,
    subgroup_indices,
)


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


def test_subgroup_indices_and_cosets_of_dihedral():
    # C2 < D4 is {e, r^2}; its left cosets are the pairs {g, g r^2}
    assert subgroup_indices(Cyclic(2), Dihedral(4)).tolist() == [0, 2]
    reps_, coset_of = left_cosets(Cyclic(2), Dihedral(4))
    assert reps_.tolist() == [0, 1, 4, 5]
    assert coset_of.tolist() == [0, 1, 0, 1, 2, 3, 2, 3]
    # a group in itself: one coset; the inclusion is the identity map
    reps_, coset_of = left_cosets(Dihedral(3), Dihedral(3))
    assert reps_.tolist() == [0] and (coset_of == 0).all()
    assert inclusion(SO2(), SO2())(torch.tensor([0.5], dtype=torch.float64)).tolist() == [0.5]


def test_deprecated_keywords_warn_and_give_the_same_result():
    H, G = Cyclic(2), Dihedral(4)
    with pytest.warns(DeprecationWarning) as record:
        iota = inclusion(H=H, G=G)
    assert sorted(str(w.message) for w in record) == [
        "inclusion(): the keyword 'G' is deprecated, use 'group'",
        "inclusion(): the keyword 'H' is deprecated, use 'subgroup'",
    ]
    assert iota(H.elements()).tolist() == inclusion(H, G)(H.elements()).tolist()
    with pytest.warns(DeprecationWarning, match="the keyword 'G' is deprecated, use 'group'"):
        idx = subgroup_indices(H, G=G)
    assert idx.tolist() == subgroup_indices(H, G).tolist()
    with pytest.warns(DeprecationWarning, match="left_cosets"):
        reps_, coset_of = left_cosets(H, G=G)
    expected = left_cosets(subgroup=H, group=G)
    assert reps_.tolist() == expected[0].tolist() and coset_of.tolist() == expected[1].tolist()
    assert list(inspect.signature(left_cosets).parameters) == ["subgroup", "group", "iota"]
    with pytest.raises(TypeError, match="deprecated name 'G'"):
        inclusion(H, G=G, group=G)


def test_inclusion_errors():
    with pytest.raises(TypeError, match="inclusion takes two groups, got Cyclic and str"):
        inclusion(Cyclic(2), "D4")
    with pytest.raises(ValueError, match="D4 is not a known subgroup of C8"):
        inclusion(Dihedral(4), Cyclic(8))


def test_inclusion_maps_pickle_as_the_pair_of_groups():
    iota = inclusion(Dihedral(2), Dihedral(6))
    back = pickle.loads(pickle.dumps(iota))
    h = Dihedral(2).elements()
    assert torch.equal(back(h), iota(h)) and back(h).tolist() == [0, 3, 6, 9]


class _Pair(FiniteGroup):
    """A group of order 2 that no standard rule knows."""

    @property
    def name(self) -> str:
        return "P2"

    @property
    def order(self) -> int:
        return 2

    def compose_indices(self, a, b):
        return (a + b) % 2


def test_registered_rule_is_found():
    H, G = _Pair(), Cyclic(4)
    with pytest.raises(ValueError, match="not a known subgroup"):
        inclusion(H, G)

    def rule(sub, group):
        if isinstance(sub, _Pair) and isinstance(group, Cyclic) and group.n == 4:
            return lambda h: 2 * h
        return None

    register_inclusion(rule)
    assert inclusion(H, G)(H.elements()).tolist() == [0, 2]
