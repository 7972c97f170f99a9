"""Rotation of feature fields by any angle (groupconv.nn.rotate): accuracy on band-limited fields, exact
quarter turns, and agreement with the exact grid action of D_4; the same resampling of volumes (exact
voxel permutations, accuracy on smooth volumes); batches of elements, one per sample; and bad input."""

from __future__ import annotations

import math

import pytest
import torch
from _conv_cases import disc, identity, smooth_field

from groupconv.groups import O2, SO2, Cyclic, Dihedral
from groupconv.nn import FieldType, rotate_field
from groupconv.nn.rotate import AXIS_SIGNS, resample_grid, rotate_plane, source_coordinates, source_points
from groupconv.reps import irrep, regular, trivial


def test_rotate_field_accuracy_and_exact_quarter_turns():
    G = SO2()
    ft = FieldType(G, [irrep(G, 0), irrep(G, 1)])
    m = disc(33)
    for s, tol in [(3.0, 2e-3), (6.0, 3e-4)]:
        x = smooth_field(ft, identity(G), s=s)
        for th in (0.3, 1.0, 2.5):
            g = torch.tensor(th, dtype=torch.float64)
            err = (rotate_field(x, ft, g) - smooth_field(ft, g, s=s))[..., m].abs().max()
            assert err / x[..., m].abs().max() <= tol, (s, th)
    x = torch.randn(1, 3, 9, 9, dtype=torch.float64)
    q = rotate_field(x, ft, torch.tensor(math.pi / 2, dtype=torch.float64))
    rho = ft.representation(torch.tensor(math.pi / 2, dtype=torch.float64))
    expected = torch.einsum("cd,bdhw->bchw", rho, torch.rot90(x, 1, dims=(-2, -1)))
    assert (q - expected).abs().max() < 1e-12
    D = Dihedral(4)
    fd = FieldType(D, [regular(D)])
    xd = torch.randn(1, 8, 7, 7, dtype=torch.float64)
    for g in range(8):
        assert (rotate_field(xd, fd, g) - fd.transform(xd, g)).abs().max() < 1e-12


def _gaussian_blobs(shape, centres, s):
    """A sum of isotropic Gaussians of standard deviation ``s`` voxels at ``centres`` given in the
    ``(x, y, z)`` coordinates of the voxel grid (groupconv.groups.actions)."""
    d = len(shape)
    index = torch.meshgrid(*[torch.arange(n, dtype=torch.float64) for n in shape], indexing="ij")
    coords = [AXIS_SIGNS[a] * (index[d - 1 - a] - (shape[d - 1 - a] - 1) / 2) for a in range(d)]
    out = torch.zeros(shape, dtype=torch.float64)
    for c in centres:
        out += torch.exp(-sum((x - ci) ** 2 for x, ci in zip(coords, c)) / (2 * s**2))
    return out


def _rotation_3d(axis, angle):
    k = torch.tensor(axis, dtype=torch.float64)
    k = k / k.norm()
    cross = torch.tensor([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]], dtype=torch.float64)
    return torch.eye(3, dtype=torch.float64) + math.sin(angle) * cross + (1 - math.cos(angle)) * cross @ cross


def test_resample_grid_in_2d_is_rotate_plane():
    x = torch.randn(2, 3, 8, 9, dtype=torch.float64)
    a = torch.tensor([[math.cos(0.7), -math.sin(0.7)], [math.sin(0.7), math.cos(0.7)]], dtype=torch.float64)
    for mode in ("cubic", "bilinear", "bicubic"):
        assert torch.equal(resample_grid(x, a, mode), rotate_plane(x, a, mode))
    rows, cols = source_points((8, 9), a, "cpu")
    assert all(torch.equal(u, v) for u, v in zip((rows, cols), source_coordinates(8, 9, a, "cpu")))


