"""FieldBatchNorm on fused kernels (F.batch_norm on a view for permutation fields, one statistic pass
for fields without trivial component) against the field-by-field definition, nn.BatchNorm2d / 3d, and in
float32 / float64, train and eval, with gradients; exact equivariance on the pixel grid (C_4, D_4) and of
the fibers for SO(2) / O(2); bad input."""

from __future__ import annotations

import pytest
import torch
from _layer_cases import (
    FIBER_NORMALIZATION,
    GROUPS,
    NORMALIZATION,
    assert_exact_grid_equivariance,
    assert_fiber_equivariance,
    assert_gradcheck,
    layer_input,
    mixed_type,
    with_bias,
)
from torch import nn

from groupconv.groups import SO2, Cyclic, Dihedral
from groupconv.nn import FieldBatchNorm, FieldType
from groupconv.nn._fields import trivial_subspace
from groupconv.reps import directsum, irrep, quotient, regular, trivial

D4, C8 = Dihedral(4), Cyclic(8)


def _types() -> dict[str, FieldType]:
    so2 = SO2()
    return {
        "d4_regular": FieldType(D4, [regular(D4)] * 3),
        "c8_regular": FieldType(C8, [regular(C8)] * 2),
        "trivial": FieldType(D4, [trivial(D4)] * 3),
        "mixed": FieldType(
            D4,
            [regular(D4), irrep(D4, 1, 1), trivial(D4), regular(D4), irrep(D4, 1, 0), irrep(D4, 1, 1)],
        ),
        "quotient": FieldType(D4, [quotient(D4, Cyclic(4)), quotient(D4, Cyclic(4)), regular(D4)]),
        "so2": FieldType(so2, [trivial(so2)] * 2 + [irrep(so2, 1)] * 3 + [irrep(so2, 2)]),
        # a non-permutation field with a trivial component, and an intransitive permutation field:
        # trivial subspaces that are neither empty nor the constant vector
        "general": FieldType(
            D4,
            [
                directsum(trivial(D4), irrep(D4, 1, 1), group=D4),
                directsum(regular(D4), trivial(D4), group=D4),
                directsum(trivial(D4), irrep(D4, 1, 1), group=D4),
                regular(D4),
            ],
        ),
    }


TYPES = _types()


def _reference(x, ftype, weight, bias, eps):
    """The definition, field by field in float64: (output, mean in the trivial bases, biased variance)."""
    ys, means, variances = [], [], []
    t = 0
    for i, (r, s) in enumerate(zip(ftype.representations, ftype.field_slices())):
        basis = torch.as_tensor(trivial_subspace(r), dtype=x.dtype)
        k = basis.shape[1]
        f = x[:, s]
        mu = basis.T @ f.mean((0, 2, 3))
        centred = f - (basis @ mu).view(1, -1, 1, 1)
        var = centred.pow(2).mean((0, 2, 3)).sum() / r.dim
        y = weight[i] * centred / torch.sqrt(var + eps) + (basis @ bias[t : t + k]).view(1, -1, 1, 1)
        ys.append(y)
        means.append(mu)
        variances.append(var)
        t += k
    return torch.cat(ys, 1), torch.cat(means), torch.stack(variances)


def _randomised(bn):
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        bn.weight.copy_(torch.rand(bn.weight.shape, generator=gen, dtype=torch.float64) + 0.5)
        if bn.bias is not None:
            bn.bias.copy_(torch.randn(bn.bias.shape, generator=gen, dtype=torch.float64))
    return bn


