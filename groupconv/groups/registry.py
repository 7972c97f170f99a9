"""Group names: ``C4``, ``D6``, ``S4``, ``SO2``, ``O2``, ``SO3``, ``O3`` and products ``C4xC2``."""

from __future__ import annotations

import re

from .base import Group
from .planar import O2, SO2, Cyclic, Dihedral

__all__ = ["group_from_name"]


def group_from_name(name: str) -> Group:
    """The group named ``name`` (the inverse of ``group.name``)."""
    if isinstance(name, Group):
        return name
    if not isinstance(name, str):
        raise TypeError(f"a group name is a string, got {type(name).__name__}")
    s = name.strip()
    if "x" in s:
        from .product import DirectProduct

        left, _, right = s.partition("x")
        return DirectProduct(group_from_name(left), group_from_name(right))
    if s == "SO2":
        return SO2()
    if s == "O2":
        return O2()
    if s in ("SO3", "O3"):
        from . import spatial

        return spatial.SO3() if s == "SO3" else spatial.O3()
    m = re.fullmatch(r"([CDS])(\d+)", s)
    if m:
        n = int(m.group(2))
        if m.group(1) == "C":
            return Cyclic(n)
        if m.group(1) == "D":
            return Dihedral(n)
        from .symmetric import Symmetric

        return Symmetric(n)
    raise ValueError(f"unknown group name {name!r}: expected e.g. C4, D6, S4, SO2, O2, SO3, O3 or C4xC2")
