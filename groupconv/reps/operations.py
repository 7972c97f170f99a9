"""Representations built from a group's structure: trivial, standard, induced and restricted.

This module also re-exports the decompositions and tensor products of :mod:`groupconv.reps.decomposition`
and the permutation, regular and quotient representations of :mod:`groupconv.reps.permutation`, so that
every name it held keeps its import path.

Examples
--------
>>> from groupconv.groups import Cyclic, Dihedral
>>> standard(Dihedral(4)).irreps
(D4[irrep(1,1)],)
>>> restrict(standard(Dihedral(4)), Cyclic(4)).irreps
(C4[irrep(1)],)
"""

from __future__ import annotations

import numpy as np
import torch

from ..groups.base import FiniteGroup, Group, check_same_group
from ..groups.subgroups import inclusion, left_cosets, subgroup_indices
from ..utils.deprecation import renamed_keywords
from ..utils.lazy import sympy
from .decomposition import (  # _KroneckerProduct: pickles from before the split name it here
    _KroneckerProduct,  # noqa: F401
    clebsch_gordan,
    clebsch_gordan_exact,
    decompose,
    decompose_exact,
    from_matrices,
    integration_grid,
    register_clebsch_gordan,
    tensor_product,
)
from .irreps import irreps
from .permutation import PermutationRepresentation, permutation_representation, quotient, regular
from .representation import Irrep, Representation

__all__ = [
    "integration_grid",
    "decompose",
    "decompose_exact",
    "tensor_product",
    "clebsch_gordan",
    "clebsch_gordan_exact",
    "register_clebsch_gordan",
    "trivial",
    "standard",
    "regular",
    "quotient",
    "induced",
    "restrict",
    "from_matrices",
    "permutation_representation",
    "PermutationRepresentation",
]


# -- representations from the group's structure ------------------------------------------------------
def trivial(group: Group) -> Irrep:
    """The trivial irrep."""
    for ir in irreps(group) if group.is_finite else irreps(group, max_degree=0):
        if ir.is_trivial():
            return ir
    raise ValueError(f"no trivial irrep found for {group}")  # pragma: no cover


def standard(group: Group) -> Representation:
    """The defining action on ``R^n`` (``group.action_matrix``), decomposed into irreps."""
    return from_matrices(group, _ActionMatrix(group), group.action_dim, name="standard", degree=1)


class _ActionMatrix:
    """``g -> group.action_matrix(g)`` in float64 (picklable, unlike a closure)."""

    def __init__(self, group: Group):
        self.group = group

    def __call__(self, g):
        return self.group.action_matrix(g, dtype=torch.float64)


@renamed_keywords(rep="rho")
def induced(group: FiniteGroup, subgroup: FiniteGroup, rho: Representation, iota=None) -> Representation:
    """The induced representation ``Ind_H^G rho`` of a representation ``rho`` of ``H = subgroup``, with
    coset representatives ``r_i`` (smallest element of each left coset): block ``(i, j)`` of its matrix
    at ``g`` is ``rho(r_i^{-1} g r_j)`` when ``r_i^{-1} g r_j`` lies in ``H``, else 0.

    Examples
    --------
    >>> from groupconv.groups import Cyclic
    >>> from groupconv.reps import irrep
    >>> ind = induced(Cyclic(4), Cyclic(2), irrep(Cyclic(2), 1))
    >>> ind.dim, [ir.id for ir in ind.irreps]
    (2, [1])
    """
    if not isinstance(group, FiniteGroup) or not isinstance(subgroup, FiniteGroup):
        raise TypeError(f"induced representations are built for finite groups, got {group} and {subgroup}")
    check_same_group(subgroup, rho.group, "representation")
    iota = iota or inclusion(subgroup, group)
    h_in_g = subgroup_indices(subgroup, group, iota)
    g_to_h = -np.ones(group.order, dtype=np.int64)
    g_to_h[h_in_g] = np.arange(subgroup.order)
    reps_, _ = left_cosets(subgroup, group, iota)
    table, inv = group.cayley_table_np, group.inverse_table_np
    m, d = len(reps_), rho.dim
    # x[g, i, j] = r_i^{-1} g r_j as an element of H, or -1
    x = table[table[inv[reps_][None, :, None], np.arange(group.order)[:, None, None]], reps_[None, None, :]]
    hidx = g_to_h[x]
    blocks = _InducedBlocks(rho, hidx)
    found, q = decompose(group, blocks, m * d)
    return Representation(
        group,
        found,
        q,
        name=f"induced({subgroup.name}:{rho._atom_str()})",
        matrix_fn=blocks,
        exact_fn=blocks.exact,
    )


class _InducedBlocks:
    """The matrices of an induced representation from ``hidx[g, i, j]`` (the element ``r_i^{-1} g r_j`` of
    ``H``, or -1): block ``(i, j)`` is ``rep(hidx[g, i, j])`` or zero. Picklable, unlike a closure."""

    def __init__(self, rep: Representation, hidx: np.ndarray):
        self.rep, self.hidx = rep, hidx
        self.hidx_t = torch.as_tensor(hidx)

    def __call__(self, g):
        m, d = self.hidx.shape[1], self.rep.dim
        hh = self.hidx_t.to(g.device)[g]
        mats = self.rep(hh.clamp(min=0)) * (hh >= 0)[..., None, None]
        return mats.transpose(-3, -2).reshape(g.shape + (m * d, m * d))

    def exact(self, g):
        m, d = self.hidx.shape[1], self.rep.dim
        out = sympy.zeros(m * d)
        for i in range(m):
            for j in range(m):
                if self.hidx[int(g), i, j] >= 0:
                    out[i * d : (i + 1) * d, j * d : (j + 1) * d] = self.rep.exact(
                        int(self.hidx[int(g), i, j])
                    )
        return out


@renamed_keywords(rep="rho")
def restrict(rho: Representation, subgroup: Group, iota=None) -> Representation:
    """``Res^G_H rho``: ``h -> rho(iota(h))``, decomposed into the irreps of ``H = subgroup``; ``iota`` is
    the inclusion map (default :func:`~groupconv.groups.inclusion`)."""
    iota = iota or inclusion(subgroup, rho.group)
    restricted = _Restricted(rho, iota)
    exact = subgroup.is_finite and rho.group.is_finite
    found, q = decompose(subgroup, restricted, rho.dim, rho.degree)
    return Representation(
        subgroup,
        found,
        q,
        name=f"restrict({rho.group.name}:{rho._atom_str()})" if rho.name else None,
        matrix_fn=restricted,
        exact_fn=restricted.exact if exact else None,
    )


class _Restricted:
    """``h -> rep(iota(h))``, in torch and exactly (picklable, unlike a closure)."""

    def __init__(self, rep: Representation, iota):
        self.rep, self.iota = rep, iota

    def __call__(self, h):
        return self.rep(self.iota(h))

    def exact(self, h):
        return self.rep.exact(int(self.iota(torch.tensor(int(h)))))
