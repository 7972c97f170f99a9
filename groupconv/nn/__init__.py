"""Torch modules: field types, group convolutions, equivariant image layers, nonlinearities, pooling."""

from __future__ import annotations

from .conv import EquivariantConv2d, GroupConv2d, LiftingConv2d, SteerableConv2d
from .field_type import FieldType
from .fourier_bessel import FourierBesselConv2d
from .init import generalized_he_init_
from .rotate import rotate_field

__all__ = [
    "FieldType",
    "EquivariantConv2d",
    "LiftingConv2d",
    "GroupConv2d",
    "SteerableConv2d",
    "FourierBesselConv2d",
    "generalized_he_init_",
    "rotate_field",
]
