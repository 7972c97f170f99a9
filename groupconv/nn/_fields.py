"""Shared machinery of the field-wise layers: the check of a layer's field type, grouping of fields by
dimension (so that a layer treats all fields of one dimension with a single reshape), and the
representation tests (permutation representations, trivial subspaces)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
from torch import nn

from ..groups.base import FiniteGroup
from ..reps.representation import Representation
from .field_type import FieldType

__all__ = [
    "FieldGroups",
    "is_permutation_representation",
    "trivial_subspace",
    "check_field_type",
]


def check_field_type(obj: object, what: str = "in_type") -> FieldType:
    if not isinstance(obj, FieldType):
        raise TypeError(f"{what} must be a groupconv.nn.FieldType, got {type(obj).__name__}")
    if len(obj) == 0:
        raise ValueError(f"{what} must have at least one field, got the empty type {obj!r}")
    return obj


@lru_cache(maxsize=256)
def _is_permutation(rep: Representation) -> bool:
    if rep.is_trivial() or rep.permutation is not None:
        return True
    if not isinstance(rep.group, FiniteGroup):
        return False
    m = rep(rep.group.elements(), dtype=torch.float64)
    binary = torch.isclose(m, torch.zeros((), dtype=m.dtype), atol=1e-9) | torch.isclose(
        m, torch.ones((), dtype=m.dtype), atol=1e-9
    )
    return bool(binary.all()) and bool(torch.allclose(m.sum(-2), torch.ones((), dtype=m.dtype)))


def is_permutation_representation(rep: Representation) -> bool:
    """True when every ``rho(g)`` is a permutation matrix (regular, quotient, permutation and trivial
    representations): then ``rho(g)`` commutes with every pointwise map ``sigma``,
    ``sigma(rho(g) f) = rho(g) sigma(f)``, and with the pointwise maximum."""
    return _is_permutation(rep)


@lru_cache(maxsize=256)
def _trivial_subspace(rep: Representation) -> np.ndarray:
    if rep.is_trivial():
        return np.eye(rep.dim)
    if _is_permutation(rep):
        # orbit indicators: exact, unlike the numerically decomposed change of basis
        if rep.permutation is not None:
            # m[y, x]: some g takes e_x to e_y, read from the table without forming matrices
            m = np.zeros((rep.dim, rep.dim), dtype=bool)
            m[rep.permutation, np.arange(rep.dim)] = True
        else:
            m = rep(rep.group.elements(), dtype=torch.float64).sum(0).numpy() > 0.5
        orbits = sorted({tuple(np.flatnonzero(m[:, x])) for x in range(rep.dim)})
        basis = np.zeros((rep.dim, len(orbits)))
        for j, orbit in enumerate(orbits):
            basis[list(orbit), j] = 1.0 / np.sqrt(len(orbit))
        return basis
    cols, i = [], 0
    for ir in rep.irreps:
        if ir.is_trivial():
            cols.append(rep.change_of_basis[:, i])
        i += ir.dim
    if not cols:
        return np.zeros((rep.dim, 0))
    return np.stack(cols, 1)


def trivial_subspace(rep: Representation) -> np.ndarray:
    """Orthonormal basis ``(d, t)`` of the vectors fixed by every ``rho(g)`` (the trivial isotypic
    component): the normalised orbit indicators of a permutation representation, otherwise the columns
    of the change of basis that belong to trivial irreps."""
    return _trivial_subspace(rep)


class FieldGroups(nn.Module):
    """The fields of a type grouped by dimension.

    For every distinct field dimension ``d`` (in order of first appearance) it stores the channel
    indices of its ``m_d`` fields, so ``x[:, idx].view(N, m_d, d, H, W)`` holds all of them; ``merge``
    puts per-group results back in the declared channel order. When all fields share one dimension,
    no gather is needed and the groups are plain reshapes.

    Attributes
    ----------
    dims:
        The distinct field dimensions ``d``.
    fields:
        For each ``d``, the indices (in the field type) of its fields.
    channel_field:
        Buffer ``(C,)``: the field each channel belongs to.
    """

    def __init__(self, ftype: FieldType):
        super().__init__()
        dims: list[int] = []
        fields: list[list[int]] = []
        for i, r in enumerate(ftype.representations):
            if r.dim not in dims:
                dims.append(r.dim)
                fields.append([])
            fields[dims.index(r.dim)].append(i)
        self.dims = tuple(dims)
        self.fields = tuple(tuple(f) for f in fields)
        self.size = ftype.size
        self.single = len(dims) == 1
        slices = ftype.field_slices()
        order = []
        for group in fields:
            for i in group:
                order.extend(range(slices[i].start, slices[i].stop))
        order_t = torch.tensor(order, dtype=torch.long)
        # fields already grouped by dimension in declared order: split and merge are slices, no gathers
        self.in_order = order == list(range(len(order)))
        self.register_buffer("order", order_t, persistent=False)
        self.register_buffer("inverse_order", torch.argsort(order_t), persistent=False)
        self.offsets = tuple(int(x) for x in np.cumsum([0] + [d * len(f) for d, f in zip(dims, fields)]))
        field_order = torch.tensor([i for f in fields for i in f], dtype=torch.long)
        self.register_buffer("field_inverse_order", torch.argsort(field_order), persistent=False)
        for k, f in enumerate(fields):
            self.register_buffer(f"fields_{k}", torch.tensor(f, dtype=torch.long), persistent=False)
        channel_field = torch.cat(
            [torch.full((r.dim,), i, dtype=torch.long) for i, r in enumerate(ftype.representations)]
        )
        self.register_buffer("channel_field", channel_field, persistent=False)
        self.n_fields = len(ftype)

    def split(self, x: torch.Tensor) -> list[torch.Tensor]:
        """``(N, C, H, W) -> [(N, m_d, d, H, W) for each d]`` (trailing dimensions kept)."""
        n, rest = x.shape[0], x.shape[2:]
        if not self.in_order:
            x = x.index_select(1, self.order)
        return [
            x[:, a:b].reshape((n, len(f), d) + rest)
            for d, f, a, b in zip(self.dims, self.fields, self.offsets[:-1], self.offsets[1:])
        ]

    def merge(self, parts: list[torch.Tensor]) -> torch.Tensor:
        """Inverse of :meth:`split` for outputs with the same field dimensions."""
        # flatten, not reshape to (n, -1, ...): -1 is ambiguous for an empty batch
        flat = [p.flatten(1, 2) for p in parts]
        x = flat[0] if self.single else torch.cat(flat, 1)
        return x if self.in_order else x.index_select(1, self.inverse_order)

    def merge_fields(self, parts: list[torch.Tensor]) -> torch.Tensor:
        """Per-field results ``[(N, m_d, ...)]`` back to the declared field order ``(N, F, ...)``."""
        if self.single:
            return parts[0]
        merged = torch.cat(parts, 1)
        return merged if self.in_order else merged.index_select(1, self.field_inverse_order)

    def per_group(self, values: torch.Tensor) -> list[torch.Tensor]:
        """Per-field values ``(F, ...)`` in declared order -> ``[(m_d, ...) for each d]``."""
        if self.single:
            return [values]
        return [values.index_select(0, getattr(self, f"fields_{k}")) for k in range(len(self.dims))]
