"""Equivariant linear maps: projection by group averaging (representations and function spaces, finite and
continuous groups) and recognition of generalized convolutions (Kondor & Trivedi, Theorem 1); bad input and
the deprecated keywords."""

from __future__ import annotations

import pytest
import torch
from _fourier_helpers import _one_thread  # noqa: F401  (autouse fixture)
from _fourier_helpers import gen as _gen

from groupconv.fourier import (
    as_generalized_convolution,
    equivariant_projection,
    evaluate,
    fourier_transform,
    function_space,
    generalized_convolution,
    inverse_fourier_transform,
    resolve_space,
)
from groupconv.groups import O2, SO2, Cyclic, Dihedral, Symmetric
from groupconv.reps import irrep, regular


# -- equivariant maps ------------------------------------------------------------------------------------------
def test_equivariant_projection_representations():
    G = Dihedral(3)
    rho_in, rho_out = regular(G), irrep(G, 1, 1)
    M = torch.randn(2, 6, dtype=torch.float64, generator=_gen(7))
    P = equivariant_projection(M, G, rho_in, rho_out)
    for g in G.elements():
        assert torch.allclose(rho_out(g) @ P, P @ rho_in(g), atol=1e-13)
    assert torch.allclose(equivariant_projection(P, G, rho_in, rho_out), P, atol=1e-13)
    # continuous: SO(2), frequency-2 irrep to itself: commutant a I + b J
    S = SO2()
    P = equivariant_projection(
        torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64), S, irrep(S, 2), irrep(S, 2)
    )
    assert torch.allclose(P, torch.tensor([[2.5, -0.5], [0.5, 2.5]], dtype=torch.float64), atol=1e-13)
    with pytest.raises(ValueError, match="shape"):
        equivariant_projection(torch.randn(3, 3), G, rho_in, rho_out)


@pytest.mark.parametrize(
    "G, dom, cod, L",
    [
        (Dihedral(4), None, None, None),
        (Symmetric(4), Symmetric(3), Symmetric(2), None),
        (SO2(), None, None, 3),
        (O2(), None, SO2(), 2),
    ],
    ids=["D4", "S4/S3->S4/S2", "SO2", "O2->O2/SO2"],
)
def test_generalized_convolution_recognition(G, dom, cod, L):
    X, Y = resolve_space(G, dom, L), resolve_space(G, cod, L)
    R = torch.randn(Y.num_points, X.num_points, dtype=torch.float64, generator=_gen(8))
    P = equivariant_projection(R, G, X, Y)
    res = as_generalized_convolution(P, G, X, Y)
    assert res.is_convolution and res.residual <= 1e-12 and res.equivariance_residual <= 1e-12
    x = torch.randn(3, X.num_points, dtype=torch.float64, generator=_gen(9))
    xb = inverse_fourier_transform(fourier_transform(x, X))
    assert torch.allclose(res(x), xb @ P.T, atol=1e-12)
    bad = as_generalized_convolution(R, G, X, Y)
    assert not bad.is_convolution
    # Theorem 1: the distance to the convolutions is the distance to the equivariant maps
    assert abs(bad.residual - bad.equivariance_residual) <= 1e-10
    if G.is_finite and dom is None and cod is None:
        # on G itself the filter is h(v) = |G| M[v, e]
        assert torch.allclose(res.filter, P[:, 0] * G.order, atol=1e-12)


def test_projection_of_a_function_space_map_on_a_continuous_group():
    """On ``SO(2)`` with bandwidth ``L`` (``2L + 1`` samples, every sample vector band-limited) the
    projection of a random map commutes with the rotation of the sampled functions by any angle, computed
    here independently by synthesis off the grid, and is idempotent."""
    X = function_space(SO2(), 2)
    n = X.num_points
    M = torch.randn(n, n, dtype=torch.float64, generator=_gen(10))
    P = equivariant_projection(M, SO2(), X, X)
    deltas = fourier_transform(torch.eye(n, dtype=torch.float64), X)
    for t in (0.4, 2.0, -1.1):
        # (g . f)(t_i) = f(t_i - t): column j is the rotated delta_j
        A = evaluate(deltas, X.points - t).T
        assert torch.allclose(P @ A, A @ P, atol=1e-12)
    assert float((P - M).abs().max()) > 0.1
    assert torch.allclose(equivariant_projection(P, SO2(), X, X), P, atol=1e-12)


