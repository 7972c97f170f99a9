"""The entry points: kernel_basis is the lifted or the harmonic construction bit for bit, kernel_bases
is kernel_basis of every pair, and space (3D) is refused clearly."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from groupconv.groups import O2, SO2, Cyclic, Dihedral
from groupconv.kernels import (
    KernelSpec,
    ZeroBlockWarning,
    harmonic_kernel_basis,
    kernel_bases,
    kernel_basis,
    lifts_to_regular,
    regular_kernel_basis,
)
from groupconv.reps import irrep, irreps, quotient, regular, trivial


def _same(a, b):
    assert a.tensor.dtype == b.tensor.dtype and np.array_equal(a.tensor, b.tensor)
    assert a.info == b.info and a.zero_blocks == b.zero_blocks and a.kind == b.kind
    assert a.templates.keys() == b.templates.keys()
    assert all(np.array_equal(a.templates[k], b.templates[k]) for k in a.templates)


def _pairs(G):
    reps = irreps(G, max_degree=2) if not G.is_finite else [regular(G), trivial(G), irreps(G)[1]]
    if isinstance(G, Dihedral):
        reps.append(quotient(G, Cyclic(G.n)))
    return [(a, b) for a in reps for b in reps]


@pytest.mark.parametrize("G", [Cyclic(4), Dihedral(3), SO2(), O2()], ids=str)
@pytest.mark.parametrize(
    "options", [{}, {"profile": "bessel"}, {"max_frequency": 3, "width": 0.5}, {"frequency_cutoff": 1.5}]
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kernel_basis_is_the_construction_of_the_builders_bit_for_bit(G, options, dtype):
    spec = KernelSpec(allow_empty=True, warn=False, **options)
    for rho_in, rho_out in _pairs(G):
        basis = kernel_basis(rho_in, rho_out, 5, spec, dtype=dtype)
        builder = regular_kernel_basis if lifts_to_regular(rho_in, rho_out) else harmonic_kernel_basis
        _same(basis, builder(rho_in, rho_out, 5, spec, dtype=dtype))
        _same(basis, builder(rho_in, rho_out, 5, spec.profile, dtype=dtype, **spec.to_options()))


@pytest.mark.parametrize("G", [Dihedral(4), O2()], ids=str)
def test_kernel_bases_is_kernel_basis_of_every_pair(G):
    spec = KernelSpec(allow_empty=True, warn=False)
    pairs = _pairs(G)
    for basis, (rho_in, rho_out) in zip(kernel_bases(pairs, 5, spec), pairs):
        _same(basis, kernel_basis(rho_in, rho_out, 5, spec))
    assert kernel_bases([], 5, spec) == []


def test_the_default_spec_warns_and_refuses_empty_bases():
    G = Dihedral(8)
    with pytest.warns(ZeroBlockWarning, match="forced to zero"):
        kernel_basis(regular(G), regular(G), 5)
    with pytest.raises(ValueError, match="empty kernel basis"):
        kernel_basis(irrep(SO2(), 0), irrep(SO2(), 4), 3)
    assert (
        len(kernel_basis(irrep(SO2(), 0), irrep(SO2(), 4), 3, KernelSpec(allow_empty=True, warn=False))) == 0
    )


def test_bad_arguments_are_refused():
    G = Cyclic(4)
    with pytest.raises(TypeError, match="spec must be a KernelSpec, got dict"):
        kernel_basis(trivial(G), trivial(G), 3, {"max_frequency": 2})
    with pytest.raises(ValueError, match="odd"):
        kernel_basis(trivial(G), trivial(G), 4)


@pytest.mark.parametrize("G", [Cyclic(4), SO2()], ids=str)
def test_planar_groups_have_no_bases_in_space(G):
    for rho_in, rho_out in (
        [(regular(G), regular(G)), (trivial(G), trivial(G))] if G.is_finite else [(trivial(G), irrep(G, 1))]
    ):
        with pytest.raises(TypeError, match=f"in space .* exist for SO\\(3\\), O\\(3\\).*got .* of {G}"):
            kernel_basis(rho_in, rho_out, 3, spatial_dims=3)
        with pytest.raises(TypeError, match="in space .* exist for SO"):
            kernel_bases([(rho_in, rho_out)], 3, spatial_dims=3)


def test_kernel_bases_report_the_zero_blocks_of_all_pairs_in_one_warning():
    C8 = Cyclic(8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bases = kernel_bases([(trivial(C8), regular(C8)), (regular(C8), trivial(C8))], 5, KernelSpec())
    assert [w.category for w in caught] == [ZeroBlockWarning] and caught[0].filename == __file__
    text = str(caught[0].message)
    for basis in bases:
        assert basis.zero_blocks
        assert all(f"{i} -> {o}" in text for o, i in basis.zero_blocks)
