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
    "gate_runs",
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
        n = _hypot_chain(p)
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
        want_bias = bias is not None and ctx.needs_input_grad[1]
        grad_p, grad_bias = _norm_activation_grads(p, grad, bias, ctx.function, norm, want_bias)
        return grad_p, None if grad_bias is None else grad_bias.to(bias.dtype), None


def _norm_activation_grads(p, grad, bias, function: str, norm, want_bias: bool):
    """The gradients ``(d/df, d/db or None)`` of ``f phi(|f| + b) / |f|`` on ``(N, m, d, ...)`` given the
    norms ``|f|``, as autograd ops (differentiable when ``norm`` is)."""
    safe, shifted, ratio = _norm_ratio(norm, bias, function)
    # <g, f> per field, component by component: elementwise, where a sum over the short dimension 2
    # is a slow strided reduction
    dot = grad[:, :, 0] * p[:, :, 0]
    for k in range(1, p.shape[2]):
        dot = torch.addcmul(dot, grad[:, :, k], p[:, :, k])
    # ratio = phi(t) / |f|, t = |f| + b: d ratio / dt = phi'(t) / |f|, d ratio / d|f| adds -ratio / |f|
    grad_shifted = dot * _NORM_DERIVATIVES[function](shifted) / safe
    grad_norm = grad_shifted - dot * ratio / safe
    # d|f| / df = f / |f| (0 at f = 0, where f itself is 0)
    grad_p = torch.addcmul(grad * ratio.unsqueeze(2), p, (grad_norm / safe).unsqueeze(2))
    grad_bias = grad_shifted.sum((0,) + tuple(range(2, grad_shifted.dim()))) if want_bias else None
    return grad_p, grad_bias


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

    The per-field tensors (``1 / d`` of the fields' size, and most of the work: with fields of dimensions
    1 and 2 they hold 60% as many entries as the fields) are computed in few passes. With ``t = |f| + b``,
    ``v = 1 / |f|`` (1 where ``|f| = 0``, as :func:`_norm_ratio`), ``r = phi(t) v`` and ``u = <g, f> v``,
    the gradient is ``g r + f u (phi'(t) - r) v`` and the bias gradient ``u phi'(t)``. Forward saves
    ``1 / v`` and ``r``, so that backward recomputes neither; for ``relu``, ``phi'(t) = [r > 0]``, and for
    the other functions ``t`` is rebuilt as ``1 / v + b``, which differs from it only on zero fields,
    where ``u = 0`` multiplies ``phi'(t)``."""

    @staticmethod
    def forward(ctx, x, bias, groups: FieldGroups, function: str):
        out = torch.empty_like(x, memory_format=torch.contiguous_format)
        biases = groups.per_group(bias) if bias is not None else [None] * len(groups.dims)
        saved = []
        for p, b, o in zip(groups.split(x), biases, groups.split(out)):
            norm = _hypot_chain(p)
            shifted = _shift(norm, b) if b is not None else norm.clone()
            # in place where possible: a fresh tensor of this size costs about as much as a pass over it
            safe = norm
            # on CPU one read-only pass finds whether any norm is zero (or NaN, which hides a zero from
            # amin); elsewhere that test would synchronize with the device (or, on meta, has no value)
            if norm.device.type != "cpu" or (norm.numel() and not bool(norm.amin() > 0)):
                safe.masked_fill_(norm == 0, 1)
            ratio = shifted.relu_() if function == "relu" else _NORM_FUNCTIONS[function](shifted)
            ratio.div_(safe)
            torch.mul(p, ratio.unsqueeze(2), out=o)
            saved += [safe, ratio]
        ctx.save_for_backward(x, bias, *saved)
        ctx.groups, ctx.function = groups, function
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x, bias, *saved = ctx.saved_tensors
        groups, function = ctx.groups, ctx.function
        if torch.is_grad_enabled():
            return _NormActivationFields._graph_backward(ctx, grad, x, bias)
        biases = groups.per_group(bias) if bias is not None else [None] * len(groups.dims)
        grad_x = torch.empty_like(x, memory_format=torch.contiguous_format)
        want_bias = bias is not None and ctx.needs_input_grad[1]
        grad_biases = []
        for k, (p, g, b, o) in enumerate(
            zip(groups.split(x), groups.split(grad), biases, groups.split(grad_x))
        ):
            safe, ratio = saved[2 * k], saved[2 * k + 1]
            # <g, f> per field, component by component: elementwise, where a sum over the short dimension 2
            # is a slow strided reduction
            u = g[:, :, 0] * p[:, :, 0]
            for c in range(1, p.shape[2]):
                u.addcmul_(g[:, :, c], p[:, :, c])
            u.div_(safe)
            if function == "relu":
                slope = ratio > 0
                coef = torch.neg(ratio).add_(slope)
            else:
                slope = _NORM_DERIVATIVES[function](_shift(safe, b))
                coef = slope - ratio
            coef.mul_(u).div_(safe)
            torch.mul(g, ratio.unsqueeze(2), out=o)
            o.addcmul_(p, coef.unsqueeze(2))
            if want_bias:
                # a product, not a selection, so that a NaN field's NaN reaches its bias gradient
                gs = u.mul_(slope)
                grad_biases.append(gs.sum((0,) + tuple(range(2, gs.dim()))))
        grad_bias = None
        if grad_biases:
            grad_bias = groups.merge_fields([gb.unsqueeze(0) for gb in grad_biases])[0].to(bias.dtype)
        return grad_x, grad_bias, None, None

    @staticmethod
    def _graph_backward(ctx, grad, x, bias):
        """The backward as autograd ops on the inputs (under ``create_graph``, no writes into slices)."""
        groups = ctx.groups
        biases = groups.per_group(bias) if bias is not None else [None] * len(groups.dims)
        want_bias = bias is not None and ctx.needs_input_grad[1]
        grads = [
            _norm_activation_grads(p, g, b, ctx.function, field_norm(p), want_bias)
            for p, g, b in zip(groups.split(x), groups.split(grad), biases)
        ]
        grad_bias = None
        if want_bias:
            grad_bias = groups.merge_fields([gb.unsqueeze(0) for _, gb in grads])[0].to(bias.dtype)
        return groups.merge([gp for gp, _ in grads]), grad_bias, None, None


def _norm_activation(
    x: torch.Tensor, groups: FieldGroups, bias: torch.Tensor | None, function: str
) -> torch.Tensor:
    # the one-node form writes into slices of its outputs (out=), which a compiled graph cannot trace;
    # there the per-group nodes are fused by the compiler instead
    if groups.in_order and not torch.compiler.is_compiling():
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


def gate_runs(channel_field: torch.Tensor) -> tuple[tuple[int, int, int, int], ...]:
    """The gated fields as runs of consecutive fields of one dimension: ``(first field, end field,
    dimension, first channel)`` each, from ``channel_field`` (the field of every channel, nondecreasing).

    >>> gate_runs(torch.tensor([0, 1, 1, 2, 2, 3]))
    ((0, 1, 1, 0), (1, 3, 2, 1), (3, 4, 1, 5))
    """
    dims = torch.bincount(channel_field).tolist()
    runs: list[tuple[int, int, int, int]] = []
    channel = 0
    for i, d in enumerate(dims):
        if runs and runs[-1][2] == d:
            runs[-1] = (runs[-1][0], i + 1, d, runs[-1][3])
        else:
            runs.append((i, i + 1, d, channel))
        channel += d
    return tuple(runs)


def _gate_derivative(s: torch.Tensor, function: str) -> torch.Tensor:
    """``sigma'`` from ``s = sigma(t)``: ``s (1 - s)`` for sigmoid, ``1 - s^2`` for tanh."""
    if function == "sigmoid":
        return s * (1 - s)
    return 1 - s * s


class _GateFields(torch.autograd.Function):
    """``sigma(s_i) f_i`` for every gated field in one node: each run of fields of one dimension is
    multiplied by its gates broadcast over the field's channels, so the gates are never expanded to one
    per channel (a full-size tensor autograd would also save). Saves the input and ``sigma(s)``."""

    @staticmethod
    def forward(ctx, x, n_gates: int, runs, function: str):
        s = _GATE_FUNCTIONS[function](x[:, :n_gates])
        n, rest = x.shape[0], x.shape[2:]
        out = x.new_empty((n, x.shape[1] - n_gates) + rest)
        for f0, f1, d, c0 in runs:
            p = x[:, n_gates + c0 : n_gates + c0 + (f1 - f0) * d].reshape((n, f1 - f0, d) + rest)
            o = out[:, c0 : c0 + (f1 - f0) * d].view((n, f1 - f0, d) + rest)
            torch.mul(p, s[:, f0:f1].unsqueeze(2), out=o)
        ctx.save_for_backward(x, s)
        ctx.n_gates, ctx.runs, ctx.function = n_gates, runs, function
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x, s = ctx.saved_tensors
        k, runs = ctx.n_gates, ctx.runs
        if torch.is_grad_enabled():
            return _GateFields._graph_backward(ctx, grad, x, s)
        n, rest = x.shape[0], x.shape[2:]
        grad_x = torch.empty_like(x, memory_format=torch.contiguous_format)
        for f0, f1, d, c0 in runs:
            shape = (n, f1 - f0, d) + rest
            p = x[:, k + c0 : k + c0 + (f1 - f0) * d].reshape(shape)
            g = grad[:, c0 : c0 + (f1 - f0) * d].reshape(shape)
            torch.mul(g, s[:, f0:f1].unsqueeze(2), out=grad_x[:, k + c0 : k + c0 + (f1 - f0) * d].view(shape))
            # <g, f> per field, component by component (a sum over the short dimension 2 is slow)
            dot = grad_x[:, f0:f1]
            torch.mul(g[:, :, 0], p[:, :, 0], out=dot)
            for c in range(1, d):
                dot.addcmul_(g[:, :, c], p[:, :, c])
        grad_x[:, :k].mul_(_gate_derivative(s, ctx.function))
        return grad_x, None, None, None

    @staticmethod
    def _graph_backward(ctx, grad, x, s):
        """The backward as autograd ops on the inputs (under ``create_graph``)."""
        k = ctx.n_gates
        s = _GATE_FUNCTIONS[ctx.function](x[:, :k])
        channel_field = torch.cat(
            [torch.arange(f0, f1, device=x.device).repeat_interleave(d) for f0, f1, d, _ in ctx.runs]
        )
        dot = torch.zeros_like(s).index_add(1, channel_field, grad * x[:, k:])
        grad_gated = grad * s.index_select(1, channel_field)
        return torch.cat([dot * _gate_derivative(s, ctx.function), grad_gated], 1), None, None, None


def _gate(
    x: torch.Tensor,
    n_gates: int,
    runs: tuple[tuple[int, int, int, int], ...],
    channel_field: torch.Tensor,
    function: str,
) -> torch.Tensor:
    if torch.compiler.is_compiling():
        # out= into slices does not trace; the compiler fuses the per-channel gather with the product
        return x[:, n_gates:] * _GATE_FUNCTIONS[function](x[:, :n_gates]).index_select(1, channel_field)
    return _GateFields.apply(x, n_gates, runs, function)


class Gate(nn.Module):
    """Plain form of :class:`GatedNonlinearity`: ``x[:, k:] * sigmoid(x[:, :k])[:, channel_field]``."""

    def __init__(self, n_gates: int, channel_field: torch.Tensor, function: str = "sigmoid"):
        super().__init__()
        self.n_gates = int(n_gates)
        self.function = function
        self.register_buffer("channel_field", channel_field.clone(), persistent=False)
        self.runs = gate_runs(channel_field)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _gate(x, self.n_gates, self.runs, self.channel_field, self.function)


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
