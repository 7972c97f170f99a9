from __future__ import annotations

import pytest
import torch

from groupconv.groups import O2, SO2, Cyclic, Dihedral
from groupconv.reps import irrep, regular, standard, tensor_product, trivial
from groupconv.testing import assert_equivariant, equivariance_errors, test_elements


def test_equivariant_maps_pass():
    G = Dihedral(4)
    rho = regular(G)
    # the sum over the group is invariant: regular -> trivial
    res = assert_equivariant(lambda x: x.sum(-1, keepdim=True), G, rho, trivial(G))
    assert res.elements_tried == 8 and res.max_abs_error < 1e-12
    # a group convolution (right multiplication by a fixed element) commutes with the left action
    right = G.cayley_table_np[:, 5]

    def conv(x):
        return x[..., torch.as_tensor(right)] + 0.5 * x

    assert_equivariant(conv, G, rho, rho)


def test_continuous_group_uses_grid_symmetries_and_samples():
    G = SO2()
    g = test_elements(G, 20)
    # the four rotations by multiples of 90 degrees, then the Haar samples (the checker's own choice)
    assert g.shape == (24,) and float(g[0]) == 0.0 and float(g[1]) == pytest.approx(torch.pi / 2)
    # the norm is invariant, the Clebsch-Gordan projection is equivariant
    rho = irrep(G, 1)
    assert_equivariant(lambda x: x.norm(dim=-1, keepdim=True), G, rho, trivial(G))
    t = tensor_product(irrep(O2(), 1, 1), irrep(O2(), 1, 1))
    assert_equivariant(lambda x: x, O2(), t, t)


def test_non_equivariant_map_fails_and_names_element():
    G = Cyclic(4)
    rho = regular(G)
    with pytest.raises(AssertionError, match="not equivariant under C4"):
        assert_equivariant(lambda x: x * torch.arange(1.0, 5.0, dtype=x.dtype), G, rho, rho)
    _, err, _ = equivariance_errors(lambda x: x * torch.arange(1.0, 5.0, dtype=x.dtype), G, rho, rho)
    assert err[0] < 1e-14 and (err[1:] > 1e-3).all()


def test_standard_action_map():
    G = SO2()
    # a rotation-equivariant linear map of the plane: a rotation by a fixed angle
    m = G.action_matrix(torch.tensor(0.3, dtype=torch.float64))
    assert_equivariant(lambda x: x @ m.T, G, standard(G), standard(G))
    refl = torch.tensor([[1.0, 0.0], [0.0, -1.0]], dtype=torch.float64)
    with pytest.raises(AssertionError):
        assert_equivariant(lambda x: x @ refl, G, standard(G), standard(G))


def test_bad_arguments():
    G = Cyclic(4)
    with pytest.raises(TypeError, match="in_rep"):
        assert_equivariant(lambda x: x, G, "regular", regular(G))
    with pytest.raises(TypeError, match="C4"):
        assert_equivariant(lambda x: x, G, regular(Cyclic(3)), regular(G))
    with pytest.raises(ValueError, match="last dimension 4"):
        assert_equivariant(lambda x: x[..., :2], G, regular(G), regular(G))
