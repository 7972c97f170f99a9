"""Equivariant linear maps: projection by group averaging, and recognition as generalized convolutions.

Kondor & Trivedi (ICML 2018, Theorem 1): a linear map ``L^2(G/H) -> L^2(G/K)`` is ``G``-equivariant if
and only if it is a generalized convolution, ``(f^(rho) V^H) -> (f^(rho) V^H) K_rho`` in the Fourier
domain. :func:`equivariant_projection` produces equivariant maps from arbitrary ones;
:func:`as_generalized_convolution` recovers the filter blocks ``K_rho`` of an equivariant map and
measures how far a map is from being one.

The cyclic shift of functions on ``C_4`` is the convolution with ``|G|`` times the delta at the generator;
a map that keeps only the value at the identity is not equivariant:

>>> from groupconv.groups import Cyclic
>>> shift = torch.roll(torch.eye(4, dtype=torch.float64), 1, 0)
>>> res = as_generalized_convolution(shift, Cyclic(4))
>>> res.is_convolution, [round(float(x), 12) + 0.0 for x in res.filter]
(True, [0.0, 4.0, 0.0, 0.0])
>>> other = as_generalized_convolution(torch.diag(torch.tensor([1.0, 0.0, 0.0, 0.0])).double(), Cyclic(4))
>>> other.is_convolution, round(other.residual, 6)
(False, 0.866025)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from ..groups.base import Group
from ..reps.representation import Representation
from ..utils.deprecation import renamed_keywords
from .coefficients import FourierCoefficients
from .filters import common_irreps
from .spaces import FunctionSpace, function_space, is_so3, resolve_space
from .transform import fourier_transform, inverse_fourier_transform

__all__ = [
    "equivariant_projection",
    "as_generalized_convolution",
    "GeneralizedConvolution",
    "generalized_convolution",
]


def _averaging_grid(group: Group, degree: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Elements and weights integrating exactly every function of degree ``<= degree`` on ``group``."""
    if group.is_finite:
        return group.elements(), torch.full((group.order,), 1.0 / group.order, dtype=torch.float64)
    if is_so3(group):
        sp = function_space(group, max(math.ceil(degree / 2), 0))
        return sp.points, torch.as_tensor(sp.weights)
    return group.quadrature(degree)


def _action(rho, group: Group):
    """``(g -> matrices (n, d, d), degree)`` for a Representation or a FunctionSpace (left action on
    its points, ``(g . f)(x) = f(g^{-1} x)``; through the Fourier domain on a continuous group)."""
    if isinstance(rho, Representation):
        if rho.group != group:
            raise TypeError(f"the representation {rho!r} is not one of {group}")
        return (lambda g: rho(g, torch.float64)), rho.degree
    if isinstance(rho, FunctionSpace):
        if rho.group != group:
            raise TypeError(f"the space {rho} is not a space of {group}")
        n = rho.num_points
        if group.is_finite:
            table = torch.as_tensor(rho.action_table)
            inv = torch.as_tensor(group.inverse_table_np)

            def perm(g):
                # (g . f)[y] = f[table[g^-1, y]]: P[y, table[g^-1, y]] = 1
                cols = table[inv[g]]
                out = torch.zeros(g.shape + (n, n), dtype=torch.float64)
                out.scatter_(-1, cols[..., None], 1.0)
                return out

            return perm, 0
        eye = torch.eye(n, dtype=torch.float64)
        c = fourier_transform(eye, rho)

        def act(g):
            mats = [ir(g, torch.float64) for ir in rho.irreps]
            blocks = [m[:, None] @ b[None] for m, b in zip(mats, c.blocks)]
            # rows: g . delta_x; as a matrix on column vectors, its transpose
            return inverse_fourier_transform(FourierCoefficients(rho, blocks)).transpose(-1, -2)

        return act, rho.bandwidth
    raise TypeError(f"expected a Representation or a FunctionSpace, got {type(rho).__name__}")


@renamed_keywords(G="group", in_rep="rho_in", out_rep="rho_out")
def equivariant_projection(
    linear_map: torch.Tensor,
    group: Group,
    rho_in: Representation | FunctionSpace,
    rho_out: Representation | FunctionSpace,
) -> torch.Tensor:
    """The group average of a linear map ``M (..., d_out, d_in)``:

    .. math::  \\bar M = \\int_G \\rho_{out}(g)\\, M\\, \\rho_{in}(g^{-1})\\, dg ,

    the orthogonal projection (for orthogonal representations) onto the ``G``-equivariant maps. Exact:
    a sum over a finite group, a quadrature of degree ``deg(in) + deg(out)`` on a continuous one.
    ``rho_in`` / ``rho_out`` are representations of ``group`` or function spaces (acting on function
    values).

    >>> from groupconv.groups import SO2
    >>> from groupconv.reps import irrep
    >>> M = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)
    >>> equivariant_projection(M, SO2(), irrep(SO2(), 1), irrep(SO2(), 1))  # the commutant a I + b J
    tensor([[ 2.5000, -0.5000],
            [ 0.5000,  2.5000]], dtype=torch.float64)
    """
    if not isinstance(linear_map, torch.Tensor):
        raise TypeError(f"linear_map must be a torch.Tensor, got {type(linear_map).__name__}")
    act_in, deg_in = _action(rho_in, group)
    act_out, deg_out = _action(rho_out, group)
    g, w = _averaging_grid(group, deg_in + deg_out)
    ro = act_out(g)
    ri = act_in(group.inverse(g))
    if linear_map.shape[-2:] != (ro.shape[-1], ri.shape[-1]):
        raise ValueError(
            f"linear_map must have shape (..., {ro.shape[-1]}, {ri.shape[-1]}) (out x in), got {tuple(linear_map.shape)}"
        )
    m = linear_map.to(torch.float64)
    out = torch.einsum("g,gij,...jk,gkl->...il", w.to(torch.float64), ro, m, ri)
    return out.to(linear_map.dtype)


