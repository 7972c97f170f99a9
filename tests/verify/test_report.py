"""Reports of the three checks and of verify_model: agreement with direct computation, rendering,
JSON round trips, plots."""

from __future__ import annotations

import io
import json

import pytest
import torch
from torch import nn

from groupconv.groups import Dihedral
from groupconv.nn import FieldType
from groupconv.reps import regular
from groupconv.verify import (
    CertificateRow,
    Report,
    VerificationReport,
    certify,
    check_energy,
    check_equivariance,
    verify_model,
)

G = Dihedral(4)
REG = FieldType(G, [regular(G)] * 2)


class Scale(nn.Module):
    """Equivariant, with known frame bounds (gain^2, gain^2)."""

    def __init__(self, gain: float):
        super().__init__()
        self.in_type = self.out_type = REG
        self.gain = gain

    def frame_bounds(self):
        return self.gain**2, self.gain**2

    def forward(self, x):
        return self.gain * x

    def certificate(self):
        return ("proved", "a multiple of the identity commutes with every rho(g)", 0.0)


class Weighted(nn.Module):
    """Not equivariant: weights the group axis of each regular field."""

    def __init__(self):
        super().__init__()
        self.in_type = self.out_type = REG

    def forward(self, x):
        w = torch.arange(1.0, 17.0, dtype=x.dtype, device=x.device)
        return x * w[None, :, None, None]


def _net():
    return nn.Sequential(Scale(0.5), nn.ReLU(), Weighted(), Scale(2.0))


def test_rows_agree_with_direct_computation():
    torch.manual_seed(0)
    x = torch.randn(3, 16, 6, 6, dtype=torch.float64)
    net = _net()
    with pytest.warns(UserWarning, match="layer '1' \\(ReLU\\) has no in_type/out_type"):
        report = check_equivariance(net, x)
    # layer 2 sees relu(0.5 x); its error is max_g |L(g.u) - g.L(u)| computed by hand
    u = torch.relu(0.5 * x)
    layer = net[2]
    direct = max(
        float((layer(REG.transform(u, g)) - REG.transform(layer(u), g)).abs().max()) for g in range(8)
    )
    # the untyped ReLU is a row that says it was not checked
    assert [r.layer for r in report.rows] == ["0", "1", "2", "3"]
    assert report.rows[1].tier == "not checked" and report.rows[1].passed is None
    assert "no type" in report.rows[1].reason
    row = report.rows[2]
    assert row.layer == "2" and row.kind == "Weighted" and row.group == "D4"
    assert row.in_type == repr(REG) and row.out_type == repr(REG) and row.elements_tried == 8
    assert row.max_abs_error == pytest.approx(direct, rel=1e-12)
    assert row.max_rel_error == pytest.approx(direct / float(layer(u).abs().max()), rel=1e-12)
    assert row.tier == "exact" and row.tolerance == pytest.approx(1e-12 / float(layer(u).abs().max()) + 1e-10)
    assert [r.passed for r in report.rows] == [True, None, False, True]

    energy = check_energy(net, x)
    by_name = {r.layer: r for r in energy.rows}
    e_in, e_out = float(u.pow(2).sum()), float(layer(u).pow(2).sum())
    assert by_name["2"].input_energy == pytest.approx(e_in, rel=1e-12)
    assert by_name["2"].output_energy == pytest.approx(e_out, rel=1e-12)
    assert by_name["2"].ratio == pytest.approx(e_out / e_in, rel=1e-12) and by_name["2"].passed is None
    assert by_name["0"].ratio == pytest.approx(0.25, rel=1e-12) and by_name["0"].passed
    assert by_name["1"].lower_bound == 0.0 and by_name["1"].upper_bound == 1.0


def test_verify_model_collects_the_three_reports():
    x = torch.randn(2, 16, 5, 5)
    report = verify_model(_net(), x)
    assert isinstance(report, VerificationReport)
    assert report.equivariance.first_failure().layer == "2"
    assert report.energy.passed and report.certificates.passed
    assert not report.passed
    assert [r.status for r in report.certificates.rows] == ["proved", "not applicable", "proved"]
    good = verify_model(nn.Sequential(Scale(0.5), nn.ReLU()), x)
    assert good.passed and good.info["input shape"] == "2x16x5x5"
    only = verify_model(_net(), x, energy=False, certificates=False)
    assert only.energy is None and only.certificates is None and len(only.reports()) == 1


def test_text_markdown_and_terminal_rendering():
    report = verify_model(_net(), torch.randn(1, 16, 5, 5))
    text = report.to_text()
    assert "equivariance" in text and "certificate" in text and "verification: FAIL" in text
    assert "seconds" not in text  # timings stay in the JSON only
    md = report.to_markdown()
    assert md.startswith("## verification: FAIL") and md.count("### ") == 3
    table = md.split("### equivariance")[1].split("\n\n")[1].splitlines()
    assert len(table) == 2 + 4 and len({line.count("|") for line in table}) == 1
    buf = io.StringIO()
    report.show(file=buf, use_rich=False)
    assert buf.getvalue().startswith("model: Sequential") and "verification: FAIL" in buf.getvalue()


def test_rich_rendering():
    pytest.importorskip("rich")
    report = check_equivariance(_net(), torch.randn(1, 16, 5, 5))
    buf = io.StringIO()
    report.show(file=buf, use_rich=True)
    text = buf.getvalue()
    assert "Weighted" in text and "FAIL" in text and "D4[2 x regular]" in text  # types are not markup


def test_json_round_trip_of_every_report_kind(tmp_path):
    x = torch.randn(2, 16, 5, 5)
    report = verify_model(_net(), x)
    for part in report.reports():
        back = Report.from_json(part.to_json())
        assert back.rows == part.rows and back.title == part.title and back.passed == part.passed
        assert type(back.rows[0]) is type(part.rows[0])
    path = tmp_path / "all.json"
    report.to_json(str(path))
    data = json.loads(path.read_text())
    assert data["passed"] is False and data["equivariance"]["row_type"] == "EquivarianceRow"
    back = VerificationReport.from_json(path.read_text())
    assert back.equivariance.rows == report.equivariance.rows
    assert back.energy.rows == report.energy.rows
    assert back.certificates.rows == report.certificates.rows
    assert back.passed == report.passed and back.info == report.info
    empty = Report(title="certificate")
    assert Report.from_json(empty.to_json()).rows == []
    with pytest.raises(ValueError, match="unknown row type"):
        Report.from_dict({"title": "t", "rows": [{}], "row_type": "Nope"})


def test_report_failures_and_status_semantics():
    rows = [
        CertificateRow("a", "K", "proved", "ok"),
        CertificateRow("b", "K", "not applicable", "no description"),
        CertificateRow("c", "K", "failed", "violated"),
    ]
    r = Report(title="certificate", rows=rows)
    assert not r.passed and r.first_failure().layer == "c" and len(r.failures()) == 1
    assert Report(title="certificate", rows=rows[:2]).passed


def test_plots():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    report = verify_model(_net(), torch.randn(1, 16, 5, 5))
    axes = report.plot()
    assert len(axes) == 3 and [a.get_title() for a in axes] == ["equivariance", "energy", "certificate"]
    import matplotlib.pyplot as plt

    plt.close("all")


def test_certify_on_a_model_without_descriptions():
    report = certify(nn.Sequential(Weighted()))
    assert report.rows[0].status == "not applicable" and report.passed
