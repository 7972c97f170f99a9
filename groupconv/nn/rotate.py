"""Rotations and reflections of feature fields on the pixel (or voxel) grid by interpolation.

.. math::  (g \\cdot f)(x) = \\rho(g) \\, f(g^{-1} x)

for any element ``g`` of ``C_n``, ``D_n``, ``SO(2)`` or ``O(2)`` (and, on volumes, of ``SO(3)``, ``O(3)``,
``O``, ``O_h``, ``I``, ``I_h``): the plane (space) is resampled at ``g^{-1} x`` by interpolation (points
outside the grid read 0), then ``rho(g)`` acts on the fibers. Pixel ``(i, j)`` sits at ``x = j - (W-1)/2``,
``y = (H-1)/2 - i`` (as in :mod:`groupconv.groups.actions`), so rotations by multiples of 90 degrees and
the reflections of ``D_4`` reproduce the exact grid action; :func:`rotate_field` permutes the grid for them
(the cube symmetries on volumes) instead of interpolating.

Accuracy (default ``mode="cubic"``, Keys' third-order cubic convolution): for a band-limited image (sums
of Gaussian blobs of standard deviation ``s`` pixels) the error relative to the image's maximum, inside the
disc inscribed in the image, is about ``2e-2`` at ``s = 1.5``, ``1.2e-3`` at ``s = 3`` and ``1.4e-4`` at
``s = 6``; ``grid_sample``'s bicubic mode (``a = -3/4``) gives ``1e-2`` and ``7e-3`` at ``s = 3`` and 6
(``tests/nn/test_rotate.py`` checks the cubic figures). Near the border, content rotated in from outside
the image is missing. :func:`resample_grid` resamples volumes ``(batch, C, D, H, W)`` the same way,
under a ``3 x 3`` matrix acting on ``(x, y, z)`` (the voxel convention of :mod:`groupconv.groups.actions`);
for random rotations of sums of Gaussian blobs of standard deviation ``s`` voxels the error inside the
inscribed ball is about ``2.5e-2`` of the maximum at ``s = 1.5``, ``2.5e-3`` at ``s = 3`` and ``1e-3`` at
``s = 4`` (``tests/nn/test_rotate.py`` checks the first two). :func:`rotate_field` rotates fields of
``SO(3)``, ``O(3)`` and the polyhedral groups on volumes, and permutes the grid exactly (:func:`permute_grid`)
for the elements that map it onto itself.

>>> import math
>>> import torch
>>> from groupconv.groups import SO2
>>> from groupconv.nn import FieldType
>>> from groupconv.reps import irrep
>>> t = FieldType(SO2(), [irrep(SO2(), 1)])
>>> x = torch.randn(1, 2, 5, 5, dtype=torch.float64)
>>> y = rotate_field(x, t, math.pi / 2)  # a quarter turn is a pixel permutation: exact
>>> rho = t.representation(torch.tensor(math.pi / 2, dtype=torch.float64))
>>> torch.allclose(y, torch.einsum("cd,bdhw->bchw", rho, torch.rot90(x, 1, dims=(-2, -1))), atol=1e-12)
True
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..groups.actions import acts_on_grid
from ..groups.base import Group
from .field_type import FieldType, grid_exact, spatial_matrix

__all__ = [
    "rotate_field",
    "permute_grid",
    "rotate_plane",
    "resample_grid",
    "source_points",
    "source_coordinates",
    "keys_weights",
]


def _as_element(group: Group, g):
    if isinstance(g, torch.Tensor):
        return g
    if group.is_finite:
        return torch.as_tensor(int(g))
    return torch.as_tensor(g, dtype=torch.float64)


def keys_weights(t: torch.Tensor) -> torch.Tensor:
    """Keys' cubic convolution weights (``a = -1/2``, third-order accurate) of the taps ``-1, 0, 1, 2``
    at fractional offsets ``t`` in ``[0, 1)``: shape ``t.shape + (4,)``."""
    t2, t3 = t * t, t * t * t
    return torch.stack(
        [(-t3 + 2 * t2 - t) / 2, (3 * t3 - 5 * t2 + 2) / 2, (-3 * t3 + 4 * t2 + t) / 2, (t3 - t2) / 2], -1
    )


#: Along tensor axis ``-1 - a`` runs coordinate ``a`` (``x``, ``y``, ``z``), increasing with the index for
#: +1 (the convention of :mod:`groupconv.groups.actions`).
AXIS_SIGNS = (1, -1, -1)
#: Letters of the spatial axes and of the interpolation taps in the einsum of the cubic resampling.
_SPATIAL, _TAPS = "uhw", "abc"


def source_points(shape: tuple[int, ...], matrix: torch.Tensor, device) -> list[torch.Tensor]:
    """Fractional grid indices of ``A^{-1} p`` for every point ``p`` of a grid of ``shape`` (``(H, W)``
    pixels or ``(D, H, W)`` voxels, ``A`` of size ``len(shape)``): one tensor of ``shape`` per tensor
    axis, in axis order; ``(batch, *shape)`` for a batch of matrices ``(batch, d, d)``."""
    d = len(shape)
    inv = torch.linalg.inv(matrix.to(torch.float64)).to(device)
    index = torch.meshgrid(
        *[torch.arange(n, dtype=torch.float64, device=device) for n in shape], indexing="ij"
    )
    # coordinate a runs along tensor axis d - 1 - a
    coords = [AXIS_SIGNS[a] * (index[d - 1 - a] - (shape[d - 1 - a] - 1) / 2) for a in range(d)]
    # a batch of matrices (batch, d, d) gives points (batch, *shape)
    lead = inv.shape[:-2] + (1,) * d
    source = [sum(inv[..., a, b].reshape(lead) * coords[b] for b in range(d)) for a in range(d)]
    return [AXIS_SIGNS[d - 1 - t] * source[d - 1 - t] + (shape[t] - 1) / 2 for t in range(d)]


def source_coordinates(h: int, w: int, matrix: torch.Tensor, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Row and column (fractional pixel indices) of ``A^{-1} p`` for every output pixel ``p`` of an
    ``h x w`` image (:func:`source_points` on the plane)."""
    rows, cols = source_points((h, w), matrix, device)
    return rows, cols


