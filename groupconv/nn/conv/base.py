"""The base of groupconv's convolutions: geometry, forward, export, the ``state_dict``'s description.

Every convolution of :mod:`groupconv.nn.conv` is a plain convolution (cross-correlation) with an
*expanded* filter ``K`` that satisfies the kernel constraint

.. math::  K(g x) = \\rho_{out}(g) \\, K(x) \\, \\rho_{in}(g)^{-1}  \\qquad \\forall g \\in G,

which makes ``f -> K * f`` equivariant: ``K * (g . f) = g . (K * f)`` with
``(g . f)(x) = rho(g) f(g^{-1} x)`` (Cohen & Welling, *Steerable CNNs*, ICLR 2017, section 2; Weiler &
Cesa, *General E(2)-equivariant steerable CNNs*, NeurIPS 2019, eq. 2). :class:`EquivariantConv2d` holds
what does not depend on how ``K`` is built: the geometry (``stride``, ``padding``, ``dilation``,
``groups``, tuples of length ``spatial_dims``), the convolution of that dimension, the export to a plain
torch convolution, the frame bounds and the projection residual of the filter, the description stored
in the ``state_dict``. Subclasses implement :meth:`EquivariantConv2d.expand_filter`.

The filter is expanded on every call, also in eval mode (no cache that a parameter change could leave
stale); :meth:`EquivariantConv2d.export` gives a plain convolution with the filter fixed.

>>> conv_geometry(2, "valid", 1)
((2, 2), 'valid', (1, 1))
>>> conv_geometry((1, 2), 1, 1, spatial_dims=2)
((1, 2), (1, 1), (1, 1))
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ...groups.actions import grid_permutation
from ...kernels import check_kernel_size
from ...proofs import conv_frame_bounds
from ..field_type import FieldType
from ..init import generalized_he_init_, parameter_fields
from ..module import DescribedState, EquivariantModule

__all__ = ["EquivariantConv2d", "conv_geometry"]

# the convolution and the plain torch layer of each spatial dimension
_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_TORCH_CONV = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}


def _ntuple(v, name: str, n: int, minimum: int = 1) -> tuple[int, ...]:
    """``v`` (an int or a tuple of ``n`` ints, each at least ``minimum``) as a tuple of ``n`` ints."""
    values = tuple(v) if isinstance(v, (tuple, list)) else (v,) * n
    if len(values) != n or any(not isinstance(a, (int, np.integer)) or isinstance(a, bool) for a in values):
        what = "a pair of ints" if n == 2 else f"a tuple of {n} ints"
        raise ValueError(f"{name} must be an int or {what}, got {v!r}")
    if any(a < minimum for a in values):
        raise ValueError(f"{name} must be at least {minimum}, got {v!r}")
    return tuple(int(a) for a in values)


def _unedited(basis: torch.Tensor, buf: np.ndarray) -> bool:
    """Whether ``basis`` holds the samples ``buf`` in its dtype (not edited since it was derived)."""
    return bool(torch.equal(basis.detach().cpu(), torch.from_numpy(buf).to(basis.dtype)))


def conv_geometry(
    stride, padding, dilation, spatial_dims: int = 2
) -> tuple[tuple[int, ...], tuple[int, ...] | str, tuple[int, ...]]:
    """``stride``, ``padding`` and ``dilation`` checked as :class:`torch.nn.Conv2d` would, as tuples of
    length ``spatial_dims``: strides and dilations at least 1, paddings at least 0 or ``"same"`` /
    ``"valid"`` (``"same"`` with stride 1)."""
    stride = _ntuple(stride, "stride", spatial_dims)
    dilation = _ntuple(dilation, "dilation", spatial_dims)
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"padding must be an int, a pair, 'same' or 'valid', got {padding!r}")
        if padding == "same" and stride != (1,) * spatial_dims:
            raise ValueError(f"padding='same' needs stride 1 (as in torch.nn.Conv2d), got stride={stride}")
        return stride, padding, dilation
    return stride, _ntuple(padding, "padding", spatial_dims, minimum=0), dilation


class EquivariantConv2d(DescribedState, EquivariantModule):
    """Common machinery of the convolutions: geometry, filter expansion, forward, export, frame bounds,
    the ``state_dict``'s layer description.

    Subclasses call :meth:`_setup` in their constructor and implement :meth:`expand_filter` returning
    the ``(C_out, C_in / groups, k, ..., k)`` filter and the ``(C_out,)`` bias (or ``None``), or
    override :meth:`filter`, which every use of the filter reads. The
    dimension of the space is ``spatial_dims`` (2: images, ``conv2d``; 3: volumes, ``conv3d``).
    """

    def _setup(self, in_type, out_type, kernel_size, stride, padding, dilation, groups) -> None:
        self.in_type, self.out_type = in_type, out_type
        self.kernel_size = check_kernel_size(kernel_size, self.spatial_dims)
        self.stride, self.padding, self.dilation = conv_geometry(stride, padding, dilation, self.spatial_dims)
        if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
            raise ValueError(f"groups must be a positive int, got {groups!r}")
        self.groups = int(groups)

    # -- filter ---------------------------------------------------------------------------------------
    def expand_filter(self) -> tuple[torch.Tensor, torch.Tensor | None]:  # pragma: no cover - abstract
        raise NotImplementedError

    def filter(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The expanded filter and bias, computed from the parameters as they are now. Nothing is
        cached: writes through ``.data``, pruning, ``torch.func.functional_call`` and in-place optimizer
        steps all change a parameter without a sign a cache could key on, and the expansion costs a few
        percent of a forward. For inference with a fixed filter, :meth:`export` the layer."""
        return self.expand_filter()

    def reset_parameters(self, gain: float = 2.0) -> None:
        """Generalized He initialization (:func:`groupconv.nn.init.generalized_he_init_`), zero bias."""
        generalized_he_init_(self, gain)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    @property
    def expansion_plan(self):
        """The :class:`~groupconv.nn.conv.plan.ExpansionPlan` of a layer expanded through a basis,
        ``None`` for one expanded otherwise (an index map)."""
        expansion = getattr(self, "_expansion", None)
        return None if expansion is None else expansion.plan

    def weight_fields(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The output field of each output channel and of each entry of ``weight``: a positive scale of
        the weights reaching one field keeps the layer equivariant (:func:`groupconv.nn.lsuv_init_`)."""
        dims = [r.dim for r in self.out_type.representations]
        channel = torch.repeat_interleave(torch.arange(len(dims)), torch.as_tensor(dims))
        plan = self.expansion_plan
        if plan is not None:
            return channel, torch.as_tensor(parameter_fields(plan))
        # an index map: the first weight axis is the output field
        weight = self.weight
        leading = (
            torch.arange(weight.shape[0]).reshape((-1,) + (1,) * (weight.dim() - 1)).expand(weight.shape)
        )
        return channel, leading

    def _apply(self, fn, recurse: bool = True):
        old = self._buffers.get("basis")
        before = None if old is None else (old.dtype, old.device)
        super()._apply(fn, recurse)
        expansion = getattr(self, "_expansion", None)
        if expansion is None:
            return self
        basis = self._buffers["basis"]
        if basis.device.type == "meta" or (basis.dtype, basis.device) == before:
            return self
        buf = expansion.plan.buf
        if basis.dtype != before[0] and buf.dtype == np.float64 and _unedited(old, buf):
            # a basis sampled in float64 is cast from its samples, not from the previous dtype: a layer built
            # in float32 and cast to float64 then expands with the float64 basis
            basis = torch.from_numpy(buf).to(basis.device, basis.dtype)
            self._buffers["basis"] = basis
        if expansion.factor is not None or expansion.lift is not None:
            # the factors are derived from the basis as cast, so that they expand exactly like it
            expansion.register_factors(self, expansion.factors_of(basis))
        return self

    def state_description(self) -> dict[str, object]:
        """What the parameters mean (see :class:`~groupconv.nn.module.DescribedState`): the group, the
        field types, the kernel size, ``groups`` and the basis with its options."""
        return {
            "group": repr(self.in_type.group),
            "in_type": repr(self.in_type),
            "out_type": repr(self.out_type),
            "kernel_size": self.kernel_size,
            "groups": self.groups,
            "basis": self.basis_kind,
            "basis_options": dict(self.basis_options),
        }

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.check_input(x)
        w, b = self.filter()
        if x.device != w.device:
            raise ValueError(
                f"{type(self).__name__}: input on {x.device}, the layer's parameters on {w.device}; move one "
                "of them"
            )
        # under autocast the filter is expanded, and the convolution computes, in the autocast dtype
        return _CONV[self.spatial_dims](x, w, b, self.stride, self.padding, self.dilation, self.groups)

    def export(self) -> nn.Module:
        """A plain ``torch.nn.Conv2d`` (``Conv3d`` in space) with the expanded filter: identical outputs."""
        with torch.no_grad():
            w, b = self.filter()
        conv = _TORCH_CONV[self.spatial_dims](
            self.in_type.size,
            self.out_type.size,
            self.kernel_size,
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            groups=self.groups,
            bias=b is not None,
            device=w.device,
            dtype=w.dtype,
        )
        with torch.no_grad():
            conv.weight.copy_(w)
            if b is not None:
                conv.bias.copy_(b)
        return conv

    def extra_repr(self) -> str:
        return (
            f"{self.in_type!r} -> {self.out_type!r}, kernel_size={self.kernel_size}, stride={self.stride}, "
            f"padding={self.padding}, dilation={self.dilation}, groups={self.groups}"
        )

    # -- bounds and certificates ----------------------------------------------------------------------
    def frame_bounds(self) -> tuple[float | None, float | None]:
        """``(None, B)`` with ``B`` the upper frame bound of the expanded filter
        (:func:`groupconv.proofs.conv_frame_bounds`, on 64 x 64 frequencies on the plane, 8 x 8 x 8 in
        space); ``(None, None)`` for an affine (bias), strided or grouped layer, which has no frame bounds
        of this form."""
        if self.bias is not None or tuple(self.stride) != (1,) * self.spatial_dims or self.groups != 1:
            return None, None
        with torch.no_grad():
            w, _ = self.filter()
        return None, conv_frame_bounds(w)[1]

    def projection_residual(self) -> float:
        """``||K - P K|| / ||K||`` for the expanded filter ``K`` (float64), where ``P`` averages the
        constraint action over every element of a grid group: the distance of the filter to the space
        of exactly equivariant kernels."""
        group = self.in_type.group
        with torch.no_grad():
            w, _ = self.filter()
        w = w.detach().to(torch.float64).cpu()
        j = self.groups
        grid = (self.kernel_size,) * self.spatial_dims
        wj = w.reshape(j, w.shape[0] // j, w.shape[1], -1)
        ri_type = FieldType(group, self.in_type.representations[: len(self.in_type) // j])
        ro_type = FieldType(group, self.out_type.representations[: len(self.out_type) // j])
        g = group.elements()
        ro, ri = ro_type.representation(g), ri_type.representation(g)
        perms = torch.as_tensor(np.stack([grid_permutation(group, e, *grid) for e in g.tolist()]))
        # mean over g of rho_out(g) K(g^-1 x) rho_in(g)^T
        moved = torch.einsum("noa,jabnp,nib->joip", ro, wj[..., perms], ri) / len(g)
        return float((moved - wj).norm() / wj.norm().clamp_min(1e-300))
