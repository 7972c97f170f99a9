"""Field types: a group acting on the plane and the representations of the fields on it.

A feature map of type ``FieldType(G, [rho_1, ..., rho_k])`` is a tensor ``(batch, C, H, W)`` with
``C = sum_i dim(rho_i)``, the fields contiguous and in the declared order. The group acts by

.. math::  (g \\cdot f)(x) = \\rho(g) \\, f(g^{-1} x),  \\qquad \\rho = \\bigoplus_i \\rho_i .
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ..groups.actions import acts_on_grid, transform_grid
from ..groups.base import Group, check_same_group
from ..reps.representation import Representation, directsum

__all__ = ["FieldType"]


class FieldType:
    """A group and the list of field representations of a feature map on the plane.

    Prints in the compact form ``D4[16 x regular + 4 x irrep(1,1)]``.
    """

    def __init__(self, group: Group, representations: Sequence[Representation]):
        if not isinstance(group, Group):
            raise TypeError(f"FieldType needs a groupconv Group, got {type(group).__name__}")
        reps = list(representations)
        for r in reps:
            if not isinstance(r, Representation):
                raise TypeError(f"FieldType takes Representations, got {type(r).__name__}")
            check_same_group(group, r.group, "representation")
        self.group = group
        self.representations = tuple(reps)
        self.representation = directsum(*reps, group=group)
        self.size = self.representation.dim

    @property
    def dim(self) -> int:
        """Number of channels."""
        return self.size

    def __len__(self) -> int:
        return len(self.representations)

    def __add__(self, other: FieldType) -> FieldType:
        if not isinstance(other, FieldType):
            raise TypeError(f"can only add FieldTypes, got {type(other).__name__}")
        check_same_group(self.group, other.group, "field type")
        return FieldType(self.group, self.representations + other.representations)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, FieldType)
            and self.group == other.group
            and len(self.representations) == len(other.representations)
            and all(a == b for a, b in zip(self.representations, other.representations))
        )

    def __hash__(self) -> int:
        return hash((self.group, self.representations))

    def __repr__(self) -> str:
        return repr(self.representation)

    def field_slices(self) -> list[slice]:
        """Channel slice of each field."""
        out, i = [], 0
        for r in self.representations:
            out.append(slice(i, i + r.dim))
            i += r.dim
        return out

    def check(self, x: torch.Tensor, name: str = "input") -> torch.Tensor:
        """Validate a feature map ``(batch, C, H, W)`` of this type."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
        if x.dim() != 4 or x.shape[1] != self.size:
            raise ValueError(
                f"{name} of type {self!r} must have shape (batch, {self.size}, H, W), got {tuple(x.shape)}"
            )
        return x

    def representation_matrix(self, g: torch.Tensor, dtype=torch.float64, device=None) -> torch.Tensor:
        """``rho(g)`` as a ``(C, C)`` (or batched) matrix."""
        m = self.representation(g, dtype=dtype)
        return m if device is None else m.to(device)

    def transform(self, x: torch.Tensor, g: int | torch.Tensor) -> torch.Tensor:
        """``g . x`` for a feature map on a pixel grid, exactly (groups acting on the grid only)."""
        self.check(x)
        if not acts_on_grid(self.group):
            raise ValueError(
                f"exact grid transform needs a group acting on the pixel grid (C1, C2, C4, D1, D2, D4), "
                f"got {self.group}; use groupconv.nn.rotate_field for other groups"
            )
        g = torch.as_tensor(int(g))
        rho = self.representation(g, dtype=torch.float64)
        y = transform_grid(x, self.group, int(g))
        signed = _signed_permutation(rho)
        if signed is not None:
            # a (signed) permutation of the channels: one gather, exact, O(C) instead of O(C^2)
            idx, sign = signed
            y = y.index_select(1, idx.to(x.device))
            return y if sign is None else y * sign.to(device=x.device, dtype=x.dtype).view(1, -1, 1, 1)
        return torch.einsum("cd,bdhw->bchw", rho.to(device=x.device, dtype=x.dtype), y)

    def fiber_action(self, g: torch.Tensor) -> np.ndarray:
        """``rho(g)`` as a float64 numpy array."""
        return self.representation(torch.as_tensor(g), dtype=torch.float64).numpy()


def _signed_permutation(m: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None] | None:
    """``(idx, sign)`` with ``m[c, idx[c]] = sign[c] = +-1`` the only nonzero of each row, or ``None``
    when ``m`` is not a signed permutation matrix (``sign`` is ``None`` for a plain permutation)."""
    nonzero = m != 0
    if not bool((nonzero.sum(1) == 1).all()) or not bool((m.abs()[nonzero] == 1).all()):
        return None
    idx = nonzero.to(torch.int64).argmax(1)
    sign = m.gather(1, idx[:, None])[:, 0]
    return idx, (None if bool((sign == 1).all()) else sign)
