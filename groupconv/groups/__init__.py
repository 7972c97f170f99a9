"""Compact groups, their elements, actions and subgroups.

See :mod:`groupconv.groups.base` for the element parametrizations and conventions.

Examples
--------
>>> from groupconv.groups import Dihedral, group_from_name
>>> G = Dihedral(4)
>>> G.order, G.generators(), group_from_name("D4") == G
(8, [1, 4], True)
"""

from __future__ import annotations

from .actions import acts_on_grid, grid_action_matrix, grid_permutation, transform_grid
from .base import ContinuousGroup, FiniteGroup, Group, check_same_group
from .planar import O2, SO2, Cyclic, Dihedral, rotation_matrix
from .polyhedral import FullIcosahedral, FullOctahedral, Icosahedral, Octahedral, PolyhedralGroup
from .product import DirectProduct
from .registry import group_from_name
from .spatial import O3, SO3
from .subgroups import inclusion, left_cosets, register_inclusion, subgroup_indices
from .symmetric import Symmetric

__all__ = [
    "Group",
    "FiniteGroup",
    "ContinuousGroup",
    "check_same_group",
    "Cyclic",
    "Dihedral",
    "SO2",
    "O2",
    "rotation_matrix",
    "SO3",
    "O3",
    "PolyhedralGroup",
    "Octahedral",
    "FullOctahedral",
    "Icosahedral",
    "FullIcosahedral",
    "Symmetric",
    "DirectProduct",
    "group_from_name",
    "inclusion",
    "register_inclusion",
    "left_cosets",
    "subgroup_indices",
    "acts_on_grid",
    "grid_action_matrix",
    "grid_permutation",
    "transform_grid",
]
