"""The deprecated module groupconv.nn.group_conv and its alias GroupConvolution of HomogeneousFourierConv:
the old names warn and build the same layer, and state_dicts saved under the old name load."""

from __future__ import annotations

import io

import pytest
import torch

from groupconv.groups import SO2, Cyclic, Dihedral
from groupconv.nn import HomogeneousFourierConv


def _alias(*args, **kwargs):
    from groupconv.nn import GroupConvolution

    with pytest.warns(DeprecationWarning, match="use groupconv.nn.HomogeneousFourierConv"):
        return GroupConvolution(*args, **kwargs)


def test_old_names_still_import():
    import groupconv.nn.group_conv as old
    from groupconv.nn import GroupConvolution

    assert old.GroupConvolution is GroupConvolution
    assert old.HomogeneousFourierConv is HomogeneousFourierConv
    assert issubclass(GroupConvolution, HomogeneousFourierConv)


@pytest.mark.parametrize(
    "group, kwargs",
    [(Dihedral(4), {}), (Dihedral(4), {"domain": Cyclic(4)}), (SO2(), {"bandwidth": 2})],
    ids=["D4", "D4/C4", "SO2"],
)
def test_alias_warns_and_builds_the_same_layer(group, kwargs):
    old = _alias(group, 2, 3, generator=torch.Generator().manual_seed(0), **kwargs)
    new = HomogeneousFourierConv(group, 2, 3, generator=torch.Generator().manual_seed(0), **kwargs)
    assert isinstance(old, HomogeneousFourierConv)
    assert old.in_type == new.in_type and old.out_type == new.out_type
    assert old.state_dict().keys() == new.state_dict().keys()
    for k, v in new.state_dict().items():
        if k.endswith("_extra_state"):
            assert old.state_dict()[k] == v
        else:
            assert torch.equal(old.state_dict()[k], v), k
    x = torch.randn(2, 2, new.domain.num_points, generator=torch.Generator().manual_seed(1))
    assert torch.equal(old(x), new(x))


def test_group_keyword_G_is_deprecated():
    with pytest.warns(DeprecationWarning, match="the keyword 'G' is deprecated, use 'group'"):
        layer = HomogeneousFourierConv(G=Cyclic(4), in_channels=1, out_channels=2)
    assert layer.group == Cyclic(4)
    with pytest.raises(TypeError, match="pass only 'group'"):
        HomogeneousFourierConv(group=Cyclic(4), in_channels=1, out_channels=2, G=Cyclic(4))


def test_state_dict_saved_from_group_convolution_loads():
    old = _alias(Dihedral(4), 2, 3, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        old.bias.normal_(generator=torch.Generator().manual_seed(3))
    state = old.state_dict()
    # a state_dict saved before the rename names the layer GroupConvolution in its description
    state["_extra_state"] = {**state["_extra_state"], "layer": "GroupConvolution"}
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=True)
    new = HomogeneousFourierConv(Dihedral(4), 2, 3)
    new.load_state_dict(loaded)
    assert torch.equal(new.weight, old.weight) and torch.equal(new.bias, old.bias)
    assert loaded["_extra_state"]["layer"] == "GroupConvolution"  # the caller's dict is left as it was
    x = torch.randn(2, 2, 8, generator=torch.Generator().manual_seed(4))
    assert torch.equal(new(x), old(x))
    # and the other way round: the alias loads the new layer's state
    back = _alias(Dihedral(4), 2, 3)
    back.load_state_dict(new.state_dict())
    assert torch.equal(back(x), new(x))


def test_state_dict_of_another_layer_is_still_refused():
    state = HomogeneousFourierConv(Dihedral(4), 2, 3).state_dict()
    state["_extra_state"] = {**state["_extra_state"], "layer": "SteerableConv2d"}
    with pytest.raises(RuntimeError, match="saved 'SteerableConv2d', this layer 'HomogeneousFourierConv'"):
        HomogeneousFourierConv(Dihedral(4), 2, 3).load_state_dict(state)
