"""Actions on pixel and voxel grids by index permutation (exact).

Pixels: a grid of ``H x W`` pixels (tensor axes ``(height, width)``) carries the coordinates
``x = j - (W-1)/2`` (column ``j``, to the right) and ``y = (H-1)/2 - i`` (row ``i``, upwards), so a
counter-clockwise rotation of the plane is a counter-clockwise rotation of the displayed image.

Voxels: a grid of ``D x H x W`` voxels (tensor axes ``(depth, height, width)``, holding the ``z``, ``y``
and ``x`` axes in this order) carries the same ``x`` and ``y`` on every depth slice and
``z = (D-1)/2 - k`` (slice ``k``), so that ``(x, y, z)`` is a right-handed frame whose ``z`` axis points
out of the displayed slice, towards the viewer: a counter-clockwise rotation about ``z`` rotates every
slice as the planar rotation rotates an image.

A group element acts on an image or volume ``f`` on the left:

.. math::  (g \\cdot f)(p) = f(g^{-1} p).

Only the elements whose matrix permutes the coordinate axes up to sign map a grid onto itself, and each
group says with :attr:`~groupconv.groups.Group.grid_dims` which grid it permutes: on the pixel grid the
groups ``C_1, C_2, C_4`` and ``D_1, D_2, D_4`` (rotations by 90 degrees need a square grid); on the voxel
grid the octahedral groups ``O`` (the 24 rotations of the cube) and ``O_h`` (with the inversion, 48), whose
elements are all signed permutation matrices (elements exchanging two axes need them of equal sizes). For
``C_4`` the element ``1`` acts as ``torch.rot90(f, 1, dims=(-2, -1))``; for ``O`` the element ``9`` (the
turn by 90 degrees about z) acts on a volume as ``torch.rot90(f, 1, dims=(-2, -1))`` too.

Examples
--------
>>> import torch
>>> from groupconv.groups import Cyclic, Dihedral
>>> x = torch.arange(4.0).reshape(2, 2)
>>> transform_grid(x, Cyclic(4), 1)
tensor([[1., 3.],
        [0., 2.]])
>>> acts_on_grid(Dihedral(4)), acts_on_grid(Cyclic(3)), acts_on_grid(Dihedral(4), spatial_dims=3)
(True, False, False)
>>> from groupconv.groups import Octahedral
>>> v = torch.randn(3, 3, 3)
>>> torch.equal(transform_grid(v, Octahedral(), 9), torch.rot90(v, 1, dims=(-2, -1)))
True
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .base import Group

__all__ = ["acts_on_grid", "grid_action_matrix", "grid_permutation", "transform_grid"]

#: The groups that permute the grid of each number of axes, for the error messages.
_GRID_GROUPS = {2: "C1, C2, C4, D1, D2, D4", 3: "O, Oh"}
_GRID_NAMES = {2: "pixel grid", 3: "voxel grid (depth, height, width)"}
#: Along tensor axis ``-1 - a`` runs coordinate ``a`` (x, y, z), increasing with the index for +1.
_AXIS_SIGNS = (1, -1, -1)


def _check_spatial_dims(spatial_dims: int | None) -> None:
    if spatial_dims is not None and spatial_dims not in _GRID_NAMES:
        raise ValueError(f"grids have 2 axes (pixels) or 3 axes (voxels), got spatial_dims={spatial_dims!r}")


def acts_on_grid(group: Group, spatial_dims: int | None = None) -> bool:
    """True when every element of ``group`` maps the grid of ``spatial_dims`` axes onto itself by a
    permutation (any grid when ``spatial_dims`` is None).

    Raises
    ------
    ValueError
        when ``spatial_dims`` is not None, 2 or 3.
    """
    _check_spatial_dims(spatial_dims)
    dims = group.grid_dims if isinstance(group, Group) else None
    return dims is not None and (spatial_dims is None or dims == spatial_dims)


def _grid_dims(group: Group, spatial_dims: int | None) -> int:
    """The number of grid axes ``group`` permutes, checked against ``spatial_dims``."""
    if acts_on_grid(group, spatial_dims):
        return group.grid_dims
    d = 2 if spatial_dims is None else spatial_dims
    msg = f"only {_GRID_GROUPS[d]} act on a {_GRID_NAMES[d]} by permutation, got {group}"
    dims = group.grid_dims if isinstance(group, Group) else None
    if dims is not None:
        msg += f" (it permutes the {_GRID_NAMES[dims]})"
    raise ValueError(msg + "; use a steerable (interpolating) action for other groups")


def grid_action_matrix(group: Group, g: int, spatial_dims: int | None = None) -> np.ndarray:
    """The integer ``d x d`` matrix of ``g`` acting on ``(x, y)`` (``d = 2``) or ``(x, y, z)`` (``d = 3``),
    ``d`` the number of axes of the grid ``group`` permutes (checked against ``spatial_dims`` if given).

    Examples
    --------
    >>> from groupconv.groups import Dihedral
    >>> grid_action_matrix(Dihedral(4), 4).tolist()
    [[1, 0], [0, -1]]
    """
    _grid_dims(group, spatial_dims)
    m = group.action_matrix(torch.as_tensor(int(g)), dtype=torch.float64).numpy()
    return np.rint(m).astype(np.int64)


def grid_permutation(group: Group, g: int, *shape: int) -> np.ndarray:
    """Flat source indices ``perm`` with ``(g . f).reshape(-1) = f.reshape(-1)[perm]``.

    Parameters
    ----------
    group, g:
        A group that permutes the grid (:func:`acts_on_grid`) and one of its elements.
    *shape:
        The grid's sizes: ``height, width`` for pixels, ``depth, height, width`` for voxels, or one size
        for a square (cube) grid of the dimension ``group`` acts on.

    Examples
    --------
    >>> from groupconv.groups import Cyclic
    >>> grid_permutation(Cyclic(4), 1, 2).tolist()
    [1, 3, 0, 2]

    Raises
    ------
    ValueError
        when ``group`` does not permute a grid of ``len(shape)`` axes, or ``g`` exchanges axes of
        different sizes.
    """
    if not shape or len(shape) > 3:
        raise ValueError(f"grid_permutation takes 1 to 3 grid sizes, got {len(shape)}")
    m = grid_action_matrix(group, g, len(shape) if len(shape) > 1 else None)
    d = m.shape[0]
    shape = tuple(int(n) for n in (shape * d if len(shape) == 1 else shape))
    if min(shape) < 1:
        raise ValueError(f"grid sizes must be positive, got {' x '.join(map(str, shape))}")
    # coordinate a runs along tensor axis d - 1 - a; g exchanges coordinates a and b when m[a, b] != 0
    size = [shape[d - 1 - a] for a in range(d)]
    if any(m[a, b] != 0 and size[a] != size[b] for a in range(d) for b in range(d)):
        if d == 2:
            raise ValueError(f"rotations by 90 degrees need a square grid, got {shape[0]} x {shape[1]}")
        raise ValueError(
            f"element {int(g)} of {group} exchanges grid axes of different sizes, got "
            f"{' x '.join(map(str, shape))}"
        )
    index = np.indices(shape).reshape(d, -1)
    # doubled coordinates are integers for both odd and even sizes
    coords = np.stack([_AXIS_SIGNS[a] * (2 * index[d - 1 - a] - (size[a] - 1)) for a in range(d)])
    # the source of p is g^{-1} p, and the inverse of a signed permutation matrix is its transpose
    source = m.T @ coords
    source_index = [(_AXIS_SIGNS[d - 1 - t] * source[d - 1 - t] + (shape[t] - 1)) // 2 for t in range(d)]
    return np.ravel_multi_index(source_index, shape).astype(np.int64)


def transform_grid(x: torch.Tensor, group: Group, g: int, spatial_dims: int | None = None) -> torch.Tensor:
    """``g . x`` for images ``x`` of shape ``(..., H, W)`` or volumes ``(..., D, H, W)`` (spatial action
    only; channels untouched). The number of grid axes is the one ``group`` permutes, checked against
    ``spatial_dims`` when given.

    Examples
    --------
    >>> import torch
    >>> from groupconv.groups import Cyclic
    >>> x = torch.randn(3, 5, 5)
    >>> torch.equal(transform_grid(x, Cyclic(4), 1), torch.rot90(x, 1, dims=(-2, -1)))
    True
    """
    d = _grid_dims(group, spatial_dims)
    if x.dim() < d:
        raise ValueError(
            f"a grid of {d} axes needs a tensor of at least {d} dimensions, got {tuple(x.shape)}"
        )
    shape = tuple(x.shape[-d:])
    perm = torch.as_tensor(grid_permutation(group, g, *shape), device=x.device)
    return x.reshape(x.shape[:-d] + (math.prod(shape),))[..., perm].reshape(x.shape)
