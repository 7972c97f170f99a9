"""Kernel bases on R^3: the sampled spherical harmonics and their action, the Clebsch-Gordan solutions of
SO(3) / O(3) against the continuous constraint, the finite groups' solutions against the character inner
product, exactness on the voxel grid for O / Oh, the SO(3) basis inside the O basis, the default band limit
of the shells, and the lifted regular bases in space."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from _kernel_helpers import constraint_error, span_residual

from groupconv.groups import (
    O3,
    SO3,
    FullIcosahedral,
    FullOctahedral,
    Icosahedral,
    Octahedral,
    grid_permutation,
)
from groupconv.kernels import (
    KernelSpec,
    SphericalHarmonics,
    ZeroBlockWarning,
    angular_basis,
    angular_solutions,
    gaussian_rings,
    harmonic_kernel_basis,
    kernel_bases,
    kernel_basis,
    lifts_to_regular,
    regular_kernel_basis,
    sampled_spherical_harmonics,
    spherical_action,
)
from groupconv.kernels.radial import radial_profiles
from groupconv.kernels.spherical import SPHERICAL
from groupconv.reps import irrep, irreps, regular, restrict, so3_character, spherical_harmonics, trivial

O, OH, I, IH = Octahedral(), FullOctahedral(), Icosahedral(), FullIcosahedral()
QUIET = KernelSpec(warn=False, allow_empty=True)


def _random_orthogonal(n: int, seed: int, improper: bool) -> np.ndarray:
    r = SO3().sample(n, generator=torch.Generator().manual_seed(seed)).numpy()
    if improper:
        r[::2] *= -1.0  # every other element composed with the inversion
    return r


def _harmonics_at(points: np.ndarray, degree: int) -> np.ndarray:
    """``Y_J`` at points ``(n, 3)``: ``(2J+1, n)``."""
    return sampled_spherical_harmonics(points.T, degree)[degree, : 2 * degree + 1]


def _continuous_kernel(basis, points: np.ndarray) -> np.ndarray:
    """The basis elements between two irreps evaluated off the grid, at points ``(n, 3)``: the Gaussian
    shell of each element times its angular solution on the spherical harmonics, ``(m, d_out, d_in, n)``."""
    radii, widths = gaussian_rings(basis.kernel_size)
    r = np.linalg.norm(points, axis=1)
    so, si = basis.rho_out, basis.rho_in
    out = []
    for d in basis.info:
        t = basis.templates[(so, si, d["frequency"])][d["solution"]]
        shell = np.exp(-((r - radii[d["radial"]]) ** 2) / (2 * widths[d["radial"]] ** 2))
        out.append(np.einsum("oia,an->oin", t, _harmonics_at(points, d["frequency"])) * shell)
    return np.stack(out)


def _grid_points(k: int) -> np.ndarray:
    from groupconv.kernels import sampled_grid

    coords, _ = sampled_grid(k, 3)
    return coords.reshape(3, -1).T


def test_sampled_harmonics_are_the_real_spherical_harmonics_and_vanish_at_the_origin():
    pts = np.random.default_rng(0).normal(size=(40, 3))
    pts[0] = 0.0
    y = sampled_spherical_harmonics(pts.T, 3)
    assert y.shape == (4, 7, 40)
    for degree in range(4):
        ref = spherical_harmonics(degree, torch.from_numpy(pts[1:])).numpy().T
        assert np.abs(y[degree, : 2 * degree + 1, 1:] - ref).max() < 1e-14
        assert not y[degree, 2 * degree + 1 :].any()
        assert np.array_equal(y[degree, :, 0], np.eye(7)[0] * (degree == 0))


@pytest.mark.parametrize("group", [O, OH, I, IH], ids=str)
def test_the_action_moves_the_harmonics_for_every_element(group):
    """``Y_J(g^{-1} x) = L_J(g) Y_J(x)`` for every element of the polyhedral groups (inversion included)."""
    pts = np.random.default_rng(1).normal(size=(30, 3))
    m = group.action_matrix(group.elements(), dtype=torch.float64).numpy()
    for degree in range(4):
        lj = SPHERICAL.averaging_action(group, 0, degree)
        assert lj.shape == (group.order, 2 * degree + 1, 2 * degree + 1)
        for g in range(group.order):
            moved = _harmonics_at(pts @ m[g], degree)  # the rows of pts @ g are g^T x = g^{-1} x
            assert np.abs(moved - lj[g] @ _harmonics_at(pts, degree)).max() < 1e-12


def test_the_action_of_random_orthogonal_matrices_and_its_character():
    """``L_J(g)`` is a representation of O(3) on the harmonics (inversion as ``(-1)^J``), with character
    ``det(g)^J chi_J(angle)``."""
    pts = np.random.default_rng(2).normal(size=(20, 3))
    g = _random_orthogonal(6, 3, improper=True)
    for degree in range(4):
        lj = spherical_action(g, degree)
        for n in range(6):
            moved = _harmonics_at(pts @ g[n], degree)
            assert np.abs(moved - lj[n] @ _harmonics_at(pts, degree)).max() < 1e-12
        det = np.linalg.det(g)
        angle = np.arccos(np.clip((np.trace(g * det[:, None, None], axis1=1, axis2=2) - 1) / 2, -1, 1))
        chi = det**degree * so3_character(degree, torch.from_numpy(angle)).numpy()
        assert np.allclose(np.trace(lj, axis1=1, axis2=2), chi, atol=1e-12)


def test_space_has_the_spherical_angular_basis():
    for group in (SO3(), O3(), O, OH, I, IH):
        basis = angular_basis(group, spatial_dims=3)
        assert isinstance(basis, SphericalHarmonics) and basis.spatial_dims == 3
    assert [SPHERICAL.multiplicity(j) for j in range(4)] == [1, 3, 5, 7]
    assert SPHERICAL.components(2) == (-2, -1, 0, 1, 2)


@pytest.mark.parametrize("l_out", range(4))
@pytest.mark.parametrize("l_in", range(4))
def test_so3_solutions_are_one_clebsch_gordan_block_per_degree(l_out, l_in):
    """Between the irreps ``l_out`` and ``l_in`` of SO(3) one solution per degree ``|l_out - l_in| <= J <=
    l_out + l_in`` and none otherwise, each satisfying ``sum_a T_a Y_{J,a}(R u) = D^{l_out}(R) (sum_a T_a
    Y_{J,a}(u)) D^{l_in}(R)^T`` for random rotations."""
    so, si = irrep(SO3(), l_out), irrep(SO3(), l_in)
    ks = tuple(range(8))
    sols = SPHERICAL.solutions([(so, si)], ks)[0]
    rot = _random_orthogonal(5, 10 * l_out + l_in, improper=False)
    pts = np.random.default_rng(4).normal(size=(12, 3))
    d_out = so(torch.from_numpy(rot)).numpy()
    d_in = si(torch.from_numpy(rot)).numpy()
    for degree in ks:
        t = sols[degree]
        assert t.shape == (
            int(abs(l_out - l_in) <= degree <= l_out + l_in),
            2 * l_out + 1,
            2 * l_in + 1,
            2 * degree + 1,
        )
        for b in range(t.shape[0]):
            assert abs(np.linalg.norm(t[b]) - 1) < 1e-12
            here = np.einsum("oia,an->noi", t[b], _harmonics_at(pts, degree))
            moved_pts = np.einsum("rij,nj->rni", rot, pts).reshape(-1, 3)  # R u for every R and u
            there = np.einsum("oia,an->noi", t[b], _harmonics_at(moved_pts, degree)).reshape(
                5, 12, *t.shape[1:3]
            )
            expected = np.einsum("roO,nOI,riI->rnoi", d_out, here, d_in)
            assert np.abs(there - expected).max() < 1e-12


def test_o3_solutions_keep_the_degrees_of_matching_parity():
    """``(l_out, p_out) <- (l_in, p_in)``: the degrees ``J`` with ``p_out p_in = (-1)^J``; the kernels satisfy
    the constraint for rotations and improper rotations."""
    g = _random_orthogonal(4, 5, improper=True)
    pts = np.random.default_rng(6).normal(size=(10, 3))
    for l_out in range(3):
        for l_in in range(3):
            for p_out in (1, -1):
                for p_in in (1, -1):
                    so, si = irrep(O3(), l_out, p_out), irrep(O3(), l_in, p_in)
                    found = [j for j in range(6) if angular_solutions(so, si, j).shape[0]]
                    expected = [
                        j for j in range(abs(l_out - l_in), l_out + l_in + 1) if p_out * p_in == (-1) ** j
                    ]
                    assert found == expected
                    ro, ri = so(torch.from_numpy(g)).numpy(), si(torch.from_numpy(g)).numpy()
                    for j in found:
                        t = angular_solutions(so, si, j)[0]
                        here = np.einsum("oia,an->noi", t, _harmonics_at(pts, j))
                        for n in range(4):
                            there = np.einsum("oia,an->noi", t, _harmonics_at(pts @ g[n].T, j))
                            assert np.abs(there - ro[n] @ here @ ri[n].T).max() < 1e-12


@pytest.mark.parametrize("group", [SO3(), O3()], ids=str)
def test_steerable_kernels_satisfy_the_constraint_off_the_grid(group):
    """The sampled basis between irreps of degree 0..3 is the continuous kernel (shell times harmonics) on the
    grid, and that kernel satisfies ``K(g x) = rho_out(g) K(x) rho_in(g)^T`` at rotated points."""
    reps = [irrep(group, j) if group == SO3() else irrep(group, j, (-1) ** j) for j in range(4)]
    g = _random_orthogonal(3, 7, improper=group == O3())
    pts = np.random.default_rng(8).uniform(-3, 3, size=(25, 3))
    grid = _grid_points(7)
    for so in reps:
        for si in reps:
            b = kernel_basis(si, so, 7, QUIET, spatial_dims=3)
            assert b.tensor.shape[1:] == (so.dim, si.dim, 7, 7, 7)
            assert (
                np.abs(_continuous_kernel(b, grid) - b.tensor.reshape(len(b), so.dim, si.dim, -1)).max()
                < 1e-12
            )
            here = _continuous_kernel(b, pts)
            ro, ri = so(torch.from_numpy(g)).numpy(), si(torch.from_numpy(g)).numpy()
            for n in range(3):
                there = _continuous_kernel(b, pts @ g[n].T)
                moved = np.einsum("oa,mabx,ib->moix", ro[n], here, ri[n])
                assert np.abs(there - moved).max() < 1e-12


@pytest.mark.parametrize("group", [O, OH, I, IH], ids=str)
def test_finite_group_solutions_have_the_dimension_of_the_character_inner_product(group):
    """The number of solutions between two irreps at degree ``J`` is ``mean_g chi_out(g) chi_in(g) chi_J(g)``
    with ``chi_J`` the SO(3) character at the rotation angle (times ``det^J``), and every solution is a
    fixed point of the constraint for every element."""
    m = group.action_matrix(group.elements(), dtype=torch.float64).numpy()
    det = np.linalg.det(m)
    angle = np.arccos(np.clip((np.trace(m * det[:, None, None], axis1=1, axis2=2) - 1) / 2, -1, 1))
    ir = irreps(group)
    chars = [np.trace(x.table, axis1=1, axis2=2) for x in ir]
    pairs = [(so, si) for so in ir for si in ir]
    ks = tuple(range(4))
    sols = SPHERICAL.solutions(pairs, ks)
    chi = [det**j * so3_character(j, torch.from_numpy(angle)).numpy() for j in ks]
    action = [spherical_action(m, j) for j in ks]
    for (so, si), sol in zip(pairs, sols):
        co, ci = chars[ir.index(so)], chars[ir.index(si)]
        for degree in ks:
            assert sol[degree].shape[0] == round(float(np.mean(co * ci * chi[degree]))), (so, si, degree)
            lj = action[degree]
            for t in sol[degree]:
                left = np.einsum("goO,OIa->goIa", so.table, t) @ lj[:, None]
                moved = np.einsum("goIb,giI->goib", left, si.table)
                assert np.abs(moved - t).max() < 1e-12


@pytest.mark.parametrize("group", [O, OH], ids=str)
def test_octahedral_bases_are_exact_on_the_voxel_grid(group):
    """For every element of O / Oh the sampled kernels, moved by permuting their voxels, satisfy the
    constraint to rounding (float64), between irreps, the regular representation and sums."""
    ir = irreps(group)
    reg, vec = regular(group), irrep(group, 3, 1) if group == OH else irrep(group, 3)
    pairs = [(ri, ro) for ri in ir for ro in ir] + [(ir[0] + vec, ir[2]), (ir[2], ir[0] + vec)]
    # regular -> regular is checked on O, 3x3x3, with the lifted bases below
    pairs += [(reg, ir[0]), (ir[0], reg), (reg, vec), (vec, reg)]
    bases = kernel_bases(pairs, 5, QUIET, 3)
    assert sum(len(b) for b in bases) > 0
    for b in bases:
        if len(b):
            assert constraint_error(b, group, b.rho_in, b.rho_out) < 1e-10, (b.rho_in, b.rho_out)


@pytest.mark.parametrize("group,full", [(O, SO3()), (OH, O3())], ids=str)
def test_the_continuous_basis_restricted_to_the_cube_group_lies_in_its_basis(group, full):
    """Every SO(3) (O(3)) kernel between degrees ``l_out, l_in <= 3`` is O (Oh) equivariant: the span of the
    SO(3) basis, read in the restricted representations, lies inside the O basis of those representations,
    which is larger (the cube group couples more degrees)."""
    larger = False
    restricted = {}
    for l_out in range(4):
        for l_in in range(4):
            if full == SO3():
                so, si = irrep(full, l_out), irrep(full, l_in)
            else:
                so, si = irrep(full, l_out, (-1) ** l_out), irrep(full, l_in, 1)
            big = kernel_basis(si, so, 5, QUIET, spatial_dims=3)
            if not len(big):
                continue
            for rho in (so, si):
                if rho not in restricted:
                    restricted[rho] = restrict(rho, group)
            small = kernel_basis(restricted[si], restricted[so], 5, QUIET, spatial_dims=3)
            assert span_residual(big.tensor, small.tensor) < 1e-10
            larger |= len(small) > len(big)
    assert larger


@pytest.mark.parametrize("k", [3, 5, 7])
def test_the_default_shells_keep_the_planar_degrees_and_stay_linearly_independent(k):
    """Shells at radii 0..(k-1)/2 with degrees 0 at the centre, 1 on the outermost shell and floor(2 r) in
    between; the sampled SO(3) bases (l <= 2) have full rank (no aliased degree coincides with another)."""
    profiles = radial_profiles(KernelSpec(), k, 3)
    degrees = {j: max(d for d, jj, _ in profiles if jj == j) for _, j, _ in profiles}
    expected = {0: 0, 1: 1} if k == 3 else {0: 0, 1: 2, 2: 1} if k == 5 else {0: 0, 1: 2, 2: 4, 3: 1}
    assert degrees == expected
    reps = [irrep(SO3(), j) for j in range(3)]
    for b in kernel_bases([(ri, ro) for ri in reps for ro in reps], k, QUIET, 3):
        if len(b):
            flat = b.tensor.reshape(len(b), -1)
            assert np.linalg.matrix_rank(flat, tol=1e-8) == len(b)


def test_the_band_limit_options_bound_the_degree_of_each_shell():
    so, si = irrep(SO3(), 2), irrep(SO3(), 0)
    assert {d["frequency"] for d in kernel_basis(si, so, 7, KernelSpec(warn=False), 3).info} == {2}
    capped = kernel_basis(si, so, 7, KernelSpec(max_frequency=1, allow_empty=True, warn=False), 3)
    assert len(capped) == 0
    table = kernel_basis(si, so, 7, KernelSpec(frequency_cutoff=(0, 0, 2, 0), warn=False), 3)
    assert {(d["frequency"], d["radial"]) for d in table.info} == {(2, 2)}
    with pytest.warns(
        ZeroBlockWarning, match=r"SO3 3x3x3 gaussian kernels: the blocks irrep\(0\) -> irrep\(2\)"
    ):
        kernel_bases([(si, so), (si, irrep(SO3(), 1))], 3, KernelSpec(allow_empty=True), 3)


@pytest.mark.parametrize("group", [O, OH, I, IH], ids=str)
def test_lifted_bases_span_the_harmonic_bases_in_space(group):
    """Between regular and trivial fields the lifted basis (free filters moved by ``L_J(g)``) spans the
    harmonic one; for the cube groups a moved pixel function is the voxel permutation of it."""
    reg, triv = regular(group), trivial(group)
    pairs = [(triv, reg), (reg, triv)] + ([(reg, reg)] if group == O else [])
    for rho_in, rho_out in pairs:
        assert lifts_to_regular(rho_in, rho_out)
        k = 3 if rho_in is rho_out else 5
        lifted = regular_kernel_basis(rho_in, rho_out, k, QUIET, spatial_dims=3)
        ref = harmonic_kernel_basis(rho_in, rho_out, k, QUIET, spatial_dims=3)
        assert len(lifted) == len(ref) and lifted.tensor.shape == ref.tensor.shape
        # equal dimensions and one inclusion: equal spans (the harmonic basis is linearly independent)
        assert span_residual(lifted.tensor, ref.tensor) < 1e-10
        assert {d["component"] for d in lifted.info} <= set(range(-2, 3))
    if group.grid_dims == 3:
        lifted = regular_kernel_basis(triv, reg, 5, QUIET, spatial_dims=3).tensor[:, :, 0]  # (f, g, voxels)
        first = lifted[:, 0].reshape(len(lifted), -1)
        for g in range(group.order):
            # K_a(x) = f(g_a^{-1} x) with g_a the element taking the first basis vector to the a-th
            a = int(np.nonzero(regular(group)(torch.tensor(g)).numpy()[:, 0])[0][0])
            perm = grid_permutation(group, g, 5, 5, 5)
            assert np.abs(lifted[:, a].reshape(len(lifted), -1) - first[:, perm]).max() < 1e-12


def test_lifted_and_harmonic_bases_between_o_fields_are_exact_on_the_voxel_grid():
    reg, triv = regular(O), trivial(O)
    for rho_in, rho_out in [(triv, reg), (reg, triv), (reg, irrep(O, 3)), (reg, reg)]:
        b = kernel_basis(rho_in, rho_out, 3, QUIET, spatial_dims=3)
        assert constraint_error(b, O, b.rho_in, b.rho_out) < 1e-10


def test_the_shared_constraint_error_reads_volumes():
    """The kernel tests' constraint error (a voxel permutation per element) passes a basis and catches a
    perturbed one."""
    b = kernel_basis(trivial(O), irrep(O, 3), 3, QUIET, spatial_dims=3)
    assert constraint_error(b, O, trivial(O), irrep(O, 3)) < 1e-12
    noise = 1e-3 * np.random.default_rng(0).normal(size=b.tensor.shape)
    bad = dataclasses.replace(b, tensor=b.tensor + noise)
    assert constraint_error(bad, O, trivial(O), irrep(O, 3)) > 1e-6


def test_solutions_are_cached_per_irrep_pair_and_served_transposed():
    so, si = irrep(SO3(), 2), irrep(SO3(), 1)
    first = SPHERICAL.solutions([(so, si)], (1, 2, 3))[0]
    assert SPHERICAL.solutions([(so, si)], (1, 2, 3))[0] is first
    flipped = SPHERICAL.solutions([(si, so)], (1, 2, 3))[0]
    for j in (1, 2, 3):
        assert np.array_equal(flipped[j], first[j].transpose(0, 2, 1, 3))
