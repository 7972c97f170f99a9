"""Group convolution: the spatial sum against the Fourier product on finite groups, SO(2), O(2), SO(3),
quotients G/H and the sphere; the convolution theorem; evaluation off the grid; the cost model behind
``method="auto"``; bad input and the deprecated ``G=`` keyword."""

from __future__ import annotations

import math

import pytest
import torch
from _fourier_helpers import FINITE_GROUPS as FINITE
from _fourier_helpers import (
    _one_thread,  # noqa: F401  (autouse fixture)
    band_limited,
    random_coefficients,
)
from _fourier_helpers import gen as _gen

from groupconv.fourier import (
    FourierCoefficients,
    HomogeneousSpace,
    convolution_cost,
    convolve,
    evaluate,
    fourier_transform,
    function_space,
    inverse_fourier_transform,
)
from groupconv.groups import O2, SO2, Cyclic, Dihedral, Symmetric
from groupconv.groups.spatial import SO3

QUOTIENTS = [
    (Dihedral(4), Cyclic(4)),
    (Dihedral(6), Dihedral(3)),
    (Dihedral(6), Cyclic(2)),
    (Cyclic(6), Cyclic(2)),
    (Cyclic(8), Cyclic(4)),
    (Symmetric(4), Symmetric(3)),
    (Symmetric(4), Symmetric(2)),
]


def _max_diff(a: FourierCoefficients, b: FourierCoefficients) -> float:
    return max(float((x - y).abs().max()) for x, y in zip(a.blocks, b.blocks))


@pytest.mark.parametrize("G", FINITE, ids=str)
def test_finite_convolution_theorem(G):
    f = torch.randn(2, 3, G.order, dtype=torch.float64, generator=_gen(1))
    h = torch.randn(G.order, dtype=torch.float64, generator=_gen(2))
    # convolution theorem: (f*h)^ = f^ h^, with the spatial sum as reference
    spatial = convolve(f, h, G, method="spatial")
    lhs = fourier_transform(spatial, G)
    rhs = fourier_transform(f, G) @ fourier_transform(h, G)
    assert _max_diff(lhs, rhs) <= 1e-12
    assert float((convolve(f, h, G, method="fourier") - spatial).abs().max()) <= 1e-12


def test_finite_spatial_sum_is_the_definition():
    """``(f * h)(u) = (1/|G|) sum_v f(u v^-1) h(v)`` written out with the Cayley table."""
    G = Dihedral(3)
    f = torch.randn(G.order, dtype=torch.float64, generator=_gen(3))
    h = torch.randn(G.order, dtype=torch.float64, generator=_gen(4))
    table, inv = G.cayley_table_np, G.inverse_table_np
    ref = torch.stack([sum(f[table[u, inv[v]]] * h[v] for v in range(G.order)) / G.order for u in range(6)])
    for method in ("spatial", "fourier"):
        assert torch.allclose(convolve(f, h, G, method=method), ref, atol=1e-14)


@pytest.mark.parametrize(
    "G, L, n",
    [(SO2(), 4, None), (SO2(), 3, 10), (O2(), 4, None), (O2(), 2, 9)],
    ids=["SO2", "SO2n10", "O2", "O2n9"],
)
def test_continuous_spatial_equals_fourier(G, L, n):
    sp = function_space(G, L, n)
    f = band_limited(sp)
    h = band_limited(sp, (), seed=5)
    a = convolve(f, h, sp, method="spatial")
    b = convolve(f, h, sp, method="fourier")
    assert float((a - b).abs().max()) <= 1e-12


@pytest.mark.parametrize("G, H", QUOTIENTS, ids=lambda x: str(x))
def test_convolution_on_quotient(G, H):
    X = HomogeneousSpace(G, H)
    f = torch.randn(4, X.num_points, dtype=torch.float64, generator=_gen(3))
    h = torch.randn(X.num_points, dtype=torch.float64, generator=_gen(4))
    a = convolve(f, h, X, method="spatial")
    b = convolve(f, h, X, method="fourier")
    assert float((a - b).abs().max()) <= 1e-12
    # the same as convolving the lifts on G and projecting
    c = X.project(convolve(X.lift(f), X.lift(h), G, method="spatial"))
    assert float((a - c).abs().max()) <= 1e-12


