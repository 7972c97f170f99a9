"""The exact kernel bases on the pixel grid: their dimension is the character formula, their certificate
proves them and catches a perturbation, and bad inputs are refused."""

from __future__ import annotations

import numpy as np
import pytest
from _kernel_helpers import GRID_GROUPS, constraint_error, grid_reps

from groupconv.groups import Cyclic, Dihedral
from groupconv.kernels import character_dimension, grid_kernel_basis, verify_grid_basis
from groupconv.reps import irrep, regular, trivial


@pytest.mark.parametrize(
    "G,k", [(G, 3) for G in GRID_GROUPS] + [(Cyclic(4), 5), (Dihedral(4), 5)], ids=lambda v: str(v)
)
def test_grid_basis_dimension_is_the_character_formula(G, k):
    reps = grid_reps(G)
    for ri in reps:
        for ro in reps:
            dim = character_dimension(G, ri, ro, k)
            orbit = grid_kernel_basis(ri, ro, k, allow_empty=True)
            assert len(orbit) == dim, (ri, ro)
            if dim and k == 3 and ri.dim * ro.dim <= 16:
                svd = grid_kernel_basis(ri, ro, k, method="svd", allow_empty=True)
                assert len(svd) == dim
                assert orbit.kind == "exact" and np.array_equal(orbit.tensor, np.rint(orbit.tensor))
                assert constraint_error(svd, G, ri, ro) < 1e-12
                # the float solution lies in the span of the exact one
                a = orbit.tensor.reshape(dim, -1).T
                b = svd.tensor.reshape(dim, -1).T
                res = b - a @ np.linalg.lstsq(a, b, rcond=None)[0]
                assert np.abs(res).max() < 1e-12


def test_exact_basis_certificate_proves_and_catches_a_perturbation():
    G = Dihedral(4)
    rho, sig = regular(G), irrep(G, 1, 1)
    b = grid_kernel_basis(rho, sig, 5)
    ok, reason = verify_grid_basis(b.tensor, G, rho, sig)
    assert ok, reason
    bad = b.tensor.copy()
    bad[0, 0, 0, 0, 0] += 1
    ok, reason = verify_grid_basis(bad, G, rho, sig)
    assert not ok and "violates" in reason


def test_empty_exact_basis_is_reported():
    with pytest.raises(ValueError, match="empty kernel basis"):
        grid_kernel_basis(trivial(Cyclic(4)), irrep(Cyclic(4), 1), 1)


def test_groups_that_do_not_permute_the_grid_are_refused():
    with pytest.raises(ValueError, match="C1, C2, C4"):
        grid_kernel_basis(trivial(Cyclic(8)), trivial(Cyclic(8)), 3)
