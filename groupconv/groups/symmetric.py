"""The symmetric groups ``S_n``.

Conventions
-----------
- A permutation ``p`` of ``{0, ..., n-1}`` is stored in one-line notation ``(p[0], ..., p[n-1])`` and
  maps ``i -> p[i]``.
- Product: ``compose(a, b) = a o b`` (apply ``b`` first), ``(a b)[i] = a[b[i]]``.
- Canonical order: the ``n!`` permutations in lexicographic order of their one-line notation, so element
  ``0`` is the identity and element ``n! - 1`` is the reversal ``(n-1, ..., 0)``. The index of a
  permutation is its Lehmer-code rank (Knuth, *TAOCP* vol. 2, section 3.3.2, Algorithm P):

  .. math:: \\mathrm{index}(p) = \\sum_{i=0}^{n-1} c_i \\, (n-1-i)!, \\qquad
            c_i = \\#\\{ j > i : p[j] < p[i] \\}.

- Action on ``R^n``: ``e_i -> e_{p(i)}``, so ``(g . x)[p(i)] = x[i]`` (a left action).

Examples
--------
>>> import torch
>>> S3 = Symmetric(3)
>>> S3.order, S3.permutation(torch.tensor(1)).tolist(), int(S3.sign(torch.tensor(1)))
(6, [0, 2, 1], -1)
"""

from __future__ import annotations

import itertools
import math
from functools import cached_property

import numpy as np
import torch

from .base import FiniteGroup, Group
from .subgroups import register_inclusion

__all__ = ["Symmetric"]


