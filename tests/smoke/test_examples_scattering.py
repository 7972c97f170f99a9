"""The scattering examples run (smoke mode)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_texture_scattering_smoke(capsys):
    pytest.importorskip("sklearn")
    pytest.importorskip("skimage")
    results = _load("texture_scattering").main(["--smoke"])
    assert set(results) == {"translation scattering", "roto-translation scattering"}
    assert all(0.0 <= v <= 1.0 for v in results.values())
    out = capsys.readouterr().out
    assert "test accuracy" in out
    assert out.startswith("texture scattering: a smoke run (a few seconds), its numbers are not results")
    assert "[1/2] translation scattering: features" in out and "[2/2] roto-translation scattering" in out


def test_energy_propagation_smoke(capsys):
    pytest.importorskip("skimage")
    results = _load("energy_propagation").main(["--smoke"])
    for r in results.values():
        assert r["defect"] < 1e-12
        assert 0 < r["rate"] < 1
    out = capsys.readouterr().out
    assert "Depth needed" in out
    assert out.startswith("energy propagation: a smoke run (a few seconds), its numbers are not results")
    assert "[1/2] wavelets (J=2, L=2): propagating through 3 layers" in out
