"""Group convolution, spatially or through the convolution theorem.

.. math::  (f * h)(u) = \\int_G f(u v^{-1})\\, h(v)\\, dv, \\qquad
           \\widehat{f * h}(\\rho) = \\hat f(\\rho)\\, \\hat h(\\rho)

(Kondor & Trivedi, ICML 2018, eq. (4) and Proposition 1). On a homogeneous space ``G/H`` both
functions are lifted to right-``H``-invariant functions on ``G``; the result is right-``H``-invariant
again, and only the ``H``-biinvariant part of ``h`` matters: with ``f^ = f^ P`` the product is
``f^ P h^ P``, stored as ``(f^ V) (V^T h^ V)`` (a zonal filter on the sphere).

With the Haar measure of mass 1, ``|G|`` times the delta at the generator of ``C_4`` shifts a function
by one step, on both paths:

>>> from groupconv.groups import Cyclic
>>> f = torch.tensor([0.0, 4.0, 0.0, 0.0], dtype=torch.float64)
>>> h = torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)
>>> convolve(f, h, Cyclic(4), method="spatial")
tensor([4., 1., 2., 3.], dtype=torch.float64)
>>> bool(torch.allclose(convolve(f, h, Cyclic(4), method="fourier"), convolve(f, h, Cyclic(4))))
True
"""

from __future__ import annotations

import math

import torch

from ..groups.base import Group
from ..groups.subgroups import inclusion
from ..reps.operations import integration_grid
from ..utils.deprecation import renamed_keywords
from .coefficients import FourierCoefficients
from .spaces import FunctionSpace, function_space, is_so3
from .transform import _resolve, fourier_transform, inverse_fourier_transform, transform_methods

__all__ = ["convolve", "convolution_cost", "evaluate"]


def _fft_cost(n: int) -> float:
    return 5.0 * n * max(math.log2(max(n, 2)), 1.0)


def convolution_cost(space: FunctionSpace) -> dict[str, float]:
    """The cost model of :func:`convolve`, in multiply-adds per function pair.

    - spatial, finite group or ``G/H``: ``|X| |G|`` (one gathered product per pair ``(x, v)``);
      continuous: ``N_X N_G D`` (the quadrature sum, with off-grid values of ``h`` synthesized from its
      ``D`` coefficients);
    - Fourier: ``2 T + T_inv + sum_rho d_rho m_rho^2`` with the transform cost ``T = 5 n log2 n`` on the
      FFT paths (``n`` points), ``4 L^4`` on SO(3) and ``4 L^3`` on the sphere (separable paths), and
      ``N D`` for the matrix path.
    """
    G = space.group
    D = space.num_coefficients
    N = space.num_points
    prod = float(sum(ir.dim * m * m for ir, m in zip(space.irreps, space.multiplicities)))
    if G.is_finite:
        spatial = float(N * G.order)
    else:
        gsp = function_space(G, space.bandwidth) if not space.is_group else space
        spatial = float(N * gsp.num_points * D)
    if "fast" in transform_methods(space):
        L = space.bandwidth or 0
        if is_so3(G):
            t = 4.0 * (L + 1) ** 4 if space.is_group else 4.0 * (L + 1) ** 3
        else:
            t = _fft_cost(N)
    else:
        t = float(N * D)
    return {"spatial": spatial, "fourier": 3 * t + prod}


def evaluate(fhat: FourierCoefficients, g: torch.Tensor) -> torch.Tensor:
    """The band-limited function with coefficients ``fhat`` at arbitrary group elements ``g``:
    ``f(g) = sum_rho (d_rho / e_rho) tr[(f^ V_rho)(rho(g) V_rho)^T]``, shape ``fhat.batch_shape + g_batch``."""
    space = fhat.space
    total = None
    for ir, w, v, b in zip(
        space.irreps, space.plancherel_weights, space.columns_tensors(fhat.dtype, fhat.device), fhat.blocks
    ):
        r = ir(g, fhat.dtype).to(fhat.device) @ v
        gb = r.dim() - 2
        t = w * torch.einsum("...ij,gij->...g", b, r.reshape((-1,) + r.shape[-2:])).reshape(
            b.shape[:-2] + r.shape[:gb]
        )
        total = t if total is None else total + t
    return total


