"""Equivariant batch normalization of feature fields.

>>> import torch
>>> from groupconv.groups import Dihedral
>>> from groupconv.nn import FieldType
>>> from groupconv.reps import irrep, regular
>>> D4 = Dihedral(4)
>>> bn = FieldBatchNorm(FieldType(D4, [regular(D4), irrep(D4, 1, 1)]))
>>> y = bn(torch.randn(4, 10, 5, 5) + 3).detach()
>>> abs(float(y[:, :8].mean())) < 1e-6  # the regular field's group mean is removed
True
>>> bn.running_var.shape  # one variance per field
torch.Size([2])
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd.function import once_differentiable

from ._fields import check_field_type, trivial_subspace
from .field_type import FieldType
from .module import DescribedState, EquivariantModule, check_spatial_dims

__all__ = ["FieldBatchNorm"]


def _channel_view(x: torch.Tensor) -> tuple[int, ...]:
    """The shape ``(1, -1, 1, ...)`` that broadcasts a per-channel vector over ``x`` ``(N, C, *spatial)``."""
    return (1, -1) + (1,) * (x.dim() - 2)


def _is_constant(basis: np.ndarray) -> bool:
    """Whether the trivial subspace is spanned by the constant vector (trivial, regular and other
    transitive permutation fields)."""
    d, t = basis.shape
    return t == 1 and bool(np.allclose(basis[:, 0], 1 / np.sqrt(d), rtol=0, atol=1e-12))


class _FieldNormalize(torch.autograd.Function):
    """Training-mode :class:`FieldBatchNorm` of any field types from per-channel moments.

    The field statistics are exact functions of the per-channel mean ``m_c`` and biased variance
    ``v_c``: ``mu_i = B_i^T m``, ``sigma_i^2 = mean_{c in i} (v_c + (m_c - (B_i mu_i)_c)^2)``, so one
    native batch-norm statistic pass, small ops on ``(C,)`` vectors and one ``addcmul`` compute the
    output. Backward reads the activation twice: one native pass for ``sum(g)`` and ``sum(g x)`` per
    channel, one ``addcmul`` pair for ``g s + x alpha + beta``; the small ``(C,)`` map from the
    moments to the per-channel scale and shift is differentiated by hand (``_coefficients_backward``).
    Returns ``(y, mu, sigma^2)``.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, layer):
        _, mean_c, invstd = torch.native_batch_norm(x, None, None, None, None, True, 0.0, layer.eps)
        var_c = (invstd.pow(-2) - layer.eps).clamp(min=0)
        mean, var = layer._field_statistics(mean_c, var_c)
        scale, shift = layer._coefficients(mean, var, weight, bias)
        ctx.save_for_backward(x, mean_c, var_c, weight, bias, scale)
        ctx.layer = layer
        ctx.mark_non_differentiable(mean, var)
        view = _channel_view(x)
        return torch.addcmul(shift.view(view), x, scale.view(view)), mean, var

    @staticmethod
    @once_differentiable
    def backward(ctx, grad, _grad_mean, _grad_var):
        x, mean_c, var_c, weight, bias, scale = ctx.saved_tensors
        c = x.shape[1]
        _, sum_gx, sum_g = torch.ops.aten.native_batch_norm_backward(
            grad, x, None, None, None, x.new_zeros(c), x.new_ones(c), True, 0.0, [False, True, True]
        )
        grad_mean, grad_var, grad_weight, grad_bias = ctx.layer._coefficients_backward(
            mean_c, var_c, weight, sum_gx, sum_g
        )
        count = x.numel() // c
        # d m_c / dx = 1 / count, d v_c / dx = 2 (x - m_c) / count
        alpha = 2 * grad_var / count
        beta = grad_mean / count - alpha * mean_c
        view = _channel_view(x)
        grad_x = torch.addcmul(beta.view(view), grad, scale.view(view))
        grad_x.addcmul_(x, alpha.view(view))
        if bias is None or not ctx.needs_input_grad[2]:
            grad_bias = None
        if weight is None or not ctx.needs_input_grad[1]:
            grad_weight = None
        return grad_x, grad_weight, grad_bias, None