def resample_grid(x: torch.Tensor, matrix: torch.Tensor, mode: str = "cubic") -> torch.Tensor:
    """``f(A^{-1} p)`` for fields ``(batch, C, *spatial)`` on a grid of ``d`` axes and a ``d x d`` matrix
    ``A`` acting on ``(x, y)`` (``d = 2``, images) or ``(x, y, z)`` (``d = 3``, volumes); ``d`` is read
    from ``A``. A batch of matrices ``(batch, d, d)`` resamples each field under its own matrix, in one
    call.

    ``mode="cubic"``: Keys' cubic convolution (``a = -1/2``, Keys, IEEE TASSP 1981, eq. 15) along every
    axis, which is third-order accurate, as ``4^d`` gathers; ``"bilinear"``: ``grid_sample`` (linear
    along every axis); ``"bicubic"`` (images only): ``grid_sample``'s bicubic kernel, which uses
    ``a = -3/4`` and is only first-order accurate. Points outside the grid read 0.

    >>> import torch
    >>> quarter = torch.tensor([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # about z
    >>> v = torch.randn(1, 2, 3, 4, 4)
    >>> torch.allclose(resample_grid(v, quarter), torch.rot90(v, 1, dims=(-2, -1)), atol=1e-6)
    True
    """
    if mode not in ("cubic", "bicubic", "bilinear"):
        raise ValueError(f"mode must be 'cubic', 'bicubic' or 'bilinear', got {mode!r}")
    d = matrix.shape[-1]
    if matrix.dim() not in (2, 3) or matrix.shape[-2:] != (d, d) or d not in (2, 3):
        raise ValueError(
            f"the matrix must be 2 x 2 (images) or 3 x 3 (volumes), got {tuple(matrix.shape)}; a batch "
            f"of matrices is (batch, d, d)"
        )
    if x.dim() != d + 2:
        raise ValueError(
            f"a {d} x {d} matrix resamples fields (batch, C, {', '.join(_SPATIAL[-d:].upper())}), got "
            f"{tuple(x.shape)}"
        )
    if mode == "bicubic" and d != 2:
        raise ValueError("mode 'bicubic' resamples images only; use 'cubic' or 'bilinear' for volumes")
    if matrix.dim() == 3 and matrix.shape[0] != x.shape[0]:
        raise ValueError(
            f"a batch of {matrix.shape[0]} matrices needs {matrix.shape[0]} fields, got a batch of {x.shape[0]}"
        )
    shape = tuple(x.shape[-d:])
    # a batch of matrices gives points (batch, *shape), one matrix points of shape
    lead = tuple(matrix.shape[:-2])
    points = source_points(shape, matrix, x.device)
    if mode == "cubic":
        xp, flat, weights = _keys_taps(x, points, shape, lead)
        spatial, tap = _SPATIAL[-d:], _TAPS[:d]
        if d == 3:
            return _cubic_volume(x, xp, flat, weights, lead)
        if not lead:
            # one set of source indices for every field: a single index_select
            vals = xp[..., flat.reshape(-1)].reshape(x.shape[:-d] + shape + (4,) * d)
            operands = ",".join(spatial + tap[t] for t in range(d))
            return torch.einsum(f"...{spatial}{tap},{operands}->...{spatial}", vals, *weights)
        index = flat.reshape(lead[0], 1, -1).expand(lead[0], x.shape[1], -1)
        vals = torch.gather(xp, 2, index).reshape(x.shape[:2] + shape + (4,) * d)
        operands = ",".join("z" + spatial + tap[t] for t in range(d))
        return torch.einsum(f"zy{spatial}{tap},{operands}->zy{spatial}", vals, *weights)
    normalized = [
        (p - (n - 1) / 2) / ((n - 1) / 2) if n > 1 else torch.zeros_like(p) for p, n in zip(points, shape)
    ]
    # grid_sample with align_corners=True: -1 and 1 are the centres of the first and last points; its
    # grid lists the coordinates from the last tensor axis to the first
    grid = torch.stack(normalized[::-1], -1).to(x.dtype)
    if not lead:
        grid = grid[None].expand((x.shape[0],) + shape + (d,))
    return F.grid_sample(x, grid, mode=mode, padding_mode="zeros", align_corners=True)