def test_so3_and_sphere_convolution_spatial_equals_fourier():
    G = SO3()
    for sp in (function_space(G, 2), HomogeneousSpace(G, SO2(), 2)):
        f = inverse_fourier_transform(random_coefficients(sp, seed=3))
        h = inverse_fourier_transform(random_coefficients(sp, (), seed=4))
        a = convolve(f, h, sp, method="spatial")
        b = convolve(f, h, sp, method="fourier")
        assert float((a - b).abs().max()) <= 1e-10


def test_evaluate_on_and_off_the_grid():
    """On the grid, ``evaluate`` is the inverse transform; off the grid, ``cos(2t + 0.3)`` (bandwidth 3)
    is reproduced exactly at arbitrary angles."""
    sp = function_space(SO2(), 3)
    f = torch.cos(2 * sp.points + 0.3)
    fh = fourier_transform(f, sp)
    assert torch.allclose(evaluate(fh, sp.points), f, atol=1e-14)
    t = torch.tensor([0.1, 1.7, -2.4], dtype=torch.float64)
    assert torch.allclose(evaluate(fh, t), torch.cos(2 * t + 0.3), atol=1e-14)
    # batched coefficients (2,) at elements (3,) -> (2, 3)
    G = Dihedral(4)
    g = torch.randn(2, 8, dtype=torch.float64, generator=_gen(6))
    out = evaluate(fourier_transform(g, G), torch.tensor([0, 5, 7]))
    assert out.shape == (2, 3) and torch.allclose(out, g[:, [0, 5, 7]], atol=1e-13)


def test_auto_follows_the_cost_model():
    small, large = Cyclic(4), Cyclic(256)
    cost_small = convolution_cost(function_space(small))
    cost_large = convolution_cost(function_space(large))
    # |G|^2 products; three FFTs of 5 n log2 n and the products sum_rho d m^2 (irreps of dimensions 1, 2, 1)
    assert cost_small == {"spatial": 16.0, "fourier": 3 * 5.0 * 4 * 2 + (1 + 2 * 2**2 + 1)}
    assert cost_small["spatial"] < cost_small["fourier"] and cost_large["fourier"] < cost_large["spatial"]
    for G, chosen in ((small, "spatial"), (large, "fourier")):
        f = torch.randn(2, G.order, dtype=torch.float64, generator=_gen(7))
        h = torch.randn(G.order, dtype=torch.float64, generator=_gen(8))
        assert torch.equal(convolve(f, h, G), convolve(f, h, G, method=chosen))
    # SO(3): 4 (L+1)^4 on the group, 4 (L+1)^3 on the sphere, per transform
    so3 = convolution_cost(function_space(SO3(), 2))
    prod = sum((2 * l + 1) ** 3 for l in range(3))
    assert math.isclose(so3["fourier"], 3 * 4.0 * 3**4 + prod)


def test_bad_input():
    with pytest.raises(ValueError, match="method"):
        convolve(torch.randn(4), torch.randn(4), Cyclic(4), method="fft")
    with pytest.raises(ValueError, match=r"\(\.\.\., 4\)"):
        convolve(torch.randn(4), torch.randn(5), Cyclic(4))
    with pytest.raises(ValueError, match="bandwidth"):
        convolve(torch.randn(9), torch.randn(9), SO2())
    with pytest.raises(TypeError, match="Group or FunctionSpace"):
        convolve(torch.randn(4), torch.randn(4), "C4")


def test_deprecated_G_keyword_warns_and_gives_the_same_result():
    G = Dihedral(4)
    f = torch.randn(3, 8, dtype=torch.float64, generator=_gen(9))
    h = torch.randn(8, dtype=torch.float64, generator=_gen(10))
    with pytest.warns(DeprecationWarning, match=r"convolve\(\): the keyword 'G' is deprecated, use 'group'"):
        old = convolve(f, h, G=G, method="fourier")
    assert torch.equal(old, convolve(f, h, group=G, method="fourier"))
