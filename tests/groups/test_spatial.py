from __future__ import annotations

import math

import pytest
import torch

from groupconv.groups import O2, O3, SO2, SO3, Cyclic, Dihedral, group_from_name, inclusion
from groupconv.groups.spatial import gauss_legendre


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("G", [SO3(), O3()], ids=str)
def test_group_axioms_on_samples(G):
    a, b, c = (G.sample(50, generator=_gen(s)) for s in range(3))
    e = G.identity((50,))
    assert G.element_ndim == 2 and a.shape == (50, 3, 3) and a.dtype == torch.float64
    assert G.equal(G.compose(G.compose(a, b), c), G.compose(a, G.compose(b, c)), atol=1e-13).all()
    assert G.equal(G.compose(a, e), a, atol=0).all() and G.equal(G.compose(e, a), a, atol=0).all()
    assert G.equal(G.compose(a, G.inverse(a)), e, atol=1e-13).all()
    assert not G.equal(a, b).any()
    assert torch.equal(G.action_matrix(a), a) and G.action_dim == 3
    dets = torch.linalg.det(a)
    if G == SO3():
        assert torch.allclose(dets, torch.ones(50, dtype=torch.float64))
    else:
        assert torch.allclose(dets.abs(), torch.ones(50, dtype=torch.float64))
        assert 5 < int((dets < 0).sum()) < 45
    assert G.sample(4, dtype=torch.float32).dtype == torch.float32


def test_names_and_equality():
    assert SO3().name == "SO3" and O3().name == "O3" and SO3() != O3() and SO3() == SO3()
    assert group_from_name("SO3") == SO3() and group_from_name("O3") == O3()
    assert group_from_name("SO3xC2").name == "SO3xC2"
    assert not isinstance(O3(), SO3)


def test_conversions_round_trip():
    R = SO3().sample(500, generator=_gen(0))
    a, b, c = SO3.to_euler(R)
    assert ((a >= 0) & (a < 2 * math.pi) & (b >= 0) & (b <= math.pi) & (c >= 0) & (c < 2 * math.pi)).all()
    assert (SO3.from_euler(a, b, c) - R).abs().max() < 1e-13
    q = SO3.to_quaternion(R)
    assert (q[:, 0] >= 0).all() and torch.allclose(q.norm(dim=-1), torch.ones(500, dtype=torch.float64))
    assert (SO3.from_quaternion(q) - R).abs().max() < 1e-13
    assert (SO3.from_quaternion(-3 * q) - R).abs().max() < 1e-13  # sign and scale do not matter
    axis, t = SO3.to_axis_angle(R)
    assert (SO3.from_axis_angle(axis, t) - R).abs().max() < 1e-13
    assert torch.allclose(SO3.rotation_angle(R), t)
    trace = torch.diagonal(R, dim1=-2, dim2=-1).sum(-1)
    assert (torch.cos(t) - (trace - 1) / 2).abs().max() < 1e-13


def test_euler_convention_is_zyz():
    a, b, c = torch.tensor(0.3, dtype=torch.float64), torch.tensor(1.1), torch.tensor(-2.0)
    z = torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64)
    y = torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64)
    R = SO3.from_euler(a, b, c)
    expected = SO3.from_axis_angle(z, a) @ SO3.from_axis_angle(y, b) @ SO3.from_axis_angle(z, c)
    assert (R - expected).abs().max() < 1e-14
    rz = SO3.from_euler(torch.tensor(math.pi / 2, dtype=torch.float64), 0.0, 0.0)
    assert torch.allclose(rz @ torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64), y.to(rz.dtype))


@pytest.mark.parametrize("beta", [0.0, 1e-12, 1e-7, math.pi / 2, math.pi - 1e-9, math.pi])
def test_to_euler_robust_at_the_poles(beta):
    alpha = torch.tensor([0.3, 2.0, 5.5], dtype=torch.float64)
    gamma = torch.tensor([1.1, 5.0, 0.0], dtype=torch.float64)
    R = SO3.from_euler(alpha, torch.tensor(beta, dtype=torch.float64), gamma)
    assert (SO3.from_euler(*SO3.to_euler(R)) - R).abs().max() < 1e-14
    if beta == 0.0:
        a, _, c = SO3.to_euler(R)
        assert torch.allclose(a, c)


def test_conversions_are_differentiable():
    q = torch.randn(5, 4, dtype=torch.float64, generator=_gen(3), requires_grad=True)
    assert torch.autograd.gradcheck(lambda q: SO3.from_quaternion(q), (q,))
    angles = torch.rand(3, 5, dtype=torch.float64, generator=_gen(4)).mul(2).add(0.3).requires_grad_()
    assert torch.autograd.gradcheck(lambda x: SO3.to_euler(SO3.from_euler(*x))[1], (angles,))
    assert torch.autograd.gradcheck(lambda x: SO3.to_quaternion(SO3.from_euler(*x)), (angles,))


def test_o3_make_split():
    R = SO3().sample(10, generator=_gen(5))
    s = torch.tensor([0, 1] * 5)
    g = O3.make(R, s)
    assert torch.allclose(g[1], -R[1]) and torch.allclose(g[0], R[0])
    R2, s2 = O3.split(g)
    assert torch.equal(s2, s) and (R2 - R).abs().max() == 0
    O3().check_element(g)
    with pytest.raises(ValueError, match="det"):
        SO3().check_element(g)