@pytest.mark.parametrize("name", sorted(TYPES))
def test_training_output_statistics_and_eval_match_the_definition(name):
    ftype = TYPES[name]
    bn = _randomised(FieldBatchNorm(ftype, momentum=0.3).double())
    gen = torch.Generator().manual_seed(0)
    running_mean = torch.zeros(bn.trivial_dim, dtype=torch.float64)
    running_var = torch.ones(len(ftype), dtype=torch.float64)
    n, h, w = 3, 5, 4
    for _ in range(3):
        x = torch.randn(n, ftype.size, h, w, generator=gen, dtype=torch.float64) * 2 + 0.7
        y = bn(x)
        ref, mean, var = _reference(x, ftype, bn.weight.detach(), bn.bias.detach(), bn.eps)
        torch.testing.assert_close(y, ref, atol=1e-12, rtol=1e-12)
        # unbiased: n d / (n d - t) with t the dimension of the trivial subspace of each field
        dims = torch.tensor([r.dim for r in ftype.representations], dtype=torch.float64)
        ts = torch.tensor([trivial_subspace(r).shape[1] for r in ftype.representations], dtype=torch.float64)
        count = n * h * w * dims
        running_mean = 0.7 * running_mean + 0.3 * mean
        running_var = 0.7 * running_var + 0.3 * var * count / (count - ts)
    torch.testing.assert_close(bn.running_mean, running_mean, atol=1e-12, rtol=1e-12)
    torch.testing.assert_close(bn.running_var, running_var, atol=1e-12, rtol=1e-12)
    bn.eval()
    scale, shift = bn.affine_coefficients()
    torch.testing.assert_close(
        bn(x), x * scale.view(1, -1, 1, 1) + shift.view(1, -1, 1, 1), atol=1e-12, rtol=0
    )
    torch.testing.assert_close(bn.export()(x), bn(x), atol=1e-12, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(TYPES))
def test_gradients_match_the_definition(name):
    ftype = TYPES[name]
    bn = _randomised(FieldBatchNorm(ftype).double())
    x = torch.randn(2, ftype.size, 3, 4, dtype=torch.float64, requires_grad=True)
    g = torch.randn(2, ftype.size, 3, 4, dtype=torch.float64)
    (bn(x) * g).sum().backward()
    ours = [x.grad.clone(), bn.weight.grad.clone()] + ([bn.bias.grad.clone()] if bn.bias is not None else [])
    x.grad = None
    weight = bn.weight.detach().clone().requires_grad_(True)
    bias = bn.bias.detach().clone().requires_grad_(True) if bn.bias is not None else torch.zeros(0)
    (_reference(x, ftype, weight, bias, bn.eps)[0] * g).sum().backward()
    ref = [x.grad, weight.grad] + ([bias.grad] if bn.bias is not None else [])
    for a, b in zip(ours, ref):
        torch.testing.assert_close(a, b, atol=1e-11, rtol=1e-11)


