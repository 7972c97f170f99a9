"""Expansion plans: everything a steerable filter expansion needs, computed once per kind of layer.

A layer whose filter is ``K = sum_b w_b B_b`` over every pair of (input field, output field) needs the
sampled bases ``B`` of each pair of field *types*, padded into one buffer, and the index maps that put
the flat parameters, the filter rows and the filter columns where the batched product expects them.
:func:`expansion_plan` computes them once for a given set of field types, kernel size and basis, and
keeps the result, a frozen :class:`ExpansionPlan`, in a bounded cache: identical layers share it (and
its read-only buffers) instead of repeating the construction. A plan is never changed after it is made;
a variant is a new plan (``dataclasses.replace``).

Between regular fields the plan also holds the index maps of the *lifted* expansion (:class:`LiftPlan`),
and for large bases with radial and frequency labels the grouping of the *factorized* one
(:class:`FactorPlan`); :mod:`groupconv.nn.conv.expansion` evaluates them.

>>> import torch
>>> from groupconv.groups import Cyclic
>>> from groupconv.kernels import KernelSpec
>>> from groupconv.reps import regular
>>> C4, spec = Cyclic(4), KernelSpec(warn=False)
>>> plan = expansion_plan((regular(C4),), (regular(C4),) * 2, 1, 3, spec, torch.float32)
>>> plan.num_params, plan.basis.shape
(32, torch.Size([1, 1, 16, 4, 4, 9]))
>>> plan is expansion_plan((regular(C4),), (regular(C4),) * 2, 1, 3, spec, torch.float32)
True
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import torch

from ...kernels import (
    KernelBasis,
    KernelSpec,
    grid_kernel_basis,
    kernel_bases,
    lifts_to_regular,
    regular_action,
)
from ...reps.representation import Representation
from ...utils.memory import check_memory
from ..field_type import FieldType
from .expansion import factors_of

__all__ = ["ExpansionPlan", "FactorPlan", "LiftPlan", "expansion_plan", "split_fields", "unique_fields"]

# the factorized expansion is used where it does this many times fewer multiply-adds, and saves this many
# of them or the basis buffer has this many entries
_FACTOR_RATIO, _FACTOR_MIN_SAVING, _FACTOR_LARGE_BASIS = 3.5, 2e6, 2.5e5


@dataclass(frozen=True, eq=False)
class LiftPlan:
    """Index maps of the lifted expansion of one pair of regular field types (see :func:`lift_plan`).

    Attributes
    ----------
    n:
        The dimension of the regular representation, ``|G|``.
    nf:
        The number of free pixel functions.
    cols:
        ``(c, a) -> b``: the input slot that filter ``c`` reads in output row ``a``.
    index, inverse:
        The gather from the ``(u, v, c, a)`` layout of the product into the ``(u, a, v, b)`` filter
        layout, and its inverse permutation.
    """

    n: int
    nf: int
    cols: np.ndarray
    index: np.ndarray
    inverse: np.ndarray


@dataclass(frozen=True, eq=False)
class FactorPlan:
    """Grouping of the basis elements by (frequency, ring) for the factorized expansion.

    Attributes
    ----------
    bidx:
        ``(s_o, s_i, G, n)``: the basis elements of each group of each pair of field types (padded with
        the index of an appended zero element).
    index:
        The flat parameter of each slot in the layout of the batched product,
        ``(s_o, s_i, G, groups, u, v, n)``.
    """

    bidx: np.ndarray
    index: np.ndarray


@dataclass(frozen=True, eq=False)
class ExpansionPlan:
    """The construction of a steerable expansion ``K = sum_b w_b B_b``, shared by identical layers.

    Fields are sorted by *type* (distinct representation): ``s`` and ``t`` index the output and input
    field types, ``u`` and ``v`` a field's position among those of its type, ``b`` a basis element.

    Attributes
    ----------
    in_reps, out_reps:
        The representations of the input and output fields of one group of channels.
    groups, kernel_size, spatial_dims:
        As the layer was built (``spatial_dims``: 2 on the plane, 3 in space).
    spec, method:
        The steerable basis (``None``: the exact grid basis, solved by ``method``).
    bases:
        ``bases[s][t]``: the :class:`~groupconv.kernels.KernelBasis` of each pair of field types.
    nb:
        ``(s_o, s_i)``: the number of basis elements of each pair of types.
    used:
        ``(f_o, f_i)``: the number of basis elements of each pair of fields.
    out_types, in_types:
        The distinct output and input representations.
    out_type_of, in_type_of, out_position, in_position:
        The type of each field and its position among the fields of its type.
    buf:
        The padded basis ``(s_o, s_i, b, d_o, d_i, k^d)`` (``d = spatial_dims``) as a numpy array in its
        storage dtype.
    basis:
        ``buf`` as a tensor in the layer's dtype (the same memory where the dtypes agree).
    index:
        ``(groups, s_o, u, s_i, v, b)``: the flat parameter of each coefficient slot, ``num_params`` for
        padded slots.
    rows, cols:
        The filter rows and columns of the fields in the ``(s, u, a)`` / ``(t, v, e)`` layout.
    num_params:
        The number of learned coefficients.
    shape:
        ``(groups, s_o, u, d_o, s_i, v, d_i)``.
    identity_weights, identity_rows, identity_cols:
        Whether ``index``, ``rows``, ``cols`` are the identity (then no gather is needed).
    lift, factor:
        The lifted or factorized expansion, where the layer uses one.
    factors:
        The factors of ``basis`` for that expansion (see
        :func:`groupconv.nn.conv.expansion.factors_of`), ``None`` without one or where they do not
        reproduce the basis.
    """

    in_reps: tuple[Representation, ...]
    out_reps: tuple[Representation, ...]
    groups: int
    kernel_size: int
    spec: KernelSpec | None
    method: str
    bases: tuple[tuple[KernelBasis, ...], ...]
    nb: np.ndarray
    used: np.ndarray
    out_types: tuple[Representation, ...]
    in_types: tuple[Representation, ...]
    out_type_of: tuple[int, ...]
    in_type_of: tuple[int, ...]
    out_position: tuple[int, ...]
    in_position: tuple[int, ...]
    buf: np.ndarray
    basis: torch.Tensor
    index: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    num_params: int
    shape: tuple[int, ...]
    identity_weights: bool
    identity_rows: bool
    identity_cols: bool
    lift: LiftPlan | None
    factor: FactorPlan | None
    factors: object = None
    spatial_dims: int = 2


# the sampled bases of pairs of field types, shared by the plans that meet them (least recently used first)
_PAIR_BASES: OrderedDict = OrderedDict()
_PAIR_BASES_SIZE = 512


def _pair_bases(
    pairs: list, kernel_size: int, spec: KernelSpec | None, method: str, dtype: str, spatial_dims: int = 2
) -> list:
    """The basis of every ``(rho_in, rho_out)`` of ``pairs``: :func:`~groupconv.kernels.kernel_bases` of
    ``spec`` (the pairs not met before in one batch), or the exact grid basis when ``spec`` is ``None``
    (on the grid ``group.grid_dims`` says, which the layer checked to be ``spatial_dims``)."""
    keys = [(ri, ro, kernel_size, spec, method, dtype, spatial_dims) for ri, ro in pairs]
    missing = list(dict.fromkeys(p for p, key in zip(pairs, keys) if key not in _PAIR_BASES))
    if spec is None:
        built = [
            grid_kernel_basis(ri, ro, kernel_size, method=method, allow_empty=True) for ri, ro in missing
        ]
    else:
        built = (
            kernel_bases(missing, kernel_size, spec, spatial_dims, dtype=np.dtype(dtype)) if missing else []
        )
    for (ri, ro), basis in zip(missing, built):
        _PAIR_BASES[(ri, ro, kernel_size, spec, method, dtype, spatial_dims)] = basis
    out = []
    for key in keys:
        _PAIR_BASES.move_to_end(key)
        out.append(_PAIR_BASES[key])
    while len(_PAIR_BASES) > _PAIR_BASES_SIZE:
        _PAIR_BASES.popitem(last=False)
    return out


def storage_dtype(dtype: torch.dtype) -> str:
    """The numpy dtype a basis for a buffer of ``dtype`` is sampled in (then converted, if needed)."""
    return "float64" if dtype == torch.float64 else "float32"


def unique_fields(reps) -> tuple[list[Representation], list[int], list[int]]:
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


def split_fields(field_type: FieldType, groups: int, what: str) -> tuple[Representation, ...]:
    """The representations of the first of ``groups`` blocks of fields of ``field_type``, which every
    block must repeat."""
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
    return tuple(first)


@lru_cache(maxsize=128)
def expansion_plan(
    in_reps: tuple[Representation, ...],
    out_reps: tuple[Representation, ...],
    groups: int,
    kernel_size: int,
    spec: KernelSpec | None,
    dtype: torch.dtype,
    method: str = "auto",
    spatial_dims: int = 2,
) -> ExpansionPlan:
    """The :class:`ExpansionPlan` of a layer from fields ``in_reps`` to ``out_reps`` (one group of
    channels), cached: identical layers share it.

    Parameters
    ----------
    in_reps, out_reps:
        The representations of the input and output fields of one of the ``groups`` blocks.
    groups:
        The number of blocks of channels (as ``torch.nn.Conv2d``'s ``groups``).
    kernel_size:
        Odd ``k``.
    spec:
        The steerable basis (:class:`~groupconv.kernels.KernelSpec`; empty pairs of fields are allowed
        whatever its ``allow_empty``), or ``None`` for the exact solution on the pixel grid
        (:func:`~groupconv.kernels.grid_kernel_basis`).
    dtype:
        The dtype of the basis tensor. The basis is sampled in float64 for float64 and in space, in
        float32 otherwise.
    method:
        The solver of the exact grid basis (``spec=None``).
    spatial_dims:
        2 (kernels ``k x k`` on the plane) or 3 (``k x k x k`` in space).
    """
    # bases in space are sampled in float64 whatever the layer's dtype: the cube symmetries act on them by
    # matrices that are not permutations (degrees l >= 2), which float32 samples satisfy to 1e-7 only, and
    # a layer cast to float64 takes its basis from these samples
    store = "float64" if spatial_dims == 3 else storage_dtype(dtype)
    ti, tin, pin = unique_fields(in_reps)
    to, tout, pout = unique_fields(out_reps)
    # a pair of field types without kernels is a zero block; the layer refuses only an empty total
    sampled = spec if spec is None or spec.allow_empty else replace(spec, allow_empty=True)
    flat = _pair_bases([(a, b) for b in to for a in ti], kernel_size, sampled, method, store, spatial_dims)
    bases = tuple(tuple(flat[s * len(ti) : (s + 1) * len(ti)]) for s in range(len(to)))
    nb = np.array([[len(bases[s][t]) for t in range(len(ti))] for s in range(len(to))], dtype=np.int64)
    tin_a, pin_a, tout_a, pout_a = map(np.asarray, (tin, pin, tout, pout))
    used = nb[np.ix_(tout_a, tin_a)]
    s_o, s_i = len(to), len(ti)
    u_max, v_max = int(pout_a.max()) + 1, int(pin_a.max()) + 1
    b_max = int(nb.max())
    do, di = max(r.dim for r in to), max(r.dim for r in ti)
    buf = _padded_basis(bases, b_max, do, di, kernel_size, store, spatial_dims)
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
    lift = None
    if spec is not None and s_o == s_i == 1 and nb[0, 0] > 0 and lifts_to_regular(ti[0], to[0]):
        lift = lift_plan(ti[0], to[0], int(nb[0, 0]), u_max, v_max)
    # the factorized expansion pairs each (frequency, ring) with the two pixel functions cos, sin of the
    # plane; in space a degree spans 2l + 1 of them, and the layer expands with the dense basis
    factor = None
    if lift is None and spatial_dims == 2:
        factor = factor_plan(bases, index, b_max, kernel_size, num_params)
    # identical layers share this read-only tensor (until moved or cast) instead of copying it; no copy
    # where the basis was sampled in the layer's dtype
    tensor = torch.from_numpy(buf).to(dtype)
    plan = ExpansionPlan(
        in_reps=in_reps,
        out_reps=out_reps,
        groups=groups,
        kernel_size=kernel_size,
        spec=spec,
        method=method,
        bases=bases,
        nb=nb,
        used=used,
        out_types=tuple(to),
        in_types=tuple(ti),
        out_type_of=tuple(tout),
        in_type_of=tuple(tin),
        out_position=tuple(pout),
        in_position=tuple(pin),
        buf=buf,
        basis=tensor,
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
        lift=lift,
        factor=factor,
        spatial_dims=spatial_dims,
    )
    if lift is None and factor is None:
        return plan
    # the factors of the basis: a variant built once, before the plan is cached
    return replace(plan, factors=factors_of(plan.basis, lift, factor))


def _padded_basis(
    bases, b_max: int, do: int, di: int, kernel_size: int, dtype: str, spatial_dims: int = 2
) -> np.ndarray:
    """The bases of every pair of field types in one ``(s_o, s_i, b, d_o, d_i, k^d)`` buffer."""
    s_o, s_i = len(bases), len(bases[0])
    k2 = kernel_size**spatial_dims
    if s_o == s_i == 1 and b_max > 0 and bases[0][0].tensor.shape[0] == b_max:
        # one type of field on each side: the basis is already the padded buffer
        return bases[0][0].tensor.reshape(1, 1, b_max, do, di, k2)
    # every pair of field types is padded to the largest basis and the largest dimensions
    check_memory(
        s_o * s_i * b_max * do * di * k2 * np.dtype(dtype).itemsize
        + sum(b.tensor.nbytes for row in bases for b in row),
        f"the {'x'.join([str(kernel_size)] * spatial_dims)} kernel basis buffer ({s_o} x {s_i} pairs of field "
        "types, each "
        f"padded to {b_max} elements of {do} x {di} x {k2})",
        "use fewer kinds of fields (e.g. only regular ones), a smaller kernel_size or a lower "
        "max_frequency / frequency_cutoff",
    )
    buf = np.zeros((s_o, s_i, b_max, do, di, k2), dtype=dtype)
    for s in range(s_o):
        for t in range(s_i):
            b = bases[s][t].tensor
            buf[s, t, : b.shape[0], : b.shape[1], : b.shape[2]] = b.reshape(b.shape[:3] + (k2,))
    return buf


def lift_plan(rho_in: Representation, rho_out: Representation, nb: int, u: int, v: int) -> LiftPlan | None:
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
    return LiftPlan(n=n, nf=nb // n, cols=cols, index=gather, inverse=np.argsort(gather))


def factor_plan(bases, index: np.ndarray, b_max: int, kernel_size: int, num_params: int) -> FactorPlan | None:
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
    return FactorPlan(bidx=bidx, index=np.ascontiguousarray(fact.transpose(0, 1, 2, 4, 5, 6, 3)))
