"""Kernel bases between regular fields of a finite group, lifted from free filters.

Between regular representations (or a regular and a trivial one) the kernel constraint has an explicit
solution: every kernel is a free filter moved by the group elements (the group and lifting convolutions of
Cohen & Welling, ICML 2016, eqs. 10-11). Sampling each free filter from the pixel functions of the harmonic
band limit gives a basis spanning the same kernels as :func:`~groupconv.kernels.harmonic_kernel_basis`,
without a constraint solve. The groups are those of the harmonic bases that are finite: ``C_n``, ``D_n`` on
the plane, the octahedral and icosahedral groups (``O``, ``Oh``, ``I``, ``Ih``) in space; a moved pixel
function is the action ``L_k(g)`` of the angular basis on its harmonics (for the groups that permute the
grid, the same as permuting its pixels or voxels).

Examples
--------
>>> from groupconv.groups import Cyclic
>>> from groupconv.kernels import lifts_to_regular, regular_action
>>> from groupconv.reps import irrep, regular, trivial
>>> G = Cyclic(4)
>>> lifts_to_regular(trivial(G), regular(G)), lifts_to_regular(irrep(G, 1), regular(G))
(True, False)
>>> regular_action(regular(G))[1].tolist()  # the basis vectors moved by the rotation by 90 degrees
[1, 2, 3, 0]
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from ..groups.base import Group
from ..reps.operations import regular
from ..reps.representation import Representation
from ..utils.memory import check_memory
from .angular import ANGULAR_BASES, AngularBasis
from .harmonic import KernelBasis, as_spec, check_pair, sampled_parts, warn_zero_blocks
from .spec import KernelSpec

__all__ = ["regular_action", "lifts_to_regular", "regular_kernel_basis"]


@lru_cache(maxsize=256)
def regular_action(rho: Representation) -> np.ndarray | None:
    """``perm`` ``(|G|, d)`` with ``rho(g) e_b = e_{perm[g, b]}`` (elements in index order) when ``rho``
    is a regular representation of a finite group (a permutation representation acting simply
    transitively, in any numbering of its basis); ``None`` otherwise."""
    group = rho.group
    if not group.is_finite or rho.dim != group.order:
        return None
    if rho is regular(group):
        # rho(g) e_h = e_{gh}
        return group.cayley_table_np
    if rho.permutation is not None:
        # a permutation table: regular when the first basis vector's orbit is the whole basis
        perm = rho.permutation
        return perm if np.bincount(perm[:, 0], minlength=group.order).max() == 1 else None
    check_memory(
        8 * group.order * rho.dim**2,
        f"the matrices of {rho!r} on every element of {group}, to test whether it permutes a basis",
        "build regular fields with groupconv.reps.regular (a permutation table)",
    )
    m = rho(group.elements()).numpy()  # (|G|, d, d)
    r = np.rint(m)
    if np.abs(m - r).max() > 1e-9 or not ((r == 0) | (r == 1)).all() or not (r.sum(1) == 1).all():
        return None
    perm = r.argmax(1)  # perm[g, b] = a with rho(g)[a, b] = 1
    if np.bincount(perm[:, 0], minlength=group.order).max() != 1:
        return None
    return perm


def _has_lifted_bases(group: Group) -> bool:
    """A finite group with harmonic kernel bases in some dimension (``C_n``, ``D_n``, ``O``, ``Oh``, ...)."""
    return bool(group.is_finite) and any(b.supports(group) for bases in ANGULAR_BASES.values() for b in bases)


def lifts_to_regular(rho_in: Representation, rho_out: Representation) -> bool:
    """Whether :func:`regular_kernel_basis` applies (and :func:`~groupconv.kernels.kernel_basis` uses it):
    representations of a finite group with harmonic kernel bases (``C_n``, ``D_n`` on the plane; ``O``,
    ``Oh``, ``I``, ``Ih`` in space), regular to regular, trivial to regular, or regular to trivial."""
    if rho_in.group != rho_out.group or not _has_lifted_bases(rho_out.group):
        return False
    reg_out, reg_in = regular_action(rho_out) is not None, regular_action(rho_in) is not None
    triv_out = rho_out.dim == 1 and rho_out.irreps[0].is_trivial()
    triv_in = rho_in.dim == 1 and rho_in.irreps[0].is_trivial()
    return (reg_out and (reg_in or triv_in)) or (reg_in and triv_out)


def build_regular(
    rho_in: Representation, rho_out: Representation, kernel_size, spec: KernelSpec, spatial_dims: int, dtype
) -> KernelBasis:
    """The lifted basis of :func:`regular_kernel_basis` from a spec: the construction shared by
    :func:`regular_kernel_basis` and :func:`~groupconv.kernels.kernel_basis`."""
    angular, kernel_size, spatial_dims = check_pair(rho_in, rho_out, kernel_size, spatial_dims)
    group = rho_out.group
    if not group.is_finite:
        raise TypeError(
            f"regular kernel bases exist for finite groups (C_n, D_n on the plane; O, Oh, I, Ih in space), got "
            f"representations of {group}"
        )
    if not lifts_to_regular(rho_in, rho_out):
        raise ValueError(
            f"regular_kernel_basis maps regular fields to regular ones, or a trivial field to a regular one "
            f"and back; got {rho_in!r} -> {rho_out!r} (use harmonic_kernel_basis)"
        )
    p_out, p_in = regular_action(rho_out), regular_action(rho_in)
    profiles, _, pixels = sampled_parts(spec, kernel_size, spatial_dims, angular)
    kk = kernel_size**spatial_dims
    size_text = "x".join([str(kernel_size)] * spatial_dims)
    n = group.order
    nf = sum(pix.shape[0] * len(pos) for _, pos, pix in pixels)
    both = p_out is not None and p_in is not None
    # the moved pixel functions (float64) and the basis: |G|^2 entries per element between regular fields
    size = nf * (n * n * n if both else n) * kk * np.dtype(dtype).itemsize
    check_memory(
        8 * n * nf * kk + size,
        f"the {size_text} kernel basis {rho_in!r} -> {rho_out!r} ({nf * (n if both else 1)} "
        f"elements of {rho_out.dim} x {rho_in.dim} x {kk})",
        "use a smaller kernel_size, a lower max_frequency / frequency_cutoff, or a group of smaller order"
        + (" (between two regular fields the basis has |G|^3 entries per pixel function)" if both else ""),
    )
    # rotated[g, f] = f(g^-1 x) for every pixel function f, ordered by profile, then harmonic ((cos, sin) on
    # the plane, Y_{k,-k..k} in space)
    funcs, labels = [None] * len(profiles), [None] * len(profiles)
    degree = angular.averaging_degree(group, 0)
    for k, pos, pix in pixels:
        a = pix.shape[0]
        # every element of the finite group, in index order
        lk = angular.averaging_action(group, degree, k)
        # the entries that are integers (cos / sin of multiples of the grid angles) are made exact
        near = np.rint(lk)
        lk = np.where(np.abs(lk - near) < 1e-13, near, lk)
        rot = np.einsum("gab,bnp->gnap", lk, pix.reshape(a, len(pos), kk))
        for i, p in enumerate(pos):
            funcs[p] = rot[:, i]
            labels[p] = [(k, profiles[p][1], c) for c in angular.components(k)]
    rotated = np.concatenate(funcs, 1) if funcs else np.zeros((n, 0, kk))  # (|G|, F, k^2)
    labels = [lab for row in labels for lab in row]
    if nf == 0 and not spec.allow_empty:
        raise ValueError(
            f"empty kernel basis: no {size_text} pixel function within the frequency band "
            f"(basis={spec.profile!r}, max_frequency={spec.max_frequency})"
        )
    zero = _forced_zero_pairs(angular, rho_in, rho_out, sorted({k for k, _, _ in profiles}))
    if zero and spec.warn:
        warn_zero_blocks(rho_in.group, kernel_size, spec, zero, spatial_dims)
    grid = (kernel_size,) * spatial_dims
    if both:
        # g_a: the element taking the first basis vector of rho_out to the a-th
        g_row = np.argsort(p_out[:, 0])
        out = np.zeros((nf, n, n, n, kk), dtype=dtype)  # (f, c, a, b, pixel)
        f = np.arange(nf)[:, None, None]
        c = np.arange(n)[None, :, None]
        a = np.arange(n)[None, None, :]
        out[f, c, a, p_in[g_row[a], c]] = rotated[g_row[a], f]
        filters = range(n)
        tensor = out.reshape(nf * n, n, n, *grid)
    else:
        # one trivial side: element f at the regular side's a-th vector is f moved by g_a
        g_reg = np.argsort((p_in if p_out is None else p_out)[:, 0])
        filters = range(1)
        tensor = rotated[g_reg].transpose(1, 0, 2).astype(dtype, copy=False)
        tensor = tensor.reshape(nf, rho_out.dim, rho_in.dim, *grid)
    info = [
        {"frequency": k, "radial": j, "component": cs, "filter": cc} for k, j, cs in labels for cc in filters
    ]
    return KernelBasis(
        tensor=np.ascontiguousarray(tensor),
        rho_in=rho_in,
        rho_out=rho_out,
        kernel_size=kernel_size,
        kind=spec.profile,
        info=info,
        zero_blocks=zero,
    )


def regular_kernel_basis(
    rho_in: Representation,
    rho_out: Representation,
    kernel_size: int,
    basis: str | KernelSpec = "gaussian",
    *,
    spatial_dims: int = 2,
    dtype=np.float64,
    **options,
) -> KernelBasis:
    """Steerable kernel basis of a finite group (``C_n``, ``D_n`` on the plane; ``O``, ``Oh``, ``I``, ``Ih``
    in space, ``spatial_dims=3``) between regular fields (or a regular and a trivial one), lifted from
    unconstrained band-limited filters.

    A kernel between regular representations is determined by one row: with ``g_a`` the element
    taking the first basis vector to the ``a``-th, the constraint forces

    .. math::  K(x)_{a b} = \\kappa_{\\pi_{g_a}^{-1}(b)}\\big(g_a^{-1} x\\big)

    (``rho(g) e_b = e_{\\pi_g(b)}``) for ``|G|`` free filters ``kappa_c`` (the group convolution of Cohen &
    Welling, ICML 2016, eq. 11), and from a trivial to a regular field ``K(x)_a = \\kappa(g_a^{-1} x)``
    (their lifting convolution, eq. 10; the transpose for regular to trivial). Each free filter ranges
    over the pixel functions ``phi_j(r) cos k theta``, ``phi_j(r) sin k theta`` of the band limit of
    :func:`~groupconv.kernels.harmonic_kernel_basis` (``phi_j(r) Y_{k,m}(x / r)`` in space), and a rotated
    pixel function is the rotation ``L(g)`` of its ``(cos, sin)`` pair (of its ``2k + 1`` spherical
    harmonics), so the basis spans the same kernels as :func:`~groupconv.kernels.harmonic_kernel_basis` with the
    same arguments (its dimension is ``|G|`` (or 1) times the number of pixel functions) and costs no
    constraint solve. Element ``(f, c)`` (pixel function ``f``, free filter ``c``) is index
    ``f |G| + c``; ``info`` gives its frequency, radial index, component and filter, and ``zero_blocks``
    the irrep pairs of the two representations between which these kernels vanish (found from the
    characters; ``warn`` emits the same warning as :func:`~groupconv.kernels.harmonic_kernel_basis`).

    The arguments are those of :func:`~groupconv.kernels.harmonic_kernel_basis`;
    :func:`~groupconv.kernels.kernel_basis` uses this construction whenever :func:`lifts_to_regular`.

    Examples
    --------
    >>> from groupconv.groups import Dihedral
    >>> from groupconv.kernels import regular_kernel_basis
    >>> from groupconv.reps import regular, trivial
    >>> G = Dihedral(4)
    >>> regular_kernel_basis(regular(G), regular(G), 5, warn=False).tensor.shape  # 8 filters x 9 pixel functions
    (72, 8, 8, 5, 5)
    >>> regular_kernel_basis(trivial(G), regular(G), 5, warn=False).tensor.shape
    (9, 8, 1, 5, 5)

    Raises
    ------
    TypeError
        for a group without lifted bases (not finite, or without harmonic bases in ``spatial_dims``), or
        representations of different groups.
    ValueError
        when neither representation is regular, the other is neither regular nor trivial, or the basis is
        empty.
    """
    return build_regular(rho_in, rho_out, kernel_size, as_spec(basis, options), spatial_dims, dtype)


def _forced_zero_pairs(
    angular: AngularBasis, rho_in: Representation, rho_out: Representation, ks: Sequence[int]
) -> list:
    """The irrep pairs ``(sigma_out, sigma_in)`` (by name) of two representations of a finite group
    with no solution at any frequency of ``ks``: the rank of each pair's Reynolds projector is the
    character inner product ``mean_g chi_out(g) chi_in(g) chi_L(g)``, no solve needed."""
    group = rho_out.group
    w = angular.weights(group, 0)
    uo, ui = list(dict.fromkeys(rho_out.irreps)), list(dict.fromkeys(rho_in.irreps))

    def characters(tables):
        return np.stack([np.einsum("gii->g", t) for t in tables])

    chil = characters(angular.averaging_action(group, 0, k) for k in ks)
    rank = np.einsum(
        "og,ig,kg->oi",
        characters(angular.irrep_table(ir, 0) for ir in uo) * w,
        characters(angular.irrep_table(ir, 0) for ir in ui),
        chil,
    )
    # ranks are non-negative integers: their sum over the frequencies vanishes only if each does
    return [(so.name, si.name) for a, so in enumerate(uo) for b, si in enumerate(ui) if rank[a, b] < 0.5]
