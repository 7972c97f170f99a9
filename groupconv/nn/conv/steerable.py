"""Steerable convolutions between feature fields of any representations of a group.

:class:`SteerableConv2d` on the plane; the code is shared with the convolution in space
(:class:`~groupconv.nn.conv.volumetric.SteerableConv3d`), which differs only in its dimension and groups.

.. math::  y = K * x, \\qquad K = \\sum_b w_b \\, B_b, \\qquad
           B_b(g x) = \\rho_{out}(g) B_b(x) \\rho_{in}(g)^{-1},

with one learned coefficient per basis element of each pair of (input field, output field) (Weiler &
Cesa, NeurIPS 2019, eq. 3 and section 2.5). The filter is ONE product of the coefficients with the
sampled basis of the layer's :class:`~groupconv.nn.conv.plan.ExpansionPlan`
(:class:`~groupconv.nn.conv.expansion.BasisExpansion`); :func:`certify_expansion` proves such an
expansion exactly.

>>> import torch
>>> from groupconv.groups import Cyclic
>>> from groupconv.reps import irrep, regular
>>> from groupconv.nn import FieldType
>>> C4 = Cyclic(4)
>>> conv = SteerableConv2d(FieldType(C4, [irrep(C4, 0)]), FieldType(C4, [regular(C4)]), 3, padding=1)
>>> conv(torch.randn(1, 1, 8, 8)).shape
torch.Size([1, 4, 8, 8])
>>> conv.certificate().status
'proved'
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch
from torch import nn

from ...groups.actions import acts_on_grid
from ...groups.planar import O2, SO2, Cyclic, Dihedral
from ...kernels import (
    KernelSpec,
    character_dimension,
    grid_kernel_basis,
    harmonic_kernel_basis,
    lifts_to_regular,
    verify_grid_basis,
)
from ...kernels.symbolic import certify_harmonic_templates
from .._fields import check_field_type
from ..field_type import FieldType
from ..init import trivial_columns
from ..module import Certificate
from .base import EquivariantConv2d
from .expansion import BasisExpansion
from .plan import expansion_plan, split_fields

__all__ = ["SteerableConv2d", "certify_expansion", "resolve_basis"]

BASIS_OPTIONS = {
    "gaussian": ("max_frequency", "frequency_cutoff", "rings", "width", "sigma", "warn"),
    "bessel": ("max_frequency", "frequency_cutoff", "rings", "width", "sigma", "warn"),
    "exact": ("method",),
    "index": (),
}


def check_basis_options(layer: str, basis: str, options: dict) -> None:
    """Refuse options the chosen basis would ignore (or fail on deep inside the kernel solver)."""
    unknown = sorted(set(options) - set(BASIS_OPTIONS[basis]))
    if unknown:
        takes = ", ".join(BASIS_OPTIONS[basis]) or "no options"
        raise TypeError(f"{layer} with basis={basis!r} takes {takes}; got unexpected options {unknown}")


def check_types(in_type, out_type) -> None:
    """Both field types valid and of one group."""
    for t, what in ((in_type, "in_type"), (out_type, "out_type")):
        check_field_type(t, what)
    if in_type.group != out_type.group:
        raise ValueError(
            f"in_type and out_type must be field types of the same group, got {in_type.group} and {out_type.group}"
        )


def resolve_basis(layer: str, basis, options: dict) -> tuple[str, KernelSpec | None, str, dict]:
    """The basis of a layer from its ``basis`` argument (a name or a
    :class:`~groupconv.kernels.KernelSpec`) and keyword options: ``(kind, spec, method, description)``
    with ``spec`` ``None`` for the exact grid basis (solved by ``method``) and ``description`` the options
    as the layer's ``state_dict`` records them (the keywords as given, or the spec's non-default fields)."""
    if isinstance(basis, KernelSpec):
        if options:
            raise TypeError(
                f"{layer}: give the basis options in the KernelSpec or as keywords, not both; got a KernelSpec "
                f"and {sorted(options)}"
            )
        return basis.profile, basis, "auto", basis.to_options()
    check_basis_options(layer, basis, options)
    if basis == "exact":
        return "exact", None, options.get("method", "auto"), dict(options)
    # the keywords of groupconv 0.2, validated by the spec
    return basis, KernelSpec.from_options(basis, **options), "auto", dict(options)


def build_expansion(module: EquivariantConv2d, spec: KernelSpec | None, method: str) -> BasisExpansion:
    """The :class:`~groupconv.nn.conv.expansion.BasisExpansion` of ``module`` (its types, ``groups`` and
    kernel size set), from the cached plan; an empty basis is refused here, at construction."""
    in_type, out_type = module.in_type, module.out_type
    plan = expansion_plan(
        split_fields(in_type, module.groups, "input type"),
        split_fields(out_type, module.groups, "output type"),
        module.groups,
        module.kernel_size,
        spec,
        torch.get_default_dtype(),
        method,
        module.spatial_dims,
    )
    if plan.num_params == 0:
        k = "x".join([str(module.kernel_size)] * module.spatial_dims)
        raise ValueError(
            f"empty kernel basis: no {k} kernel maps {in_type!r} to {out_type!r} equivariantly "
            f"(basis={module.basis_kind!r}); use a larger kernel, a higher frequency band or other field types"
        )
    return BasisExpansion(module, plan)


def _bias_map(out_type: FieldType) -> tuple[np.ndarray, int]:
    """``(C_out, n_bias)``: the trivial-irrep columns of each output field's change of basis."""
    blocks = [trivial_columns(r) for r in out_type.representations]
    n = sum(b.shape[1] for b in blocks)
    out = np.zeros((out_type.size, n))
    i = j = 0
    for b in blocks:
        out[i : i + b.shape[0], j : j + b.shape[1]] = b
        i += b.shape[0]
        j += b.shape[1]
    return out, n


