"""Torch modules: field types, group convolutions, equivariant image layers, nonlinearities, pooling."""

from __future__ import annotations

from .augment import RandomGroupAction
from .conv import (
    EquivariantConv2d,
    GroupConv2d,
    GroupConv3d,
    LiftingConv2d,
    LiftingConv3d,
    SteerableConv2d,
    SteerableConv3d,
)
from .export import export
from .field_type import FieldType
from .fourier_bessel import FourierBesselConv2d
from .fourier_conv import FunctionType, HomogeneousFourierConv
from .group_conv import GroupConvolution
from .init import generalized_he_init_, lsuv_init_
from .module import Certificate, DescribedState, EquivariantModule, LegacyStateWarning
from .nonlinearities import (
    ELU,
    GatedNonlinearity,
    ModulusNonlinearity,
    NormNonlinearity,
    PointwiseNonlinearity,
    ReLU,
)
from .normalization import FieldBatchNorm
from .pooling import (
    AvgPool2d,
    AvgPool3d,
    BlurPool2d,
    BlurPool3d,
    GlobalPool2d,
    GlobalPool3d,
    GroupPooling,
    MaxPool2d,
    MaxPool3d,
    NormPooling,
    binomial_filter,
)
from .rotate import rotate_field
from .sequential import EquivariantSequential
from .spherical import (
    GridNonlinearity,
    InvariantType,
    S2Conv,
    S2Integral,
    SO3Conv,
    SO3GridType,
    SO3Integral,
    SphereType,
)

__all__ = [
    "EquivariantModule",
    "Certificate",
    "FieldType",
    "EquivariantConv2d",
    "LiftingConv2d",
    "GroupConv2d",
    "SteerableConv2d",
    "SteerableConv3d",
    "LiftingConv3d",
    "GroupConv3d",
    "FourierBesselConv2d",
    "generalized_he_init_",
    "lsuv_init_",
    "rotate_field",
    "RandomGroupAction",
    "HomogeneousFourierConv",
    "GroupConvolution",
    "FunctionType",
    "PointwiseNonlinearity",
    "ReLU",
    "ELU",
    "NormNonlinearity",
    "GatedNonlinearity",
    "ModulusNonlinearity",
    "FieldBatchNorm",
    "BlurPool2d",
    "MaxPool2d",
    "AvgPool2d",
    "GlobalPool2d",
    "BlurPool3d",
    "MaxPool3d",
    "AvgPool3d",
    "GlobalPool3d",
    "GroupPooling",
    "NormPooling",
    "binomial_filter",
    "EquivariantSequential",
    "export",
    "LegacyStateWarning",
    "DescribedState",
    "SphereType",
    "SO3GridType",
    "InvariantType",
    "S2Conv",
    "SO3Conv",
    "GridNonlinearity",
    "SO3Integral",
    "S2Integral",
]