def _cubic_volume(
    x: torch.Tensor, xp: torch.Tensor, flat: torch.Tensor, weights: list[torch.Tensor], lead: tuple[int, ...]
) -> torch.Tensor:
    """Keys' cubic interpolation of volumes from the parts of :func:`_keys_taps`: the 64 tap weights of
    every voxel as one product, the taps gathered as rows of all channels at once (voxel-major), then one
    batched product of weights and taps (a gather of single entries and an einsum of three weight
    operands are an order of magnitude slower on volumes)."""
    a, b, c = weights
    taps = (a[..., :, None, None] * b[..., None, :, None] * c[..., None, None, :]).reshape(-1, 1, 64)
    n, padded = math.prod(x.shape[2:]), xp.shape[-1]
    if not lead:
        rows = xp.reshape(-1, padded).T  # (padded voxels, batch * C)
        vals = rows.index_select(0, flat.reshape(-1)).view(n, 64, -1)
        return torch.bmm(taps, vals).view(n, -1).T.reshape(x.shape)
    batch, channels = x.shape[:2]
    rows = xp.transpose(1, 2).reshape(batch * padded, channels)  # (batch x padded voxels, C)
    offsets = torch.arange(batch, device=x.device).view((batch,) + (1,) * (flat.dim() - 1)) * padded
    vals = rows.index_select(0, (flat + offsets).reshape(-1)).view(batch * n, 64, channels)
    return torch.bmm(taps, vals).view(batch, n, channels).transpose(1, 2).reshape(x.shape)


def _keys_taps(
    x: torch.Tensor, points: list[torch.Tensor], shape: tuple[int, ...], lead: tuple[int, ...]
) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
    """The parts of Keys' cubic interpolation of ``x`` at the source ``points`` (each ``lead + shape``):
    the zero-padded fields flattened over their grid ``(batch, C, prod(padded))``, the flat indices of the
    ``4^d`` taps of every point ``(lead + shape + (4,) * d)``, and the tap weights along each axis
    (``lead + shape + (4,)``)."""
    d = len(shape)
    # round first so that integer source positions (grid symmetries) take the exact pixel
    points = [torch.where((p - p.round()).abs() < 1e-9, p.round(), p) for p in points]
    floors = [torch.floor(p) for p in points]
    weights = [keys_weights(p - f).to(x.dtype) for p, f in zip(points, floors)]
    pad = 2
    xp = F.pad(x, (pad,) * (2 * d))
    padded = [n + 2 * pad for n in shape]
    taps = torch.arange(-1, 3, device=x.device, dtype=torch.float64)
    flat = None
    for t, (f, n) in enumerate(zip(floors, padded)):
        # taps clamped to the padded border read zeros, as points outside the grid should
        r = (f[..., None] + taps + pad).clamp(0, n - 1).long()  # lead + shape + (4,)
        r = r.reshape(lead + shape + (1,) * t + (4,) + (1,) * (d - 1 - t))
        flat = r if flat is None else flat * n + r
    return xp.reshape(x.shape[:-d] + (math.prod(padded),)), flat, weights


