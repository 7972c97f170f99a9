"""Band-limited Fourier analysis on SO(3) and the sphere: separable transforms against the matrix path,
round trip at bandwidth 8, Plancherel, kept columns, convolution, and the SO(3) / sphere layers."""

from __future__ import annotations

import pytest
import torch

spatial = pytest.importorskip("groupconv.groups.spatial")

from _fourier_helpers import _one_thread  # noqa: E402, F401  (autouse fixture)
from _fourier_helpers import gen as _gen  # noqa: E402

from groupconv.fourier import (  # noqa: E402
    HomogeneousSpace,
    convolve,
    euler_to_matrix,
    fourier_transform,
    function_space,
    inverse_fourier_transform,
    so3_grid,
)
from groupconv.groups import SO2  # noqa: E402
from groupconv.nn import HomogeneousFourierConv  # noqa: E402
from groupconv.verify.equivariance import check_equivariance  # noqa: E402

SO3 = spatial.SO3


def _random_coefficients(space, batch=(2,), seed=0):
    from groupconv.fourier import FourierCoefficients

    g = _gen(seed)
    return FourierCoefficients(
        space,
        [
            torch.randn(batch + (ir.dim, v.shape[1]), dtype=torch.float64, generator=g)
            for ir, v in zip(space.irreps, space.columns)
        ],
    )


def test_grid_matches_group_conventions():
    alpha, beta, gamma, w = so3_grid(3)
    assert len(alpha) == 7 and len(beta) == 4 and abs(w.sum() - 1) < 1e-14
    R = euler_to_matrix(torch.tensor(0.3), torch.tensor(1.1), torch.tensor(-0.4))
    assert torch.allclose(R @ R.T, torch.eye(3, dtype=torch.float64), atol=1e-14)
    assert torch.allclose(SO3.from_euler(*torch.tensor([0.3, 1.1, -0.4], dtype=torch.float64)), R, atol=1e-14)
    # the grid of bandwidth L is SO3().quadrature(2L), in its order
    sp = function_space(SO3(), 3)
    g, wq = SO3().quadrature(6)
    assert torch.allclose(sp.points, g, atol=1e-14) and torch.allclose(
        torch.as_tensor(sp.weights), wq, atol=1e-15
    )


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
    from groupconv.reps.spatial import spherical_harmonics

    w = torch.as_tensor(S.weights)
    for l, b in enumerate(kept.blocks):
        Y = spherical_harmonics(l, S.points_on_sphere)
        ref = (w[:, None] * f[..., :, None] * Y).sum(-2) / (2 * l + 1) ** 0.5
        assert torch.allclose(b[..., 0], ref, atol=1e-13)
    # rotating a function moves it with the points: (g . f)(g x) = f(x) for a band-limited f
    from groupconv.nn import FunctionType

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


def test_convolution_spatial_equals_fourier():
    G = SO3()
    for sp in (function_space(G, 2), HomogeneousSpace(G, SO2(), 2)):
        f = inverse_fourier_transform(_random_coefficients(sp, seed=3))
        h = inverse_fourier_transform(_random_coefficients(sp, (), seed=4))
        a = convolve(f, h, sp, method="spatial")
        b = convolve(f, h, sp, method="fourier")
        assert float((a - b).abs().max()) <= 1e-10


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
    from groupconv.fourier import FourierCoefficients

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
