"""verify_model: the three checks of a model at once."""

from __future__ import annotations

import torch
from _verify_models import Scale, real_network, scale_network
from torch import nn

from groupconv.verify import VerificationReport, verify_model


def test_verify_model_on_real_layers():
    report = verify_model(real_network(False), torch.randn(1, 1, 9, 9))
    assert report.passed
    assert [r.status for r in report.certificates.rows if r.kind.endswith("Conv2d")] == ["proved"] * 3


def test_verify_model_collects_the_three_reports():
    x = torch.randn(2, 16, 5, 5)
    report = verify_model(scale_network(), x)
    assert isinstance(report, VerificationReport)
    assert report.equivariance.first_failure().layer == "2"
    assert report.energy.passed and report.certificates.passed
    assert not report.passed
    assert [r.status for r in report.certificates.rows] == ["proved", "not applicable", "proved"]
    good = verify_model(nn.Sequential(Scale(0.5), nn.ReLU()), x)
    assert good.passed and good.info["input shape"] == "2x16x5x5"
    only = verify_model(scale_network(), x, energy=False, certificates=False)
    assert only.energy is None and only.certificates is None and len(only.reports()) == 1


def test_verify_model_leaves_the_model_as_it_was():
    net = real_network(False)
    before = {k: v.clone() for k, v in net.named_parameters()}
    report = verify_model(net, torch.randn(1, 1, 9, 9), progress=False)
    assert report.info["dtype"] == "float64" and report.info["model"] == "Sequential"
    assert all(p.dtype == torch.float32 for p in net.parameters())
    assert all(torch.equal(before[k], v) for k, v in net.named_parameters())


def test_verify_model_and_certify_on_a_volume_network():
    from _verify_models import volume_input, volume_network

    # layers 1 to 4 of the network (batch norm, norm nonlinearity, stencil, blur-pool), named as there
    report = verify_model(volume_network()[1:5], volume_input()[:1], n_samples=2, progress=False)
    assert report.passed, report.to_text()
    assert report.info["input shape"] == "1x9x9x9x9"
    # energy: the norm nonlinearity (biases 0) and the blur-pool state their bounds on volumes too
    assert {r.layer for r in report.energy.rows} >= {"2", "4"}
    kinds = {r.kind: r.status for r in report.certificates.rows}
    assert kinds["NormNonlinearity"] == "not applicable" and kinds["FieldBatchNorm"] == "not applicable"
