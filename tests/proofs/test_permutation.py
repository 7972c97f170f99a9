"""Fields that transform by permutation matrices."""

from __future__ import annotations

import pytest

from groupconv.groups import SO2, Dihedral
from groupconv.nn import FieldType
from groupconv.proofs import certify_permutation_fields
from groupconv.reps import irrep, regular, trivial

G = Dihedral(4)


def test_a_field_type_of_permutation_fields_is_proved():
    perm = FieldType(G, [regular(G), trivial(G)])
    ok, reason = certify_permutation_fields(perm)
    assert ok and "permutation matrices" in reason and repr(perm) in reason


def test_a_non_permutation_field_is_named():
    ok, reason = certify_permutation_fields(FieldType(G, [regular(G), irrep(G, 1, 1)]))
    assert not ok and "field 1" in reason


def test_a_list_of_representations_is_accepted():
    assert certify_permutation_fields([regular(G), trivial(G)])[0]
    ok, reason = certify_permutation_fields((irrep(G, 1, 1),))
    assert not ok and "field 0" in reason


def test_continuous_groups_and_bad_arguments():
    S = SO2()
    ok, reason = certify_permutation_fields([trivial(S), irrep(S, 1)])
    assert not ok and "field 1" in reason and "continuous" in reason
    # trivial fields are fixed by every rotation: entrywise maps commute with them on SO(2) too
    ok, reason = certify_permutation_fields(FieldType(S, [trivial(S)] * 3))
    assert ok and "trivial" in reason
    with pytest.raises(TypeError, match="Representations"):
        certify_permutation_fields("regular")
    with pytest.raises(ValueError, match="no field representations"):
        certify_permutation_fields([])
