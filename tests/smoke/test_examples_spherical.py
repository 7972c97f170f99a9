"""The spherical digits example runs end to end in its smoke mode."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_spherical_digits_smoke(capsys, one_thread):
    pytest.importorskip("sklearn")
    spec = importlib.util.spec_from_file_location(
        "spherical_digits", ROOT / "examples" / "spherical_digits.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = module.main(["--smoke", "--seed", "1"])
    out = capsys.readouterr().out
    # equal parameter counts up to the planar network's width granularity
    assert abs(results["params_planar"] - results["params_spherical"]) <= 0.05 * results["params_spherical"]
    assert "| NR/R |" in out and "| R/R |" in out
    assert results["equivariance_passed"] and "result: pass" in out
    for key in ("NR_NR", "NR_R", "R_R"):
        for kind in ("spherical", "planar"):
            assert 0.0 <= results[f"acc_{kind}_{key}"] <= 1.0


def test_projection_rotates_the_signal():
    """``project`` with a rotation ``R`` samples ``f(R^{-1} x)``: a quarter turn about the pole is a shift
    of the longitude index on the Driscoll-Healy grid."""
    spec = importlib.util.spec_from_file_location(
        "spherical_digits", ROOT / "examples" / "spherical_digits.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from groupconv.groups.spatial import SO3

    points = module.sphere_points(8)
    img = torch.rand(1, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    quarter = SO3.from_euler(*torch.tensor([torch.pi / 2, 0.0, 0.0], dtype=torch.float64))
    plain = module.project(img, points, None)
    moved = module.project(img, points, quarter[None])
    assert torch.allclose(moved, torch.roll(plain, 4, dims=-1), atol=1e-5)
    assert plain[..., 8:, :].abs().max() == 0  # the southern hemisphere is empty
