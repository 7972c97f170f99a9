"""Fourier transforms on finite groups, SO(2) and O(2): inversion, Plancherel, fast paths against the
matrix path, exact (sympy) identities with the convolution theorem, bad input, the deprecated ``G=``
keyword, gradients, CUDA."""

from __future__ import annotations

import pytest
import sympy
import torch
from _fourier_helpers import FINITE_GROUPS as FINITE
from _fourier_helpers import _one_thread  # noqa: F401  (autouse fixture)
from _fourier_helpers import band_limited as _band_limited
from _fourier_helpers import gen as _gen

from groupconv.fourier import (
    FourierCoefficients,
    endomorphism_dim,
    fourier_transform,
    function_space,
    inverse_fourier_transform,
    transform_methods,
)
from groupconv.groups import O2, SO2, Cyclic, Dihedral, Symmetric
from groupconv.reps import irreps


def _max_diff(a: FourierCoefficients, b: FourierCoefficients) -> float:
    return max(float((x - y).abs().max()) for x, y in zip(a.blocks, b.blocks))


@pytest.mark.parametrize("G", FINITE, ids=str)
def test_finite_inverse_and_plancherel(G):
    f = torch.randn(2, 3, G.order, dtype=torch.float64, generator=_gen(1))
    for method in transform_methods(function_space(G)):
        fh = fourier_transform(f, G, method=method)
        assert [b.shape[-2:] for b in fh.blocks] == [(ir.dim, ir.dim) for ir in irreps(G)]
        assert float((inverse_fourier_transform(fh, G, method=method) - f).abs().max()) <= 1e-12
        # Plancherel: mean |f|^2 = sum_rho (d/e) ||f^||_F^2
        assert float((fh.norm() ** 2 - (f**2).mean(-1)).abs().max()) <= 1e-12
        assert _max_diff(fh, fourier_transform(f, G, method="matrix")) <= 1e-12


@pytest.mark.parametrize(
    "G, L, n",
    [(SO2(), 4, None), (SO2(), 3, 10), (O2(), 4, None), (O2(), 2, 9)],
    ids=["SO2", "SO2n10", "O2", "O2n9"],
)
def test_continuous_round_trip_and_plancherel(G, L, n):
    """Both paths invert exactly and satisfy Plancherel on the quadrature grid, and agree."""
    sp = function_space(G, L, n)
    f = _band_limited(sp)
    for method in ("fast", "matrix"):
        fh = fourier_transform(f, sp, method=method)
        assert float((inverse_fourier_transform(fh, method=method) - f).abs().max()) <= 1e-12
        mean_sq = (f**2 * torch.as_tensor(sp.weights)).sum(-1)
        assert float((fh.norm() ** 2 - mean_sq).abs().max()) <= 1e-12
    assert (
        _max_diff(fourier_transform(f, sp, method="fast"), fourier_transform(f, sp, method="matrix")) <= 1e-12
    )


def test_so2_coefficients_match_the_integral():
    """f(t) = cos(2t + 0.3): f^(2) = (1/2) R(-0.3)-like block [[c, s], [-s, c]] / 2 with c = cos 0.3."""
    sp = function_space(SO2(), 3)
    t = sp.points
    fh = fourier_transform(torch.cos(2 * t + 0.3), sp)
    c, s = (
        torch.cos(torch.tensor(0.3, dtype=torch.float64)),
        torch.sin(torch.tensor(0.3, dtype=torch.float64)),
    )
    expected = 0.5 * torch.stack([torch.stack([c, s]), torch.stack([-s, c])])
    assert torch.allclose(fh[2], expected, atol=1e-14)
    assert float(fh[1].abs().max()) <= 1e-14 and float(fh[0].abs().max()) <= 1e-14


# -- exact identities with sympy ---------------------------------------------------------------------------
def _exact_ft(G, values):
    n = G.order
    return [
        sympy.Rational(1, n)
        * sum((values[g] * sympy.Matrix(ir.exact(g)) for g in range(n)), sympy.zeros(ir.dim))
        for ir in irreps(G)
    ]


