"""The convolution base (groupconv.nn.conv.base): geometry, state dicts, export, gradients,
torch.compile, input errors, frame bounds, typed certificates, and state dicts saved before the package
split."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
from _conv_cases import all_layers, equivariance_error, in_channels
from torch import nn

from groupconv.groups import SO2, Cyclic, Dihedral
from groupconv.nn import (
    Certificate,
    DescribedState,
    EquivariantModule,
    FieldType,
    FourierBesselConv2d,
    GroupConv2d,
    LiftingConv2d,
    SteerableConv2d,
)
from groupconv.nn.conv import EquivariantConv2d, conv_geometry
from groupconv.proofs import conv2d_frame_bounds
from groupconv.reps import irrep, regular, trivial
from groupconv.testing import assert_torch_compile

pytestmark = pytest.mark.filterwarnings("ignore:kernel basis")

DATA = Path(__file__).parent / "data"


def test_stride_dilation_and_grouped_channels_stay_exact():
    G = Dihedral(4)
    ft = FieldType(G, [regular(G), irrep(G, 1, 1)] * 2)
    layers = [
        SteerableConv2d(ft, ft, 3, stride=2, padding=1, groups=2).double(),
        GroupConv2d.from_channels(G, 2, 2, 3, dilation=2, padding=2).double(),
        LiftingConv2d.from_channels(G, 1, 2, 3, stride=2, padding=1).double(),
    ]
    for layer in layers:
        x = torch.randn(1, layer.in_type.size, 13, 13, dtype=torch.float64)
        err, _ = equivariance_error(layer, x)
        assert err <= 1e-10, (layer, err)
    w, _ = layers[0].expand_filter()
    assert w.shape == (ft.size, ft.size // 2, 3, 3)


def test_geometry_is_a_tuple_per_spatial_dimension():
    assert conv_geometry(2, 1, 1) == ((2, 2), (1, 1), (1, 1))
    assert conv_geometry((1, 2), "valid", (2, 1)) == ((1, 2), "valid", (2, 1))
    assert conv_geometry(1, "same", 2, spatial_dims=3) == ((1, 1, 1), "same", (2, 2, 2))
    assert conv_geometry((1, 2, 3), 0, 1, spatial_dims=3)[0] == (1, 2, 3)
    with pytest.raises(ValueError, match=r"stride must be an int or a pair of ints, got \(1, 2, 3\)"):
        conv_geometry((1, 2, 3), 0, 1)
    with pytest.raises(ValueError, match=r"padding must be an int or a tuple of 3 ints, got \(1, 1\)"):
        conv_geometry(1, (1, 1), 1, spatial_dims=3)
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        conv_geometry(2, "same", 1)
    with pytest.raises(ValueError, match="padding must be at least 0, got -1"):
        conv_geometry(1, -1, 1)
    layer = GroupConv2d.from_channels(Cyclic(4), 1, 1, 3, stride=(1, 2), padding=(0, 1))
    assert layer.spatial_dims == 2 and layer.stride == (1, 2) and layer.padding == (0, 1)
    assert layer(torch.randn(1, 4, 7, 7)).shape == (1, 4, 5, 4)


def test_every_convolution_is_an_equivariant_module_with_a_typed_certificate():
    for name, layer in all_layers().items():
        assert isinstance(layer, EquivariantConv2d) and isinstance(layer, EquivariantModule), name
        assert isinstance(layer, DescribedState), name
        cert = layer.certificate()
        assert isinstance(cert, Certificate), name
        assert cert.status in ("proved", "not applicable"), (name, cert)
        assert cert.status == "proved" or name == "fourier-bessel", (name, cert)


def test_state_dict_identical_in_train_and_eval_and_loads_into_a_fresh_module():
    for name, layer in all_layers().items():
        layer.train()
        sd_train = copy.deepcopy(layer.state_dict())
        layer.eval()
        sd_eval = layer.state_dict()
        # the learned parameters, and the layer's description (group, types, kernel, basis)
        assert list(sd_train) == list(sd_eval) == [n for n, _ in layer.named_parameters()] + ["_extra_state"]
        assert sd_train["_extra_state"] == sd_eval["_extra_state"] == layer.get_extra_state()
        assert all(torch.equal(sd_train[k], sd_eval[k]) for k in sd_train if k != "_extra_state")
        fresh = copy.deepcopy(layer)
        for p in fresh.parameters():
            nn.init.normal_(p)
        fresh.load_state_dict(sd_train)
        x = torch.randn(2, in_channels(layer), 9, 9)
        assert torch.equal(fresh(x), layer(x)), name


def test_state_dicts_saved_by_groupconv_0_2_load_and_compute_the_same_outputs():
    """``layers_0_2.pt`` holds the state dicts (parameters and layer descriptions), an input and the
    output of five layers saved by groupconv 0.2.0 (``LiftingConv2d(group, in_channels, ...)``, before
    the conv package): the layers built now load them strictly and compute the same outputs."""
    saved = torch.load(DATA / "layers_0_2.pt", weights_only=True)
    D4, C8, s = Dihedral(4), Cyclic(8), SO2()
    mixed = FieldType(D4, [regular(D4), irrep(D4, 1, 1), trivial(D4)])
    layers = {
        "lift-D4": LiftingConv2d.from_channels(D4, 1, 2, 3, padding=1),
        "group-C8": GroupConv2d.from_channels(C8, 1, 2, 3, padding=1),
        "steer-D4": SteerableConv2d(mixed, mixed, 3, padding=1),
        "steer-SO2": SteerableConv2d(
            FieldType(s, [irrep(s, 0), irrep(s, 1)]),
            FieldType(s, [irrep(s, 1)] * 2),
            5,
            padding=2,
            max_frequency=2,
        ),
        "fourier-bessel": FourierBesselConv2d(2, 3, 3, padding=1),
    }
    assert sorted(saved) == sorted(layers)
    for name, layer in layers.items():
        assert layer.get_extra_state() == saved[name]["state"]["_extra_state"], name
        layer.load_state_dict(saved[name]["state"], strict=True)
        with torch.no_grad():
            torch.testing.assert_close(layer(saved[name]["x"]), saved[name]["y"], rtol=0, atol=0, msg=name)


def test_export_matches():
    for name, layer in all_layers().items():
        x = torch.randn(2, in_channels(layer), 11, 11)
        conv = layer.export()
        assert type(conv) is nn.Conv2d
        torch.testing.assert_close(conv(x), layer(x), atol=1e-6, rtol=1e-5, msg=name)


def test_frame_bounds_are_those_of_the_expanded_filter():
    D4 = Dihedral(4)
    reg = FieldType(D4, [regular(D4)] * 2)
    layer = SteerableConv2d(reg, reg, 3, padding=1, bias=False)
    with torch.no_grad():
        w, _ = layer.expand_filter()
    lower, upper = layer.frame_bounds()
    assert lower is None and upper == conv2d_frame_bounds(w)[1] and upper > 0
    # affine, strided or grouped layers have no frame bounds of this form
    assert SteerableConv2d(reg, FieldType(D4, [trivial(D4)]), 3).frame_bounds() == (None, None)
    assert GroupConv2d.from_channels(D4, 2, 2, 3, stride=2, bias=False).frame_bounds() == (None, None)
    assert SteerableConv2d(reg, reg, 3, groups=2, bias=False).frame_bounds() == (None, None)
    lift = LiftingConv2d.from_channels(D4, 1, 2, 3, bias=False)
    assert lift.frame_bounds()[1] == conv2d_frame_bounds(lift.expand_filter()[0].detach())[1]


def test_gradcheck():
    D = Dihedral(4)
    for layer in [
        LiftingConv2d.from_channels(Cyclic(4), 1, 1, 3, padding=1),
        GroupConv2d.from_channels(D, 1, 1, 3, padding=1),
        SteerableConv2d(
            FieldType(D, [irrep(D, 1, 1), trivial(D)]), FieldType(D, [irrep(D, 1, 1)]), 3, padding=1
        ),
        FourierBesselConv2d(1, 2, 3, padding=1),
    ]:
        layer = layer.double()
        x = torch.randn(1, in_channels(layer), 5, 5, dtype=torch.float64, requires_grad=True)
        w = layer.weight.detach().clone().requires_grad_(True)

        def fn(x, w, layer=layer):
            return torch.func.functional_call(layer, {"weight": w}, (x,))

        assert torch.autograd.gradcheck(fn, (x, w), fast_mode=True)


def test_torch_compile():
    for name, layer in all_layers().items():
        if name in ("steerable-bessel", "steerable-D8", "lifting-C8"):
            continue  # same code paths as steerable-gaussian and steerable-SO2
        x = torch.randn(2, in_channels(layer), 9, 9)
        assert_torch_compile(layer, x)
    # a factorized expansion and a lifted one: the compiled layer expands with the same factors as the
    # eager one
    D8 = Dihedral(8)
    mixed = FieldType(D8, [regular(D8), irrep(D8, 1, 1)] * 2)
    layer = SteerableConv2d(mixed, mixed, 5, padding=2)
    assert layer._expansion.factor is not None
    assert_torch_compile(layer, torch.randn(2, mixed.size, 9, 9))
    reg = FieldType(D8, [regular(D8)] * 2)
    layer = SteerableConv2d(reg, reg, 5, padding=2)
    assert layer._expansion.lift is not None
    assert_torch_compile(layer, torch.randn(2, reg.size, 9, 9))


def test_bad_input_gives_clear_errors():
    D = Dihedral(4)
    layer = GroupConv2d.from_channels(D, 2, 2, 3)
    with pytest.raises(ValueError, match=r"\(batch, 16, H, W\), got \(1, 15, 8, 8\)"):
        layer(torch.randn(1, 15, 8, 8))
    with pytest.raises(TypeError, match="dtype"):
        layer(torch.randn(1, 16, 8, 8, dtype=torch.float64))
    with pytest.raises(ValueError, match="empty kernel basis"):
        SteerableConv2d(FieldType(SO2(), [irrep(SO2(), 0)]), FieldType(SO2(), [irrep(SO2(), 4)]), 3)
    with pytest.raises(ValueError, match="same group"):
        SteerableConv2d(FieldType(D, [regular(D)]), FieldType(Cyclic(4), [regular(Cyclic(4))]), 3)
    with pytest.raises(ValueError, match="square"):
        LiftingConv2d.from_channels(D, 1, 1, (3, 5))
    with pytest.raises(ValueError, match="odd"):
        SteerableConv2d(FieldType(D, [regular(D)]), FieldType(D, [regular(D)]), 4)
    with pytest.raises(ValueError, match="basis='exact' needs"):
        SteerableConv2d(
            FieldType(Cyclic(8), [regular(Cyclic(8))]),
            FieldType(Cyclic(8), [regular(Cyclic(8))]),
            3,
            basis="exact",
        )
    with pytest.raises(TypeError, match="C_n and D_n"):
        LiftingConv2d.from_channels(SO2(), 1, 1, 3)
    with pytest.raises(ValueError, match="groups=2"):
        SteerableConv2d(FieldType(D, [regular(D)] * 3), FieldType(D, [regular(D)] * 2), 3, groups=2)
    with pytest.raises(ValueError, match="3, H, W"):
        FourierBesselConv2d(3, 2, 3)(torch.randn(1, 2, 5, 5))


@pytest.mark.cuda
def test_cuda_matches_cpu():
    for name, layer in all_layers().items():
        x = torch.randn(2, in_channels(layer), 11, 11)
        y = layer(x)
        layer_cuda = copy.deepcopy(layer).cuda()
        torch.testing.assert_close(layer_cuda(x.cuda()).cpu(), y, atol=1e-5, rtol=1e-4, msg=name)
        layer_cuda.eval()
        torch.testing.assert_close(layer_cuda(x.cuda()).cpu(), y, atol=1e-5, rtol=1e-4, msg=name)
