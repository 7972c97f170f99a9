from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from groupconv.groups import Dihedral
from groupconv.nn import FieldType
from groupconv.reps import regular, trivial
from groupconv.verify.certify import certify
from groupconv.verify.energy import check_energy
from groupconv.verify.equivariance import check_equivariance
from groupconv.verify.report import Report

G = Dihedral(4)
REG = FieldType(G, [regular(G)])
TRIV = FieldType(G, [trivial(G)])


class Mix(nn.Module):
    """Equivariant: mixes each regular field with its group average, pointwise in space."""

    def __init__(self, scale=0.5):
        super().__init__()
        self.in_type, self.out_type = REG, REG
        self.scale = nn.Parameter(torch.tensor(scale))

    def forward(self, x):
        return x + self.scale * x.mean(1, keepdim=True)


class Planted(Mix):
    """Not equivariant: weights the group axis."""

    def forward(self, x):
        return x * torch.arange(1.0, 9.0, dtype=x.dtype, device=x.device)[None, :, None, None]


class Blur(nn.Module):
    """Equivariant 3x3 blur with a D4-invariant stencil (same on every channel)."""

    def __init__(self):
        super().__init__()
        self.in_type, self.out_type = REG, REG
        k = torch.tensor([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]) / 16
        self.register_buffer("k", k[None, None].repeat(8, 1, 1, 1), persistent=False)

    def forward(self, x):
        return nn.functional.conv2d(x, self.k.to(x.dtype), padding=1, groups=8)


def test_planted_layer_is_reported_at_that_layer_only():
    net = nn.Sequential(Mix(), Blur(), Planted(), Mix(), Blur())
    report = check_equivariance(net, torch.randn(2, 8, 7, 7))
    assert [r.passed for r in report.rows] == [True, True, False, True, True]
    assert report.first_failure().layer == "2"
    assert all(r.elements_tried == 8 for r in report.rows)
    assert report.rows[0].max_abs_error < 1e-12 and report.rows[2].max_rel_error > 0.1
    assert "worst element" in report.rows[2].note


def test_plain_torch_modules_with_given_types():
    net = nn.Sequential(nn.Conv2d(1, 1, 3, padding=1, bias=False), nn.ReLU())
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[0.0, 1.0, 0.0], [1.0, 2.0, 1.0], [0.0, 1.0, 0.0]]))
    report = check_equivariance(net, torch.randn(2, 1, 6, 6), types={"0": (TRIV, TRIV), "1": (TRIV, TRIV)})
    assert report.passed and len(report.rows) == 2
    with torch.no_grad():
        net[0].weight[0, 0, 0, 0] = 0.3  # breaks the D4 symmetry of the stencil
    report = check_equivariance(net, torch.randn(2, 1, 6, 6), types={"0": (TRIV, TRIV), "1": (TRIV, TRIV)})
    assert [r.passed for r in report.rows] == [False, True]
    with pytest.raises(ValueError, match="no layer with in_type"):
        check_equivariance(net, torch.randn(2, 1, 6, 6))
    with pytest.raises(ValueError, match="does not have"):
        check_equivariance(net, torch.randn(2, 1, 6, 6), types={"7": (TRIV, TRIV)})


def test_float32_model_is_checked_in_float64_without_changing_it():
    net = nn.Sequential(Mix(), Blur())
    check_equivariance(net, torch.randn(1, 8, 5, 5))
    assert net[0].scale.dtype == torch.float32


def test_energy_report_and_planted_expansion():
    class Contraction(nn.Module):
        def __init__(self, gain):
            super().__init__()
            self.gain = gain

        def frame_bounds(self):
            return 0.0, 1.0

        def forward(self, x):
            return self.gain * x

    net = nn.Sequential(Contraction(0.9), nn.ReLU(), Contraction(1.5))
    report = check_energy(net, torch.randn(3, 2, 8, 8))
    assert [r.passed for r in report.rows] == [True, True, False]
    r0 = report.rows[0]
    assert abs(r0.ratio - 0.81) < 1e-12 and abs(r0.output_energy - 0.81 * r0.input_energy) < 1e-9


def test_report_rendering_and_json_round_trip(tmp_path):
    net = nn.Sequential(Mix(), Planted())
    report = check_equivariance(net, torch.randn(1, 8, 5, 5))
    text = report.to_text()
    assert "FAIL" in text and "Planted" in text
    md = report.to_markdown()
    assert md.count("\n|") >= 3
    path = tmp_path / "r.json"
    report.to_json(str(path))
    back = Report.from_json(path.read_text())
    assert back.rows == report.rows and back.passed is False
    assert json.loads(report.to_json())["row_type"] == "EquivarianceRow"


def test_certify_dispatch():
    class WithCertificate(Mix):
        def certificate(self):
            return ("proved", "by construction", 0.0)

    net = nn.Sequential(WithCertificate(), Mix())
    report = certify(net)
    assert [r.status for r in report.rows] == ["proved", "not applicable"]
    assert report.passed
