"""Equivariant convolutions on the plane and in space: lifting, group and steerable convolutions.

Every layer is a plain convolution with an *expanded* filter that satisfies the kernel constraint
``K(g x) = rho_out(g) K(x) rho_in(g)^{-1}``, built from the learned parameters in one step:

- groups that permute the pixel grid (``C_2, C_4, D_2, D_4``): lifting and group convolutions copy the
  learned filter to all its transformed positions with ONE gather from a precomputed index map
  (:mod:`~groupconv.nn.conv.regular`; Cohen & Welling, *Group equivariant CNNs*, ICML 2016, eqs. 10-11);
- other groups and representations: ONE product of the learned coefficients with a sampled steerable
  basis (:mod:`~groupconv.nn.conv.steerable`), planned once per kind of layer
  (:mod:`~groupconv.nn.conv.plan`) and evaluated by :mod:`~groupconv.nn.conv.expansion`;
- volumes ``(batch, C, D, H, W)``: the same layers with ``spatial_dims = 3`` (spherical harmonics,
  ``conv3d``; the cube groups ``O``, ``Oh`` permute the voxel grid), :mod:`~groupconv.nn.conv.volumetric`.

:mod:`~groupconv.nn.conv.base` holds what every convolution shares (geometry, forward, export, the
``state_dict``'s description). Derived tensors are non-persistent buffers: the ``state_dict`` holds the
learned parameters and a plain-data description of the layer (group, field types, kernel size, basis),
which must match where it is loaded.

>>> import torch
>>> from groupconv.groups import Dihedral
>>> from groupconv.nn.conv import LiftingConv2d, SteerableConv2d
>>> lift = LiftingConv2d.from_channels(Dihedral(4), 1, 2, 3, padding=1)
>>> conv = SteerableConv2d(lift.out_type, lift.out_type, 3, padding=1)
>>> conv(lift(torch.randn(1, 1, 8, 8))).shape
torch.Size([1, 16, 8, 8])
"""

from __future__ import annotations

from .base import EquivariantConv2d, conv_geometry
from .plan import ExpansionPlan, expansion_plan
from .regular import GroupConv2d, LiftingConv2d
from .steerable import SteerableConv2d
from .volumetric import GroupConv3d, LiftingConv3d, SteerableConv3d

__all__ = [
    "EquivariantConv2d",
    "SteerableConv2d",
    "LiftingConv2d",
    "GroupConv2d",
    "SteerableConv3d",
    "LiftingConv3d",
    "GroupConv3d",
    "ExpansionPlan",
    "expansion_plan",
    "conv_geometry",
]
