"""Layers and helpers shared by the tests of groupconv.nn.conv (tests/nn/conv/): typical layers of each
kind, the equivariance error on every element of a grid group, band-limited fields evaluated exactly on
rotated coordinates, and the dense expansion the lifted and factorized ones are compared with."""

from __future__ import annotations

import torch

from groupconv.groups import SO2, Cyclic, Dihedral
from groupconv.nn import FieldType, FourierBesselConv2d, GroupConv2d, LiftingConv2d, SteerableConv2d
from groupconv.reps import irrep, regular, trivial


def mixed_type(G):
    return FieldType(G, [regular(G), irrep(G, 1, 1) if isinstance(G, Dihedral) else irrep(G, 1), trivial(G)])


def grid_layers(G):
    mixed = mixed_type(G)
    reg2 = FieldType(G, [regular(G)] * 2)
    return {
        "lifting": LiftingConv2d.from_channels(G, 2, 3, 5, padding=2),
        "group": GroupConv2d.from_channels(G, 2, 2, 3, padding=1),
        "steerable-gaussian": SteerableConv2d(mixed, reg2, 5, padding=2),
        "steerable-bessel": SteerableConv2d(reg2, mixed, 5, padding=2, basis="bessel"),
        "steerable-exact": SteerableConv2d(mixed, mixed, 3, padding=1, basis="exact"),
    }


def all_layers():
    out = dict(grid_layers(Dihedral(4)))
    D8 = Dihedral(8)
    out["steerable-D8"] = SteerableConv2d(
        FieldType(D8, [regular(D8)]), FieldType(D8, [regular(D8)] * 2), 3, padding=1
    )
    out["lifting-C8"] = LiftingConv2d.from_channels(Cyclic(8), 2, 2, 3, padding=1)
    s = SO2()
    out["steerable-SO2"] = SteerableConv2d(
        FieldType(s, [irrep(s, 0), irrep(s, 1)]),
        FieldType(s, [irrep(s, 1), irrep(s, 0)]),
        5,
        padding=2,
        bias=True,
    )
    out["fourier-bessel"] = FourierBesselConv2d(3, 4, 5, num_bases=8, padding=2, stride=2)
    return out


def in_channels(layer):
    return layer.in_type.size


def equivariance_error(layer, x, tin=None, tout=None):
    """``max_g |L(g x) - g L(x)|`` over every element, all elements in one batch."""
    tin = tin or layer.in_type
    tout = tout or layer.out_type
    n = tin.group.order
    with torch.no_grad():
        y = layer(x)
        gx = torch.cat([tin.transform(x, g) for g in range(n)])
        gy = torch.cat([tout.transform(y, g) for g in range(n)])
        err = (layer(gx) - gy).abs().max()
    return float(err), float(y.abs().max())


def smooth_field(ft, g, size=33, s=4.0, seed=0):
    """A sum of Gaussian blobs (std ``s`` pixels) per channel, evaluated exactly at ``g^{-1} x`` and
    acted on by ``rho(g)``: the exact transform of a band-limited field."""
    gen = torch.Generator().manual_seed(seed)
    centers = (torch.rand(ft.size, 4, 2, generator=gen, dtype=torch.float64) - 0.5) * size * 0.5
    amps = torch.randn(ft.size, 4, generator=gen, dtype=torch.float64)
    c = (size - 1) / 2
    i, j = torch.meshgrid(*(torch.arange(size, dtype=torch.float64),) * 2, indexing="ij")
    p = torch.stack([j - c, c - i], -1)
    q = p @ torch.linalg.inv(ft.group.action_matrix(g, dtype=torch.float64)).T
    d2 = ((q[None, None] - centers[:, :, None, None]) ** 2).sum(-1)
    f = (amps[:, :, None, None] * torch.exp(-d2 / (2 * s * s))).sum(1)
    return torch.einsum("cd,dhw->chw", ft.representation(g), f)[None]


def disc(size, frac=0.35):
    c = (size - 1) / 2
    i, j = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    return ((i - c) ** 2 + (j - c) ** 2) <= (frac * size) ** 2


def identity(G):
    return torch.tensor(0) if G.is_finite else G.identity(dtype=torch.float64)


def dense_expansion(conv):
    """The expansion with the dense basis, for comparison with the factorized and lifted ones."""
    ex = conv._expansion
    (factor, lift), ex.factor, ex.lift = (ex.factor, ex.lift), None, None
    try:
        return conv.expand_filter()[0]
    finally:
        ex.factor, ex.lift = factor, lift
