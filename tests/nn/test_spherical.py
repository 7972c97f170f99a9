"""Spherical CNN layers: equivariance under grid and sampled rotations (directly and through
``check_equivariance``'s two tiers, with a planted defect), the products against the convolution
theorem, bandwidth changes, state_dict / dtypes / empty batches / gradients, and the memory footprint."""

from __future__ import annotations

import math

import pytest
import torch
from _fourier_helpers import (
    _one_thread,  # noqa: F401  (autouse fixture)
    gen,
)
from torch import nn

from groupconv.fourier import so3_blocks, so3_coefficient_offsets
from groupconv.groups.spatial import SO3
from groupconv.nn import GridNonlinearity, S2Conv, S2Integral, SO3Conv, SO3GridType, SO3Integral, SphereType
from groupconv.verify import check_equivariance


def _rotations(n: int, seed: int = 0) -> list[torch.Tensor]:
    return list(SO3().sample(n, generator=gen(seed)).unbind(0))


def _band_limited(ftype, batch: int = 2, seed: int = 0, dtype=torch.float64) -> torch.Tensor:
    x = torch.randn((batch,) + ftype.shape, dtype=torch.float64, generator=gen(seed))
    return ftype.band_limit(x).to(dtype)


@pytest.mark.parametrize("grid", ["dh", "gl"])
def test_convolutions_equivariant_under_20_sampled_and_the_grid_rotations(grid):
    torch.manual_seed(0)
    s2 = S2Conv.from_channels(2, 3, 5, grid=grid, generator=gen(1)).double()
    so3 = SO3Conv.from_channels(3, 2, 5, 4, grid=grid, generator=gen(2)).double()
    x = _band_limited(s2.in_type)
    y = s2(x)
    z = so3(y)
    elements = s2.in_type.exact_elements() + _rotations(20)
    for g in elements:
        e1 = (s2(s2.in_type.transform(x, g)) - s2.out_type.transform(y, g)).abs().max()
        e2 = (so3(so3.in_type.transform(y, g)) - so3.out_type.transform(z, g)).abs().max()
        assert e1 <= 1e-10 * y.abs().max() and e2 <= 1e-10 * z.abs().max()


def test_float32_equivariance():
    s2 = S2Conv.from_channels(1, 4, 6, generator=gen(3)).float()
    so3 = SO3Conv.from_channels(4, 4, 6, generator=gen(4)).float()
    x = _band_limited(s2.in_type, dtype=torch.float32)
    y = so3(s2(x))
    for g in _rotations(5, seed=5):
        moved = so3(s2(s2.in_type.transform(x, g)))
        assert (moved - so3.out_type.transform(y, g)).abs().max() <= 1e-5 * y.abs().max()


def test_grid_rotations_act_exactly_on_any_input():
    """The rotations about the polar axis by whole grid steps permute the samples: a pointwise
    nonlinearity commutes with them exactly, band-limited input or not."""
    t = SO3GridType(3, 4, "gl")
    act = GridNonlinearity(t, torch.relu)
    x = torch.randn((2,) + t.shape, dtype=torch.float64, generator=gen(6))
    for g in t.exact_elements():
        assert t.is_exact(g)
        assert torch.equal(act(t.transform(x, g)), t.transform(act(x), g))
    quarter = t.exact_elements()[-2]
    assert torch.equal(t.transform(x, quarter), torch.roll(x, 2, dims=-3))
    assert not t.is_exact(_rotations(1)[0])
    assert not t.is_exact(SO3.from_euler(*torch.tensor([0.1, 0.0, 0.0], dtype=torch.float64)))


def test_sampled_rotation_of_a_band_limited_function_is_exact_and_a_homomorphism():
    t = SphereType(2, 6, "dh")
    x = _band_limited(t, seed=7)
    g, h = _rotations(2, seed=8)
    assert torch.allclose(t.transform(t.transform(x, h), g), t.transform(x, g @ h), atol=1e-12)
    # (g . f)(x) = f(g^-1 x) at a grid point: the rotated samples are those of the rotated function
    back = t.transform(t.transform(x, g), g.T)
    assert torch.allclose(back, x, atol=1e-12)


def test_integrals_are_invariant():
    t = SO3GridType(2, 5, "dh")
    read = SO3Integral(t).double()
    x = _band_limited(t, seed=9)
    y = read(x)
    assert y.shape == (2, 2)
    for g in _rotations(20, seed=10):
        assert (read(t.transform(x, g)) - y).abs().max() < 1e-12
    s = SphereType(1, 5, "gl")
    read_s = S2Integral(s).double()
    ones = torch.ones((3,) + s.shape, dtype=torch.float64)
    assert torch.allclose(read_s(ones), torch.ones(3, 1, dtype=torch.float64), atol=1e-14)
    assert torch.allclose(read(torch.ones((1,) + t.shape, dtype=torch.float64)), torch.ones(1, 2).double())


