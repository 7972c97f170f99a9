"""Function spaces and homogeneous spaces: the real Peter-Weyl count, kept columns (Frobenius
reciprocity), lifting and projection, the action, O(2)/SO(2), resolving a space from its description,
the SO(3) test, and bad input (convolution on G/H is tested in test_convolution.py, equivariant maps in
test_projection.py)."""

from __future__ import annotations

import pytest
import torch
from _fourier_helpers import (
    FINITE_GROUPS,
    _one_thread,  # noqa: F401  (autouse fixture)
)
from _fourier_helpers import gen as _gen

from groupconv.fourier import (
    FunctionSpace,
    HomogeneousSpace,
    convolve,
    endomorphism_dim,
    fourier_transform,
    function_space,
    inverse_fourier_transform,
    is_so3,
    resolve_space,
)
from groupconv.groups import O2, SO2, Cyclic, Dihedral, Symmetric, inclusion
from groupconv.groups.spatial import O3, SO3
from groupconv.nn import FunctionType
from groupconv.reps import irreps, restrict, trivial

PAIRS = [
    (Dihedral(4), Cyclic(4)),
    (Dihedral(6), Dihedral(3)),
    (Dihedral(6), Cyclic(2)),
    (Cyclic(6), Cyclic(2)),
    (Cyclic(8), Cyclic(4)),
    (Symmetric(4), Symmetric(3)),
    (Symmetric(4), Symmetric(2)),
]