@pytest.mark.parametrize("G", [Cyclic(4), Dihedral(3), Symmetric(3)], ids=str)
def test_exact_inversion_plancherel_convolution(G):
    n = G.order
    f = sympy.symbols(f"f0:{n}")
    h = sympy.symbols(f"h0:{n}")
    fh, hh = _exact_ft(G, f), _exact_ft(G, h)
    w = [sympy.Rational(ir.dim, endomorphism_dim(ir)) for ir in irreps(G)]
    for u in range(n):
        val = sum(
            (wk * (b * sympy.Matrix(ir.exact(u)).T).trace() for wk, b, ir in zip(w, fh, irreps(G))),
            sympy.Integer(0),
        )
        assert sympy.expand(val - f[u]) == 0
    energy = sum((wk * sum(x**2 for x in b) for wk, b in zip(w, fh)), sympy.Integer(0))
    assert sympy.expand(energy - sum(x**2 for x in f) / n) == 0
    table, inv = G.cayley_table_np, G.inverse_table_np
    conv = [sympy.Rational(1, n) * sum(f[table[u, inv[v]]] * h[v] for v in range(n)) for u in range(n)]
    for a, b, c in zip(_exact_ft(G, conv), fh, hh):
        assert (a - b * c).applyfunc(sympy.expand) == sympy.zeros(*a.shape)
    # the float transform agrees with the exact one on integer data
    vals = [((3 * g + 1) % 5) - 2 for g in range(n)]
    num = fourier_transform(torch.tensor(vals, dtype=torch.float64), G)
    for ex, b in zip(_exact_ft(G, vals), num.blocks):
        assert (
            float(
                (torch.tensor([[float(x) for x in row] for row in ex.tolist()], dtype=torch.float64) - b)
                .abs()
                .max()
            )
            <= 1e-14
        )


# -- bad input -------------------------------------------------------------------------------------------
def test_bad_input_errors():
    with pytest.raises(ValueError, match=r"\(\.\.\., 8\)"):
        fourier_transform(torch.randn(3, 7), Dihedral(4))
    with pytest.raises(TypeError, match="float"):
        fourier_transform(torch.ones(8, dtype=torch.long), Dihedral(4))
    with pytest.raises(TypeError):
        fourier_transform([1.0] * 8, Dihedral(4))
    fh = fourier_transform(torch.randn(8, dtype=torch.float64), Dihedral(4))
    with pytest.raises(TypeError, match="D4"):
        inverse_fourier_transform(fh, Cyclic(8))
    with pytest.raises(ValueError, match="bandwidth"):
        fourier_transform(torch.randn(9), SO2())
    with pytest.raises(ValueError, match="method"):
        fourier_transform(torch.randn(6), Symmetric(3), method="fast")
    with pytest.raises(TypeError, match="FourierCoefficients"):
        inverse_fourier_transform(torch.randn(8))
    with pytest.raises(TypeError, match="Group or FunctionSpace"):
        fourier_transform(torch.randn(8), "D4")


def test_deprecated_G_keyword_warns_and_gives_the_same_result():
    G = Dihedral(3)
    f = torch.randn(2, 6, dtype=torch.float64, generator=_gen(9))
    with pytest.warns(
        DeprecationWarning, match="fourier_transform\\(\\): the keyword 'G' is deprecated, use 'group'"
    ):
        old = fourier_transform(f, G=G)
    assert _max_diff(old, fourier_transform(f, group=G)) == 0.0
    with pytest.warns(DeprecationWarning, match="inverse_fourier_transform\\(\\): the keyword 'G'"):
        back = inverse_fourier_transform(old, G=G)
    assert torch.equal(back, inverse_fourier_transform(old, group=G))
    with pytest.raises(TypeError, match="pass only 'group'"):
        fourier_transform(f, G=G, group=G)


# -- gradients and devices -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "G, L", [(Cyclic(6), None), (Dihedral(3), None), (Symmetric(3), None), (O2(), 2)], ids=str
)
def test_gradcheck(G, L):
    sp = function_space(G, L)
    f = torch.randn(sp.num_points, dtype=torch.float64, requires_grad=True, generator=_gen(6))

    def fn(x):
        c = fourier_transform(x, sp)
        return inverse_fourier_transform(c @ c) + sp.flatten(c.blocks).sum()

    assert torch.autograd.gradcheck(fn, (f,))


def test_float32():
    G = Dihedral(8)
    f = torch.randn(4, 16, generator=_gen(7))
    for method in ("fast", "matrix"):
        fh = fourier_transform(f, G, method=method)
        assert fh.dtype == torch.float32
        r = inverse_fourier_transform(fh, method=method)
        assert r.dtype == torch.float32 and float((r - f).abs().max() / f.abs().max()) <= 1e-5


@pytest.mark.cuda
def test_cuda_matches_cpu():
    for G, L in [(Dihedral(6), None), (Symmetric(4), None), (SO2(), 5), (O2(), 3)]:
        sp = function_space(G, L)
        f = torch.randn(3, sp.num_points, dtype=torch.float64, generator=_gen(8))
        for method in transform_methods(sp):
            cpu = fourier_transform(f, sp, method=method)
            gpu = fourier_transform(f.cuda(), sp, method=method)
            assert _max_diff(cpu, gpu.to("cpu")) <= 1e-12
            assert torch.allclose(inverse_fourier_transform(gpu, method=method).cpu(), f, atol=1e-12)
