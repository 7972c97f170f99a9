"""Torch modules: field types, group convolutions, equivariant image layers, nonlinearities, pooling."""

from __future__ import annotations

from .export import export
from .field_type import FieldType
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
    BlurPool2d,
    GlobalPool2d,
    GroupPooling,
    MaxPool2d,
    NormPooling,
    binomial_filter,
)
from .sequential import EquivariantSequential

__all__ = [
    "FieldType",
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
    "GroupPooling",
    "NormPooling",
    "binomial_filter",
    "EquivariantSequential",
    "export",
]