class _Net(nn.Module):
    def __init__(self, defect: bool = False):
        super().__init__()
        self.conv1 = S2Conv.from_channels(1, 3, 6, generator=gen(11))
        act = torch.relu
        if defect:
            # a nonlinearity whose threshold depends on the longitude: not equivariant
            ramp = torch.linspace(0, 1, 12, dtype=torch.float64)

            def act(x):
                return torch.relu(x - ramp.to(x)[:, None, None])

        self.act1 = GridNonlinearity(self.conv1.out_type, act)
        self.conv2 = SO3Conv.from_channels(3, 2, 6, generator=gen(12))
        self.act2 = GridNonlinearity(self.conv2.out_type, torch.nn.functional.softplus)
        self.read = SO3Integral(self.conv2.out_type)

    def forward(self, x):
        return self.read(self.act2(self.conv2(self.act1(self.conv1(x)))))


def test_check_equivariance_passes_every_layer_in_both_tiers():
    net = _Net()
    x = torch.randn(2, 1, 12, 12, generator=gen(13))
    report = check_equivariance(net, x, n_samples=4, check_model=False, progress=False)
    assert report.passed
    tiers = {(r.layer, r.tier) for r in report.rows}
    for layer in ("conv1", "act1", "conv2", "act2", "read"):
        assert (layer, "exact") in tiers and (layer, "approximate") in tiers
    exact = {r.layer: r for r in report.rows if r.tier == "exact"}
    # the grid rotations: identity, one step, a quarter and a half turn
    assert exact["act1"].elements_tried == 4 and exact["act1"].max_abs_error == 0.0
    approx = {r.layer: r for r in report.rows if r.tier == "approximate"}
    assert approx["conv2"].max_rel_error < 1e-12 and approx["read"].max_rel_error < 1e-12


def test_check_equivariance_names_a_planted_defect():
    report = check_equivariance(
        _Net(defect=True),
        torch.randn(2, 1, 12, 12, generator=gen(14)),
        n_samples=2,
        check_model=False,
        progress=False,
    )
    failed = {r.layer for r in report.rows if not r.passed}
    assert failed == {"act1"}


def test_s2conv_is_the_blockwise_product():
    """The layer computes ``\\hat y_o(l) = \\sum_i \\hat x_i(l) e_l h_{io}(l)``: rebuilt here from the
    transforms and the packed weight, degree by degree."""
    conv = S2Conv.from_channels(2, 3, 4, bias=False, generator=gen(15)).double()
    x = _band_limited(conv.in_type, seed=16)
    a = conv.fft(x)
    blocks = []
    for l in range(4):
        al = a[..., l * l : (l + 1) ** 2]
        hl = conv.weight[..., l * l : (l + 1) ** 2]
        blocks.append(torch.einsum("bim,ion->bomn", al, hl).flatten(-2))
    ref = conv.inverse_fft.inverse(torch.cat(blocks, -1))
    assert torch.allclose(conv(x), ref, atol=1e-13)


def test_so3conv_is_the_blockwise_product_with_bias():
    conv = SO3Conv.from_channels(2, 2, 4, generator=gen(17)).double()
    with torch.no_grad():
        conv.bias.copy_(torch.tensor([0.5, -1.0]))
    x = _band_limited(conv.in_type, seed=18)
    xb = so3_blocks(conv.fft(x), 4)
    off = so3_coefficient_offsets(4)
    blocks = []
    for l in range(4):
        d = 2 * l + 1
        h = conv.weight[..., off[l] : off[l + 1]].unflatten(-1, (d, d))
        blocks.append(torch.einsum("bimk,iokn->bomn", xb[l], h).flatten(-2))
    ref = conv.inverse_fft.inverse(torch.cat(blocks, -1)) + conv.bias.view(-1, 1, 1, 1)
    assert torch.allclose(conv(x), ref, atol=1e-13)


def test_bandwidth_changes_and_filter_bandwidth():
    conv = SO3Conv.from_channels(1, 1, 6, 4, filter_bandwidth=3, bias=False, generator=gen(19)).double()
    assert conv.weight.shape == (1, 1, 1 + 9 + 25)
    y = conv(_band_limited(conv.in_type, batch=1, seed=20))
    assert y.shape == (1, 1, 8, 8, 8)
    coeffs = conv.inverse_fft(y)
    # degrees >= filter_bandwidth carry nothing
    assert coeffs[..., int(so3_coefficient_offsets(3)[-1]) :].abs().max() < 1e-13
    up = S2Conv.from_channels(1, 2, 3, 5, generator=gen(21)).double()
    assert up(_band_limited(up.in_type, batch=1)).shape == (1, 2, 10, 10, 10)


