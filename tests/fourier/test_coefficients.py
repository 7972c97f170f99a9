"""FourierCoefficients: arithmetic against the functions it represents, indexing, the blockwise product
of the convolution theorem on G and on G/H, Plancherel inner products, casting, and the checks of its
blocks."""

from __future__ import annotations

import pytest
import torch
from _fourier_helpers import (
    _one_thread,  # noqa: F401  (autouse fixture)
    band_limited,
)
from _fourier_helpers import gen as _gen

from groupconv.fourier import (
    FourierCoefficients,
    HomogeneousSpace,
    fourier_transform,
    function_space,
    inverse_fourier_transform,
)
from groupconv.groups import SO2, Cyclic, Dihedral, Symmetric
from groupconv.reps import irreps


def test_container_operations():
    G = Dihedral(4)
    f = torch.randn(2, 8, dtype=torch.float64, generator=_gen(3))
    g = torch.randn(2, 8, dtype=torch.float64, generator=_gen(4))
    a, b = fourier_transform(f, G), fourier_transform(g, G)
    assert torch.allclose(inverse_fourier_transform(a + 2 * b), f + 2 * g, atol=1e-13)
    assert torch.allclose(inverse_fourier_transform(a - b * 0.5), f - 0.5 * g, atol=1e-13)
    assert torch.allclose(a.inner(b), (f * g).mean(-1), atol=1e-13)
    assert a[(1, 1)].shape == (2, 2, 2) and a[irreps(G)[0]].shape == (2, 1, 1)
    assert a.to(torch.float32).dtype == torch.float32
    assert a.batch_shape == (2,) and "D4" in repr(a)
    with pytest.raises(KeyError):
        a[(5, 5)]
    with pytest.raises(TypeError):
        a + fourier_transform(torch.randn(8, dtype=torch.float64), Cyclic(8))
    with pytest.raises(TypeError):
        a * b


def test_negation_division_detach_and_description():
    sp = function_space(Symmetric(3))
    f = torch.randn(4, 6, dtype=torch.float64, generator=_gen(5), requires_grad=True)
    c = fourier_transform(f, sp)
    assert torch.allclose(inverse_fourier_transform(-c / 4), -f / 4, atol=1e-14)
    d = c.detach()
    assert all(b.requires_grad for b in c.blocks) and not any(b.requires_grad for b in d.blocks)
    assert c.group == Symmetric(3) and c.irreps == sp.irreps and len(c) == len(sp.irreps)
    assert list(iter(c)) == c.blocks and c.dtype == torch.float64 and c.device == torch.device("cpu")
    # an irrep is found by value and by id, in the space's order
    for i, ir in enumerate(sp.irreps):
        assert c[ir] is c.blocks[i] and c[ir.id] is c.blocks[i]


def test_product_is_the_convolution_theorem_on_a_quotient():
    """On ``G/H`` the product keeps ``f^ V`` on the left and uses the kept block ``V^T h^ V`` of the right
    factor: ``(f^ V)(V^T h^ V) = (f^ h^) V`` for the lifts (``f^ = f^ V V^T``)."""
    G, H = Dihedral(6), Cyclic(2)
    X = HomogeneousSpace(G, H)
    f = torch.randn(3, X.num_points, dtype=torch.float64, generator=_gen(6))
    h = torch.randn(X.num_points, dtype=torch.float64, generator=_gen(7))
    kept = fourier_transform(f, X) @ fourier_transform(h, X)
    full = fourier_transform(X.lift(f), G) @ fourier_transform(X.lift(h), G)
    for ir, v, b in zip(X.irreps, X.columns, kept.blocks):
        assert torch.allclose(full[ir] @ torch.as_tensor(v), b, atol=1e-13)


def test_inner_and_norm_are_plancherel_on_a_continuous_group():
    sp = function_space(SO2(), 4)
    # transforms of band-limited functions (random blocks of complex type would not be a real function's)
    fa, fb = band_limited(sp, (3,), seed=8), band_limited(sp, (3,), seed=9)
    a, b = fourier_transform(fa, sp), fourier_transform(fb, sp)
    w = torch.as_tensor(sp.weights)
    assert torch.allclose(a.inner(b), (fa * fb * w).sum(-1), atol=1e-13)
    assert torch.allclose(a.norm(), ((fa**2) * w).sum(-1).sqrt(), atol=1e-13)
    # norm is clamped at 0 before the square root: zero coefficients have norm 0 (not nan)
    assert torch.equal((a * 0.0).norm(), torch.zeros(3, dtype=torch.float64))


def test_block_checks():
    sp = function_space(Cyclic(3))
    with pytest.raises(ValueError, match="has 2 irreps, got 1 coefficient blocks"):
        FourierCoefficients(sp, [torch.ones(1, 1)])
    with pytest.raises(TypeError, match="torch tensors, got list"):
        FourierCoefficients(sp, [torch.ones(1, 1), [[1.0, 0.0], [0.0, 1.0]]])
    with pytest.raises(ValueError, match=r"must have shape \(\.\.\., 2, m\)"):
        FourierCoefficients(sp, [torch.ones(1, 1), torch.ones(3, 3)])
    c = FourierCoefficients(sp, [torch.ones(1, 1), torch.zeros(2, 2)])
    with pytest.raises(KeyError, match="no irrep with id 7"):
        c[7]
    with pytest.raises(KeyError, match="is not an irrep of"):
        c[irreps(Cyclic(4))[1]]
    with pytest.raises(TypeError, match="use @ for the convolution product"):
        c * c
