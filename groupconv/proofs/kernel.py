"""Exact proofs of the kernel constraint: sampled kernel bases, index maps, and the span of a filter.

A layer whose filter is a linear combination of a kernel basis is equivariant when each basis element
satisfies the constraint ``K(g x) = rho_out(g) K(x) rho_in(g)^{-1}`` exactly (checked with exact rational /
algebraic arithmetic for every generator of a finite group acting on the pixel grid,
:func:`certify_kernel_basis`) and the layer's weights lie in the span of that basis (a numeric residual,
:func:`span_residual`). A layer whose filter is built by copying learned weights (an index map, e.g. a
lifting or group convolution on the pixel grid) is equivariant for all weights when the index map
satisfies the constraint (:func:`certify_index_map`).

>>> import torch
>>> from groupconv.groups import Cyclic
>>> from groupconv.reps import regular, trivial
>>> C4 = Cyclic(4)
>>> def expand(theta):  # a lifting filter: the 3 x 3 weights rotated by each element of C4
...     w = theta.view(1, 1, 3, 3)
...     return torch.cat([torch.rot90(w, k, dims=(-2, -1)) for k in range(4)])
>>> certify_index_map(expand, 9, C4, trivial(C4), regular(C4))[0]
True
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from ..groups.actions import grid_permutation
from ..groups.base import FiniteGroup
from ..kernels.exact import certify_kernel_basis
from ..reps.representation import Representation

__all__ = ["certify_kernel_basis", "certify_index_map", "span_residual"]


def certify_index_map(
    expand: Callable[[torch.Tensor], torch.Tensor],
    num_params: int,
    group: FiniteGroup,
    rho_in: Representation,
    rho_out: Representation,
) -> tuple[bool, str]:
    """Prove equivariance of a filter built by an index map from ``num_params`` learned weights.

    ``expand(theta)`` maps a weight vector to the full filter ``(C_out, C_in, k, k)`` (``(C_out, C_in, k,
    k, k)`` on the voxel grid). The filter is
    evaluated on the distinct integer tags ``theta = 1, 2, ..., num_params`` (float64 represents them
    exactly), and the constraint is checked entry by entry with integer arithmetic. The representations
    must be signed permutation representations (e.g. regular, quotient, trivial), so the constraint only
    moves entries and the check on tags proves it for all weights. Returns ``(proved, reason)``.
    """
    tags = torch.arange(1, num_params + 1, dtype=torch.float64)
    filt = expand(tags).detach().to(torch.float64).cpu().numpy()
    if not np.array_equal(filt, np.rint(filt)):
        return False, "the filter is not an index map of the weights (non-integer entries on integer tags)"
    c_out, c_in, *grid = filt.shape
    npix = int(np.prod(grid))
    for g in group.generators() if hasattr(group, "generators") else range(group.order):
        ro = rho_out(torch.tensor(g)).numpy()
        ri = rho_in(torch.tensor(int(group.inverse(torch.tensor(g))))).numpy()
        for m in (ro, ri):
            if not np.array_equal(m, np.rint(m)) or not (np.abs(m).sum(0) == 1).all():
                return False, "the representations are not signed permutations: use certify_kernel_basis"
        perm = grid_permutation(group, g, *grid)
        moved = np.einsum(
            "oa,abp,bi->oip",
            ro.astype(np.int64),
            filt.reshape(c_out, c_in, npix)[:, :, perm].astype(np.int64),
            ri.astype(np.int64),
            optimize=True,
        )
        if not np.array_equal(moved, filt.reshape(c_out, c_in, npix).astype(np.int64)):
            return False, f"the expanded filter violates the constraint for g={g}"
    return (
        True,
        f"index map of {num_params} weights satisfies the constraint exactly for the generators of {group}",
    )


def span_residual(filt: torch.Tensor, basis: torch.Tensor) -> float:
    """Relative least-squares residual of ``filt`` (flattened) in the span of ``basis`` ``(n, ...)``.

    >>> basis = torch.tensor([[[1.0, 0.0], [0.0, 0.0]], [[0.0, 1.0], [1.0, 0.0]]])
    >>> span_residual(torch.tensor([[2.0, 3.0], [3.0, 0.0]]), basis) < 1e-12
    True
    """
    # the width from the filter, so that an empty basis reshapes too
    a = basis.reshape(basis.shape[0], filt.numel()).to(torch.float64).T
    b = filt.reshape(-1, 1).to(torch.float64)
    if a.shape[1] == 0:
        return float(b.norm() > 0)
    sol = torch.linalg.lstsq(a, b).solution
    return float((a @ sol - b).norm() / b.norm().clamp_min(1e-300))