def test_volumes_quarter_turns_and_axis_reflections_are_exact_voxel_permutations():
    """Signed permutation matrices move every voxel centre onto a voxel centre: the cubic resampling
    takes the exact voxel, as the permutation of groupconv.groups.actions' convention does."""
    v = torch.randn(2, 3, 5, 5, 5, dtype=torch.float64)
    about_z = torch.tensor([[0.0, -1, 0], [1, 0, 0], [0, 0, 1]], dtype=torch.float64)
    assert torch.equal(resample_grid(v, about_z), torch.rot90(v, 1, dims=(-2, -1)))
    # z = (D-1)/2 - k: the reflection z -> -z flips the depth axis, x -> -x the width axis
    assert torch.equal(resample_grid(v, torch.diag(torch.tensor([1.0, 1, -1]))), v.flip(-3))
    assert torch.equal(resample_grid(v, torch.diag(torch.tensor([-1.0, 1, 1]))), v.flip(-1))
    # a quarter turn about x: the source of (x, y, z) is (x, z, -y), i.e. out[k, i, j] = v[D-1-i, k, j]
    about_x = _rotation_3d((1, 0, 0), math.pi / 2)
    expected = v.flip(-3).transpose(-3, -2)
    assert torch.equal(resample_grid(v, about_x), expected)
    assert (resample_grid(v, about_x, "bilinear") - expected).abs().max() < 1e-12


def test_volume_rotation_accuracy_on_smooth_fields():
    """Keys' cubic convolution along each of the three axes: band-limited volumes rotate about an oblique
    axis with an error like the planar one (compared inside the inscribed ball)."""
    shape, s = (21, 21, 21), 3.0
    centres = [(2.0, -1.0, 0.5), (-3.0, 2.5, -1.0)]
    x = _gaussian_blobs(shape, centres, s)[None, None]
    r = _rotation_3d((1, 2, 3), 0.8)
    moved = [tuple((r @ torch.tensor(c, dtype=torch.float64)).tolist()) for c in centres]
    expected = _gaussian_blobs(shape, moved, s)
    index = torch.meshgrid(*[torch.arange(n, dtype=torch.float64) - 10 for n in shape], indexing="ij")
    ball = sum(i**2 for i in index) <= 8**2
    err = (resample_grid(x, r)[0, 0] - expected)[ball].abs().max()
    assert err / expected.abs().max() <= 2e-3, err
    linear = (resample_grid(x, r, "bilinear")[0, 0] - expected)[ball].abs().max()
    assert err < linear  # third order beats linear interpolation


def test_bad_input():
    x = torch.randn(1, 2, 5, 5)
    with pytest.raises(ValueError, match="mode must be 'cubic', 'bicubic' or 'bilinear', got 'nearest'"):
        resample_grid(x, torch.eye(2), "nearest")
    with pytest.raises(ValueError, match=r"2 x 2 \(images\) or 3 x 3 \(volumes\), got \(4, 4\)"):
        resample_grid(x, torch.eye(4))
    with pytest.raises(ValueError, match=r"resamples fields \(batch, C, U, H, W\), got \(1, 2, 5, 5\)"):
        resample_grid(x, torch.eye(3))
    with pytest.raises(ValueError, match="'bicubic' resamples images only"):
        resample_grid(torch.randn(1, 1, 3, 3, 3), torch.eye(3), "bicubic")
    with pytest.raises(ValueError, match=r"rotate_plane takes a 2 x 2 matrix, got \(3, 3\)"):
        rotate_plane(torch.randn(1, 1, 3, 3, 3), torch.eye(3))
    with pytest.raises(TypeError, match="rotate_field needs a FieldType"):
        rotate_field(x, "D4", 0)


def _per_sample(x, ft, g, mode="cubic"):
    return torch.cat([rotate_field(x[i : i + 1], ft, g[i], mode) for i in range(x.shape[0])])


