"""Catalogue of bad inputs to the convolution layers: each is refused with a clear error naming what was
expected and what was given, or (batch 0, NaN) handled as torch's own layers handle it."""

from __future__ import annotations

import warnings

import pytest
import torch

from groupconv.groups import Cyclic, Dihedral
from groupconv.nn import (
    FieldType,
    FourierBesselConv2d,
    GroupConv2d,
    HomogeneousFourierConv,
    LiftingConv2d,
    SteerableConv2d,
)
from groupconv.reps import irrep, regular

C4, D4 = Cyclic(4), Dihedral(4)
REG3 = FieldType(C4, [regular(C4)] * 3)


def _group_conv(**kwargs):
    return GroupConv2d.from_channels(C4, 1, 1, 3, **kwargs)


# -- construction ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: SteerableConv2d(FieldType(C4, []), REG3, 3), "in_type must have at least one field"),
        (lambda: SteerableConv2d(REG3, FieldType(C4, []), 3), "out_type must have at least one field"),
        (lambda: SteerableConv2d(REG3, "regular", 3), "out_type must be a groupconv.nn.FieldType, got str"),
        (
            lambda: SteerableConv2d(REG3, FieldType(D4, [regular(D4)]), 3),
            "same group, got C4 and D4",
        ),
        (lambda: _group_conv(stride=0), r"stride must be at least 1, got 0"),
        (lambda: _group_conv(stride=(1, 0)), r"stride must be at least 1, got \(1, 0\)"),
        (lambda: _group_conv(stride=2.0), "stride must be an int or a pair of ints, got 2.0"),
        (lambda: _group_conv(stride=(1, 2, 3)), r"stride must be an int or a pair of ints, got \(1, 2, 3\)"),
        (lambda: _group_conv(padding=-1), "padding must be at least 0, got -1"),
        (lambda: _group_conv(padding=(1, -1)), r"padding must be at least 0, got \(1, -1\)"),
        (
            lambda: _group_conv(padding="full"),
            "padding must be an int, a pair, 'same' or 'valid', got 'full'",
        ),
        (lambda: _group_conv(padding="same", stride=2), "padding='same' needs stride 1"),
        (lambda: _group_conv(dilation=0), "dilation must be at least 1, got 0"),
        (lambda: _group_conv(dilation=1.5), "dilation must be an int or a pair of ints, got 1.5"),
        (lambda: GroupConv2d.from_channels(C4, 1, 1, 0), "kernel_size must be a positive odd int, got 0"),
        (lambda: GroupConv2d.from_channels(C4, 1, 1, 4), "kernel_size must be odd"),
        (lambda: GroupConv2d.from_channels(C4, 0, 1, 3), "in_channels must be a positive int, got 0"),
        (lambda: SteerableConv2d(REG3, REG3, 3, groups=2), "3 fields, not divisible by groups=2"),
        (lambda: SteerableConv2d(REG3, REG3, 3, groups=True), "groups must be a positive int, got True"),
        (lambda: SteerableConv2d(REG3, REG3, 3, basis="fourier"), "basis must be 'gaussian', 'bessel'"),
        (lambda: FourierBesselConv2d(2, 2, 3, stride=0), "stride must be at least 1, got 0"),
        (lambda: FourierBesselConv2d(2, 2, 3, padding=-1), "padding must be at least 0, got -1"),
        (lambda: FourierBesselConv2d(2, 2, 3, padding="same", stride=2), "padding='same' needs stride 1"),
        (lambda: FourierBesselConv2d(3, 2, 3, groups=2), "must be divisible by groups=2"),
        (lambda: FourierBesselConv2d(2, 2, 3, dilation=0), "dilation must be at least 1, got 0"),
    ],
)
def test_construction_is_refused(build, match):
    with pytest.raises((ValueError, TypeError), match=match) as info:
        build()
    # a wrong type of argument is a TypeError only where the argument is not of the expected kind
    assert info.type is (TypeError if "FieldType, got" in match else ValueError)


@pytest.mark.parametrize(
    "build, match",
    [
        (
            lambda: GroupConv2d.from_channels(C4, 1, 1, 3, sigma=0.5),
            r"basis='index' takes no options; got unexpected options \['sigma'\]",
        ),
        (
            lambda: SteerableConv2d(REG3, REG3, 3, basis="exact", sigma=0.5),
            r"basis='exact' takes method; got .*'sigma'",
        ),
        (
            lambda: SteerableConv2d(REG3, REG3, 3, sigmas=0.5),
            r"basis='gaussian' takes max_frequency.*'sigmas'",
        ),
    ],
)
def test_basis_options_the_basis_would_ignore_are_refused(build, match):
    with pytest.raises(TypeError, match=match):
        build()


def test_padding_same_with_stride_one_is_accepted():
    x = torch.randn(1, 4, 7, 7)
    assert _group_conv(padding="same")(x).shape == (1, 4, 7, 7)
    assert FourierBesselConv2d(4, 2, 3, padding="same")(x).shape == (1, 2, 7, 7)


