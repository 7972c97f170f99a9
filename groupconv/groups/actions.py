"""Actions on pixel grids by index permutation (exact).

A grid of ``H x W`` pixels carries the coordinates ``x = j - (W-1)/2`` (column ``j``, to the right) and
``y = (H-1)/2 - i`` (row ``i``, upwards), so a counter-clockwise rotation of the plane is a
counter-clockwise rotation of the displayed image. A group element acts on an image ``f`` on the left:

.. math::  (g \\cdot f)(p) = f(g^{-1} p).

Only rotations by multiples of 90 degrees and the reflections of ``D_4`` map the grid onto itself, so
these actions exist for ``C_1, C_2, C_4`` and ``D_1, D_2, D_4`` (90-degree rotations need a square grid).
For ``C_4`` the element ``1`` acts as ``torch.rot90(f, 1, dims=(-2, -1))``.
"""

from __future__ import annotations

import numpy as np
import torch

from .base import Group
from .planar import Cyclic, Dihedral

__all__ = ["acts_on_grid", "grid_action_matrix", "grid_permutation", "transform_grid"]


def acts_on_grid(group: Group) -> bool:
    """True when every element of ``group`` maps the pixel grid onto itself."""
    return isinstance(group, (Cyclic, Dihedral)) and group.n in (1, 2, 4)


def grid_action_matrix(group: Group, g: int) -> np.ndarray:
    """The integer ``2 x 2`` matrix of ``g`` acting on ``(x, y)``."""
    if not acts_on_grid(group):
        raise ValueError(
            f"only C1, C2, C4, D1, D2, D4 act on a pixel grid by permutation, got {group}; "
            "use a steerable (interpolating) action for other groups"
        )
    m = group.action_matrix(torch.as_tensor(int(g)), dtype=torch.float64).numpy()
    return np.rint(m).astype(np.int64)


def grid_permutation(group: Group, g: int, height: int, width: int | None = None) -> np.ndarray:
    """Flat source indices ``perm`` with ``(g . f).reshape(-1) = f.reshape(-1)[perm]``."""
    width = height if width is None else width
    m = grid_action_matrix(group, g)
    if (m[0, 1] != 0 or m[1, 0] != 0) and height != width:
        raise ValueError(f"rotations by 90 degrees need a square grid, got {height} x {width}")
    i, j = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    # doubled coordinates are integers for both odd and even sizes
    x2, y2 = 2 * j - (width - 1), (height - 1) - 2 * i
    inv = np.rint(np.linalg.inv(m)).astype(np.int64)
    sx2 = inv[0, 0] * x2 + inv[0, 1] * y2
    sy2 = inv[1, 0] * x2 + inv[1, 1] * y2
    sj = (sx2 + (width - 1)) // 2
    si = ((height - 1) - sy2) // 2
    return (si * width + sj).reshape(-1)


def transform_grid(x: torch.Tensor, group: Group, g: int) -> torch.Tensor:
    """``g . x`` for images ``x`` of shape ``(..., H, W)`` (spatial action only; channels untouched)."""
    h, w = x.shape[-2:]
    perm = torch.as_tensor(grid_permutation(group, g, h, w), device=x.device)
    return x.reshape(x.shape[:-2] + (h * w,))[..., perm].reshape(x.shape)
