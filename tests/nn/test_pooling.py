"""Pooling (blur, max, average, global, over the group, of norms): exact equivariance on the pixel grid
(C_4, D_4), fiber equivariance for SO(2) / O(2), the exactness rule of strided subsampling, the blur
filter, gradients, certificates and bad input."""

from __future__ import annotations

import pytest
import torch
from _layer_cases import (
    FIBER_POOLING,
    GROUPS,
    POOLING,
    assert_exact_grid_equivariance,
    assert_fiber_equivariance,
    assert_gradcheck,
    layer_input,
    max_error,
    mixed_type,
    perm_type,
)

from groupconv.nn import (
    AvgPool2d,
    BlurPool2d,
    Certificate,
    GlobalPool2d,
    GroupPooling,
    MaxPool2d,
    NormPooling,
    binomial_filter,
)
from groupconv.verify import certify


@pytest.mark.parametrize("group", sorted(GROUPS))
@pytest.mark.parametrize("name", sorted(POOLING))
def test_exact_grid_equivariance_every_element(name, group):
    assert_exact_grid_equivariance(POOLING[name], name, group)


@pytest.mark.parametrize("group", ["SO2", "O2"])
@pytest.mark.parametrize("name", sorted(FIBER_POOLING))
def test_fiber_equivariance_continuous_groups(name, group):
    assert_fiber_equivariance(FIBER_POOLING[name], name, group)


@pytest.mark.parametrize("name", ["avgpool", "maxpool", "grouppool_max", "normpool_max"])
def test_gradcheck(name):
    assert_gradcheck(POOLING[name])


def test_blur_filter_is_d4_symmetric_and_normalised():
    for k in (1, 3, 5):
        b = torch.as_tensor(binomial_filter(k))
        assert abs(float(b.sum()) - 1.0) < 1e-15
        for m in (b.T, b.flip(0), b.flip(1), torch.rot90(b, 1)):
            assert torch.equal(m, b)


def test_even_grid_breaks_exact_subsampling_but_not_stride_one():
    """Strided subsampling is exact only when (H - 1) % stride == 0; the docstring's rule."""
    G = GROUPS["C4"]
    module = BlurPool2d(mixed_type(G)).double()
    x = layer_input(module, size=10)
    err, _ = max_error(module, x, G)
    assert err > 1e-3
    module = BlurPool2d(mixed_type(G), stride=1).double()
    assert max_error(module, x, G)[0] <= 1e-10


def test_filter_is_a_derived_buffer_of_float64_master():
    """The blur filter is rebuilt from its float64 master on every cast, and is not in the state_dict."""
    layer = AvgPool2d(mixed_type(GROUPS["D4"]), 3, 2)
    master = layer.derived_master("filter")
    assert master.dtype == torch.float64 and "filter" not in layer.state_dict()
    layer.float().double()
    assert torch.equal(layer.filter, master)


def test_group_pooling_certifies_permutation_fields():
    G = GROUPS["D4"]
    for mode in ("max", "mean"):
        cert = GroupPooling(perm_type(G), mode).certificate()
        assert isinstance(cert, Certificate) and cert.status == "proved", cert
    assert certify(GroupPooling(perm_type(G))).rows[0].status == "proved"
    assert BlurPool2d(mixed_type(G)).certificate().status == "not applicable"


def test_frame_bounds():
    G = GROUPS["D4"]
    assert BlurPool2d(mixed_type(G)).frame_bounds() == (0.0, 1.0)
    assert AvgPool2d(mixed_type(G)).frame_bounds() == (0.0, 1.0)
    assert GroupPooling(perm_type(G)).frame_bounds() == (0.0, 1.0)
    # the mean over a field of |G| = 8 entries or a trivial field of one
    assert GroupPooling(perm_type(G), "mean").frame_bounds() == (0.0, 1.0)
    assert NormPooling(mixed_type(G)).frame_bounds() == (1.0, 1.0)
    assert NormPooling(mixed_type(G), "max", 3, 2).frame_bounds() == (None, None)


def test_bad_input_errors():
    G = GROUPS["D4"]
    t, p = mixed_type(G), perm_type(G)
    for ctor in (lambda: MaxPool2d(t), lambda: GroupPooling(t), lambda: GlobalPool2d(t, "max")):
        with pytest.raises(ValueError, match="permutes the channels"):
            ctor()
    with pytest.raises(ValueError, match="odd"):
        MaxPool2d(p, kernel_size=2)
    with pytest.raises(ValueError, match="odd"):
        BlurPool2d(t, blur_size=4)
    with pytest.raises(ValueError, match="stride"):
        AvgPool2d(t, stride=0)
    with pytest.raises(ValueError, match="mode"):
        GroupPooling(p, "sum")
    with pytest.raises(ValueError, match="non-empty H x W"):
        GlobalPool2d(t)(torch.randn(1, t.size, 0, 3))
