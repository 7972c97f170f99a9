"""Exact kernel bases on the grid for the groups that permute it: the pixel grid for ``C_2, C_4, D_2, D_4``
(also ``C_1, D_1``), the voxel grid for the octahedral groups ``O`` and ``Oh`` (the 24 rotations and 48
symmetries of the cube), the grid's number of axes being the group's ``grid_dims``.

On a ``k x k`` grid (``k x k x k``) the constraint ``K(g x) = rho_out(g) K(x) rho_in(g)^{-1}`` is a finite
linear system: its solutions are the fixed points of the action
``(g . K)(x) = rho_out(g) K(g^{-1} x) rho_in(g)^T`` on ``R^{d_out x d_in x k x k}``, i.e. the image of the
Reynolds projector ``P = mean_g (g .)``. Its dimension is the trace of ``P``, the character formula

.. math::  \\dim = \\frac{1}{|G|} \\sum_{g \\in G} \\chi_{perm}(g) \\, \\chi_{out}(g) \\, \\chi_{in}(g),

with ``chi_perm(g)`` the number of pixels (voxels) fixed by ``g`` (Serre, *Linear representations of finite
groups*, section 2.3, applied to ``Hom_G(perm (x) rho_in, rho_out)``).

Two solvers:

- ``"orbit"`` (exact, integer): when ``rho_in`` and ``rho_out`` are signed permutation representations
  (every irrep of the planar grid groups, every irrep of ``O`` / ``Oh`` but ``E``, regular and quotient
  representations and their sums), ``g .`` permutes the entries of ``K`` up to sign, so the fixed points
  are spanned by the signed orbit sums; orbits whose signs cancel contribute nothing. The basis has entries
  in ``{-1, 0, 1}`` and disjoint supports.
- ``"svd"`` (float64, orthonormal): for any orthogonal representations, orbit by orbit of the grid: a
  kernel on the orbit ``G x_0 = G / H`` is its value at ``x_0``, fixed by the stabilizer ``H`` (the
  eigenvectors of eigenvalue 1 of ``mean_h rho_out(h) (x) rho_in(h)``), moved to ``g x_0`` as
  ``rho_out(g) K(x_0) rho_in(g)^T`` (Frobenius reciprocity); no operator on the whole grid is formed.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import torch

from ..groups.actions import acts_on_grid, grid_permutation
from ..groups.base import FiniteGroup, check_same_group
from ..reps.representation import Representation
from ..utils.lazy import sympy
from ..utils.memory import check_memory
from .harmonic import KernelBasis, check_kernel_size

__all__ = [
    "grid_kernel_basis",
    "character_dimension",
    "signed_permutation",
    "verify_grid_basis",
    "certify_kernel_basis",
]


@lru_cache(maxsize=256)
def _grid_perms(group: FiniteGroup, k: int) -> np.ndarray:
    """``(|G|, k^d)``: :func:`~groupconv.groups.grid_permutation` of every element on the ``k^d`` grid,
    ``d`` the number of axes ``group`` permutes (``perm[g, p]`` is the index of ``g^{-1} p``)."""
    out = np.stack([grid_permutation(group, g, *(k,) * group.grid_dims) for g in range(group.order)])
    out.flags.writeable = False
    return out


def _check_grid_group(group) -> FiniteGroup:
    if not (isinstance(group, FiniteGroup) and acts_on_grid(group)):
        raise ValueError(
            "exact grid kernel bases need a group permuting the grid: C1, C2, C4, D1, D2, D4 (pixel grid) or "
            f"O, Oh (voxel grid); got {group}; use the harmonic basis ('gaussian') for other groups"
        )
    return group


def _size(k: int, d: int) -> str:
    return "x".join([str(k)] * d)


def character_dimension(
    group: FiniteGroup, rho_in: Representation, rho_out: Representation, kernel_size: int
) -> int:
    """``(1/|G|) sum_g chi_perm(g) chi_out(g) chi_in(g)``: the dimension of the space of equivariant
    ``k x k`` kernels on the pixel grid (``k x k x k`` on the voxel grid for ``O`` and ``Oh``).

    Examples
    --------
    >>> from groupconv.groups import Octahedral
    >>> from groupconv.reps import regular, trivial
    >>> O = Octahedral()
    >>> character_dimension(O, trivial(O), regular(O), 3)  # one free filter: every voxel of a 3x3x3 kernel
    27
    """
    _check_grid_group(group)
    k = check_kernel_size(kernel_size, group.grid_dims)
    g = group.elements()
    fixed = (_grid_perms(group, k) == np.arange(k**group.grid_dims)).sum(1)
    chi = fixed * rho_out.character(g).numpy() * rho_in.character(g).numpy()
    return int(round(chi.sum() / group.order))


def signed_permutation(rho: Representation) -> tuple[np.ndarray, np.ndarray] | None:
    """``(targets, signs)`` of shape ``(|G|, d)`` with ``rho(g) e_j = signs[g, j] e_{targets[g, j]}``, or
    ``None`` when ``rho`` is not a signed permutation representation."""
    g = rho.group.elements()
    m = rho(g).numpy()
    r = np.rint(m)
    if np.abs(m - r).max() > 1e-9 or not (np.abs(r).sum(1) == 1).all():
        return None
    targets = np.abs(r).argmax(1)
    signs = np.take_along_axis(r, targets[:, None, :], 1)[:, 0, :]
    return targets.astype(np.int64), signs.astype(np.int64)


def _orbit_basis(group, rho_in, rho_out, k, sp_in, sp_out) -> np.ndarray:
    d = group.grid_dims
    d_o, d_i, n_pix = rho_out.dim, rho_in.dim, k**d
    elems = group.elements().tolist()
    size = d_o * d_i * n_pix
    check_memory(
        16 * len(elems) * size,
        f"the orbits of the entries of the {_size(k, d)} kernels {rho_in!r} -> {rho_out!r} under {group}",
        "use a smaller kernel_size or smaller representations",
    )
    # destination of entry (o, i, q) under g: (pi_out(o), pi_in(i), g q)
    o, i, q = np.meshgrid(np.arange(d_o), np.arange(d_i), np.arange(n_pix), indexing="ij")
    o, i, q = o.reshape(-1), i.reshape(-1), q.reshape(-1)
    dest = np.empty((len(elems), o.size), dtype=np.int64)
    sign = np.empty((len(elems), o.size), dtype=np.int64)
    perms = _grid_perms(group, k)
    for a, g in enumerate(elems):
        perm = perms[g]
        # (g . f)(p) = f(perm[p]): the pixel q moves to p with perm[p] = q
        moved = np.empty(n_pix, dtype=np.int64)
        moved[perm] = np.arange(n_pix)
        dest[a] = (sp_out[0][g][o] * d_i + sp_in[0][g][i]) * n_pix + moved[q]
        sign[a] = sp_out[1][g][o] * sp_in[1][g][i]
    rep = dest.min(0)
    roots = np.unique(rep)
    check_memory(
        8 * roots.size * size,
        f"the {_size(k, d)} grid kernel basis {rho_in!r} -> {rho_out!r} (up to {roots.size} elements of "
        f"{d_o} x {d_i} x {n_pix})",
        "use a smaller kernel_size or smaller representations",
    )
    vec = np.zeros((roots.size, o.size), dtype=np.int64)
    # sum over g of sign * delta_{g . e} for the root e of each orbit
    np.add.at(
        vec,
        (np.broadcast_to(np.arange(roots.size), (len(elems), roots.size)), dest[:, roots]),
        sign[:, roots],
    )
    keep = np.abs(vec).sum(1) > 0
    vec = vec[keep]
    g_c = np.gcd.reduce(np.abs(vec), axis=1)
    vec = vec // g_c[:, None]
    return vec.reshape((-1, d_o, d_i) + (k,) * d)


def _svd_basis(group, rho_in, rho_out, k) -> np.ndarray:
    """Orthonormal float64 basis, solved orbit by orbit of the grid: a kernel on the orbit of ``x_0`` is
    fixed by its value ``K(x_0)``, which must be invariant under the stabilizer ``H`` of ``x_0``
    (``rho_out(h) K(x_0) rho_in(h)^T = K(x_0)``, the eigenvectors of eigenvalue 1 of the average of
    ``rho_out(h) (x) rho_in(h)`` over ``H``), and ``K(g x_0) = rho_out(g) K(x_0) rho_in(g)^T`` (Frobenius
    reciprocity: the orbit of ``x_0`` is ``G / H``)."""
    d = group.grid_dims
    d_o, d_i, n_pix = rho_out.dim, rho_in.dim, k**d
    dim = character_dimension(group, rho_in, rho_out, k)
    check_memory(
        8 * dim * d_o * d_i * n_pix,
        f"the {_size(k, d)} grid kernel basis {rho_in!r} -> {rho_out!r} ({dim} elements of {d_o} x {d_i} x "
        f"{n_pix})",
        "use a smaller kernel_size or smaller representations",
    )
    g = group.elements()
    ro, ri = rho_out(g).numpy(), rho_in(g).numpy()
    # image[g, p] = g p (the grid permutations give the preimages g^{-1} p)
    image = _grid_perms(group, k)[group.inverse_table_np]
    out = np.zeros((dim, d_o, d_i, n_pix))
    done = np.zeros(n_pix, dtype=bool)
    fixed_spaces: dict = {}
    e = 0
    for x0 in range(n_pix):
        if done[x0]:
            continue
        orbit, coset = np.unique(
            image[:, x0], return_index=True
        )  # coset[j]: an element taking x0 to orbit[j]
        done[orbit] = True
        stab = np.nonzero(image[:, x0] == x0)[0]
        key = tuple(stab.tolist())
        fix = fixed_spaces.get(key)
        if fix is None:
            avg = np.einsum("hoO,hiI->oiOI", ro[stab], ri[stab]).reshape(d_o * d_i, -1) / stab.size
            vals, vecs = np.linalg.eigh((avg + avg.T) / 2)
            fix = fixed_spaces[key] = vecs[:, vals > 0.5].T.reshape(-1, d_o, d_i)
        m = fix.shape[0]
        if m:
            gs = coset
            spread = np.einsum("xoO,bOI,xiI->boix", ro[gs], fix, ri[gs]) / np.sqrt(orbit.size)
            out[e : e + m][..., orbit] = spread
            e += m
    return out.reshape((dim, d_o, d_i) + (k,) * d)


def grid_kernel_basis(
    rho_in: Representation,
    rho_out: Representation,
    kernel_size: int,
    method: str = "auto",
    allow_empty: bool = False,
) -> KernelBasis:
    """Basis of all ``k x k`` kernels on the pixel grid (``k x k x k`` on the voxel grid for ``O`` and
    ``Oh``) with ``K(g x) = rho_out(g) K(x) rho_in(g)^{-1}``; the grid's number of axes is the group's
    ``grid_dims``, the tensor ``(n, d_out, d_in, k, ..., k)``.

    Parameters
    ----------
    method:
        ``"orbit"`` (exact integer basis, signed permutation representations), ``"svd"`` (float64,
        orthonormal, any orthogonal representations: per orbit of the grid, the kernels fixed by the
        stabilizer of a point, moved to the other points) or ``"auto"`` (orbit when possible).
    allow_empty:
        Return an empty basis instead of raising.

    Raises
    ------
    ValueError
        for a group that does not permute the grid, or when the basis is empty.

    Examples
    --------
    >>> from groupconv.groups import FullOctahedral
    >>> from groupconv.reps import irrep, trivial
    >>> Oh = FullOctahedral()
    >>> grid_kernel_basis(trivial(Oh), irrep(Oh, 3, 1), 3).tensor.shape  # vector fields from scalars
    (3, 3, 1, 3, 3, 3)
    """
    group = _check_grid_group(rho_in.group)
    check_same_group(group, rho_out.group, "output representation")
    k = check_kernel_size(kernel_size, group.grid_dims)
    if method not in ("auto", "orbit", "svd"):
        raise ValueError(f"method must be 'auto', 'orbit' or 'svd', got {method!r}")
    sp_in, sp_out = signed_permutation(rho_in), signed_permutation(rho_out)
    exact = sp_in is not None and sp_out is not None
    if method == "orbit" and not exact:
        raise ValueError(
            f"the orbit solver needs signed permutation representations; {rho_in!r} -> {rho_out!r} is not: "
            "use method='svd'"
        )
    if method != "svd" and exact:
        t = _orbit_basis(group, rho_in, rho_out, k, sp_in, sp_out).astype(np.float64)
        kind = "exact"
    else:
        t = _svd_basis(group, rho_in, rho_out, k)
        kind = "exact-svd"
    if t.shape[0] == 0 and not allow_empty:
        raise ValueError(
            f"empty kernel basis: no {_size(k, group.grid_dims)} kernel on the grid maps {rho_in!r} to "
            f"{rho_out!r} equivariantly"
        )
    return KernelBasis(tensor=t, rho_in=rho_in, rho_out=rho_out, kernel_size=k, kind=kind)


def _integer_matrix(rep: Representation, g: int) -> np.ndarray | None:
    m = sympy.Matrix(rep.exact(int(g)))
    if not all(v.is_integer for v in m):
        return None
    return np.array(m.tolist(), dtype=np.int64)


def certify_kernel_basis(
    basis: Sequence[sympy.Array | np.ndarray],
    group: FiniteGroup,
    rho_in: Representation,
    rho_out: Representation,
) -> tuple[bool, str]:
    """Prove that each kernel ``K`` of shape ``(d_out, d_in, k, k)`` (``(d_out, d_in, k, k, k)`` on the voxel
    grid) in ``basis`` satisfies ``K(g x) = rho_out(g) K(x) rho_in(g)^{-1}`` for every ``g`` of a group acting
    on the grid.

    Entries are converted to exact sympy numbers (``nsimplify`` of floats is *not* used: float entries
    are taken as the exact binary rationals they are), so a pass is a proof for the sampled kernels.
    Returns ``(proved, reason)``.

    >>> from groupconv.groups import Cyclic
    >>> from groupconv.reps import trivial
    >>> C4 = Cyclic(4)
    >>> certify_kernel_basis([np.ones((1, 1, 3, 3))], C4, trivial(C4), trivial(C4))[0]
    True
    """
    if not (isinstance(group, FiniteGroup) and acts_on_grid(group)):
        return False, f"{group} does not act on the pixel or voxel grid: no exact certificate"
    gens = _generators(group)
    for idx, K in enumerate(basis):
        k = (
            np.asarray(K, dtype=object)
            if not isinstance(K, sympy.Array)
            else np.array(K.tolist(), dtype=object)
        )
        if k.ndim != 2 + group.grid_dims:
            return False, (
                f"basis element {idx} has shape {k.shape}; kernels of {group} on its grid have shape "
                f"(d_out, d_in{', k' * group.grid_dims})"
            )
        d_out, d_in, *grid = k.shape
        exact = np.vectorize(
            lambda v: sympy.Rational(v) if isinstance(v, float) else sympy.sympify(v), otypes=[object]
        )(k)
        n_pix = int(np.prod(grid))
        flat = exact.reshape(d_out, d_in, n_pix)
        # it suffices to check generators: the constraint is a group action
        for g in gens:
            perm = grid_permutation(group, g, *grid)
            ro = sympy.Matrix(rho_out.exact(int(g)))
            ri_inv = sympy.Matrix(rho_in.exact(int(group.inverse(torch.tensor(g)))))
            for p in range(n_pix):
                # (g . K)(p) = rho_out(g) K(g^-1 p) rho_in(g)^-1 must equal K(p)
                lhs = sympy.Matrix(flat[:, :, p].tolist())
                src = sympy.Matrix(flat[:, :, perm[p]].tolist())
                rhs = ro * src * ri_inv
                if sympy.simplify(lhs - rhs) != sympy.zeros(d_out, d_in):
                    return False, f"basis element {idx} violates the constraint for g={g} at pixel {p}"
    return (
        True,
        f"{len(basis)} basis elements satisfy K(gx) = rho_out(g) K(x) rho_in(g)^-1 exactly for the generators {gens} of {group}",
    )


def _generators(group: FiniteGroup) -> list[int]:
    """A generating set of ``group``: its own, or every element when it names none."""
    try:
        return list(group.generators())
    except NotImplementedError:
        return list(range(group.order))


def verify_grid_basis(
    basis: np.ndarray, group: FiniteGroup, rho_in: Representation, rho_out: Representation
) -> tuple[bool, str]:
    """Prove ``K(g x) = rho_out(g) K(x) rho_in(g)^{-1}`` for integer-valued kernels ``(n, d_out, d_in, k, k)``
    (``(n, d_out, d_in, k, k, k)`` on the voxel grid of ``O`` / ``Oh``) with exact integer arithmetic, for the generators of ``group``, using the exact (sympy) matrices of the
    representations. Falls back to :func:`certify_kernel_basis` (sympy) when a representation has
    non-integer exact entries. Returns ``(proved, reason)``."""
    b = np.asarray(basis)
    if not np.array_equal(b, np.rint(b)):
        return certify_kernel_basis(list(b), group, rho_in, rho_out)
    bi = np.rint(b).astype(np.int64)
    n, d_o, d_i, *grid = bi.shape
    gens = _generators(group)
    flat = bi.reshape(n, d_o, d_i, -1)
    for g in gens:
        ro = _integer_matrix(rho_out, g)
        ri_inv = _integer_matrix(rho_in, int(group.inverse(torch.tensor(g))))
        if ro is None or ri_inv is None:
            return certify_kernel_basis(list(b), group, rho_in, rho_out)
        perm = grid_permutation(group, g, *grid)
        moved = np.einsum("oa,nabp,bi->noip", ro, flat[..., perm], ri_inv, optimize=True)
        if not np.array_equal(moved, flat):
            bad = int(np.nonzero((moved != flat).reshape(n, -1).any(1))[0][0])
            return False, f"basis element {bad} violates the constraint for g={g}"
    return True, (
        f"{n} integer basis elements satisfy K(gx) = rho_out(g) K(x) rho_in(g)^-1 exactly (integer "
        f"arithmetic, exact representation matrices) for the generators {gens} of {group}"
    )
