"""Equivariant convolutions on the plane: lifting, group and steerable convolutions.

Every layer is a plain ``conv2d`` (cross-correlation) with an *expanded* filter ``K`` that satisfies the
kernel constraint

.. math::  K(g x) = \\rho_{out}(g) \\, K(x) \\, \\rho_{in}(g)^{-1}  \\qquad \\forall g \\in G,

which makes ``f -> K * f`` equivariant: ``K * (g . f) = g . (K * f)`` with
``(g . f)(x) = rho(g) f(g^{-1} x)`` (Cohen & Welling, *Steerable CNNs*, ICLR 2017, section 2; Weiler &
Cesa, *General E(2)-equivariant steerable CNNs*, NeurIPS 2019, eq. 2). The filter is built from the
learned parameters in one step:

- groups that permute the pixel grid (``C_2, C_4, D_2, D_4``): lifting and group convolutions copy the
  learned filter to all its transformed positions with ONE gather from a precomputed index map
  (Cohen & Welling, *Group equivariant CNNs*, ICML 2016, eqs. 10-11);
- other groups and representations: ONE einsum of the learned coefficients with a sampled steerable
  basis (a buffer), see :mod:`groupconv.kernels`.

The cost after the expansion is that of a plain ``conv2d`` with the expanded channel counts. The filter is
expanded on every call, also in eval mode (no cache that a parameter change could leave stale); ``export``
gives a plain ``conv2d`` with the filter fixed. Derived tensors are non-persistent buffers: the
``state_dict`` holds the learned parameters and a plain-data description of the layer (group, field
types, kernel size, basis), which must match where it is loaded.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..groups.actions import acts_on_grid, grid_permutation
from ..groups.base import FiniteGroup, Group
from ..groups.planar import O2, SO2, Cyclic, Dihedral
from ..kernels.exact import character_dimension, grid_kernel_basis, verify_grid_basis
from ..kernels.harmonic import (
    check_kernel_size,
    harmonic_kernel_basis,
    lifts_to_regular,
    presolve_angular,
    regular_action,
    regular_kernel_basis,
)
from ..reps.operations import regular, trivial
from ..reps.representation import Representation
from ..utils.memory import check_memory
from ._fields import DescribedState, autocast_dtype, check_field_type, check_tensor
from .field_type import FieldType

__all__ = ["LiftingConv2d", "GroupConv2d", "SteerableConv2d", "EquivariantConv2d"]


def _pair(v, name: str, minimum: int = 1) -> tuple[int, int]:
    """``v`` (an int or a pair of ints, each at least ``minimum``) as a pair."""
    pair = tuple(v) if isinstance(v, (tuple, list)) else (v, v)
    if len(pair) != 2 or any(not isinstance(a, (int, np.integer)) or isinstance(a, bool) for a in pair):
        raise ValueError(f"{name} must be an int or a pair of ints, got {v!r}")
    if any(a < minimum for a in pair):
        raise ValueError(f"{name} must be at least {minimum}, got {v!r}")
    return int(pair[0]), int(pair[1])


def conv_geometry(
    stride, padding, dilation
) -> tuple[tuple[int, int], tuple[int, int] | str, tuple[int, int]]:
    """``stride``, ``padding`` and ``dilation`` checked as :class:`torch.nn.Conv2d` would: strides and
    dilations at least 1, paddings at least 0 or ``"same"`` / ``"valid"`` (``"same"`` with stride 1)."""
    stride = _pair(stride, "stride")
    dilation = _pair(dilation, "dilation")
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"padding must be an int, a pair, 'same' or 'valid', got {padding!r}")
        if padding == "same" and stride != (1, 1):
            raise ValueError(f"padding='same' needs stride 1 (as in torch.nn.Conv2d), got stride={stride}")
        return stride, padding, dilation
    return stride, _pair(padding, "padding", minimum=0), dilation


class EquivariantConv2d(DescribedState, nn.Module):
    """Common machinery: input validation, filter expansion, export, certificates, the ``state_dict``'s
    layer description.

    Subclasses implement :meth:`expand_filter` returning the ``(C_out, C_in / groups, k, k)`` filter and
    the ``(C_out,)`` bias (or ``None``).
    """

    in_type: FieldType
    out_type: FieldType

    def _setup(self, in_type, out_type, kernel_size, stride, padding, dilation, groups) -> None:
        self.in_type, self.out_type = in_type, out_type
        self.kernel_size = check_kernel_size(kernel_size)
        self.stride, self.padding, self.dilation = conv_geometry(stride, padding, dilation)
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

    def _apply(self, fn, recurse: bool = True):
        basis = self._buffers.get("basis")
        before = None if basis is None else (basis.dtype, basis.device)
        super()._apply(fn, recurse)
        expansion = getattr(self, "_expansion", None)
        if expansion is None or (expansion.factor is None and expansion.lift is None):
            return self
        basis = self._buffers["basis"]
        if (basis.dtype, basis.device) != before and basis.device.type != "meta":
            # the factors are derived from the basis as cast, so that they expand exactly like it
            expansion.register_factors(self, expansion.factors_of(basis))
        return self

    def state_description(self) -> dict[str, object]:
        """What the parameters mean (see :class:`~groupconv.nn._fields.DescribedState`): the group, the
        field types, the kernel size, ``groups`` and the basis with its options."""
        expansion = getattr(self, "_expansion", None)
        return {
            "group": repr(self.in_type.group),
            "in_type": repr(self.in_type),
            "out_type": repr(self.out_type),
            "kernel_size": self.kernel_size,
            "groups": self.groups,
            "basis": self.basis_kind,
            "basis_options": dict(expansion.options) if expansion is not None else {},
        }

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        name = type(self).__name__
        check_tensor(x, self.in_type, name)
        w, b = self.filter()
        # under autocast the filter is expanded, and conv2d computes, in the autocast dtype
        if x.dtype != w.dtype and autocast_dtype(x) is None:
            raise TypeError(
                f"{name}: input dtype {x.dtype} does not match the layer's dtype {w.dtype}; cast the input or "
                "the layer (nothing is down-cast silently)"
            )
        if x.device != w.device:
            raise ValueError(
                f"{name}: input on {x.device}, the layer's parameters on {w.device}; move one of them"
            )
        return F.conv2d(x, w, b, self.stride, self.padding, self.dilation, self.groups)

    def export(self) -> nn.Conv2d:
        """A plain ``torch.nn.Conv2d`` with the expanded filter: identical outputs."""
        with torch.no_grad():
            w, b = self.expand_filter()
        conv = nn.Conv2d(
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

    # -- certificates ---------------------------------------------------------------------------------
    def projection_residual(self) -> float:
        """``||K - P K|| / ||K||`` for the expanded filter ``K`` (float64), where ``P`` averages the
        constraint action over every element of a grid group: the distance of the filter to the space
        of exactly equivariant kernels."""
        group = self.in_type.group
        with torch.no_grad():
            w, _ = self.expand_filter()
        w = w.detach().to(torch.float64).cpu()
        j = self.groups
        k = self.kernel_size
        wj = w.reshape(j, w.shape[0] // j, w.shape[1], k * k)
        ri_type = FieldType(group, self.in_type.representations[: len(self.in_type) // j])
        ro_type = FieldType(group, self.out_type.representations[: len(self.out_type) // j])
        g = group.elements()
        ro, ri = ro_type.representation(g), ri_type.representation(g)
        perms = torch.as_tensor(np.stack([grid_permutation(group, e, k, k) for e in g.tolist()]))
        # mean over g of rho_out(g) K(g^-1 x) rho_in(g)^T
        moved = torch.einsum("noa,jabnp,nib->joip", ro, wj[..., perms], ri) / len(g)
        return float((moved - wj).norm() / wj.norm().clamp_min(1e-300))


# -- steerable basis expansion ---------------------------------------------------------------------------
@lru_cache(maxsize=512)
def _pair_basis(
    rho_in: Representation,
    rho_out: Representation,
    kernel_size: int,
    basis: str,
    options: tuple,
    dtype: str = "float64",
):
    kw = dict(options)
    if basis == "exact":
        return grid_kernel_basis(
            rho_in, rho_out, kernel_size, method=kw.get("method", "auto"), allow_empty=True
        )
    if lifts_to_regular(rho_in, rho_out):
        # regular fields: the basis lifted from free filters, no constraint to solve
        return regular_kernel_basis(
            rho_in, rho_out, kernel_size, basis=basis, allow_empty=True, dtype=np.dtype(dtype), **kw
        )
    return harmonic_kernel_basis(
        rho_in, rho_out, kernel_size, basis=basis, allow_empty=True, dtype=np.dtype(dtype), **kw
    )


def _storage_dtype(dtype: torch.dtype) -> str:
    """numpy dtype the sampled basis is built in for a buffer of ``dtype`` (then converted, if needed)."""
    return "float64" if dtype == torch.float64 else "float32"


def _unique(reps) -> tuple[list[Representation], list[int], list[int]]:
    """Distinct representations in order of appearance, the type of each field and its position among
    the fields of its type."""
    types: list[Representation] = []
    type_of, pos = [], []
    counts: dict[int, int] = {}
    for r in reps:
        t = next((i for i, u in enumerate(types) if u is r or u == r), None)
        if t is None:
            types.append(r)
            t = len(types) - 1
        type_of.append(t)
        pos.append(counts.get(t, 0))
        counts[t] = counts.get(t, 0) + 1
    return types, type_of, pos


def _chunk(field_type: FieldType, groups: int, what: str) -> list[Representation]:
    reps = list(field_type.representations)
    if len(reps) % groups:
        raise ValueError(f"{what} has {len(reps)} fields, not divisible by groups={groups}")
    n = len(reps) // groups
    first = reps[:n]
    for j in range(1, groups):
        if any(not (a == b) for a, b in zip(first, reps[j * n : (j + 1) * n])):
            raise ValueError(
                f"with groups={groups} every group of fields of the {what} must have the same representations; "
                f"{what} is {field_type!r}"
            )
    return first


@lru_cache(maxsize=128)
def _plan(
    in_reps: tuple,
    out_reps: tuple,
    groups: int,
    kernel_size: int,
    basis: str,
    opts: tuple,
    dtype: str = "float64",
) -> dict:
    """Everything a steerable expansion needs, as numpy arrays (the basis buffer ``buf`` in ``dtype``);
    cached, so that identical layers share the construction."""
    ti, tin, pin = _unique(in_reps)
    to, tout, pout = _unique(out_reps)
    if basis != "exact" and len(ti) * len(to) > 1:
        # the angular parts of every irrep pair of every pair of field types, in one batch
        presolve_angular(
            [(a, b) for b in to for a in ti if not lifts_to_regular(a, b)], kernel_size, basis, **dict(opts)
        )
    bases = [[_pair_basis(a, b, kernel_size, basis, opts, dtype) for a in ti] for b in to]
    nb = np.array([[len(bases[s][t]) for t in range(len(ti))] for s in range(len(to))], dtype=np.int64)
    tin_a, pin_a, tout_a, pout_a = map(np.asarray, (tin, pin, tout, pout))
    used = nb[np.ix_(tout_a, tin_a)]
    s_o, s_i = len(to), len(ti)
    u_max, v_max = int(pout_a.max()) + 1, int(pin_a.max()) + 1
    b_max = int(nb.max())
    do, di = max(r.dim for r in to), max(r.dim for r in ti)
    k2 = kernel_size * kernel_size
    if s_o == s_i == 1 and b_max > 0 and bases[0][0].tensor.shape[0] == b_max:
        # one type of field on each side: the basis is already the padded buffer
        buf = bases[0][0].tensor.reshape(1, 1, b_max, do, di, k2)
    else:
        # every pair of field types is padded to the largest basis and the largest dimensions
        check_memory(
            s_o * s_i * b_max * do * di * k2 * np.dtype(dtype).itemsize
            + sum(b.tensor.nbytes for row in bases for b in row),
            f"the {kernel_size}x{kernel_size} kernel basis buffer ({s_o} x {s_i} pairs of field types, each "
            f"padded to {b_max} elements of {do} x {di} x {k2})",
            "use fewer kinds of fields (e.g. only regular ones), a smaller kernel_size or a lower "
            "max_frequency / frequency_cutoff",
        )
        buf = np.zeros((s_o, s_i, b_max, do, di, k2), dtype=dtype)
        for s in range(s_o):
            for t in range(s_i):
                b = bases[s][t].tensor
                buf[s, t, : b.shape[0], : b.shape[1], : b.shape[2]] = b.reshape(b.shape[:3] + (k2,))
    per_group = int(used.sum())
    num_params = per_group * groups
    # flat parameter order: group, output field, input field, basis element
    offsets = (np.cumsum(used.reshape(-1)) - used.reshape(-1)).reshape(used.shape)
    index = np.full((groups, s_o, u_max, s_i, v_max, max(b_max, 1)), num_params, dtype=np.int64)
    ff, hh, bb = np.nonzero(np.arange(b_max)[None, None, :] < used[:, :, None])
    index[:, tout_a[ff], pout_a[ff], tin_a[hh], pin_a[hh], bb] = (
        np.arange(groups)[:, None] * per_group + (offsets[ff, hh] + bb)[None]
    )
    rows = np.concatenate(
        [(tout[f] * u_max + pout[f]) * do + np.arange(r.dim) for f, r in enumerate(out_reps)]
    )
    cols = np.concatenate([(tin[h] * v_max + pin[h]) * di + np.arange(r.dim) for h, r in enumerate(in_reps)])
    # per basis element, its rows' mean squared norm and mean squared response to the input mean (the
    # invariant part of a constant input), mixed as for rectified inputs (groupconv.nn.init), cumulated
    # over the elements: (S_o, S_i, B)
    dims = np.array([r.dim for r in to], dtype=np.float64)
    flat = buf.reshape(s_o, s_i, b_max, do * di * k2)
    sq = np.matmul(flat[..., None, :], flat[..., :, None])[..., 0, 0]  # squared norms, one dot each
    mean_dir = np.zeros((s_i, di))
    for t, r in enumerate(ti):
        triv = _trivial_columns(r)
        mean_dir[t, : r.dim] = triv @ triv.sum(0)  # projection of (1, ..., 1) on the trivial irreps
    # input fields without a trivial irrep have zero mean: their energy counts as it is
    rectified = (np.abs(mean_dir).sum(1) > 0)[None, :, None]
    mixed = sq
    if rectified.any():
        # the response of every row to the constant input: one matrix-vector product per pair of types
        const = np.repeat(mean_dir, k2, axis=1).astype(buf.dtype)  # (S_i, d_i k^2)
        response = np.matmul(buf.reshape(s_o, s_i, b_max * do, di * k2), const[None, :, :, None])
        dc = (response.reshape(s_o, s_i, b_max, do).astype(np.float64) ** 2).sum(-1)
        mixed = np.where(rectified, (1 - 1 / np.pi) * sq + dc / np.pi, sq)
    row_energy = np.cumsum(mixed / dims[:, None, None], axis=-1)
    lift = None
    if basis != "exact" and s_o == s_i == 1 and nb[0, 0] > 0 and lifts_to_regular(ti[0], to[0]):
        lift = _lift_plan(ti[0], to[0], int(nb[0, 0]), u_max, v_max)
    return dict(
        lift=lift,
        factor=None if lift is not None else _factor_plan(bases, index, b_max, kernel_size, num_params),
        bases=bases,
        nb=nb,
        used=used,
        types=(to, ti, tout, tin),
        buf=buf,
        index=index,
        rows=rows,
        cols=cols,
        num_params=num_params,
        shape=(groups, s_o, u_max, do, s_i, v_max, di),
        identity_weights=bool(
            index.size == num_params and np.array_equal(index.reshape(-1), np.arange(index.size))
        ),
        identity_rows=bool(rows.size == s_o * u_max * do and np.array_equal(rows, np.arange(rows.size))),
        identity_cols=bool(cols.size == s_i * v_max * di and np.array_equal(cols, np.arange(cols.size))),
        row_energy=row_energy,
    )


def _lift_plan(rho_in: Representation, rho_out: Representation, nb: int, u: int, v: int) -> dict | None:
    """Index maps of the lifted expansion of one pair of field types whose basis is
    :func:`~groupconv.kernels.regular_kernel_basis`: ``K[u, a, v, b] = sum_f W[u, v, f, c(a, b)] R[a, f]``
    with ``R[a, f]`` pixel function ``f`` moved by the element taking the first basis vector of the
    regular side to its ``a``-th: one small matrix product and one gather instead of a product with the
    dense basis, most of whose entries are zero. ``None`` unless both sides are regular."""
    p_out, p_in = regular_action(rho_out), regular_action(rho_in)
    if p_out is None or p_in is None:
        # lifting and pooling: the dense product is already the small one
        return None
    n = rho_out.dim
    g_row = np.argsort(p_out[:, 0])
    cols = p_in[g_row].T  # (c, a) -> b = pi_in(g_a)(c)
    cinv = np.argsort(p_in[g_row], axis=1)  # (a, b) -> c
    a = np.arange(n)
    uu, vv = np.arange(u)[:, None, None, None], np.arange(v)[None, None, :, None]
    # the product is laid out (u, v, c, a); the filter (u, a, v, b)
    gather = ((uu * v + vv) * n + cinv[None, :, None, :]) * n + a[None, :, None, None]
    gather = gather.reshape(-1)
    return dict(n=n, nf=nb // n, cols=cols, index=gather, inverse=np.argsort(gather))


class _LiftedExpansion(torch.autograd.Function):
    """``K = gather(W^T R)`` of :func:`_lift_plan` as one autograd node: the product of the coefficients
    ``W`` ``(rows, F, n)`` (read transposed) with the moved pixel functions ``R`` ``(F, n k^2)``, then the
    permutation ``index`` of the ``(c, a)`` slices into the filter layout. Its gradient gathers by the
    inverse permutation (``index_select``'s own backward is a scatter-add, several times slower on CPU)
    and multiplies by ``R^T``."""

    @staticmethod
    def forward(w, r, index, inverse, groups):
        rows, nf, n = w.shape
        k = torch.mm(w.transpose(1, 2).reshape(rows * n, nf), r)  # rows (rows, c), columns (a, pixel)
        return k.reshape(groups, -1, r.shape[1] // n).index_select(1, index)

    @staticmethod
    def setup_context(ctx, inputs, output):
        w, r, _, inverse, _ = inputs
        ctx.save_for_backward(r, inverse)
        ctx.w_shape = w.shape

    @staticmethod
    def backward(ctx, grad):
        r, inverse = ctx.saved_tensors
        rows, nf, n = ctx.w_shape
        g = grad.index_select(1, inverse).reshape(rows * n, r.shape[1])
        # under autocast the forward product, and so its gradient, is in the autocast dtype
        gw = torch.mm(g, r.t().to(g.dtype)).reshape(rows, n, nf).transpose(1, 2)
        return gw, None, None, None, None


def _lifted_filters(basis: torch.Tensor, lift: dict) -> torch.Tensor | None:
    """The moved pixel functions ``R`` ``(F, n k^2)`` (``(f, (a, pixel))``) of a lifted basis
    (:func:`_lift_plan`), read from the basis buffer as it is now; ``None`` when the buffer does not have
    the lifted pattern (replaced or modified values), so that the layer expands with the dense basis."""
    n, nf = lift["n"], lift["nf"]
    e = basis.detach()[0, 0].reshape(nf, n, n, n, -1)  # (f, c, a, b, pixel)
    cols = torch.as_tensor(lift["cols"], device=e.device)
    idx = torch.arange(n, device=e.device)
    r = e[:, 0, idx, cols[0]]  # filter c = 0: (f, a, pixel)
    again = torch.zeros_like(e)
    again[:, idx[:, None], idx[None, :], cols] = r[:, None]
    return r.reshape(nf, -1).clone() if torch.equal(again, e) else None


# the factorized expansion is used where it does this many times fewer multiply-adds, and saves this many
# of them or the basis buffer has this many entries
_FACTOR_RATIO, _FACTOR_MIN_SAVING, _FACTOR_LARGE_BASIS = 3.5, 2e6, 2.5e5


def _factor_plan(bases, index: np.ndarray, b_max: int, kernel_size: int, num_params: int) -> dict | None:
    """Grouping of the basis elements by their radial profile and angular frequency, for a factorized
    expansion: every element of a group is ``sum_r T_r (x) H_r(x)`` with the same few pixel functions
    ``H_r`` (``cos k theta``, ``sin k theta`` times one ring), so the expansion becomes a product with the
    small templates ``T`` and one with the pixel functions. ``None`` where the bases carry no such labels
    (exact grid bases) or where the dense product is not more expensive."""
    s_o, s_i = len(bases), len(bases[0])
    labels = [
        [[(d.get("frequency"), d.get("radial")) for d in bases[s][t].info] for t in range(s_i)]
        for s in range(s_o)
    ]
    flat = [lab for row in labels for col in row for lab in col]
    if not flat or any(k is None or j is None for k, j in flat):
        return None
    keys = sorted(set(flat))
    # the most elements of one (frequency, ring) group within one pair of field types
    n_max = max(max(Counter(col).values(), default=0) for row in labels for col in row)
    k2 = kernel_size * kernel_size
    # multiply-adds of the dense product and of the factorized one (a batched product over the groups,
    # rank <= 2 each, then one with the pixel functions): the second pays where it does a few times fewer
    # and either saves a few million of them or spares reading a large basis (with few field pairs the
    # dense product is bound by the memory traffic of the basis buffer)
    pairs = index.size // max(index.shape[-1], 1)
    do = max(bases[s][0].tensor.shape[1] for s in range(s_o))
    di = max(bases[0][t].tensor.shape[2] for t in range(s_i))
    dense = pairs * do * di * b_max * k2
    factorized = pairs * do * di * len(keys) * (2 * n_max + 2 * k2)
    large = s_o * s_i * b_max * do * di * k2 >= _FACTOR_LARGE_BASIS
    if dense < _FACTOR_RATIO * factorized or (dense - factorized < _FACTOR_MIN_SAVING and not large):
        return None
    members = [
        [[[b for b, lab in enumerate(labels[s][t]) if lab == key] for key in keys] for t in range(s_i)]
        for s in range(s_o)
    ]
    bidx = np.full((s_o, s_i, len(keys), n_max), b_max, dtype=np.int64)
    for s in range(s_o):
        for t in range(s_i):
            for g, m in enumerate(members[s][t]):
                bidx[s, t, g, : len(m)] = m
    # flat parameter of (group, s, u, t, v, g, n); padded slots read the appended zero
    ext = np.concatenate([index[..., :b_max], np.full(index.shape[:-1] + (1,), num_params)], -1)
    S, T = np.arange(s_o)[:, None, None, None], np.arange(s_i)[None, :, None, None]
    fact = ext[:, S, :, T, :, bidx]  # (s_o, s_i, G, n, groups, u, v)
    # in the layout of the batched product: (s_o, s_i, G) batches of (groups, u, v) x n
    return dict(bidx=bidx, index=np.ascontiguousarray(fact.transpose(0, 1, 2, 4, 5, 6, 3)))


def _factorize(basis: torch.Tensor, bidx: np.ndarray) -> tuple[torch.Tensor, torch.Tensor] | None:
    """Templates ``T`` ``(s_o, s_i, G, n, 2, d_o, d_i)`` and pixel functions ``H`` ``(2 G, k^2)`` with
    ``basis[s, t, bidx[s, t, g, n]] = sum_r T[s, t, g, n, r] H[2 g + r]`` for the basis as it is
    now: ``H`` are the two leading eigenvectors of each group's pixel Gram matrix; ``None`` when the
    factors do not reproduce the basis to its rounding level (a group spanning more pixel functions)."""
    s_o, s_i, _, do, di, k2 = basis.shape
    G, n = bidx.shape[2:]
    b = basis.detach().to("cpu", torch.float64)
    b = torch.cat([b, b.new_zeros(s_o, s_i, 1, do, di, k2)], 2)
    sel = b[
        torch.arange(s_o)[:, None, None, None], torch.arange(s_i)[None, :, None, None], torch.from_numpy(bidx)
    ]
    # (s_o, s_i, G, n, do, di, k2) -> per group (everything else, k2)
    per_group = sel.permute(2, 0, 1, 3, 4, 5, 6).reshape(G, -1, k2)
    _, vecs = torch.linalg.eigh(per_group.transpose(1, 2) @ per_group)
    h = vecs[:, :, -2:].transpose(1, 2)  # (G, 2, k2), orthonormal rows
    coef = per_group @ h.transpose(1, 2)  # (G, rows, 2)
    err = float((coef @ h - per_group).abs().max())
    if err > 100 * torch.finfo(basis.dtype).eps * float(per_group.abs().max()):
        return None
    t = coef.reshape(G, s_o, s_i, n, do, di, 2).permute(1, 2, 0, 3, 6, 4, 5)
    return t.to(basis.device, basis.dtype).contiguous(), h.reshape(G * 2, k2).to(basis.device, basis.dtype)


class _BasisExpansion:
    """Buffers and index maps of a steerable expansion ``K = sum_b w_b B_b`` over all field pairs, built
    once; the expansion is one gather of the parameters, one product with the basis (a matrix product for
    one pair of field types, an einsum over several, the factorized product with templates and pixel
    functions, or, between regular fields, the lifted product with the moved pixel functions and a
    permutation) and, when the fields are of several types, one gather of the channels."""

    def __init__(self, module: nn.Module, in_type, out_type, groups, kernel_size, basis, options):
        in_reps = tuple(_chunk(in_type, groups, "input type"))
        out_reps = tuple(_chunk(out_type, groups, "output type"))
        dtype = torch.get_default_dtype()
        plan = _plan(
            in_reps,
            out_reps,
            groups,
            kernel_size,
            basis,
            tuple(sorted(options.items())),
            _storage_dtype(dtype),
        )
        if plan["num_params"] == 0:
            raise ValueError(
                f"empty kernel basis: no {kernel_size}x{kernel_size} kernel maps {in_type!r} to {out_type!r} "
                f"equivariantly (basis={basis!r}); use a larger kernel, a higher frequency band or other "
                "field types"
            )
        self.plan = plan
        self.options = tuple(sorted(options.items()))
        self.bases, self.nb, self.types = plan["bases"], plan["nb"], plan["types"]
        self.num_params, self.shape = plan["num_params"], plan["shape"]
        self.identity_rows, self.identity_cols = plan["identity_rows"], plan["identity_cols"]
        self.identity_weights = plan["identity_weights"]
        self.out_reps, self.in_reps = out_reps, in_reps
        # identical layers share these read-only buffers (until moved or cast) instead of copying them;
        # the basis is built in float64 or float32 (_storage_dtype) and stored in the default dtype
        # (module.double() / .half() cast it with the parameters) so that the forward does not convert it
        key = ("basis", dtype)
        if key not in plan:
            # no copy where the plan was built in this dtype
            plan[key] = torch.from_numpy(plan["buf"]).to(dtype)
        module.register_buffer("basis", plan[key], persistent=False)
        module.register_buffer("weight_index", torch.from_numpy(plan["index"]), persistent=False)
        module.register_buffer("row_index", torch.from_numpy(plan["rows"]), persistent=False)
        module.register_buffer("col_index", torch.from_numpy(plan["cols"]), persistent=False)
        self.factor, self.lift = plan["factor"], plan["lift"]
        if self.factor is not None:
            module.register_buffer("factor_index", torch.from_numpy(self.factor["index"]), persistent=False)
        if self.lift is not None:
            module.register_buffer("lift_index", torch.from_numpy(self.lift["index"]), persistent=False)
            module.register_buffer("lift_inverse", torch.from_numpy(self.lift["inverse"]), persistent=False)
        if self.factor is not None or self.lift is not None:
            key = ("factors", dtype)
            if key not in plan:
                plan[key] = self.factors_of(plan[("basis", dtype)])
            self.register_factors(module, plan[key])

    def factors_of(self, basis: torch.Tensor):
        """The factors of ``basis`` (:func:`_factorize`, or the moved pixel functions of a lifted basis,
        :func:`_lifted_filters`); ``None``: the layer expands with the dense basis."""
        if self.lift is not None:
            return _lifted_filters(basis, self.lift)
        return _factorize(basis, self.factor["bidx"])

    def register_factors(self, module: nn.Module, factors) -> None:
        """Keep the factors as non-persistent buffers of ``module`` (``None`` buffers where the basis has
        none), so that moves, casts and ``torch.func.functional_call`` treat them like the basis."""
        if self.lift is not None:
            module.register_buffer("lift_filters", factors, persistent=False)
            return
        t, h = (None, None) if factors is None else factors
        module.register_buffer("factor_templates", t, persistent=False)
        module.register_buffer("factor_pixels", h, persistent=False)

    def _coefficients(self, module: nn.Module, weight: torch.Tensor) -> torch.Tensor:
        """The flat parameters as the coefficient tensor ``(groups, s_o, u, s_i, v, b)`` of
        ``weight_index``, padded slots zero."""
        if self.identity_weights:
            # one pair of field types and no padding: the parameters are the coefficient tensor itself
            return weight.reshape(module.weight_index.shape)
        return torch.cat([weight, weight.new_zeros(1)])[module.weight_index]

    def expand(self, module: nn.Module, weight: torch.Tensor) -> torch.Tensor:
        g, s_o, u, do, s_i, v, di = self.shape
        lifted = self.lift is not None and module.lift_filters is not None
        if lifted:
            # regular fields: K[u, a, v, b] = sum_f W[u, v, f, c(a, b)] R[a, f], one product, one gather
            n, nf = self.lift["n"], self.lift["nf"]
            w = self._coefficients(module, weight).reshape(g * u * v, nf, n)
            r = module.lift_filters.to(weight.dtype)
            k = _LiftedExpansion.apply(w, r, module.lift_index, module.lift_inverse, g)
            k = k.reshape(g, u * n, v * n, -1)
        elif self.factor is not None and module.factor_templates is not None:
            # K = sum_g,r (sum_n w_gn T_gn,r) H_gr: templates first, then the few pixel functions
            t, h = module.factor_templates, module.factor_pixels
            n_g, n = h.shape[0] // 2, t.shape[3]
            h = h.to(weight.dtype)
            w = torch.cat([weight, weight.new_zeros(1)])[module.factor_index]  # (s_o, s_i, G, j, u, v, n)
            # c[(s_o, s_i, G), (r, a, e), (j, u, v)] = T^T w^T: both read transposed, without copies
            c = torch.bmm(
                t.to(weight.dtype).reshape(-1, n, 2 * do * di).transpose(1, 2),
                w.reshape(s_o * s_i * n_g, g * u * v, n).transpose(1, 2),
            )
            # rows (G, r) of each (s_o, s_i): contracted with the pixel functions, c read transposed
            c = c.reshape(s_o * s_i, 2 * n_g, -1)
            if s_o == s_i == 1:
                k = torch.mm(c[0].t(), h)
            else:
                k = torch.bmm(c.transpose(1, 2), h.expand(s_o * s_i, -1, -1))
            # (s_o, s_i, a, e, j, u, v, p) -> (j, s_o, u, a, s_i, v, e, p)
            k = k.reshape(s_o, s_i, do, di, g, u, v, -1).permute(4, 0, 5, 2, 1, 6, 3, 7)
            k = k.reshape(g, s_o * u * do, s_i * v * di, -1)
        else:
            w = self._coefficients(module, weight)
            basis = module.basis.to(weight.dtype)
            if s_o == s_i == 1:
                # one pair of field types: a single matrix product, then the (u, a, v, e) interleave
                b = basis.shape[2]
                k = torch.mm(w.reshape(g * u * v, b), basis.reshape(b, -1))
                k = k.reshape(g, u, v, do, di * basis.shape[-1]).transpose(2, 3)
            else:
                k = torch.einsum("jsutvb,stbaep->jsuatvep", w, basis)
            k = k.reshape(g, s_o * u * do, s_i * v * di, -1)
        if not self.identity_rows:
            k = k.index_select(1, module.row_index)
        if not self.identity_cols:
            k = k.index_select(2, module.col_index)
        ks = module.kernel_size
        return k.reshape(g * k.shape[1], k.shape[2], ks, ks)

    def parameter_fields(self) -> np.ndarray:
        """The output field (index into the layer's output type) each flat parameter maps into."""
        groups = self.shape[0]
        _, type_of, pos = _unique(self.out_reps)
        n_local = len(self.out_reps)
        index = self.plan["index"]
        field_of = np.zeros(index.shape[1:3], dtype=np.int64)
        field_of[type_of, pos] = np.arange(n_local)
        fields = np.arange(groups)[:, None, None] * n_local + field_of[None]
        fields = np.broadcast_to(fields[:, :, :, None, None, None], index.shape)
        valid = index < self.num_params
        out = np.empty(self.num_params, dtype=np.int64)
        out[index[valid]] = fields[valid]
        return out

    def he_std(self, gain: float) -> np.ndarray:
        """Standard deviation of each flat parameter (:mod:`groupconv.nn.init`): ``sqrt(gain / E_f)``
        with ``E_f`` the summed mean row energy of the basis elements reaching output field ``f``."""
        _, _, tout, tin = self.types
        used = self.plan["used"]
        cum = self.plan["row_energy"]
        last = np.maximum(used - 1, 0)
        e = cum[np.asarray(tout)[:, None], np.asarray(tin)[None, :], last] * (used > 0)
        std_field = np.sqrt(gain / np.maximum(e.sum(1), 1e-300))
        per = np.repeat(std_field, used.sum(1))
        return np.tile(per, self.num_params // max(per.size, 1))


@lru_cache(maxsize=256)
def _trivial_columns(rep: Representation) -> np.ndarray:
    """``(d, n)``: the columns of the change of basis that carry trivial irreps."""
    cols, j = [], 0
    for ir in rep.irreps:
        if ir.is_trivial():
            cols.append(j)
        j += ir.dim
    return rep.change_of_basis[:, cols]


def _bias_map(out_type: FieldType) -> tuple[np.ndarray, int]:
    """``(C_out, n_bias)``: the trivial-irrep columns of each output field's change of basis."""
    blocks = [_trivial_columns(r) for r in out_type.representations]
    n = sum(b.shape[1] for b in blocks)
    out = np.zeros((out_type.size, n))
    i = j = 0
    for b in blocks:
        out[i : i + b.shape[0], j : j + b.shape[1]] = b
        i += b.shape[0]
        j += b.shape[1]
    return out, n


class SteerableConv2d(EquivariantConv2d):
    """Steerable convolution between feature fields of any representations of ``C_n``, ``D_n``,
    ``SO(2)`` or ``O(2)``.

    .. math::  y = K * x, \\qquad K = \\sum_b w_b \\, B_b, \\qquad
               B_b(g x) = \\rho_{out}(g) B_b(x) \\rho_{in}(g)^{-1},

    with one learned coefficient per basis element of each pair of (input field, output field)
    (Weiler & Cesa, NeurIPS 2019, eq. 3 and section 2.5).

    Parameters
    ----------
    in_type, out_type:
        :class:`~groupconv.nn.FieldType` of the input and output (same group).
    kernel_size:
        Odd ``k`` (or ``(k, k)``).
    stride, padding, dilation, groups:
        As in :class:`torch.nn.Conv2d`. With ``groups > 1`` the fields of each type are split into
        ``groups`` consecutive blocks with the same representations.
    bias:
        A learned bias on the trivial irreps of the output fields (the only components a constant can be
        added to without breaking equivariance).
    basis:
        ``"gaussian"`` (Gaussian rings times circular harmonics), ``"bessel"`` (Fourier-Bessel radial
        parts) or ``"exact"`` (the exact solution on the pixel grid, groups ``C_2, C_4, D_2, D_4`` only).
    **basis_options:
        Passed to :func:`~groupconv.kernels.harmonic_kernel_basis` (``max_frequency``,
        ``frequency_cutoff``, ``rings``, ``sigma``) or to :func:`~groupconv.kernels.grid_kernel_basis`
        (``method``).

    Examples
    --------
    >>> import torch
    >>> from groupconv.groups import Dihedral
    >>> from groupconv.reps import regular, irrep
    >>> from groupconv.nn import FieldType, SteerableConv2d
    >>> G = Dihedral(8)
    >>> conv = SteerableConv2d(FieldType(G, [irrep(G, 0, 0)] * 3), FieldType(G, [regular(G)] * 4), 5, padding=2)
    >>> conv(torch.randn(2, 3, 16, 16)).shape
    torch.Size([2, 64, 16, 16])
    """

    def __init__(
        self,
        in_type: FieldType,
        out_type: FieldType,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        basis: str = "gaussian",
        **basis_options,
    ):
        super().__init__()
        _check_types(in_type, out_type)
        if basis not in ("gaussian", "bessel", "exact"):
            raise ValueError(f"basis must be 'gaussian', 'bessel' or 'exact', got {basis!r}")
        group = in_type.group
        if basis == "exact" and not acts_on_grid(group):
            raise ValueError(
                f"basis='exact' needs a group permuting the pixel grid (C1, C2, C4, D1, D2, D4), got {group}; "
                "use 'gaussian' or 'bessel'"
            )
        if not isinstance(group, (Cyclic, Dihedral, SO2, O2)):
            raise TypeError(f"SteerableConv2d acts with C_n, D_n, SO(2) or O(2), got {group}")
        self._setup(in_type, out_type, kernel_size, stride, padding, dilation, groups)
        _check_basis_options(type(self).__name__, basis, basis_options)
        self.basis_kind = basis
        self._expansion = _BasisExpansion(
            self, in_type, out_type, self.groups, self.kernel_size, basis, basis_options
        )
        self.weight = nn.Parameter(torch.empty(self._expansion.num_params))
        bmap, nbias = _bias_map(out_type)
        if bias and nbias:
            self.bias = nn.Parameter(torch.zeros(nbias))
            self.register_buffer(
                "bias_map", torch.as_tensor(bmap, dtype=torch.get_default_dtype()), persistent=False
            )
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self, gain: float = 2.0) -> None:
        """Generalized He initialization (:func:`groupconv.nn.init.generalized_he_init_`)."""
        from .init import generalized_he_init_

        generalized_he_init_(self, gain)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def expand_filter(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        w = self._expansion.expand(self, self.weight)
        b = None
        if self.bias is not None:
            b = self.bias_map.to(self.bias.dtype) @ self.bias
        return w, b

    def certificate(self):
        return _certify_steerable(self)


_BASIS_OPTIONS = {
    "gaussian": ("max_frequency", "frequency_cutoff", "rings", "sigma", "warn"),
    "bessel": ("max_frequency", "frequency_cutoff", "rings", "sigma", "warn"),
    "exact": ("method",),
    "index": (),
}


def _check_basis_options(layer: str, basis: str, options: dict) -> None:
    """Refuse options the chosen basis would ignore (or fail on deep inside the kernel solver)."""
    unknown = sorted(set(options) - set(_BASIS_OPTIONS[basis]))
    if unknown:
        takes = ", ".join(_BASIS_OPTIONS[basis]) or "no options"
        raise TypeError(f"{layer} with basis={basis!r} takes {takes}; got unexpected options {unknown}")


def _check_types(in_type, out_type) -> None:
    for t, what in ((in_type, "in_type"), (out_type, "out_type")):
        check_field_type(t, what)
    if in_type.group != out_type.group:
        raise ValueError(
            f"in_type and out_type must be field types of the same group, got {in_type.group} and {out_type.group}"
        )


# -- lifting and group convolutions ------------------------------------------------------------------------
def _check_group(group) -> FiniteGroup:
    if not isinstance(group, (Cyclic, Dihedral)):
        raise TypeError(f"lifting and group convolutions are built for C_n and D_n, got {group!r}")
    return group


def _check_channels(v, name):
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
        raise ValueError(f"{name} must be a positive int, got {v!r}")
    return int(v)


class _RegularConv(EquivariantConv2d):
    """Shared code of :class:`LiftingConv2d` and :class:`GroupConv2d`."""

    lifting: bool

    def __init__(
        self,
        group: Group,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        bias: bool = True,
        basis: str | None = None,
        **basis_options,
    ):
        super().__init__()
        group = _check_group(group)
        in_channels = _check_channels(in_channels, "in_channels")
        out_channels = _check_channels(out_channels, "out_channels")
        reg = regular(group)
        in_rep = trivial(group) if self.lifting else reg
        in_type = FieldType(group, [in_rep] * in_channels)
        out_type = FieldType(group, [reg] * out_channels)
        self._setup(in_type, out_type, kernel_size, stride, padding, dilation, 1)
        self.group = group
        self.in_channels, self.out_channels = in_channels, out_channels
        if basis is None:
            basis = "index" if acts_on_grid(group) else "gaussian"
        if basis == "index" and not acts_on_grid(group):
            raise ValueError(
                f"the index-map expansion needs a group permuting the pixel grid (C1, C2, C4, D1, D2, D4), got "
                f"{group}; use basis='gaussian' or 'bessel'"
            )
        if basis not in ("index", "gaussian", "bessel", "exact"):
            raise ValueError(f"basis must be 'index', 'gaussian', 'bessel' or 'exact', got {basis!r}")
        _check_basis_options(type(self).__name__, basis, basis_options)
        self.basis_kind = basis
        k = self.kernel_size
        n = group.order
        if basis == "index":
            self._expansion = None
            shape = (
                (out_channels, in_channels, k, k) if self.lifting else (out_channels, in_channels, n, k, k)
            )
            self.weight = nn.Parameter(torch.empty(shape))
            self.register_buffer("weight_index", torch.as_tensor(self._index_map()), persistent=False)
        else:
            self._expansion = _BasisExpansion(self, in_type, out_type, 1, k, basis, basis_options)
            self.weight = nn.Parameter(torch.empty(self._expansion.num_params))
        if bias:
            self.bias = nn.Parameter(torch.zeros(out_channels))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _index_map(self) -> np.ndarray:
        group, k = self.group, self.kernel_size
        n, c_in, c_out = group.order, self.in_channels, self.out_channels
        k2 = k * k
        # int64 indices of every filter entry, and the broadcast temporaries of the same size
        check_memory(
            24 * c_out * n * c_in * (1 if self.lifting else n) * k2,
            f"the index map of a {k}x{k} {type(self).__name__} on {group} with {c_in} -> {c_out} channels",
            "use fewer channels or a smaller kernel_size",
        )
        perms = np.stack([grid_permutation(group, g, k, k) for g in range(n)])  # (n, k2)
        c = np.arange(c_out)[:, None, None, None, None]
        g = np.arange(n)[None, :, None, None, None]
        d = np.arange(c_in)[None, None, :, None, None]
        p = perms[None, :, None, None, :]
        if self.lifting:
            # W[c, g, d, p] = theta[c, d, g^-1 p]
            idx = (c * c_in + d) * k2 + p
            return idx[:, :, :, 0].reshape(c_out * n, c_in, k, k)
        inv = group.inverse_table_np
        table = group.cayley_table_np
        h = np.arange(n)[None, None, None, :, None]
        # W[c, g, d, h, p] = theta[c, d, g^-1 h, g^-1 p]
        rel = table[inv[np.arange(n)][:, None], np.arange(n)[None, :]]  # (g, h) -> g^-1 h
        idx = ((c * c_in + d) * n + rel[g[..., 0], h[..., 0]][..., None]) * k2 + p
        return idx.reshape(c_out * n, c_in * n, k, k)

    def reset_parameters(self, gain: float = 2.0) -> None:
        """Generalized He initialization (:func:`groupconv.nn.init.generalized_he_init_`)."""
        from .init import generalized_he_init_

        generalized_he_init_(self, gain)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def expand_filter(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        if self._expansion is None:
            w = self.weight.reshape(-1)[self.weight_index]
        else:
            w = self._expansion.expand(self, self.weight)
        b = None if self.bias is None else self.bias.repeat_interleave(self.group.order)
        return w, b

    def certificate(self):
        if self._expansion is not None:
            return _certify_steerable(self)
        from ..verify.certify import certify_index_map

        def expand(theta):
            return theta.reshape(-1)[self.weight_index.cpu()]

        ok, reason = certify_index_map(
            expand, self.weight.numel(), self.group, self.in_type.representation, self.out_type.representation
        )
        return ("proved" if ok else "failed", reason)


class LiftingConv2d(_RegularConv):
    """Lifting convolution: scalar fields on the plane to regular fields (functions on ``G``).

    .. math::  y_c(x, g) = \\sum_{d} \\sum_{u} \\theta_{c d}(g^{-1} u) \\, x_d(x + u)

    (Cohen & Welling, *Group equivariant CNNs*, ICML 2016, eq. 10). Output channel ``c * |G| + g`` holds
    the response of the filter transformed by ``g``. For ``C_2, C_4, D_2, D_4`` the filter is expanded by
    one gather; for other ``C_n`` / ``D_n`` through a steerable basis (``basis="gaussian"`` or
    ``"bessel"``; the rotated filter is then the steerable interpolation of the learned one).

    Examples
    --------
    >>> import torch
    >>> from groupconv.groups import Cyclic
    >>> from groupconv.nn import LiftingConv2d
    >>> conv = LiftingConv2d(Cyclic(4), 3, 8, 3, padding=1)
    >>> conv(torch.randn(2, 3, 12, 12)).shape
    torch.Size([2, 32, 12, 12])
    """

    lifting = True


class GroupConv2d(_RegularConv):
    """Group convolution between regular fields.

    .. math::  y_c(x, g) = \\sum_{d, h} \\sum_{u} \\theta_{c d}(g^{-1} h, g^{-1} u) \\, x_d(x + u, h)

    (Cohen & Welling, ICML 2016, eq. 11). Channel ``c * |G| + g`` is the value at ``g`` of regular field
    ``c``. For ``C_2, C_4, D_2, D_4`` the filter is expanded by one gather; for other ``C_n`` / ``D_n``
    through a steerable basis.

    Examples
    --------
    >>> import torch
    >>> from groupconv.groups import Dihedral
    >>> from groupconv.nn import GroupConv2d
    >>> conv = GroupConv2d(Dihedral(4), 2, 3, 3, padding=1)
    >>> conv(torch.randn(1, 16, 10, 10)).shape
    torch.Size([1, 24, 10, 10])
    """

    lifting = False


# -- certificates for basis expansions ---------------------------------------------------------------------
def _certify_steerable(module) -> tuple:
    group = module.in_type.group
    exp = module._expansion
    to, ti, tout, tin = exp.types
    if not _factors_match_basis(module):
        # the expansion reads the factors, the checks below the basis: they must be one
        return (
            "failed",
            "the factor buffers (lift_filters / factor_templates, factor_pixels) are not those of the basis "
            "buffer: one of them was edited after construction (a move or cast derives them again)",
        )
    if acts_on_grid(group):
        lines = []
        for s, ro in enumerate(to):
            for t, ri in enumerate(ti):
                if exp.nb[s, t] == 0 or not any(a == s and b == t for a in tout for b in tin):
                    continue
                try:
                    ex = grid_kernel_basis(ri, ro, module.kernel_size, method="orbit", allow_empty=True)
                except ValueError as e:
                    return ("not applicable", f"no exact basis: {e}")
                dim = character_dimension(group, ri, ro, module.kernel_size)
                if len(ex) != dim:
                    return (
                        "failed",
                        f"exact basis {ri!r} -> {ro!r} has {len(ex)} elements, character formula {dim}",
                    )
                if len(ex):
                    ok, why = verify_grid_basis(ex.tensor, group, ri, ro)
                    if not ok:
                        return ("failed", why)
                lines.append(f"{ri!r}->{ro!r}: {dim}")
        res = module.projection_residual()
        eps = torch.finfo(module.weight.dtype).eps
        status = "proved" if res <= 64 * eps else "failed"
        return (
            status,
            "exact integer bases proved and complete (dimension = character formula: "
            + ", ".join(lines)
            + f"); the filter lies in their span up to the residual {res:.2e}",
            res,
        )
    from ..kernels.symbolic import certify_harmonic_templates

    templates, lifted, worst = {}, [], 0.0
    # the span residual a lifted basis buffer may show: its rounding
    tol = max(1e-10, 1e3 * torch.finfo(module.basis.dtype).eps)
    for s, ro in enumerate(to):
        for t, ri in enumerate(ti):
            b = exp.bases[s][t]
            if not lifts_to_regular(ri, ro) or len(b) == 0:
                templates.update(b.templates)
                continue
            # a lifted basis: the harmonic construction's templates are proved, and the layer's basis
            # buffer spans the same kernels (equal dimension, each in the span of the other)
            ref = harmonic_kernel_basis(
                ri,
                ro,
                module.kernel_size,
                basis=module.basis_kind,
                warn=False,
                allow_empty=True,
                **dict(exp.options),
            )
            own = module.basis[s, t, : len(b), : ro.dim, : ri.dim].detach().cpu().double().numpy()
            if len(ref) != len(own):
                return (
                    "failed",
                    f"lifted basis {ri!r} -> {ro!r} has {len(own)} elements, the harmonic one {len(ref)}",
                )
            worst = max(worst, _span_residual(own, ref.tensor), _span_residual(ref.tensor, own))
            templates.update(ref.templates)
            lifted.append(f"{ri!r}->{ro!r}")
    ok, reason = certify_harmonic_templates(templates, group)
    if ok and lifted and worst > tol:
        return (
            "failed",
            f"the lifted bases {', '.join(lifted)} leave the harmonic span (residual {worst:.1e})",
        )
    if ok and lifted:
        reason += (
            f"; the lifted bases of {', '.join(lifted)} span the same kernels (equal dimensions, relative "
            f"residual {worst:.1e} either way, at most {tol:.0e} for this dtype)"
        )
    return ("proved" if ok else "failed", reason)


def _factors_match_basis(module) -> bool:
    """Whether the factor buffers the expansion reads are those of the ``basis`` buffer as it is now."""
    exp = module._expansion
    if exp.lift is None and exp.factor is None:
        return True
    derived = exp.factors_of(module.basis)
    held = module.lift_filters if exp.lift is not None else module.factor_templates
    if derived is None or held is None:
        return derived is None and held is None
    pairs = [(derived, held)] if exp.lift is not None else list(zip(derived, (held, module.factor_pixels)))
    return all(a.shape == b.shape and torch.equal(a.to(b.device), b) for a, b in pairs)


def _span_residual(a: np.ndarray, b: np.ndarray) -> float:
    """Relative residual of the elements of ``a`` projected on the span of those of ``b``."""
    a = a.reshape(a.shape[0], -1).T.astype(np.float64)
    q, _ = np.linalg.qr(b.reshape(b.shape[0], -1).T.astype(np.float64))
    return float(np.linalg.norm(a - q @ (q.T @ a)) / max(np.linalg.norm(a), 1e-300))
