"""Reports of the three checks and of verify_model: agreement with direct computation, rendering,
JSON round trips, plots."""

from __future__ import annotations

import io
import json

import pytest
import torch
from _verify_models import REG2, Mix, Planted, scale_network
from torch import nn

from groupconv.verify import (
    CertificateRow,
    Report,
    VerificationReport,
    check_energy,
    check_equivariance,
    verify_model,
)


def test_rows_agree_with_direct_computation():
    torch.manual_seed(0)
    x = torch.randn(3, 16, 6, 6, dtype=torch.float64)
    net = scale_network()
    with pytest.warns(UserWarning, match="layer '1' \\(ReLU\\) has no in_type/out_type"):
        report = check_equivariance(net, x)
    # layer 2 sees relu(0.5 x); its error is max_g |L(g.u) - g.L(u)| computed by hand
    u = torch.relu(0.5 * x)
    layer = net[2]
    direct = max(
        float((layer(REG2.transform(u, g)) - REG2.transform(layer(u), g)).abs().max()) for g in range(8)
    )
    # the untyped ReLU is a row that says it was not checked
    assert [r.layer for r in report.rows] == ["0", "1", "2", "3"]
    assert report.rows[1].tier == "not checked" and report.rows[1].passed is None
    assert "no type" in report.rows[1].reason
    row = report.rows[2]
    assert row.layer == "2" and row.kind == "Weighted" and row.group == "D4"
    assert row.in_type == repr(REG2) and row.out_type == repr(REG2) and row.elements_tried == 8
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


def test_text_markdown_and_terminal_rendering():
    report = verify_model(scale_network(), torch.randn(1, 16, 5, 5))
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
    report = check_equivariance(scale_network(), torch.randn(1, 16, 5, 5))
    buf = io.StringIO()
    report.show(file=buf, use_rich=True)
    text = buf.getvalue()
    assert "Weighted" in text and "FAIL" in text and "D4[2 x regular]" in text  # types are not markup


def test_json_round_trip_of_every_report_kind(tmp_path):
    x = torch.randn(2, 16, 5, 5)
    report = verify_model(scale_network(), x)
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
    report = verify_model(scale_network(), torch.randn(1, 16, 5, 5))
    axes = report.plot()
    assert len(axes) == 3 and [a.get_title() for a in axes] == ["equivariance", "energy", "certificate"]
    import matplotlib.pyplot as plt

    plt.close("all")


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


@pytest.mark.parametrize("use_rich", [False, True])
@pytest.mark.parametrize("columns", [80, 100, 200])
def test_show_fits_the_terminal_width(monkeypatch, use_rich, columns):
    if use_rich:
        pytest.importorskip("rich")
    monkeypatch.setenv("COLUMNS", str(columns))
    report = verify_model(scale_network(), torch.randn(1, 16, 5, 5))
    buf = io.StringIO()
    report.show(file=buf, use_rich=use_rich)
    text = buf.getvalue()
    assert max(len(line) for line in text.splitlines()) <= columns
    assert "verification: FAIL" in text and "Weighted" in text
    fitted = report.to_text(width=columns)
    assert max(len(line) for line in fitted.splitlines()) <= columns
    # the text of every row, wrapped or moved under its row, none dropped
    shown = set(fitted.split())
    for part in report.reports():
        for row in part.rows:
            for name in ("kind", "in_type", "out_type", "reason", "note"):
                for word in str(getattr(row, name, "")).split():
                    assert word in shown, (name, word, fitted)
