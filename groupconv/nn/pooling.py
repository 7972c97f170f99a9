"""Equivariant pooling: spatial pooling with antialiasing, pooling over the group, norm pooling.

Exactness of spatial subsampling
--------------------------------
The groups ``C_4`` and ``D_4`` act on an ``H x H`` grid by rotating and reflecting it about its centre.
A centred window (odd ``kernel_size``, padding ``kernel_size // 2``) followed by keeping the pixels
``0, s, 2s, ...`` commutes with these maps exactly when the kept pixels form a grid symmetric about the
centre, i.e. when ``(H - 1)`` is divisible by the stride ``s`` (odd ``H`` for ``s = 2``: 33 -> 17 -> 9 ->
5). Otherwise a strided layer is equivariant only to the translations by multiples of ``s`` (and in the
circular sense only): subsampling is what breaks the exact symmetry, whatever the window.

Antialiasing (Zhang, ICML 2019, "Making Convolutional Networks Shift-Invariant Again", Sec. 3) blurs with
a binomial filter before subsampling; the outer product of binomial coefficients is ``D_4``-symmetric, so
it keeps the exactness above and makes the output change smoothly under the translations that
subsampling does not keep.

Volumes
-------
:class:`MaxPool3d`, :class:`AvgPool3d`, :class:`BlurPool3d` and :class:`GlobalPool3d` are the same layers
on volumes ``(batch, C, D, H, W)``: cubic windows, the outer product of three binomial vectors (invariant
under the 48 symmetries of the cube), and the same rule, axis by axis: a strided layer commutes exactly with
the cube symmetries (and with the grid symmetries of ``SO(3)``, ``O(3)`` fields) on a ``D x H x W`` grid
when ``(n - 1) % stride == 0`` for every size ``n`` (9 -> 5 -> 3), and the axes exchanged have equal sizes.
They export to ``nn.MaxPool3d`` and depthwise ``nn.Conv3d``. :class:`GroupPooling` and :class:`NormPooling`
act at every point alike and take volumes with ``spatial_dims=3``.

>>> import torch
>>> from groupconv.groups import Cyclic
>>> from groupconv.nn import FieldType
>>> from groupconv.reps import regular
>>> t = FieldType(Cyclic(4), [regular(Cyclic(4))] * 2)
>>> pool = MaxPool2d(t, stride=2)  # 9 -> 5: (9 - 1) % 2 == 0, exact under C4
>>> x = torch.randn(1, 8, 9, 9)
>>> pool(x).shape
torch.Size([1, 8, 5, 5])
>>> torch.allclose(pool(t.transform(x, 1)), t.transform(pool(x), 1))
True
>>> GroupPooling(t).out_type
C4[2 x irrep(0)]
"""

from __future__ import annotations

import copy
from math import comb

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..reps.operations import trivial
from ._fields import FieldGroups, check_field_type
from .field_type import FieldType
from .module import Certificate, EquivariantModule, check_spatial_dims
from .nonlinearities import permutation_certificate, require_permutation_fields
from .plain import FieldReduce, GlobalPool, PooledFieldNorms, _field_reduce, _global_pool, _norm_pool

__all__ = [
    "binomial_filter",
    "BlurPool2d",
    "MaxPool2d",
    "AvgPool2d",
    "GlobalPool2d",
    "BlurPool3d",
    "MaxPool3d",
    "AvgPool3d",
    "GlobalPool3d",
    "GroupPooling",
    "NormPooling",
    "FieldReduce",
    "GlobalPool",
    "PooledFieldNorms",
]


