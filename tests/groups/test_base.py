"""The base classes: a finite group defined by compose_indices alone gets its Cayley table, inverses,
classes and element orders; the public tables (cayley_table_np, inverse_table_np) agree with the group
law; hashes are cached but never pickled."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
import torch

from groupconv.groups import O2, SO2, Cyclic, Dihedral, FiniteGroup, Group, Symmetric, check_same_group
from groupconv.reps import irrep, regular


class _Klein(FiniteGroup):
    """``C2 x C2`` with the product of indices ``a xor b``: only the group law is given."""

    @property
    def name(self) -> str:
        return "V4"

    @property
    def order(self) -> int:
        return 4

    def compose_indices(self, a, b):
        return np.bitwise_xor(a, b)


class _Quaternion(FiniteGroup):
    """``Q8``: index ``2 k + s`` is ``i^k j^s`` (``k < 4``, ``s < 2``), with ``j i = i^{-1} j`` and
    ``j^2 = i^2``: a non-abelian group defined by its law alone."""

    @property
    def name(self) -> str:
        return "Q8"

    @property
    def order(self) -> int:
        return 8

    def compose_indices(self, a, b):
        k1, s1 = a // 2, a % 2
        k2, s2 = b // 2, b % 2
        k = np.where(s1 == 1, -k2, k2) + k1 + 2 * (s1 & s2)
        return 2 * (k % 4) + (s1 ^ s2)


def test_group_from_its_law_alone():
    V = _Klein()
    t = V.cayley_table_np
    assert t.tolist() == [[0, 1, 2, 3], [1, 0, 3, 2], [2, 3, 0, 1], [3, 2, 1, 0]]
    assert torch.equal(V.cayley_table(), torch.as_tensor(t))
    # the inverse table comes from the Cayley table (the group does not invert directly)
    assert V.inverse_table_np.tolist() == [0, 1, 2, 3]
    assert torch.equal(V.inverse(V.elements()), V.elements())
    assert V.compose(torch.tensor([1, 2]), torch.tensor(3)).tolist() == [2, 1]
    assert [V.element_order(g) for g in range(4)] == [1, 2, 2, 2]
    assert [c.tolist() for c in V.conjugacy_classes] == [[0], [1], [2], [3]]
    assert V.class_of().tolist() == [0, 1, 2, 3]
    assert V.identity_index == 0 and V.identity((2,)).tolist() == [0, 0]


def test_non_abelian_group_from_its_law():
    Q = _Quaternion()
    t = Q.cayley_table_np
    n = Q.order
    i, j, k = np.ix_(np.arange(n), np.arange(n), np.arange(n))
    assert (t[t[i, j], k] == t[i, t[j, k]]).all()
    inv = Q.inverse_table_np
    assert (t[np.arange(n), inv] == 0).all() and (t[inv, np.arange(n)] == 0).all()
    # one element of order 2 (-1 = i^2), six of order 4; classes {1}, {-1}, {+-i}, {+-j}, {+-k}
    assert sorted(Q.element_order(g) for g in range(n)) == [1, 2, 4, 4, 4, 4, 4, 4]
    assert sorted(len(c) for c in Q.conjugacy_classes) == [1, 1, 2, 2, 2]


@pytest.mark.parametrize("G", [Cyclic(5), Dihedral(6), Symmetric(4)], ids=str)
def test_inverse_table_and_compose_indices_agree_with_the_group_law(G):
    g = G.elements()
    assert np.array_equal(G.inverse_table_np, G.inverse(g).numpy())
    assert G.inverse_table_np.dtype == np.int64
    # the inverse read off the Cayley table, as for a group that does not invert directly
    assert np.array_equal(np.argmax(G.cayley_table_np == 0, axis=1), G.inverse_table_np)
    a, b = np.meshgrid(np.arange(G.order), np.arange(G.order), indexing="ij")
    assert np.array_equal(G.compose_indices(a, b), G.compose(g[:, None], g[None, :]).numpy())


def test_defaults_of_the_base_class():
    V = _Klein()
    assert V.grid_dims is None and SO2().grid_dims is None
    with pytest.raises(NotImplementedError, match="no standard linear action"):
        V.action_matrix(torch.tensor(0))
    with pytest.raises(NotImplementedError, match="no standard linear action"):
        _ = V.action_dim
    with pytest.raises(NotImplementedError):
        V.generators()
    assert V.batch_shape(torch.zeros(3, 2, dtype=torch.long)) == (3, 2)
    assert O2().batch_shape(torch.zeros(3, 2)) == (3,)


def test_element_checks():
    V = _Klein()
    with pytest.raises(TypeError, match="torch tensors, got list"):
        V.compose([0], [1])
    with pytest.raises(TypeError, match="integer index tensors"):
        V.inverse(torch.tensor([0.0]))
    with pytest.raises(ValueError, match=r"lie in \[0, 4\), got range \[0, 4\]"):
        V.compose(torch.tensor([0, 4]), torch.tensor(0))


def test_check_same_group():
    check_same_group(Cyclic(4), Cyclic(4))
    with pytest.raises(TypeError, match="expected a irrep C4, got str"):
        check_same_group(Cyclic(4), "C4", "irrep")
    with pytest.raises(TypeError, match="expected a group of C4, got one of D4"):
        check_same_group(Cyclic(4), Dihedral(4))


def test_equality_and_hash_follow_type_and_key():
    assert Cyclic(4) == Cyclic(4) and hash(Cyclic(4)) == hash(Cyclic(4))
    assert Cyclic(4) != Dihedral(4) and Cyclic(4) != Cyclic(2)
    assert _Klein() == _Klein() and _Klein() != Cyclic(4)
    assert isinstance(Cyclic(4), Group) and repr(Dihedral(3)) == "D3"


def test_cached_hashes_are_not_pickled():
    """Groups and representations cache their hash (it keys every table); string hashing is salted per
    process, so a pickled object must recompute it."""
    for obj in (Dihedral(8), O2()):
        h = hash(obj)
        assert "_hash" in obj.__dict__
        back = pickle.loads(pickle.dumps(obj))
        assert "_hash" not in back.__dict__ and back == obj and hash(back) == h
    for obj in (regular(Dihedral(4)), irrep(O2(), 1, 2)):
        h = hash(obj)
        back = copy.deepcopy(obj)
        assert "_hash" not in back.__dict__ and back == obj and hash(back) == h
