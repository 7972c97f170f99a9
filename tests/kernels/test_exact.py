"""The exact kernel bases on the pixel grid and on the voxel grid of O / Oh: their dimension is the
character formula, their certificate proves them and catches a perturbation, and bad inputs are
refused."""

from __future__ import annotations

import numpy as np
import pytest
from _kernel_helpers import GRID_GROUPS, constraint_error, grid_reps, span_residual

from groupconv.groups import Cyclic, Dihedral, group_from_name
from groupconv.kernels import character_dimension, grid_kernel_basis, verify_grid_basis
from groupconv.kernels.exact import certify_kernel_basis
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


def _cube_reps(G):
    vec = irrep(G, 3, 1) if G.name == "Oh" else irrep(G, 3)
    return [trivial(G), vec, regular(G)]


@pytest.mark.parametrize("name", ["O", "Oh"])
@pytest.mark.parametrize("k", [3, 5])
def test_voxel_grid_basis_dimension_is_the_character_formula(name, k):
    """On the k x k x k voxel grid of O / Oh: dimension == character formula for trivial, T1 (T1u) and
    regular fields, integer bases proved exactly (integer arithmetic) for every pair."""
    G = group_from_name(name)
    for ri in _cube_reps(G):
        for ro in _cube_reps(G):
            if ri.dim * ro.dim > G.order * 3 or (k == 5 and ri.dim * ro.dim > G.order):
                continue
            dim = character_dimension(G, ri, ro, k)
            b = grid_kernel_basis(ri, ro, k)
            assert b.tensor.shape == (dim, ro.dim, ri.dim, k, k, k) and b.kind == "exact"
            assert np.array_equal(b.tensor, np.rint(b.tensor))
            ok, why = verify_grid_basis(b.tensor, G, ri, ro)
            assert ok, why
            assert constraint_error(b, G, ri, ro) == 0.0


def test_voxel_grid_float_basis_for_non_permutation_irreps():
    """E of O is not a signed permutation representation: the orbit-stabilizer solver gives an orthonormal
    basis of the character formula's dimension, satisfying the constraint and spanning the integer basis
    where both exist."""
    G = group_from_name("O")
    e, t1 = irrep(G, 2), irrep(G, 3)
    for ri, ro in [(trivial(G), e), (e, e), (t1, e), (e, regular(G))]:
        b = grid_kernel_basis(ri, ro, 3)
        assert b.kind == "exact-svd" and len(b) == character_dimension(G, ri, ro, 3) > 0
        flat = b.tensor.reshape(len(b), -1)
        assert np.allclose(flat @ flat.T, np.eye(len(b)), atol=1e-12)
        assert constraint_error(b, G, ri, ro) < 1e-12
    svd = grid_kernel_basis(t1, regular(G), 3, method="svd")
    orbit = grid_kernel_basis(t1, regular(G), 3)
    assert len(svd) == len(orbit) and span_residual(svd.tensor, orbit.tensor) < 1e-12


def test_voxel_basis_certificate_proves_and_catches_a_perturbation():
    G = group_from_name("Oh")
    ri, ro = trivial(G), irrep(G, 3, 1)
    b = grid_kernel_basis(ri, ro, 3)
    ok, reason = certify_kernel_basis(list(b.tensor), G, ri, ro)
    assert ok and "generators" in reason
    bad = b.tensor.copy()
    bad[0, 0, 0, 0, 0, 1] += 1
    assert not verify_grid_basis(bad, G, ri, ro)[0]
    assert not certify_kernel_basis(list(bad), G, ri, ro)[0]
