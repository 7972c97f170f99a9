"""Equivariant batch normalization of feature fields."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ._fields import EquivariantModule, FieldGroups, check_field_type, trivial_subspace
from .field_type import FieldType

__all__ = ["FieldBatchNorm"]


class FieldBatchNorm(EquivariantModule):
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
    - a regular (or any permutation) field: ``B_i`` is the constant vector, so the group mean is
      subtracted and all ``|G|`` channels share one variance (Cohen & Welling, ICML 2016, Sec. 6.4);
    - a field without trivial component (e.g. a rotation irrep): scaled by the running mean of its squared
      norm, no centring (Weiler et al., NeurIPS 2018, "3D Steerable CNNs", Sec. 4.4).

    In training the batch statistics are used and the running ones updated with ``momentum`` (running
    variance with the unbiased factor ``n / (n - 1)``, ``n`` = batch x pixels, as ``nn.BatchNorm2d``);
    ``momentum=None`` keeps the cumulative average of all batches seen (factor ``1 / t`` at batch ``t``,
    ``nn.BatchNorm2d``'s convention); in eval mode the running statistics. The state dict (``weight`` ``(F,)``, ``bias`` ``(T,)`` with
    ``T`` the total trivial dimension, ``running_mean`` ``(T,)``, ``running_var`` ``(F,)``,
    ``num_batches_tracked``) is the same in both modes.
    """

    def __init__(
        self,
        in_type: FieldType,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
    ):
        super().__init__()
        self.in_type = self.out_type = check_field_type(in_type)
        if momentum is not None and not (
            isinstance(momentum, (int, float)) and not isinstance(momentum, bool) and 0 < momentum <= 1
        ):
            raise ValueError(
                f"momentum must be a number in (0, 1] or None (cumulative average), got {momentum!r}"
            )
        if not (isinstance(eps, (int, float)) and eps >= 0):
            raise ValueError(f"eps must be a non-negative number, got {eps!r}")
        self.eps = float(eps)
        self.momentum = None if momentum is None else float(momentum)
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        c, n_fields = in_type.size, len(in_type)
        bases = [trivial_subspace(r) for r in in_type.representations]
        t_total = sum(b.shape[1] for b in bases)
        # (C, T) block matrix of all trivial bases: B @ mu puts the trivial means back in channel space
        basis = np.zeros((c, t_total))
        i = j = 0
        for b in bases:
            basis[i : i + b.shape[0], j : j + b.shape[1]] = b
            i, j = i + b.shape[0], j + b.shape[1]
        self.trivial_dim = t_total
        self.register_derived("basis", torch.as_tensor(basis))
        self.groups = FieldGroups(in_type)
        dims = torch.tensor([r.dim for r in in_type.representations], dtype=torch.get_default_dtype())
        self.register_buffer("field_dims", dims, persistent=False)
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

    def _per_field(self, per_channel: torch.Tensor) -> torch.Tensor:
        """Sum a ``(C,)`` vector over each field: ``(F,)``."""
        out = per_channel.new_zeros(len(self.in_type))
        return out.index_add(0, self.groups.channel_field, per_channel)

    def _batch_statistics(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        basis = self.basis.to(x.dtype)
        mean = basis.T @ x.mean((0, 2, 3))
        centred = x - (basis @ mean).view(1, -1, 1, 1)
        var = self._per_field(centred.pow(2).mean((0, 2, 3))) / self.field_dims.to(x.dtype)
        return mean, var

    def affine_coefficients(
        self, mean: torch.Tensor | None = None, var: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-channel ``(scale, shift)`` with ``y = scale * x + shift``, from the given statistics
        (default: the running ones)."""
        mean = self.running_mean if mean is None else mean
        var = self.running_var if var is None else var
        if mean is None or var is None:
            raise ValueError("FieldBatchNorm without running statistics needs the batch statistics")
        inv = torch.rsqrt(var + self.eps)
        if self.weight is not None:
            inv = inv * self.weight.to(inv.dtype)
        scale = inv.index_select(0, self.groups.channel_field)
        basis = self.basis.to(scale.dtype)
        shift = -scale * (basis @ mean.to(scale.dtype))
        if self.bias is not None:
            shift = shift + basis @ self.bias.to(scale.dtype)
        return scale, shift

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        use_batch = self.training or not self.track_running_stats
        if use_batch:
            n = x.shape[0] * x.shape[2] * x.shape[3]
            if n < 2:
                raise ValueError(
                    f"FieldBatchNorm needs more than one value per channel in training, got input "
                    f"shape {tuple(x.shape)}"
                )
            mean, var = self._batch_statistics(x)
            if self.training and self.track_running_stats:
                with torch.no_grad():
                    self.num_batches_tracked.add_(1)
                    m = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
                    self.running_mean.mul_(1 - m).add_(m * mean.detach().to(self.running_mean.dtype))
                    unbiased = var.detach() * (n / (n - 1))
                    self.running_var.mul_(1 - m).add_(m * unbiased.to(self.running_var.dtype))
            scale, shift = self.affine_coefficients(mean, var)
        else:
            scale, shift = self.affine_coefficients()
        return x * scale.to(x.dtype).view(1, -1, 1, 1) + shift.to(x.dtype).view(1, -1, 1, 1)

    def export(self) -> nn.Module:
        """The inference-mode map as a depthwise ``1 x 1`` ``nn.Conv2d`` (weight = scale, bias = shift)."""
        if not self.track_running_stats:
            raise ValueError("FieldBatchNorm(track_running_stats=False) has no fixed inference map to export")
        with torch.no_grad():
            scale, shift = self.affine_coefficients()
            c = self.in_type.size
            conv = nn.Conv2d(c, c, 1, groups=c, bias=True)
            conv = conv.to(device=scale.device, dtype=scale.dtype)
            conv.weight.copy_(scale.view(c, 1, 1, 1))
            conv.bias.copy_(shift)
        return conv

    def extra_repr(self) -> str:
        return f"type={self.in_type!r}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"
