"""The pytest file of docs/testing.md passes, with the plugin's fixture values."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]


def _pytest_file_block() -> str:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "testing.md").read_text(), flags=re.S)
    (block,) = [b for b in blocks if "def test_equivariant(" in b]
    return block


def test_the_documented_test_file_passes_and_catches_a_planted_layer():
    ns: dict = {"__name__": "test_my_model"}
    exec(compile(_pytest_file_block(), "docs/testing.md", "exec"), ns)
    for dtype, tol in ((torch.float64, (1e-12, 1e-10)), (torch.float32, (1e-7, 1e-5))):
        ns["test_equivariant"](dtype, tol, "cpu")
    ns["test_energy"]()
    ns["test_certified"]()

    class Planted(torch.nn.Module):
        def __init__(self, field_type):
            super().__init__()
            self.in_type = self.out_type = field_type

        def forward(self, x):
            return x * torch.arange(1.0, x.shape[1] + 1, dtype=x.dtype)[None, :, None, None]

    build = ns["build_model"]
    ns["build_model"] = lambda: build().append(Planted(build()[2].out_type))
    with pytest.raises(
        AssertionError, match=r"layer '3' \(Planted\) is not equivariant under D4 \(exact tier\)"
    ):
        ns["test_equivariant"](torch.float64, (1e-12, 1e-10), "cpu")
