"""Direct products ``G x H`` of compact groups.

Element layout
--------------
- Both factors finite: ``G x H`` is a :class:`~groupconv.groups.FiniteGroup`; the pair ``(g, h)`` has
  index ``g |H| + h`` (``g`` major), so the canonical order is the lexicographic order of pairs.
- Otherwise: ``G x H`` is a :class:`~groupconv.groups.ContinuousGroup` whose element is one float tensor
  ``batch + (m_G + m_H,)``: the flattened parametrization of ``g`` followed by that of ``h``. An index of
  a finite factor and an angle of ``SO(2)`` take one slot, ``(theta, s)`` of ``O(2)`` two, a rotation
  matrix of ``SO(3)`` nine (row-major). :meth:`DirectProduct.split` and :meth:`DirectProduct.combine`
  convert between the two.

All operations (compose, inverse, equal, sample, quadrature) act component-wise; the quadrature grid is
the product of the factors' grids (all elements for a finite factor), with product weights.

Examples
--------
>>> import torch
>>> from groupconv.groups import SO2, Cyclic
>>> P = DirectProduct(Cyclic(4), SO2())
>>> P.name, P.is_finite, P.element_size
('C4xSO2', False, 2)
>>> g = P.combine(torch.tensor(1), torch.tensor(0.5, dtype=torch.float64))
>>> g.tolist(), [x.tolist() for x in P.split(g)]
([1.0, 0.5], [1, 0.5])
"""

from __future__ import annotations

import math

import torch

from ..utils.deprecation import renamed_keywords
from .base import ContinuousGroup, FiniteGroup, Group
from .subgroups import inclusion, register_inclusion

__all__ = ["DirectProduct"]


def _factor_name(G: Group) -> str:
    return f"({G.name})" if isinstance(G, DirectProduct) else G.name