class _SteerableConv(EquivariantConv2d):
    """Shared code of the steerable convolutions of every dimension (:class:`SteerableConv2d` and the
    volumetric one): a subclass sets ``spatial_dims``, the grid's name for the error messages and
    :meth:`check_group`."""

    #: the grid an exact basis lives on, and the groups that permute it (for the error messages)
    grid_name = "pixel grid (C1, C2, C4, D1, D2, D4)"

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
        check_types(in_type, out_type)
        if not isinstance(basis, KernelSpec) and basis not in ("gaussian", "bessel", "exact"):
            raise ValueError(f"basis must be 'gaussian', 'bessel', 'exact' or a KernelSpec, got {basis!r}")
        group = in_type.group
        if basis == "exact" and not acts_on_grid(group, self.spatial_dims):
            raise ValueError(
                f"basis='exact' needs a group permuting the {self.grid_name}, got {group}; use 'gaussian' or "
                "'bessel'"
            )
        self.check_group(group)
        self._setup(in_type, out_type, kernel_size, stride, padding, dilation, groups)
        self.basis_kind, spec, method, self.basis_options = resolve_basis(
            type(self).__name__, basis, basis_options
        )
        self.weight = nn.Parameter(torch.empty(self._weight_shape(spec, method)))
        bmap, nbias = _bias_map(out_type)
        if bias and nbias:
            self.bias = nn.Parameter(torch.zeros(nbias))
            self.register_derived("bias_map", bmap)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _weight_shape(self, spec: KernelSpec | None, method: str) -> tuple[int, ...]:
        """Build the expansion (the layer's plan, :func:`build_expansion`) and return the weight's shape."""
        self._expansion = build_expansion(self, spec, method)
        return (self._expansion.num_params,)

    def expand_filter(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        w = self._expansion.expand(self, self.weight)
        b = None
        if self.bias is not None:
            b = self.bias_map.to(self.bias.dtype) @ self.bias
        return w, b

    def certificate(self) -> Certificate:
        """The exact proof of the layer's basis (:func:`certify_expansion`)."""
        return certify_expansion(self)


class SteerableConv2d(_SteerableConv):
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
        A :class:`~groupconv.kernels.KernelSpec` (radial profile, rings, widths, frequency band), or by
        name: ``"gaussian"`` (Gaussian rings times circular harmonics), ``"bessel"`` (Fourier-Bessel
        radial parts) or ``"exact"`` (the exact solution on the pixel grid, groups ``C_2, C_4, D_2,
        D_4`` only).
    **basis_options:
        With a named basis: the fields of the :class:`~groupconv.kernels.KernelSpec`
        (``max_frequency``, ``frequency_cutoff``, ``rings``, ``width`` (formerly ``sigma``), ``warn``),
        or ``method`` of :func:`~groupconv.kernels.grid_kernel_basis` for ``"exact"``.

    Examples
    --------
    >>> import torch
    >>> from groupconv.groups import Dihedral
    >>> from groupconv.reps import regular, irrep
    >>> from groupconv.nn import FieldType, SteerableConv2d
    >>> D8 = Dihedral(8)
    >>> conv = SteerableConv2d(FieldType(D8, [irrep(D8, 0, 0)] * 3), FieldType(D8, [regular(D8)] * 4), 5, padding=2)
    >>> conv(torch.randn(2, 3, 16, 16)).shape
    torch.Size([2, 64, 16, 16])
    """

    @classmethod
    def check_group(cls, group) -> None:
        """Refuse a group this layer has no kernel bases for (a ``TypeError`` naming the supported ones)."""
        if not isinstance(group, (Cyclic, Dihedral, SO2, O2)):
            raise TypeError(f"{cls.__name__} acts with C_n, D_n, SO(2) or O(2), got {group}")


def certify_expansion(module: EquivariantConv2d) -> Certificate:
    """Prove a basis expansion exactly. On groups that permute the pixel grid: the exact integer bases
    of every pair of field types satisfy the constraint and are complete (their dimension is the
    character formula's), and the filter lies in their span up to a residual. Otherwise: the harmonic
    templates satisfy the constraint symbolically, and a lifted basis (between regular fields) spans the
    same kernels as the harmonic one."""
    group = module.in_type.group
    exp = module._expansion
    if not exp.factors_match_basis(module):
        # the expansion reads the factors, the checks below the basis: they must be one
        return Certificate(
            "failed",
            "the factor buffers (lift_filters / factor_templates, factor_pixels) are not those of the basis "
            "buffer: one of them was edited after construction (a move or cast derives them again)",
        )
    if acts_on_grid(group, module.spatial_dims):
        return _certify_on_grid(module)
    # the span residual a lifted basis buffer may show: its rounding
    tol = max(1e-10, 1e3 * torch.finfo(module.basis.dtype).eps)
    found = harmonic_templates(module)
    if isinstance(found, Certificate):
        return found
    templates, lifted, worst = found
    ok, reason = certify_harmonic_templates(templates, group)
    if ok and lifted and worst > tol:
        return Certificate(
            "failed", f"the lifted bases {', '.join(lifted)} leave the harmonic span (residual {worst:.1e})"
        )
    if ok and lifted:
        reason += (
            f"; the lifted bases of {', '.join(lifted)} span the same kernels (equal dimensions, relative "
            f"residual {worst:.1e} either way, at most {tol:.0e} for this dtype)"
        )
    return Certificate("proved" if ok else "failed", reason)


def harmonic_templates(module: EquivariantConv2d) -> tuple[dict, list[str], float] | Certificate:
    """The angular templates of every pair of field types of a basis expansion, the pairs whose basis is
    lifted (between regular fields) and the largest span residual between a lifted basis buffer and the
    harmonic basis of its pair (each must span the other's kernels: their templates are the ones to
    prove); a ``"failed"`` certificate when a lifted basis has another dimension than the harmonic one."""
    plan = module._expansion.plan
    templates, lifted, worst = {}, [], 0.0
    for s, ro in enumerate(plan.out_types):
        for t, ri in enumerate(plan.in_types):
            b = plan.bases[s][t]
            if not lifts_to_regular(ri, ro) or len(b) == 0:
                templates.update(b.templates)
                continue
            ref = harmonic_kernel_basis(
                ri,
                ro,
                module.kernel_size,
                replace(plan.spec, warn=False, allow_empty=True),
                spatial_dims=module.spatial_dims,
            )
            own = module.basis[s, t, : len(b), : ro.dim, : ri.dim].detach().cpu().double().numpy()
            if len(ref) != len(own):
                return Certificate(
                    "failed",
                    f"lifted basis {ri!r} -> {ro!r} has {len(own)} elements, the harmonic one {len(ref)}",
                )
            worst = max(worst, _span_residual(own, ref.tensor), _span_residual(ref.tensor, own))
            templates.update(ref.templates)
            lifted.append(f"{ri!r}->{ro!r}")
    return templates, lifted, worst


def _certify_on_grid(module: EquivariantConv2d) -> Certificate:
    group = module.in_type.group
    plan = module._expansion.plan
    pairs = [
        (ri, ro)
        for s, ro in enumerate(plan.out_types)
        for t, ri in enumerate(plan.in_types)
        if plan.nb[s, t] > 0 and any(a == s and b == t for a in plan.out_type_of for b in plan.in_type_of)
    ]
    lines = []
    for ri, ro in pairs:
        try:
            ex = grid_kernel_basis(ri, ro, module.kernel_size, method="orbit", allow_empty=True)
        except ValueError as e:
            return Certificate("not applicable", f"no exact basis: {e}")
        dim = character_dimension(group, ri, ro, module.kernel_size)
        if len(ex) != dim:
            return Certificate(
                "failed", f"exact basis {ri!r} -> {ro!r} has {len(ex)} elements, character formula {dim}"
            )
        if len(ex):
            ok, why = verify_grid_basis(ex.tensor, group, ri, ro)
            if not ok:
                return Certificate("failed", why)
        lines.append(f"{ri!r}->{ro!r}: {dim}")
    res = module.projection_residual()
    eps = torch.finfo(module.weight.dtype).eps
    return Certificate(
        "proved" if res <= 64 * eps else "failed",
        "exact integer bases proved and complete (dimension = character formula: "
        + ", ".join(lines)
        + f"); the filter lies in their span up to the residual {res:.2e}",
        res,
    )


def _span_residual(a: np.ndarray, b: np.ndarray) -> float:
    """Relative residual of the elements of ``a`` projected on the span of those of ``b``."""
    a = a.reshape(a.shape[0], -1).T.astype(np.float64)
    q, _ = np.linalg.qr(b.reshape(b.shape[0], -1).T.astype(np.float64))
    return float(np.linalg.norm(a - q @ (q.T @ a)) / max(np.linalg.norm(a), 1e-300))
