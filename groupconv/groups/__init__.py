"""Compact groups, their elements, actions and subgroups."""

from __future__ import annotations

from .base import ContinuousGroup, FiniteGroup, Group, check_same_group
from .planar import O2, SO2, Cyclic, Dihedral, rotation_matrix

__all__ = ["Group", "FiniteGroup", "ContinuousGroup", "check_same_group", "Cyclic", "Dihedral", "SO2", "O2", "rotation_matrix"]