def test_batch_of_elements_equals_per_sample_calls():
    torch.manual_seed(1)
    S, O, C8, D4 = SO2(), O2(), Cyclic(8), Dihedral(4)
    cases = [
        (FieldType(S, [irrep(S, 0), irrep(S, 1), irrep(S, 2)]), torch.rand(5, dtype=torch.float64) * 7),
        (FieldType(O, [irrep(O, 0), irrep(O, 1), irrep(O, 2)]), O.sample(5)),
        (FieldType(C8, [regular(C8)]), torch.tensor([0, 3, 3, 7, 1])),
        (FieldType(D4, [regular(D4), irrep(D4, 2)]), torch.tensor([5, 0, 7, 5, 2])),
    ]
    for ft, g in cases:
        x = torch.randn(5, ft.size, 9, 8, dtype=torch.float64)
        for mode in ("cubic", "bilinear", "bicubic"):
            y = rotate_field(x, ft, g, mode)
            assert (y - _per_sample(x, ft, g, mode)).abs().max() < 1e-12, (ft, mode)
        # a continuous batch is not one element applied to all: samples differ from the first one's action
        assert (y[1:] - rotate_field(x[1:], ft, g[0], "bicubic")).abs().max() > 1e-3
    # volumes: a batch of 3 x 3 matrices, one per field
    v = torch.randn(3, 2, 5, 6, 7, dtype=torch.float64)
    mats = torch.stack([torch.linalg.qr(torch.randn(3, 3, dtype=torch.float64))[0] for _ in range(3)])
    for mode in ("cubic", "bilinear"):
        batched = resample_grid(v, mats, mode)
        single = torch.cat([resample_grid(v[i : i + 1], mats[i], mode) for i in range(3)])
        assert (batched - single).abs().max() < 1e-12


def test_batch_of_grid_elements_is_an_exact_permutation():
    C4, D4 = Cyclic(4), Dihedral(4)
    x = torch.randn(6, 4, 7, 7)
    k = torch.tensor([0, 1, 2, 3, 1, 2])
    y = rotate_field(x, FieldType(C4, [regular(C4)]), k)
    for i in range(6):
        # the regular representation of C4 shifts the channels by k
        expected = torch.roll(torch.rot90(x[i], int(k[i]), dims=(-2, -1)), int(k[i]), dims=0)
        assert torch.equal(y[i], expected)
    t = FieldType(D4, [trivial(D4)])
    z = torch.randn(4, 1, 5, 5)
    g = torch.tensor([4, 0, 5, 1])  # f, e, r f, r
    y = rotate_field(z, t, g)
    flip = torch.flip(z, dims=(-2,))  # F = diag(1, -1) flips y, i.e. the rows
    assert torch.equal(y[0], flip[0]) and torch.equal(y[1], z[1])
    assert torch.equal(y[2], torch.rot90(flip[2], 1, dims=(-2, -1)))
    assert torch.equal(y[3], torch.rot90(z[3], 1, dims=(-2, -1)))


