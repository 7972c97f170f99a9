"""The verify_model example prints its reports and a verdict for each model when run."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_verify_model_example_prints_reports_and_verdicts(capsys):
    spec = importlib.util.spec_from_file_location("verify_model", ROOT / "examples" / "verify_model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main() == {"build": True, "build_broken": False}
    out = capsys.readouterr().out
    assert "verdict for build(): PASS" in out
    # the planted layer is the sixth (index 5) and the only layer named
    assert (
        "verdict for build_broken(): FAIL: not equivariant at layer 5, so neither is the whole model" in out
    )
    assert out.count("verification: FAIL") == 1 and out.count("verification: pass") == 1
