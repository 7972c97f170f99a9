"""The pytest plugin's fixtures: float dtypes, the tolerances that go with them, devices."""

from __future__ import annotations

import torch

from groupconv.verify import default_tolerances


def test_plugin_fixtures(float_dtype, equivariance_tolerance, device):
    atol, rtol = equivariance_tolerance
    assert float_dtype in (torch.float32, torch.float64)
    assert (atol < 1e-9) == (float_dtype == torch.float64)
    x = torch.randn(4, 8, dtype=float_dtype, device=device)
    assert x.dtype == float_dtype


def test_the_tolerance_is_the_checkers_default_for_the_dtype(float_dtype, equivariance_tolerance):
    assert equivariance_tolerance == default_tolerances(float_dtype)


def test_float_dtype_runs_a_test_in_float32_and_in_float64(request):
    runs = [
        item.name
        for item in request.session.items
        if getattr(item, "originalname", None) == "test_the_tolerance_is_the_checkers_default_for_the_dtype"
    ]
    assert sorted(runs) == [
        "test_the_tolerance_is_the_checkers_default_for_the_dtype[float32]",
        "test_the_tolerance_is_the_checkers_default_for_the_dtype[float64]",
    ]


def test_device_includes_the_cpu(device):
    assert torch.device(device).type in ("cpu", "cuda")
    if device == "cuda":
        assert torch.cuda.is_available()


def test_the_fixtures_drive_a_volume_layer(float_dtype, equivariance_tolerance, device):
    """A 3D layer checked at the tolerance the fixtures give for the dtype, on the device."""
    from groupconv.groups import Octahedral
    from groupconv.nn import FieldType, MaxPool3d
    from groupconv.reps import regular
    from groupconv.verify import check_equivariance

    O = Octahedral()
    t = FieldType(O, [regular(O)])
    x = torch.randn(1, 24, 5, 5, 5, dtype=float_dtype, device=device)
    atol, rtol = equivariance_tolerance
    report = check_equivariance(MaxPool3d(t).to(device), x, dtype=float_dtype, atol=atol, rtol=rtol)
    assert report.passed and report.rows[0].elements_tried == 24
