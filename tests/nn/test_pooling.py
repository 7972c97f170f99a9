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


# -- volumes ---------------------------------------------------------------------------------------------------
def _octahedral_types():
    from groupconv.groups import SO3, Octahedral
    from groupconv.nn import FieldType
    from groupconv.reps import irrep, regular

    O, S = Octahedral(), SO3()
    return FieldType(O, [regular(O)]), FieldType(S, [irrep(S, 0), irrep(S, 1)])


def test_volume_pooling_is_torchs_3d_pooling_and_exports_to_it():
    import torch.nn.functional as F
    from torch import nn

    from groupconv.nn import AvgPool3d, BlurPool3d, GlobalPool3d, MaxPool3d

    reg, fields = _octahedral_types()
    x = torch.randn(2, 24, 7, 7, 7, dtype=torch.float64)
    plain_max = MaxPool3d(reg, 3, 2, antialias=False)
    assert torch.equal(plain_max(x), F.max_pool3d(x, 3, 2, 1))
    assert isinstance(plain_max.export(), nn.MaxPool3d)
    box = AvgPool3d(reg, 3, 2, antialias=False).double()
    assert torch.allclose(box(x), F.avg_pool3d(x, 3, 2, 1, count_include_pad=True), atol=1e-14)
    assert torch.allclose(GlobalPool3d(reg)(x), x.mean((2, 3, 4), keepdim=True), atol=1e-15)
    assert torch.equal(GlobalPool3d(reg, "max")(x), x.amax((2, 3, 4), keepdim=True))
    for layer in (MaxPool3d(reg), AvgPool3d(reg), BlurPool3d(reg), GlobalPool3d(reg, "max")):
        layer = layer.double()
        assert layer(x).shape == (
            (2, 24, 4, 4, 4) if not isinstance(layer, GlobalPool3d) else (2, 24, 1, 1, 1)
        )
        assert torch.allclose(layer.export()(x), layer(x), atol=1e-14), type(layer).__name__
        assert layer.spatial_dims == 3 and "spatial_dims=3" in repr(layer)
    # the filter of the 3D blur-pool is the outer product of three binomial vectors
    b = torch.tensor([1.0, 2.0, 1.0], dtype=torch.float64) / 4
    assert torch.equal(BlurPool3d(fields).filter[0, 0].double(), b[:, None, None] * b[None, :, None] * b)


def test_volume_pooling_commutes_with_every_element_of_o_on_odd_grids():
    from groupconv.nn import AvgPool3d, BlurPool3d, GlobalPool3d, MaxPool3d

    reg, _ = _octahedral_types()
    x = torch.randn(1, 24, 9, 9, 9, dtype=torch.float64)
    layers = [
        MaxPool3d(reg),
        MaxPool3d(reg, antialias=False),
        AvgPool3d(reg),
        BlurPool3d(reg),
        GlobalPool3d(reg),
    ]
    layers += [GroupPooling(reg, spatial_dims=3), NormPooling(reg, "max", 3, 2, spatial_dims=3)]
    for layer in layers:
        layer = layer.double()
        y = layer(x)
        for g in range(24):
            assert (layer(reg.transform(x, g)) - layer.out_type.transform(y, g)).abs().max() < 1e-13, (
                layer,
                g,
            )


def test_binomial_filter_in_3d_is_cube_symmetric_and_normalised():
    k = binomial_filter(5, spatial_dims=3)
    assert k.shape == (5, 5, 5) and abs(k.sum() - 1) < 1e-15
    for axes in [(0, 1, 2), (1, 0, 2), (2, 1, 0), (0, 2, 1)]:
        assert (k.transpose(axes) == k).all() and (k[::-1] == k).all()
    with pytest.raises(ValueError, match="spatial_dims must be 2 or 3, got 4"):
        binomial_filter(3, spatial_dims=4)


def test_norm_pooling_of_volumes_pools_the_norms_in_3d():
    import torch.nn.functional as F

    _, fields = _octahedral_types()
    x = torch.randn(2, 4, 5, 5, 5, dtype=torch.float64)
    norms = torch.cat([x[:, :1].abs(), x[:, 1:].norm(dim=1, keepdim=True)], 1)
    assert torch.allclose(NormPooling(fields, spatial_dims=3)(x), norms, atol=1e-14)
    pooled = NormPooling(fields, "avg", 3, 2, spatial_dims=3)
    expected = F.avg_pool3d(norms, 3, 2, 1, count_include_pad=True)
    assert torch.allclose(pooled(x), expected, atol=1e-14) and torch.allclose(
        pooled.export()(x), expected, atol=1e-14
    )
    assert torch.allclose(NormPooling(fields, "max", spatial_dims=3)(x), norms.amax((2, 3, 4), keepdim=True))