def binomial_filter(size: int, spatial_dims: int = 2) -> np.ndarray:
    """The ``size x size`` binomial blur ``b b^T / (sum b)^2``, ``b_i = binom(size - 1, i)``, in float64
    (``size x size x size``, the outer product of three ``b``, for ``spatial_dims=3``).

    It is invariant under the eight symmetries of the square (``D_4``), in 3D under the 48 of the cube.

    >>> binomial_filter(3, spatial_dims=3).shape, float(binomial_filter(3, spatial_dims=3).sum())
    ((3, 3, 3), 1.0)
    """
    if not isinstance(size, int) or size < 1:
        raise ValueError(f"the blur size must be a positive int, got {size!r}")
    if spatial_dims not in (2, 3):
        raise ValueError(f"spatial_dims must be 2 or 3, got {spatial_dims!r}")
    b = np.array([comb(size - 1, i) for i in range(size)], dtype=np.float64)
    out = np.outer(b, b) / b.sum() ** 2
    return out if spatial_dims == 2 else np.multiply.outer(out, b / b.sum())


def _check_spatial(x: torch.Tensor, layer: str) -> torch.Tensor:
    """Refuse an empty ``H x W`` map (``D x H x W`` volume): a window or a global pool over no pixel has no
    value (torch's own pooling layers raise as well); an empty batch is fine."""
    spatial = x.shape[2:]
    if min(spatial) == 0:
        grid = "H x W map" if len(spatial) == 2 else "D x H x W volume"
        raise ValueError(
            f"{layer} pools over space and needs a non-empty {grid}, got input shape {tuple(x.shape)}"
        )
    return x


def _check_odd(k: int, what: str) -> int:
    if not isinstance(k, int) or k < 1 or k % 2 == 0:
        raise ValueError(
            f"{what} must be a positive odd int so that the window is centred on a pixel (exact under "
            f"rotations and reflections of the grid), got {k!r}"
        )
    return k


def _check_stride(s: int) -> int:
    if not isinstance(s, int) or s < 1:
        raise ValueError(f"stride must be a positive int, got {s!r}")
    return s