def test_generalized_convolution_block_count_and_calling():
    X = function_space(Dihedral(3))
    res = as_generalized_convolution(torch.eye(6, dtype=torch.float64), Dihedral(3))
    x = torch.randn(2, 6, dtype=torch.float64, generator=_gen(11))
    assert res.is_convolution and torch.allclose(res(x), x, atol=1e-13)
    assert torch.allclose(generalized_convolution(x, res.blocks, X, X), x, atol=1e-13)
    with pytest.raises(ValueError, match="expected 3 filter blocks"):
        generalized_convolution(x, res.blocks[:2], X, X)


def test_bad_input():
    G = Dihedral(3)
    with pytest.raises(TypeError, match="linear_map must be a torch.Tensor"):
        equivariant_projection([[1.0]], G, irrep(G, 0, 0), irrep(G, 0, 0))
    with pytest.raises(TypeError, match="is not one of D3"):
        equivariant_projection(torch.eye(1), G, irrep(Cyclic(3), 0), irrep(G, 0, 0))
    with pytest.raises(TypeError, match="is not a space of D3"):
        equivariant_projection(torch.eye(3), G, function_space(Cyclic(3)), function_space(Cyclic(3)))
    with pytest.raises(TypeError, match="Representation or a FunctionSpace"):
        equivariant_projection(torch.eye(6), G, "regular", regular(G))
    with pytest.raises(TypeError, match="2-d torch.Tensor"):
        as_generalized_convolution(torch.eye(6)[None], G)
    with pytest.raises(ValueError, match=r"shape \(6, 6\)"):
        as_generalized_convolution(torch.eye(5, dtype=torch.float64), G)


def test_deprecated_keywords_warn_and_give_the_same_result():
    G = Dihedral(3)
    rho_in, rho_out = regular(G), irrep(G, 1, 1)
    M = torch.randn(2, 6, dtype=torch.float64, generator=_gen(12))
    new = equivariant_projection(M, group=G, rho_in=rho_in, rho_out=rho_out)
    with pytest.warns(DeprecationWarning) as caught:
        old = equivariant_projection(M, G=G, in_rep=rho_in, out_rep=rho_out)
    messages = sorted(str(w.message) for w in caught)
    assert messages == [
        "equivariant_projection(): the keyword 'G' is deprecated, use 'group'",
        "equivariant_projection(): the keyword 'in_rep' is deprecated, use 'rho_in'",
        "equivariant_projection(): the keyword 'out_rep' is deprecated, use 'rho_out'",
    ]
    assert torch.equal(old, new)
    P = equivariant_projection(
        torch.randn(6, 6, dtype=torch.float64, generator=_gen(13)), G, regular(G), regular(G)
    )
    with pytest.warns(DeprecationWarning, match=r"as_generalized_convolution\(\): the keyword 'G'"):
        a = as_generalized_convolution(P, G=G)
    b = as_generalized_convolution(P, group=G)
    # least squares may round differently from call to call: equal to rounding
    assert a.is_convolution and b.is_convolution and abs(a.residual - b.residual) <= 1e-14
    assert all(torch.allclose(x, y, rtol=0, atol=1e-13) for x, y in zip(a.blocks, b.blocks))
    assert torch.allclose(a.filter, b.filter, rtol=0, atol=1e-13)
    with pytest.warns(DeprecationWarning, match=r"resolve_space\(\): the keyword 'G'"):
        assert resolve_space(G=G, spec=Cyclic(3)) == resolve_space(G, Cyclic(3))