def test_batch_of_elements_bad_input():
    S = SO2()
    ft = FieldType(S, [irrep(S, 1)])
    x = torch.randn(3, 2, 5, 5, dtype=torch.float64)
    with pytest.raises(ValueError, match="got 2 elements for a batch of 3 samples"):
        rotate_field(x, ft, torch.zeros(2, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"or a batch of elements \(batch,\), got elements of batch shape"):
        rotate_field(x, ft, torch.zeros(3, 1, dtype=torch.float64))
    C4 = Cyclic(4)
    with pytest.raises(ValueError, match="got 4 elements for a batch of 3 samples"):
        rotate_field(torch.randn(3, 1, 5, 5), FieldType(C4, [trivial(C4)]), torch.tensor([0, 1, 2, 3]))
    with pytest.raises(ValueError, match=r"a batch of 2 matrices needs 2 fields, got a batch of 3"):
        resample_grid(x, torch.eye(2, dtype=torch.float64).expand(2, 2, 2))


def test_empty_batches_and_integer_inputs():
    from groupconv.groups import Cyclic
    from groupconv.nn import FieldType, rotate_field
    from groupconv.reps import regular

    t = FieldType(Cyclic(8), [regular(Cyclic(8))])
    empty = torch.randn(0, 8, 9, 9)
    assert rotate_field(empty, t, torch.zeros(0, dtype=torch.long)).shape == (0, 8, 9, 9)
    assert rotate_field(empty, t, 3).shape == (0, 8, 9, 9)
    # interpolation would round integer samples: refused, not truncated
    with pytest.raises(TypeError, match="floating point tensor.*int64"):
        rotate_field(torch.ones(1, 8, 9, 9, dtype=torch.int64), t, 1)


# -- rotate_field on volumes ---------------------------------------------------------------------------------
def _voxel_permutation(v, m):
    """``v(m^-1 p)`` for a signed permutation matrix ``m``, by explicit voxel coordinates (the reference)."""
    shape = tuple(v.shape[-3:])
    index = torch.meshgrid(*[torch.arange(n) for n in shape], indexing="ij")
    coords = torch.stack([AXIS_SIGNS[a] * (2 * index[2 - a] - (shape[2 - a] - 1)) for a in range(3)])
    source = torch.einsum("ba,b...->a...", m.round().long(), coords)  # m^-1 = m^T
    src = [(AXIS_SIGNS[2 - t] * source[2 - t] + (shape[t] - 1)) // 2 for t in range(3)]
    return v[..., src[0], src[1], src[2]]


@pytest.mark.parametrize("group_name", ["SO3", "O3"])
def test_volume_cube_symmetries_are_bit_exact_voxel_permutations(group_name):
    """The 24 rotations of the cube (48 with the inversion for O(3)) permute the voxels exactly, one element
    or a batch of them; rho(g) then acts on the fibers."""
    from groupconv.groups import O3, SO3
    from groupconv.nn.field_type import cube_symmetries

    G = SO3() if group_name == "SO3" else O3()
    mats = cube_symmetries(inversion=group_name == "O3")
    scalars = FieldType(G, [trivial(G)] * 2)
    pair = [irrep(G, 1), irrep(G, 2)] if group_name == "SO3" else [irrep(G, 1, -1), irrep(G, 2, 1)]
    fields = FieldType(G, pair)
    v = torch.randn(2, 2, 3, 5, 5, dtype=torch.float64)  # exchanging depth with height or width needs a cube
    cube = torch.randn(2, 2, 5, 5, 5, dtype=torch.float64)
    f = torch.randn(1, fields.size, 4, 4, 4, dtype=torch.float64)
    for k, m in enumerate(mats):
        # bit-exact up to the fiber action (rho of the trivial irrep of SO(3) evaluates to 1 + 9e-16)
        rho = scalars.representation(m)
        expected = scalars.act_on_fibers(_voxel_permutation(cube, m), rho)
        assert torch.equal(rotate_field(cube, scalars, m), expected)
        if k % 3:
            continue  # the fiber action on every third element (evaluating rho is the slow part)
        rho = fields.representation(m)
        expected = torch.einsum("cd,bduhw->bcuhw", rho, _voxel_permutation(f, m))
        assert (rotate_field(f, fields, m) - expected).abs().max() < 1e-14
        if m[2, 2].abs() == 1:  # keeps the depth axis: exact on a 3 x 5 x 5 grid too
            expected = scalars.act_on_fibers(_voxel_permutation(v, m), scalars.representation(m))
            assert torch.equal(rotate_field(v, scalars, m), expected)
    batch = mats[torch.tensor([0, 5, 11, len(mats) - 1])]
    xb = torch.randn(4, 2, 5, 5, 5, dtype=torch.float64)
    yb = rotate_field(xb, scalars, batch)
    rho = scalars.representation(batch)
    assert torch.equal(
        yb, scalars.act_on_fibers(torch.stack([_voxel_permutation(xb[i], batch[i]) for i in range(4)]), rho)
    )


def test_volume_rotations_act_on_the_fibers_with_rho():
    """A constant vector field is interpolated exactly away from the border: at the centre the rotated
    field is rho(R) times the vector, for any rotation; a batch of rotations equals per-sample calls."""
    from groupconv.groups import SO3

    G = SO3()
    t = FieldType(G, [irrep(G, 1), irrep(G, 2)])
    c = torch.randn(t.size, dtype=torch.float64)
    x = c.view(1, -1, 1, 1, 1).expand(3, -1, 9, 9, 9).contiguous()
    rs = G.sample(3, generator=torch.Generator().manual_seed(2))
    y = rotate_field(x, t, rs)
    for i in range(3):
        assert (y[i, :, 4, 4, 4] - t.representation(rs[i]) @ c).abs().max() < 1e-12
        assert (y[i : i + 1] - rotate_field(x[i : i + 1], t, rs[i])).abs().max() < 1e-13


def test_volume_random_rotations_error_on_gaussian_blobs():
    """The documented accuracy of random rotations of band-limited volumes (sums of Gaussian blobs of
    standard deviation s voxels inside the inscribed ball): <= 4e-2 of the maximum at s = 1.5, <= 4e-3 at
    s = 3 (cubic); linear interpolation is several times worse."""
    from groupconv.groups import SO3

    G = SO3()
    t = FieldType(G, [trivial(G)])
    shape = (21, 21, 21)
    index = torch.meshgrid(*[torch.arange(n, dtype=torch.float64) - 10 for n in shape], indexing="ij")
    ball = sum(i**2 for i in index) <= 10**2
    rs = G.sample(3, generator=torch.Generator().manual_seed(5))
    for s, tol in [(1.5, 4e-2), (3.0, 4e-3)]:
        centres = [(2.0, -1.0, 0.5), (-2.0, 1.5, -1.0), (0.0, 0.0, 3.0)]
        x = _gaussian_blobs(shape, centres, s)[None, None]
        y = rotate_field(x.expand(3, 1, *shape), t, rs)
        lin = rotate_field(x.expand(3, 1, *shape), t, rs, mode="bilinear")
        for i, r in enumerate(rs):
            moved = [tuple((r @ torch.tensor(c, dtype=torch.float64)).tolist()) for c in centres]
            expected = _gaussian_blobs(shape, moved, s)
            err = (y[i, 0] - expected)[ball].abs().max() / expected.abs().max()
            assert err <= tol, (s, err)
            assert err < (lin[i, 0] - expected)[ball].abs().max() / expected.abs().max()


def test_volume_finite_groups_exact_on_the_grid_and_interpolated_otherwise():
    """Every element of O and Oh acts by a voxel permutation (FieldType.transform); the 12 elements of I
    that permute the axes too, its other elements interpolate; planar groups turn volumes about z."""
    from groupconv.groups import FullOctahedral, Icosahedral, Octahedral

    for G in (Octahedral(), FullOctahedral()):
        t = FieldType(G, [regular(G), irrep(G, 3, 1) if G.order == 48 else irrep(G, 3)])
        x = torch.randn(2, t.size, 3, 3, 3, dtype=torch.float64)
        for g in range(G.order):
            assert torch.equal(rotate_field(x, t, g), t.transform(x, g))
        mats = G.action_matrix(G.elements())
        scalar = FieldType(G, [trivial(G)])
        s = torch.randn(1, 1, 4, 4, 4, dtype=torch.float64)
        assert all(
            torch.equal(rotate_field(s, scalar, g), _voxel_permutation(s, mats[g])) for g in range(G.order)
        )
    ico = Icosahedral()
    t = FieldType(ico, [trivial(ico)])
    x = torch.randn(1, 1, 5, 5, 5, dtype=torch.float64)
    mats = ico.action_matrix(ico.elements())
    exact = [g for g in range(60) if t.is_exact(g)]
    assert len(exact) == 12
    for g in range(60):
        y = rotate_field(x, t, g)
        if g in exact:
            assert torch.equal(y, _voxel_permutation(x, mats[g]))
        else:
            assert (y - resample_grid(x, mats[g])).abs().max() < 1e-14
    C4 = Cyclic(4)
    v = torch.randn(2, 4, 3, 5, 5)
    y = rotate_field(v, FieldType(C4, [regular(C4)]), 1)
    assert torch.equal(y, torch.roll(torch.rot90(v, 1, dims=(-2, -1)), 1, dims=1))


def test_volume_batches_of_finite_group_elements_equal_per_sample_calls():
    from groupconv.groups import FullIcosahedral, FullOctahedral

    for G in (FullOctahedral(), FullIcosahedral()):
        t = FieldType(G, [trivial(G), irrep(G, 3, 1)])
        x = torch.randn(4, t.size, 5, 5, 5, dtype=torch.float64)
        g = torch.tensor([0, 7, G.order - 1, 7])
        y = rotate_field(x, t, g)
        assert all(torch.equal(y[i : i + 1], rotate_field(x[i : i + 1], t, int(g[i]))) for i in range(4))
