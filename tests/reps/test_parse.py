from __future__ import annotations

import pytest

from groupconv.groups import Cyclic, Dihedral
from groupconv.groups.registry import group_from_name
from groupconv.reps import irrep, irreps, parse_representation, quotient, regular, trivial


@pytest.mark.parametrize("name", ["S3", "S4", "C4xC2", "C4xC3", "D3xC2"])
def test_every_irrep_and_regular_round_trips(name):
    G = group_from_name(name)
    assert G.name == name
    for ir in irreps(G):
        assert parse_representation(repr(ir)) == ir
    text = f"{name}[2 x regular + {irreps(G)[-1].name}]"
    rho = parse_representation(text)
    assert repr(rho) == text and rho.dim == 2 * G.order + irreps(G)[-1].dim


def test_group_mismatch():
    with pytest.raises(ValueError, match="names group S4"):
        parse_representation("S4[regular]", group=group_from_name("S3"))


def test_printable_form_round_trip():
    G = Dihedral(4)
    r = regular(G) * 3 + irrep(G, 1, 1) + quotient(G, Cyclic(4)) + trivial(G)
    assert repr(r) == "D4[3 x regular + irrep(1,1) + quotient(C4) + irrep(0,0)]"
    assert parse_representation(repr(r)) == r
    for text in [
        "C8[regular + irrep(3)]",
        "SO2[irrep(0) + 2 x irrep(2)]",
        "O2[irrep(1,0) + irrep(1,3)]",
        "D6[induced(C3:irrep(1))]",
    ]:
        rep = parse_representation(text)
        assert repr(rep) == text
    with pytest.raises(ValueError, match="unknown representation atom"):
        parse_representation("D4[foo]")
    with pytest.raises(ValueError, match="cannot parse group name"):
        parse_representation("Q8[regular]")
    with pytest.raises(ValueError, match="GROUP"):
        parse_representation("regular")