def test_sum_of_squares_of_real_dimensions():
    """sum_rho d_rho^2 / e_rho = |G|: the real Peter-Weyl count behind the d/e weights."""
    for G in FINITE_GROUPS:
        assert sum(ir.dim**2 // endomorphism_dim(ir) for ir in irreps(G)) == G.order


@pytest.mark.parametrize("G, H", PAIRS, ids=lambda x: str(x))
def test_kept_columns_frobenius(G, H):
    X = HomogeneousSpace(G, H)
    assert X.num_points == G.order // H.order
    mult = dict(zip(X.irreps, X.multiplicities))
    for ir in irreps(G):
        expected = restrict(ir, H).multiplicity(trivial(H))
        assert mult.get(ir, 0) == expected
    # sum_rho d_rho m_rho / e_rho = |G/H| (the real count of the quotient representation)
    assert sum(w * m for w, m in zip(X.plancherel_weights, X.multiplicities)) == X.num_points
    for v in X.columns:
        assert torch.allclose(
            torch.as_tensor(v).T @ torch.as_tensor(v), torch.eye(v.shape[1], dtype=torch.float64)
        )


@pytest.mark.parametrize("G, H", PAIRS, ids=lambda x: str(x))
def test_lift_project_and_transform(G, H):
    X = HomogeneousSpace(G, H)
    f = torch.randn(3, X.num_points, dtype=torch.float64, generator=_gen(1))
    lifted = X.lift(f)
    assert torch.allclose(X.project(lifted), f, atol=1e-14)
    # right-H-invariance of the lift
    hidx = torch.as_tensor(H.elements())
    hg = inclusion(H, G)(hidx)
    table = torch.as_tensor(G.cayley_table_np)
    for h in hg:
        assert torch.equal(lifted[..., table[:, h]], lifted)
    # the stored columns are those of the transform of the lift
    full = fourier_transform(lifted, G)
    kept = fourier_transform(f, X)
    for ir, v, b in zip(X.irreps, X.columns, kept.blocks):
        assert torch.allclose(full[ir] @ torch.as_tensor(v), b, atol=1e-13)
        # and nothing outside them: f^ = f^ V V^T
        assert torch.allclose(full[ir], b @ torch.as_tensor(v).T, atol=1e-13)
    assert torch.allclose(inverse_fourier_transform(kept), f, atol=1e-13)
    assert torch.allclose(kept.norm() ** 2, (f**2).mean(-1), atol=1e-13)


@pytest.mark.parametrize("G, H", PAIRS[:4], ids=lambda x: str(x))
def test_action_commutes_with_lift_and_transform(G, H):
    X = HomogeneousSpace(G, H)
    tX, tG = FunctionType(X, 1), FunctionType(function_space(G), 1)
    f = torch.randn(2, 1, X.num_points, dtype=torch.float64, generator=_gen(2))
    for g in range(G.order):
        assert torch.equal(X.lift(tX.transform(f, g)), tG.transform(X.lift(f), g))
        # (g . f)(g x) = f(x)
        assert torch.equal(tX.transform(f, g)[..., X.act_on_points(g)], f)
        # (g . f)^ = rho(g) f^
        lhs = fourier_transform(tX.transform(f, g), X)
        rhs = fourier_transform(f, X)
        for ir, a, b in zip(X.irreps, lhs.blocks, rhs.blocks):
            assert torch.allclose(a, ir(torch.tensor(g)) @ b, atol=1e-13)


def test_o2_over_so2():
    X = HomogeneousSpace(O2(), SO2(), bandwidth=3)
    assert X.num_points == 2 and [ir.id for ir in X.irreps] == [(0, 0), (1, 0)]
    f = torch.randn(5, 2, dtype=torch.float64, generator=_gen(5))
    assert torch.allclose(X.project(X.lift(f)), f)
    h = torch.randn(2, dtype=torch.float64, generator=_gen(6))
    assert (
        float((convolve(f, h, X, method="spatial") - convolve(f, h, X, method="fourier")).abs().max())
        <= 1e-12
    )
    t = FunctionType(X, 1)
    g = O2.make(torch.tensor(0.7, dtype=torch.float64), 1.0)
    assert X.act_on_points(g).tolist() == [1, 0]
    assert torch.allclose(t.transform(f[:, None], g)[:, 0], f.flip(-1), atol=1e-13)


def test_resolve_space():
    G = Dihedral(4)
    assert resolve_space(G) is function_space(G) and resolve_space(G, G) is function_space(G)
    X = resolve_space(G, Cyclic(4))
    assert isinstance(X, HomogeneousSpace) and X == HomogeneousSpace(G, Cyclic(4)) and X.num_points == 2
    assert resolve_space(G, X) is X
    sp = function_space(SO2(), 3)
    assert resolve_space(SO2(), sp, 3) is sp and resolve_space(SO2(), None, 3, grid_size=9).num_points == 9
    with pytest.raises(TypeError, match="not a space of D4"):
        resolve_space(G, function_space(Cyclic(4)))
    with pytest.raises(ValueError, match="has bandwidth 3, got bandwidth=4"):
        resolve_space(SO2(), sp, 4)
    with pytest.raises(TypeError, match="expected a groupconv Group, got str"):
        resolve_space("D4")
    with pytest.raises(TypeError, match="a space is given as None"):
        resolve_space(G, "C4")


def test_is_so3_is_an_isinstance_test():
    class Rotations(SO3):
        pass

    assert is_so3(SO3()) and is_so3(Rotations())
    assert not is_so3(O3()) and not is_so3(SO2()) and not is_so3(Dihedral(4))
    # the function space of a subclass gets the separable Euler grid of SO(3)
    assert function_space(Rotations(), 2).grid_shape == (5, 3, 5)
    with pytest.warns(DeprecationWarning, match=r"is_so3\(\): the keyword 'G' is deprecated, use 'group'"):
        assert is_so3(G=SO3())


def test_bad_input_errors():
    with pytest.raises(ValueError, match="at least 9 angles"):
        function_space(SO2(), 4, grid_size=8)
    with pytest.raises(ValueError, match="no bandwidth"):
        function_space(Cyclic(4), 3)
    with pytest.raises(ValueError):
        HomogeneousSpace(Dihedral(4), Cyclic(3))
    with pytest.raises(ValueError, match="bandwidth must be an int >= 0"):
        function_space(SO2(), -1)
    with pytest.raises(TypeError, match="groupconv Group or FunctionSpace, got int"):
        function_space(4)
    with pytest.raises(TypeError, match="needs a groupconv Group, got str"):
        FunctionSpace("C4")
    with pytest.raises(ValueError, match="grid_size is only used for SO2 and O2"):
        function_space(O3(), 1, grid_size=5)
    with pytest.raises(ValueError, match="continuous homogeneous spaces supported"):
        HomogeneousSpace(O3(), SO2(), 2)
    with pytest.raises(ValueError, match=r"must have shape \(\.\.\., 8\)"):
        function_space(Dihedral(4)).check_function(torch.randn(3, 7))
    with pytest.raises(TypeError, match="must be a float tensor"):
        function_space(Dihedral(4)).check_function(torch.ones(8, dtype=torch.long))