# -- forward ----------------------------------------------------------------------------------------------
def _layers():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "group": _group_conv(padding=1),
            "lift": LiftingConv2d.from_channels(C4, 4, 1, 3, padding=1),
            "steer": SteerableConv2d(
                FieldType(D4, [irrep(D4, 1, 1)] * 2), FieldType(D4, [regular(D4)]), 3, padding=1
            ),
            "fourier-bessel": FourierBesselConv2d(4, 2, 3, padding=1),
        }


def _channels(layer):
    return layer.in_type.size if hasattr(layer, "in_type") else layer.in_channels


@pytest.mark.parametrize("name", sorted(_layers()))
@pytest.mark.parametrize(
    "shape_of, match",
    [
        (lambda c: (1, c, 5), r"\(batch, \d+, H, W\), got \(1, \d+, 5\)"),
        (lambda c: (1, c, 5, 5, 5), r"\(batch, \d+, H, W\), got \(1, \d+, 5, 5, 5\)"),
        (lambda c: (1, c + 1, 5, 5), r"\(batch, \d+, H, W\), got \(1, \d+, 5, 5\)"),
    ],
)
def test_input_of_the_wrong_shape_is_refused(name, shape_of, match):
    layer = _layers()[name]
    with pytest.raises(ValueError, match=match):
        layer(torch.randn(shape_of(_channels(layer))))


@pytest.mark.parametrize("name", sorted(_layers()))
def test_input_of_the_wrong_dtype_or_device_is_refused(name):
    layer = _layers()[name]
    c = _channels(layer)
    with pytest.raises(
        TypeError, match="input dtype torch.float64 does not match the layer's dtype torch.float32"
    ):
        layer(torch.randn(1, c, 5, 5, dtype=torch.float64))
    with pytest.raises(TypeError, match="(floating point tensor, got dtype torch.int64|dtype torch.int64)"):
        layer(torch.ones(1, c, 5, 5, dtype=torch.int64))
    with pytest.raises(ValueError, match="input on meta, the layer's parameters on cpu"):
        layer(torch.empty(1, c, 5, 5, device="meta"))
    with pytest.raises(TypeError, match="torch.Tensor, got list"):
        layer([[0.0] * c])


@pytest.mark.parametrize("name", sorted(_layers()))
def test_batch_zero_gives_the_empty_output_of_torch(name):
    layer = _layers()[name]
    x = torch.randn(0, _channels(layer), 6, 6)
    expected = layer.export()(x) if hasattr(layer, "export") else None
    y = layer(x)
    assert y.shape == expected.shape and y.shape[0] == 0 and y.shape[1] > 0
    y.sum().backward()  # the empty output stays a function of the parameters
    assert all(p.grad is not None for p in layer.parameters())


def test_group_convolution_batch_zero_and_half_precision():
    layer = HomogeneousFourierConv(D4, 2, 3)
    y = layer(torch.randn(0, 2, 8))
    assert y.shape == (0, 3, 8)
    y.sum().backward()
    assert torch.equal(layer.weight.grad, torch.zeros_like(layer.weight))
    assert torch.equal(layer.bias.grad, torch.zeros_like(layer.bias))
    assert layer(torch.randn(4, 0, 2, 8)).shape == (4, 0, 3, 8)
    with pytest.raises(TypeError, match=r"cast the input, e.g. x.to\(torch.float32\)"):
        layer(torch.randn(1, 2, 8).half())
    with pytest.raises(TypeError, match="computes in float32 or float64.*layer.float()"):
        layer.half()(torch.randn(1, 2, 8).half())
    with pytest.raises(ValueError, match=r"\(\.\.\., 2, 8\) of type 2 x L2\(D4\), got shape \(1, 3, 8\)"):
        HomogeneousFourierConv(D4, 2, 3)(torch.randn(1, 3, 8))


@pytest.mark.parametrize("name", sorted(_layers()))
def test_nan_propagates_like_a_torch_conv(name):
    """A NaN pixel makes NaN exactly the outputs whose receptive field holds it, as in torch's conv2d."""
    layer = _layers()[name]
    x = torch.randn(1, _channels(layer), 7, 7)
    x[0, 0, 3, 3] = float("nan")
    y = layer(x)
    ref = layer.export()(x)
    assert torch.equal(torch.isnan(y), torch.isnan(ref))
    assert torch.isnan(y[0, :, 3, 3]).any() and not torch.isnan(y[0, :, 0, 0]).any()


def test_state_dict_of_another_group_is_refused():
    d8 = SteerableConv2d(
        FieldType(Dihedral(8), [regular(Dihedral(8))]), FieldType(Dihedral(8), [regular(Dihedral(8))]), 3
    )
    C16 = Cyclic(16)
    c16 = SteerableConv2d(FieldType(C16, [regular(C16)]), FieldType(C16, [regular(C16)]), 3)
    with pytest.raises(RuntimeError, match="saved 'D8', this layer 'C16'"):
        c16.load_state_dict(d8.state_dict())


def test_jit_script_is_refused_with_advice():
    with pytest.raises(TypeError, match="use torch.jit.trace"):
        torch.jit.script(_group_conv())
