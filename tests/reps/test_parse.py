from __future__ import annotations

import pytest

from groupconv.groups.registry import group_from_name
from groupconv.reps import irreps, parse_representation


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
