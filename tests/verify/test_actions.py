"""How elements act on typed features (act, Action) and which layers are typed (typed_layers, is_typed)."""

from __future__ import annotations

import pytest
import torch
from _verify_models import REG, Blur, Mix
from torch import nn

from groupconv.groups import SO2, Cyclic, Dihedral
from groupconv.groups.actions import transform_grid
from groupconv.nn import FieldType, rotate_field
from groupconv.reps import irrep, regular
from groupconv.verify import Action, act, check_equivariance, is_typed, typed_layers


def test_act_on_a_field_type_of_a_grid_group_is_the_exact_grid_transform():
    D4 = Dihedral(4)
    t = FieldType(D4, [regular(D4), irrep(D4, 1, 1)])
    x = torch.randn(2, t.size, 5, 5, dtype=torch.float64)
    for g in range(D4.order):
        assert torch.equal(act(t, x, g), t.transform(x, g))


def test_act_off_the_grid_resamples_like_rotate_field():
    C8 = Cyclic(8)
    t = FieldType(C8, [regular(C8)])
    x = torch.randn(1, 8, 9, 9, dtype=torch.float64)
    assert torch.allclose(act(t, x, 1), rotate_field(x, t, 1), atol=1e-12)
    S = SO2()
    s = FieldType(S, [irrep(S, 1)])
    v = torch.randn(1, 2, 9, 9, dtype=torch.float64)
    g = torch.tensor(0.7, dtype=torch.float64)
    assert torch.allclose(act(s, v, g), rotate_field(v, s, g), atol=1e-12)


def test_act_on_representations_callables_and_actions():
    rho = irrep(SO2(), 1)
    g = torch.tensor(torch.pi / 2, dtype=torch.float64)
    v = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    assert torch.allclose(act(rho, v, g), torch.tensor([[0.0, 1.0]], dtype=torch.float64), atol=1e-15)
    assert torch.equal(act(lambda x, h: x + h, v, 1), v + 1)
    C4 = Cyclic(4)
    images = Action(C4, lambda x, h: transform_grid(x, C4, h), "C4 on images")
    y = torch.arange(9.0).view(1, 1, 3, 3)
    assert torch.equal(act(images, y, 1), torch.rot90(y, 1, dims=(-2, -1)))
    assert repr(images) == "C4 on images" and images.is_exact(3)
    with pytest.raises(TypeError, match="cannot act on a feature of type int"):
        act(3, v, 0)


def test_action_validates_its_arguments_and_exactness():
    C4 = Cyclic(4)
    assert not Action(C4, lambda x, g: x, exact=False).is_exact(0)
    odd = Action(C4, lambda x, g: x, exact=lambda g: g % 2 == 1)
    assert odd.is_exact(1) and not odd.is_exact(2)
    assert repr(Action(C4, lambda x, g: x)) == "C4 action"
    with pytest.raises(TypeError, match="groupconv Group"):
        Action("C4", lambda x, g: x)
    with pytest.raises(TypeError, match="callable fn"):
        Action(C4, None)
    with pytest.raises(TypeError, match="bool or a callable"):
        Action(C4, lambda x, g: x, exact="yes")


def test_typed_layers_are_the_innermost_typed_modules_and_the_named_ones():
    class Outer(nn.Module):
        def __init__(self):
            super().__init__()
            self.in_type = self.out_type = REG
            self.body = nn.Sequential(Mix(), Blur(), nn.ReLU())

        def forward(self, x):
            return self.body(x)

    model = Outer()
    assert is_typed(model) and is_typed(model.body[0]) and not is_typed(model.body[2])
    assert not is_typed(model.body)
    found = typed_layers(model)
    assert [name for name, *_ in found] == ["body.0", "body.1"]
    assert all(tin is REG and tout is REG for _, _, tin, tout in found)
    named = typed_layers(model, types={"body.2": (REG, REG)})
    assert [name for name, *_ in named] == ["body.0", "body.1", "body.2"]
    with pytest.raises(ValueError, match="does not have"):
        typed_layers(model, types={"head": (REG, REG)})


def test_an_action_types_a_plain_layer_for_the_checker():
    C4 = Cyclic(4)
    images = Action(C4, lambda x, g: transform_grid(x, C4, g), "C4 on images")
    blur = nn.AvgPool2d(3, stride=1, padding=1)
    report = check_equivariance(nn.Sequential(blur), torch.randn(1, 1, 7, 7), types={"0": (images, images)})
    assert report.passed and report.rows[0].in_type == "C4 on images"


def test_act_on_volumes_is_rotate_field():
    """The checker's action on volumes (cached tables: a voxel permutation or a sparse cubic resampling)
    is that of rotate_field, for SO(3) elements, the cube groups and planar groups about z."""
    from groupconv.groups import SO3, Icosahedral, Octahedral

    G = SO3()
    t = FieldType(G, [irrep(G, 1), irrep(G, 2)])
    x = torch.randn(2, 8, 5, 6, 7, dtype=torch.float64)
    for g in list(G.sample(2, generator=torch.Generator().manual_seed(0))) + [
        torch.eye(3, dtype=torch.float64)
    ]:
        assert (act(t, x, g) - rotate_field(x, t, g)).abs().max() < 1e-13
    for group in (Octahedral(), Icosahedral(), Cyclic(8)):
        ft = FieldType(group, [regular(group)])
        v = torch.randn(1, ft.size, 4, 4, 4, dtype=torch.float64)
        for g in (0, 1, 3):
            assert (act(ft, v, g) - rotate_field(v, ft, g)).abs().max() < 1e-13
