"""Kernel bases: exact grid solver against the character formula, harmonic bases against the constraint,
the DCFNet Fourier-Bessel basis, symbolic certificates, and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from groupconv.groups import O2, SO2, Cyclic, Dihedral, grid_permutation
from groupconv.kernels import (
    angular_solutions,
    bessel_zeros_dcf,
    character_dimension,
    check_kernel_size,
    fourier_bessel_basis,
    fourier_bessel_indices,
    grid_kernel_basis,
    harmonic,
    harmonic_kernel_basis,
    regular_kernel_basis,
    verify_grid_basis,
)
from groupconv.kernels.harmonic import _angular_action
from groupconv.kernels.symbolic import certify_harmonic_templates
from groupconv.reps import irrep, irreps, permutation_representation, quotient, regular, trivial

GRID_GROUPS = [Cyclic(2), Cyclic(4), Dihedral(2), Dihedral(4)]


def _reps(G):
    out = [regular(G)] + irreps(G)
    if isinstance(G, Dihedral):
        out.append(quotient(G, Cyclic(G.n)))
    return out


def _constraint_error(basis, G, rho_in, rho_out):
    t = basis.tensor
    n, d_o, d_i, k, _ = t.shape
    flat = t.reshape(n, d_o, d_i, k * k)
    worst = 0.0
    for g in range(G.order):
        perm = grid_permutation(G, g, k, k)
        ro = rho_out(torch.tensor(g)).numpy()
        ri = rho_in(torch.tensor(g)).numpy()
        moved = np.einsum("oa,nabp,ib->noip", ro, flat[..., perm], ri)
        worst = max(worst, float(np.abs(moved - flat).max()))
    return worst


@pytest.mark.parametrize(
    "G,k", [(G, 3) for G in GRID_GROUPS] + [(Cyclic(4), 5), (Dihedral(4), 5)], ids=lambda v: str(v)
)
def test_grid_basis_dimension_is_the_character_formula(G, k):
    reps = _reps(G)
    for ri in reps:
        for ro in reps:
            dim = character_dimension(G, ri, ro, k)
            orbit = grid_kernel_basis(ri, ro, k, allow_empty=True)
            assert len(orbit) == dim, (ri, ro)
            if dim and k == 3 and ri.dim * ro.dim <= 16:
                svd = grid_kernel_basis(ri, ro, k, method="svd", allow_empty=True)
                assert len(svd) == dim
                assert orbit.kind == "exact" and np.array_equal(orbit.tensor, np.rint(orbit.tensor))
                assert _constraint_error(svd, G, ri, ro) < 1e-12
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


@pytest.mark.parametrize("G", [Cyclic(4), Dihedral(4)], ids=str)
@pytest.mark.parametrize("kind", ["gaussian", "bessel"])
def test_harmonic_basis_is_exact_on_the_grid_for_grid_groups(G, kind):
    reps = [regular(G), trivial(G), irreps(G)[1], irreps(G)[-1]]
    for ri in reps:
        for ro in reps:
            b = harmonic_kernel_basis(ri, ro, 5, basis=kind, allow_empty=True, warn=False)
            if len(b):
                assert _constraint_error(b, G, ri, ro) < 1e-12, (ri, ro)
                # and it lies in the span of the exact grid basis
                ex = grid_kernel_basis(ri, ro, 5).tensor
                a = ex.reshape(len(ex), -1).T
                v = b.tensor.reshape(len(b), -1).T
                assert np.abs(v - a @ np.linalg.lstsq(a, v, rcond=None)[0]).max() < 1e-12


@pytest.mark.parametrize("G", [SO2(), O2(), Cyclic(8), Dihedral(8), Cyclic(3), Dihedral(6)], ids=str)
def test_angular_solutions_satisfy_the_constraint(G):
    ir = irreps(G, max_degree=3) if not G.is_finite else irreps(G)
    gen = torch.Generator().manual_seed(0)
    g = G.elements() if G.is_finite else G.sample(25, generator=gen)
    phi = G.angle(g, dtype=torch.float64).numpy()
    s = G.reflection(g).numpy() if isinstance(G, (Dihedral, O2)) else np.zeros(len(phi), dtype=np.int64)
    total = 0
    for so in ir:
        for si in ir:
            for k in range(7):
                t = angular_solutions(so, si, k)
                total += t.shape[0]
                if t.shape[0] == 0:
                    continue
                lk = _angular_action(k, phi, s)
                moved = np.einsum("nac,noO,mOIa,niI->nmoic", lk, so(g).numpy(), t, si(g).numpy())
                assert np.abs(moved - t[None]).max() < 1e-12, (so, si, k)
    assert total > 0


@pytest.mark.parametrize("G", [O2(), Cyclic(8), Dihedral(6), Cyclic(5)], ids=str)
def test_batched_angular_solutions_are_complete_and_match_single_pairs(G):
    """The batched solver against an independent null space: the solutions span the kernel of the stacked
    constraint ``[A(g) - I]_g`` (sampled elements for the continuous groups), and solving all pairs at
    once gives the same spaces as solving each pair alone (and transposes for the swapped pairs)."""
    ir = irreps(G, max_degree=2) if not G.is_finite else irreps(G)
    pairs = [(so, si) for so in ir for si in ir]
    ks = tuple(range(6))
    harmonic._ANGULAR.clear()
    batched = harmonic._angular_batch(pairs, ks)
    gen = torch.Generator().manual_seed(1)
    g = G.elements() if G.is_finite else G.sample(12, generator=gen)
    phi = G.angle(g, dtype=torch.float64).numpy()
    s = G.reflection(g).numpy() if isinstance(G, (Dihedral, O2)) else np.zeros(len(phi), dtype=np.int64)

    def span_equal(a, b):
        if a.shape[0] != b.shape[0]:
            return False
        if a.shape[0] == 0:
            return True
        a, b = a.reshape(a.shape[0], -1).T, b.reshape(b.shape[0], -1).T
        return np.abs(b - a @ np.linalg.lstsq(a, b, rcond=None)[0]).max() < 1e-10

    for (so, si), sols in zip(pairs, batched):
        for k in ks:
            t = sols[k]
            lk = _angular_action(k, phi, s)
            a = lk.shape[-1]
            # A(g) vec(T) = vec(so(g) T L(g)-action si(g)^T), as in the Reynolds projector
            ops = np.einsum("noO,niI,nab->noibOIa", so(g).numpy(), si(g).numpy(), lk)
            n = so.dim * si.dim * a
            m = ops.reshape(len(phi), n, n) - np.eye(n)
            nullity = n - np.linalg.matrix_rank(m.reshape(-1, n), tol=1e-9)
            assert t.shape[0] == nullity, (so, si, k)
            assert t.shape[0] == 0 or np.linalg.matrix_rank(t.reshape(t.shape[0], -1), tol=1e-9) == t.shape[0]
            harmonic._ANGULAR.clear()
            alone = harmonic._angular_batch([(so, si)], (k,))[0][k]
            assert span_equal(t, alone), (so, si, k)
    # a swapped pair is answered from the cache as the transposed solutions
    so, si = ir[1], ir[-1]
    harmonic._ANGULAR.clear()
    first = harmonic._angular_batch([(so, si)], ks)[0]
    swapped = harmonic._angular_batch([(si, so)], ks)[0]
    for k in ks:
        assert np.array_equal(swapped[k], first[k].transpose(0, 2, 1, 3))


def test_single_precision_basis_is_the_rounded_double_basis():
    for G in [Cyclic(8), Dihedral(8), SO2()]:
        reps = [regular(G)] if G.is_finite else [irrep(G, 0) + irrep(G, 1) + irrep(G, 2)]
        for r in reps:
            b64 = harmonic_kernel_basis(r, r, 5, warn=False)
            b32 = harmonic_kernel_basis(r, r, 5, dtype=np.float32, warn=False)
            assert b32.tensor.dtype == np.float32 and b64.tensor.dtype == np.float64
            assert np.array_equal(b32.tensor, b64.tensor.astype(np.float32))
            assert b32.info == b64.info


def test_selection_rules_so2_and_aliasing_cn():
    G = SO2()
    # between frequencies m and n only harmonics |m - n| and m + n occur
    for m in range(3):
        for n in range(3):
            allowed = {abs(m - n), m + n}
            for k in range(7):
                t = angular_solutions(irrep(G, m), irrep(G, n), k)
                assert (t.shape[0] > 0) == (k in allowed), (m, n, k)
    C = Cyclic(4)
    # trivial -> trivial of C4 admits the aliased frequencies 4, 8, ...
    assert angular_solutions(trivial(C), trivial(C), 4).shape[0] == 2
    assert angular_solutions(trivial(C), trivial(C), 2).shape[0] == 0


def test_symbolic_certificate_proves_and_catches_a_perturbation():
    for G in [SO2(), O2(), Cyclic(8), Dihedral(8)]:
        reps = irreps(G, max_degree=2) if not G.is_finite else irreps(G)
        b = harmonic_kernel_basis(reps[0] + reps[-1], reps[1] + reps[-1], 5, warn=False)
        ok, reason = certify_harmonic_templates(b.templates, G)
        assert ok, reason
    key = next(k for k, t in b.templates.items() if t.shape[-1] == 2)
    bad = dict(b.templates)
    t = bad[key].copy()
    t[0, ..., 1] = -t[0, ..., 1] + 0.5
    bad[key] = t
    ok, reason = certify_harmonic_templates(bad, G)
    assert not ok


def test_empty_basis_and_zero_blocks_are_reported():
    G = SO2()
    with pytest.raises(ValueError, match="empty kernel basis"):
        harmonic_kernel_basis(irrep(G, 0), irrep(G, 4), 3)
    with pytest.raises(ValueError, match="empty kernel basis"):
        grid_kernel_basis(trivial(Cyclic(4)), irrep(Cyclic(4), 1), 1)
    D = Dihedral(8)
    with pytest.warns(UserWarning, match=r"irrep\(0,0\)', 'irrep\(1,0\)"):
        b = harmonic_kernel_basis(regular(D), regular(D), 5)
    assert ("irrep(0,0)", "irrep(1,0)") in b.zero_blocks


def test_kernel_size_errors():
    with pytest.raises(ValueError, match="square"):
        check_kernel_size((3, 5))
    with pytest.raises(ValueError, match="odd"):
        check_kernel_size(4)
    with pytest.raises(ValueError, match="C1, C2, C4"):
        grid_kernel_basis(trivial(Cyclic(8)), trivial(Cyclic(8)), 3)
    with pytest.raises(TypeError, match="of C8"):
        harmonic_kernel_basis(trivial(Cyclic(8)), trivial(Cyclic(4)), 3)


@pytest.mark.parametrize("k,count", [(3, 6), (5, 14), (7, 38)])
def test_fourier_bessel_counts_under_the_dcfnet_cutoff(k, count):
    idx = fourier_bessel_indices(k)
    assert len(idx) == count
    z = bessel_zeros_dcf(k)
    assert all(a[2] <= b[2] for a, b in zip(z, z[1:]))  # ordered by eigenvalue
    basis = fourier_bessel_basis(k)
    assert basis.shape == (count, k, k)
    if k <= 5:
        # on 7x7 pixels three of the 38 sampled elements are aliased combinations of others
        assert np.linalg.matrix_rank(basis.reshape(count, -1)) == count


@pytest.mark.parametrize("k", [3, 5, 7])
def test_fourier_bessel_rotation_by_90_degrees_is_exact(k):
    basis = fourier_bessel_basis(k)
    idx = fourier_bessel_indices(k)
    pos = {key: b for b, key in enumerate(idx)}
    for b, (freq, q, part) in enumerate(idx):
        rotated = torch.rot90(torch.as_tensor(basis[b]), 1, dims=(-2, -1)).numpy()
        # cos k(theta - pi/2) = cos(k pi/2) cos k theta + sin(k pi/2) sin k theta
        c, s = round(math.cos(freq * math.pi / 2)), round(math.sin(freq * math.pi / 2))
        if freq == 0:
            expected = basis[b]
        elif part == "cos":
            expected = c * basis[b] + s * basis[pos[(freq, q, "sin")]]
        else:
            expected = c * basis[b] - s * basis[pos[(freq, q, "cos")]]
        assert np.array_equal(rotated, expected), (freq, q, part)


def test_fourier_bessel_truncation_errors():
    assert fourier_bessel_basis(5, 6).shape == (6, 5, 5)
    with pytest.raises(ValueError, match="14 elements"):
        fourier_bessel_basis(5, 20)


def _span_residual(a, b):
    a = a.reshape(a.shape[0], -1).T
    q, _ = np.linalg.qr(b.reshape(b.shape[0], -1).T)
    return np.linalg.norm(a - q @ (q.T @ a)) / np.linalg.norm(a)


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
            1 if k == 0 else 2 for k, _, _ in harmonic._sampled_parts_for(kernel_size, basis, **band)[0]
        )
        assert len(lifted) == len(ref) == copies * pixel_functions
        assert lifted.tensor.shape[1:3] == (rho_out.dim, rho_in.dim)
        assert _span_residual(lifted.tensor, ref.tensor) < 1e-12
        assert _span_residual(ref.tensor, lifted.tensor) < 1e-12
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
    with pytest.warns(UserWarning, match=r"\('irrep\(0\)', 'irrep\(3\)'\)"):
        b = regular_kernel_basis(regular(C8), regular(C8), 5)
    assert ("irrep(4)", "irrep(0)") in b.zero_blocks
    with pytest.raises(TypeError, match="C_n and D_n"):
        regular_kernel_basis(trivial(SO2()), irrep(SO2(), 1), 5)
    with pytest.raises(ValueError, match="regular"):
        regular_kernel_basis(irrep(C8, 1), regular(C8), 5)
    with pytest.raises(ValueError, match="regular"):
        regular_kernel_basis(trivial(C8), trivial(C8), 5)
    with pytest.raises(TypeError, match="input representation"):
        regular_kernel_basis(regular(Cyclic(4)), regular(C8), 5)
    with pytest.raises(ValueError, match="odd"):
        regular_kernel_basis(regular(C8), regular(C8), 4)


@pytest.mark.parametrize("G", [SO2(), O2()])
def test_averaging_elements_and_tables_of_the_continuous_groups(G):
    """The averaging elements of SO(2) / O(2) are the group's own quadrature (built in numpy), and the irrep
    tables the kernel solver uses (closed forms in numpy) are the irreps' own matrices."""
    ids = [(k,) for k in range(5)] if isinstance(G, SO2) else [(0, 0), (1, 0)] + [(1, k) for k in range(1, 5)]
    for degree in (16, 48):
        phi, s, w, g = harmonic._elements(G, degree)
        q, wq = G.quadrature(degree)
        assert torch.equal(g, q.to(g.dtype)) and np.allclose(w, wq.numpy(), rtol=0, atol=1e-15)
        assert np.allclose(phi, G.angle(q).numpy(), rtol=0, atol=1e-15)
        for i in ids:
            ir = irrep(G, *i)
            assert np.allclose(harmonic._irrep_table(ir, degree), ir(q).numpy(), rtol=0, atol=1e-15)
