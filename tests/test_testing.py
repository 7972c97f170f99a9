"""The assertion helpers of groupconv.testing: on functions between representation spaces and on modules."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from groupconv.groups import O2, SO2, Cyclic, Dihedral
from groupconv.nn import FieldType, ReLU
from groupconv.reps import irrep, regular, standard, tensor_product, trivial
from groupconv.testing import (
    EquivarianceResult,
    assert_certified,
    assert_energy_conserved,
    assert_equivariant,
    assert_torch_compile,
    equivariance_errors,
    test_elements,
)


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
    with pytest.raises(TypeError, match="rho_in must be a Representation"):
        assert_equivariant(lambda x: x, G, "regular", regular(G))
    with pytest.raises(TypeError, match="C4"):
        assert_equivariant(lambda x: x, G, regular(Cyclic(3)), regular(G))
    with pytest.raises(ValueError, match="last dimension 4"):
        assert_equivariant(lambda x: x[..., :2], G, regular(G), regular(G))


D4 = Dihedral(4)
REG = FieldType(D4, [regular(D4)])


class GroupMean(nn.Module):
    def __init__(self, weighted: bool = False):
        super().__init__()
        self.in_type, self.out_type = REG, REG
        self.weighted = weighted

    def forward(self, x):
        if self.weighted:
            return x * torch.arange(1.0, 9.0, dtype=x.dtype, device=x.device)[None, :, None, None]
        return x.mean(1, keepdim=True).expand_as(x)


def test_assert_equivariant_on_a_module_passes_and_names_the_failing_layer():
    x = torch.randn(2, 8, 5, 5)
    report = assert_equivariant(nn.Sequential(GroupMean(), nn.ReLU()), x)
    assert report.passed
    with pytest.raises(AssertionError, match="layer '1'"):
        assert_equivariant(nn.Sequential(GroupMean(), GroupMean(weighted=True)), x)


def test_assert_energy_conserved_catches_an_expanding_layer():
    x = torch.randn(3, 8, 5, 5)
    assert_energy_conserved(nn.Sequential(nn.ReLU(), nn.Identity()), x)

    class Doubler(nn.Module):
        def frame_bounds(self):
            return (1.0, 1.0)

        def forward(self, u):
            return 2 * u

    with pytest.raises(AssertionError, match="frame bounds"):
        assert_energy_conserved(nn.Sequential(nn.ReLU(), Doubler()), x)


def test_assert_torch_compile_matches_eager():
    torch.manual_seed(0)
    module = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU())
    out = assert_torch_compile(module, torch.randn(2, 3, 6, 6))
    assert out.shape == (2, 4, 6, 6)


def test_assert_certified_passes_proved_layers_and_fails_a_failed_one():
    relu = ReLU(REG)
    report = assert_certified(nn.Sequential(relu))
    assert [r.status for r in report.rows] == ["proved"]
    assert_certified(nn.Sequential(relu, GroupMean()))  # not applicable is no failure
    with pytest.raises(AssertionError, match="not applicable"):
        assert_certified(nn.Sequential(relu, GroupMean()), strict=True)

    class Refuted(GroupMean):
        def certificate(self):
            return ("failed", "the constraint is violated for g=1")

    with pytest.raises(AssertionError, match="is failed: the constraint is violated"):
        assert_certified(nn.Sequential(relu, Refuted()))


def test_the_result_of_a_function_check():
    rho = regular(D4)
    res = assert_equivariant(lambda x: 2 * x, D4, rho, rho)
    assert isinstance(res, EquivarianceResult) and res.elements_tried == 8
    assert res.max_rel_error <= res.max_abs_error / 2 + 1e-15
    with pytest.raises(TypeError, match="assert_equivariant"):
        assert_equivariant(lambda x: x, D4)
    with pytest.raises(AssertionError):
        assert_equivariant(lambda x: x + 1e-9 * x[..., :1], D4, rho, rho, atol=0, rtol=0)
    # the same small defect passes a tolerance chosen above it
    assert_equivariant(lambda x: x + 1e-9 * x[..., :1], D4, rho, rho, atol=1e-6)


def test_the_old_keywords_in_rep_and_out_rep_warn_and_still_work():
    rho = regular(D4)
    with pytest.warns(DeprecationWarning, match="'in_rep' is deprecated, use 'rho_in'"):
        res = assert_equivariant(lambda x: x, D4, in_rep=rho, out_rep=rho)
    assert res.elements_tried == 8
    with pytest.warns(DeprecationWarning, match="'out_rep' is deprecated, use 'rho_out'"):
        g, err, _ = equivariance_errors(lambda x: x, D4, rho_in=rho, out_rep=rho)
    assert float(err.max()) == 0.0


def test_assert_equivariant_on_a_volume_network():
    from _verify_models import volume_input, volume_network

    # layers 2 to 4 of the network (norm nonlinearity, stencil, blur-pool), named as in the network
    report = assert_equivariant(volume_network()[2:5], volume_input()[:1], n_samples=2)
    assert report.passed and {r.elements_tried for r in report.rows if r.tier == "exact"} == {24}
    with pytest.raises(
        AssertionError, match=r"layer '3' \(Stencil3d\) is not equivariant under SO3 \(exact tier\)"
    ):
        assert_equivariant(volume_network(planted=True)[2:5], volume_input()[:1], n_samples=2)
