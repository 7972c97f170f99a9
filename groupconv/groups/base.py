"""Base classes for compact groups.

Elements are batched tensors with a parametrization documented by each group:

- finite groups: ``torch.long`` tensors of shape ``batch`` holding the index of the element in the
  group's canonical order (see each group's ``elements`` docstring);
- :class:`~groupconv.groups.SO2`: float angles of shape ``batch``;
- :class:`~groupconv.groups.O2`: float tensors of shape ``batch + (2,)`` holding ``(theta, s)`` with
  ``s`` in ``{0, 1}``, the element ``R(theta) F^s``;
- :class:`~groupconv.groups.SO3` / :class:`~groupconv.groups.O3`: rotation (orthogonal) matrices of
  shape ``batch + (3, 3)``.

Conventions: groups act on the left, ``(g . f)(x) = f(g^{-1} x)``, and the Haar
measure is normalized to total mass 1.

Examples
--------
>>> from groupconv.groups import Dihedral
>>> D4 = Dihedral(4)
>>> D4.order, D4.is_finite, int(D4.cayley_table_np[1, 4]), int(D4.inverse_table_np[1])
(8, True, 5, 3)
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import torch

from ..utils.memory import check_memory

__all__ = ["Group", "FiniteGroup", "ContinuousGroup", "check_same_group"]


def check_same_group(expected: Group, given: Group, what: str = "group") -> None:
    """Raise ``TypeError`` when ``given`` is not the group ``expected``."""
    if not isinstance(given, Group):
        raise TypeError(f"expected a {what} {expected}, got {type(given).__name__}")
    if given != expected:
        raise TypeError(f"expected a {what} of {expected}, got one of {given}")


class HashedOnce:
    """For immutable objects that key cached tables: ``hash(_hash_key())`` is computed once per object
    and per process (string hashing is salted, so the cached value is never pickled)."""

    def _hash_key(self) -> tuple:  # pragma: no cover - abstract
        raise NotImplementedError

    def __hash__(self) -> int:
        h = self.__dict__.get("_hash")
        if h is None:
            h = self.__dict__["_hash"] = hash(self._hash_key())
        return h

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("_hash", None)
        return state


class Group(HashedOnce):
    """A compact group.

    Subclasses document the element parametrization. All operations are batched: ``compose(a, b)``
    broadcasts over the leading (batch) dimensions of its arguments.
    """

    #: True for finite groups.
    is_finite: bool = False
    #: Number of trailing dimensions of one element's tensor (0 for indices and angles).
    element_ndim: int = 0

    # -- identity -------------------------------------------------------------------------------
    def __repr__(self) -> str:
        return self.name

    @property
    def name(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Group) and type(other) is type(self) and other._key() == self._key()

    # defining __eq__ unsets an inherited __hash__
    __hash__ = HashedOnce.__hash__

    def _hash_key(self) -> tuple:
        return (type(self).__name__, self._key())

    def _key(self) -> tuple:
        return ()

    # -- group law --------------------------------------------------------------------------------
    def identity(self, batch_shape: tuple[int, ...] = (), dtype=None, device=None) -> torch.Tensor:
        """The identity element, repeated over ``batch_shape``."""
        raise NotImplementedError

    def compose(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """The product ``a b`` (apply ``b`` first when acting), batched with broadcasting."""
        raise NotImplementedError

    def inverse(self, a: torch.Tensor) -> torch.Tensor:
        """The inverse ``a^{-1}``, batched."""
        raise NotImplementedError

    def equal(self, a: torch.Tensor, b: torch.Tensor, atol: float = 1e-9) -> torch.Tensor:
        """Boolean tensor: ``a == b`` elementwise (up to ``atol`` for continuous groups)."""
        raise NotImplementedError

    def sample(
        self, n: int, generator: torch.Generator | None = None, dtype=torch.float64, device=None
    ) -> torch.Tensor:
        """``n`` independent elements drawn from the normalized Haar measure."""
        raise NotImplementedError

    def check_element(self, g: torch.Tensor) -> torch.Tensor:
        """Validate that ``g`` is a tensor of elements of this group and return it."""
        if not isinstance(g, torch.Tensor):
            raise TypeError(f"elements of {self} are torch tensors, got {type(g).__name__}")
        return g

    def batch_shape(self, g: torch.Tensor) -> tuple[int, ...]:
        """The batch shape of an element tensor."""
        return tuple(g.shape[: g.dim() - self.element_ndim])

    # -- actions ------------------------------------------------------------------------------
    def action_matrix(self, g: torch.Tensor) -> torch.Tensor:
        """Matrices ``(..., n, n)`` of the standard action on ``R^n`` (``n`` = :attr:`action_dim`)."""
        raise NotImplementedError(f"{self} has no standard linear action")

    @property
    def action_dim(self) -> int:
        """Dimension of the space the standard action acts on."""
        raise NotImplementedError(f"{self} has no standard linear action")

    @property
    def grid_dims(self) -> int | None:
        """The number of axes (2: pixels, 3: voxels) of the grid that every element maps onto itself by a
        permutation (its action matrices permute the coordinate axes up to sign), or None when the group
        does not act on a grid by permutation; see :mod:`groupconv.groups.actions`."""
        return None


class FiniteGroup(Group):
    """A finite group whose elements are indices ``0 .. order-1`` in a canonical order.

    Subclasses implement :meth:`compose_indices` on numpy arrays (used once to build the Cayley table);
    all batched operations then use the table.
    """

    is_finite = True
    element_ndim = 0

    @property
    def order(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def compose_indices(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:  # pragma: no cover
        """The indices of the products ``a b`` of the elements with indices ``a`` and ``b`` (numpy integer
        arrays, broadcast together), computed from the group law without the Cayley table: this is what
        builds :attr:`cayley_table_np`, and subclasses implement it.

        Examples
        --------
        >>> import numpy as np
        >>> from groupconv.groups import Dihedral
        >>> Dihedral(4).compose_indices(np.array([1, 4]), np.array([4, 1])).tolist()
        [5, 7]
        """
        raise NotImplementedError

    @cached_property
    def cayley_table_np(self) -> np.ndarray:
        """``table[a, b] = index of a b`` as a numpy array ``(order, order)``, built a block of rows at a
        time under the memory budget (:mod:`groupconv.utils.memory`)."""
        n = self.order
        check_memory(
            8 * n * n,
            f"the Cayley table of {self} ({n} x {n} indices)",
            "use a smaller group, or operations that compose elements directly (compose, inverse)",
        )
        table = np.empty((n, n), dtype=np.int64)
        idx = np.arange(n)
        # rows per block: the temporaries of compose_indices (a few arrays of the block's shape) stay small
        step = max(1, 2**20 // n)
        for start in range(0, n, step):
            rows = idx[start : start + step, None]
            table[start : start + step] = self.compose_indices(rows, idx[None, :])
        return table

    @cached_property
    def inverse_table_np(self) -> np.ndarray:
        """``inv[g] = index of g^{-1}`` as a numpy ``int64`` array ``(order,)``, computed once per group:
        from :meth:`inverse` when the group inverts elements directly, else from the Cayley table.
        Read-only by convention (it is shared by every user of the group).

        Examples
        --------
        >>> from groupconv.groups import Cyclic
        >>> Cyclic(4).inverse_table_np.tolist()
        [0, 3, 2, 1]
        """
        if type(self).inverse is not FiniteGroup.inverse:
            # the group inverts elements directly: no Cayley table needed
            return self.inverse(self.elements()).cpu().numpy().astype(np.int64)
        table = self.cayley_table_np
        inv = np.argmax(table == self.identity_index, axis=1)
        return inv.astype(np.int64)

    @property
    def identity_index(self) -> int:
        """Index of the identity in the canonical order (always 0)."""
        return 0

    def cayley_table(self, device=None) -> torch.Tensor:
        """The multiplication table as a ``long`` tensor ``(order, order)``."""
        return torch.as_tensor(self.cayley_table_np, device=device)

    def elements(self, device=None) -> torch.Tensor:
        """All elements ``0 .. order-1`` in the canonical order."""
        return torch.arange(self.order, device=device)

    def check_element(self, g: torch.Tensor) -> torch.Tensor:
        super().check_element(g)
        if g.dtype not in (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8):
            raise TypeError(f"elements of {self} are integer index tensors, got dtype {g.dtype}")
        # a meta tensor has no values to check
        if g.numel() and not g.is_meta and (int(g.min()) < 0 or int(g.max()) >= self.order):
            raise ValueError(
                f"element indices of {self} lie in [0, {self.order}), got range "
                f"[{int(g.min())}, {int(g.max())}]"
            )
        return g.long()

    def identity(self, batch_shape: tuple[int, ...] = (), dtype=None, device=None) -> torch.Tensor:
        return torch.zeros(batch_shape, dtype=torch.long, device=device)

    def compose(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        a = self.check_element(a)
        b = self.check_element(b)
        table = self.cayley_table(device=a.device)
        a, b = torch.broadcast_tensors(a, b)
        return table[a, b]

    def inverse(self, a: torch.Tensor) -> torch.Tensor:
        a = self.check_element(a)
        return torch.as_tensor(self.inverse_table_np, device=a.device)[a]

    def equal(self, a: torch.Tensor, b: torch.Tensor, atol: float = 0.0) -> torch.Tensor:
        return self.check_element(a) == self.check_element(b)

    def sample(
        self, n: int, generator: torch.Generator | None = None, dtype=torch.float64, device=None
    ) -> torch.Tensor:
        return torch.randint(0, self.order, (n,), generator=generator, device=device)

    @cached_property
    def conjugacy_classes(self) -> list[np.ndarray]:
        """Conjugacy classes as sorted index arrays, ordered by their smallest element."""
        table = self.cayley_table_np
        inv = self.inverse_table_np
        seen = np.zeros(self.order, dtype=bool)
        classes = []
        for x in range(self.order):
            if seen[x]:
                continue
            g = np.arange(self.order)
            cls = np.unique(table[table[g, x], inv[g]])
            seen[cls] = True
            classes.append(cls)
        return classes

    def class_of(self) -> np.ndarray:
        """``class_of()[g]`` = index of the conjugacy class of ``g``."""
        out = np.empty(self.order, dtype=np.int64)
        for i, cls in enumerate(self.conjugacy_classes):
            out[cls] = i
        return out

    def element_order(self, g: int) -> int:
        """The order of the element ``g``."""
        k, x = 1, int(g)
        while x != self.identity_index:
            x = int(self.cayley_table_np[x, g])
            k += 1
        return k

    def generators(self) -> list[int]:
        """A small generating set (indices)."""
        raise NotImplementedError


class ContinuousGroup(Group):
    """A compact Lie group with Haar sampling and exact quadrature grids."""

    is_finite = False

    def quadrature(self, degree: int, dtype=torch.float64, device=None) -> tuple[torch.Tensor, torch.Tensor]:
        """Grid elements and weights (summing to 1) that integrate exactly every function whose
        Fourier expansion uses irreps of frequency / degree at most ``degree``."""
        raise NotImplementedError
