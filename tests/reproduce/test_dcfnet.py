"""The ``dcfnet`` reproduction (Qiu et al., ICML 2018): its CNN variants, the random-basis control, the
deformations, and the smoke run."""

from __future__ import annotations

import pytest
import torch
from _reproduce_helpers import check_accuracy_table

from groupconv.reproduce.dcfnet import _RandomBasisConv2d, conv_parameters, deform, make_cnn


def test_dcfnet_variants_and_control():
    plain, dcf3, rnd = make_cnn("plain", 4), make_cnn("dcf", 4, 3), make_cnn("random", 4, 3)
    assert conv_parameters(plain) == 25 * (4 + 4 * 8 + 8 * 16)
    assert conv_parameters(dcf3) == conv_parameters(rnd) == 3 * (4 + 4 * 8 + 8 * 16)
    x = torch.randn(2, 1, 16, 16)
    assert all(m(x).shape == (2, 10) for m in (plain, dcf3, rnd))
    conv = _RandomBasisConv2d(2, 3, 5, 4).double()
    gram = conv.basis.double().flatten(1) @ conv.basis.double().flatten(1).T
    torch.testing.assert_close(gram, gram[0, 0] * torch.eye(4, dtype=torch.float64), rtol=1e-5, atol=1e-5)
    img = torch.rand(3, 1, 16, 16)
    assert torch.equal(deform(img, 0.0, 0), img)
    assert not torch.allclose(deform(img, 2.0, 0), img) and deform(img, 2.0, 0).shape == img.shape


@pytest.mark.parametrize("name", ["dcfnet"])
def test_smoke_reproduction_writes_table(name, tmp_path):
    check_accuracy_table(tmp_path, name)


def test_the_control_is_private_to_the_reproduction():
    import groupconv.reproduce.dcfnet as dcfnet

    assert "RandomBasisConv2d" not in vars(dcfnet) and "RandomBasisConv2d" not in dcfnet.__all__
    with pytest.warns(DeprecationWarning, match="private to the reproduction"):
        assert dcfnet.RandomBasisConv2d is _RandomBasisConv2d
    with pytest.raises(AttributeError, match="no attribute 'NoSuchName'"):
        dcfnet.NoSuchName  # noqa: B018
    rnd = make_cnn("random", 4, 3)
    assert sum(isinstance(m, _RandomBasisConv2d) for m in rnd.modules()) == 3
