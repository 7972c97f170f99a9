"""Small typed models shared by the tests of groupconv.verify: toy layers on regular fields of D4 with a
known verdict, a network of groupconv's own image layers with an optional planted defect, and a network of
SO(3) fields on 9^3 volumes with an optional planted defect."""

from __future__ import annotations

import torch
from torch import nn

from groupconv.groups import SO3, Dihedral
from groupconv.nn import (
    BlurPool3d,
    FieldBatchNorm,
    FieldType,
    GlobalPool3d,
    GroupConv2d,
    LiftingConv2d,
    NormNonlinearity,
    NormPooling,
)
from groupconv.nn.field_type import cube_symmetries
from groupconv.reps import irrep, regular, trivial

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


# -- volumes --------------------------------------------------------------------------------------------------
SO3_GROUP = SO3()
#: SO(3) fields on volumes: a scalar, a vector (l = 1) and an l = 2 field
VOLUME_TYPE = FieldType(SO3_GROUP, [irrep(SO3_GROUP, 0), irrep(SO3_GROUP, 1), irrep(SO3_GROUP, 2)])


class Stencil3d(nn.Module):
    """The same 3x3x3 stencil on every channel of an SO(3) field: equivariant under the 24 rotations of the
    cube (a cube-symmetric binomial stencil); ``planted`` perturbs one entry, which breaks that symmetry."""

    def __init__(self, field_type, planted: bool = False):
        super().__init__()
        self.in_type = self.out_type = field_type
        b = torch.tensor([1.0, 2.0, 1.0], dtype=torch.float64) / 4
        k = b[:, None, None] * b[None, :, None] * b[None, None, :]
        if planted:
            k[0, 0, 1] += 0.05
        self.register_buffer("k", k.expand(field_type.size, 1, 3, 3, 3).clone(), persistent=False)

    def forward(self, x):
        return nn.functional.conv3d(x, self.k.to(x.dtype), padding=1, groups=x.shape[1])


class CubeOnlyProjection(nn.Module):
    """Projects every l = 2 field of SO(3) onto its E component under the cube rotations (l = 2 restricts
    to O as E + T2): a linear map that commutes with the 24 cube rotations but with no other rotation, a
    defect only the approximate tier can see."""

    def __init__(self, field_type):
        super().__init__()
        self.in_type = self.out_type = field_type
        rho = irrep(SO3_GROUP, 2)
        a = torch.randn(5, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
        mats = rho(cube_symmetries(), dtype=torch.float64)
        twirled = torch.einsum("gij,jk,glk->il", mats, a + a.T, mats) / len(mats)
        values, vectors = torch.linalg.eigh(twirled)
        # the E component is the eigenspace of multiplicity 2 of the commuting twirl (T2 has 3)
        e = vectors[:, 3:] if (values[2] - values[0]).abs() < 1e-9 else vectors[:, :2]
        self.register_buffer("projection", e @ e.T, persistent=False)

    def forward(self, x):
        n = x.shape[1] // 5
        fields = x.reshape((x.shape[0], n, 5) + x.shape[2:])
        return torch.einsum("ij,bnj...->bni...", self.projection.to(x.dtype), fields).reshape(x.shape)


def volume_network(planted: bool = False) -> nn.Sequential:
    """9^3 volumes of SO(3) fields: stencil, batch norm, norm nonlinearity, stencil (layer "3", the planted
    one when ``planted``), strided blur-pool, norm pooling to invariants, global pooling."""
    t = VOLUME_TYPE
    invariants = FieldType(SO3_GROUP, [trivial(SO3_GROUP)] * len(t))
    return nn.Sequential(
        Stencil3d(t),
        FieldBatchNorm(t, spatial_dims=3),
        NormNonlinearity(t, spatial_dims=3),
        Stencil3d(t, planted=planted),
        BlurPool3d(t),
        NormPooling(t, spatial_dims=3),
        GlobalPool3d(invariants),
    )


def volume_input(size: int = 9, dtype=torch.float64) -> torch.Tensor:
    return torch.randn(
        2, VOLUME_TYPE.size, size, size, size, dtype=dtype, generator=torch.Generator().manual_seed(3)
    )


class PerturbedConv3d(nn.Module):
    """A 3D convolution's expanded filter with one entry moved by ``eps`` times the filter's largest entry
    (the planted defect of :func:`conv3d_network`)."""

    def __init__(self, conv, eps: float):
        super().__init__()
        self.in_type, self.out_type = conv.in_type, conv.out_type
        w, b = conv.expand_filter()
        w = w.detach().clone()
        w[0, 0, 0, 0, 1] += eps * w.abs().max()
        self.weight = nn.Parameter(w)
        self.bias = None if b is None else nn.Parameter(b.detach().clone())
        self.padding = conv.padding

    def forward(self, x):
        return nn.functional.conv3d(x, self.weight, self.bias, padding=self.padding)


def conv3d_network(planted: bool = False) -> nn.Sequential:
    """Steerable convolutions of SO(3) fields (scalars and vectors) on 9^3 volumes with a norm nonlinearity,
    blur-pooling and norm pooling; layer "3" (the second convolution) has one filter entry moved by 5%
    when ``planted``."""
    from groupconv.nn import SteerableConv3d

    g = SO3_GROUP
    scalar = FieldType(g, [trivial(g)])
    hidden = FieldType(g, [trivial(g), irrep(g, 1)])
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # a float64 basis: exact to rounding under the cube rotations
    try:
        torch.manual_seed(0)
        first = SteerableConv3d(scalar, hidden, 3, padding=1, bias=False)
        second = SteerableConv3d(hidden, hidden, 3, padding=1, bias=False)
    finally:
        torch.set_default_dtype(default)
    return nn.Sequential(
        first,
        NormNonlinearity(hidden, spatial_dims=3),
        BlurPool3d(hidden),
        PerturbedConv3d(second, 0.05) if planted else second,
        NormPooling(hidden, spatial_dims=3),
    )
