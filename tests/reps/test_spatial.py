from __future__ import annotations

import math
import re

import numpy as np
import pytest
import scipy.special
import torch

from groupconv.groups import O2, O3, SO2, SO3, Dihedral, inclusion
from groupconv.reps import (
    block_diagonal,
    irrep,
    irreps,
    parse_representation,
    restrict,
    so3_character,
    spherical_harmonics,
    standard,
    wigner_D,
    wigner_d_small,
    wigner_D_z,
    wigner_J,
)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _unit(n: int, seed: int) -> torch.Tensor:
    u = torch.randn(n, 3, dtype=torch.float64, generator=_gen(seed))
    return u / u.norm(dim=-1, keepdim=True)


P = torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]], dtype=torch.float64)


def test_irrep_metadata_and_listing():
    G = SO3()
    assert [ir.id for ir in irreps(G, 3)] == [0, 1, 2, 3]
    ir = irrep(G, 4)
    assert (ir.dim, ir.degree, ir.type, ir.name) == (9, 4, "R", "irrep(4)")
    ids = [ir.id for ir in irreps(O3(), 2)]
    assert ids == [(0, 1), (0, -1), (1, 1), (1, -1), (2, 1), (2, -1)]
    assert irrep(G, 0).is_trivial() and irrep(O3(), 0, 1).is_trivial() and not irrep(O3(), 0, -1).is_trivial()
    with pytest.raises(ValueError, match="degree"):
        irrep(G, -1)
    with pytest.raises(ValueError, match="parity"):
        irrep(O3(), 1, 2)
    with pytest.raises(ValueError, match="parity"):
        irrep(O3(), 1)
    with pytest.raises(ValueError, match="pass max_degree"):
        irreps(G)


def test_irrep_is_wigner_D_of_euler_angles():
    R = SO3().sample(25, generator=_gen(0))
    for l in (1, 3, 6):
        assert torch.equal(irrep(SO3(), l)(R), wigner_D(l, *SO3.to_euler(R)))
    # degree 0: exactly 1, where the Wigner-D evaluation rounds
    assert torch.allclose(irrep(SO3(), 0)(R), wigner_D(0, *SO3.to_euler(R)), rtol=0, atol=1e-14)


def test_degree_one_is_the_standard_action_in_basis_yzx():
    R = SO3().sample(25, generator=_gen(1))
    assert (irrep(SO3(), 1)(R) - P @ R @ P.T).abs().max() < 1e-14
    rho = standard(SO3())
    assert [ir.id for ir in rho.irreps] == [1]
    assert np.abs(np.abs(rho.change_of_basis) - P.numpy().T).max() < 1e-12
    assert [ir.id for ir in standard(O3()).irreps] == [(1, -1)]


@pytest.mark.parametrize("l", [0, 1, 2, 5, 11, 20])
def test_homomorphism_and_orthogonality(l):
    G = SO3()
    a, b = G.sample(24, generator=_gen(2)), G.sample(24, generator=_gen(3))
    D = irrep(G, l)
    da, db = D(a), D(b)
    assert (D(a @ b) - da @ db).abs().max() <= 1e-10
    eye = torch.eye(2 * l + 1, dtype=torch.float64)
    assert (da @ da.transpose(-1, -2) - eye).abs().max() <= 1e-12
    assert (D(G.inverse(a)) - da.transpose(-1, -2)).abs().max() <= 1e-12
    assert (D(G.identity()) - eye).abs().max() <= 1e-13


def test_float32_and_broadcasting():
    R = SO3().sample(20, generator=_gen(4))
    for l in (1, 4, 8):
        d64 = irrep(SO3(), l)(R)
        d32 = irrep(SO3(), l)(R.float(), dtype=torch.float32)
        assert d32.dtype == torch.float32
        assert float((d32.double() - d64).norm() / d64.norm()) <= 1e-5
    a = torch.rand(4, 1, dtype=torch.float64)
    out = wigner_D(2, a, torch.rand(1, 3, dtype=torch.float64), 0.5)
    assert out.shape == (4, 3, 5, 5)
    assert wigner_D(3, 0.1, 0.2, 0.3).shape == (7, 7)


