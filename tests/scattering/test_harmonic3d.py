"""HarmonicScattering3D: output layout, invariances (cube symmetries, rotations, translations), an
independent complex-FFT reference, kymatio's outputs, dtypes, gradients and the energy accounting."""

from __future__ import annotations

import itertools
import math
import warnings

import pytest
import torch

from groupconv.reps.spatial import spherical_harmonics
from groupconv.scattering import HarmonicScattering3D, energy_per_layer
from groupconv.scattering.solid_harmonics import _frequencies, _single_filter, solid_harmonic_constant
from groupconv.verify import check_energy


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(((a - b).abs() / b.abs().clamp_min(1e-300)).max())


def _covariant_filters(w: torch.Tensor, sigma: float, l: int) -> torch.Tensor:
    """The complex filters ``(-i)^l C_l (2 pi)^{3/2} (sigma |w|)^l exp(-sigma^2 |w|^2 / 2) Y_l(w / |w|)``."""
    u = w.flip(-1).clone()
    u[(u == 0).all(-1)] = 1.0
    y = spherical_harmonics(l, u).movedim(-1, 0) / math.sqrt(4 * math.pi)
    r = w.norm(dim=-1)
    radial = (
        solid_harmonic_constant(l)
        * (2 * math.pi) ** 1.5
        * (sigma * r) ** l
        * torch.exp(-0.5 * (sigma * r) ** 2)
    )
    return (-1j) ** l * radial * y


def _reference(
    x: torch.Tensor, J: int, L: int, sigma_0: float = 1.0, rc: bool = True, powers=(0.5, 1.0, 2.0)
):
    """The transform written out with full complex filters and complex FFTs, one filter at a time."""
    w = _frequencies(tuple(x.shape[-3:]))
    spec = torch.fft.fftn(x.to(torch.complex128), dim=(-3, -2, -1))

    def modulus(f_hat, j, l):
        h = _covariant_filters(w, sigma_0 * 2**j, l) if rc else _single_filter(w, sigma_0 * 2**j, l)
        y = torch.fft.ifftn(f_hat[:, None] * h, dim=(-3, -2, -1))
        return y.abs().pow(2).sum(1).sqrt()

    def integrals(u):
        return torch.stack([u.pow(q).sum((-3, -2, -1)) for q in powers], -1)

    rows = {}
    for l in range(L + 1):
        for j1 in range(J + 1):
            u1 = modulus(spec, j1, l)
            rows[(j1,), l] = integrals(u1)
            for j2 in range(j1 + 1, J + 1):
                rows[(j1, j2), l] = integrals(
                    modulus(torch.fft.fftn(u1.to(torch.complex128), dim=(-3, -2, -1)), j2, l)
                )
    paths = [(j,) for j in range(J + 1)] + [(a, b) for a in range(J + 1) for b in range(a + 1, J + 1)]
    return torch.stack([torch.stack([rows[p, l] for l in range(L + 1)], 1) for p in paths], 1)


def _symmetries():
    """The 48 voxel permutations of the cube about the grid centre: axis permutations and flips."""
    for perm in itertools.permutations(range(3)):
        for flips in itertools.product((False, True), repeat=3):
            yield perm, [d - 3 for d in range(3) if flips[d]]


def _act(x: torch.Tensor, perm, flips) -> torch.Tensor:
    lead = x.dim() - 3
    y = x.permute(*range(lead), *(lead + p for p in perm))
    return y.flip(flips) if flips else y


def _molecule(positions: torch.Tensor, n: int, width: float = 1.5) -> torch.Tensor:
    """A sum of unit-mass Gaussians of width ``width`` at ``positions`` ``(A, 3)`` (voxel units from the grid
    centre), sampled on an ``n^3`` grid in float64."""
    c = torch.arange(n, dtype=torch.float64) - (n - 1) / 2
    grid = torch.stack(torch.meshgrid(c, c, c, indexing="ij"), -1)
    d2 = ((grid[None] - positions[:, None, None, None]) ** 2).sum(-1)
    return (torch.exp(-d2 / (2 * width**2)) / ((2 * math.pi) ** 1.5 * width**3)).sum(0)


def test_shapes_layout_and_leading_axes():
    s = HarmonicScattering3D(2, (8, 8, 8), L=1, integral_powers=(1.0, 2.0))
    assert s.paths == [(0,), (1,), (2,), (0, 1), (0, 2), (1, 2)]
    x = torch.rand(2, 3, 8, 8, 8)
    y = s(x)
    assert y.shape == (2, 3, 6, 2, 2)
    assert torch.allclose(y[1, 2], s(x[1, 2]), rtol=1e-6)
    assert s(torch.rand(0, 8, 8, 8)).shape == (0, 6, 2, 2)
    W, E = s.energies(torch.rand(0, 8, 8, 8))
    assert W.shape == E.shape == (3, 0)
    s1 = HarmonicScattering3D(2, (8, 8, 8), L=1, max_order=1, integral_powers=(1.0, 2.0))
    assert s1(x).shape == (2, 3, 3, 2, 2)
    assert torch.allclose(s1(x), y[..., :3, :, :], rtol=1e-6)
    assert s.order0(x).shape == (2, 3, 2)
    assert s.in_type is None and s.out_type is None and s.spatial_dims == 3
    assert list(s.state_dict()) == []