class Symmetric(FiniteGroup):
    """The symmetric group ``S_n`` of all permutations of ``{0, ..., n-1}``, of order ``n!``.

    Elements are ``long`` index tensors in the canonical (lexicographic) order described in
    :mod:`groupconv.groups.symmetric`; :meth:`permutation` and :meth:`index_of` convert between indices
    and one-line notation. The product ``a b`` applies ``b`` first: ``(a b)[i] = a[b[i]]``.

    Parameters
    ----------
    n:
        Number of points, ``n >= 1``.

    Examples
    --------
    >>> import torch
    >>> G = Symmetric(3)
    >>> G.permutation(G.elements()).tolist()
    [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]
    >>> int(G.index_of(torch.tensor([1, 2, 0])))
    3
    """

    def __init__(self, n: int):
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
            raise ValueError(f"Symmetric(n) needs an integer n >= 1, got {n!r}")
        self.n = int(n)
        self._torch: dict = {}

    def _key(self) -> tuple:
        return (self.n,)

    def __getstate__(self):
        return {"n": self.n}

    def __setstate__(self, state):
        self.n = state["n"]
        self._torch = {}

    @property
    def name(self) -> str:
        return f"S{self.n}"

    @property
    def order(self) -> int:
        return math.factorial(self.n)

    # -- permutations -----------------------------------------------------------------------------
    @cached_property
    def permutations_np(self) -> np.ndarray:
        """All permutations ``(n!, n)`` in one-line notation, in the canonical order."""
        perms = np.array(list(itertools.permutations(range(self.n))), dtype=np.int64)
        return perms.reshape(self.order, self.n)

    @cached_property
    def _factorials(self) -> np.ndarray:
        return np.array([math.factorial(self.n - 1 - i) for i in range(self.n)], dtype=np.int64)

    def _perm_table(self, device) -> torch.Tensor:
        key = ("perm", device)
        t = self._torch.get(key)
        if t is None:
            t = torch.as_tensor(self.permutations_np, device=device)
            self._torch[key] = t
        return t

    def _rank_np(self, p: np.ndarray) -> np.ndarray:
        lehmer = np.triu(p[..., :, None] > p[..., None, :], 1).sum(-1)
        return (lehmer * self._factorials).sum(-1)

    def _rank(self, p: torch.Tensor) -> torch.Tensor:
        n = self.n
        upper = torch.ones(n, n, dtype=torch.bool, device=p.device).triu(1)
        lehmer = ((p[..., :, None] > p[..., None, :]) & upper).sum(-1)
        fact = torch.as_tensor(self._factorials, device=p.device)
        return (lehmer * fact).sum(-1)

    def permutation(self, g: torch.Tensor) -> torch.Tensor:
        """One-line notation of each element: a ``long`` tensor ``batch + (n,)`` with ``[..., i] = p(i)``."""
        g = self.check_element(g)
        return self._perm_table(g.device)[g]

    def index_of(self, perm) -> torch.Tensor:
        """The element (index) of each permutation in one-line notation ``(..., n)``; batched inverse of
        :meth:`permutation`.

        Raises
        ------
        ValueError
            if the last dimension is not ``n`` or a row is not a permutation of ``0 .. n-1``.
        """
        p = torch.as_tensor(perm)
        if p.dtype.is_floating_point or p.dtype == torch.bool or p.dtype.is_complex:
            raise TypeError(
                f"permutations of {self} are integer tensors (..., {self.n}), got dtype {p.dtype}"
            )
        if p.dim() < 1 or p.shape[-1] != self.n:
            raise ValueError(f"permutations of {self} have shape (..., {self.n}), got {tuple(p.shape)}")
        p = p.long()
        target = torch.arange(self.n, device=p.device)
        if p.numel() and not bool((p.sort(-1).values == target).all()):
            raise ValueError(f"rows must be permutations of 0..{self.n - 1} (one-line notation of {self})")
        return self._rank(p)

    def sign(self, g: torch.Tensor) -> torch.Tensor:
        """The sign ``(-1)^{#inversions}`` of each permutation, a ``long`` tensor of ``+1`` / ``-1``."""
        p = self.permutation(g)
        n = self.n
        upper = torch.ones(n, n, dtype=torch.bool, device=p.device).triu(1)
        inversions = ((p[..., :, None] > p[..., None, :]) & upper).sum((-2, -1))
        return 1 - 2 * (inversions % 2)

    def cycle_type(self, g) -> tuple[int, ...] | torch.Tensor:
        """The cycle type of each element: the lengths of its cycles, a partition of ``n``.

        Parameters
        ----------
        g:
            One element (a Python or numpy int, or a 0-dimensional tensor), or a batch of elements (a
            tensor, array or list of shape ``batch``).

        Returns
        -------
        tuple of int or torch.Tensor
            For one element, the partition as a non-increasing tuple (fixed points count as cycles of
            length 1); for a batch, a ``long`` tensor ``batch + (n,)`` whose rows are these partitions
            padded with zeros to length ``n``.

        Examples
        --------
        >>> import torch
        >>> S4 = Symmetric(4)
        >>> S4.cycle_type(S4.index_of(torch.tensor([1, 0, 3, 2])))
        (2, 2)
        >>> S4.cycle_type(torch.tensor([0, 1, 9])).tolist()  # 9 is (1, 2, 3, 0), one 4-cycle
        [[1, 1, 1, 1], [2, 1, 1, 0], [4, 0, 0, 0]]
        """
        if isinstance(g, (int, np.integer)) and not isinstance(g, (bool, np.bool_)):
            g = int(g)
            if not 0 <= g < self.order:
                raise ValueError(f"element indices of {self} lie in [0, {self.order}), got {g}")
            row = self._cycle_types(torch.tensor([g]))[0]
            return tuple(int(c) for c in row if c > 0)
        g = self.check_element(torch.as_tensor(g))
        if g.dim() == 0:
            return self.cycle_type(int(g))
        return self._cycle_types(g)

    def _cycle_types(self, g: torch.Tensor) -> torch.Tensor:
        """The cycle types of a batch of elements, ``batch + (n,)`` padded with zeros."""
        p = self._perm_table(g.device)[g]
        points = torch.arange(self.n, device=g.device).expand_as(p)
        # the length of the cycle through each point: the first k with p^k(i) = i
        length = torch.zeros_like(p)
        q = points
        for k in range(1, self.n + 1):
            q = torch.gather(p, -1, q)
            length = torch.where((length == 0) & (q == points), k, length)
        # the points sorted by cycle length, longest first: a cycle of length L is a run of L equal
        # lengths, and each run of equal lengths starts a cycle every L points
        s = length.sort(-1, descending=True).values
        first = (s[..., None, :] > s[..., :, None]).sum(-1)
        start = (torch.arange(self.n, device=g.device) - first) % s == 0
        return torch.where(start, s, 0).sort(-1, descending=True).values

    # -- group law ----------------------------------------------------------------------------------
    def compose_indices(self, a, b):
        perms = self.permutations_np
        a, b = np.broadcast_arrays(np.asarray(a), np.asarray(b))
        pa, pb = perms[a], perms[b]
        return self._rank_np(np.take_along_axis(pa, pb, -1))

    def compose(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """``a o b``: ``(a b)[i] = a[b[i]]`` (apply ``b`` first), batched with broadcasting."""
        a, b = self.check_element(a), self.check_element(b)
        a, b = torch.broadcast_tensors(a, b)
        table = self._perm_table(a.device)
        return self._rank(torch.gather(table[a], -1, table[b]))

    @cached_property
    def inverse_table_np(self) -> np.ndarray:
        # from the permutations: the generic search of the Cayley table needs (n!)^2 entries
        perms = self.permutations_np
        inv = np.empty_like(perms)
        np.put_along_axis(inv, perms, np.arange(self.n)[None, :], axis=1)
        return self._rank_np(inv).astype(np.int64)

    def inverse(self, a: torch.Tensor) -> torch.Tensor:
        p = self.permutation(a)
        inv = torch.empty_like(p)
        inv.scatter_(-1, p, torch.arange(self.n, device=p.device).expand_as(p))
        return self._rank(inv)

    def generators(self) -> list[int]:
        """The adjacent transpositions ``s_i = (i, i+1)``, ``i = 0 .. n-2``, in this order (empty for
        ``S_1``). They satisfy the Coxeter relations ``s_i^2 = e``, ``(s_i s_{i+1})^3 = e`` and
        ``(s_i s_j)^2 = e`` for ``|i - j| > 1``."""
        out = []
        for i in range(self.n - 1):
            p = np.arange(self.n)
            p[i], p[i + 1] = i + 1, i
            out.append(int(self._rank_np(p)))
        return out

    # -- action on R^n ------------------------------------------------------------------------------
    @property
    def action_dim(self) -> int:
        return self.n

    def action_matrix(self, g: torch.Tensor, dtype=torch.float64) -> torch.Tensor:
        """Permutation matrices ``(..., n, n)`` with ``M e_i = e_{p(i)}``, i.e. ``M[p(i), i] = 1``."""
        dtype = dtype if dtype is not None and dtype.is_floating_point else torch.float64
        p = self.permutation(g)
        out = torch.zeros(p.shape[:-1] + (self.n, self.n), dtype=dtype, device=p.device)
        out.scatter_(-2, p.unsqueeze(-2), 1.0)
        return out

    def permute(self, x: torch.Tensor, g: torch.Tensor, dim: int = -1) -> torch.Tensor:
        """The permutation action on the axis ``dim`` of ``x`` (of length ``n``):
        ``(g . x)[p(i)] = x[i]``, i.e. ``(g . x)[j] = x[p^{-1}(j)]``. Exact (an index permutation).

        ``g`` is a single element (0-d) acting on every slice, or a batch of elements of shape ``B``
        acting slice-wise on the leading dimensions ``B`` of ``x`` (``dim`` must not be one of them).
        Agrees with :meth:`action_matrix`: ``permute(x, g) == action_matrix(g) @ x`` along ``dim``.
        """
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"permute takes a torch tensor, got {type(x).__name__}")
        g = self.check_element(torch.as_tensor(g, device=x.device))
        if x.dim() == 0:
            raise ValueError(f"permute needs a tensor with an axis of length {self.n}, got a 0-d tensor")
        dim = dim % x.dim()
        if x.shape[dim] != self.n:
            raise ValueError(
                f"{self} permutes an axis of length {self.n}, got axis {dim} of length {x.shape[dim]} "
                f"in a tensor of shape {tuple(x.shape)}"
            )
        inv = self.permutation(self.inverse(g))
        if g.dim() == 0:
            return torch.index_select(x, dim, inv)
        if g.dim() > dim or tuple(x.shape[: g.dim()]) != tuple(g.shape):
            raise ValueError(
                f"a batch of elements of shape {tuple(g.shape)} acts on the leading dimensions of x, "
                f"which must match it and precede the permuted axis {dim}; x has shape {tuple(x.shape)}"
            )
        xt = x.movedim(dim, -1)
        idx = inv.reshape(tuple(g.shape) + (1,) * (xt.dim() - 1 - g.dim()) + (self.n,)).expand(xt.shape)
        return torch.gather(xt, -1, idx).movedim(-1, dim)


def _symmetric_rule(H: Group, G: Group):
    if isinstance(H, Symmetric) and isinstance(G, Symmetric) and H.n <= G.n:
        m, n = H.n, G.n

        def embed(h):
            p = H.permutation(h)
            fixed = torch.arange(m, n, device=p.device).expand(p.shape[:-1] + (n - m,))
            return G.index_of(torch.cat([p, fixed], -1))

        return embed
    return None


register_inclusion(_symmetric_rule)