def test_factorization_and_pieces():
    alpha, beta, gamma = (torch.rand(10, dtype=torch.float64, generator=_gen(s)) * 6 for s in (5, 6, 7))
    for l in (1, 2, 7):
        z = wigner_D_z
        assert (
            wigner_D(l, alpha, beta, gamma) - z(l, alpha) @ wigner_d_small(l, beta) @ z(l, gamma)
        ).abs().max() < 1e-13
        j = torch.as_tensor(wigner_J(l))
        assert (j @ j - torch.eye(2 * l + 1, dtype=torch.float64)).abs().max() < 1e-13 and torch.equal(j, j.T)
        assert (wigner_d_small(l, beta) - j @ z(l, beta) @ j).abs().max() < 1e-13
        # d(beta) is D of the rotation about y, Z(t) that of the rotation about z
        zero = torch.zeros_like(beta)
        assert (wigner_D(l, zero, beta, zero) - wigner_d_small(l, beta)).abs().max() < 1e-14
        assert (wigner_D(l, alpha, zero, zero) - z(l, alpha)).abs().max() < 1e-14


def test_differentiable_in_the_angles():
    x = (torch.rand(3, 2, dtype=torch.float64, generator=_gen(8)) * 3).requires_grad_()
    assert torch.autograd.gradcheck(lambda x: wigner_D(2, x[0], x[1], x[2]), (x,))


def test_spherical_harmonics_equivariance_and_normalization():
    R = SO3().sample(20, generator=_gen(9))
    u = _unit(20, 10)
    for l in (0, 1, 2, 6, 15):
        y = spherical_harmonics(l, u)
        assert ((y**2).sum(-1) - (2 * l + 1)).abs().max() < 1e-11
        lhs = spherical_harmonics(l, (R @ u[..., None])[..., 0])
        rhs = (irrep(SO3(), l)(R) @ y[..., None])[..., 0]
        assert (lhs - rhs).abs().max() < 1e-11
        # parity: Y_l(-u) = (-1)^l Y_l(u)
        assert (spherical_harmonics(l, -u) - (-1) ** l * y).abs().max() < 1e-12
    assert (spherical_harmonics(1, 3 * u) - math.sqrt(3) * u @ P.T).abs().max() < 1e-14


def test_spherical_harmonics_match_scipy():
    u = _unit(50, 11)
    theta = torch.arccos(u[:, 2]).numpy()
    phi = torch.atan2(u[:, 1], u[:, 0]).numpy()
    for l in (2, 4, 9):
        y = spherical_harmonics(l, u).numpy()
        for m in range(-l, l + 1):
            # scipy includes the Condon-Shortley phase (-1)^m and uses orthonormality on S^2 (area 4 pi)
            c = scipy.special.sph_harm_y(l, abs(m), theta, phi) * (-1) ** abs(m) * math.sqrt(4 * math.pi)
            ref = c.real if m == 0 else math.sqrt(2) * (c.real if m > 0 else c.imag)
            assert np.abs(y[:, l + m] - ref).max() < 1e-12


def test_character_formula():
    R = SO3().sample(30, generator=_gen(12))
    t = SO3.rotation_angle(R)
    for l in (0, 1, 4, 10):
        D = irrep(SO3(), l)
        trace = torch.diagonal(D(R), dim1=-2, dim2=-1).sum(-1)
        closed = torch.sin((2 * l + 1) * t / 2) / torch.sin(t / 2)
        assert (D.character(R) - trace).abs().max() < 1e-11
        assert (so3_character(l, t) - closed).abs().max() < 1e-11
    assert float(so3_character(5, torch.tensor(0.0, dtype=torch.float64))) == 11


