"""Smoke test: the S^2 -> SO(3) -> SO(3) example runs and its network is equivariant."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("groupconv.groups.spatial")

ROOT = Path(__file__).resolve().parents[2]


def test_s2_so3_example_runs(capsys):
    spec = importlib.util.spec_from_file_location("s2_so3_network", ROOT / "examples" / "s2_so3_network.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(bandwidth=2, n_samples=3) <= 1e-10
    out = capsys.readouterr().out
    assert "result: pass" in out and "invariance error" in out