def _spatial_finite(f: torch.Tensor, h: torch.Tensor, space: FunctionSpace) -> torch.Tensor:
    G = space.group
    table, inv = G.cayley_table_np, G.inverse_table_np
    if space.is_group:
        # M[u, v] = index of u v^{-1}
        idx = table[:, inv]
        fg = f[..., torch.as_tensor(idx, device=f.device)]
        return (fg * h[..., None, :]).sum(-1) / G.order
    reps, coset_of = space.coset_representatives, space.coset_of
    idx = coset_of[table[reps][:, inv]]
    fg = f[..., torch.as_tensor(idx, device=f.device)]
    hv = h[..., torch.as_tensor(coset_of, device=h.device)]
    return (fg * hv[..., None, :]).sum(-1) / G.order


def _spatial_continuous(f: torch.Tensor, h: torch.Tensor, space: FunctionSpace) -> torch.Tensor:
    """Quadrature of ``(f * h)(u) = \\int_G f(w) h(w^{-1} u) dw`` over the points ``w`` of the space
    (``w`` running over ``G/H`` and ``H`` on a homogeneous space), with ``h`` at the off-grid elements
    ``w^{-1} u`` synthesized from its coefficients."""
    G = space.group
    hhat = fourier_transform(h, space)
    u = space.points
    if space.is_group:
        w, wts = space.points, torch.as_tensor(space.weights, dtype=f.dtype, device=f.device)
        arg = G.compose(G.inverse(w)[:, None], u[None, :])
        vals = evaluate(hhat, arg)
        return torch.einsum("...w,w,...wu->...u", f, wts, vals)
    H = space.subgroup
    hk, hw = integration_grid(H, 2 * space.bandwidth)
    hk = inclusion(H, G)(hk)
    wts = torch.as_tensor(space.weights, dtype=f.dtype, device=f.device)
    # w = y h_k: f(w) = f(y)
    w = G.compose(space.points[:, None], hk[None, :])
    arg = G.compose(G.inverse(w)[:, :, None], u[None, None, :])
    vals = evaluate(hhat, arg)
    return torch.einsum("...y,y,k,...yku->...u", f, wts, hw.to(f.dtype).to(f.device), vals)


@renamed_keywords(G="group")
def convolve(
    f: torch.Tensor,
    h: torch.Tensor,
    group: Group | FunctionSpace,
    method: str = "auto",
    bandwidth: int | None = None,
    grid_size: int | None = None,
) -> torch.Tensor:
    """Group convolution ``(f * h)(u) = \\int_G f(u v^{-1}) h(v) dv`` of functions on ``G`` or ``G/H``.

    Parameters
    ----------
    f, h:
        Values ``(..., num_points)`` on the space (broadcast over leading dimensions).
    group:
        A group (finite, or continuous with ``bandwidth``) or a :class:`FunctionSpace` /
        :class:`HomogeneousSpace`.
    method:
        ``"spatial"``: the sum over the group (finite groups: an exact gather, ``|X| |G|`` products;
        continuous groups: the quadrature of the integral, ``h`` synthesized off the grid);
        ``"fourier"``: ``inverse(f^ h^)`` (``f^ V (V^T h^ V)`` on ``G/H``); ``"auto"``: the cheaper one
        by :func:`convolution_cost`. Both agree to floating-point precision on band-limited inputs.

    Returns
    -------
    torch.Tensor
        ``f * h`` on the same points, ``(..., num_points)``.
    """
    space = _resolve(group, bandwidth, grid_size)
    f = space.check_function(f, "f")
    h = space.check_function(h, "h")
    if method not in ("auto", "spatial", "fourier"):
        raise ValueError(f"method must be 'auto', 'spatial' or 'fourier', got {method!r}")
    if method == "auto":
        cost = convolution_cost(space)
        method = "fourier" if cost["fourier"] < cost["spatial"] else "spatial"
    if method == "fourier":
        return inverse_fourier_transform(fourier_transform(f, space) @ fourier_transform(h, space))
    if space.group.is_finite:
        return _spatial_finite(f, h, space)
    return _spatial_continuous(f, h, space)