@pytest.mark.parametrize("shape", [(9, 9, 9), (8, 8, 8), (8, 6, 10), (7, 8, 9)])
@pytest.mark.parametrize("rc", [True, False])
def test_matches_complex_fft_reference(shape, rc):
    torch.manual_seed(0)
    x = torch.rand(2, *shape, dtype=torch.float64)
    s = HarmonicScattering3D(2, shape, L=3, rotation_covariant=rc).double()
    assert _rel(s(x), _reference(x, 2, 3, rc=rc)) < 1e-11


@pytest.mark.parametrize("n", [9, 8])
def test_exact_invariance_under_the_48_cube_symmetries(n):
    torch.manual_seed(1)
    x = torch.rand(2, n, n, n, dtype=torch.float64)
    if n % 2 == 0:
        # even grids: the sampled filters see -pi but not +pi; a volume without Nyquist energy is exact
        spec = torch.fft.rfftn(x, dim=(-3, -2, -1))
        spec[:, n // 2] = 0
        spec[:, :, n // 2] = 0
        spec[..., n // 2] = 0
        x = torch.fft.irfftn(spec, s=(n, n, n), dim=(-3, -2, -1))
    s = HarmonicScattering3D(2, (n, n, n), L=3).double()
    y = s(x)
    moved = s(torch.stack([_act(x, p, f) for p, f in _symmetries()]))
    assert _rel(moved, y.expand_as(moved)) < 1e-10


def test_even_grid_nyquist_energy_breaks_exact_cube_invariance_as_documented():
    torch.manual_seed(2)
    x = torch.rand(1, 8, 8, 8, dtype=torch.float64)
    s = HarmonicScattering3D(0, (8, 8, 8), L=2).double()
    moved = s(torch.stack([_act(x, p, f) for p, f in _symmetries()]))
    assert _rel(moved, s(x).expand_as(moved)) > 1e-8


def test_random_rotations_of_a_smooth_density():
    """Atoms rotated analytically (not interpolated), width 1.5 voxels, J = 2, sigma_0 = 1 on 24^3: what
    remains is the sampling of the grid and the periodic images of the widest wavelets, measured at
    1.4e-3 (largest relative deviation of a coefficient); tolerance 5e-3. kymatio's single harmonic
    (rotation_covariant=False) moves by about 0.5 under the same rotations."""
    gen = torch.Generator().manual_seed(3)
    pos = torch.tensor(
        [[0.0, 0.0, 0.0], [2.5, 0.5, -1.0], [-1.0, 2.0, 1.5], [0.5, -2.5, 0.5]], dtype=torch.float64
    )
    s = HarmonicScattering3D(2, (24, 24, 24), L=3).double()
    single = HarmonicScattering3D(2, (24, 24, 24), L=3, rotation_covariant=False).double()
    x = _molecule(pos, 24)[None]
    y, y_single = s(x), single(x)
    for _ in range(3):
        q, r = torch.linalg.qr(torch.randn(3, 3, dtype=torch.float64, generator=gen))
        rot = q * torch.sign(torch.diagonal(r))
        rot = rot * torch.sign(torch.det(rot))
        xr = _molecule(pos @ rot.T, 24)[None]
        assert _rel(s(xr), y) < 5e-3
        assert _rel(single(xr), y_single) > 5e-2


def test_translation_invariance_periodic_shift():
    torch.manual_seed(4)
    x = torch.rand(2, 10, 8, 12, dtype=torch.float64)
    s = HarmonicScattering3D(2, (10, 8, 12), L=2).double()
    shifted = torch.roll(x, (3, -2, 5), (1, 2, 3))
    assert _rel(s(shifted), s(x)) < 1e-11
    assert _rel(s.order0(shifted), s.order0(x)) < 1e-12


def test_float32_matches_float64_and_dtype_round_trip():
    torch.manual_seed(5)
    x = torch.rand(2, 12, 12, 12, dtype=torch.float64)
    s = HarmonicScattering3D(2, (12, 12, 12), L=3)
    y32 = s(x.float())
    y64 = s.double()(x)
    assert y64.dtype == torch.float64
    assert _rel(y32.double(), y64) < 1e-5
    # the float64 filters come back exactly from their masters after a float32 round trip
    assert torch.equal(s.float().double()._pairs, s.derived_master("_pairs"))


def test_order0_integrals():
    x = torch.tensor([[-1.0, 4.0], [0.0, 9.0]], dtype=torch.float64).reshape(1, 2, 2, 1).expand(1, 2, 2, 3)
    s = HarmonicScattering3D(0, (2, 2, 3), L=0, integral_powers=(0.5, 1.0, 2.0)).double()
    expected = torch.tensor(
        [[3 * (1 + 2 + 0 + 3), 3 * (1 + 4 + 0 + 9), 3 * (1 + 16 + 0 + 81)]], dtype=torch.float64
    )
    assert torch.allclose(s.order0(x), expected)


def test_gradients_flow_and_gradcheck():
    torch.manual_seed(6)
    s = HarmonicScattering3D(1, (4, 4, 4), L=1, integral_powers=(0.5, 1.0, 2.0)).double()
    x = (torch.rand(1, 4, 4, 4, dtype=torch.float64) + 0.5).requires_grad_()
    assert torch.autograd.gradcheck(s, (x,), eps=1e-6, atol=1e-6, rtol=1e-4, fast_mode=True)
    # a density whose odd-degree moduli vanish somewhere: finite gradients (zero at the zeros)
    z = torch.zeros(1, 4, 4, 4, dtype=torch.float64)
    z[0, 2, 2, 2] = 1.0
    z.requires_grad_()
    s(z).sum().backward()
    assert torch.isfinite(z.grad).all() and z.grad.abs().sum() > 0


def test_nan_propagates():
    s = HarmonicScattering3D(1, (6, 6, 6), L=1)
    x = torch.rand(1, 6, 6, 6)
    x[0, 1, 2, 3] = float("nan")
    assert torch.isnan(s(x)).all()


def test_energy_accounting_and_check_energy():
    torch.manual_seed(7)
    n = 12
    x = torch.rand(3, n, n, n, dtype=torch.float64)
    s = HarmonicScattering3D(2, (n, n, n), L=3).double()
    W, E = s.energies(x)
    assert W.shape == E.shape == (3, 3)
    assert torch.allclose(W[0], x.pow(2).sum((1, 2, 3)))
    assert torch.allclose(E[0], x.sum((1, 2, 3)) ** 2 / n**3)
    # W_1 is the input spectrum weighted by the Littlewood-Paley sum of the bank (Parseval, exact)
    lp = sum(s._power(j).sum(0) for j in range(3))
    spec = torch.fft.fftn(x, dim=(1, 2, 3)).abs().pow(2)
    assert torch.allclose(W[1], (spec * lp).sum((1, 2, 3)) / n**3, rtol=1e-12)
    # layer by layer: A_n W_n <= E_n + W_{n+1} <= B_n W_n
    bounds = s.frame_bounds()
    for k in range(2):
        a, b = bounds[k]
        moved = E[k] + W[k + 1]
        assert (moved <= b * W[k] * (1 + 1e-12)).all() and (moved >= a * W[k] * (1 - 1e-12)).all()
    A, B = s.bank_frame_bounds()
    assert B == pytest.approx(lp.max().item()) and B >= 3 - 1e-12 and A < 1e-3
    p = energy_per_layer(s, x)
    assert p.depth == 2
    report = check_energy(s, x.float())
    rows = [r for r in report.rows if r.layer.endswith("[identity]")]
    assert len(rows) == 1 and rows[0].passed
    assert s.certificate().status == "not applicable"


def test_kymatio_agreement():
    kymatio = pytest.importorskip("kymatio.torch")
    torch.manual_seed(8)
    worst = 0.0
    for shape, rc in [((16, 16, 16), True), ((12, 10, 14), True), ((16, 16, 16), False)]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            k = kymatio.HarmonicScattering3D(J=2, shape=shape, L=3, rotation_covariant=rc)
        g = HarmonicScattering3D(2, shape, L=3, rotation_covariant=rc)
        x = torch.rand(3, *shape)
        worst = max(worst, _rel(g(x), k(x)))
    assert worst < 1e-5


def test_chunked_batches_match():
    torch.manual_seed(9)
    s = HarmonicScattering3D(1, (8, 8, 8), L=2).double()
    x = torch.rand(3, 8, 8, 8, dtype=torch.float64)
    whole, (w, e) = s(x), s.energies(x)
    s.chunk_bytes = 1  # one volume per chunk
    assert torch.allclose(s(x), whole, rtol=1e-13)
    w1, e1 = s.energies(x)
    assert torch.allclose(w1, w, rtol=1e-13) and torch.allclose(e1, e, rtol=1e-13)


@pytest.mark.cuda
def test_cuda_matches_cpu_without_host_sync():
    torch.manual_seed(10)
    s = HarmonicScattering3D(2, (16, 16, 16), L=3).double()
    x = torch.rand(2, 16, 16, 16, dtype=torch.float64)
    cpu = s(x)
    s = s.to("cuda")
    xg = x.to("cuda")
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        gpu = s(xg)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert _rel(gpu.cpu(), cpu) < 1e-10
    assert _rel(s.float()(xg.float()).double().cpu(), cpu) < 1e-5