class FieldBatchNorm(DescribedState, EquivariantModule):
    """Batch normalization per field.

    Each field ``f_i`` (dimension ``d_i``) with ``B_i`` an orthonormal basis of its trivial subspace
    (the vectors every ``rho_i(g)`` fixes) is normalised as

    .. math::
        \\mu_i = B_i^\\top \\mathbb E[f_i], \\qquad
        \\sigma_i^2 = \\tfrac{1}{d_i} \\mathbb E\\,\\big|f_i - B_i \\mu_i\\big|^2, \\qquad
        y_i = \\gamma_i \\, \\frac{f_i - B_i \\mu_i}{\\sqrt{\\sigma_i^2 + \\epsilon}} + B_i \\beta_i ,

    the expectations over the batch and the pixels. Only the trivial component is centred (a mean
    anywhere else would not be invariant), and one scale per field commutes with ``rho_i(g)``:

    - a trivial 1D field: exactly ``nn.BatchNorm2d`` (Ioffe & Szegedy, ICML 2015, Alg. 1);
    - a regular (or any transitive permutation) field: ``B_i`` is the constant vector, so the group mean
      is subtracted and all ``|G|`` channels share one variance (Cohen & Welling, ICML 2016, Sec. 6.4):
      exactly ``nn.BatchNorm3d`` on the view ``(N, F, |G|, H, W)``, and computed so, by ``F.batch_norm``;
    - a field without trivial component (e.g. a rotation irrep): scaled by the running mean of its squared
      norm, no centring (Weiler et al., NeurIPS 2018, "3D Steerable CNNs", Sec. 4.4), in one statistic
      pass with its own backward.

    In training the batch statistics are used and the running ones updated with ``momentum``;
    ``momentum=None`` keeps the cumulative average of all batches seen (factor ``1 / t`` at batch ``t``,
    ``nn.BatchNorm2d``'s convention); in eval mode the running statistics. The running variance is the
    unbiased estimate: the batch variance times ``n d_i / (n d_i - t_i)``, ``n`` = batch x pixels and
    ``t_i`` the dimension of the trivial subspace (``n / (n - 1)`` for a trivial field, as
    ``nn.BatchNorm2d``; ``n |G| / (n |G| - 1)`` for a regular field, as ``nn.BatchNorm3d``; ``1`` for a
    field that is not centred). The state dict (``weight`` ``(F,)``, ``bias`` ``(T,)`` with ``T`` the total
    trivial dimension, ``running_mean`` ``(T,)``, ``running_var`` ``(F,)``, ``num_batches_tracked``) is the
    same in both modes. An empty batch (or map) gives an empty output and leaves the running statistics
    as they are. As in ``nn.BatchNorm2d``, float32 statistics overflow once ``|x|^2`` does (about
    ``|x| > 1e19``); NaN and Inf in a field make that field's output non-finite and no other field's.

    With ``spatial_dims=3`` the layer normalises volumes ``(N, C, D, H, W)``, the expectations over the
    batch and the voxels (a trivial field: exactly ``nn.BatchNorm3d``); the parameters and statistics are
    the same, so a state dict moves between the two.
    """

    def __init__(
        self,
        in_type: FieldType,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        spatial_dims: int = 2,
    ):
        super().__init__()
        self.in_type = self.out_type = check_field_type(in_type)
        self.spatial_dims = check_spatial_dims(spatial_dims, "FieldBatchNorm")
        if momentum is not None and not (
            isinstance(momentum, (int, float)) and not isinstance(momentum, bool) and 0 < momentum <= 1
        ):
            raise ValueError(
                f"momentum must be a number in (0, 1] or None (cumulative average), got {momentum!r}"
            )
        if not (isinstance(eps, (int, float)) and not isinstance(eps, bool) and eps > 0):
            # as torch's batch_norm: a constant channel would divide zero by zero
            raise ValueError(f"eps must be a positive number, got {eps!r}")
        self.eps = float(eps)
        self.momentum = None if momentum is None else float(momentum)
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        self._plan(in_type)
        t_total, n_fields = self.trivial_dim, len(in_type)
        if self.affine:
            self.weight = nn.Parameter(torch.ones(n_fields))
            if t_total:
                self.bias = nn.Parameter(torch.zeros(t_total))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if self.track_running_stats:
            self.register_buffer("running_mean", torch.zeros(t_total))
            self.register_buffer("running_var", torch.ones(n_fields))
            self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def _plan(self, in_type: FieldType) -> None:
        """The trivial bases as a list of block entries ``(channel, trivial coordinate, value)``: every
        product with ``B`` is a gather and an ``index_add`` within each field (no dense ``C x T``
        product, which would spread a NaN of one field over all of them)."""
        channels, coordinates, values, dims, trivials = [], [], [], [], []
        c = t = 0
        for r in in_type.representations:
            basis = trivial_subspace(r)
            for i in range(r.dim):
                for j in range(basis.shape[1]):
                    channels.append(c + i)
                    coordinates.append(t + j)
                    values.append(basis[i, j])
            dims.append(r.dim)
            trivials.append(basis.shape[1])
            c, t = c + r.dim, t + basis.shape[1]
        self.trivial_dim = t
        # one F.batch_norm on the view (N, F, d H, W) when every field is a transitive permutation
        # field of one dimension d: then mu = sqrt(d) x the channel mean, and sigma^2 is batch_norm's
        self.field_dim = (
            dims[0]
            if len(set(dims)) == 1 and all(_is_constant(trivial_subspace(r)) for r in in_type.representations)
            else None
        )
        # batch x pixels must exceed t_i / d_i for every field, or a variance has no sample left
        self.min_pixels = max(tr // d for tr, d in zip(trivials, dims)) + 1
        self.register_buffer("entry_channel", torch.tensor(channels, dtype=torch.long), persistent=False)
        self.register_buffer("entry_trivial", torch.tensor(coordinates, dtype=torch.long), persistent=False)
        self.register_derived("entry_value", torch.tensor(values, dtype=torch.float64))
        self.register_derived("field_dims", torch.tensor(dims, dtype=torch.float64))
        self.register_derived("field_trivial", torch.tensor(trivials, dtype=torch.float64))
        channel_field = torch.repeat_interleave(torch.arange(len(dims)), torch.tensor(dims))
        self.register_buffer("channel_field", channel_field, persistent=False)

    def state_description(self) -> dict[str, object]:
        """What the parameters and statistics mean (see :class:`~groupconv.nn.DescribedState`):
        one weight per field and one bias / mean per trivial component of the field type."""
        return {"group": repr(self.in_type.group), "in_type": repr(self.in_type)}

    def _check_statistics(self, x: torch.Tensor) -> None:
        for name in ("running_mean", "running_var"):
            buf = getattr(self, name)
            if buf is not None and buf.dtype != x.dtype:
                raise TypeError(
                    f"FieldBatchNorm: input dtype {x.dtype} does not match the dtype of its running "
                    f"statistics ({name}: {buf.dtype}); cast the input or the layer"
                )

    def _basis_times(self, coordinates: torch.Tensor) -> torch.Tensor:
        """``B @ coordinates``: ``(T,) -> (C,)``, field by field."""
        values = self.entry_value.to(coordinates.dtype)
        out = coordinates.new_zeros(self.in_type.size)
        return out.index_add(0, self.entry_channel, values * coordinates.index_select(0, self.entry_trivial))

    def _field_statistics(
        self, mean_c: torch.Tensor, var_c: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mu, sigma^2)`` of every field from the per-channel mean and biased variance."""
        mu = self._basis_transpose_times(mean_c)
        spread = var_c + (mean_c - self._basis_times(mu)).square()
        var = mean_c.new_zeros(len(self.in_type)).index_add(0, self.channel_field, spread)
        return mu, var / self.field_dims.to(var.dtype)

    def _coefficients(
        self, mean: torch.Tensor, var: torch.Tensor, weight: torch.Tensor | None, bias: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        inv = torch.rsqrt(var + self.eps)
        if weight is not None:
            inv = inv * weight.to(inv.dtype)
        scale = inv.index_select(0, self.channel_field)
        shift = -scale * self._basis_times(mean.to(scale.dtype))
        if bias is not None:
            shift = shift + self._basis_times(bias.to(scale.dtype))
        return scale, shift

    def _coefficients_backward(
        self,
        mean_c: torch.Tensor,
        var_c: torch.Tensor,
        weight: torch.Tensor | None,
        grad_scale: torch.Tensor,
        grad_shift: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Gradients of ``_coefficients(*_field_statistics(mean_c, var_c), weight, bias)`` with respect to
        ``(mean_c, var_c, weight, bias)``, given those of the per-channel scale and shift; written out (no
        ``torch.autograd.grad`` inside a backward, which ``torch.compile`` cannot trace)."""
        mu, var = self._field_statistics(mean_c, var_c)
        centre = self._basis_times(mu)
        dims = self.field_dims.to(var.dtype)
        root = torch.rsqrt(var + self.eps)
        w = torch.ones_like(var) if weight is None else weight.to(var.dtype)
        grad_bias = self._basis_transpose_times(grad_shift)
        # shift = -scale * centre + B beta; scale = w rsqrt(var + eps), one per field
        per_field = var.new_zeros(len(self.in_type)).index_add(
            0, self.channel_field, grad_scale - centre * grad_shift
        )
        grad_weight = per_field * root
        grad_spread = (per_field * w * -0.5 * root.pow(3) / dims).index_select(0, self.channel_field)
        scale = (w * root).index_select(0, self.channel_field)
        deviation = mean_c - centre
        # spread = v_c + (m_c - (B mu)_c)^2 and mu = B^T m
        grad_centre = -scale * grad_shift - 2 * deviation * grad_spread
        grad_mean = 2 * deviation * grad_spread + self._basis_times(self._basis_transpose_times(grad_centre))
        return grad_mean, grad_spread, grad_weight, grad_bias

    def _basis_transpose_times(self, channels: torch.Tensor) -> torch.Tensor:
        """``B^T @ channels``: ``(C,) -> (T,)``, field by field."""
        values = self.entry_value.to(channels.dtype)
        out = channels.new_zeros(self.trivial_dim)
        return out.index_add(0, self.entry_trivial, values * channels.index_select(0, self.entry_channel))

    def affine_coefficients(
        self, mean: torch.Tensor | None = None, var: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-channel ``(scale, shift)`` with ``y = scale * x + shift``, from the given statistics
        (``mean`` ``(T,)`` in the trivial bases, ``var`` ``(F,)``; default: the running ones)."""
        mean = self.running_mean if mean is None else mean
        var = self.running_var if var is None else var
        if mean is None or var is None:
            raise ValueError("FieldBatchNorm without running statistics needs the batch statistics")
        return self._coefficients(mean, var, self.weight, self.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.check_input(x)
        self._check_statistics(x)
        n, pixels, view = x.shape[0], math.prod(x.shape[2:]), _channel_view(x)
        use_batch = self.training or not self.track_running_stats
        if x.numel() == 0:
            # an empty batch or map has no statistics: an empty output, as nn.BatchNorm2d, the running
            # statistics untouched, and the affine parameters still in the graph (DDP expects a gradient)
            scale, shift = self.affine_coefficients(
                x.new_zeros(self.trivial_dim), x.new_ones(len(self.in_type))
            )
            return x * scale.view(view) + shift.view(view)
        if use_batch and n * pixels < self.min_pixels:
            raise ValueError(
                f"FieldBatchNorm needs more than one value per trivial component in training, got input "
                f"shape {tuple(x.shape)}"
            )
        momentum = 0.0
        update = self.training and self.track_running_stats
        if update:
            self.num_batches_tracked.add_(1)
            momentum = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
        if self.field_dim is not None:
            return self._batch_norm_view(x, use_batch, update, momentum)
        if not use_batch:
            scale, shift = self.affine_coefficients()
            return torch.addcmul(shift.view(view), x, scale.view(view))
        y, mean, var = _FieldNormalize.apply(x, self.weight, self.bias, self)
        if update:
            with torch.no_grad():
                count = n * pixels * self.field_dims.to(var.dtype)
                unbiased = var * count / (count - self.field_trivial.to(var.dtype))
                self.running_mean.lerp_(mean.to(self.running_mean.dtype), momentum)
                self.running_var.lerp_(unbiased.to(self.running_var.dtype), momentum)
        return y

    def _batch_norm_view(
        self, x: torch.Tensor, use_batch: bool, update: bool, momentum: float
    ) -> torch.Tensor:
        """Permutation fields of one dimension ``d``: ``F.batch_norm`` on ``(N, F, d H, W)`` (``(N, F, d D, H,
        W)`` on volumes; its unbiased factor counts the ``n d`` values that share each mean, as the
        definition above)."""
        n, c = x.shape[:2]
        d = self.field_dim
        root = d**0.5
        mean, bias = self.running_mean, self.bias
        if d > 1:
            # batch_norm's channel mean is mu / sqrt(d) in the normalised trivial basis
            mean = None if mean is None else mean / root
            bias = None if bias is None else bias / root
        y = F.batch_norm(
            x.reshape((n, c // d, d * x.shape[2]) + x.shape[3:]),
            mean,
            self.running_var,
            self.weight,
            bias,
            use_batch,
            momentum,
            self.eps,
        )
        if update and d > 1:
            with torch.no_grad():
                self.running_mean.copy_(mean * root)
        return y.reshape(x.shape)

    def export(self) -> nn.Module:
        """The inference-mode map as a depthwise ``1 x 1`` ``nn.Conv2d`` (weight = scale, bias = shift); a
        ``1 x 1 x 1`` ``nn.Conv3d`` on volumes."""
        if not self.track_running_stats:
            raise ValueError("FieldBatchNorm(track_running_stats=False) has no fixed inference map to export")
        with torch.no_grad():
            scale, shift = self.affine_coefficients()
            c = self.in_type.size
            conv = (nn.Conv2d if self.spatial_dims == 2 else nn.Conv3d)(c, c, 1, groups=c, bias=True)
            conv = conv.to(device=scale.device, dtype=scale.dtype)
            conv.weight.copy_(scale.view((c, 1) + (1,) * self.spatial_dims))
            conv.bias.copy_(shift)
        return conv

    def extra_repr(self) -> str:
        dims = "" if self.spatial_dims == 2 else f", spatial_dims={self.spatial_dims}"
        return f"type={self.in_type!r}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}{dims}"
