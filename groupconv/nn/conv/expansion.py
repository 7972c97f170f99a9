"""The steerable filter expansion ``K = sum_b w_b B_b`` of a layer, evaluated from its plan.

:class:`BasisExpansion` keeps the buffers of one layer (the basis of its
:class:`~groupconv.nn.conv.plan.ExpansionPlan`, the index maps, and the factors of a lifted or factorized
expansion) and expands the flat parameters into the filter in one step: one gather of the parameters,
one product with the basis (a matrix product for one pair of field types, a batched one over several
pairs followed by ONE gather of the filter entries, the factorized product with templates and pixel
functions, or, between regular fields, the lifted product with the moved pixel functions and a
permutation) and, where needed, one gather of the channels.

>>> import torch
>>> from torch import nn
>>> from groupconv.groups import Dihedral
>>> from groupconv.reps import regular
>>> from groupconv.nn.conv.plan import expansion_plan
>>> D4 = Dihedral(4)
>>> from groupconv.kernels import KernelSpec
>>> plan = expansion_plan((regular(D4),), (regular(D4),), 1, 3, KernelSpec(warn=False), torch.float32)
>>> layer = nn.Module()
>>> layer.kernel_size = 3
>>> expansion = BasisExpansion(layer, plan)
>>> expansion.expand(layer, torch.randn(plan.num_params)).shape
torch.Size([8, 8, 3, 3])
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

if TYPE_CHECKING:  # the plan imports this module for factors_of
    from .plan import ExpansionPlan, FactorPlan, LiftPlan

__all__ = ["BasisExpansion", "factors_of", "factorize", "gather_maps", "lifted_filters"]


class _LiftedExpansion(torch.autograd.Function):
    """``K = gather(W^T R)`` of :func:`~groupconv.nn.conv.plan.lift_plan` as one autograd node: the
    product of the coefficients ``W`` ``(rows, F, n)`` (read transposed) with the moved pixel functions
    ``R`` ``(F, n k^d)``, then the permutation ``index`` of the ``(c, a)`` slices into the filter layout.
    Its gradient gathers by the inverse permutation (``index_select``'s own backward is a scatter-add,
    several times slower on CPU) and multiplies by ``R^T``."""

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


def gather_maps(plan: ExpansionPlan) -> tuple[np.ndarray, np.ndarray]:
    """For the gathered expansion of several pairs of field types (one batched product of the coefficients
    ``(pairs, rows, b)`` with the bases ``(pairs, b, d_o d_i k^d)``, then ONE gather of the ``k^d`` slices
    into the filter layout, which also drops the padding of the smaller representations): the flat
    parameter of each coefficient slot in the ``(s_o, s_i, groups, u, v, b)`` layout of the product, and
    the slice of the product ``(s_o, s_i, groups, u, v, a, e)`` of each filter entry
    ``(groups, row, column)``."""
    g, s_o, u, do, s_i, v, di = plan.shape
    weights = np.ascontiguousarray(plan.index.transpose(1, 3, 0, 2, 4, 5))
    # the padded position of each filter row (s, u, a) and column (t, v, e)
    a, su = plan.rows % do, plan.rows // do
    e, tv = plan.cols % di, plan.cols // di
    s, uu, t, vv = su // u, su % u, tv // v, tv % v
    j = np.arange(g)[:, None, None]
    pair = (s[:, None] * s_i + t[None, :])[None]
    slot = (((pair * g + j) * u + uu[None, :, None]) * v + vv[None, None, :]) * do + a[None, :, None]
    return weights, (slot * di + e[None, None, :]).reshape(-1)


def lifted_filters(basis: torch.Tensor, lift: LiftPlan) -> torch.Tensor | None:
    """The moved pixel functions ``R`` ``(F, n k^2)`` (``(f, (a, pixel))``) of a lifted basis, read from
    the basis buffer as it is now; ``None`` when the buffer does not have the lifted pattern (replaced or
    modified values), so that the layer expands with the dense basis."""
    n, nf = lift.n, lift.nf
    e = basis.detach()[0, 0].reshape(nf, n, n, n, -1)  # (f, c, a, b, pixel)
    cols = torch.as_tensor(lift.cols, device=e.device)
    idx = torch.arange(n, device=e.device)
    r = e[:, 0, idx, cols[0]]  # filter c = 0: (f, a, pixel)
    again = torch.zeros_like(e)
    again[:, idx[:, None], idx[None, :], cols] = r[:, None]
    return r.reshape(nf, -1).clone() if torch.equal(again, e) else None


def factorize(basis: torch.Tensor, bidx: np.ndarray) -> tuple[torch.Tensor, torch.Tensor] | None:
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


def factors_of(basis: torch.Tensor, lift: LiftPlan | None, factor: FactorPlan | None):
    """The factors of ``basis`` for the lifted expansion (:func:`lifted_filters`) or the factorized one
    (:func:`factorize`); ``None``: the layer expands with the dense basis."""
    if lift is not None:
        return lifted_filters(basis, lift)
    if factor is not None:
        return factorize(basis, factor.bidx)
    return None


class BasisExpansion:
    """The buffers and the expansion of one layer built from an
    :class:`~groupconv.nn.conv.plan.ExpansionPlan`.

    The plan's basis and index maps become non-persistent buffers of ``module`` (shared, read-only,
    with every identical layer until moved or cast): ``basis``, ``weight_index``, ``row_index``,
    ``col_index``, and for a lifted or factorized expansion its index maps and factors
    (``lift_filters``; ``factor_templates``, ``factor_pixels``). ``lift`` and ``factor`` say which
    expansion the layer uses (``None`` for neither).
    """

    def __init__(self, module: nn.Module, plan: ExpansionPlan):
        self.plan = plan
        self.num_params, self.shape = plan.num_params, plan.shape
        self.lift, self.factor = plan.lift, plan.factor
        module.register_buffer("basis", plan.basis, persistent=False)
        module.register_buffer("weight_index", torch.from_numpy(plan.index), persistent=False)
        module.register_buffer("row_index", torch.from_numpy(plan.rows), persistent=False)
        module.register_buffer("col_index", torch.from_numpy(plan.cols), persistent=False)
        if self.factor is not None:
            module.register_buffer("factor_index", torch.from_numpy(self.factor.index), persistent=False)
        if self.lift is not None:
            module.register_buffer("lift_index", torch.from_numpy(self.lift.index), persistent=False)
            module.register_buffer("lift_inverse", torch.from_numpy(self.lift.inverse), persistent=False)
        if self.factor is not None or self.lift is not None:
            self.register_factors(module, plan.factors)
        self.gathered = plan.shape[1] * plan.shape[4] > 1
        if self.gathered:
            weights, index = gather_maps(plan)
            module.register_buffer("gather_weights", torch.from_numpy(weights), persistent=False)
            module.register_buffer("gather_index", torch.from_numpy(index), persistent=False)

    def factors_of(self, basis: torch.Tensor):
        """The factors of ``basis`` for this layer's expansion (:func:`factors_of`)."""
        return factors_of(basis, self.lift, self.factor)

    def register_factors(self, module: nn.Module, factors) -> None:
        """Keep the factors as non-persistent buffers of ``module`` (``None`` buffers where the basis has
        none), so that moves, casts and ``torch.func.functional_call`` treat them like the basis."""
        if self.lift is not None:
            module.register_buffer("lift_filters", factors, persistent=False)
            return
        t, h = (None, None) if factors is None else factors
        module.register_buffer("factor_templates", t, persistent=False)
        module.register_buffer("factor_pixels", h, persistent=False)

    def factors_match_basis(self, module: nn.Module) -> bool:
        """Whether the factor buffers the expansion reads are those of the ``basis`` buffer as it is now."""
        if self.lift is None and self.factor is None:
            return True
        derived = self.factors_of(module.basis)
        held = module.lift_filters if self.lift is not None else module.factor_templates
        if derived is None or held is None:
            return derived is None and held is None
        pairs = (
            [(derived, held)] if self.lift is not None else list(zip(derived, (held, module.factor_pixels)))
        )
        return all(a.shape == b.shape and torch.equal(a.to(b.device), b) for a, b in pairs)

    def _coefficients(self, module: nn.Module, weight: torch.Tensor) -> torch.Tensor:
        """The flat parameters as the coefficient tensor ``(groups, s_o, u, s_i, v, b)`` of
        ``weight_index``, padded slots zero."""
        if self.plan.identity_weights:
            # one pair of field types and no padding: the parameters are the coefficient tensor itself
            return weight.reshape(module.weight_index.shape)
        return torch.cat([weight, weight.new_zeros(1)])[module.weight_index]

    def expand(self, module: nn.Module, weight: torch.Tensor) -> torch.Tensor:
        """The filter ``(groups * C_out / groups, C_in / groups, k, ..., k)`` (``spatial_dims`` sizes
        ``k``) of the flat parameters ``weight``, from the buffers of ``module``."""
        g, s_o, u, do, s_i, v, di = self.shape
        lifted = self.lift is not None and module.lift_filters is not None
        if lifted:
            # regular fields: K[u, a, v, b] = sum_f W[u, v, f, c(a, b)] R[a, f], one product, one gather
            n, nf = self.lift.n, self.lift.nf
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
        elif self.gathered:
            # several pairs of field types: one batched product, one gather into the filter
            basis = module.basis.to(weight.dtype)
            w = torch.cat([weight, weight.new_zeros(1)])[module.gather_weights]
            w = w.reshape(s_o * s_i, g * u * v, -1)
            pixels = basis.shape[-1]
            k = torch.bmm(w, basis.reshape(s_o * s_i, w.shape[-1], -1))
            k = k.reshape(-1, pixels).index_select(0, module.gather_index)
            ks = (module.kernel_size,) * self.plan.spatial_dims
            return k.reshape((g * len(self.plan.rows), len(self.plan.cols)) + ks)
        else:
            # one pair of field types: a single matrix product, then the (u, a, v, e) interleave
            w = self._coefficients(module, weight)
            basis = module.basis.to(weight.dtype)
            b = basis.shape[2]
            k = torch.mm(w.reshape(g * u * v, b), basis.reshape(b, -1))
            k = k.reshape(g, u, v, do, di * basis.shape[-1]).transpose(2, 3)
            k = k.reshape(g, u * do, v * di, -1)
        if not self.plan.identity_rows:
            k = k.index_select(1, module.row_index)
        if not self.plan.identity_cols:
            k = k.index_select(2, module.col_index)
        ks = (module.kernel_size,) * self.plan.spatial_dims
        return k.reshape((g * k.shape[1], k.shape[2]) + ks)
