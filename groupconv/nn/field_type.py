"""Field types: a group acting on the plane or on space and the representations of the fields on it.

A feature map of type ``FieldType(G, [rho_1, ..., rho_k])`` is a tensor ``(batch, C, H, W)`` on the plane
or ``(batch, C, D, H, W)`` in space (voxel axes holding ``(z, y, x)``, see :mod:`groupconv.groups.actions`)
with ``C = sum_i dim(rho_i)``, the fields contiguous and in the declared order. The group acts by

.. math::  (g \\cdot f)(x) = \\rho(g) \\, f(g^{-1} x),  \\qquad \\rho = \\bigoplus_i \\rho_i .

>>> import torch
>>> from groupconv.groups import Cyclic
>>> from groupconv.reps import irrep, regular
>>> C4 = Cyclic(4)
>>> t = FieldType(C4, [regular(C4), irrep(C4, 1)])
>>> t, t.size, len(t)
(C4[regular + irrep(1)], 6, 2)
>>> x = torch.randn(1, 6, 3, 3)
>>> torch.equal(t.transform(t.transform(x, 1), 3), x)  # a quarter turn and its inverse
True
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from ..groups.actions import acts_on_grid, grid_action_matrix, transform_grid
from ..groups.base import Group, check_same_group
from ..groups.planar import O2, SO2
from ..groups.spatial import O3, SO3
from ..reps.representation import Representation, directsum

__all__ = ["FieldType", "BAND_LIMIT_SIGMA", "cube_symmetries", "grid_exact", "spatial_matrix"]

#: Standard deviation (pixels or voxels) of the Gaussian low-pass of :meth:`FieldType.band_limit`, applied
#: before an off-grid rotation is tested.
BAND_LIMIT_SIGMA = 2.0


def cube_symmetries(inversion: bool = False) -> torch.Tensor:
    """The 24 rotations of the cube (the signed permutation matrices of determinant 1), float64
    ``(24, 3, 3)``, identity first; with ``inversion=True`` also their products with ``-I`` (48).

    >>> m = cube_symmetries(inversion=True)
    >>> m.shape, bool((torch.linalg.det(m[24:]) < 0).all())
    (torch.Size([48, 3, 3]), True)
    """
    mats = []
    for perm in itertools.permutations(range(3)):
        for signs in itertools.product((1.0, -1.0), repeat=3):
            m = torch.zeros(3, 3, dtype=torch.float64)
            for i, (j, s) in enumerate(zip(perm, signs)):
                m[i, j] = s
            if torch.linalg.det(m) > 0:
                mats.append(m)
    rot = torch.stack(mats)
    return torch.cat([rot, -rot]) if inversion else rot


def spatial_matrix(matrix: torch.Tensor, spatial_dims: int) -> torch.Tensor:
    """The action matrices ``(..., d, d)`` of a group as matrices on a grid of ``spatial_dims`` axes: a
    planar ``2 x 2`` matrix acts on volumes about the ``z`` axis (on every depth slice as on an image);
    other matrices are returned as they are.

    >>> spatial_matrix(torch.tensor([[0.0, -1.0], [1.0, 0.0]]), 3).tolist()
    [[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
    d = matrix.shape[-1]
    if d >= spatial_dims:
        return matrix
    out = torch.zeros(
        matrix.shape[:-2] + (spatial_dims, spatial_dims), dtype=matrix.dtype, device=matrix.device
    )
    out[..., :d, :d] = matrix
    out[..., d:, d:] = torch.eye(spatial_dims - d, dtype=matrix.dtype, device=matrix.device)
    return out


def grid_exact(matrix: torch.Tensor, shape: tuple[int, ...] | None = None) -> torch.Tensor:
    """Whether each matrix ``(..., d, d)`` (acting on ``(x, y)`` or ``(x, y, z)``) maps the points of a grid
    of spatial ``shape`` (``(H, W)`` or ``(D, H, W)``; any square / cubic grid when None) onto grid points:
    a signed permutation matrix that exchanges only axes of equal sizes, or any matrix on a grid of one
    point. Returns a bool tensor of the batch shape.

    >>> quarter = torch.tensor([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # about z
    >>> bool(grid_exact(quarter)), bool(grid_exact(quarter, (3, 5, 5))), bool(grid_exact(quarter, (5, 3, 5)))
    (True, True, False)
    """
    m = matrix.to(torch.float64)
    d = m.shape[-1]
    if shape is not None and math.prod(shape) == 1:
        return torch.ones(m.shape[:-2], dtype=torch.bool, device=m.device)
    integer = ((m - m.round()).abs() < 1e-9).all(-1).all(-1)
    nonzero = m.round().abs() > 0.5
    signed = integer & (nonzero.sum(-1) == 1).all(-1) & (nonzero.sum(-2) == 1).all(-1)
    if shape is None:
        return signed
    # coordinate a runs along tensor axis d - 1 - a; m exchanges coordinates a and b when m[a, b] != 0
    size = torch.tensor([shape[len(shape) - 1 - a] for a in range(d)], device=m.device)
    unequal = size[:, None] != size[None, :]
    return signed & ~(nonzero & unequal).any(-1).any(-1)


class FieldType:
    """A group and the list of field representations of a feature map on the plane or in space.

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
        """Deprecated: the number of channels, :attr:`size`."""
        warnings.warn("FieldType.dim is deprecated, use FieldType.size", DeprecationWarning, stacklevel=2)
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

    def spatial_dims_of(self, x: torch.Tensor) -> int:
        """The number of spatial axes of a feature map ``x`` of this type: 2 for ``(batch, C, H, W)``,
        3 for ``(batch, C, D, H, W)``."""
        return 3 if x.dim() == 5 else 2

    def check(self, x: torch.Tensor, name: str = "input", spatial_dims: int | None = None) -> torch.Tensor:
        """Validate a feature map ``(batch, C, H, W)`` or ``(batch, C, D, H, W)`` of this type
        (``spatial_dims`` 2 or 3 accepts only the one; None both)."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
        dims = (2, 3) if spatial_dims is None else (spatial_dims,)
        if x.dim() - 2 not in dims or x.shape[1] != self.size:
            forms = " or, on volumes, ".join(
                f"(batch, {self.size}, {'H, W' if d == 2 else 'D, H, W'})" for d in dims
            )
            raise ValueError(f"{name} of type {self!r} must have shape {forms}, got {tuple(x.shape)}")
        if self.group.grid_dims == 3 and x.dim() != 5:
            raise ValueError(
                f"{name} of type {self!r}: {self.group} acts on volumes, so fields of it have shape "
                f"(batch, {self.size}, D, H, W), got {tuple(x.shape)}"
            )
        return x

    def transform(self, x: torch.Tensor, g: int | torch.Tensor) -> torch.Tensor:
        """``g . x`` for a feature map on a pixel or voxel grid, exactly (groups acting on the grid only:
        ``C_4`` and ``D_4``-like groups on images, and on volumes about the ``z`` axis; the cube groups on
        volumes)."""
        self.check(x)
        if not acts_on_grid(self.group):
            raise ValueError(
                f"exact grid transform needs a group acting on the pixel or voxel grid (C1, C2, C4, D1, D2, "
                f"D4, the cube groups O and Oh), got {self.group}; use groupconv.nn.rotate_field for "
                "other groups"
            )
        g = torch.as_tensor(int(g))
        rho = self.representation(g, dtype=torch.float64)
        y = transform_grid(x, self.group, int(g))
        return self.act_on_fibers(y, rho)

    def act_on_fibers(self, y: torch.Tensor, rho: torch.Tensor) -> torch.Tensor:
        """``rho`` ``(C, C)`` (one matrix) or ``(batch, C, C)`` (one per sample) applied on the channels of
        ``y`` ``(batch, C, *spatial)``; a signed permutation matrix by a gather (exact, O(C))."""
        if rho.dim() == 2:
            signed = _signed_permutation(rho)
            if signed is not None:
                idx, sign = signed
                y = y.index_select(1, idx.to(y.device))
                if sign is None:
                    return y
                return y * sign.to(device=y.device, dtype=y.dtype).view((1, -1) + (1,) * (y.dim() - 2))
            rho = rho.to(device=y.device, dtype=y.dtype)
            return (rho @ y.flatten(2)).view_as(y)
        rho = rho.to(device=y.device, dtype=y.dtype)
        return torch.bmm(rho, y.flatten(2)).view_as(y)

    # -- the grid protocol of groupconv.verify: which elements act exactly, and on which inputs ---------------
    def is_exact(self, g, shape: tuple[int, ...] | None = None) -> bool:
        """Whether ``g`` acts on feature maps of this type without interpolation: it maps every pixel (voxel)
        centre of the grid onto a pixel (voxel) centre, so the action is an index permutation times
        ``rho(g)``. ``shape`` is the feature map's shape or its spatial part (``(H, W)``, or ``(D, H, W)``
        for a volume); without it, any square (cubic) grid. These are the rotations by multiples of 90
        degrees and the axis reflections (planar groups, which act on volumes about the ``z`` axis), the
        24 rotations of the cube (48 with the inversion: the cube symmetries among the elements of
        ``SO(3)``, ``O(3)`` and their finite subgroups); every element is exact on a grid of one point.

        >>> from groupconv.groups import Cyclic
        >>> from groupconv.reps import regular
        >>> t = FieldType(Cyclic(8), [regular(Cyclic(8))])
        >>> t.is_exact(2), t.is_exact(1), t.is_exact(1, shape=(1, 1))
        (True, False, True)
        """
        spatial = None
        if shape is not None:
            shape = tuple(shape)
            spatial = shape[-3:] if len(shape) in (3, 5) else shape[-2:]
        group = self.group
        if acts_on_grid(group):
            m = torch.as_tensor(grid_action_matrix(group, int(g)), dtype=torch.float64)
        else:
            try:
                m = group.action_matrix(torch.as_tensor(g) if group.is_finite else g, dtype=torch.float64)
            except NotImplementedError:
                return True
        if spatial is not None:
            if math.prod(spatial) == 1:
                return True  # the single point sits at the centre of every rotation
            m = spatial_matrix(m, len(spatial))
            if m.shape[-1] != len(spatial):
                return False
        return bool(grid_exact(m, spatial))

    def exact_elements(self) -> list:
        """The elements of a continuous group that map a square pixel grid (a cubic voxel grid) onto
        itself: the rotations by multiples of 90 degrees (with the reflections for O(2)), the 24 rotations
        of the cube for SO(3) (48 with the inversion for O(3)); the identity for other groups.

        >>> from groupconv.groups import SO2, SO3
        >>> from groupconv.reps import irrep
        >>> len(FieldType(SO2(), [irrep(SO2(), 1)]).exact_elements())
        4
        >>> len(FieldType(SO3(), [irrep(SO3(), 1)]).exact_elements())
        24
        """
        quarter_turns = [torch.tensor(k * torch.pi / 2, dtype=torch.float64) for k in range(4)]
        if isinstance(self.group, SO2):
            return quarter_turns
        if isinstance(self.group, O2):
            return [O2.make(angle, s) for s in (0, 1) for angle in quarter_turns]
        if isinstance(self.group, (SO3, O3)):
            return list(cube_symmetries(inversion=isinstance(self.group, O3)).unbind(0))
        return [self.group.identity()]

    def band_limit(self, x: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
        """A band-limited feature map of this type, on which interpolated rotations are accurate.

        ``x`` (``(..., H, W)``, or a volume ``(batch, C, D, H, W)``) is restricted to a disc (ball) about the
        grid centre, ``3 sigma`` inside the disc (ball) inscribed in the grid, then blurred by a Gaussian of
        standard deviation ``sigma = BAND_LIMIT_SIGMA * scale`` pixels (``scale``: how many times coarser a
        layer's output grid is than its input, so that a subsampled output is as smooth on its own grid):
        a band-limited image (volume) that stays (up to its Gaussian tail) inside the grid under every
        rotation. On grids too small for that margin ``sigma`` shrinks (to at least one pixel). Both steps
        act on every channel alike and are isotropic, so they commute with the action of ``O(2)`` (``O(3)``)
        on fields of any type.

        >>> from groupconv.groups import SO2
        >>> from groupconv.reps import trivial
        >>> t = FieldType(SO2(), [trivial(SO2())])
        >>> y = t.band_limit(torch.ones(1, 1, 21, 21, dtype=torch.float64))
        >>> float(y[0, 0, 10, 10]) > 0.8, float(y[0, 0, 0, 0]) < 1e-6
        (True, True)
        """
        d = self.spatial_dims_of(x)
        shape = tuple(x.shape[-d:])
        inscribed = (min(shape) - 1) / 2
        sigma = max(1.0, min(BAND_LIMIT_SIGMA * scale, (inscribed - 1) / 3))
        axes = [torch.arange(n, dtype=x.dtype, device=x.device) - (n - 1) / 2 for n in shape]
        radius = max(inscribed - 3 * sigma, 0.0)
        squared = sum(a.view((-1,) + (1,) * (d - 1 - t)) ** 2 for t, a in enumerate(axes))
        ball = (squared <= radius**2).to(x.dtype)
        half = int(4 * sigma)
        t = torch.arange(-half, half + 1, dtype=x.dtype, device=x.device)
        k = torch.exp(-(t**2) / (2 * sigma**2))
        k = k / k.sum()
        flat = (x * ball).reshape((-1, 1) + shape)
        conv = F.conv2d if d == 2 else F.conv3d
        for axis in range(d):
            # one separable pass per axis
            view = [1] * d
            view[axis] = -1
            padding = [0] * d
            padding[axis] = half
            flat = conv(flat, k.view(1, 1, *view), padding=tuple(padding))
        return flat.reshape(x.shape)


def _signed_permutation(m: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None] | None:
    """``(idx, sign)`` with ``m[c, idx[c]] = sign[c] = +-1`` the only nonzero of each row, or ``None``
    when ``m`` is not a signed permutation matrix (``sign`` is ``None`` for a plain permutation)."""
    nonzero = m != 0
    if not bool((nonzero.sum(1) == 1).all()) or not bool((m.abs()[nonzero] == 1).all()):
        return None
    idx = nonzero.to(torch.int64).argmax(1)
    sign = m.gather(1, idx[:, None])[:, 0]
    return idx, (None if bool((sign == 1).all()) else sign)
