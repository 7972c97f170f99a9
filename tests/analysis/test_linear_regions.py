"""Linear-region bounds (Serra, Tjandraatmadja & Ramalingam, ICML 2018) and exact counts."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from groupconv.analysis import linear_regions as lr


def _net(n0, widths, seed):
    g = torch.Generator().manual_seed(seed)
    layers, d = [], n0
    for n in widths:
        layers.append(
            (
                torch.randn(n, d, generator=g, dtype=torch.float64),
                torch.randn(n, generator=g, dtype=torch.float64),
            )
        )
        d = n
    layers.append((torch.randn(1, d, generator=g, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)))
    return layers


def test_upper_bound_by_hand():
    # n0 = 2, widths (2, 2): J = {(j1, j2): j1 <= min(2, 2) = 2, j2 <= min(2, 2 - j1, 2)}
    #   j1 = 0 (C(2,0) = 1): j2 in {0, 1, 2} -> 1 + 2 + 1 = 4      -> 4
    #   j1 = 1 (C(2,1) = 2): j2 in {0, 1}    -> 1 + 2     = 3      -> 6
    #   j1 = 2 (C(2,2) = 1): j2 in {0}       -> 1                  -> 1      total 11
    assert lr.upper_bound(2, [2, 2]) == 11
    # Montufar 2017: d_1 = d_2 = 2 -> (1 + 2 + 1) * (1 + 2 + 1) = 16
    assert lr.montufar_bound(2, [2, 2]) == 16
    # n0 = 1, widths (2, 2): j_l in {0, 1}, all four tuples admissible -> (1 + 2) * (1 + 2) = 9
    assert lr.upper_bound(1, [2, 2]) == 9
    # n0 = 1, widths (1, 3): j1 <= 1; j2 <= min(1, 1 - j1, 3): j1 = 0 -> j2 in {0,1}: 1 * (1 + 3) = 4;
    #   j1 = 1 -> j2 = 0: 1 * 1 = 1; total 5 (the width-1 bottleneck caps the count)
    assert lr.upper_bound(1, [1, 3]) == 5
    # one layer: Zaslavsky, sum_{j <= min(n0, n1)} C(n1, j): n0 = 2, n1 = 4 -> 1 + 4 + 6 = 11
    assert lr.upper_bound(2, [4]) == 11
    # rank refinement: n0 = 3, widths (3, 3) with rank(W^1) = 1 behaves like n0 = 1 after layer 1:
    #   j1 <= 1 -> j1 = 0: j2 <= min(1, 3) -> 1 + 3 = 4; j1 = 1 (C(3,1) = 3): j2 <= min(1, 2) -> 4 * 3 = 12
    #   total 16
    assert lr.upper_bound(3, [3, 3], ranks=[1, 3]) == 16
    assert lr.upper_bound(3, [3, 3], ranks=[3, 3]) == lr.upper_bound(3, [3, 3])


def test_lower_bound_by_hand_and_order():
    # n0 = 1, widths (3, 4): (floor(3/1) + 1)^1 * (C(4,0) + C(4,1)) = 4 * 5 = 20
    assert lr.lower_bound(1, [3, 4]) == 20
    # n0 = 2, widths (6, 6): (floor(6/2) + 1)^2 * (1 + 6 + 15) = 16 * 22 = 352
    assert lr.lower_bound(2, [6, 6]) == 352
    with pytest.raises(ValueError, match="3 \\* n0"):
        lr.lower_bound(2, [5, 6])
    for n0, widths in [(1, [3, 3, 3]), (2, [6, 7]), (2, [6, 6, 8]), (3, [9, 10])]:
        assert lr.lower_bound(n0, widths) <= lr.upper_bound(n0, widths) <= lr.montufar_bound(n0, widths)


def test_max_regions_1d_is_attained():
    for widths in ([3], [3, 3], [4, 5], [3, 4, 5], [6, 3]):
        value = lr.max_regions_1d(widths)
        assert value == math.prod(n + 1 for n in widths)
        assert lr.count_regions_1d(lr.lower_bound_network_1d(widths), (0.0, 1.0)).count == value
    with pytest.raises(ValueError):
        lr.max_regions_1d([2, 3])


@pytest.mark.parametrize("seed", range(2))
def test_exact_1d_matches_sampling_and_bound(seed):
    widths = [4, 5, 3]
    net = _net(1, widths, seed)
    exact = lr.count_regions_1d(net, (-4.0, 4.0))
    coarse = lr.count_patterns_sampled(net, np.linspace(-4, 4, 200)[:, None])
    fine = lr.count_patterns_sampled(net, np.linspace(-4, 4, 100_001)[:, None])
    assert coarse <= exact.count
    assert fine == exact.count
    assert exact.count <= lr.upper_bound(1, widths)
    # the interior points carry the reported patterns
    np.testing.assert_array_equal(lr.activation_pattern(net, exact.points), exact.patterns)


@pytest.mark.parametrize("seed", range(2))
def test_exact_2d_matches_sampling_and_bound(seed):
    widths = [4, 3]
    net = _net(2, widths, seed)
    box = (-3.0, 3.0, -3.0, 3.0)
    exact = lr.count_regions_2d(net, box)
    g = np.linspace(-3, 3, 801)
    pts = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
    sampled = lr.count_patterns_sampled(net, pts)
    assert sampled <= exact.count
    # regions thinner than the grid spacing may be missed; they are rare on a generic network
    assert sampled >= exact.count - 1
    assert exact.count <= lr.upper_bound(2, widths)
    assert len({p.tobytes() for p in exact.patterns}) == exact.count
    np.testing.assert_array_equal(lr.activation_pattern(net, exact.points), exact.patterns)


def test_milp_matches_2d_traversal():
    net = _net(2, [3, 3], 5)
    exact = lr.count_regions_2d(net, (-2.0, 2.0, -2.0, 2.0))
    milp = lr.count_regions_milp(net, [(-2.0, 2.0), (-2.0, 2.0)])
    assert exact.count > 4
    assert milp.count == exact.count
    assert {p.tobytes() for p in milp.patterns} == {p.tobytes() for p in exact.patterns}


def test_milp_1d_and_sequential_input():
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(1, 5), torch.nn.ReLU(), torch.nn.Linear(5, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1)
    )
    assert lr.count_regions_milp(net, [(-3.0, 3.0)]).count == lr.count_regions_1d(net, (-3.0, 3.0)).count


def test_bad_input():
    with pytest.raises(ValueError, match="positive integer"):
        lr.upper_bound(0, [3])
    with pytest.raises(ValueError, match="ranks"):
        lr.upper_bound(2, [3, 3], ranks=[2])
    with pytest.raises(TypeError, match="Linear and ReLU"):
        lr.hidden_layers(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1)))
    with pytest.raises(ValueError, match="input dimension 2"):
        lr.count_regions_2d(_net(1, [3], 0))
