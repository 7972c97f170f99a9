"""The sampled kernel grid: kernel sizes and dimensions are checked, the coordinates follow the documented
convention in the plane and in space."""

from __future__ import annotations

import numpy as np
import pytest

from groupconv.kernels import check_kernel_size, check_spatial_dims, polar_grid, sampled_grid


def test_kernel_size_errors():
    with pytest.raises(ValueError, match="square"):
        check_kernel_size((3, 5))
    with pytest.raises(ValueError, match="odd"):
        check_kernel_size(4)
    with pytest.raises(ValueError, match="positive odd int"):
        check_kernel_size(True)
    with pytest.raises(ValueError, match="cubic"):
        check_kernel_size((3, 3), spatial_dims=3)
    assert check_kernel_size((5, 5)) == 5 and check_kernel_size((3, 3, 3), spatial_dims=3) == 3


def test_spatial_dims_errors():
    assert check_spatial_dims(np.int64(3)) == 3
    with pytest.raises(ValueError, match="2 \\(the plane\\) or 3"):
        check_spatial_dims(1)
    with pytest.raises(TypeError, match="int"):
        check_spatial_dims(2.0)


def test_plane_coordinates():
    x, y, r = polar_grid(5)
    # pixel (i, j) sits at x = j - 2, y = 2 - i
    assert x[0, 4] == 2 and y[0, 4] == 2 and x[4, 0] == -2 and y[4, 0] == -2
    assert r[2, 2] == 0 and np.array_equal(r, np.hypot(x, y))
    coords, r2 = sampled_grid(5)
    assert np.array_equal(coords[0], x) and np.array_equal(coords[1], y) and np.array_equal(r, r2)


def test_space_coordinates():
    coords, r = sampled_grid(3, spatial_dims=3)
    assert coords.shape == (3, 3, 3, 3) and coords.dtype == np.float64
    # voxel (l, i, j) (depth, height, width) sits at (j - 1, 1 - i, 1 - l)
    assert coords[:, 0, 0, 2].tolist() == [1.0, 1.0, 1.0]
    assert coords[:, 2, 1, 0].tolist() == [-1.0, 0.0, -1.0]
    assert r[1, 1, 1] == 0 and np.isclose(r.max() ** 2, 3.0)