def test_bad_inputs():
    G = SO3()
    with pytest.raises(TypeError, match="torch tensors"):
        G.check_element([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    with pytest.raises(TypeError, match="float"):
        G.check_element(torch.eye(3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"\(\.\.\., 3, 3\)"):
        G.check_element(torch.eye(2, dtype=torch.float64))
    with pytest.raises(ValueError, match="orthogonal"):
        G.check_element(2 * torch.eye(3, dtype=torch.float64))
    with pytest.raises(ValueError, match="orthogonal"):
        O3().check_element(torch.ones(4, 3, 3))
    with pytest.raises(ValueError, match="det"):
        G.compose(-torch.eye(3, dtype=torch.float64), torch.eye(3, dtype=torch.float64))
    with pytest.raises(ValueError, match="degree"):
        G.quadrature(-1)
    with pytest.raises(ValueError, match="bandwidth"):
        SO3.euler_grid(0)
    with pytest.raises(ValueError, match="quaternions"):
        SO3.from_quaternion(torch.ones(3))
    with pytest.raises(ValueError, match="axes"):
        SO3.from_axis_angle(torch.ones(2), 1.0)
    # a float32 rotation passes (tolerance follows the dtype)
    G.check_element(G.sample(3, dtype=torch.float32))
    assert G.check_element(torch.zeros(0, 3, 3)).shape == (0, 3, 3)


def test_gauss_legendre_and_quadrature_counts():
    x, w = gauss_legendre(5)
    assert abs(float(w.sum()) - 1) < 1e-15
    for k in range(10):  # exact to degree 2n - 1 = 9 against dx / 2
        exact = 0.0 if k % 2 else 1 / (k + 1)
        assert abs(float((w * x**k).sum()) - exact) < 1e-15
    for degree in range(6):
        g, wq = SO3().quadrature(degree)
        assert g.shape == ((degree + 1) ** 2 * (degree // 2 + 1), 3, 3)
        assert abs(float(wq.sum()) - 1) < 1e-14 and (wq > 0).all()
        SO3().check_element(g)
        g3, w3 = O3().quadrature(degree)
        assert g3.shape[0] == 2 * g.shape[0] and abs(float(w3.sum()) - 1) < 1e-14
    a, b, c, wb = SO3.euler_grid(4)
    assert a.shape == (8,) and b.shape == (4,) and c.shape == (8,) and abs(float(wb.sum()) - 1) < 1e-15


def test_haar_sampling_matches_haar_moments():
    # Under Haar measure, cos(beta) is uniform on [-1, 1] and the rotation angle t has density
    # (1 - cos t) / pi on [0, pi], so E[cos t] = -1/2; tolerances are 6 standard errors.
    n = 20000
    R = SO3().sample(n, generator=_gen(7))
    cb = R[:, 2, 2]
    assert abs(float(cb.mean())) < 6 * math.sqrt(1 / 3 / n)
    assert abs(float((cb**2).mean()) - 1 / 3) < 6 * math.sqrt(4 / 45 / n)
    ct = torch.cos(SO3.rotation_angle(R))
    # Var[cos t] = E[cos^2 t] - 1/4 = 1/2 - 1/4
    assert abs(float(ct.mean()) + 0.5) < 6 * math.sqrt(0.25 / n)


def test_inclusions_are_homomorphisms():
    cases = [
        (SO2(), SO3(), SO2().sample(20, generator=_gen(8))),
        (O2(), SO3(), O2().sample(20, generator=_gen(9))),
        (O2(), O3(), O2().sample(20, generator=_gen(10))),
        (Cyclic(5), SO3(), Cyclic(5).elements()),
        (Dihedral(4), SO3(), Dihedral(4).elements()),
        (Dihedral(3), O3(), Dihedral(3).elements()),
        (Cyclic(4), O3(), Cyclic(4).elements()),
        (SO3(), O3(), SO3().sample(20, generator=_gen(11))),
    ]
    for H, G, h in cases:
        iota = inclusion(H, G)
        a, b = h[:, None], h[None, :]
        lhs = iota(H.compose(a, b))
        rhs = G.compose(iota(a), iota(b))
        assert (lhs - rhs).abs().max() < 1e-12, (H, G)
        G.check_element(iota(h))
    # the documented embeddings of the reflection F of O(2)
    f = O2.make(torch.tensor(0.0, dtype=torch.float64), 1.0)
    assert torch.equal(
        inclusion(O2(), O3())(f), torch.diag(torch.tensor([1.0, -1.0, 1.0], dtype=torch.float64))
    )
    assert torch.equal(
        inclusion(O2(), SO3())(f), torch.diag(torch.tensor([1.0, -1.0, -1.0], dtype=torch.float64))
    )
    # SO(2) rotates about z, as the standard action of SO(2) on the xy-plane
    theta = SO2().sample(6, generator=_gen(12))
    r = inclusion(SO2(), SO3())(theta)
    assert torch.allclose(r[:, :2, :2], SO2().action_matrix(theta)) and torch.all(r[:, 2, 2] == 1)
