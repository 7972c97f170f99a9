"""Torch modules: field types, group convolutions, equivariant image layers, nonlinearities, pooling."""

from __future__ import annotations

from .field_type import FieldType
from .group_conv import FunctionType, GroupConvolution

__all__ = ["FieldType", "GroupConvolution", "FunctionType"]
