"""``groupconv verify`` and ``groupconv demo``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from groupconv.cli import main
from groupconv.verify import VerificationReport

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = str(ROOT / "examples" / "verify_model.py")


def test_verify_file_path_form_writes_json_and_markdown(tmp_path, capsys):
    out, md = tmp_path / "r.json", tmp_path / "r.md"
    assert main(["verify", f"{EXAMPLE}:build", "--json", str(out), "--markdown", str(md)]) == 0
    text = capsys.readouterr().out
    assert "LiftingConv2d" in text and "verification: pass" in text
    report = VerificationReport.from_json(out.read_text())
    assert report.passed and [r.layer for r in report.equivariance.rows] == [
        "0",
        "1",
        "2",
        "3",
        "4",
        "(model)",
    ]
    assert [report.certificates.rows[i].status for i in (0, 2)] == ["proved", "proved"]
    assert json.loads(out.read_text())["info"]["input shape"] == "2x1x17x17"  # the model's example_input()
    assert md.read_text().startswith("## verification: pass")


def test_verify_module_path_form_and_failing_model(monkeypatch, tmp_path, capsys):
    monkeypatch.syspath_prepend(str(ROOT))
    assert (
        main(["verify", "examples.verify_model:build", "--input-shape", "1,1,9,9", "--dtype", "float32"]) == 0
    )
    assert "input shape: 1x1x9x9" in capsys.readouterr().out
    out = tmp_path / "bad.json"
    assert main(["verify", "examples.verify_model:build_broken", "--json", str(out)]) == 1
    report = VerificationReport.from_json(out.read_text())
    assert report.equivariance.first_failure().kind == "PlantedShift"
    assert [r.passed for r in report.equivariance.rows] == [True] * 5 + [False, False]  # layer 5, model


def test_verify_plain_torch_model_with_group(capsys):
    # nn.Identity is trivially D4-equivariant on scalar fields; a random Linear over the width is not
    assert main(["verify", "torch.nn:Identity", "--group", "D4", "--input-shape", "1,2,6,6"]) == 0
    assert "verification: pass" in capsys.readouterr().out
    assert main(["verify", "torch.nn:Identity", "--input-shape", "1,2,6,6"]) == 2
    assert "pass --group" in capsys.readouterr().err


def test_verify_bad_targets(capsys):
    assert main(["verify", "no_such_module_xyz:f"]) == 2
    assert main(["verify", "missing/file.py:f"]) == 2
    assert main(["verify", f"{EXAMPLE}:nothing"]) == 2
    assert main(["verify", "examples"]) == 2
    err = capsys.readouterr().err
    assert "no such file" in err and "has no attribute 'nothing'" in err and "PACKAGE.MODULE:FACTORY" in err
    assert main(["verify", f"{EXAMPLE}:build", "--input-shape", "1,x"]) == 2


def test_demo_verifies_the_d4_network_on_the_camera_image(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "100")
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "camera image" in out and out.count("verification: pass") == 3 and "proved" in out
    assert "RotoTranslationScattering" in out and "[identity]" in out
    # the plain demo once printed lines of 247 characters
    assert max(len(line) for line in out.splitlines()) <= 100
    # the long note of the Parseval layer is written in full under its row
    assert "    note: ||f||^2 = sum_(n<2) |||Phi^n f|||^2 + W_2 f;" in out


@pytest.mark.parametrize("columns", [80, 100, 200])
def test_verify_fits_the_terminal_and_drops_no_column(monkeypatch, capsys, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    assert main(["verify", f"{EXAMPLE}:build"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= columns
    # headers are whole words (at 100 columns rich once cut them to "lay", "D" and "pas")
    for stub in ("lay", "pas", "D", "toleran", "ki"):
        assert not re.search(rf"(^|[\s┃│]){stub}([\s┃│…]|$)", out, flags=re.M), stub
    for header in ("layer", "kind", "tolerance", "passed", "status", "ratio"):
        assert re.search(rf"(^|[\s┃│]){header}([\s┃│:]|$)", out, flags=re.M), header
    # the notes and reasons are on the page, wrapped or under their rows, not dropped
    flat = " ".join(out.replace("│", " ").replace("┃", " ").split())
    assert "float64 floor: atol 1e-12 + rtol 1e-10" in flat
    assert "per-sample ratio in [" in flat
    assert "index map of 100 weights satisfies the constraint exactly" in flat
    assert "D4[4 x irrep(0,0)]" in flat


def test_bundled_image_matches_skimage():
    import numpy as np

    from groupconv._demo import demo_image

    img = demo_image()
    assert img.shape == (1, 1, 32, 32) and 0 <= float(img.min()) and float(img.max()) <= 1
    skimage_data = pytest.importorskip("skimage.data")
    from importlib import resources

    with resources.files("groupconv.data").joinpath("camera32.npy").open("rb") as fh:
        bundled = np.load(fh).astype(np.float64)
    ref = skimage_data.camera().astype(np.float64).reshape(32, 16, 32, 16).mean((1, 3))
    assert np.abs(bundled - ref).max() <= 0.5


def test_verify_reports_a_bad_input_shape(capsys):
    assert main(["verify", f"{EXAMPLE}:build", "--input-shape", "1,3,9,9"]) == 2
    assert "shape (batch, 1, H, W)" in capsys.readouterr().err


def test_verify_untyped_layers_warn_by_default_and_fail_with_the_option(tmp_path, capsys):
    model_file = tmp_path / "untyped_model.py"
    model_file.write_text(
        "import torch\n"
        "from torch import nn\n"
        "from groupconv.groups import Dihedral\n"
        "from groupconv.nn import LiftingConv2d, GroupPooling\n"
        "def build():\n"
        "    lift = LiftingConv2d.from_channels(Dihedral(4), 1, 2, 3, padding=1)\n"
        "    return nn.Sequential(lift, GroupPooling(lift.out_type), nn.Conv2d(2, 2, 3, padding=1))\n"
        "def example_input():\n"
        "    return torch.randn(1, 1, 9, 9)\n"
    )
    with pytest.warns(UserWarning, match="no in_type"):
        assert main(["verify", f"{model_file}:build", "--input-shape", "1,1,9,9"]) == 0
    assert "not checked" in capsys.readouterr().out
    with pytest.warns(UserWarning, match="no in_type"):
        assert main(["verify", f"{model_file}:build", "--input-shape", "1,1,9,9", "--untyped", "fail"]) == 1