def rotate_plane(x: torch.Tensor, matrix: torch.Tensor, mode: str = "cubic") -> torch.Tensor:
    """``f(A^{-1} x)`` for images ``(batch, C, H, W)`` and a ``2 x 2`` matrix ``A`` acting on ``(x, y)``:
    :func:`resample_grid` on the plane."""
    if matrix.shape != (2, 2):
        raise ValueError(f"rotate_plane takes a 2 x 2 matrix, got {tuple(matrix.shape)}")
    return resample_grid(x, matrix, mode)


def permute_grid(x: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
    """``f(A^{-1} p)`` for fields ``(batch, C, *spatial)`` and a matrix (or a batch of matrices, one per
    sample) that maps their grid onto itself (:func:`~groupconv.nn.field_type.grid_exact`): an index
    permutation, bit-exact.

    >>> import torch
    >>> quarter = torch.tensor([[0.0, -1.0], [1.0, 0.0]])
    >>> x = torch.randn(1, 2, 4, 4)
    >>> torch.equal(permute_grid(x, quarter), torch.rot90(x, 1, dims=(-2, -1)))
    True
    """
    d = matrix.shape[-1]
    shape = tuple(x.shape[-d:])
    flat = None
    for p, n in zip(source_points(shape, matrix, x.device), shape):
        r = p.round().long()
        flat = r if flat is None else flat * n + r
    xf = x.reshape(x.shape[:2] + (math.prod(shape),))
    if matrix.dim() == 2:
        return xf.index_select(2, flat.reshape(-1)).reshape(x.shape)
    index = flat.reshape(matrix.shape[0], 1, -1).expand(-1, x.shape[1], -1)
    return torch.gather(xf, 2, index).reshape(x.shape)


def _move_grid(x: torch.Tensor, matrix: torch.Tensor, mode: str, exact: torch.Tensor | None) -> torch.Tensor:
    """``f(A^{-1} p)``: a permutation where ``exact`` (one bool per matrix) says the matrix maps the grid
    onto itself, interpolation otherwise (``exact`` None: interpolate all)."""
    if exact is None or not bool(exact.any()):
        return resample_grid(x, matrix, mode)
    if matrix.dim() == 2 or bool(exact.all()):
        return permute_grid(x, matrix)
    y = torch.empty_like(x)
    y[exact] = permute_grid(x[exact], matrix[exact])
    y[~exact] = resample_grid(x[~exact], matrix[~exact], mode)
    return y


def rotate_field(x: torch.Tensor, field_type: FieldType, g, mode: str = "cubic") -> torch.Tensor:
    """``g . x`` for a feature map ``x`` of type ``field_type`` on the plane or in space: the grid is
    permuted where ``g`` maps it onto itself and resampled by interpolation otherwise (see the module
    docstring for the accuracy), then ``rho(g)`` acts on the fibers.

    Parameters
    ----------
    x:
        ``(batch, C, H, W)`` (images) or ``(batch, C, D, H, W)`` (volumes, axes holding ``(z, y, x)``).
        Planar groups (``C_n``, ``D_n``, ``SO(2)``, ``O(2)``) act on volumes about the ``z`` axis, on every
        depth slice as on an image; ``SO(3)``, ``O(3)`` and their finite subgroups act on volumes.
    field_type:
        Its :class:`~groupconv.nn.FieldType`.
    g:
        One element of the field type's group (an int for finite groups, an angle for SO(2), a
        ``(theta, s)`` tensor for O(2), a ``3 x 3`` matrix for SO(3) and O(3)), applied to every sample, or
        a batch of elements, one per sample: a tensor whose leading dimension is ``batch`` (``(batch,)``
        ints for finite groups, ``(batch,)`` angles for SO(2), ``(batch, 2)`` for O(2), ``(batch, 3, 3)``
        for SO(3) and O(3)).
    mode:
        ``"cubic"`` (Keys, third order), ``"bicubic"`` (images only) or ``"bilinear"`` (see
        :func:`resample_grid`).

    Returns
    -------
    torch.Tensor
        ``g . x``, of the shape of ``x``. Elements that map the grid onto itself (:meth:`FieldType.is_exact
        <groupconv.nn.FieldType.is_exact>`: the rotations by multiples of 90 degrees and the axis
        reflections on a square grid, the 24 rotations of the cube and their products with the inversion
        on a cubic grid) act by an index permutation, bit-exactly up to ``rho(g)``; the others resample
        the grid (a batch of them in one interpolation call). For a finite group acting on the grid
        (``C_4``, ``D_4``, ``O``, ``O_h``, ...) every sample is permuted exactly
        (:meth:`FieldType.transform <groupconv.nn.FieldType.transform>`, once per distinct element).

    Examples
    --------
    >>> import torch
    >>> from groupconv.groups import Cyclic
    >>> from groupconv.nn import FieldType
    >>> from groupconv.reps import regular
    >>> t = FieldType(Cyclic(4), [regular(Cyclic(4))])
    >>> x = torch.randn(3, 4, 6, 6)
    >>> y = rotate_field(x, t, torch.tensor([0, 1, 3]))  # one element per sample
    >>> all(torch.equal(y[i : i + 1], rotate_field(x[i : i + 1], t, k)) for i, k in enumerate([0, 1, 3]))
    True

    A vector field in space under a quarter turn about ``z`` (a voxel permutation):

    >>> from groupconv.groups import SO3
    >>> from groupconv.reps import irrep
    >>> v = FieldType(SO3(), [irrep(SO3(), 1)])
    >>> quarter = torch.tensor([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], dtype=torch.float64)
    >>> x = torch.randn(1, 3, 4, 5, 5, dtype=torch.float64)
    >>> y = rotate_field(x, v, quarter)
    >>> rho = v.representation(quarter)
    >>> torch.equal(y, torch.einsum("cd,bduhw->bcuhw", rho, torch.rot90(x, 1, dims=(-2, -1))))
    True
    """
    if not isinstance(field_type, FieldType):
        raise TypeError(f"rotate_field needs a FieldType, got {type(field_type).__name__}")
    field_type.check(x)
    if not x.is_floating_point():
        raise TypeError(
            f"rotate_field takes a floating point tensor (it interpolates and mixes channels with rho(g)), got "
            f"dtype {x.dtype}; cast it first (nothing is rounded silently)"
        )
    group = field_type.group
    g = _as_element(group, g)
    batch_shape = group.batch_shape(group.check_element(g))
    if len(batch_shape) > 1:
        raise ValueError(
            f"rotate_field takes one element of {group} or a batch of elements (batch,), got elements of "
            f"batch shape {batch_shape}"
        )
    if batch_shape and batch_shape[0] != x.shape[0]:
        raise ValueError(
            f"rotate_field takes one element per sample: got {batch_shape[0]} elements for a batch of "
            f"{x.shape[0]} samples"
        )
    d = field_type.spatial_dims_of(x)
    a = spatial_matrix(group.action_matrix(g, dtype=torch.float64), d)
    if a.shape[-1] != d:
        raise ValueError(
            f"{group} acts on {a.shape[-1]}-dimensional space, so its fields are volumes (batch, "
            f"{field_type.size}, D, H, W); got {tuple(x.shape)}"
        )
    if x.shape[0] == 0:
        return x.clone()
    meta = g.is_meta or x.is_meta
    if batch_shape and group.is_finite and not meta:
        # once per distinct element: a permutation of the fibers stays a gather (NaN stays in its channel)
        out = torch.empty_like(x)
        g = g.to(x.device)
        for k in torch.unique(g).tolist():
            idx = (g == k).nonzero().flatten()
            out[idx] = rotate_field(x[idx], field_type, k, mode)
        return out
    rho = field_type.representation(g, dtype=torch.float64)
    exact = None if meta else grid_exact(a, tuple(x.shape[-d:]))
    if not batch_shape and group.is_finite and acts_on_grid(group) and bool(exact):
        return field_type.transform(x, int(g))
    return field_type.act_on_fibers(_move_grid(x, a, mode, exact), rho)
