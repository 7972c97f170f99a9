"""Small typed models shared by the tests of groupconv.verify: toy layers on regular fields of D4 with a
known verdict, and a network of groupconv's own image layers with an optional planted defect."""

from __future__ import annotations

import torch
from torch import nn

from groupconv.groups import Dihedral
from groupconv.nn import FieldType, GroupConv2d, LiftingConv2d
from groupconv.reps import regular, trivial

G = Dihedral(4)
REG = FieldType(G, [regular(G)])
REG2 = FieldType(G, [regular(G)] * 2)
TRIV = FieldType(G, [trivial(G)])


class Mix(nn.Module):
    """Equivariant: mixes each regular field with its group average, pointwise in space."""

    def __init__(self, scale=0.5):
        super().__init__()
        self.in_type, self.out_type = REG, REG
        self.scale = nn.Parameter(torch.tensor(scale))

    def forward(self, x):
        return x + self.scale * x.mean(1, keepdim=True)


class Planted(Mix):
    """Not equivariant: weights the group axis."""

    def forward(self, x):
        return x * torch.arange(1.0, 9.0, dtype=x.dtype, device=x.device)[None, :, None, None]


class Blur(nn.Module):
    """Equivariant 3x3 blur with a D4-invariant stencil (same on every channel)."""

    def __init__(self):
        super().__init__()
        self.in_type, self.out_type = REG, REG
        k = torch.tensor([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]) / 16
        self.register_buffer("k", k[None, None].repeat(8, 1, 1, 1), persistent=False)

    def forward(self, x):
        return nn.functional.conv2d(x, self.k.to(x.dtype), padding=1, groups=8)


class Scale(nn.Module):
    """Equivariant on two regular fields, with known frame bounds (gain^2, gain^2) and a certificate."""

    def __init__(self, gain: float):
        super().__init__()
        self.in_type = self.out_type = REG2
        self.gain = gain

    def frame_bounds(self):
        return self.gain**2, self.gain**2

    def forward(self, x):
        return self.gain * x

    def certificate(self):
        return ("proved", "a multiple of the identity commutes with every rho(g)", 0.0)


class Weighted(nn.Module):
    """Not equivariant: weights the group axis of each of two regular fields."""

    def __init__(self):
        super().__init__()
        self.in_type = self.out_type = REG2

    def forward(self, x):
        w = torch.arange(1.0, 17.0, dtype=x.dtype, device=x.device)
        return x * w[None, :, None, None]


def scale_network():
    """Scale, an untyped ReLU, the non-equivariant Weighted at layer "2", Scale."""
    return nn.Sequential(Scale(0.5), nn.ReLU(), Weighted(), Scale(2.0))


class TypedReLU(nn.ReLU):
    def __init__(self, field_type):
        super().__init__()
        self.in_type = self.out_type = field_type


class PlantedMixer(nn.Module):
    """Claims to map regular fields to regular fields but mixes only the first two group channels."""

    def __init__(self, field_type):
        super().__init__()
        self.in_type = self.out_type = field_type

    def forward(self, x):
        y = x.clone()
        y[:, 0] = x[:, 0] + 0.5 * x[:, 1]
        return y


def real_network(planted: bool):
    """Lifting and group convolutions of D4 (bias-free) with typed ReLUs; layer "3" is a PlantedMixer when
    ``planted``."""
    torch.manual_seed(0)
    lift = LiftingConv2d.from_channels(G, 1, 2, 3, padding=1, bias=False)
    conv1 = GroupConv2d.from_channels(G, 2, 2, 3, padding=1, bias=False)
    conv2 = GroupConv2d.from_channels(G, 2, 2, 3, padding=1, bias=False)
    middle = PlantedMixer(conv1.out_type) if planted else TypedReLU(conv1.out_type)
    return nn.Sequential(lift, TypedReLU(lift.out_type), conv1, middle, conv2)