class DirectProduct(Group):
    """The direct product ``G x H`` with ``(g1, h1)(g2, h2) = (g1 g2, h1 h2)``.

    ``DirectProduct(first, second)`` is a finite group when both factors are finite (element ``(g, h)``
    has index ``g |H| + h``) and a continuous group otherwise (element = concatenated flattened
    parametrizations); see :mod:`groupconv.groups.product`. Its name is ``"<G>x<H>"`` (e.g. ``"C4xC2"``),
    with parentheses around a factor that is itself a product.

    The factors ``first`` and ``second`` are kept as the attributes :attr:`G` and :attr:`H`; the keywords
    ``G=`` and ``H=`` are deprecated names of ``first=`` and ``second=``.

    Examples
    --------
    >>> import torch
    >>> from groupconv.groups import Cyclic
    >>> G = DirectProduct(Cyclic(4), Cyclic(2))
    >>> G.name, G.order, int(G.combine(torch.tensor(3), torch.tensor(1)))
    ('C4xC2', 8, 7)
    """

    @renamed_keywords(G="first", H="second")
    def __new__(cls, first: Group, second: Group):
        # the constructor is __new__ alone, so that DirectProduct(...) can return the finite or the
        # continuous subclass and a deprecated keyword is translated (and warned about) once
        if not isinstance(first, Group) or not isinstance(second, Group):
            raise TypeError(
                f"DirectProduct takes two groupconv Groups, got {type(first).__name__} and "
                f"{type(second).__name__}"
            )
        if cls is DirectProduct:
            cls = FiniteDirectProduct if (first.is_finite and second.is_finite) else ContinuousDirectProduct
        self = super().__new__(cls)
        self.G = first
        self.H = second
        self._setup()
        return self

    def __getnewargs__(self):
        return (self.G, self.H)

    def _setup(self) -> None:
        """Derived attributes of a subclass, computed once the factors are set."""

    @property
    def factors(self) -> tuple[Group, Group]:
        """The factors ``(G, H)``."""
        return (self.G, self.H)

    def _key(self) -> tuple:
        return (self.G, self.H)

    @property
    def name(self) -> str:
        return f"{_factor_name(self.G)}x{_factor_name(self.H)}"

    @property
    def action_dim(self) -> int:
        return self.G.action_dim + self.H.action_dim

    def action_matrix(self, g: torch.Tensor, dtype=torch.float64) -> torch.Tensor:
        """Block-diagonal ``diag(A_G(g), A_H(h))`` acting on ``R^{n_G} (+) R^{n_H}``."""
        a, b = self.split(g)
        ma, mb = self.G.action_matrix(a, dtype=dtype), self.H.action_matrix(b, dtype=dtype)
        ma, mb = ma.to(dtype), mb.to(dtype)
        na, nb = ma.shape[-1], mb.shape[-1]
        batch = torch.broadcast_shapes(ma.shape[:-2], mb.shape[:-2])
        out = ma.new_zeros(batch + (na + nb, na + nb))
        out[..., :na, :na] = ma
        out[..., na:, na:] = mb
        return out

    def split(self, g: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # pragma: no cover - abstract
        raise NotImplementedError

    def combine(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError


class FiniteDirectProduct(DirectProduct, FiniteGroup):
    """``G x H`` of two finite groups; the element ``(g, h)`` has index ``g |H| + h``."""

    @property
    def order(self) -> int:
        return self.G.order * self.H.order

    def split(self, g: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(g_G, g_H)`` index tensors of each element ``g = g_G |H| + g_H``."""
        g = self.check_element(g)
        return g // self.H.order, g % self.H.order

    def combine(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """The index ``a |H| + b`` of the pair ``(a, b)``, batched with broadcasting."""
        a = self.G.check_element(torch.as_tensor(a))
        b = self.H.check_element(torch.as_tensor(b, device=a.device))
        return a * self.H.order + b

    def compose_indices(self, a, b):
        m = self.H.order
        tg, th = self.G.cayley_table_np, self.H.cayley_table_np
        return tg[a // m, b // m] * m + th[a % m, b % m]

    def compose(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        a1, a2 = self.split(a)
        b1, b2 = self.split(b)
        return self.combine(self.G.compose(a1, b1), self.H.compose(a2, b2))

    def inverse(self, a: torch.Tensor) -> torch.Tensor:
        a1, a2 = self.split(a)
        return self.combine(self.G.inverse(a1), self.H.inverse(a2))

    def generators(self) -> list[int]:
        """``(s, e)`` for the generators ``s`` of ``G``, then ``(e, t)`` for those of ``H``."""
        m = self.H.order
        return [int(s) * m for s in self.G.generators()] + [int(t) for t in self.H.generators()]


def _element_shape(G: Group) -> tuple[int, ...]:
    return tuple(G.identity().shape)


class ContinuousDirectProduct(DirectProduct, ContinuousGroup):
    """``G x H`` with at least one continuous factor; an element is the float tensor
    ``cat(flatten(g), flatten(h))`` of shape ``batch + (m_G + m_H,)``."""

    element_ndim = 1

    def _setup(self) -> None:
        self._shapes = (_element_shape(self.G), _element_shape(self.H))
        self._sizes = tuple(math.prod(s) for s in self._shapes)

    @property
    def element_size(self) -> int:
        """Length ``m_G + m_H`` of the last dimension of an element."""
        return sum(self._sizes)

    def check_element(self, g):
        super().check_element(g)
        if not g.is_floating_point() or g.dim() < 1 or g.shape[-1] != self.element_size:
            raise TypeError(
                f"elements of {self} are float tensors of shape (..., {self.element_size}), got dtype "
                f"{g.dtype} and shape {tuple(g.shape)}"
            )
        return g

    def _unflatten(self, F: Group, x: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
        x = x.reshape(x.shape[:-1] + shape)
        if F.is_finite:
            return x.round().long()
        return x

    def _flatten(self, F: Group, x: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        x = F.check_element(x)
        batch = F.batch_shape(x)
        return x.reshape(batch + (-1,)).to(dtype)

    def split(self, g: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The factor elements ``(g_G, g_H)`` in their own parametrizations (indices of a finite factor
        as ``long`` tensors)."""
        g = self.check_element(g)
        m = self._sizes[0]
        return (
            self._unflatten(self.G, g[..., :m], self._shapes[0]),
            self._unflatten(self.H, g[..., m:], self._shapes[1]),
        )

    def combine(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """The element ``(a, b)``: concatenated flattened parametrizations, batched with broadcasting.
        The dtype is that of the continuous factor's element (float64 if both are)."""
        dtypes = [x.dtype for x in (a, b) if isinstance(x, torch.Tensor) and x.is_floating_point()]
        dtype = dtypes[0] if dtypes else torch.float64
        fa, fb = self._flatten(self.G, a, dtype), self._flatten(self.H, b, dtype)
        batch = torch.broadcast_shapes(fa.shape[:-1], fb.shape[:-1])
        fb = fb.to(fa.device)
        return torch.cat([fa.expand(batch + fa.shape[-1:]), fb.expand(batch + fb.shape[-1:])], -1)

    def identity(self, batch_shape=(), dtype=torch.float64, device=None):
        dtype = dtype if dtype is not None and dtype.is_floating_point else torch.float64
        a = self.G.identity(tuple(batch_shape), dtype=dtype, device=device)
        b = self.H.identity(tuple(batch_shape), dtype=dtype, device=device)
        return self.combine(a, b).to(dtype)

    def compose(self, a, b):
        a1, a2 = self.split(a)
        b1, b2 = self.split(b)
        return self.combine(self.G.compose(a1, b1), self.H.compose(a2, b2)).to(a.dtype)

    def inverse(self, a):
        a1, a2 = self.split(a)
        return self.combine(self.G.inverse(a1), self.H.inverse(a2)).to(a.dtype)

    def equal(self, a, b, atol=1e-9):
        a1, a2 = self.split(a)
        b1, b2 = self.split(b)
        return self.G.equal(a1, b1, atol=atol) & self.H.equal(a2, b2, atol=atol)

    def sample(self, n, generator=None, dtype=torch.float64, device=None):
        dtype = dtype if dtype is not None and dtype.is_floating_point else torch.float64
        a = self.G.sample(n, generator=generator, dtype=dtype, device=device)
        b = self.H.sample(n, generator=generator, dtype=dtype, device=device)
        return self.combine(a, b).to(dtype)

    def _factor_grid(self, F: Group, degree: int, dtype, device):
        if F.is_finite:
            g = F.elements(device=device)
            return g, torch.full((F.order,), 1.0 / F.order, dtype=dtype, device=device)
        return F.quadrature(degree, dtype=dtype, device=device)

    def quadrature(self, degree, dtype=torch.float64, device=None):
        """Product grid: every point ``(a_i, b_j)`` of the factors' grids (each exact to ``degree``; all
        elements for a finite factor) with weight ``w_i v_j``. Exact for products of band-limited
        functions of degree at most ``degree`` on each factor."""
        dtype = dtype if dtype is not None and dtype.is_floating_point else torch.float64
        a, wa = self._factor_grid(self.G, degree, dtype, device)
        b, wb = self._factor_grid(self.H, degree, dtype, device)
        na, nb = wa.shape[0], wb.shape[0]
        fa = self._flatten(self.G, a, dtype)
        fb = self._flatten(self.H, b, dtype)
        grid = torch.cat(
            [fa[:, None].expand(na, nb, fa.shape[-1]), fb[None, :].expand(na, nb, fb.shape[-1])], -1
        )
        w = (wa[:, None] * wb[None, :]).to(dtype)
        return grid.reshape(na * nb, -1), w.reshape(-1)


def _product_rule(K: Group, P: Group):
    if not isinstance(P, DirectProduct):
        return None
    G, H = P.factors
    if isinstance(K, DirectProduct):
        try:
            iota_g, iota_h = inclusion(K.G, G), inclusion(K.H, H)
        except ValueError:
            iota_g = iota_h = None
        if iota_g is not None:

            def pair(k):
                a, b = K.split(k)
                return P.combine(iota_g(a), iota_h(b))

            return pair
    # a factor itself takes precedence over a subgroup of the other factor (C2 -> SO2 x C2 is (e, h))
    exact = [(w, F) for w, F in ((0, G), (1, H)) if F == K]
    for which, F in exact + [(0, G), (1, H)]:
        try:
            iota = inclusion(K, F)
        except (ValueError, TypeError):
            continue

        def embed(k, iota=iota, which=which):
            x = iota(K.check_element(k))
            batch = (G if which == 0 else H).batch_shape(x)
            dtype = x.dtype if x.is_floating_point() else torch.float64
            other = (H if which == 0 else G).identity(batch, dtype=dtype, device=x.device)
            return P.combine(x, other) if which == 0 else P.combine(other, x)

        return embed
    return None


register_inclusion(_product_rule)
