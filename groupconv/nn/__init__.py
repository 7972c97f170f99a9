"""Torch modules: field types, group convolutions, equivariant image layers, nonlinearities, pooling."""

from __future__ import annotations

from .field_type import FieldType

__all__ = ["FieldType"]
