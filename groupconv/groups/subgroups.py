"""Subgroup inclusions and cosets.

:func:`inclusion` returns the map ``iota: H -> G`` of a known subgroup; the standard ones are

- ``C_m < C_n`` and ``D_m < D_n`` when ``m | n`` (``r -> r^{n/m}``), ``C_n < D_n`` (rotations),
- ``C_n < SO(2) < O(2)``, ``D_n < O(2)``,
- ``C_n < SO(2) < SO(3)`` (rotations about z); ``D_n < O(2) < O(3)`` acting on the xy-plane and fixing
  z, the reflection ``F`` becoming ``diag(1, -1, 1)``; ``D_n < O(2) < SO(3)`` with ``F`` becoming the
  rotation ``diag(1, -1, -1)`` by ``pi`` about the x axis (registered in :mod:`groupconv.groups.spatial`),
- ``SO(3) < O(3)``, and any group in itself.

Other modules register more with :func:`register_inclusion`.

Examples
--------
>>> from groupconv.groups import Cyclic, Dihedral
>>> left_cosets(Cyclic(4), Dihedral(4))[0].tolist()  # the rotations and the reflections
[0, 4]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from ..utils.deprecation import renamed_keywords
from .base import FiniteGroup, Group
from .planar import O2, SO2, Cyclic, Dihedral

__all__ = ["inclusion", "register_inclusion", "left_cosets", "subgroup_indices"]

_RULES: list[Callable[[Group, Group], Callable | None]] = []


def register_inclusion(rule: Callable[[Group, Group], Callable | None]) -> None:
    """Register a rule ``(H, G) -> map or None``; the first rule that returns a map wins."""
    _RULES.append(rule)


@renamed_keywords(H="subgroup", G="group")
def inclusion(subgroup: Group, group: Group) -> Callable[[torch.Tensor], torch.Tensor]:
    """The inclusion map ``subgroup -> group`` (batched on element tensors).

    Examples
    --------
    >>> import torch
    >>> from groupconv.groups import Cyclic, Dihedral
    >>> iota = inclusion(Cyclic(2), Dihedral(4))
    >>> iota(torch.tensor([0, 1])).tolist()
    [0, 2]

    Raises
    ------
    TypeError
        when an argument is not a :class:`~groupconv.groups.Group`.
    ValueError
        when no registered rule embeds ``subgroup`` in ``group``.
    """
    if not isinstance(subgroup, Group) or not isinstance(group, Group):
        raise TypeError(
            f"inclusion takes two groups, got {type(subgroup).__name__} and {type(group).__name__}"
        )
    if subgroup == group:
        return _Inclusion(subgroup, group, _identity)
    for rule in _RULES:
        f = rule(subgroup, group)
        if f is not None:
            return _Inclusion(subgroup, group, f)
    raise ValueError(f"{subgroup} is not a known subgroup of {group}")


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


@renamed_keywords(H="subgroup", G="group")
def subgroup_indices(subgroup: FiniteGroup, group: FiniteGroup, iota=None) -> np.ndarray:
    """Indices in ``group`` of the elements of a finite ``subgroup`` (in the subgroup's canonical order);
    ``iota`` is the inclusion map (default :func:`inclusion`).

    Examples
    --------
    >>> from groupconv.groups import Cyclic, Dihedral
    >>> subgroup_indices(Cyclic(2), Dihedral(4)).tolist()
    [0, 2]
    """
    iota = iota or inclusion(subgroup, group)
    return iota(subgroup.elements()).cpu().numpy()


@renamed_keywords(H="subgroup", G="group")
def left_cosets(subgroup: FiniteGroup, group: FiniteGroup, iota=None) -> tuple[np.ndarray, np.ndarray]:
    """Left cosets ``g H`` of ``H = subgroup`` in ``group``.

    Returns ``(representatives, coset_of)`` where ``representatives[i]`` is the smallest element of
    the i-th coset (cosets ordered by it) and ``coset_of[g]`` is the coset index of ``g``.

    Examples
    --------
    >>> from groupconv.groups import Cyclic
    >>> reps, coset_of = left_cosets(Cyclic(2), Cyclic(4))
    >>> reps.tolist(), coset_of.tolist()
    ([0, 1], [0, 1, 0, 1])
    """
    h = subgroup_indices(subgroup, group, iota)
    # the products g h, |G| x |H| of them, rather than the |G| x |G| Cayley table
    gh = group.compose(group.elements()[:, None], torch.as_tensor(h)[None, :]).cpu().numpy()
    coset_of = -np.ones(group.order, dtype=np.int64)
    reps = []
    for g in range(group.order):
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