def test_quadrature_integrates_wigner_D_products_exactly():
    # Schur orthogonality: int D^l_ij D^l'_kn = delta_ll' delta_ik delta_jn / (2l + 1), for all l, l' <= L
    L = 6
    g, w = SO3().quadrature(2 * L)
    feats = torch.cat([irrep(SO3(), l)(g).reshape(len(w), -1) for l in range(L + 1)], 1)
    gram = torch.einsum("n,na,nb->ab", w, feats, feats)
    expected = torch.diag(
        torch.cat(
            [torch.full(((2 * l + 1) ** 2,), 1 / (2 * l + 1), dtype=torch.float64) for l in range(L + 1)]
        )
    )
    assert (gram - expected.double()).abs().max() < 1e-12
    # and the grid for degree L is not exact at degree L + 1 (the node counts are minimal in alpha)
    g, w = SO3().quadrature(L)
    d = irrep(SO3(), L + 1)(g)
    assert float((w[:, None, None] * d).sum(0).abs().max()) > 0.1


def test_euler_grid_separable_rule():
    B = 5
    a, b, c, wb = SO3.euler_grid(B)
    A, Bt, C = torch.meshgrid(a, b, c, indexing="ij")
    w = (wb[None, :, None] / (len(a) * len(c))).expand(A.shape).reshape(-1)
    feats = torch.cat(
        [wigner_D(l, A.reshape(-1), Bt.reshape(-1), C.reshape(-1)).reshape(len(w), -1) for l in range(B)], 1
    )
    gram = torch.einsum("n,na,nb->ab", w, feats, feats)
    expected = torch.diag(
        torch.cat([torch.full(((2 * l + 1) ** 2,), 1 / (2 * l + 1), dtype=torch.float64) for l in range(B)])
    )
    assert (gram - expected.double()).abs().max() < 1e-12


def test_haar_sampling_wigner_D_means_vanish():
    # Each entry of D^l (l > 0) has Haar mean 0 and variance 1 / (2l + 1); the mean of n samples has
    # standard error 1 / sqrt(n (2l + 1)); tolerance 5 standard errors over all entries.
    n = 20000
    R = SO3().sample(n, generator=_gen(13))
    for l in (1, 2, 3):
        d = irrep(SO3(), l)(R)
        assert float(d.mean(0).abs().max()) < 5 / math.sqrt(n * (2 * l + 1))
        assert float(((d**2).mean(0) - 1 / (2 * l + 1)).abs().max()) < 0.05


def test_o3_parity():
    G = O3()
    a, b = G.sample(20, generator=_gen(14)), G.sample(20, generator=_gen(15))
    minus = -torch.eye(3, dtype=torch.float64)
    for l in (0, 1, 2, 5):
        for p in (1, -1):
            D = irrep(G, l, p)
            assert (D(a @ b) - D(a) @ D(b)).abs().max() < 1e-11
            assert torch.allclose(D(minus), p * torch.eye(2 * l + 1, dtype=torch.float64))
            assert (D.character(a) - torch.diagonal(D(a), dim1=-2, dim2=-1).sum(-1)).abs().max() < 1e-11
            R, s = O3.split(a)
            assert (D(a) - irrep(SO3(), l)(R) * (p ** s.double())[:, None, None]).abs().max() < 1e-14
        # the natural action on Y_l is irrep(l, (-1)^l)
        u = _unit(20, 16)
        lhs = spherical_harmonics(l, (a @ u[..., None])[..., 0])
        rhs = (irrep(G, l, (-1) ** l)(a) @ spherical_harmonics(l, u)[..., None])[..., 0]
        assert (lhs - rhs).abs().max() < 1e-12
    # orthogonality of the two parities on the O(3) quadrature grid
    g, w = G.quadrature(4)
    f1 = irrep(G, 2, 1)(g).reshape(len(w), -1)
    f2 = irrep(G, 2, -1)(g).reshape(len(w), -1)
    assert torch.einsum("n,na,nb->ab", w, f1, f2).abs().max() < 1e-13


def test_restriction_to_subgroups():
    res = restrict(irrep(SO3(), 3), SO2())
    assert sorted(ir.id for ir in res.irreps) == [0, 1, 2, 3]
    res = restrict(irrep(O3(), 2, -1), O2())
    assert sorted(ir.id for ir in res.irreps) == [(1, 0), (1, 1), (1, 2)]
    res = restrict(irrep(O3(), 1, -1), SO3())
    assert [ir.id for ir in res.irreps] == [1]
    res = restrict(irrep(SO3(), 2), Dihedral(4))
    assert sum(ir.dim for ir in res.irreps) == 5
    h = Dihedral(4).elements()
    assert (res(h) - irrep(SO3(), 2)(inclusion(Dihedral(4), SO3())(h))).abs().max() < 1e-14
    q = torch.as_tensor(res.change_of_basis)
    blocks = block_diagonal([ir(h) for ir in res.irreps])
    assert (q @ blocks @ q.T - res(h)).abs().max() < 1e-10


