"""The documentation's Python examples run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    "README.md",
    "docs/groups.md",
    "docs/spatial.md",
    "docs/fourier.md",
    "docs/layers_nonlinear.md",
    "docs/scattering.md",
    "docs/analysis.md",
    "docs/reproduce_dcfnet.md",
    "docs/reproduce_phase_collapse.md",
    "docs/layers.md",
    "docs/volumes.md",
    "docs/testing.md",
    "docs/verify.md",
    "docs/devices.md",
]


def _blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)


@pytest.mark.parametrize("page", PAGES)
def test_python_blocks_run(page):
    blocks = _blocks(ROOT / page)
    assert blocks, f"{page} has no python example"
    for code in blocks:
        exec(compile(code, f"{page}", "exec"), {"__name__": "__docs__"})


@pytest.mark.parametrize(
    "module", ["groupconv.testing", "groupconv.reps.parse", "groupconv.nn.init", "groupconv.kernels.harmonic"]
)
def test_docstring_examples(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
