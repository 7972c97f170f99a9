"""The sampled grid of a kernel: its size, its dimension and the coordinates of its pixels.

A ``k x k`` kernel (``k x k x k`` in space) is sampled at the integer offsets from its centre pixel; ``k``
is odd, so that the centre is a pixel that every rotation and reflection fixes.

Examples
--------
>>> from groupconv.kernels import check_kernel_size, polar_grid
>>> check_kernel_size((5, 5))
5
>>> x, y, r = polar_grid(3)
>>> x[0].tolist(), y[:, 0].tolist(), round(float(r[0, 0]) ** 2, 12)
([-1.0, 0.0, 1.0], [1.0, 0.0, -1.0], 2.0)
"""

from __future__ import annotations

import numpy as np

__all__ = ["check_spatial_dims", "check_kernel_size", "sampled_grid", "polar_grid"]

SPATIAL_DIMS = (2, 3)


def check_spatial_dims(spatial_dims) -> int:
    """``spatial_dims`` as an int, 2 (the plane) or 3 (space)."""
    if not isinstance(spatial_dims, (int, np.integer)) or isinstance(spatial_dims, bool):
        raise TypeError(f"spatial_dims must be an int (2 or 3), got {spatial_dims!r}")
    if spatial_dims not in SPATIAL_DIMS:
        raise ValueError(f"spatial_dims must be 2 (the plane) or 3 (space), got {spatial_dims}")
    return int(spatial_dims)


def check_kernel_size(kernel_size, spatial_dims: int = 2) -> int:
    """``k`` from ``k`` or ``(k, k)`` (``(k, k, k)`` in space); square (cubic) and odd kernels only (an
    even kernel has no centre pixel, so no grid symmetry fixes the origin)."""
    spatial_dims = check_spatial_dims(spatial_dims)
    if isinstance(kernel_size, (tuple, list)):
        if len(kernel_size) != spatial_dims or any(k != kernel_size[0] for k in kernel_size):
            shape = "square (k or (k, k))" if spatial_dims == 2 else "cubic (k or (k, k, k))"
            raise ValueError(f"equivariant kernels must be {shape}, got kernel_size={kernel_size!r}")
        kernel_size = kernel_size[0]
    if not isinstance(kernel_size, (int, np.integer)) or isinstance(kernel_size, bool) or kernel_size < 1:
        raise ValueError(f"kernel_size must be a positive odd int, got {kernel_size!r}")
    if kernel_size % 2 == 0:
        raise ValueError(
            f"kernel_size must be odd (an even grid has no centre pixel fixed by rotations), got {kernel_size}"
        )
    return int(kernel_size)


def sampled_grid(kernel_size: int, spatial_dims: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """The coordinates ``(d, k, ..., k)`` and radii ``(k, ..., k)`` (float64) of the pixels of a kernel.

    In the plane pixel ``(i, j)`` is at ``x = j - c``, ``y = c - i`` (``c = (k-1)/2``: rows go down, ``y``
    goes up); in space voxel ``(l, i, j)`` (depth, height, width) is at ``(j - c, c - i, c - l)``, the
    convention of the grid actions of :mod:`groupconv.groups.actions`.

    Examples
    --------
    >>> coords, r = sampled_grid(3, spatial_dims=3)
    >>> coords.shape, round(float(r.max()) ** 2, 12)
    ((3, 3, 3, 3), 3.0)
    """
    spatial_dims = check_spatial_dims(spatial_dims)
    c = (kernel_size - 1) / 2
    idx = np.meshgrid(*[np.arange(kernel_size)] * spatial_dims, indexing="ij")
    if spatial_dims == 2:
        i, j = idx
        coords = [j - c, c - i]
    else:
        depth, i, j = idx
        coords = [j - c, c - i, c - depth]
    coords = np.stack(coords).astype(np.float64)
    return coords, np.sqrt(sum(x * x for x in coords))


def polar_grid(kernel_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(x, y, r)`` of the ``k x k`` kernel grid (float64, shape ``(k, k)``): :func:`sampled_grid` of the
    plane."""
    (x, y), r = sampled_grid(kernel_size, 2)
    return x, y, r
