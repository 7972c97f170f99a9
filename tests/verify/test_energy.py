"""Per-layer energy checks: ratios against frame bounds, the scattering energy identity, and how the frame
bounds of a layer are found."""

from __future__ import annotations

import pytest
import torch
from _verify_models import real_network
from torch import nn

from groupconv.proofs import conv_frame_bounds
from groupconv.verify import check_energy, conv2d_frame_bounds, layer_frame_bounds, register_frame_bounds
from groupconv.verify.energy import split_energy_per_layer


def test_energy_report_and_planted_expansion():
    class Contraction(nn.Module):
        def __init__(self, gain):
            super().__init__()
            self.gain = gain

        def frame_bounds(self):
            return 0.0, 1.0

        def forward(self, x):
            return self.gain * x

    net = nn.Sequential(Contraction(0.9), nn.ReLU(), Contraction(1.5))
    report = check_energy(net, torch.randn(3, 2, 8, 8))
    assert [r.passed for r in report.rows] == [True, True, False]
    r0 = report.rows[0]
    assert abs(r0.ratio - 0.81) < 1e-12 and abs(r0.output_energy - 0.81 * r0.input_energy) < 1e-9


def test_energy_bounds_of_bias_free_convolutions_hold_and_an_expansion_fails():
    x = torch.randn(2, 1, 9, 9)
    net = real_network(False)
    report = check_energy(net, x)
    rows = {r.layer: r for r in report.rows}
    assert rows["0"].upper_bound is not None and rows["0"].passed and rows["0"].ratio <= rows["0"].upper_bound

    class Expanding(nn.Module):
        def __init__(self, field_type):
            super().__init__()
            self.in_type = self.out_type = field_type

        def frame_bounds(self):
            return 0.0, 1.0  # claims to be a contraction

        def forward(self, u):
            return 1.2 * u

    net.append(Expanding(net[-1].out_type))
    report = check_energy(net, x)
    assert report.first_failure().layer == "5" and [r.layer for r in report.failures()] == ["5"]


class _Haar(nn.Module):
    """An orthogonal two-band split of a 1D signal (Haar averages and differences), order by order:
    a Parseval scattering-like cascade whose energy_per_layer returns the orders and W_N."""

    def __init__(self, orders: int = 2, leak: float = 1.0):
        super().__init__()
        self.orders, self.leak = orders, leak

    def _split(self, u):
        a, b = u[..., 0::2], u[..., 1::2]
        return (a + b) / 2**0.5, self.leak * (a - b) / 2**0.5

    def energy_per_layer(self, x):
        energies, u = [], x
        for _ in range(self.orders):
            low, u = self._split(u)
            energies.append(low.pow(2).flatten(1).sum(1))
        return {"orders": energies, "remainder": u.pow(2).flatten(1).sum(1)}

    def forward(self, x):
        outs, u = [], x
        for _ in range(self.orders):
            low, u = self._split(u)
            outs.append(low.flatten(1))
        return torch.cat(outs, 1)


def test_scattering_energy_identity_row():
    x = torch.randn(3, 1, 16)
    report = check_energy(_Haar(), x)
    (row,) = report.rows
    assert row.layer == "(model) [identity]" and row.passed
    assert row.output_energy == pytest.approx(row.input_energy, rel=1e-12)
    leaky = check_energy(_Haar(leak=1.1), x)
    assert leaky.rows[0].passed is False and leaky.rows[0].ratio > 1
    # inside a larger model, the scattering submodule's own input is used
    report = check_energy(nn.Sequential(nn.Identity(), _Haar()), x)
    assert [r.layer for r in report.rows] == ["0", "1 [identity]"] and report.passed


def test_split_energy_per_layer_forms():
    orders, rem = split_energy_per_layer([1.0, 2.0, 3.0], batch=1)
    assert [float(o) for o in orders] == [1.0, 2.0] and float(rem) == 3.0
    orders, rem = split_energy_per_layer((torch.ones(2, 4), torch.zeros(4)), batch=4)
    assert len(orders) == 2 and rem.shape == (4,)
    with pytest.raises(ValueError, match="orders"):
        split_energy_per_layer({"remainder": 1.0}, batch=1)


def test_frame_bounds_of_torch_layers_and_of_a_plain_convolution():
    assert layer_frame_bounds(nn.ReLU()) == (0.0, 1.0) and layer_frame_bounds(nn.Tanh()) == (0.0, 1.0)
    assert layer_frame_bounds(nn.Identity()) == (1.0, 1.0) and layer_frame_bounds(nn.Dropout()) == (1.0, 1.0)
    assert layer_frame_bounds(nn.LeakyReLU(0.1)) == (pytest.approx(0.01), 1.0)
    assert layer_frame_bounds(nn.LeakyReLU(2.0)) == (None, None)
    assert layer_frame_bounds(nn.Sigmoid()) == (None, None)
    conv = nn.Conv2d(2, 3, 3, bias=False)
    assert layer_frame_bounds(conv) == (None, conv2d_frame_bounds(conv.weight)[1])
    assert layer_frame_bounds(nn.Conv2d(2, 3, 3)) == (None, None)  # affine: no frame bounds
    assert layer_frame_bounds(nn.Conv2d(2, 3, 3, bias=False, stride=2)) == (None, None)
    # volumes: the exported 3D convolutions have the bound of their filter on the default grid
    conv3 = nn.Conv3d(2, 3, 3, bias=False)
    assert layer_frame_bounds(conv3) == (None, conv_frame_bounds(conv3.weight)[1])
    assert layer_frame_bounds(nn.Conv3d(2, 3, 3, bias=False, stride=(1, 2, 1))) == (None, None)


def test_a_layers_own_frame_bounds_win_and_registered_bounds_reach_subclasses():
    class Halve(nn.Module):
        def forward(self, x):
            return x / 2

    class HalveAgain(Halve):
        pass

    class Claims(nn.ReLU):
        def frame_bounds(self):
            return 1, 1

    register_frame_bounds(Halve, lambda m: (0.25, 0.25))
    assert layer_frame_bounds(Halve()) == (0.25, 0.25) and layer_frame_bounds(HalveAgain()) == (0.25, 0.25)
    assert layer_frame_bounds(Claims()) == (1.0, 1.0)
    report = check_energy(nn.Sequential(HalveAgain()), torch.randn(2, 3))
    assert report.passed and report.rows[0].ratio == pytest.approx(0.25)
    with pytest.raises(TypeError, match="takes a class"):
        register_frame_bounds(Halve(), lambda m: (1, 1))
    with pytest.raises(TypeError, match="callable"):
        register_frame_bounds(Halve, (1, 1))


def test_equivariant_convolutions_give_the_upper_bound_of_their_filter():
    conv = real_network(False)[2]
    lower, upper = layer_frame_bounds(conv)
    w, _ = conv.expand_filter()
    assert lower is None and upper == pytest.approx(conv2d_frame_bounds(w)[1], rel=1e-12)
