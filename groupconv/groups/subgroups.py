"""Subgroup inclusions and cosets.

:func:`inclusion` returns the map ``iota: H -> G`` of a known subgroup; the standard ones are

- ``C_m < C_n`` and ``D_m < D_n`` when ``m | n`` (``r -> r^{n/m}``), ``C_n < D_n`` (rotations),
- ``C_n < SO(2) < O(2)``, ``D_n < O(2)``,
- ``C_n < SO(2) < SO(3)`` (rotations about z); ``D_n < O(2) < O(3)`` acting on the xy-plane and fixing
  z, the reflection ``F`` becoming ``diag(1, -1, 1)``; ``D_n < O(2) < SO(3)`` with ``F`` becoming the
  rotation ``diag(1, -1, -1)`` by ``pi`` about the x axis (registered in :mod:`groupconv.groups.spatial`),
- ``SO(3) < O(3)``, and any group in itself.

Other modules register more with :func:`register_inclusion`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from .base import FiniteGroup, Group
from .planar import O2, SO2, Cyclic, Dihedral

__all__ = ["inclusion", "register_inclusion", "left_cosets", "subgroup_indices"]

_RULES: list[Callable[[Group, Group], Callable | None]] = []


def register_inclusion(rule: Callable[[Group, Group], Callable | None]) -> None:
    """Register a rule ``(H, G) -> map or None``; the first rule that returns a map wins."""
    _RULES.append(rule)


def inclusion(H: Group, G: Group) -> Callable[[torch.Tensor], torch.Tensor]:
    """The inclusion map ``H -> G`` (batched on element tensors)."""
    if not isinstance(H, Group) or not isinstance(G, Group):
        raise TypeError(f"inclusion takes two groups, got {type(H).__name__} and {type(G).__name__}")
    if H == G:
        return _Inclusion(H, G, _identity)
    for rule in _RULES:
        f = rule(H, G)
        if f is not None:
            return _Inclusion(H, G, f)
    raise ValueError(f"{H} is not a known subgroup of {G}")


def _identity(h: torch.Tensor) -> torch.Tensor:
    return h


class _Inclusion:
    """The inclusion map ``H -> G`` a registered rule gave; it pickles as ``(H, G)`` and is found again
    on loading, so that the rules may return closures and the representations holding the map
    (restrictions, induced representations) still pickle."""

    def __init__(self, H: Group, G: Group, fn: Callable[[torch.Tensor], torch.Tensor]):
        self.H, self.G, self._fn = H, G, fn

    def __call__(self, h: torch.Tensor) -> torch.Tensor:
        return self._fn(h)

    def __reduce__(self):
        return (inclusion, (self.H, self.G))


def subgroup_indices(H: FiniteGroup, G: FiniteGroup, iota=None) -> np.ndarray:
    """Indices in ``G`` of the elements of a finite subgroup ``H`` (in ``H``'s canonical order)."""
    iota = iota or inclusion(H, G)
    return iota(H.elements()).cpu().numpy()


def left_cosets(H: FiniteGroup, G: FiniteGroup, iota=None) -> tuple[np.ndarray, np.ndarray]:
    """Left cosets ``gH``.

    Returns ``(representatives, coset_of)`` where ``representatives[i]`` is the smallest element of
    the i-th coset (cosets ordered by it) and ``coset_of[g]`` is the coset index of ``g``.
    """
    h = subgroup_indices(H, G, iota)
    # the products g h, |G| x |H| of them, rather than the |G| x |G| Cayley table
    gh = G.compose(G.elements()[:, None], torch.as_tensor(h)[None, :]).cpu().numpy()
    coset_of = -np.ones(G.order, dtype=np.int64)
    reps = []
    for g in range(G.order):
        if coset_of[g] < 0:
            coset_of[gh[g]] = len(reps)
            reps.append(g)
    return np.array(reps, dtype=np.int64), coset_of


def _planar_rule(H: Group, G: Group):
    if isinstance(H, Cyclic) and isinstance(G, Cyclic) and G.n % H.n == 0:
        f = G.n // H.n
        return lambda h: H.check_element(h) * f
    if isinstance(H, Dihedral) and isinstance(G, Dihedral) and G.n % H.n == 0:
        f = G.n // H.n

        def d2d(h):
            k, s = H.split(H.check_element(h))
            return k * f + G.n * s

        return d2d
    if isinstance(H, Cyclic) and isinstance(G, Dihedral) and G.n % H.n == 0:
        f = G.n // H.n
        return lambda h: H.check_element(h) * f
    if isinstance(H, Cyclic) and isinstance(G, SO2):
        return lambda h: H.angle(h)
    if isinstance(H, Cyclic) and isinstance(G, O2):
        return lambda h: O2.make(H.angle(h), 0.0)
    if isinstance(H, Dihedral) and isinstance(G, O2):
        return lambda h: O2.make(H.angle(h), H.reflection(h).to(torch.float64))
    if isinstance(H, SO2) and isinstance(G, O2):
        return lambda h: O2.make(H.check_element(h), 0.0)
    return None


register_inclusion(_planar_rule)
