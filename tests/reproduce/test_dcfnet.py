"""The ``dcfnet`` reproduction (Qiu et al., ICML 2018): its CNN variants, the random-basis control, the
deformations, and the smoke run."""

from __future__ import annotations

import json
import math

import pytest
import torch

from groupconv.cli import main
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
    out = tmp_path / name
    assert main(["reproduce", name, "--smoke", "--out", str(out), "--quiet"]) == 0
    data = json.loads((out / "results.json").read_text())
    (rows,) = list(data["tables"].values())
    assert data["name"] == name and data["settings"]["smoke"] is True and len(rows) == 5
    assert all(set(r) == set(rows[0]) for r in rows)
    assert "| ---" in (out / "results.md").read_text()
    for r in rows:
        for k, v in r.items():
            if k.endswith("test") or k.startswith("test_acc"):
                mean = float(str(v).split(" ")[0])
                assert 0 <= mean <= 100 and not math.isnan(mean)


def test_the_control_is_private_to_the_reproduction():
    import groupconv.reproduce.dcfnet as dcfnet

    assert "RandomBasisConv2d" not in vars(dcfnet) and "RandomBasisConv2d" not in dcfnet.__all__
    with pytest.warns(DeprecationWarning, match="private to the reproduction"):
        assert dcfnet.RandomBasisConv2d is _RandomBasisConv2d
    with pytest.raises(AttributeError, match="no attribute 'NoSuchName'"):
        dcfnet.NoSuchName  # noqa: B018
    rnd = make_cnn("random", 4, 3)
    assert sum(isinstance(m, _RandomBasisConv2d) for m in rnd.modules()) == 3
