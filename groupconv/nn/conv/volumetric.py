"""Equivariant convolutions in space: lifting, group and steerable convolutions on volumes.

The layers of the plane with the dimension of the space set to 3: fields are ``(batch, C, D, H, W)``
(tensor axes depth, height, width holding ``z``, ``y``, ``x``; see :mod:`groupconv.groups.actions`),
filters ``(C_out, C_in, k, k, k)``, the convolution is ``conv3d``, and the kernel bases are radial
profiles times real spherical harmonics (:mod:`groupconv.kernels.spherical`). Everything else, the
geometry, the expansion plans, the initialization, the export and the ``state_dict``'s description, is
the code of the plane (:mod:`~groupconv.nn.conv.base`, :mod:`~groupconv.nn.conv.steerable`,
:mod:`~groupconv.nn.conv.regular`).

- :class:`SteerableConv3d`: fields of any representations of ``SO(3)``, ``O(3)`` and of the octahedral and
  icosahedral groups ``O``, ``Oh``, ``I``, ``Ih``;
- :class:`LiftingConv3d`, :class:`GroupConv3d`: scalar to regular and regular to regular fields of ``O``,
  ``Oh`` (the filter copied to its 24 / 48 rotated and reflected positions by ONE gather from a
  precomputed voxel index map, as ``C_4`` / ``D_4`` do on the pixel grid), ``I`` and ``Ih`` (the free
  filters of the steerable band rotated by every element: one gather and one product).

What a certificate proves: on ``O`` / ``Oh``, which permute the voxel grid, the index map or the exact
integer basis of every pair of fields is proved with integer arithmetic, as on the plane, and the filter
lies in their span up to its rounding. The bases of
``SO(3)``, ``O(3)``, ``I`` and ``Ih`` are sampled from angular templates in floating point (Clebsch-Gordan
blocks, or the fixed points of the Reynolds operator), and no group element maps the voxel grid onto
itself except the cube symmetries: :meth:`SteerableConv3d.certificate` says ``"not applicable"`` and
reports the largest numerical violation of the constraint by the templates (:func:`template_residual`);
check such layers with :func:`groupconv.verify.check_equivariance`.

>>> import torch
>>> from groupconv.groups import SO3, Octahedral
>>> from groupconv.nn import FieldType
>>> from groupconv.reps import irrep
>>> so3 = SO3()
>>> scalars, mixed = FieldType(so3, [irrep(so3, 0)]), FieldType(so3, [irrep(so3, 0), irrep(so3, 1)])
>>> SteerableConv3d(scalars, mixed, 3, padding=1)(torch.randn(1, 1, 6, 6, 6)).shape
torch.Size([1, 4, 6, 6, 6])
>>> GroupConv3d.from_channels(Octahedral(), 1, 2, 3)(torch.randn(1, 24, 5, 5, 5)).shape
torch.Size([1, 48, 3, 3, 3])
"""

from __future__ import annotations

import math
from dataclasses import replace
from functools import lru_cache

import numpy as np
import torch
from torch import nn

from ...groups.actions import acts_on_grid
from ...groups.base import FiniteGroup
from ...groups.polyhedral import FullIcosahedral, FullOctahedral, Icosahedral, Octahedral
from ...groups.spatial import O3, SO3
from ...kernels import KernelSpec, harmonic_kernel_basis, kernel_basis
from ...kernels.spherical import spherical_action
from ...proofs import certify_index_map
from ...reps.operations import regular, trivial
from ..module import Certificate
from .base import EquivariantConv2d
from .regular import _RegularConv
from .steerable import _span_residual, _SteerableConv, harmonic_templates

__all__ = ["SteerableConv3d", "LiftingConv3d", "GroupConv3d", "template_residual"]

_POLYHEDRAL = (Octahedral, FullOctahedral, Icosahedral, FullIcosahedral)
#: rotations of SO(3) / O(3) on which the templates of a continuous group are checked, besides the cube's
_SAMPLES = 64


