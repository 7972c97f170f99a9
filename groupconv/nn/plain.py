"""Plain torch modules: what :func:`groupconv.nn.export` turns groupconv layers into, and the
field-wise maps that the layers and these modules share. They act on images ``(N, C, H, W)`` and on
volumes ``(N, C, D, H, W)`` alike.

The modules here hold no group, representation or field type, only index buffers (a
:class:`~groupconv.nn._fields.FieldGroups` of the channels of each field) and plain settings, so that an
exported network depends on torch alone. Each is the inference form of a layer:

=========================  ===================================================================
module                     exported from
=========================  ===================================================================
:class:`Elementwise`       :class:`~groupconv.nn.PointwiseNonlinearity` with a Python callable
:class:`NormActivation`    :class:`~groupconv.nn.NormNonlinearity`
:class:`Gate`              :class:`~groupconv.nn.GatedNonlinearity`
:class:`FieldNorms`        :class:`~groupconv.nn.ModulusNonlinearity`
:class:`GlobalPool`        :class:`~groupconv.nn.GlobalPool2d`
:class:`FieldReduce`       :class:`~groupconv.nn.GroupPooling`
:class:`PooledFieldNorms`  :class:`~groupconv.nn.NormPooling`
=========================  ===================================================================

>>> import torch
>>> pool = GlobalPool("max")
>>> pool(torch.arange(8.0).view(1, 2, 2, 2)).flatten().tolist()
[3.0, 7.0]
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ._fields import FieldGroups

__all__ = [
    "Elementwise",
    "NormActivation",
    "Gate",
    "FieldNorms",
    "GlobalPool",
    "FieldReduce",
    "PooledFieldNorms",
    "field_norm",
    "field_norms",
]


class Elementwise(nn.Module):
    """A plain module applying a Python callable entrywise."""

    def __init__(self, fn: Callable[[torch.Tensor], torch.Tensor]):
        super().__init__()
        if not callable(fn):
            raise TypeError(f"Elementwise takes a callable, got {type(fn).__name__}")
        self.fn = fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)

    def extra_repr(self) -> str:
        return getattr(self.fn, "__name__", repr(self.fn))


class _FieldNorm(torch.autograd.Function):
    """``|f|`` over dimension 2 of ``(N, m, d, ...)`` (``d >= 2``) as a chain of ``hypot``.

    ``hypot`` scales its arguments, so the norm neither overflows nor underflows before its true value
    does (squaring float32 entries overflows at 2e19 and underflows at 1e-23), and one elementwise
    pass per component reads the input once, where a reduction over a short middle dimension is several
    times slower. The gradient is ``g f / |f|``, and ``0`` at ``f = 0`` (the minimal-norm subgradient,
    as ``torch.linalg.vector_norm``), where ``hypot``'s own gradient is ``0 / 0``.
    """

    @staticmethod
    def forward(ctx, p: torch.Tensor) -> torch.Tensor:
        n = torch.hypot(p[:, :, 0], p[:, :, 1])
        for k in range(2, p.shape[2]):
            n = torch.hypot(n, p[:, :, k])
        ctx.save_for_backward(p, n)
        return n

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        p, n = ctx.saved_tensors
        return p * (grad / n.masked_fill(n == 0, 1)).unsqueeze(2)


def field_norm(p: torch.Tensor) -> torch.Tensor:
    """The norm over dimension 2 of fields grouped as ``(N, m, d, ...)``: ``(N, m, ...)``.

    Computed scaled (no overflow or underflow of the squares, in any dtype); NaN and Inf propagate
    (``|f|`` is NaN when an entry is NaN and no entry is infinite, Inf when an entry is infinite, as
    IEEE ``hypot``); the gradient at ``f = 0`` is ``0``.
    """
    if p.shape[2] == 1:
        return p[:, :, 0].abs()
    return _FieldNorm.apply(p)


def field_norms(x: torch.Tensor, groups: FieldGroups) -> torch.Tensor:
    """The norm of every field, ``(N, C, H, W) -> (N, F, H, W)``, in declared field order."""
    return groups.merge_fields([field_norm(p) for p in groups.split(x)])


def _squash(t: torch.Tensor) -> torch.Tensor:
    """``t^2 / (1 + t^2)``, evaluated as ``1 / (1 + t^-2)`` above ``|t| = 1`` so that ``t^2`` does not
    overflow to ``inf / inf``; each branch sees its input clamped to its own range, which keeps the
    gradient of the branch not taken at zero (not ``0 * inf``)."""
    small = t.clamp(-1, 1)
    inv = t.abs().clamp(min=1).reciprocal()
    return torch.where(t.abs() <= 1, small * small / (1 + small * small), 1 / (1 + inv * inv))


def _squash_derivative(t: torch.Tensor) -> torch.Tensor:
    """``2 t / (1 + t^2)^2``, as ``2 u^3 / (1 + u^2)^2`` with ``u = 1 / t`` above ``|t| = 1``."""
    small = t.clamp(-1, 1)
    inv = torch.where(t < -1, 1 / t.clamp(max=-1), 1 / t.clamp(min=1))
    return torch.where(
        t.abs() <= 1, 2 * small / (1 + small * small).square(), 2 * inv.pow(3) / (1 + inv * inv).square()
    )


def _sigmoid_derivative(t: torch.Tensor) -> torch.Tensor:
    s = torch.sigmoid(t)
    return s * (1 - s)


def _relu_derivative(t: torch.Tensor) -> torch.Tensor:
    return (t > 0).to(t.dtype)


_NORM_FUNCTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": F.relu,
    "sigmoid": torch.sigmoid,
    "squash": _squash,
}
_NORM_DERIVATIVES: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": _relu_derivative,
    "sigmoid": _sigmoid_derivative,
    "squash": _squash_derivative,
}


def _norm_ratio(norm: torch.Tensor, bias: torch.Tensor | None, function: str):
    """``(|f| guarded, |f| + b, phi(|f| + b) / |f|)`` from the norms ``(N, m, ...)``; the guard replaces a
    zero norm by 1, so the ratio divides by 1 there (a zero field stays zero, with finite gradients) and
    leaves a NaN norm NaN, so a NaN field stays NaN instead of spreading finite values over its channels."""
    shifted = norm if bias is None else norm + bias.to(norm.dtype).view((1, -1) + (1,) * (norm.dim() - 2))
    safe = norm.masked_fill(norm == 0, 1)
    return safe, shifted, _NORM_FUNCTIONS[function](shifted) / safe


class _NormActivation(torch.autograd.Function):
    """``f phi(|f| + b) / |f|`` on ``(N, m, d, ...)``: forward reads the fields twice (norm, product);
    backward computes ``<g, f>`` per field and ``g r + f c`` in one ``addcmul``, where autograd's chain
    of nodes (norm, shift, phi, division, broadcast product) reads them about eight times. It saves the
    fields and their norms only (the ratio is recomputed from the norms, ``1 / d`` of the fields' size).
    Under ``create_graph`` the backward rebuilds the forward from the inputs, so that it is
    differentiable."""

    @staticmethod
    def forward(ctx, p: torch.Tensor, bias: torch.Tensor | None, function: str) -> torch.Tensor:
        norm = field_norm(p)
        ratio = _norm_ratio(norm, bias, function)[2]
        # a 1D field's norm |f| is one abs away: recomputed rather than held as a second copy of the field
        ctx.save_for_backward(p, bias, norm if p.shape[2] > 1 else None)
        ctx.function = function
        return p * ratio.unsqueeze(2)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        p, bias, norm = ctx.saved_tensors
        if norm is None or torch.is_grad_enabled():
            norm = field_norm(p)
        safe, shifted, ratio = _norm_ratio(norm, bias, ctx.function)
        # <g, f> per field, component by component: elementwise, where a sum over the short dimension 2
        # is a slow strided reduction
        dot = grad[:, :, 0] * p[:, :, 0]
        for k in range(1, p.shape[2]):
            dot = torch.addcmul(dot, grad[:, :, k], p[:, :, k])
        # ratio = phi(t) / |f|, t = |f| + b: d ratio / dt = phi'(t) / |f|, d ratio / d|f| adds -ratio / |f|
        grad_shifted = dot * _NORM_DERIVATIVES[ctx.function](shifted) / safe
        grad_norm = grad_shifted - dot * ratio / safe
        # d|f| / df = f / |f| (0 at f = 0, where f itself is 0)
        grad_p = torch.addcmul(grad * ratio.unsqueeze(2), p, (grad_norm / safe).unsqueeze(2))
        grad_bias = None
        if bias is not None and ctx.needs_input_grad[1]:
            grad_bias = grad_shifted.sum((0,) + tuple(range(2, grad_shifted.dim()))).to(bias.dtype)
        return grad_p, grad_bias, None


def _hypot_chain(p: torch.Tensor) -> torch.Tensor:
    """:func:`field_norm` without its autograd node (for use inside another one)."""
    if p.shape[2] == 1:
        return p[:, :, 0].abs()
    n = torch.hypot(p[:, :, 0], p[:, :, 1])
    for k in range(2, p.shape[2]):
        n = torch.hypot(n, p[:, :, k])
    return n


def _shift(norm: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
    if b is None:
        return norm
    return norm + b.to(norm.dtype).view((1, -1) + (1,) * (norm.dim() - 2))


class _NormActivationFields(torch.autograd.Function):
    """:class:`_NormActivation` of every field group of a type whose fields are grouped by dimension in
    declared order, in one node: forward and backward write each group's result into its slice of one
    output tensor. Per-group nodes would cost a zero-filled full-size gradient per group in the slices'
    backward, their sum, and a concatenation in forward (about a third of the layer's time).

    The scalar factors are computed once per field in few passes: with ``t = |f| + b``,
    ``r = phi(t) / |f|`` and ``u = <g, f> / |f|``, the gradient is ``g r + f u (phi'(t) - r) / |f|``
    (``|f|`` read as 1 where it is 0, as :func:`_norm_ratio`), and the bias gradient ``u phi'(t)``."""

    @staticmethod
    def forward(ctx, x, bias, groups: FieldGroups, function: str):
        out = torch.empty_like(x, memory_format=torch.contiguous_format)
        biases = groups.per_group(bias) if bias is not None else [None] * len(groups.dims)
        norms = []
        for p, b, o in zip(groups.split(x), biases, groups.split(out)):
            norm = _hypot_chain(p)
            ratio = _norm_ratio(norm, b, function)[2]
            torch.mul(p, ratio.unsqueeze(2), out=o)
            norms.append(norm if p.shape[2] > 1 else None)
        ctx.save_for_backward(x, bias, *[n for n in norms if n is not None])
        ctx.groups, ctx.function = groups, function
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x, bias, *saved = ctx.saved_tensors
        groups, function = ctx.groups, ctx.function
        # under create_graph, every step is an autograd op on the inputs (no writes into slices)
        graph = torch.is_grad_enabled()
        biases = groups.per_group(bias) if bias is not None else [None] * len(groups.dims)
        grad_x = None if graph else torch.empty_like(x, memory_format=torch.contiguous_format)
        outs = groups.split(grad_x) if grad_x is not None else [None] * len(groups.dims)
        stored = iter(saved)
        parts, grad_biases = [], []
        derivative = _NORM_DERIVATIVES[function]
        for p, g, b, o in zip(groups.split(x), groups.split(grad), biases, outs):
            norm = next(stored) if p.shape[2] > 1 else None
            if norm is None or graph:
                norm = field_norm(p) if graph else _hypot_chain(p)
            zero = norm == 0
            inv = torch.where(zero, 1.0, norm).reciprocal()
            shifted = _shift(norm, b)
            ratio = _NORM_FUNCTIONS[function](shifted) * inv
            slope = derivative(shifted)
            dot = g[:, :, 0] * p[:, :, 0]
            for k in range(1, p.shape[2]):
                dot = torch.addcmul(dot, g[:, :, k], p[:, :, k])
            u = dot * inv
            coef = (u * (slope - ratio) * inv).unsqueeze(2)
            if o is None:
                parts.append(torch.addcmul(g * ratio.unsqueeze(2), p, coef))
            else:
                torch.mul(g, ratio.unsqueeze(2), out=o)
                o.addcmul_(p, coef)
            if bias is not None and ctx.needs_input_grad[1]:
                gs = u * slope
                grad_biases.append(gs.sum((0,) + tuple(range(2, gs.dim()))))
        if graph:
            grad_x = groups.merge(parts)
        grad_bias = None
        if grad_biases:
            grad_bias = groups.merge_fields([gb.unsqueeze(0) for gb in grad_biases])[0].to(bias.dtype)
        return grad_x, grad_bias, None, None


def _norm_activation(
    x: torch.Tensor, groups: FieldGroups, bias: torch.Tensor | None, function: str
) -> torch.Tensor:
    if groups.in_order:
        return _NormActivationFields.apply(x, bias, groups, function)
    biases = groups.per_group(bias) if bias is not None else [None] * len(groups.dims)
    return groups.merge([_NormActivation.apply(p, b, function) for p, b in zip(groups.split(x), biases)])


class NormActivation(nn.Module):
    """Plain form of :class:`NormNonlinearity`: ``phi(|f| + b) f / |f|`` on channel groups."""

    def __init__(self, groups: FieldGroups, bias: torch.Tensor | None, function: str):
        super().__init__()
        self.groups = groups
        self.function = function
        self.bias = None if bias is None else nn.Parameter(bias.detach().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _norm_activation(x, self.groups, self.bias, self.function)


def _gate(x: torch.Tensor, n_gates: int, channel_field: torch.Tensor, fn: Callable) -> torch.Tensor:
    gates = fn(x[:, :n_gates])
    return x[:, n_gates:] * gates.index_select(1, channel_field)


class Gate(nn.Module):
    """Plain form of :class:`GatedNonlinearity`: ``x[:, k:] * sigmoid(x[:, :k])[:, channel_field]``."""

    def __init__(self, n_gates: int, channel_field: torch.Tensor, function: str = "sigmoid"):
        super().__init__()
        self.n_gates = int(n_gates)
        self.function = function
        self.register_buffer("channel_field", channel_field.clone(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _gate(x, self.n_gates, self.channel_field, _GATE_FUNCTIONS[self.function])


_GATE_FUNCTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
}


class FieldNorms(nn.Module):
    """Plain form of :class:`ModulusNonlinearity`: the norm of every channel group."""

    def __init__(self, groups: FieldGroups):
        super().__init__()
        self.groups = groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return field_norms(x, self.groups)


def _global_pool(x: torch.Tensor, mode: str) -> torch.Tensor:
    spatial = tuple(range(2, x.dim()))
    if mode == "max":
        return x.amax(spatial, keepdim=True)
    return x.mean(spatial, keepdim=True)


class GlobalPool(nn.Module):
    """Plain global spatial pooling ``(N, C, H, W) -> (N, C, 1, 1)`` (volumes: ``(N, C, D, H, W) ->
    (N, C, 1, 1, 1)``) by max or mean."""

    def __init__(self, mode: str = "avg"):
        super().__init__()
        self.mode = mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _global_pool(x, self.mode)


def _field_reduce(x: torch.Tensor, groups: FieldGroups, mode: str) -> torch.Tensor:
    parts = [p.amax(2) if mode == "max" else p.mean(2) for p in groups.split(x)]
    return groups.merge_fields(parts)


class FieldReduce(nn.Module):
    """Plain form of :class:`GroupPooling`: the max or mean of every channel group."""

    def __init__(self, groups: FieldGroups, mode: str):
        super().__init__()
        self.groups = groups
        self.mode = mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _field_reduce(x, self.groups, self.mode)


class PooledFieldNorms(nn.Module):
    """Plain form of :class:`NormPooling`: field norms, then optional spatial pooling (a square window on
    images, a cubic one on volumes)."""

    def __init__(self, groups: FieldGroups, spatial: str | None, kernel_size: int | None, stride: int):
        super().__init__()
        self.groups = groups
        self.spatial = spatial
        self.kernel_size = kernel_size
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _norm_pool(x, self.groups, self.spatial, self.kernel_size, self.stride)


def _norm_pool(
    x: torch.Tensor, groups: FieldGroups, spatial: str | None, kernel_size: int | None, stride: int
) -> torch.Tensor:
    n = field_norms(x, groups)
    if spatial is None:
        return n
    if kernel_size is None:
        return _global_pool(n, spatial)
    volume = n.dim() == 5
    if spatial == "max":
        return (F.max_pool3d if volume else F.max_pool2d)(n, kernel_size, stride, kernel_size // 2)
    average = F.avg_pool3d if volume else F.avg_pool2d
    return average(n, kernel_size, stride, kernel_size // 2, count_include_pad=True)
