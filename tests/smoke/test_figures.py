"""scripts/make_figures.py draws valid PNGs: a few cheap figures in their smoke versions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("skimage")

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "make_figures.py"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_smoke_figures_are_png_files(tmp_path):
    names = ["kernel_bases", "littlewood_paley", "benchmark_ratios", "reproduce_recorded"]
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path), "--smoke", "--only", *names],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    expected = ["kernel_bases", "littlewood_paley", "benchmark_ratios", "reproduce_linear_regions"]
    for name in expected:
        data = (tmp_path / f"{name}.png").read_bytes()
        assert data[:8] == PNG_SIGNATURE, name
        # IHDR: width and height of a drawn figure, not an empty canvas
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert width > 200 and height > 150, (name, width, height)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.png" for n in expected)


def test_unknown_figure_name_is_refused(tmp_path):
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path), "--only", "no_such_figure"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2 and "invalid choice: 'no_such_figure'" in run.stderr