def test_state_dict_dtypes_devices_and_empty_batches():
    conv = SO3Conv.from_channels(2, 3, 4, grid="gl", generator=gen(22))
    assert list(conv.state_dict()) == ["weight", "bias"]
    assert conv.weight.dtype == torch.get_default_dtype()
    fresh = SO3Conv.from_channels(2, 3, 4, grid="gl", generator=gen(99))
    fresh.load_state_dict(conv.state_dict())
    x = torch.randn((3,) + conv.in_type.shape, generator=gen(23))
    assert torch.equal(fresh(x), conv(x))
    conv.train()
    assert list(conv.state_dict()) == ["weight", "bias"]
    # float32 -> float64 rebuilds the tables from their float64 masters
    d = conv.double()
    assert d.fft.table0.dtype == torch.float64
    xb = _band_limited(d.in_type, seed=24)
    assert torch.allclose(d.fft.inverse(d.fft(xb)), xb, atol=1e-13)
    assert d(torch.zeros((0,) + d.in_type.shape, dtype=torch.float64)).shape == (0, 3, 8, 4, 8)
    s2 = S2Conv.from_channels(1, 2, 4)
    assert s2(torch.zeros((0,) + s2.in_type.shape)).shape == (0, 2, 8, 8, 8)


def test_gradients_reach_every_parameter():
    s2 = S2Conv.from_channels(1, 2, 4, generator=gen(25)).double()
    so3 = SO3Conv.from_channels(2, 2, 4, generator=gen(26)).double()
    read = SO3Integral(so3.out_type).double()
    x = torch.randn((2,) + s2.in_type.shape, dtype=torch.float64, generator=gen(27))
    read(torch.relu(so3(torch.relu(s2(x))))).pow(2).sum().backward()
    for p in list(s2.parameters()) + list(so3.parameters()):
        assert p.grad is not None and p.grad.abs().sum() > 0


def test_memory_is_per_degree():
    """Filters ``C_in C_out sum_l (2l+1)^2``, tables ``~ B^3 n_beta / 3`` per transform: nothing of the size
    ``(sum_l (2l+1)^2)^2`` of a dense expansion over all degrees (45,761^2 at bandwidth 32)."""
    B, C = 32, 16
    conv = SO3Conv.from_channels(C, C, B, grid="gl", generator=gen(28))
    p = sum((2 * l + 1) ** 2 for l in range(B))
    assert conv.weight.numel() == C * C * p
    buffers = sum(b.numel() for b in conv.buffers())
    assert buffers < 2 * (2 * (B**3 * B / 3) * 1.3 + 40 * p)
    init_var = conv.weight.detach()[..., -((2 * B - 1) ** 2) :].var()
    assert math.isclose(float(init_var), 1 / (C * (2 * B - 1)), rel_tol=0.05)


@pytest.mark.cuda
def test_layers_on_cuda():
    s2 = S2Conv.from_channels(1, 2, 6).to("cuda", torch.float64)
    so3 = SO3Conv.from_channels(2, 2, 6).to("cuda", torch.float64)
    x = torch.randn((2,) + s2.in_type.shape, dtype=torch.float64, device="cuda")
    y = so3(s2(x))
    ref = SO3Conv.from_channels(2, 2, 6).double()
    ref.load_state_dict({k: v.cpu() for k, v in so3.state_dict().items()})
    assert torch.allclose(ref(s2.cpu()(x.cpu())), y.cpu(), atol=1e-12)


def test_docs_page_examples_run():
    import re
    from pathlib import Path

    page = Path(__file__).resolve().parents[2] / "docs" / "spherical.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S)
    assert len(blocks) == 2
    for code in blocks:
        exec(compile(code, str(page), "exec"), {"__name__": "__docs__"})


def test_type_style_constructor_equals_from_channels_and_the_deprecated_call():
    types = (SphereType(1, 5, "gl"), SO3GridType(3, 4, "gl"))
    by_types = S2Conv(*types, filter_bandwidth=3, generator=gen(40)).double()
    by_counts = S2Conv.from_channels(1, 3, 5, 4, filter_bandwidth=3, grid="gl", generator=gen(40)).double()
    with pytest.warns(DeprecationWarning, match=r"S2Conv.from_channels"):
        legacy = S2Conv(1, 3, 5, 4, filter_bandwidth=3, grid="gl", generator=gen(40)).double()
    assert by_types.in_type == by_counts.in_type == legacy.in_type == types[0]
    assert by_types.out_type == by_counts.out_type == legacy.out_type == types[1]
    x = torch.randn(2, *types[0].shape, dtype=torch.float64, generator=gen(41))
    assert torch.equal(by_types(x), by_counts(x)) and torch.equal(by_types(x), legacy(x))
    # a state_dict saved from the channel-count layer loads into the type-style one
    by_types.load_state_dict(legacy.state_dict())
    so3 = SO3Conv(SO3GridType(2, 4), SO3GridType(2, 3))
    assert (so3.in_channels, so3.bandwidth_in, so3.bandwidth_out) == (2, 4, 3)


def test_type_style_constructor_refuses_wrong_types():
    with pytest.raises(TypeError, match=r"S2Conv takes an input type SphereType, got SO3GridType"):
        S2Conv(SO3GridType(1, 4), SO3GridType(2, 4))
    with pytest.raises(TypeError, match=r"SO3Conv takes an output type SO3GridType, got SphereType"):
        SO3Conv(SO3GridType(1, 4), SphereType(2, 4))
    with pytest.raises(ValueError, match=r"one grid, got 'dh' and 'gl'"):
        S2Conv(SphereType(1, 4, "dh"), SO3GridType(2, 4, "gl"))