def _depthwise(channels: int, kernel: np.ndarray, stride: int) -> nn.Module:
    k, d = kernel.shape[-1], kernel.ndim
    conv_class = nn.Conv2d if d == 2 else nn.Conv3d
    conv = conv_class(channels, channels, k, stride=stride, padding=k // 2, groups=channels, bias=False)
    w = torch.as_tensor(kernel, dtype=torch.float64).expand((channels, 1) + kernel.shape)
    conv.weight = nn.Parameter(w.contiguous(), requires_grad=False)
    return conv


class _SpatialFilter(EquivariantModule):
    """Depthwise filtering with a fixed ``D_4``-symmetric kernel (cube-symmetric on volumes), then
    subsampling."""

    def _set_filter(self, kernel: np.ndarray, stride: int) -> None:
        self.stride = stride
        shape = (self.in_type.size, 1) + kernel.shape
        w = torch.as_tensor(kernel, dtype=torch.float64).expand(shape).contiguous()
        self.register_derived("filter", w)

    def _filter(self, x: torch.Tensor) -> torch.Tensor:
        k = self.filter.shape[-1]
        if k == 1 and self.stride == 1:
            return x
        w = self.filter.to(x.dtype)
        conv = F.conv2d if self.spatial_dims == 2 else F.conv3d
        if x.device.type == "cpu" and x.dtype == torch.float64:
            # CPU float64 grouped convolutions loop over groups; one shared single-channel filter over
            # the batch-times-channels axis computes the same map several times faster
            n, c = x.shape[:2]
            y = conv(x.reshape((n * c, 1) + x.shape[2:]), w[:1], stride=self.stride, padding=k // 2)
            return y.reshape((n, c) + y.shape[2:])
        return conv(x, w, stride=self.stride, padding=k // 2, groups=self.in_type.size)

    def _export_filter(self) -> nn.Module:
        k = self.filter.shape[-1]
        if k == 1 and self.stride == 1:
            return nn.Identity()
        conv = _depthwise(self.in_type.size, self.derived_master("filter")[0, 0].numpy(), self.stride)
        return conv.to(device=self.filter.device, dtype=self.filter.dtype)


class BlurPool2d(_SpatialFilter):
    """Antialiased subsampling (blur-pool): a binomial blur, then keep every ``stride``-th pixel.

    .. math::  y = \\big(b * f\\big)\\big|_{s \\mathbb{Z}^2}, \\qquad b = \\text{binomial}(k)

    (Zhang, ICML 2019, Sec. 3.1). The same linear map acts on every channel, so it commutes with every
    fiber action: any field type. Exact under ``C_4`` / ``D_4`` when ``(H - 1) % stride == 0``.
    """

    def __init__(self, in_type: FieldType, stride: int = 2, blur_size: int = 3):
        super().__init__()
        self.in_type = self.out_type = check_field_type(in_type)
        blur = binomial_filter(_check_odd(blur_size, "blur_size"), self.spatial_dims)
        self._set_filter(blur, _check_stride(stride))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._filter(_check_spatial(self.check_input(x), type(self).__name__))

    def frame_bounds(self) -> tuple[float, float]:
        """Upper bound 1: a normalised non-negative filter is a contraction (Young's inequality)."""
        return 0.0, 1.0

    def export(self) -> nn.Module:
        return self._export_filter()


class MaxPool2d(_SpatialFilter):
    """Spatial max pooling of permutation-representation fields, antialiased by default.

    .. math::  y = \\big(b * \\max_{|u|_\\infty \\le k/2} f(\\cdot + u)\\big)\\big|_{s \\mathbb{Z}^2}

    (max-blur-pool, Zhang, ICML 2019, Sec. 3.1: dense max, then blur-pool). Without antialiasing it is
    the usual strided max pooling with a centred window. The entrywise maximum commutes with
    permutations of the channels only, so fields must be regular, quotient or trivial.
    """

    accepts = "permutation"

    def __init__(
        self,
        in_type: FieldType,
        kernel_size: int = 3,
        stride: int = 2,
        antialias: bool = True,
        blur_size: int = 3,
    ):
        super().__init__()
        self.in_type = self.out_type = check_field_type(in_type)
        suffix = f"{self.spatial_dims}d"
        require_permutation_fields(
            in_type, type(self).__name__, f"AvgPool{suffix}, BlurPool{suffix} or NormPooling"
        )
        self.kernel_size = _check_odd(kernel_size, "kernel_size")
        self.antialias = bool(antialias)
        stride = _check_stride(stride)
        self.pool_stride = 1 if self.antialias else stride
        d = self.spatial_dims
        if self.antialias:
            blur = binomial_filter(_check_odd(blur_size, "blur_size"), d)
        else:
            blur = np.ones((1,) * d)
        self._set_filter(blur, stride if self.antialias else 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k = self.kernel_size
        pool = F.max_pool2d if self.spatial_dims == 2 else F.max_pool3d
        y = pool(_check_spatial(self.check_input(x), type(self).__name__), k, self.pool_stride, k // 2)
        return self._filter(y)

    def export(self) -> nn.Module:
        k = self.kernel_size
        pool = (nn.MaxPool2d if self.spatial_dims == 2 else nn.MaxPool3d)(k, self.pool_stride, k // 2)
        if not self.antialias:
            return pool
        return nn.Sequential(pool, self._export_filter())


class AvgPool2d(_SpatialFilter):
    """Spatial average pooling over a centred ``k x k`` window (zeros outside the image count), blurred
    by a binomial filter before subsampling when ``antialias``; one depthwise filter, any field type.

    .. math::  y = \\big(b * a_k * f\\big)\\big|_{s \\mathbb{Z}^2}, \\qquad a_k = \\mathbf 1_{k \\times k} / k^2
    """

    def __init__(
        self,
        in_type: FieldType,
        kernel_size: int = 3,
        stride: int = 2,
        antialias: bool = True,
        blur_size: int = 3,
    ):
        super().__init__()
        self.in_type = self.out_type = check_field_type(in_type)
        k, d = _check_odd(kernel_size, "kernel_size"), self.spatial_dims
        box = np.full((k,) * d, 1.0 / k**d)
        if antialias:
            # scipy.signal costs half a second to import: loaded when a layer needs it
            from scipy.signal import convolve, convolve2d

            blur = binomial_filter(_check_odd(blur_size, "blur_size"), d)
            box = convolve2d(box, blur) if d == 2 else convolve(box, blur, method="direct")
        self.kernel_size = k
        self.antialias = bool(antialias)
        self._set_filter(box, _check_stride(stride))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._filter(_check_spatial(self.check_input(x), type(self).__name__))

    def frame_bounds(self) -> tuple[float, float]:
        """Upper bound 1 (normalised non-negative filter)."""
        return 0.0, 1.0

    def export(self) -> nn.Module:
        return self._export_filter()


def _check_mode(mode: str, allowed: tuple[str, ...], what: str) -> str:
    if mode not in allowed:
        raise ValueError(f"{what} must be one of {allowed}, got {mode!r}")
    return mode


class GlobalPool2d(EquivariantModule):
    """Global spatial pooling, ``(N, C, H, W) -> (N, C, 1, 1)`` (:class:`GlobalPool3d`: volumes).

    The spatial action leaves the pooled value unchanged, so the output is a field of the same type at a
    single point: invariant for trivial fields, ``rho(g)``-equivariant otherwise. ``"avg"`` accepts any
    field type; ``"max"`` needs permutation-representation fields.
    """

    def __init__(self, in_type: FieldType, mode: str = "avg"):
        super().__init__()
        self.in_type = self.out_type = check_field_type(in_type)
        self.mode = _check_mode(mode, ("avg", "max"), "mode")
        self.accepts = "permutation" if self.mode == "max" else "any"
        if self.mode == "max":
            require_permutation_fields(
                in_type, f"{type(self).__name__}(mode='max')", "mode='avg' or NormPooling"
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _global_pool(_check_spatial(self.check_input(x), type(self).__name__), self.mode)

    def export(self) -> nn.Module:
        return GlobalPool(self.mode)


class GroupPooling(EquivariantModule):
    """Pooling over the group: every regular (or permutation) field becomes one invariant channel.

    .. math::  y_i(x) = \\max_{g \\in G} f_i(x)_g \\quad\\text{or}\\quad \\frac{1}{|G|} \\sum_{g} f_i(x)_g

    (Cohen & Welling, ICML 2016, Sec. 6.3). ``rho(h)`` permutes the entries of the field, which leaves the
    maximum and the mean unchanged, so the output is a trivial field. ``spatial_dims``: 2 for images
    ``(batch, C, H, W)``, 3 for volumes ``(batch, C, D, H, W)``.
    """

    accepts = "permutation"

    def __init__(self, in_type: FieldType, mode: str = "max", spatial_dims: int = 2):
        super().__init__()
        self.in_type = check_field_type(in_type)
        self.spatial_dims = check_spatial_dims(spatial_dims, "GroupPooling")
        require_permutation_fields(in_type, "GroupPooling", "NormPooling")
        self.mode = _check_mode(mode, ("max", "mean"), "mode")
        self.out_type = FieldType(in_type.group, [trivial(in_type.group)] * len(in_type))
        self.groups = FieldGroups(in_type)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _field_reduce(self.check_input(x), self.groups, self.mode)

    def frame_bounds(self) -> tuple[float, float]:
        """``(0, 1)`` for max (``max_g f_g^2 <= |f|^2``); ``(0, 1 / min_i d_i)`` for the mean."""
        if self.mode == "max":
            return 0.0, 1.0
        return 0.0, 1.0 / min(self.groups.dims)

    def certificate(self) -> Certificate:
        """Proved when every field transforms by permutation matrices, exactly
        (:func:`~groupconv.proofs.certify_permutation_fields`): they leave the maximum and the mean of a
        field unchanged."""
        return permutation_certificate(self.in_type)

    def export(self) -> nn.Module:
        return FieldReduce(copy.deepcopy(self.groups), self.mode)


class NormPooling(EquivariantModule):
    """Every field to its norm, optionally pooled over space.

    .. math::  y_i = \\mathcal P\\big(|f_i|\\big), \\qquad
               \\mathcal P \\in \\{\\text{id}, \\max_{\\text{window}}, \\text{mean}_{\\text{window}}\\}

    The norms are invariant at each pixel for every orthogonal representation, so the output is a set of
    trivial fields; spatial pooling follows the exactness rule of this module's docstring (global pooling,
    ``kernel_size=None``, is exactly invariant).

    Parameters
    ----------
    spatial:
        ``None`` (norms at every pixel), ``"max"`` or ``"avg"``.
    kernel_size, stride:
        Window (odd) and stride of the spatial pooling; ``kernel_size=None`` pools globally.
    spatial_dims:
        2 for images ``(batch, C, H, W)``, 3 for volumes ``(batch, C, D, H, W)`` (cubic windows).
    """

    def __init__(
        self,
        in_type: FieldType,
        spatial: str | None = None,
        kernel_size: int | None = None,
        stride: int | None = None,
        spatial_dims: int = 2,
    ):
        super().__init__()
        self.in_type = check_field_type(in_type)
        self.spatial_dims = check_spatial_dims(spatial_dims, "NormPooling")
        if spatial is not None:
            _check_mode(spatial, ("max", "avg"), "spatial")
        self.spatial = spatial
        self.kernel_size = None if kernel_size is None else _check_odd(kernel_size, "kernel_size")
        self.stride = _check_stride(stride) if stride is not None else (self.kernel_size or 1)
        self.out_type = FieldType(in_type.group, [trivial(in_type.group)] * len(in_type))
        self.groups = FieldGroups(in_type)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.check_input(x)
        if self.spatial is not None:
            _check_spatial(x, f"NormPooling(spatial={self.spatial!r})")
        return _norm_pool(x, self.groups, self.spatial, self.kernel_size, self.stride)

    def frame_bounds(self) -> tuple[float | None, float | None]:
        """``(1, 1)`` without spatial pooling (the field norms keep the energy)."""
        return (1.0, 1.0) if self.spatial is None else (None, None)

    def export(self) -> nn.Module:
        return PooledFieldNorms(copy.deepcopy(self.groups), self.spatial, self.kernel_size, self.stride)


class BlurPool3d(BlurPool2d):
    """:class:`BlurPool2d` on volumes ``(batch, C, D, H, W)``: the ``k x k x k`` binomial blur, then every
    ``stride``-th voxel along each axis; exact under the cube symmetries when ``(n - 1) % stride == 0`` for
    every size ``n`` of the grid. Exports to a depthwise ``nn.Conv3d``.

    >>> import torch
    >>> from groupconv.groups import SO3
    >>> from groupconv.nn import FieldType
    >>> from groupconv.reps import irrep
    >>> BlurPool3d(FieldType(SO3(), [irrep(SO3(), 1)]))(torch.randn(2, 3, 9, 9, 9)).shape
    torch.Size([2, 3, 5, 5, 5])
    """

    spatial_dims = 3


class MaxPool3d(MaxPool2d):
    """:class:`MaxPool2d` on volumes ``(batch, C, D, H, W)``: a centred ``k x k x k`` window, then the
    ``3D`` blur-pool when ``antialias``; permutation-representation fields. Exports to ``nn.MaxPool3d``
    (followed by a depthwise ``nn.Conv3d`` when antialiased)."""

    spatial_dims = 3


class AvgPool3d(AvgPool2d):
    """:class:`AvgPool2d` on volumes ``(batch, C, D, H, W)``: a centred ``k x k x k`` box, blurred by the
    binomial filter when ``antialias``; one depthwise filter, any field type. Exports to a depthwise
    ``nn.Conv3d``."""

    spatial_dims = 3


class GlobalPool3d(GlobalPool2d):
    """Global spatial pooling of volumes, ``(N, C, D, H, W) -> (N, C, 1, 1, 1)`` (see
    :class:`GlobalPool2d`): invariant for trivial fields, ``rho(g)``-equivariant otherwise."""

    spatial_dims = 3
