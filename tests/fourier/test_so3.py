"""Band-limited Fourier analysis on SO(3) and the sphere: separable transforms against the matrix path,
round trip at bandwidth 8, Plancherel, kept columns, the tables, and the Fourier-domain layers on SO(3) and
O(3) built on them (the Euler grid is tested in test_grids.py, convolution in test_convolution.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

spatial = pytest.importorskip("groupconv.groups.spatial")

from _fourier_helpers import _one_thread  # noqa: E402, F401  (autouse fixture)
from _fourier_helpers import gen as _gen  # noqa: E402
from _fourier_helpers import random_coefficients as _random_coefficients  # noqa: E402

from groupconv.fourier import (  # noqa: E402
    FourierCoefficients,
    HomogeneousSpace,
    euler_to_matrix,
    fourier_transform,
    function_space,
    inverse_fourier_transform,
    so3_grid,
)
from groupconv.fourier.so3 import so3_tables  # noqa: E402
from groupconv.fourier.wigner import real_to_complex_basis, wigner_d_matrix  # noqa: E402
from groupconv.groups import SO2  # noqa: E402
from groupconv.nn import FunctionType, HomogeneousFourierConv  # noqa: E402
from groupconv.reps.spatial import spherical_harmonics  # noqa: E402
from groupconv.verify.equivariance import check_equivariance  # noqa: E402

SO3 = spatial.SO3


def test_round_trip_bandwidth_8():
    sp = function_space(SO3(), 8)
    c = _random_coefficients(sp)
    f = inverse_fourier_transform(c)
    back = fourier_transform(f, sp)
    assert max(float((a - b).abs().max()) for a, b in zip(back.blocks, c.blocks)) <= 1e-10
    mean_sq = (f**2 * torch.as_tensor(sp.weights)).sum(-1)
    assert torch.allclose(c.norm() ** 2, mean_sq, rtol=1e-12)


@pytest.mark.parametrize("sphere", [False, True], ids=["SO3", "S2"])
def test_separable_matches_matrix_path(sphere):
    G = SO3()
    sp = HomogeneousSpace(G, SO2(), 3) if sphere else function_space(G, 3)
    f = torch.randn(2, sp.num_points, dtype=torch.float64, generator=_gen(1))
    a = fourier_transform(f, sp, method="fast")
    b = fourier_transform(f, sp, method="matrix")
    assert max(float((x - y).abs().max()) for x, y in zip(a.blocks, b.blocks)) <= 1e-12
    assert torch.allclose(
        inverse_fourier_transform(a, method="fast"), inverse_fourier_transform(b, method="matrix"), atol=1e-12
    )


def test_sphere_kept_columns_and_lift():
    G = SO3()
    S = HomogeneousSpace(G, SO2(), 4)
    assert S.multiplicities == (1,) * 5
    for ir, v in zip(S.irreps, S.columns):
        rz = euler_to_matrix(torch.tensor(0.7), torch.tensor(0.0), torch.tensor(0.0))
        assert torch.allclose(ir(rz) @ torch.as_tensor(v), torch.as_tensor(v), atol=1e-12)
    f = inverse_fourier_transform(_random_coefficients(S, seed=2))
    assert torch.allclose(S.project(S.lift(f)), f, atol=1e-13)
    full = fourier_transform(S.lift(f), S.group_space())
    kept = fourier_transform(f, S)
    for v, a, b in zip(S.columns, full.blocks, kept.blocks):
        assert torch.allclose(a @ torch.as_tensor(v), b, atol=1e-12)
    # the coefficients are spherical harmonic coefficients: f^(l) V_l = (2l+1)^-1/2 \int f Y_l
    w = torch.as_tensor(S.weights)
    for l, b in enumerate(kept.blocks):
        Y = spherical_harmonics(l, S.points_on_sphere)
        ref = (w[:, None] * f[..., :, None] * Y).sum(-2) / (2 * l + 1) ** 0.5
        assert torch.allclose(b[..., 0], ref, atol=1e-13)
    # rotating a function moves it with the points: (g . f)(g x) = f(x) for a band-limited f
    g = G.sample(1, generator=_gen(11))[0]
    moved = S.act_on_points(g)
    a = torch.tensor([0.3, -1.0, 2.0], dtype=torch.float64)
    lin = S.points_on_sphere @ a
    rotated = FunctionType(S, 1).transform(lin[None, None], g)[0, 0]
    assert torch.allclose(rotated, S.points_on_sphere @ (g @ a), atol=1e-12)
    assert torch.allclose(moved @ (g @ a), lin, atol=1e-12)
    # a linear function x . a on the sphere has only degree-1 coefficients
    x = S.points_on_sphere
    lin = fourier_transform(x @ torch.tensor([0.3, -1.0, 2.0], dtype=torch.float64), S)
    assert float(lin[0].abs().max()) <= 1e-13 and all(float(b.abs().max()) <= 1e-13 for b in lin.blocks[2:])


@pytest.mark.parametrize(
    "dom, cod", [(SO2(), SO2()), (SO2(), None), (None, None)], ids=["S2->S2", "S2->SO3", "SO3->SO3"]
)
def test_layers_equivariant(dom, cod):
    G = SO3()
    m = HomogeneousFourierConv(G, 2, 3, domain=dom, codomain=cod, bandwidth=3, generator=_gen(5))
    n_params = {"S2->S2": 4, "S2->SO3": 16, "SO3->SO3": 84}
    x = torch.randn(2, 2, m.domain.num_points, dtype=torch.float64, generator=_gen(6))
    report = check_equivariance(m, x, n_samples=20, atol=1e-10, rtol=0.0)
    assert report.rows[0].passed and report.rows[0].elements_tried >= 20
    assert m.weight.shape[-1] in n_params.values()
    m32 = m.float()
    g = G.sample(1, generator=_gen(7))[0]
    with torch.no_grad():
        y = m32(x.float())
        err = (m32(m32.in_type.transform(x.float(), g)) - m32.out_type.transform(y, g)).abs().max()
    assert float(err / y.abs().max()) <= 1e-5


@pytest.mark.cuda
def test_cuda_matches_cpu():
    G = SO3()
    for dom, cod in [(SO2(), SO2()), (SO2(), None), (None, None)]:
        m = HomogeneousFourierConv(G, 2, 2, domain=dom, codomain=cod, bandwidth=3, generator=_gen(8)).double()
        x = torch.randn(2, 2, m.domain.num_points, dtype=torch.float64, generator=_gen(9))
        y = m(x)
        assert torch.allclose(m.to("cuda")(x.cuda()).cpu(), y, atol=1e-12)
    sp = function_space(G, 4)
    f = torch.randn(3, sp.num_points, dtype=torch.float64, generator=_gen(10))
    a = fourier_transform(f, sp)
    b = fourier_transform(f.cuda(), sp)
    assert max(float((x - y.cpu()).abs().max()) for x, y in zip(a.blocks, b.blocks)) <= 1e-12


def test_o3_matrix_path_and_layer():
    """O(3) = SO(3) x {+-1}: the generic quadrature path (O3().quadrature(2L), irreps with parity)."""
    G = spatial.O3()
    sp = function_space(G, 2)
    c = FourierCoefficients(
        sp, [torch.randn(ir.dim, ir.dim, dtype=torch.float64, generator=_gen(12)) for ir in sp.irreps]
    )
    f = inverse_fourier_transform(c)
    back = fourier_transform(f, sp)
    assert max(float((a - b).abs().max()) for a, b in zip(back.blocks, c.blocks)) <= 1e-12
    assert torch.allclose(c.norm() ** 2, (f**2 * torch.as_tensor(sp.weights)).sum(-1))
    m = HomogeneousFourierConv(G, 2, 2, bandwidth=2, generator=_gen(13))
    x = torch.randn(2, 2, sp.num_points, dtype=torch.float64, generator=_gen(14))
    report = check_equivariance(m, x, n_samples=20, atol=1e-10, rtol=0.0)
    assert report.rows[0].passed and report.rows[0].elements_tried >= 20


def test_tables_diagonalize_rotations_about_z_and_hold_wigner_small_d():
    """``u[l]`` holds an eigenbasis ``U_l`` of ``rho_l(R_z(t))`` sorted by ``m`` and ``d[l, j]`` is
    ``U_l^H rho_l(R_y(beta_j)) U_l``: Wigner's ``d^l(beta_j)`` up to the phases of the eigenvectors
    (those of :func:`~groupconv.fourier.wigner.real_to_complex_basis` may differ)."""
    L = 3
    t = so3_tables(L)
    assert so3_tables(L) is t
    beta = so3_grid(L)[1]
    assert t["w"].shape == (L + 1,) and abs(t["w"].sum() - 1) < 1e-14
    for l in range(L + 1):
        s = slice(L - l, L + l + 1)
        u = t["u"][l, : 2 * l + 1, s]
        assert np.abs(u.conj().T @ u - np.eye(2 * l + 1)).max() < 1e-12
        phases = (real_to_complex_basis(l).conj().T @ u).diagonal()
        assert np.abs(np.abs(phases) - 1).max() < 1e-12
        d_ref = wigner_d_matrix(l, beta)
        # U = U_ref diag(p): U^H D U = diag(conj p) d diag(p)
        assert np.abs(t["d"][l, :, s, s] - phases.conj()[:, None] * d_ref * phases[None, :]).max() < 1e-12
        # c0 = (U_l^H V_l)_{m=0}, V_l the m = 0 basis vector e_l
        assert abs(t["c0"][l] - np.conj(u[l, l])) < 1e-12
