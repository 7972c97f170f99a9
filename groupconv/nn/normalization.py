"""Equivariant batch normalization of feature fields."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd.function import once_differentiable

from ._fields import EquivariantModule, check_field_type, trivial_subspace
from .field_type import FieldType

__all__ = ["FieldBatchNorm"]


@dataclass(frozen=True)
class _Run:
    """Consecutive fields normalised by one kernel call.

    ``kind`` is ``"centred"`` (the trivial subspace is the constant vector: trivial, regular and other
    transitive permutation fields, normalised by ``F.batch_norm`` on a view), ``"scaled"`` (no trivial
    component: scaled by the mean squared norm, no centring) or ``"general"`` (fields of one
    representation with another trivial subspace, the basis in the derived buffer ``basis_{index}``).
    """

    kind: str
    dim: int
    channels: tuple[int, int]
    fields: tuple[int, int]
    trivial: tuple[int, int]
    index: int

    @property
    def n_fields(self) -> int:
        return self.fields[1] - self.fields[0]

    @property
    def per_field_trivial(self) -> int:
        return (self.trivial[1] - self.trivial[0]) // self.n_fields


def _kind(basis: np.ndarray) -> str:
    d, t = basis.shape
    if t == 0:
        return "scaled"
    if t == 1 and np.allclose(basis[:, 0], 1 / np.sqrt(d), rtol=0, atol=1e-12):
        return "centred"
    return "general"


class _ScaleByMeanSquare(torch.autograd.Function):
    """``y = v * w / sqrt(q + eps)``, ``q`` the mean of ``v^2`` over dimensions 0 and 2 of
    ``(N, m, L)``: one statistic pass and one scaling pass forward; backward one pass for
    ``sum(dy * v)`` and one for ``dv = s dy + c v``, instead of the chain of autograd nodes (square,
    mean, rsqrt, broadcast product) that reads the activation six times. Returns ``(y, q)``."""

    @staticmethod
    def forward(ctx, v: torch.Tensor, weight: torch.Tensor | None, eps: float):
        count = v.shape[0] * v.shape[2]
        q = torch.linalg.vecdot(v, v, dim=2).sum(0) / count
        inv = torch.rsqrt(q + eps)
        scale = inv if weight is None else inv * weight
        ctx.save_for_backward(v, inv, scale)
        ctx.has_weight = weight is not None
        ctx.count = count
        ctx.mark_non_differentiable(q)
        return v * scale[:, None], q

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: torch.Tensor, _grad_q: torch.Tensor | None):
        v, inv, scale = ctx.saved_tensors
        # d/dv of v * s(q(v)): s dy + v * (sum(dy * v) * ds/dq * dq/dv), with ds/dq = -s / (2 (q + eps))
        dot = torch.linalg.vecdot(grad, v, dim=2).sum(0)
        coefficient = -dot * scale * inv * inv / ctx.count
        grad_v = torch.addcmul(grad * scale[:, None], v, coefficient[:, None])
        grad_weight = dot * inv if ctx.has_weight and ctx.needs_input_grad[1] else None
        return grad_v, grad_weight, None


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
        if not (isinstance(eps, (int, float)) and not isinstance(eps, bool) and eps > 0):
            # as torch's batch_norm: a constant channel would divide zero by zero
            raise ValueError(f"eps must be a positive number, got {eps!r}")
        self.eps = float(eps)
        self.momentum = None if momentum is None else float(momentum)
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        self.runs = self._plan(in_type)
        self.trivial_dim = t_total = self.runs[-1].trivial[1]
        n_fields = len(in_type)
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

    def _plan(self, in_type: FieldType) -> tuple[_Run, ...]:
        """Group consecutive fields into runs of one kind and dimension (``general`` ones: of one
        representation), so that a type of regular fields is one ``F.batch_norm`` call on a view."""
        runs: list[_Run] = []
        c = f = t = 0
        for r in in_type.representations:
            basis = trivial_subspace(r)
            kind, d, tr = _kind(basis), r.dim, basis.shape[1]
            last = runs[-1] if runs else None
            same = (
                last is not None
                and last.kind == kind
                and last.dim == d
                and (kind != "general" or in_type.representations[last.fields[0]] == r)
            )
            if same:
                runs[-1] = _Run(
                    kind,
                    d,
                    (last.channels[0], c + d),
                    (last.fields[0], f + 1),
                    (last.trivial[0], t + tr),
                    last.index,
                )
            else:
                index = sum(run.kind == "general" for run in runs)
                if kind == "general":
                    self.register_derived(f"basis_{index}", torch.as_tensor(basis))
                runs.append(_Run(kind, d, (c, c + d), (f, f + 1), (t, t + tr), index))
            c, f, t = c + d, f + 1, t + tr
        return tuple(runs)

    def _check_statistics(self, x: torch.Tensor) -> None:
        for name in ("running_mean", "running_var"):
            buf = getattr(self, name)
            if buf is not None and buf.dtype != x.dtype:
                raise TypeError(
                    f"FieldBatchNorm: input dtype {x.dtype} does not match the dtype of its running "
                    f"statistics ({name}: {buf.dtype}); cast the input or the layer"
                )

    def _slices(self, run: _Run) -> tuple:
        (fa, fb), (ta, tb) = run.fields, run.trivial
        weight = None if self.weight is None else self.weight[fa:fb]
        bias = None if self.bias is None or ta == tb else self.bias[ta:tb]
        mean = None if self.running_mean is None else self.running_mean[ta:tb]
        var = None if self.running_var is None else self.running_var[fa:fb]
        return weight, bias, mean, var

    def affine_coefficients(
        self, mean: torch.Tensor | None = None, var: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-channel ``(scale, shift)`` with ``y = scale * x + shift``, from the given statistics
        (``mean`` ``(T,)`` in the trivial bases, ``var`` ``(F,)``; default: the running ones)."""
        mean = self.running_mean if mean is None else mean
        var = self.running_var if var is None else var
        if mean is None or var is None:
            raise ValueError("FieldBatchNorm without running statistics needs the batch statistics")
        inv = torch.rsqrt(var + self.eps)
        if self.weight is not None:
            inv = inv * self.weight.to(inv.dtype)
        scales, shifts = [], []
        for run in self.runs:
            (fa, fb), (ta, tb), m, d = run.fields, run.trivial, run.n_fields, run.dim
            scale = inv[fa:fb].repeat_interleave(d)
            if run.kind == "scaled":
                shift = torch.zeros_like(scale)
            else:
                basis = self._run_basis(run, inv)
                # the block of B_i for each field of the run: no product across fields, so a NaN mean
                # of one field stays in that field
                shift = -scale * (mean[ta:tb].to(inv.dtype).view(m, -1) @ basis.T).reshape(-1)
                if self.bias is not None:
                    shift = shift + (self.bias[ta:tb].to(inv.dtype).view(m, -1) @ basis.T).reshape(-1)
            scales.append(scale)
            shifts.append(shift)
        return torch.cat(scales), torch.cat(shifts)

    def _run_basis(self, run: _Run, like: torch.Tensor) -> torch.Tensor:
        if run.kind == "general":
            return getattr(self, f"basis_{run.index}").to(like.dtype)
        return like.new_full((run.dim, 1), run.dim**-0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        self._check_statistics(x)
        n, _, h, w = x.shape
        use_batch = self.training or not self.track_running_stats
        if x.numel() == 0:
            # an empty batch or map has no statistics: an empty output, as nn.BatchNorm2d, the running
            # statistics untouched, and the affine parameters still in the graph (DDP expects a gradient)
            scale, shift = self.affine_coefficients(
                x.new_zeros(self.trivial_dim), x.new_ones(len(self.in_type))
            )
            return x * scale.view(1, -1, 1, 1) + shift.view(1, -1, 1, 1)
        if use_batch:
            for run in self.runs:
                if run.kind != "scaled" and n * h * w * run.dim <= run.per_field_trivial:
                    raise ValueError(
                        f"FieldBatchNorm needs more than one value per trivial component in training "
                        f"(a field of dimension {run.dim}), got input shape {tuple(x.shape)}"
                    )
        momentum = 0.0
        update = self.training and self.track_running_stats
        if update:
            self.num_batches_tracked.add_(1)
            momentum = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
        # new running statistics are written once all runs are computed: F.batch_norm saves its running
        # statistics for backward, and an in-place write to another slice of the same buffer would bump
        # the version counter they share
        writes: list[tuple[torch.Tensor, torch.Tensor, float]] = []
        outs = [self._forward_run(run, x, use_batch, update, momentum, writes) for run in self.runs]
        with torch.no_grad():
            for target, value, factor in writes:
                target.copy_(value if factor == 1 else value * factor)
        return outs[0] if len(outs) == 1 else torch.cat(outs, 1)

    def _forward_run(
        self,
        run: _Run,
        x: torch.Tensor,
        use_batch: bool,
        update: bool,
        momentum: float,
        writes: list[tuple[torch.Tensor, torch.Tensor, float]],
    ) -> torch.Tensor:
        n, _, h, w = x.shape
        (a, b), m, d = run.channels, run.n_fields, run.dim
        weight, bias, mean, var = self._slices(run)
        xr = x if (a, b) == (0, x.shape[1]) else x[:, a:b]
        if run.kind == "centred":
            # batch_norm's per-channel mean is the field's channel mean, mu / sqrt(d) in the trivial
            # basis; its unbiased factor counts n * d values, the d channels sharing one mean
            root = d**0.5
            run_mean = mean if mean is None or d == 1 else mean / root
            run_var = var
            if update and len(self.runs) > 1:
                run_mean, run_var = run_mean.clone() if d == 1 else run_mean, var.clone()
                writes.append((var, run_var, 1.0))
            if update and (d > 1 or len(self.runs) > 1):
                writes.append((mean, run_mean, root))
            y = F.batch_norm(
                xr.reshape(n, m, d * h, w),
                run_mean,
                run_var,
                weight,
                bias if bias is None or d == 1 else bias / root,
                use_batch,
                momentum,
                self.eps,
            )
            return y.reshape(n, b - a, h, w)
        if run.kind == "scaled":
            v = xr.reshape(n, m, d * h * w)
            if use_batch:
                y, q = _ScaleByMeanSquare.apply(v, weight, self.eps)
                if update:
                    writes.append((var, torch.lerp(var, q.detach().to(var.dtype), momentum), 1.0))
            else:
                scale = torch.rsqrt(var + self.eps)
                y = v * (scale if weight is None else scale * weight)[:, None]
            return y.view(n, b - a, h, w)
        basis = self._run_basis(run, x)
        t = run.per_field_trivial
        v = xr.reshape(n, m, d, h * w)
        if use_batch:
            mu = v.mean((0, 3)) @ basis
            centred = v - (mu @ basis.T)[None, :, :, None]
            batch_var = centred.pow(2).mean((0, 2, 3))
            if update:
                count = n * h * w * d
                unbiased = batch_var.detach() * (count / (count - t))
                writes.append((mean, torch.lerp(mean, mu.detach().reshape(-1).to(mean.dtype), momentum), 1.0))
                writes.append((var, torch.lerp(var, unbiased.to(var.dtype), momentum), 1.0))
        else:
            mu, batch_var = mean.view(m, t), var
            centred = v - (mu @ basis.T)[None, :, :, None]
        scale = torch.rsqrt(batch_var + self.eps)
        if weight is not None:
            scale = scale * weight
        y = centred * scale[None, :, None, None]
        if bias is not None:
            y = y + (bias.view(m, t) @ basis.T)[None, :, :, None]
        return y.reshape(n, b - a, h, w)

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