def test_parse_round_trip():
    for text in ["SO3[2 x irrep(1) + irrep(0) + irrep(3)]", "O3[irrep(0,1) + 3 x irrep(1,-1) + irrep(2,1)]"]:
        rho = parse_representation(text)
        assert repr(rho) == text and parse_representation(repr(rho)) == rho
    assert repr(standard(SO3())) == "SO3[standard]"
    assert parse_representation("SO3[standard]").dim == 3


def test_bad_inputs():
    with pytest.raises(ValueError, match="degree"):
        wigner_D(1.5, 0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match=r"\(\.\.\., 3\)"):
        spherical_harmonics(2, torch.ones(4, 2))
    with pytest.raises(ValueError, match="det"):
        irrep(SO3(), 1)(-torch.eye(3, dtype=torch.float64))
    with pytest.raises(TypeError, match="float"):
        irrep(SO3(), 1)(torch.eye(3, dtype=torch.int64))


def test_cli_lists_the_irreps(capsys):
    from groupconv.cli import main

    assert main(["irreps", "SO3", "--max-degree", "2"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"irrep\(2\)\s+2\s+5\s+R\s+1", out), out
    assert main(["irreps", "O3", "--max-degree", "1"]) == 0
    assert re.search(r"irrep\(1,-1\)\s+1\s+3\s+R", capsys.readouterr().out)


@pytest.mark.cuda
def test_cuda_matches_cpu():
    R = SO3().sample(16, generator=_gen(20))
    Rc = R.cuda()
    for l in (1, 4, 9):
        cpu = irrep(SO3(), l)(R)
        gpu = irrep(SO3(), l)(Rc)
        assert gpu.device.type == "cuda" and (gpu.cpu() - cpu).abs().max() < 1e-12
        g32 = irrep(SO3(), l)(Rc.float(), dtype=torch.float32)
        assert float((g32.double().cpu() - cpu).norm() / cpu.norm()) < 1e-5
    g = O3().sample(8, device="cuda")
    assert g.device.type == "cuda" and irrep(O3(), 2, -1)(g).device.type == "cuda"
    u = _unit(10, 21)
    assert (spherical_harmonics(3, u.cuda()).cpu() - spherical_harmonics(3, u)).abs().max() < 1e-13
    a, b, c, w = SO3.euler_grid(4, device="cuda")
    assert wigner_d_small(3, b).device.type == "cuda" and w.device.type == "cuda"


def test_trivial_irreps_are_exactly_one_and_known_without_evaluation():
    from groupconv.groups import O3, SO3
    from groupconv.reps import irrep

    so3, o3 = SO3(), O3()
    g = so3.sample(7, generator=torch.Generator().manual_seed(3))
    for dtype in (torch.float32, torch.float64):
        assert torch.equal(irrep(so3, 0)(g, dtype), torch.ones(7, 1, 1, dtype=dtype))
    h = o3.sample(9, generator=torch.Generator().manual_seed(4))
    s = O3.split(h)[1].to(torch.float64)
    assert torch.equal(irrep(o3, 0, 1)(h), torch.ones(9, 1, 1, dtype=torch.float64))
    assert torch.equal(irrep(o3, 0, -1)(h)[:, 0, 0], 1 - 2 * s)
    assert irrep(o3, 0, -1)(h).shape == irrep(o3, 1, -1)(h)[:, :1, :1].shape
    assert irrep(so3, 0).is_trivial() and irrep(o3, 0, 1).is_trivial()
    assert not irrep(o3, 0, -1).is_trivial() and not irrep(so3, 1).is_trivial()
    assert irrep(so3, 0)(so3.identity()).shape == (1, 1)
