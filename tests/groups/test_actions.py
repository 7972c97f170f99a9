"""Exact actions on pixel and voxel grids: left actions, the documented coordinates, which groups act,
and clear errors for a grid a group does not permute."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from groupconv.groups import (
    O2,
    SO2,
    Cyclic,
    Dihedral,
    DirectProduct,
    Symmetric,
    acts_on_grid,
    grid_action_matrix,
    grid_permutation,
    transform_grid,
)


@pytest.mark.parametrize("G", [Cyclic(2), Cyclic(4), Dihedral(1), Dihedral(2), Dihedral(4)], ids=str)
@pytest.mark.parametrize("size", [4, 5])
def test_grid_action_is_exact_left_action(G, size):
    x = torch.arange(size * size, dtype=torch.float64).reshape(size, size)
    for a in range(G.order):
        for b in range(G.order):
            ab = int(G.compose(torch.tensor(a), torch.tensor(b)))
            assert torch.equal(transform_grid(transform_grid(x, G, b), G, a), transform_grid(x, G, ab))


def test_grid_action_matches_point_action():
    # (g.f)(p) = f(g^-1 p) on pixel centres
    G, size = Dihedral(4), 5
    c = (size - 1) / 2
    x = torch.randn(size, size, dtype=torch.float64)
    for g in range(G.order):
        y = transform_grid(x, G, g)
        ginv = G.action_matrix(G.inverse(torch.tensor(g)))
        for i in range(size):
            for j in range(size):
                px, py = ginv @ torch.tensor([j - c, c - i], dtype=torch.float64)
                si, sj = int(round(c - py.item())), int(round(px.item() + c))
                assert y[i, j] == x[si, sj]
    assert torch.equal(transform_grid(x, Cyclic(4), 1), torch.rot90(x, 1, dims=(-2, -1)))


def test_grid_action_errors():
    with pytest.raises(ValueError, match="pixel grid"):
        grid_permutation(Cyclic(8), 1, 5)
    with pytest.raises(ValueError, match="square"):
        grid_permutation(Cyclic(4), 1, 4, 6)


def test_which_groups_act_on_the_pixel_grid():
    acting = {"C1", "C2", "C4", "D1", "D2", "D4"}
    for n in range(1, 9):
        for G in (Cyclic(n), Dihedral(n)):
            assert acts_on_grid(G) == (G.name in acting) == acts_on_grid(G, spatial_dims=2), G
            assert G.grid_dims == (2 if G.name in acting else None)
            assert not acts_on_grid(G, spatial_dims=3)
    for G in (SO2(), O2(), Symmetric(2), DirectProduct(Cyclic(2), Cyclic(1))):
        assert not acts_on_grid(G)
    assert not acts_on_grid("C4")
    with pytest.raises(ValueError, match="2 axes \\(pixels\\) or 3 axes \\(voxels\\), got spatial_dims=4"):
        acts_on_grid(Cyclic(4), spatial_dims=4)


def test_grid_action_matrices():
    assert grid_action_matrix(Cyclic(4), 1).tolist() == [[0, -1], [1, 0]]
    assert grid_action_matrix(Dihedral(4), 4).tolist() == [[1, 0], [0, -1]]
    assert grid_action_matrix(Dihedral(2), 3, spatial_dims=2).tolist() == [[-1, 0], [0, 1]]
    assert grid_action_matrix(Cyclic(2), 1).dtype == np.int64


def test_planar_group_on_a_voxel_grid_errors_clearly():
    x = torch.zeros(2, 4, 4, 4)
    expected = (
        r"only O, Oh act on a voxel grid \(depth, height, width\) by permutation, got C4 "
        r"\(it permutes the pixel grid\)"
    )
    with pytest.raises(ValueError, match=expected):
        transform_grid(x, Cyclic(4), 1, spatial_dims=3)
    with pytest.raises(ValueError, match=expected):
        grid_permutation(Cyclic(4), 1, 4, 4, 4)
    with pytest.raises(ValueError, match=expected):
        grid_action_matrix(Cyclic(4), 1, spatial_dims=3)
    # a group that acts on no grid: the pixel grid's groups are named
    with pytest.raises(
        ValueError, match="only C1, C2, C4, D1, D2, D4 act on a pixel grid by permutation, got C3;"
    ):
        transform_grid(x, Cyclic(3), 1)
    with pytest.raises(ValueError, match="1 to 3 grid sizes, got 4"):
        grid_permutation(Cyclic(4), 1, 2, 2, 2, 2)
    with pytest.raises(ValueError, match="grid sizes must be positive, got 0 x 3"):
        grid_permutation(Cyclic(2), 1, 0, 3)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        transform_grid(torch.zeros(4), Cyclic(4), 1)


class _Turns3(Cyclic):
    """Quarter turns about one axis of space (``axis`` 0, 1, 2 for x, y, z) acting on the voxel grid: a
    stand-in for the groups of the cube, to test the voxel convention."""

    def __init__(self, axis: int):
        super().__init__(4)
        self.axis = axis

    def _key(self) -> tuple:
        return (4, self.axis)

    @property
    def name(self) -> str:
        return f"C4{'xyz'[self.axis]}"

    @property
    def action_dim(self) -> int:
        return 3

    @property
    def grid_dims(self) -> int:
        return 3

    def action_matrix(self, g, dtype=torch.float64):
        r = super().action_matrix(g, dtype)
        # the counter-clockwise rotation about the axis: (y, z), (z, x) or (x, y) rotated by r
        plane = [(1, 2), (2, 0), (0, 1)][self.axis]
        m = torch.eye(3, dtype=r.dtype).repeat(r.shape[:-2] + (1, 1))
        for a, pa in enumerate(plane):
            for b, pb in enumerate(plane):
                m[..., pa, pb] = r[..., a, b]
        return m


@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("shape", [(3, 3, 3), (4, 4, 4)])
def test_voxel_action_follows_the_documented_coordinates(axis, shape):
    # voxel (k, i, j) of a D x H x W grid sits at x = j - (W-1)/2, y = (H-1)/2 - i, z = (D-1)/2 - k
    G = _Turns3(axis)
    d, h, w = shape
    x = torch.randn(2, *shape, dtype=torch.float64)
    for g in range(G.order):
        y = transform_grid(x, G, g)
        ginv = G.action_matrix(G.inverse(torch.tensor(g)))
        for k in range(d):
            for i in range(h):
                for j in range(w):
                    p = torch.tensor([j - (w - 1) / 2, (h - 1) / 2 - i, (d - 1) / 2 - k], dtype=torch.float64)
                    px, py, pz = (ginv @ p).tolist()
                    src = (round((d - 1) / 2 - pz), round((h - 1) / 2 - py), round(px + (w - 1) / 2))
                    assert torch.equal(y[:, k, i, j], x[:, src[0], src[1], src[2]])


def test_voxel_action_is_a_left_action_and_turns_slices_like_images():
    G = _Turns3(2)
    x = torch.randn(5, 4, 3, 3)  # (channels, depth, height, width): only the last three move
    # about z every depth slice turns as the planar rotation turns an image
    assert torch.equal(transform_grid(x, G, 1), torch.rot90(x, 1, dims=(-2, -1)))
    assert torch.equal(transform_grid(x, G, 1, spatial_dims=3), transform_grid(x, G, 1))
    for H in (_Turns3(0), _Turns3(1)):
        cube = torch.randn(3, 3, 3)
        for a in range(4):
            for b in range(4):
                ab = int(H.compose(torch.tensor(a), torch.tensor(b)))
                assert torch.equal(
                    transform_grid(transform_grid(cube, H, b), H, a), transform_grid(cube, H, ab)
                )
    # one size is a cube; axes of different sizes cannot be exchanged
    assert np.array_equal(grid_permutation(G, 1, 3), grid_permutation(G, 1, 3, 3, 3))
    assert grid_permutation(G, 2, 2, 3, 3).shape == (18,)
    with pytest.raises(
        ValueError, match="element 1 of C4z exchanges grid axes of different sizes, got 2 x 3 x 4"
    ):
        grid_permutation(G, 1, 2, 3, 4)
    with pytest.raises(
        ValueError, match="only C1, C2, C4, D1, D2, D4 act on a pixel grid by permutation, got C4z"
    ):
        grid_permutation(G, 1, 3, 3)
