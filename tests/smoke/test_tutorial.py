"""The tutorial page shows the tutorial script's code, and the script runs (in its smoke form)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "tutorial.py"
PAGE = ROOT / "docs" / "tutorial.md"


def test_every_block_of_the_page_is_in_the_script():
    script = SCRIPT.read_text()
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.S)
    assert len(blocks) >= 8
    for block in blocks:
        assert block.strip() in script, block[:200]


def test_the_tutorial_runs(capsys):
    spec = importlib.util.spec_from_file_location("groupconv_tutorial", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = module.main(["--smoke"])
    out = capsys.readouterr().out
    for step in ("1. a C8-equivariant CNN", "2. checking", "3. export", "4. scattering", "5. a Fourier"):
        assert step in out
    assert results["verified"] is True
    assert results["export_difference"] < 1e-4
    assert "certificate: proved" in out
