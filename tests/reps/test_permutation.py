from __future__ import annotations

import pytest
import torch

from groupconv.groups import Cyclic, Dihedral
from groupconv.reps import irreps, regular

FINITE = [Cyclic(1), Cyclic(3), Cyclic(4), Cyclic(6), Cyclic(7), Dihedral(1), Dihedral(2)]
FINITE += [Dihedral(3), Dihedral(4), Dihedral(5), Dihedral(6)]


def _e(ir):
    return 2 if ir.type == "C" else 1


@pytest.mark.parametrize("G", FINITE, ids=str)
def test_regular_contains_each_irrep_d_over_e_times(G):
    rho = regular(G)
    mult = rho.multiplicities()
    for ir in irreps(G):
        assert mult[ir] == ir.dim // _e(ir)
    g = G.elements()
    assert (rho(g) - rho._from_irreps(g, torch.float64)).abs().max() < 1e-12
