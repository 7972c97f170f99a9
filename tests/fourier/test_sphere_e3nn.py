"""The sphere transforms against e3nn's grid transforms (``e3nn.o3.ToS2Grid`` / ``FromS2Grid``), when e3nn is
installed (it is not a dependency).

The change of basis: e3nn measures ``beta`` from its y axis and orders the degree-1 harmonics
``(x, y, z)``; groupconv measures it from z with ``Y_1 = sqrt 3 (y, z, x)``. Relabelling e3nn's axes
``(x, y, z) -> (y, z, x)`` maps its equiangular grid point ``(alpha, beta)`` onto groupconv's Driscoll-Healy
point ``(alpha, beta)`` and its real harmonics onto groupconv's, index for index. What remains is a scale
per degree: e3nn's ``component`` grid signal is ``sum_l c_l . Y_l / sqrt((2l+1)(l_max+1))`` and groupconv's
inverse transform ``sum_l (2l+1) a_l . Y_l / sqrt(2l+1)``, so ``c_l = (2l+1) sqrt(l_max+1) a_l``.
"""

from __future__ import annotations

import math

import pytest
import torch

e3nn_o3 = pytest.importorskip("e3nn.o3")

from groupconv.fourier import S2FFT  # noqa: E402


@pytest.fixture(autouse=True)
def _float64_default():
    """e3nn builds its quadrature weights in the default dtype, whatever its ``dtype`` argument."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def _scale(B: int) -> torch.Tensor:
    return torch.cat(
        [torch.full((2 * l + 1,), (2 * l + 1) * math.sqrt(B), dtype=torch.float64) for l in range(B)]
    )


@pytest.mark.parametrize("B", [8, 17])
def test_inverse_transform_matches_to_s2_grid(B):
    t = S2FFT(B, "dh").double()
    a = torch.randn(3, B * B, dtype=torch.float64, generator=torch.Generator().manual_seed(B))
    to_grid = e3nn_o3.ToS2Grid(B - 1, (2 * B, 2 * B), normalization="component", dtype=torch.float64)
    ref = to_grid(a * _scale(B))
    ours = t.inverse(a)
    assert (ours - ref).abs().max() <= 1e-10 * ref.abs().max()


@pytest.mark.parametrize("B", [8, 17])
def test_forward_transform_matches_from_s2_grid(B):
    t = S2FFT(B, "dh").double()
    f = t.inverse(torch.randn(2, B * B, dtype=torch.float64, generator=torch.Generator().manual_seed(B + 1)))
    from_grid = e3nn_o3.FromS2Grid((2 * B, 2 * B), B - 1, normalization="component", dtype=torch.float64)
    ref = from_grid(f) / _scale(B)
    assert (t(f) - ref).abs().max() <= 1e-10 * ref.abs().max()
