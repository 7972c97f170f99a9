from __future__ import annotations

import numpy as np
import pytest
import sympy
import torch
from sympy.physics.quantum import TensorProduct

from groupconv.groups import O2, O3, SO2, SO3
from groupconv.reps import (
    block_diagonal,
    clebsch_gordan,
    clebsch_gordan_exact,
    complex_to_real,
    irrep,
    irreps,
    so3_clebsch_gordan,
    so3_clebsch_gordan_exact,
    spherical_harmonics,
    su2_clebsch_gordan,
    tensor_product,
    wigner_J,
    wigner_J_exact,
)
from groupconv.reps import clebsch_gordan_continuous as cg_module
from groupconv.utils.cache import CacheWarning


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _kron(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    out = torch.einsum("...ij,...kl->...ikjl", a, b)
    return out.reshape(out.shape[:-4] + (a.shape[-1] * b.shape[-1],) * 2)


def _reconstruction_error(sigma, tau, g) -> float:
    found, c = clebsch_gordan(sigma, tau)
    assert sum(ir.dim for ir in found) == sigma.dim * tau.dim
    assert np.abs(c.T @ c - np.eye(c.shape[0])).max() < 1e-12
    ct = torch.as_tensor(c)
    rec = ct @ block_diagonal([ir(g) for ir in found]) @ ct.T
    return float((rec - _kron(sigma(g), tau(g))).abs().max())


@pytest.mark.parametrize("pair", [(l1, l2) for l1 in range(5) for l2 in range(5)] + [(6, 9)])
def test_so3_clebsch_gordan_reconstructs_the_tensor_product(pair):
    l1, l2 = pair
    g = SO3().sample(20, generator=_gen(l1 + 10 * l2))
    found, _ = clebsch_gordan(irrep(SO3(), l1), irrep(SO3(), l2))
    assert [ir.id for ir in found] == list(range(abs(l1 - l2), l1 + l2 + 1))
    assert _reconstruction_error(irrep(SO3(), l1), irrep(SO3(), l2), g) <= 1e-10


def test_o3_clebsch_gordan_parities():
    g = O3().sample(20, generator=_gen(1))
    for (l1, p1), (l2, p2) in [((1, -1), (1, -1)), ((2, 1), (1, -1)), ((3, -1), (2, -1))]:
        sigma, tau = irrep(O3(), l1, p1), irrep(O3(), l2, p2)
        found, _ = clebsch_gordan(sigma, tau)
        assert [ir.id for ir in found] == [(l, p1 * p2) for l in range(abs(l1 - l2), l1 + l2 + 1)]
        assert _reconstruction_error(sigma, tau, g) <= 1e-10
    # the cross product of two vectors is the l = 1 part of 1o (x) 1o, of parity +1
    t = tensor_product(irrep(O3(), 1, -1), irrep(O3(), 1, -1))
    assert [ir.id for ir in t.irreps] == [(0, 1), (1, 1), (2, 1)]


def test_planar_clebsch_gordan_numeric():
    theta = SO2().sample(20, generator=_gen(2))
    for k1, k2 in [(0, 0), (0, 3), (2, 0), (1, 1), (1, 3), (3, 1), (2, 5)]:
        sigma, tau = irrep(SO2(), k1), irrep(SO2(), k2)
        found, _ = clebsch_gordan(sigma, tau)
        expected = [k1 + k2] if 0 in (k1, k2) else ([0, 0, 2 * k1] if k1 == k2 else [abs(k1 - k2), k1 + k2])
        assert [ir.id for ir in found] == expected
        assert _reconstruction_error(sigma, tau, theta) <= 1e-12
    g = O2().sample(20, generator=_gen(3))
    o2 = irreps(O2(), 3)
    for sigma in o2:
        for tau in o2:
            assert _reconstruction_error(sigma, tau, g) <= 1e-12, (sigma, tau)
    found, _ = clebsch_gordan(irrep(O2(), 1, 2), irrep(O2(), 1, 2))
    assert [ir.id for ir in found] == [(0, 0), (1, 0), (1, 4)]


def test_planar_clebsch_gordan_exact():
    # exact identities in t: expand the multiple angles, then the rational parametrization of the circle
    # turns them into rational functions of u, which cancel to 0 exactly when the identity holds
    t, u = sympy.Symbol("t", real=True), sympy.Symbol("u")
    circle = {sympy.sin(t): 2 * u / (1 + u**2), sympy.cos(t): (1 - u**2) / (1 + u**2)}
    for G, pairs, elements in [
        (SO2(), [(1, 1), (3, 1), (0, 2)], [t]),
        (O2(), [((1, 1), (1, 1)), ((1, 1), (1, 2)), ((1, 0), (1, 2)), ((1, 3), (1, 0))], [(t, 0), (t, 1)]),
    ]:
        for a, b in pairs:
            sigma = irrep(G, *a) if isinstance(a, tuple) else irrep(G, a)
            tau = irrep(G, *b) if isinstance(b, tuple) else irrep(G, b)
            found, c = clebsch_gordan_exact(sigma, tau)
            assert sympy.simplify(c.T * c - sympy.eye(c.shape[0])) == sympy.zeros(c.shape[0])
            assert [ir.id for ir in found] == [ir.id for ir in clebsch_gordan(sigma, tau)[0]]
            for g in elements:
                lhs = TensorProduct(sigma.exact(g), tau.exact(g))
                rhs = c * sympy.diag(*[ir.exact(g) for ir in found]) * c.T
                diff = (lhs - rhs).applyfunc(lambda e: sympy.cancel(sympy.expand_trig(e).subs(circle)))
                assert diff == sympy.zeros(c.shape[0])


def test_so3_clebsch_gordan_exact_identity():
    g = (sympy.pi / 2, sympy.pi / 2, 0)
    sigma = irrep(SO3(), 1)
    found, c = clebsch_gordan_exact(sigma, sigma)
    assert [ir.id for ir in found] == [0, 1, 2]
    assert sympy.simplify(c.T * c) == sympy.eye(9)
    lhs = TensorProduct(sigma.exact(g), sigma.exact(g))
    rhs = c * sympy.diag(*[ir.exact(g) for ir in found]) * c.T
    assert sympy.simplify(lhs - rhs) == sympy.zeros(9)
    # the exact matrices agree with the float ones
    assert np.abs(np.array(c.evalf(), dtype=float) - clebsch_gordan(sigma, sigma)[1]).max() < 1e-15
    D1 = sigma.exact(g)
    R = SO3.from_euler(torch.tensor(np.pi / 2, dtype=torch.float64), np.pi / 2, 0.0)
    assert np.abs(np.array(D1, dtype=float) - sigma(R).numpy()).max() < 1e-13
    # O(3) exact form carries the parity
    assert irrep(O3(), 1, -1).exact((0, 0, 0, 1)) == -sympy.eye(3)


def test_exact_pieces_match_float():
    for l in range(7):
        assert np.abs(np.array(wigner_J_exact(l).evalf(), dtype=float) - wigner_J(l)).max() < 1e-14
    arr = so3_clebsch_gordan_exact(2, 3, 4)
    assert np.abs(np.array(arr.tolist(), dtype=float) - so3_clebsch_gordan(2, 3, 4)).max() < 1e-15
    # Racah's formula: known values <1/2 1/2 1/2 -1/2|1 0> are half-integers; here <1 1 1 -1|0 0> = 1/sqrt(3)
    s, r = su2_clebsch_gordan(1, 1, 1, -1, 0, 0)
    assert s * s * r == sympy.Rational(1, 3)
    # complex-to-real change: Y^real = U Y^complex with scipy's complex harmonics
    import scipy.special

    u = torch.randn(10, 3, dtype=torch.float64, generator=_gen(4))
    u = u / u.norm(dim=-1, keepdim=True)
    theta, phi = torch.arccos(u[:, 2]).numpy(), torch.atan2(u[:, 1], u[:, 0]).numpy()
    for l in (1, 2, 3):
        yc = np.stack([scipy.special.sph_harm_y(l, m, theta, phi) for m in range(-l, l + 1)], -1)
        yc = yc * np.sqrt(4 * np.pi)
        U = np.array(complex_to_real(l).evalf(), dtype=complex)
        assert np.abs(spherical_harmonics(l, u).numpy() - yc @ U.T).max() < 1e-13


def test_coupling_spherical_harmonics():
    # C^T (Y_1(u) (x) Y_1(u)) has an l = 2 part proportional to Y_2(u): the coupling is equivariant
    u = torch.randn(30, 3, dtype=torch.float64, generator=_gen(5))
    u = u / u.norm(dim=-1, keepdim=True)
    y1 = spherical_harmonics(1, u)
    c = torch.as_tensor(so3_clebsch_gordan(1, 1, 2))
    y2 = torch.einsum("na,nb,abc->nc", y1, y1, c)
    ratio = y2 / spherical_harmonics(2, u)
    assert (ratio - ratio[0, 0]).abs().max() < 1e-12 and ratio[0, 0].abs() > 0.1


def test_float_blocks_equal_the_exact_ones(tmp_path, monkeypatch):
    # every block of degrees <= FLOAT_DEGREE: the float64 path within a few ulps of the exact one, and
    # computed without touching the disk cache
    monkeypatch.setenv("GROUPCONV_CACHE_DIR", str(tmp_path))
    cg_module._so3_block.cache_clear()
    top = cg_module.FLOAT_DEGREE
    assert top >= 2
    worst = 0.0
    for l1 in range(top + 1):
        for l2 in range(l1 + 1):
            for l in range(l1 - l2, min(l1 + l2, top) + 1):
                if l1 + l2 > 10 and (l1 + l2 + l) % 4:
                    continue  # a quarter of the largest blocks keeps the test fast
                exact = cg_module._compute_block(l1, l2, l)["C"]
                worst = max(worst, float(np.abs(so3_clebsch_gordan(l1, l2, l) - exact).max()))
    assert worst < 1e-14
    assert not (tmp_path / "clebsch_gordan").exists()
    cg_module._so3_block.cache_clear()


def test_cache_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("GROUPCONV_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(cg_module, "FLOAT_DEGREE", -1)  # this block through the exact path and the disk
    cg_module._so3_block.cache_clear()
    c = so3_clebsch_gordan(2, 2, 3)
    path = tmp_path / "clebsch_gordan" / "so3_v2_2_2_3.npz"
    assert path.exists()
    with np.load(path, allow_pickle=False) as f:
        assert "v2 (2, 2, 3)" in str(f["__key__"]) and np.array_equal(f["C"], c)
        squares = f["signed_squares"]
        assert squares.shape == c.shape
        values = np.array([float(sympy.Rational(s)) for s in squares.reshape(-1)]).reshape(c.shape)
        assert np.abs(np.sign(values) * np.sqrt(np.abs(values)) - c).max() < 1e-15
    # a file from the disk is used, a corrupt one is recomputed and replaced
    cg_module._so3_block.cache_clear()
    assert np.array_equal(so3_clebsch_gordan(2, 2, 3), c)
    path.write_bytes(b"not a npz file")
    cg_module._so3_block.cache_clear()
    with pytest.warns(CacheWarning, match="unreadable"):
        assert np.array_equal(so3_clebsch_gordan(2, 2, 3), c)
    with np.load(path, allow_pickle=False) as f:
        assert np.array_equal(f["C"], c)
    cg_module._so3_block.cache_clear()


def test_bad_inputs():
    with pytest.raises(ValueError, match="does not occur"):
        so3_clebsch_gordan(1, 1, 3)
    with pytest.raises(ValueError, match="integers"):
        so3_clebsch_gordan(1, -1, 1)
    with pytest.raises(TypeError, match="Irreps"):
        clebsch_gordan_exact(irrep(SO3(), 1), "1")
    with pytest.raises(TypeError, match="irrep"):
        clebsch_gordan(irrep(SO3(), 1), irrep(O3(), 1, 1))
    with pytest.raises(TypeError, match="tuple of 3"):
        irrep(SO3(), 1).exact(sympy.eye(3))
