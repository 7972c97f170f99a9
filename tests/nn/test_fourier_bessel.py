"""The Fourier-Bessel convolution (groupconv.nn.fourier_bessel, DCFNet): its basis and parameter count,
a convolution of the common base with fields of the trivial group, its certificate and its derived
basis buffer."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from groupconv.groups import Cyclic
from groupconv.kernels import fourier_bessel_basis
from groupconv.nn import Certificate, EquivariantModule, FourierBesselConv2d
from groupconv.nn.conv import EquivariantConv2d


def test_fourier_bessel_conv():
    conv = FourierBesselConv2d(3, 8, 5, num_bases=6)
    s = conv.parameter_savings()
    assert s["plain"] == 8 * 3 * 25 and s["fourier_bessel"] == 8 * 3 * 6 and s["saved"] == 8 * 3 * 19
    w = conv.expand_filter()
    assert torch.allclose(w, torch.einsum("oik,khw->oihw", conv.weight, conv.basis.float()))
    assert FourierBesselConv2d(1, 1, 7).num_bases == 38


def test_a_convolution_of_the_base_on_fields_of_the_trivial_group():
    conv = FourierBesselConv2d(4, 6, 3, padding=1, groups=2)
    assert isinstance(conv, EquivariantConv2d) and isinstance(conv, EquivariantModule)
    assert conv.in_type.group == Cyclic(1) and conv.in_type.size == 4 and conv.out_type.size == 6
    assert conv.expansion_plan is None
    x = torch.randn(2, 4, 8, 8)
    w, b = conv.filter()
    assert torch.equal(w, conv.expand_filter()) and b is conv.bias
    torch.testing.assert_close(conv(x), nn.functional.conv2d(x, w, b, padding=1, groups=2))
    exported = conv.export()
    assert type(exported) is nn.Conv2d and exported.groups == 2
    torch.testing.assert_close(exported(x), conv(x))
    # lsuv scales each output channel separately: one field per channel, the first weight axis
    channel, per_weight = conv.weight_fields()
    assert torch.equal(channel, torch.arange(6)) and torch.equal(per_weight[:, 0, 0], torch.arange(6))
    with pytest.raises(TypeError, match="dtype"):
        conv(x.double())


def test_certificate_and_frame_bounds():
    conv = FourierBesselConv2d(2, 2, 3, bias=False)
    cert = conv.certificate()
    assert isinstance(cert, Certificate) and cert.status == "not applicable"
    lower, upper = conv.frame_bounds()
    assert lower is None and upper > 0
    assert FourierBesselConv2d(2, 2, 3).frame_bounds() == (None, None)


def test_the_basis_is_a_derived_buffer():
    """The basis is rebuilt from its float64 master on every cast: a float32 round trip loses nothing,
    and it is not part of the state_dict."""
    conv = FourierBesselConv2d(2, 3, 5, num_bases=8)
    exact = torch.as_tensor(fourier_bessel_basis(5, 8), dtype=torch.float64)
    assert conv.basis.dtype == torch.float32 and torch.equal(conv.basis, exact.float())
    assert torch.equal(conv.float().double().basis, exact)
    assert "basis" not in conv.state_dict()