class _InSpace:
    """What the layers in space change in those of the plane: the dimension, the grid's name and the
    steerable layer the error messages point to, and the certificate of the groups that do not permute
    the voxel grid."""

    spatial_dims = 3
    grid_name = "voxel grid (O, Oh)"
    steerable_name = "SteerableConv3d"

    def certificate(self) -> Certificate:
        """On ``O`` / ``Oh``: the exact proof of the index map or of the basis (integer arithmetic). On
        ``SO(3)``, ``O(3)``, ``I``, ``Ih``: ``"not applicable"`` with the numerical residual of the
        constraint (:func:`certify_in_space`)."""
        if getattr(self, "_expansion", None) is None or acts_on_grid(self.in_type.group, 3):
            return super().certificate()
        return certify_in_space(self)


class SteerableConv3d(_InSpace, _SteerableConv):
    """Steerable convolution between feature fields on volumes, for any representations of ``SO(3)``,
    ``O(3)`` or the polyhedral groups ``O``, ``Oh``, ``I``, ``Ih``.

    .. math::  y = K * x, \\qquad K = \\sum_b w_b \\, B_b, \\qquad
               B_b(g x) = \\rho_{out}(g) B_b(x) \\rho_{in}(g)^{-1},

    with one learned coefficient per basis element of each pair of (input field, output field); the basis
    elements are Gaussian shells times real spherical harmonics (Weiler, Geiger, Welling, Boomsma, Cohen,
    *3D steerable CNNs*, NeurIPS 2018, section 3), the largest degree of each shell limited so that the
    sampled harmonics are not aliased (:mod:`groupconv.kernels.radial`). Between fields that are all
    regular fields of ``O``, ``Oh``, ``I`` or ``Ih`` (``groups=1``, a steerable basis) the filter is that
    of :class:`GroupConv3d` with the moved free filters: weight ``(C_out, C_in, |G|, F)``, no dense basis.

    Parameters
    ----------
    in_type, out_type:
        :class:`~groupconv.nn.FieldType` of the input and output (same group), e.g.
        ``FieldType(SO3(), [irrep(SO3(), 0)] * 4 + [irrep(SO3(), 1)] * 2)``.
    kernel_size:
        Odd ``k`` (or ``(k, k, k)``).
    stride, padding, dilation, groups:
        As in :class:`torch.nn.Conv3d`. With ``groups > 1`` the fields of each type are split into
        ``groups`` consecutive blocks with the same representations.
    bias:
        A learned bias on the trivial irreps of the output fields.
    basis:
        A :class:`~groupconv.kernels.KernelSpec` or ``"gaussian"``; ``"exact"`` for the exact solution on
        the voxel grid (``O`` and ``Oh`` only).
    **basis_options:
        As for :class:`~groupconv.nn.SteerableConv2d` (``max_frequency`` is the largest degree of the
        spherical harmonics).

    Examples
    --------
    >>> import torch
    >>> from groupconv.groups import O3
    >>> from groupconv.nn import FieldType, SteerableConv3d
    >>> from groupconv.reps import irrep
    >>> o3 = O3()
    >>> ft = FieldType(o3, [irrep(o3, 0, 1), irrep(o3, 1, -1)])
    >>> conv = SteerableConv3d(ft, ft, 3, padding=1)
    >>> conv(torch.randn(2, 4, 5, 5, 5)).shape
    torch.Size([2, 4, 5, 5, 5])
    >>> conv.export()
    Conv3d(4, 4, kernel_size=(3, 3, 3), stride=(1, 1, 1), padding=(1, 1, 1))
    """

    def _weight_shape(self, spec: KernelSpec | None, method: str) -> tuple[int, ...]:
        group = self.in_type.group
        reg = regular(group) if isinstance(group, _POLYHEDRAL) else None
        reps = self.in_type.representations + self.out_type.representations
        if spec is None or reg is None or self.groups != 1 or any(not (r == reg) for r in reps):
            return super()._weight_shape(spec, method)
        # regular fields of a polyhedral group: GroupConv3d's moved free filters, no dense basis of |G|^2
        # kernels per free filter (which the plan would sample, and for Ih refuse by its memory budget)
        self.group, self.lifting = group, False
        self.in_channels, self.out_channels = len(self.in_type), len(self.out_type)
        return _register_moved_filters(self, spec)

    def expand_filter(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        if self._expansion is not None:
            return super().expand_filter()
        b = None if self.bias is None else self.bias_map.to(self.bias.dtype) @ self.bias
        return _expand_moved(self), b

    def reset_parameters(self, gain: float = 2.0) -> None:
        """Generalized He initialization (:mod:`groupconv.nn.init`; between regular fields of ``O``,
        ``Oh``, ``I``, ``Ih`` that of :class:`GroupConv3d`), zero bias."""
        if self._expansion is not None:
            super().reset_parameters(gain)
        else:
            _init_moved_(self, gain)

    def certificate(self) -> Certificate:
        """As :meth:`_InSpace.certificate`; between regular fields of a polyhedral group, that of
        :class:`GroupConv3d` with the same moved free filters."""
        if self._expansion is not None:
            return super().certificate()
        return _certify_moved(self)

    @classmethod
    def check_group(cls, group) -> None:
        """Refuse a group without kernel bases in space (a ``TypeError`` naming the supported ones)."""
        if not isinstance(group, (SO3, O3) + _POLYHEDRAL):
            raise TypeError(
                f"{cls.__name__} acts with SO(3), O(3), O, Oh, I or Ih (fields on volumes), got {group}"
                + (" (a group of the plane: use SteerableConv2d)" if _planar(group) else "")
            )


class _RegularConv3d(_InSpace, _RegularConv):
    """The lifting and group convolutions in space: regular fields of the polyhedral groups.

    With a steerable basis (``"gaussian"`` or a :class:`~groupconv.kernels.KernelSpec`) the filter is
    expanded from the *moved free filters* ``R[g, f]``, free filter ``f`` of the band (the row of the
    identity of the lifting basis) moved by ``g`` (its row ``g``): the lifting filter is
    ``K[c, g, d] = sum_f theta[c, d, f] R[g, f]`` and the group convolution's
    ``K[c, g, d, h] = sum_f theta[c, d, g^-1 h, f] R[g, f]``, the index map of the voxel grid with the
    voxel permutation replaced by the steerable rotation: one gather and one product, and no dense basis
    of ``|G|^2`` kernels per free filter (which for ``Ih`` would take gigabytes).
    """

    def _basis_weight_shape(self, spec, method) -> tuple[int, ...]:
        if spec is None:
            # the exact integer basis of the voxel grid, through the layer's plan
            return super()._basis_weight_shape(spec, method)
        return _register_moved_filters(self, spec)

    @property
    def _lifted(self) -> bool:
        return "lift_filters" in self._buffers

    def expand_filter(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        if not self._lifted:
            return super().expand_filter()
        b = None if self.bias is None else self.bias.repeat_interleave(self.group.order)
        return _expand_moved(self), b

    def reset_parameters(self, gain: float = 2.0) -> None:
        """Generalized He initialization (:mod:`groupconv.nn.init`) of the moved free filters: every weight
        reaches one output row through one filter ``R[g, f]``, so ``s^2 = gain / E`` with ``E`` the number
        of input channels times ``sum_f (1 - 1/pi) ||R[g, f]||^2 + (sum_x R[g, f](x))^2 / pi``
        (averaged over ``g``); zero bias."""
        if not self._lifted:
            super().reset_parameters(gain)
            return
        _init_moved_(self, gain)

    def certificate(self) -> Certificate:
        """The index map or the exact basis proved (``O``, ``Oh``: :class:`LiftingConv2d`'s certificate in
        space); for the moved free filters, on ``O`` / ``Oh`` the exact grid bases with the filter in their
        span (proved), on ``I`` / ``Ih`` the numerical check of the lifting basis (``"not applicable"``,
        :func:`certify_moved_filters`)."""
        if not self._lifted:
            return super().certificate()
        return _certify_moved(self)

    @classmethod
    def check_group(cls, group) -> FiniteGroup:
        """``group`` if it is ``O``, ``Oh``, ``I`` or ``Ih``, else a ``TypeError``."""
        if not isinstance(group, _POLYHEDRAL):
            raise TypeError(
                f"{cls.__name__} is built for the regular fields of O, Oh, I and Ih, got {group!r}"
                + (" (a group of the plane: use LiftingConv2d / GroupConv2d)" if _planar(group) else "")
                + ("; SteerableConv3d takes fields of SO(3) and O(3)" if isinstance(group, (SO3, O3)) else "")
            )
        return group


class LiftingConv3d(_RegularConv3d):
    """Lifting convolution on volumes: scalar fields to regular fields (functions on ``G``) of ``O``,
    ``Oh``, ``I`` or ``Ih``.

    .. math::  y_c(x, g) = \\sum_{d} \\sum_{u} \\theta_{c d}(g^{-1} u) \\, x_d(x + u)

    (Cohen & Welling, *Group equivariant CNNs*, ICML 2016, eq. 10, in space). Output channel
    ``c * |G| + g`` holds the response of the filter moved by ``g``. On ``O`` / ``Oh`` the moved filters
    are voxel permutations of the learned one, copied by one gather (``basis="index"``, the default);
    on ``I`` / ``Ih`` the rotated filter is the steerable interpolation of the learned one
    (``basis="gaussian"``, the default there).

    Parameters
    ----------
    in_type, out_type:
        Trivial fields and regular fields of one polyhedral group; :meth:`from_channels` builds them from
        channel counts.
    kernel_size:
        Odd ``k`` (or ``(k, k, k)``).
    stride, padding, dilation:
        As in :class:`torch.nn.Conv3d`.
    bias:
        One learned bias per output field (constant over the group).
    basis:
        ``"index"`` (``O``, ``Oh``), ``"gaussian"``, ``"exact"`` (``O``, ``Oh``) or a
        :class:`~groupconv.kernels.KernelSpec`; ``None`` chooses ``"index"`` where it applies.
    **basis_options:
        As for :class:`SteerableConv3d`.

    Examples
    --------
    >>> import torch
    >>> from groupconv.groups import FullOctahedral
    >>> from groupconv.nn import LiftingConv3d
    >>> conv = LiftingConv3d.from_channels(FullOctahedral(), 1, 2, 3, padding=1)
    >>> conv.weight.shape, conv(torch.randn(1, 1, 4, 4, 4)).shape
    (torch.Size([2, 1, 3, 3, 3]), torch.Size([1, 96, 4, 4, 4]))
    """

    lifting = True


class GroupConv3d(_RegularConv3d):
    """Group convolution on volumes between regular fields of ``O``, ``Oh``, ``I`` or ``Ih``.

    .. math::  y_c(x, g) = \\sum_{d, h} \\sum_{u} \\theta_{c d}(g^{-1} h, g^{-1} u) \\, x_d(x + u, h)

    (Cohen & Welling, ICML 2016, eq. 11, in space). Channel ``c * |G| + g`` is the value at ``g`` of
    regular field ``c``. On ``O`` / ``Oh`` the filter is expanded by one gather from a voxel index map,
    on ``I`` / ``Ih`` through the lifted steerable basis.

    Parameters
    ----------
    in_type, out_type:
        Regular fields of one polyhedral group; :meth:`from_channels` builds them from channel counts.
    kernel_size, stride, padding, dilation, bias, basis, **basis_options:
        As for :class:`LiftingConv3d`.

    Examples
    --------
    >>> import torch
    >>> from groupconv.groups import Octahedral
    >>> from groupconv.nn import GroupConv3d
    >>> conv = GroupConv3d.from_channels(Octahedral(), 2, 1, 3, padding=1)
    >>> conv.weight.shape, conv(torch.randn(1, 48, 4, 4, 4)).shape
    (torch.Size([1, 2, 24, 3, 3, 3]), torch.Size([1, 24, 4, 4, 4]))
    """

    lifting = False


def _register_moved_filters(module: EquivariantConv2d, spec: KernelSpec) -> tuple[int, ...]:
    """Register the moved free filters of ``spec`` (``lift_filters``, :func:`moved_free_filters`) and the
    relative index ``g^-1 h`` of a group convolution on ``module`` (its ``group``, ``lifting``, channel
    counts and kernel size set); the weight's shape: ``(C_out, C_in, F)`` lifting, ``(C_out, C_in, |G|,
    F)`` otherwise."""
    module._expansion, module._spec = None, spec
    group = module.group
    r = moved_free_filters(group, module.kernel_size, spec)
    # the master is the layer's own copy of the cached, read-only array
    module.register_derived("lift_filters", r.copy())
    n, nf = r.shape[:2]
    c_out, c_in = module.out_channels, module.in_channels
    if module.lifting:
        return (c_out, c_in, nf)
    rel = group.cayley_table_np[group.inverse_table_np[:, None], np.arange(n)[None, :]]
    module.register_buffer("relative_index", torch.as_tensor(rel.reshape(-1)), persistent=False)
    return (c_out, c_in, n, nf)


def _expand_moved(module: EquivariantConv2d) -> torch.Tensor:
    """The filter of moved free filters ``R``: ``K[c, g, d] = sum_f theta[c, d, f] R[g, f]`` (lifting),
    ``K[c, g, d, h] = sum_f theta[c, d, g^-1 h, f] R[g, f]`` (group convolution)."""
    r = module.lift_filters.to(module.weight.dtype)
    n, k = module.group.order, module.kernel_size
    c_out, c_in = module.out_channels, module.in_channels
    if module.lifting:
        return torch.einsum("cdf,gfp->cgdp", module.weight, r).reshape(c_out * n, c_in, k, k, k)
    theta = module.weight.index_select(2, module.relative_index).reshape(c_out, c_in, n, n, -1)
    return torch.einsum("cdghf,gfp->cgdhp", theta, r).reshape(c_out * n, c_in * n, k, k, k)


def _init_moved_(module: EquivariantConv2d, gain: float) -> None:
    """Generalized He initialization of a layer of moved free filters (see
    :meth:`_RegularConv3d.reset_parameters`), zero bias."""
    r = torch.from_numpy(np.array(moved_free_filters(module.group, module.kernel_size, module._spec)))
    energy = ((1 - 1 / math.pi) * r.pow(2).sum(-1) + r.sum(-1).pow(2) / math.pi).sum(-1).mean()
    channels = module.in_type.size
    with torch.no_grad():
        module.weight.normal_(0.0, math.sqrt(gain / (channels * float(energy))))
        if module.bias is not None:
            nn.init.zeros_(module.bias)


def _certify_moved(module: EquivariantConv2d) -> Certificate:
    """The certificate of a layer of moved free filters: on ``O`` / ``Oh`` the voxel index map of the layer
    is proved (:func:`groupconv.proofs.certify_index_map`) and the filter is the index-map expansion of its
    own identity rows up to a residual (rounding: the moved free filters are voxel permutations of the free
    filters up to their sampling); on ``I`` / ``Ih`` :func:`certify_moved_filters`."""
    if not acts_on_grid(module.group, 3):
        return certify_moved_filters(module)
    index = torch.as_tensor(_RegularConv._index_map(module))
    with torch.no_grad():
        w = module.filter()[0].detach().cpu().to(torch.float64)
    n, c_out = module.group.order, module.out_channels
    theta = w.reshape(c_out, n, -1)[:, 0].reshape(-1)
    res = float((theta[index] - w).norm() / w.norm().clamp_min(1e-300))
    ok, reason = certify_index_map(
        lambda t: t.reshape(-1)[index],
        theta.numel(),
        module.group,
        module.in_type.representation,
        module.out_type.representation,
    )
    eps = torch.finfo(module.weight.dtype).eps
    return Certificate(
        "proved" if ok and res <= 64 * eps else "failed",
        f"{reason}; the filter is the index-map expansion of its identity rows up to the residual {res:.2e}",
        res,
    )


def _planar(group) -> bool:
    """Whether ``group`` acts on the plane (the hint of the error messages)."""
    try:
        return group.action_dim == 2
    except (AttributeError, NotImplementedError):
        return False


def _check_elements(group) -> tuple[torch.Tensor, np.ndarray]:
    """The elements the templates of ``group`` are checked on, with their ``3 x 3`` matrices: every
    element of a finite group; for ``SO(3)`` / ``O(3)`` the cube symmetries and a fixed set of Haar-random
    elements (the same in every process)."""
    if group.is_finite:
        g = group.elements()
        return g, group.action_matrix(g, dtype=torch.float64).numpy()
    gen = torch.Generator().manual_seed(0)
    sampled = group.sample(_SAMPLES, generator=gen)
    cube = _cube_symmetries(isinstance(group, O3))
    g = torch.cat([cube, sampled])
    return g, group.action_matrix(g, dtype=torch.float64).numpy()


def _cube_symmetries(inversion: bool) -> torch.Tensor:
    """The signed permutation matrices of determinant 1 (with ``inversion``: all 48)."""
    perms = np.array([[0, 1, 2], [1, 2, 0], [2, 0, 1], [0, 2, 1], [2, 1, 0], [1, 0, 2]])
    signs = np.array([[a, b, c] for a in (1, -1) for b in (1, -1) for c in (1, -1)], dtype=np.float64)
    mats = np.zeros((len(perms) * len(signs), 3, 3))
    for n, (p, s) in enumerate((p, s) for p in perms for s in signs):
        mats[n, np.arange(3), p] = s
    if not inversion:
        mats = mats[np.linalg.det(mats) > 0]
    return torch.from_numpy(mats)


def template_residual(templates: dict, group) -> tuple[float, int]:
    """The largest relative violation of the angular constraint by ``templates`` and the number of
    elements checked.

    ``templates`` maps ``(sigma_out, sigma_in, J)`` to ``T`` ``(m, d_out, d_in, 2J+1)`` (the
    ``templates`` of a :class:`~groupconv.kernels.KernelBasis` in space): each ``T`` must be a fixed point
    of ``T_a -> sigma_out(g) (sum_b T_b L_J(g)[b, a]) sigma_in(g)^T`` with ``L_J`` the action on the
    harmonics of degree ``J`` (``Y_J(g^{-1} u) = L_J(g) Y_J(u)``,
    :func:`~groupconv.kernels.spherical.spherical_action`), which makes
    ``K(x) = phi(|x|) sum_a T_a Y_{J,a}(x / |x|)`` satisfy the kernel constraint on the continuous kernel.
    Checked in float64 on every element of a finite group, and on the cube symmetries and 64 fixed
    Haar-random elements of ``SO(3)`` / ``O(3)``: a number, not a proof.

    Examples
    --------
    >>> from groupconv.groups import SO3
    >>> from groupconv.kernels import KernelSpec, kernel_basis
    >>> from groupconv.reps import irrep
    >>> basis = kernel_basis(irrep(SO3(), 1), irrep(SO3(), 2), 5, KernelSpec(warn=False), spatial_dims=3)
    >>> residual, checked = template_residual(basis.templates, SO3())
    >>> residual < 1e-12, checked
    (True, 88)
    """
    g, mats = _check_elements(group)
    worst = 0.0
    actions: dict = {}
    for (so, si, degree), t in templates.items():
        t = np.asarray(t, dtype=np.float64)
        if t.shape[0] == 0:
            continue
        if degree not in actions:
            actions[degree] = spherical_action(mats, degree)
        lj = actions[degree]
        ro, ri = so(g).double().numpy(), si(g).double().numpy()
        moved = np.einsum("nop,mpqb,nba,niq->nmoia", ro, t, lj, ri, optimize=True)
        scale = max(float(np.abs(t).max()), 1e-300)
        worst = max(worst, float(np.abs(moved - t[None]).max()) / scale)
    return worst, len(mats)


@lru_cache(maxsize=64)
def moved_free_filters(group: FiniteGroup, kernel_size: int, spec: KernelSpec) -> np.ndarray:
    """``R`` ``(|G|, F, k^3)`` (float64, read-only): the ``F`` free filters of the band of ``spec`` (the
    identity's row of the lifting basis :func:`~groupconv.kernels.kernel_basis` from the trivial to the
    regular representation), each moved by every element ``g`` (row ``g``: ``K(g x) = rho_reg(g) K(x)``
    makes row ``g`` the identity's row moved by ``g``)."""
    basis = kernel_basis(trivial(group), regular(group), kernel_size, spec, spatial_dims=3)
    r = np.ascontiguousarray(basis.tensor[:, :, 0].reshape(len(basis), group.order, -1).transpose(1, 0, 2))
    r.flags.writeable = False
    return r


def certify_moved_filters(module: EquivariantConv2d) -> Certificate:
    """The certificate of a lifting or group convolution of ``I`` / ``Ih`` through moved free filters:
    ``"not applicable"`` (no exact proof off the voxel grid), with the numbers checked: the lifting basis
    spans the same kernels as the harmonic one (whose templates satisfy the constraint,
    :func:`template_residual`); the group convolution's filter is then equivariant by construction."""
    group, k = module.group, module.kernel_size
    spec = replace(module._spec, warn=False)
    # the lifting basis (F, n, 1, k^3) the layer's buffer holds
    own = module.lift_filters.detach().cpu().double().numpy().transpose(1, 0, 2)[:, :, None]
    ref = harmonic_kernel_basis(
        trivial(group), regular(group), k, replace(spec, allow_empty=True), spatial_dims=3
    )
    if len(ref) != own.shape[0]:
        return Certificate(
            "failed", f"the lifting basis has {own.shape[0]} elements, the harmonic one {len(ref)}"
        )
    span = max(_span_residual(own, ref.tensor), _span_residual(ref.tensor, own))
    residual, _ = template_residual(ref.templates, group)
    # the buffer's rounding: float64 masters, cast to the layer's dtype
    span_tol = max(1e-10, 1e3 * torch.finfo(module.lift_filters.dtype).eps)
    if residual > 1e-9 or span > span_tol:
        return Certificate(
            "failed",
            f"the moved free filters leave the harmonic span (residual {span:.1e}) or its templates violate "
            f"the constraint ({residual:.1e})",
        )
    return Certificate(
        "not applicable",
        f"no exact proof for {group} on the voxel grid: checked numerically, the moved free filters span the "
        f"harmonic lifting kernels (residual {span:.1e}), whose angular templates satisfy the constraint up "
        f"to {residual:.1e} (relative) on every element of {group}; the group convolution's filter "
        "K[g, h] = sum_f theta[g^-1 h, f] R[g, f] is equivariant by construction from them; check the layer "
        "with groupconv.verify.check_equivariance",
    )


def certify_in_space(module: EquivariantConv2d) -> Certificate:
    """The certificate of a steerable expansion in space for a group that does not permute the voxel
    grid (``SO(3)``, ``O(3)``, ``I``, ``Ih``): ``"not applicable"`` (no exact proof: the templates are
    floating-point numbers and no element but the cube symmetries maps the grid onto itself), with the
    numerical residual of the angular constraint (:func:`template_residual`); ``"failed"`` when that
    residual is far above the rounding of float64, when a lifted basis leaves the span of the harmonic
    one, or when the factor buffers were edited apart from the basis."""
    group = module.in_type.group
    exp = module._expansion
    plan = exp.plan
    if not exp.factors_match_basis(module):
        return Certificate(
            "failed",
            "the factor buffers (lift_filters) are not those of the basis buffer: one of them was edited "
            "after construction (a move or cast derives them again)",
        )
    if not torch.equal(module.basis.detach().cpu(), torch.from_numpy(plan.buf).to(module.basis.dtype)):
        return Certificate(
            "failed",
            "the basis buffer is not the sampled basis of the layer's plan: it was edited after construction",
        )
    found = harmonic_templates(module)
    if isinstance(found, Certificate):
        return found
    templates, _, span = found
    residual, checked = template_residual(templates, group)
    # far above the rounding of float64 templates, far below the error of a wrong solution
    tol = 1e-9
    span_tol = max(1e-10, 1e3 * torch.finfo(module.basis.dtype).eps)
    where = f"every element of {group}" if group.is_finite else f"{checked} elements of {group}"
    if residual > tol:
        return Certificate(
            "failed", f"the angular templates violate the constraint by {residual:.1e} (relative) on {where}"
        )
    if span > span_tol:
        return Certificate("failed", f"the lifted bases leave the harmonic span (residual {span:.1e})")
    return Certificate(
        "not applicable",
        f"no exact proof for {group} on the voxel grid: its angular templates are floating-point numbers; "
        f"checked numerically, they satisfy the constraint up to {residual:.1e} (relative) on {where}"
        + (f", and the lifted bases span the harmonic kernels (residual {span:.1e})" if span else "")
        + "; check the layer with groupconv.verify.check_equivariance",
    )