def generalized_convolution(
    x: torch.Tensor, blocks: list[torch.Tensor], domain: FunctionSpace, codomain: FunctionSpace
) -> torch.Tensor:
    """``(x * h)`` for a filter given by its kept blocks ``K_rho (m^H, m^K)`` (one per common irrep of
    :func:`~groupconv.fourier.filters.common_irreps`): ``y^(rho) V^K = (x^(rho) V^H) K_rho``."""
    xh = fourier_transform(x, domain)
    pairs = common_irreps(domain, codomain)
    if len(blocks) != len(pairs):
        raise ValueError(f"expected {len(pairs)} filter blocks (the common irreps), got {len(blocks)}")
    out = [
        xh.blocks[0].new_zeros(xh.batch_shape + (ir.dim, v.shape[1]))
        for ir, v in zip(codomain.irreps, codomain.columns)
    ]
    for (i, j), k in zip(pairs, blocks):
        out[j] = xh.blocks[i] @ k.to(xh.dtype)
    return inverse_fourier_transform(FourierCoefficients(codomain, out))


@dataclass
class GeneralizedConvolution:
    """The result of :func:`as_generalized_convolution`.

    ``blocks``: the filter's kept blocks ``K_rho`` (one per common irrep, in ``irreps`` order);
    ``filter``: the filter ``h`` as a function on ``G`` (values on ``function_space(G)``, with
    ``h^(rho) = V^H K_rho V^{K T}``); ``residual``: ``||M P - C|| / ||M||`` for the convolution ``C``
    with these blocks (``P`` the projection onto band-limited inputs, the identity on finite groups);
    ``equivariance_residual``: ``||M - \\bar M|| / ||M||`` with :func:`equivariant_projection`.
    """

    domain: FunctionSpace
    codomain: FunctionSpace
    irreps: tuple
    blocks: list[torch.Tensor]
    filter: torch.Tensor
    residual: float
    equivariance_residual: float
    info: dict = field(default_factory=dict)

    @property
    def is_convolution(self) -> bool:
        return self.residual <= 1e-8

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return generalized_convolution(x, self.blocks, self.domain, self.codomain)


@renamed_keywords(G="group")
def as_generalized_convolution(
    matrix: torch.Tensor,
    group: Group,
    domain=None,
    codomain=None,
    bandwidth: int | None = None,
) -> GeneralizedConvolution:
    """Recognize a linear map ``y = M x`` from functions on ``domain`` (``G``, that is ``group``, or
    ``G/H``) to functions on ``codomain`` as a generalized convolution, and return its filter.

    For each irrep kept by both spaces the blocks ``K_rho`` solve, in least squares over the inputs
    ``x = delta_p`` (every point ``p``), ``(x^(rho) V^H) K_rho = (M x)^(rho) V^K``; the map is a
    generalized convolution exactly when the reconstruction residual vanishes (Kondor & Trivedi, ICML
    2018, Theorem 1: exactly when it is equivariant).
    """
    dom = resolve_space(group, domain, bandwidth)
    cod = resolve_space(group, codomain, bandwidth)
    if not isinstance(matrix, torch.Tensor) or matrix.dim() != 2:
        raise TypeError(f"matrix must be a 2-d torch.Tensor (out x in), got {type(matrix).__name__}")
    if tuple(matrix.shape) != (cod.num_points, dom.num_points):
        raise ValueError(
            f"matrix must have shape ({cod.num_points}, {dom.num_points}) for {dom} -> {cod}, got {tuple(matrix.shape)}"
        )
    m = matrix.to(torch.float64)
    eye = torch.eye(dom.num_points, dtype=torch.float64)
    xh = fourier_transform(eye, dom)
    yh = fourier_transform(m.T.contiguous(), cod)
    pairs = common_irreps(dom, cod)
    blocks = []
    for i, j in pairs:
        a = xh.blocks[i].reshape(-1, xh.blocks[i].shape[-1])
        b = yh.blocks[j].reshape(-1, yh.blocks[j].shape[-1])
        blocks.append(torch.linalg.lstsq(a, b).solution)
    conv = generalized_convolution(eye, blocks, dom, cod).T
    proj = inverse_fourier_transform(xh).T
    scale = float(m.norm()) or 1.0
    residual = float((m @ proj - conv).norm()) / scale
    eq = equivariant_projection(m, group, dom, cod)
    eq_res = float((m - eq).norm()) / scale
    gsp = function_space(group, dom.bandwidth) if not group.is_finite else function_space(group)
    pos = {ir: k for k, ir in enumerate(gsp.irreps)}
    hb = [torch.zeros(ir.dim, ir.dim, dtype=torch.float64) for ir in gsp.irreps]
    for (i, j), k in zip(pairs, blocks):
        ir = cod.irreps[j]
        vh = torch.as_tensor(dom.columns[i])
        vk = torch.as_tensor(cod.columns[j])
        hb[pos[ir]] = vh @ k @ vk.T
    h = inverse_fourier_transform(FourierCoefficients(gsp, hb))
    return GeneralizedConvolution(
        domain=dom,
        codomain=cod,
        irreps=tuple(cod.irreps[j] for _, j in pairs),
        blocks=blocks,
        filter=h,
        residual=residual,
        equivariance_residual=eq_res,
        info={"rank": int(np.linalg.matrix_rank(m.numpy()))},
    )