def test_scaled_fields_gradcheck_and_no_double_backward():
    ftype = TYPES["so2"]
    bn = _randomised(FieldBatchNorm(ftype).double())
    x = torch.randn(2, ftype.size, 3, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(bn, (x,), eps=1e-6, atol=1e-6)
    y = bn(x).pow(2).sum()
    (gx,) = torch.autograd.grad(y, x, create_graph=True)
    with pytest.raises(RuntimeError, match="once_differentiable|does not require grad|twice"):
        gx.sum().backward()


@pytest.mark.parametrize("momentum", [0.1, None])
def test_regular_fields_are_batchnorm3d_on_the_field_view(momentum):
    ftype = TYPES["c8_regular"]
    bn = _randomised(FieldBatchNorm(ftype, momentum=momentum).double())
    ref = nn.BatchNorm3d(len(ftype), momentum=momentum).double()
    with torch.no_grad():
        ref.weight.copy_(bn.weight)
        ref.bias.copy_(bn.bias / 8**0.5)  # beta is stored in the normalised trivial basis, 1 / sqrt(|G|)
    gen = torch.Generator().manual_seed(0)
    for _ in range(3):
        x = torch.randn(4, ftype.size, 5, 5, generator=gen, dtype=torch.float64) + 1
        view = x.view(4, len(ftype), 8, 5, 5)
        torch.testing.assert_close(bn(x), ref(view).reshape(x.shape), atol=1e-12, rtol=1e-12)
    torch.testing.assert_close(bn.running_mean, ref.running_mean * 8**0.5, atol=1e-12, rtol=1e-12)
    torch.testing.assert_close(bn.running_var, ref.running_var, atol=1e-12, rtol=1e-12)
    assert int(bn.num_batches_tracked) == int(ref.num_batches_tracked) == 3


@pytest.mark.parametrize("name", ["mixed", "so2", "general"])
def test_float32_matches_float64(name):
    ftype = TYPES[name]
    bn64 = _randomised(FieldBatchNorm(ftype).double())
    bn32 = FieldBatchNorm(ftype)
    bn32.load_state_dict(bn64.state_dict())
    bn32.float()
    x = torch.randn(4, ftype.size, 6, 6, dtype=torch.float64) * 3 + 1
    torch.testing.assert_close(bn32(x.float()), bn64(x).float(), atol=2e-5, rtol=2e-5)
    torch.testing.assert_close(bn32.running_var, bn64.running_var.float(), atol=1e-5, rtol=1e-5)


def test_state_dict_keys_and_shapes_are_unchanged():
    ftype = TYPES["mixed"]
    bn = FieldBatchNorm(ftype)
    shapes = {k: tuple(v.shape) for k, v in bn.state_dict().items() if k != "_extra_state"}
    trivial_dim = 3  # two regular fields and one trivial field, one trivial component each
    assert shapes == {
        "weight": (6,),
        "bias": (trivial_dim,),
        "running_mean": (trivial_dim,),
        "running_var": (6,),
        "num_batches_tracked": (),
    }


def test_channels_last_and_sliced_inputs():
    ftype = TYPES["mixed"]
    bn = _randomised(FieldBatchNorm(ftype).double())
    x = torch.randn(3, ftype.size, 5, 5, dtype=torch.float64)
    y = bn(x)
    torch.testing.assert_close(bn(x.to(memory_format=torch.channels_last)), y, atol=1e-13, rtol=1e-13)
    wide = torch.randn(3, ftype.size, 5, 9, dtype=torch.float64)
    wide[..., :5] = x
    torch.testing.assert_close(bn(wide[..., :5]), y, atol=1e-13, rtol=1e-13)


def test_permutation_fields_of_one_dimension_take_batch_norm_on_the_view():
    assert FieldBatchNorm(TYPES["d4_regular"]).field_dim == 8
    assert FieldBatchNorm(TYPES["trivial"]).field_dim == 1
    for name in ("mixed", "so2", "general", "quotient"):
        assert FieldBatchNorm(TYPES[name]).field_dim is None


@pytest.mark.parametrize("name", ["mixed", "so2", "general"])
def test_without_affine_parameters_gradcheck(name):
    bn = FieldBatchNorm(TYPES[name], affine=False).double()
    x = torch.randn(2, TYPES[name].size, 2, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(bn, (x,), eps=1e-6, atol=1e-6, fast_mode=True)


def test_mixed_types_compile_without_graph_breaks():
    from groupconv.testing import assert_torch_compile

    bn = _randomised(FieldBatchNorm(TYPES["mixed"])).train()
    assert_torch_compile(bn, torch.randn(2, TYPES["mixed"].size, 5, 5), fullgraph=True)


@pytest.mark.parametrize("group", sorted(GROUPS))
@pytest.mark.parametrize("name", sorted(NORMALIZATION))
def test_exact_grid_equivariance_every_element(name, group):
    assert_exact_grid_equivariance(NORMALIZATION[name], name, group)


@pytest.mark.parametrize("group", ["SO2", "O2"])
@pytest.mark.parametrize("name", sorted(FIBER_NORMALIZATION))
def test_fiber_equivariance_continuous_groups(name, group):
    assert_fiber_equivariance(FIBER_NORMALIZATION[name], name, group)


def test_gradcheck():
    assert_gradcheck(NORMALIZATION["batchnorm"])


@pytest.mark.parametrize("momentum", [0.3, None])
def test_batchnorm_matches_torch_on_trivial_fields_and_normalises_regular_fields(momentum):
    G = GROUPS["D4"]
    t = FieldType(G, [trivial(G)] * 3)
    ours = FieldBatchNorm(t, momentum=momentum).double()
    ref = nn.BatchNorm2d(3, momentum=momentum).double()
    with_bias(ours)
    with torch.no_grad():
        ref.weight.copy_(ours.weight)
        ref.bias.copy_(ours.bias)
    for seed in range(3):
        x = layer_input(ours, seed=seed) * 3 + 1
        torch.testing.assert_close(ours(x), ref(x), atol=1e-12, rtol=1e-12)
    torch.testing.assert_close(ours.running_mean, ref.running_mean, atol=1e-12, rtol=1e-12)
    torch.testing.assert_close(ours.running_var, ref.running_var, atol=1e-12, rtol=1e-12)
    ours.eval(), ref.eval()
    torch.testing.assert_close(ours(x), ref(x), atol=1e-12, rtol=1e-12)

    mixed = mixed_type(G)
    bn = FieldBatchNorm(mixed, eps=1e-14).double()
    x = layer_input(bn, batch=4) * 2 + 5
    with torch.no_grad():
        y = bn(x)
    for r, s in zip(mixed.representations, mixed.field_slices()):
        f = y[:, s]
        assert abs(float(f.pow(2).sum(1).mean()) / r.dim - 1.0) < 1e-10
        if r == regular(G) or r.is_trivial():
            assert float(f.mean().abs()) < 1e-12
        else:
            # no centring of non-trivial fields: the mean survives (only rescaled)
            assert float(f.mean((0, 2, 3)).abs().max()) > 1e-3


def test_bad_input_errors():
    t = mixed_type(GROUPS["D4"])
    with pytest.raises(TypeError, match="does not match the layer's dtype torch.float32"):
        FieldBatchNorm(t)(torch.randn(2, t.size, 3, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match="momentum"):
        FieldBatchNorm(t, momentum=2.0)
    with pytest.raises(ValueError, match="momentum"):
        FieldBatchNorm(t, momentum=True)
    with pytest.raises(ValueError, match="more than one value"):
        FieldBatchNorm(t).train()(torch.randn(1, t.size, 1, 1))


# -- volumes ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["mixed", "regular"])
def test_volumes_are_normalised_over_the_voxels_as_images_over_the_pixels(kind):
    """spatial_dims=3 takes (N, C, D, H, W): the statistics over batch and voxels, so the output and the
    running statistics are those of the 2D layer on the volume viewed as an image (both fused paths); the
    eval map exports to a depthwise 1 x 1 x 1 Conv3d; trivial fields are exactly nn.BatchNorm3d."""
    t = mixed_type(D4) if kind == "mixed" else FieldType(D4, [regular(D4)] * 2)
    bn3, bn2 = FieldBatchNorm(t, spatial_dims=3).double(), FieldBatchNorm(t).double()
    assert "spatial_dims=3" in repr(bn3) and bn3.state_dict().keys() == bn2.state_dict().keys()
    x = torch.randn(3, t.size, 4, 5, 6, dtype=torch.float64) + 1
    y3, y2 = bn3(x), bn2(x.reshape(3, t.size, 20, 6))
    assert torch.allclose(y3, y2.reshape(y3.shape), atol=1e-13)
    assert torch.allclose(bn3.running_var, bn2.running_var) and torch.allclose(
        bn3.running_mean, bn2.running_mean
    )
    bn3.eval()
    conv = bn3.export()
    assert isinstance(conv, nn.Conv3d) and conv.kernel_size == (1, 1, 1)
    assert torch.allclose(conv(x), bn3(x), atol=1e-13)
    with pytest.raises(ValueError, match=r"\(batch, \d+, D, H, W\)"):
        bn3(x[:, :, 0])
    scalars = FieldType(D4, [trivial(D4)] * 3)
    ours, torchs = FieldBatchNorm(scalars, spatial_dims=3).double(), nn.BatchNorm3d(3).double()
    u = torch.randn(2, 3, 3, 4, 4, dtype=torch.float64)
    assert torch.allclose(ours(u), torchs(u), atol=1e-13) and torch.allclose(
        ours.running_var, torchs.running_var
    )
