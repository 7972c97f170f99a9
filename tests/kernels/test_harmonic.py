"""The harmonic kernel bases: exact on the grid for the groups that permute it, in the span of the exact
basis, single precision rounded once, empty bases and zero blocks reported, bad inputs refused."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _kernel_helpers import constraint_error

from groupconv.groups import SO2, Cyclic, Dihedral
from groupconv.kernels import KernelSpec, ZeroBlockWarning, grid_kernel_basis, harmonic_kernel_basis
from groupconv.reps import irrep, irreps, regular, trivial


@pytest.mark.parametrize("G", [Cyclic(4), Dihedral(4)], ids=str)
@pytest.mark.parametrize("kind", ["gaussian", "bessel"])
def test_harmonic_basis_is_exact_on_the_grid_for_grid_groups(G, kind):
    reps = [regular(G), trivial(G), irreps(G)[1], irreps(G)[-1]]
    for ri in reps:
        for ro in reps:
            b = harmonic_kernel_basis(ri, ro, 5, basis=kind, allow_empty=True, warn=False)
            if len(b):
                assert constraint_error(b, G, ri, ro) < 1e-12, (ri, ro)
                # and it lies in the span of the exact grid basis
                ex = grid_kernel_basis(ri, ro, 5).tensor
                a = ex.reshape(len(ex), -1).T
                v = b.tensor.reshape(len(b), -1).T
                assert np.abs(v - a @ np.linalg.lstsq(a, v, rcond=None)[0]).max() < 1e-12


def test_single_precision_basis_is_the_rounded_double_basis():
    for G in [Cyclic(8), Dihedral(8), SO2()]:
        reps = [regular(G)] if G.is_finite else [irrep(G, 0) + irrep(G, 1) + irrep(G, 2)]
        for r in reps:
            b64 = harmonic_kernel_basis(r, r, 5, warn=False)
            b32 = harmonic_kernel_basis(r, r, 5, dtype=np.float32, warn=False)
            assert b32.tensor.dtype == np.float32 and b64.tensor.dtype == np.float64
            assert np.array_equal(b32.tensor, b64.tensor.astype(np.float32))
            assert b32.info == b64.info


def test_empty_basis_and_zero_blocks_are_reported():
    G = SO2()
    with pytest.raises(ValueError, match="empty kernel basis"):
        harmonic_kernel_basis(irrep(G, 0), irrep(G, 4), 3)
    D = Dihedral(8)
    with pytest.warns(ZeroBlockWarning, match=r"irrep\(1,0\) -> irrep\(0,0\)"):
        b = harmonic_kernel_basis(regular(D), regular(D), 5)
    assert ("irrep(0,0)", "irrep(1,0)") in b.zero_blocks


def test_the_zero_block_warning_points_outside_the_package():
    D = Dihedral(8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        harmonic_kernel_basis(regular(D), regular(D), 5)
    assert len(caught) == 1 and "/groupconv/kernels/" not in caught[0].filename


def test_representations_of_different_groups_are_refused():
    with pytest.raises(TypeError, match="of C8"):
        harmonic_kernel_basis(trivial(Cyclic(8)), trivial(Cyclic(4)), 3)
    with pytest.raises(TypeError, match="Representation"):
        harmonic_kernel_basis(trivial(Cyclic(8)), Cyclic(8), 3)


def test_a_spec_or_keyword_options_give_the_same_basis():
    G = Cyclic(6)
    rho = irrep(G, 1) + trivial(G)
    spec = KernelSpec(max_frequency=3, width=0.5, warn=False)
    a = harmonic_kernel_basis(rho, rho, 5, spec)
    b = harmonic_kernel_basis(rho, rho, 5, "gaussian", max_frequency=3, width=0.5, warn=False)
    assert np.array_equal(a.tensor, b.tensor) and a.info == b.info
    with pytest.raises(TypeError, match="not both"):
        harmonic_kernel_basis(rho, rho, 5, spec, max_frequency=2)
    with pytest.raises(TypeError, match="unexpected options"):
        harmonic_kernel_basis(rho, rho, 5, max_freq=2)


def test_sigma_still_sets_the_ring_width_with_a_deprecation_warning():
    G = Cyclic(4)
    with pytest.warns(DeprecationWarning, match="width"):
        old = harmonic_kernel_basis(regular(G), trivial(G), 5, sigma=0.5, warn=False)
    new = harmonic_kernel_basis(regular(G), trivial(G), 5, width=0.5, warn=False)
    assert np.array_equal(old.tensor, new.tensor)


def test_planar_groups_have_no_harmonic_basis_in_space():
    with pytest.raises(TypeError, match=r"in space .* exist for SO\(3\), O\(3\).*got .* of SO2"):
        harmonic_kernel_basis(trivial(SO2()), trivial(SO2()), 3, spatial_dims=3)


def test_presolve_angular_is_deprecated_and_still_fills_the_solution_cache():
    from groupconv.kernels import angular, presolve_angular

    G = Dihedral(5)
    angular._SOLUTIONS.clear()
    with pytest.warns(DeprecationWarning, match="kernel_bases"):
        presolve_angular([(regular(G), irrep(G, 1, 1)), (irrep(G, 1, 1), irrep(G, 1, 2))], 5, "gaussian")
    assert len(angular._SOLUTIONS) > 0
    solved = set(angular._SOLUTIONS)
    harmonic_kernel_basis(irrep(G, 1, 1), irrep(G, 1, 2), 5, warn=False)
    # the basis solved nothing: every entry it added is the transpose of a presolved pair
    added = set(angular._SOLUTIONS) - solved
    assert all((d, si, so, ks) in solved for d, so, si, ks in added)


def test_the_zero_block_warning_is_given_once_per_cause_at_the_callers_line():
    C8 = Cyclic(8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        harmonic_kernel_basis(regular(C8), regular(C8), 5)
        harmonic_kernel_basis(regular(C8), regular(C8), 5)
        harmonic_kernel_basis(regular(C8) + regular(C8), regular(C8), 5)
    assert [w.category for w in caught] == [ZeroBlockWarning]
    assert caught[0].filename == __file__
    assert "irrep(3) -> irrep(0)" in str(caught[0].message) and len(str(caught[0].message)) < 300
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # another band is another cause; the pairs from trivial fields were reported with the regular ones
        harmonic_kernel_basis(regular(C8), regular(C8), 5, max_frequency=2)
        harmonic_kernel_basis(trivial(C8), regular(C8), 5)
    assert len(caught) == 1 and caught[0].category is ZeroBlockWarning and caught[0].filename == __file__


def test_the_zero_block_warning_can_be_silenced():
    D = Dihedral(4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        b = harmonic_kernel_basis(regular(D), regular(D), 3, warn=False)
        assert b.zero_blocks and not caught
        warnings.filterwarnings("ignore", category=ZeroBlockWarning)
        harmonic_kernel_basis(regular(D), regular(D), 3)
    assert not caught
    assert issubclass(ZeroBlockWarning, UserWarning)


def test_a_narrow_centre_ring_adds_no_zero_elements():
    """Frequencies k > 0 on a ring at the centre narrower than a pixel vanish on the grid: they add no
    element, and the basis is the one without them."""
    G = SO2()
    narrow = dict(rings=(0, 1, 2), width=(0.05, 0.6, 0.6))
    for rho_in, rho_out in [
        (irrep(G, 0), irrep(G, 1)),
        (irrep(G, 1), irrep(G, 2)),
        (irrep(G, 1), irrep(G, 1)),
    ]:
        b = harmonic_kernel_basis(rho_in, rho_out, 5, frequency_cutoff=(2, 2, 2), **narrow)
        assert len(b) > 0
        assert np.abs(b.tensor).reshape(len(b), -1).max(1).min() > 1e-3
        ref = harmonic_kernel_basis(rho_in, rho_out, 5, frequency_cutoff=(0, 2, 2), **narrow)
        assert np.array_equal(b.tensor, ref.tensor) and b.info == ref.info
    # a centre ring as wide as a pixel keeps its frequency-1 elements, which are not zero
    wide = harmonic_kernel_basis(irrep(G, 0), irrep(G, 1), 5, rings=(0, 1, 2), frequency_cutoff=(1, 1, 2))
    assert {(d["frequency"], d["radial"]) for d in wide.info} == {(1, 0), (1, 1), (1, 2)}
    assert np.abs(wide.tensor).reshape(len(wide), -1).max(1).min() > 1e-3
