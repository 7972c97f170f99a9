from __future__ import annotations

import numpy as np
import pytest
import sympy

from groupconv.groups import SO3, Cyclic, Dihedral, DirectProduct, Symmetric
from groupconv.reps import CharacterTable, character_table, irrep_listing
from groupconv.reps.characters import ENDOMORPHISM_DIM

FINITE = [Cyclic(5), Cyclic(8), Dihedral(4), Dihedral(5), Dihedral(6), Symmetric(4), Symmetric(5)]


@pytest.mark.parametrize("group", FINITE, ids=str)
def test_rows_are_orthogonal_exactly(group):
    t = character_table(group)
    assert t.exact is not None
    for a, ra in enumerate(t.irreps):
        for b in range(a, len(t.irreps)):
            inner = sum(s * t.exact[a][j] * t.exact[b][j] for j, s in enumerate(t.sizes)) / group.order
            expected = ENDOMORPHISM_DIM[ra.type] if a == b else 0
            assert sympy.simplify(inner - expected) == 0, (ra, t.irreps[b], inner)


@pytest.mark.parametrize("group", FINITE, ids=str)
def test_sizes_sum_to_order_and_numeric_matches_exact(group):
    t = character_table(group)
    assert sum(t.sizes) == group.order
    # as many complex irreps as classes; a real irrep of complex type holds two of them
    assert sum(2 if ir.type == "C" else 1 for ir in t.irreps) == len(t.sizes)
    assert t.sum_d2_over_e() == group.order
    exact = np.array([[float(v) for v in row] for row in t.exact])
    np.testing.assert_allclose(t.values, exact, atol=1e-12)
    assert not t.values.flags.writeable


def test_labels_of_s4():
    t = character_table(Symmetric(4))
    assert dict(zip(t.labels, t.sizes)) == {"(1,1,1,1)": 1, "(2,1,1)": 6, "(2,2)": 3, "(3,1)": 8, "(4)": 6}
    # the sign irrep: -1 on odd permutations
    sign = t.irreps.index(next(ir for ir in t.irreps if ir.name == "irrep(1,1,1,1)"))
    assert [t.exact[sign][t.labels.index(c)] for c in ("(2,1,1)", "(2,2)", "(4)")] == [-1, 1, -1]


def test_labels_of_d4_and_c5():
    t = character_table(Dihedral(4))
    assert dict(zip(t.labels, t.sizes)) == {"e": 1, "r": 2, "r^2": 1, "f": 2, "r f": 2}
    t = character_table(Dihedral(5))
    assert dict(zip(t.labels, t.sizes)) == {"e": 1, "r": 2, "r^2": 2, "f": 5}
    t = character_table(Cyclic(5))
    assert t.labels == ("e", "r", "r^2", "r^3", "r^4") and t.sizes == (1,) * 5
    k1 = [ir.name for ir in t.irreps].index("irrep(1)")
    assert t.exact[k1][1] == 2 * sympy.cos(2 * sympy.pi / 5)


def test_generic_labels_and_str():
    t = character_table(DirectProduct(Cyclic(2), Cyclic(3)))
    assert isinstance(t, CharacterTable)
    assert t.labels == tuple(f"g={g}" for g in range(6))
    lines = str(t).splitlines()
    assert len(lines) == 2 + len(t.irreps)
    assert lines[0].split()[:3] == ["irrep", "dim", "type"] and "g=5 (x1)" in lines[0]
    assert len({len(line) for line in lines}) == 1  # aligned


def test_numeric_only_table():
    t = character_table(Dihedral(3), exact=False)
    assert t.exact is None
    assert "-1" in str(t)


def test_bad_input():
    with pytest.raises(TypeError, match="finite group"):
        character_table(SO3())
    with pytest.raises(TypeError, match="takes a group"):
        character_table("D4")
    with pytest.raises(ValueError, match="max_degree"):
        irrep_listing(SO3(), -1)


def test_irrep_listing_so3():
    text = irrep_listing(SO3(), max_degree=4).splitlines()
    rows = text[2:7]
    assert [r.split()[:3] for r in rows] == [[f"irrep({l})", str(l), str(2 * l + 1)] for l in range(5)]
    assert any("sin((2l+1) t/2)" in line for line in text)
    assert any("H quaternionic" in line for line in text)


def test_str_prints_long_radicals_numerically():
    t = character_table(Cyclic(30))
    k1 = [ir.name for ir in t.irreps].index("irrep(1)")
    assert len(str(t.exact[k1][1])) > 16
    row = str(t).splitlines()[2 + k1].split()
    assert row[4] == f"{2 * np.cos(2 * np.pi / 30):.4g}"
    assert row[3] == "2"
