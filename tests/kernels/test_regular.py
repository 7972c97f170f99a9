"""The kernel bases lifted from free filters between regular fields: the span of the harmonic basis, exact
on the grid in any numbering of the regular basis, the regular action, and errors."""

from __future__ import annotations

import numpy as np
import pytest
from _kernel_helpers import GRID_GROUPS, span_residual

from groupconv.groups import SO2, Cyclic, Dihedral
from groupconv.kernels import (
    KernelSpec,
    ZeroBlockWarning,
    harmonic_kernel_basis,
    lifts_to_regular,
    regular_action,
    regular_kernel_basis,
    verify_grid_basis,
)
from groupconv.kernels.radial import radial_profiles
from groupconv.reps import irrep, permutation_representation, regular, trivial


@pytest.mark.parametrize("G", [Cyclic(1), Cyclic(3), Cyclic(8), Dihedral(1), Dihedral(5), Dihedral(8)])
@pytest.mark.parametrize(
    "kernel_size, basis, band",
    [
        (3, "gaussian", {}),
        (5, "gaussian", {}),
        (7, "gaussian", {}),
        (5, "bessel", {}),
        (5, "gaussian", {"max_frequency": 4, "frequency_cutoff": 3.0}),
    ],
)
def test_regular_kernel_basis_spans_the_harmonic_basis(G, kernel_size, basis, band):
    """The lifted basis of regular fields (and from / to trivial ones) spans exactly the kernels of the
    harmonic construction with the same band limit: |G| (or 1) free filters per pixel function, no
    constraint solve."""
    reg, triv = regular(G), trivial(G)
    for rho_in, rho_out, copies in [(reg, reg, G.order), (triv, reg, 1), (reg, triv, 1)]:
        lifted = regular_kernel_basis(rho_in, rho_out, kernel_size, basis, warn=False, **band)
        ref = harmonic_kernel_basis(rho_in, rho_out, kernel_size, basis, warn=False, **band)
        assert lifted.zero_blocks == ref.zero_blocks
        pixel_functions = sum(
            1 if k == 0 else 2 for k, _, _ in radial_profiles(KernelSpec(basis, **band), kernel_size)
        )
        assert len(lifted) == len(ref) == copies * pixel_functions
        assert lifted.tensor.shape[1:3] == (rho_out.dim, rho_in.dim)
        assert span_residual(lifted.tensor, ref.tensor) < 1e-12
        assert span_residual(ref.tensor, lifted.tensor) < 1e-12
        assert {d["frequency"] for d in lifted.info} == {d["frequency"] for d in ref.info}


@pytest.mark.parametrize("G", GRID_GROUPS)
def test_regular_kernel_basis_is_exact_on_the_grid(G):
    """On the groups permuting the pixel grid the lifted kernels satisfy the constraint exactly, for the
    regular representation in any numbering of its basis."""
    reg, triv = regular(G), trivial(G)
    rng = np.random.default_rng(0)
    shuffle = rng.permutation(G.order)
    table = np.argsort(shuffle)[G.cayley_table_np[:, shuffle]]  # the regular action, basis renumbered
    other = permutation_representation(G, table)
    for rho_in, rho_out in [(reg, reg), (triv, reg), (reg, triv), (other, reg), (reg, other)]:
        for k in (3, 5):
            b = regular_kernel_basis(rho_in, rho_out, k, warn=False)
            ok, why = verify_grid_basis(b.tensor, G, rho_in, rho_out)
            assert ok, why


def test_regular_kernel_basis_errors():
    C8 = Cyclic(8)
    # the irrep pairs the band limit leaves uncoupled are reported, as by the harmonic construction
    with pytest.warns(ZeroBlockWarning, match=r"irrep\(3\) -> irrep\(0\)"):
        b = regular_kernel_basis(regular(C8), regular(C8), 5)
    assert ("irrep(4)", "irrep(0)") in b.zero_blocks
    with pytest.raises(
        TypeError, match=r"finite groups \(C_n, D_n on the plane; O, Oh, I, Ih in space\).*SO2"
    ):
        regular_kernel_basis(trivial(SO2()), irrep(SO2(), 1), 5)
    with pytest.raises(ValueError, match="regular"):
        regular_kernel_basis(irrep(C8, 1), regular(C8), 5)
    with pytest.raises(ValueError, match="regular"):
        regular_kernel_basis(trivial(C8), trivial(C8), 5)
    with pytest.raises(TypeError, match="output representation of C4"):
        regular_kernel_basis(regular(Cyclic(4)), regular(C8), 5)
    with pytest.raises(ValueError, match="odd"):
        regular_kernel_basis(regular(C8), regular(C8), 4)


def test_regular_action_finds_the_permutation_of_any_regular_representation():
    G = Dihedral(3)
    assert np.array_equal(regular_action(regular(G)), G.cayley_table_np)
    shuffle = np.random.default_rng(1).permutation(G.order)
    table = np.argsort(shuffle)[G.cayley_table_np[:, shuffle]]
    assert np.array_equal(regular_action(permutation_representation(G, table)), table)
    assert regular_action(irrep(G, 1, 1)) is None and regular_action(trivial(SO2())) is None
    assert lifts_to_regular(regular(G), trivial(G)) and not lifts_to_regular(irrep(G, 1, 1), regular(G))


def test_planar_groups_have_no_lifted_basis_in_space():
    G = Cyclic(4)
    with pytest.raises(TypeError, match=r"in space .* exist for SO\(3\), O\(3\).*got .* of C4"):
        regular_kernel_basis(regular(G), regular(G), 3, spatial_dims=3)


def test_a_narrow_centre_ring_adds_no_zero_lifted_elements():
    C8 = Cyclic(8)
    band = dict(rings=(0, 1, 2), width=(0.05, 0.6, 0.6), warn=False)
    b = regular_kernel_basis(regular(C8), regular(C8), 5, frequency_cutoff=(2, 2, 2), **band)
    assert np.abs(b.tensor).reshape(len(b), -1).max(1).min() > 1e-3
    ref = regular_kernel_basis(regular(C8), regular(C8), 5, frequency_cutoff=(0, 2, 2), **band)
    assert np.array_equal(b.tensor, ref.tensor)
