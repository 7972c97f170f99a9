"""group_from_name: every printed name parses back to its group; malformed names fail with the position."""

from __future__ import annotations

import pytest

from groupconv.groups import O2, O3, SO2, SO3, Cyclic, Dihedral, DirectProduct, Symmetric, group_from_name


def test_names_and_parser():
    assert DirectProduct(Cyclic(4), Cyclic(2)).name == "C4xC2"
    for name in ["C4", "D6", "S4", "SO2", "O2", "C4xC2", "D3xC2", "SO2xC2", "(C4xC2)xS3", "C2x(C3xD4)"]:
        G = group_from_name(name)
        assert G.name == name
        assert group_from_name(G.name) == G
    assert group_from_name("C4 x C2 x C3") == DirectProduct(DirectProduct(Cyclic(4), Cyclic(2)), Cyclic(3))
    assert group_from_name("C4×C2") == DirectProduct(Cyclic(4), Cyclic(2))
    for bad in ["Q8", "C4x", "(C4", "C4)", "", "xC2", "C4C2"]:
        with pytest.raises(ValueError, match="group name"):
            group_from_name(bad)
    for name in ["SO3", "O3", "SO3xC2"]:
        assert group_from_name(name).name == name


@pytest.mark.parametrize(
    "name, group",
    [
        ("C1", Cyclic(1)),
        ("D12", Dihedral(12)),
        ("S5", Symmetric(5)),
        ("SO2", SO2()),
        ("O2", O2()),
        ("SO3", SO3()),
        ("O3", O3()),
        ("O3xC2", DirectProduct(O3(), Cyclic(2))),
        ("C2x(C3xD4)", DirectProduct(Cyclic(2), DirectProduct(Cyclic(3), Dihedral(4)))),
    ],
)
def test_each_atom_and_grouping(name, group):
    parsed = group_from_name(name)
    assert parsed == group and type(parsed) is type(group)


def test_errors_name_the_position():
    with pytest.raises(ValueError, match=r"at position 3 \('\?C2'\)"):
        group_from_name("C4x?C2")
    with pytest.raises(ValueError, match="missing '\\)' for the '\\(' at position 0"):
        group_from_name("(C4xC2")
    with pytest.raises(ValueError, match="unexpected end of name"):
        group_from_name("C4x")
    with pytest.raises(ValueError, match="group name is empty"):
        group_from_name("   ")
    with pytest.raises(TypeError, match="takes a string, got int"):
        group_from_name(4)


@pytest.mark.parametrize(
    ("name", "printed"),
    [
        ("so3", "SO3"),
        ("So2", "SO2"),
        ("o3", "O3"),
        ("o", "O"),
        ("oh", "Oh"),
        ("OH", "Oh"),
        ("ih", "Ih"),
        ("i", "I"),
        ("c8", "C8"),
        ("d4Xc2", "D4xC2"),
        ("(c4xc2)xs3", "(C4xC2)xS3"),
    ],
)
def test_names_in_any_case(name, printed):
    assert group_from_name(name).name == printed
