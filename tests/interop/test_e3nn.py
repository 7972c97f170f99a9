"""The change of basis to e3nn's real SO(3) / O(3) irreps.

Without e3nn, the matrices are checked against a rule derived by hand: e3nn's harmonics are the real
spherical harmonics without the Condon-Shortley phase with polar axis y and azimuth ``atan2(x, z)``, built
here independently from scipy's associated Legendre functions (``lpmv``) and, for ``l <= 2``, as explicit
polynomials. With e3nn installed (an optional environment: ``pip install --no-deps e3nn opt_einsum_fx
opt-einsum``), the matrices are compared with e3nn's own ``D_from_matrix`` and ``spherical_harmonics``.
"""

from __future__ import annotations

import math

import pytest
import torch
from scipy.special import lpmv

from groupconv.groups import O3, SO3
from groupconv.interop.e3nn import (
    E3NN_AXES,
    e3nn_irreps,
    field_type_from_e3nn,
    from_e3nn_basis,
    from_e3nn_coefficients,
    from_e3nn_features,
    to_e3nn_basis,
    to_e3nn_coefficients,
    to_e3nn_features,
)
from groupconv.nn import FieldType
from groupconv.reps import irrep, spherical_harmonics

LMAX = 6


def _points(n: int, seed: int) -> torch.Tensor:
    u = torch.randn(n, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
    return u / u.norm(dim=-1, keepdim=True)


def _rotations(n: int, seed: int) -> torch.Tensor:
    return SO3().sample(n, generator=torch.Generator().manual_seed(seed))


def _e3nn_rule(l: int, u: torch.Tensor) -> torch.Tensor:
    """e3nn's degree-``l`` harmonics by the hand-derived rule: polar axis y, azimuth atan2(x, z), no
    Condon-Shortley phase (scipy's lpmv carries one: (-1)^m), component normalization, index l + m."""
    y = u[:, 1].numpy()
    phi = torch.atan2(u[:, 0], u[:, 2])
    out = []
    for m in range(-l, l + 1):
        a = abs(m)
        norm = math.sqrt((2 - (m == 0)) * (2 * l + 1) * math.factorial(l - a) / math.factorial(l + a))
        legendre = torch.from_numpy((-1) ** a * lpmv(a, l, y))
        angular = torch.cos(a * phi) if m >= 0 else torch.sin(a * phi)
        out.append(norm * legendre * angular)
    return torch.stack(out, dim=-1)


def test_degree_one_is_the_axis_permutation():
    q = to_e3nn_basis(1)
    perm = torch.tensor([[0.0, 0, 1], [1, 0, 0], [0, 1, 0]], dtype=torch.float64)
    assert (q - perm).abs().max() < 1e-14
    R = _rotations(5, 0)
    # e3nn's D^1(R) = R
    assert (q @ irrep(SO3(), 1)(R) @ q.T - R).abs().max() < 1e-13
    assert torch.equal(E3NN_AXES, perm)


@pytest.mark.parametrize("l", range(LMAX + 1))
def test_matrices_are_orthogonal_and_inverse(l):
    q = to_e3nn_basis(l)
    eye = torch.eye(2 * l + 1, dtype=torch.float64)
    assert q.dtype == torch.float64 and q.shape == (2 * l + 1, 2 * l + 1)
    assert (q @ q.T - eye).abs().max() < 1e-13
    assert torch.equal(from_e3nn_basis(l), q.T)


@pytest.mark.parametrize("l", range(LMAX + 1))
def test_harmonics_match_the_hand_derived_rule(l):
    u = _points(40, l)
    # Y_e3nn(u) = Q_l Y(u), with e3nn's harmonics built from scipy's Legendre functions
    assert (spherical_harmonics(l, u) @ to_e3nn_basis(l).T - _e3nn_rule(l, u)).abs().max() < 1e-12


@pytest.mark.parametrize("l", range(LMAX + 1))
def test_conjugated_matrices_rotate_the_rule_harmonics(l):
    u, R = _points(6, 10 + l), _rotations(6, 20 + l)
    q = to_e3nn_basis(l)
    d_e3nn = q @ irrep(SO3(), l)(R) @ q.T
    rotated = _e3nn_rule(l, torch.einsum("nij,nj->ni", R, u))
    assert (rotated - torch.einsum("nij,nj->ni", d_e3nn, _e3nn_rule(l, u))).abs().max() < 1e-12


def test_degree_two_polynomials():
    u = _points(20, 3)
    x, y, z = u.unbind(-1)
    s15, s5 = math.sqrt(15), math.sqrt(5)
    expected = torch.stack(
        [s15 * x * z, s15 * x * y, s5 * (y**2 - (x**2 + z**2) / 2), s15 * y * z, s15 / 2 * (z**2 - x**2)], -1
    )
    assert (spherical_harmonics(2, u) @ to_e3nn_basis(2).T - expected).abs().max() < 1e-13


def test_coefficients_round_trip_and_represent_the_same_function():
    lmax = 4
    c = torch.randn(3, (lmax + 1) ** 2, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    ce = to_e3nn_coefficients(c)
    assert (from_e3nn_coefficients(ce) - c).abs().max() < 1e-14
    u = _points(10, 6)
    ours = torch.cat([spherical_harmonics(l, u) for l in range(lmax + 1)], -1)
    theirs = torch.cat([_e3nn_rule(l, u) for l in range(lmax + 1)], -1)
    assert (c @ ours.T - ce @ theirs.T).abs().max() < 1e-12
    # along another dim, in float32
    c32 = c.T.float()
    assert (to_e3nn_coefficients(c32, dim=0) - ce.T.float()).abs().max() < 1e-5


def test_features_of_a_field_type():
    o3 = O3()
    ft = FieldType(o3, [irrep(o3, 0, 1), irrep(o3, 1, -1), irrep(o3, 1, -1), irrep(o3, 2, 1)])
    x = torch.randn(2, ft.size, 4, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(7))
    xe = to_e3nn_features(x, ft)
    assert (from_e3nn_features(xe, ft) - x).abs().max() < 1e-13
    assert torch.equal(xe[:, 0], x[:, 0])
    assert torch.allclose(xe[:, 1:4], x[:, [3, 1, 2]], atol=1e-15)
    # the e3nn basis intertwines: Q rho(g) x = D_e3nn(g) Q x
    g = o3.sample(1, generator=torch.Generator().manual_seed(8))[0]
    blocks = [
        to_e3nn_basis(l) @ irrep(o3, l, p)(g) @ to_e3nn_basis(l).T
        for l, p in [(0, 1), (1, -1), (1, -1), (2, 1)]
    ]
    d = torch.block_diag(*blocks)
    lhs = to_e3nn_features(torch.einsum("ij,bjhw->bihw", ft.representation(g), x), ft)
    assert (lhs - torch.einsum("ij,bjhw->bihw", d, xe)).abs().max() < 1e-12


def test_irreps_strings_both_ways():
    o3, so3 = O3(), SO3()
    ft = FieldType(o3, [irrep(o3, 0, 1)] * 2 + [irrep(o3, 1, -1), irrep(o3, 0, 1), irrep(o3, 3, -1)])
    text = e3nn_irreps(ft)
    assert text == "2x0e+1x1o+1x0e+1x3o"
    assert field_type_from_e3nn(text, o3) == ft
    assert e3nn_irreps(FieldType(so3, [irrep(so3, l) for l in range(3)])) == "1x0e+1x1o+1x2e"
    assert field_type_from_e3nn("0e + 2x1e + 2o", so3) == FieldType(
        so3, [irrep(so3, 0), irrep(so3, 1), irrep(so3, 1), irrep(so3, 2)]
    )
    assert e3nn_irreps(irrep(o3, 2, -1)) == "1x2o"


def test_bad_inputs_are_named():
    from groupconv.groups import Cyclic
    from groupconv.reps import regular

    with pytest.raises(ValueError, match="degree l must be an int >= 0, got -1"):
        to_e3nn_basis(-1)
    with pytest.raises(ValueError, match=r"\(l_max \+ 1\)\^2 spherical-harmonic coefficients.*\(2, 5\)"):
        to_e3nn_coefficients(torch.zeros(2, 5))
    with pytest.raises(TypeError, match="floating-point tensor, got dtype torch.int64"):
        to_e3nn_coefficients(torch.zeros(4, dtype=torch.int64))
    ft = FieldType(SO3(), [irrep(SO3(), 1)])
    with pytest.raises(
        ValueError, match=r"expected 3 components along dim 1 \(degrees \[1\]\), got shape \(2, 4\)"
    ):
        to_e3nn_features(torch.zeros(2, 4), ft)
    with pytest.raises(ValueError, match="irreps of SO\\(3\\) and O\\(3\\); got .*decompose"):
        e3nn_irreps(FieldType(Cyclic(4), [regular(Cyclic(4))]))
    with pytest.raises(ValueError, match="expected e3nn irreps like '2x0e\\+1x1o', got '2x1y'"):
        field_type_from_e3nn("2x1y", SO3())
    with pytest.raises(TypeError, match="SO3\\(\\) or O3\\(\\), got"):
        field_type_from_e3nn("1x0e", Cyclic(4))


# ---------------------------------------------------------------- against e3nn itself (optional)


@pytest.fixture
def o3_e3nn():
    """e3nn's ``o3`` in float64: e3nn builds its Wigner tables (``_Jd``) in the default dtype, so the
    float64 comparison sets it for the test."""
    module = pytest.importorskip("e3nn.o3")
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield module
    torch.set_default_dtype(old)


@pytest.mark.parametrize("l", range(LMAX + 1))
def test_e3nn_wigner_matrices_agree(o3_e3nn, l):
    R = _rotations(8, 30 + l)
    q = to_e3nn_basis(l)
    for p in (1, -1):
        theirs = o3_e3nn.Irrep(l, p).D_from_matrix(R)
        assert (theirs - q @ irrep(SO3(), l)(R) @ q.T).abs().max() < 1e-12
        g = torch.cat([R, -R])  # O(3): rotations and rotations times the inversion
        theirs = o3_e3nn.Irrep(l, p).D_from_matrix(g)
        assert (theirs - q @ irrep(O3(), l, p)(g) @ q.T).abs().max() < 1e-12


@pytest.mark.parametrize("l", range(LMAX + 1))
def test_e3nn_spherical_harmonics_agree(o3_e3nn, l):
    u = _points(30, 40 + l)
    theirs = o3_e3nn.spherical_harmonics(l, u, normalize=True, normalization="component")
    assert (theirs - spherical_harmonics(l, u) @ to_e3nn_basis(l).T).abs().max() < 1e-12
    assert (theirs - _e3nn_rule(l, u)).abs().max() < 1e-12


def test_e3nn_irreps_and_features_agree(o3_e3nn):
    o3 = O3()
    ft = field_type_from_e3nn(str(o3_e3nn.Irreps.spherical_harmonics(3)), o3)
    assert ft == FieldType(o3, [irrep(o3, l, (-1) ** l) for l in range(4)])
    irreps = o3_e3nn.Irreps(e3nn_irreps(ft))
    assert irreps.dim == ft.size
    g = o3.sample(4, generator=torch.Generator().manual_seed(9))
    x = torch.randn(ft.size, dtype=torch.float64, generator=torch.Generator().manual_seed(10))
    for gi in g:
        ours = to_e3nn_features((ft.representation(gi) @ x)[None], ft)[0]
        assert (ours - irreps.D_from_matrix(gi) @ to_e3nn_features(x[None], ft)[0]).abs().max() < 1e-12
