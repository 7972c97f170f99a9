"""The module-level assertion helpers of groupconv.testing and the pytest plugin's fixtures."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from groupconv.groups import Dihedral
from groupconv.nn import FieldType
from groupconv.reps import regular
from groupconv.testing import assert_energy_conserved, assert_equivariant, assert_torch_compile

pytest_plugins = ["groupconv.pytest_plugin"]

G = Dihedral(4)
REG = FieldType(G, [regular(G)])


class GroupMean(nn.Module):
    def __init__(self, weighted: bool = False):
        super().__init__()
        self.in_type, self.out_type = REG, REG
        self.weighted = weighted

    def forward(self, x):
        if self.weighted:
            return x * torch.arange(1.0, 9.0, dtype=x.dtype, device=x.device)[None, :, None, None]
        return x.mean(1, keepdim=True).expand_as(x)


def test_assert_equivariant_on_a_module_passes_and_names_the_failing_layer():
    x = torch.randn(2, 8, 5, 5)
    report = assert_equivariant(nn.Sequential(GroupMean(), nn.ReLU()), x)
    assert report.passed
    with pytest.raises(AssertionError, match="layer '1'"):
        assert_equivariant(nn.Sequential(GroupMean(), GroupMean(weighted=True)), x)


def test_assert_energy_conserved_catches_an_expanding_layer():
    x = torch.randn(3, 8, 5, 5)
    assert_energy_conserved(nn.Sequential(nn.ReLU(), nn.Identity()), x)

    class Doubler(nn.Module):
        def frame_bounds(self):
            return (1.0, 1.0)

        def forward(self, u):
            return 2 * u

    with pytest.raises(AssertionError, match="frame bounds"):
        assert_energy_conserved(nn.Sequential(nn.ReLU(), Doubler()), x)


def test_assert_torch_compile_matches_eager():
    torch.manual_seed(0)
    module = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU())
    out = assert_torch_compile(module, torch.randn(2, 3, 6, 6))
    assert out.shape == (2, 4, 6, 6)


def test_plugin_fixtures(float_dtype, equivariance_tolerance, device):
    atol, rtol = equivariance_tolerance
    assert float_dtype in (torch.float32, torch.float64)
    assert (atol < 1e-9) == (float_dtype == torch.float64)
    x = torch.randn(4, 8, dtype=float_dtype, device=device)
    assert x.dtype == float_dtype
