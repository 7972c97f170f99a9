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
    assert "result: pass" in out
    # the count the script states is the count the report tried: 24 cube rotations and 3 Haar samples
    assert "invariance error of the read-out over 27 rotations (24 of the cube, 3 random)" in out
    rows = [line.split() for line in out.splitlines() if line.startswith("conv") or line.startswith("act")]
    assert len(rows) == 5 and all("27" in row for row in rows)
