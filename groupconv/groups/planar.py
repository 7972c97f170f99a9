"""Groups acting on the plane: ``C_n``, ``D_n``, ``SO(2)``, ``O(2)``.

The plane carries coordinates ``(x, y)``; ``R(theta)`` is the counter-clockwise rotation by ``theta``
and ``F = diag(1, -1)`` is the reflection across the x-axis.

Examples
--------
>>> import torch
>>> D4 = Dihedral(4)
>>> int(D4.compose(torch.tensor(1), torch.tensor(4)))  # r f is the element r^1 f^1
5
>>> D4.action_matrix(torch.tensor(4)).tolist()  # f acts as F
[[1.0, 0.0], [0.0, -1.0]]
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .base import ContinuousGroup, FiniteGroup

__all__ = ["Cyclic", "Dihedral", "SO2", "O2", "rotation_matrix"]


def rotation_matrix(theta: torch.Tensor) -> torch.Tensor:
    """``R(theta)`` as a ``(..., 2, 2)`` tensor."""
    c, s = torch.cos(theta), torch.sin(theta)
    return torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2)


def uniform_quadrature(degree: int, reflections: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Angles, reflection flags and weights (numpy) of the quadratures of ``SO(2)`` and, with
    ``reflections``, ``O(2)``: ``degree + 1`` uniform angles (then the same angles reflected), equal
    weights; exact for trigonometric polynomials of degree at most ``degree``."""
    if degree < 0:
        raise ValueError(f"quadrature degree must be >= 0, got {degree}")
    n = degree + 1
    theta = np.arange(n) * (2 * math.pi / n)
    if not reflections:
        return theta, np.zeros(n, dtype=np.int64), np.full(n, 1.0 / n)
    return np.tile(theta, 2), np.repeat(np.array([0, 1], dtype=np.int64), n), np.full(2 * n, 0.5 / n)


def _float_dtype(dtype) -> torch.dtype:
    return dtype if dtype is not None and dtype.is_floating_point else torch.float64


class Cyclic(FiniteGroup):
    """The cyclic group ``C_n`` of rotations by multiples of ``2 pi / n``.

    Canonical order: element ``k`` (``0 <= k < n``) is the rotation ``r^k`` by ``2 pi k / n``.
    """

    def __init__(self, n: int):
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
            raise ValueError(f"Cyclic(n) needs an integer n >= 1, got {n!r}")
        self.n = int(n)

    def _key(self) -> tuple:
        return (self.n,)

    @property
    def name(self) -> str:
        return f"C{self.n}"

    @property
    def order(self) -> int:
        return self.n

    def compose_indices(self, a, b):
        return (a + b) % self.n

    def compose(self, a, b):
        a, b = self.check_element(a), self.check_element(b)
        return (a + b) % self.n

    def inverse(self, a):
        return (-self.check_element(a)) % self.n

    def generators(self) -> list[int]:
        return [1 % self.n]

    def angle(self, g: torch.Tensor, dtype=torch.float64) -> torch.Tensor:
        """Rotation angle ``2 pi k / n`` of each element."""
        return self.check_element(g).to(_float_dtype(dtype)) * (2 * math.pi / self.n)

    @property
    def action_dim(self) -> int:
        return 2

    @property
    def grid_dims(self) -> int | None:
        # rotations by multiples of 90 degrees map the pixel grid onto itself
        return 2 if self.n in (1, 2, 4) else None

    def action_matrix(self, g, dtype=torch.float64):
        return rotation_matrix(self.angle(g, dtype))


class Dihedral(FiniteGroup):
    """The dihedral group ``D_n`` of order ``2n``: rotations ``r^k`` and reflections ``r^k f``.

    Canonical order: element ``k + n s`` (``0 <= k < n``, ``s`` in ``{0, 1}``) is ``r^k f^s``, acting on
    the plane as ``R(2 pi k / n) F^s``. The product is
    ``(r^{k1} f^{s1})(r^{k2} f^{s2}) = r^{k1 + (-1)^{s1} k2} f^{s1 + s2}``.
    """

    def __init__(self, n: int):
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
            raise ValueError(f"Dihedral(n) needs an integer n >= 1, got {n!r}")
        self.n = int(n)

    def _key(self) -> tuple:
        return (self.n,)

    @property
    def name(self) -> str:
        return f"D{self.n}"

    @property
    def order(self) -> int:
        return 2 * self.n

    def split(self, g):
        """``(k, s)`` of each element ``r^k f^s``."""
        return g % self.n, g // self.n

    def compose_indices(self, a, b):
        n = self.n
        k1, s1 = a % n, a // n
        k2, s2 = b % n, b // n
        k = (k1 + (1 - 2 * s1) * k2) % n
        return k + n * ((s1 + s2) % 2)

    def compose(self, a, b):
        return self.compose_indices(self.check_element(a), self.check_element(b))

    def inverse(self, a):
        k, s = self.split(self.check_element(a))
        return torch.where(s == 0, (-k) % self.n, a)

    def generators(self) -> list[int]:
        return [1 % self.n, self.n] if self.n > 1 else [1]

    def angle(self, g: torch.Tensor, dtype=torch.float64) -> torch.Tensor:
        """Rotation angle ``2 pi k / n`` of ``r^k f^s``."""
        k, _ = self.split(self.check_element(g))
        return k.to(_float_dtype(dtype)) * (2 * math.pi / self.n)

    def reflection(self, g: torch.Tensor) -> torch.Tensor:
        """``s`` of ``r^k f^s`` (long tensor)."""
        return self.split(self.check_element(g))[1]

    @property
    def action_dim(self) -> int:
        return 2

    @property
    def grid_dims(self) -> int | None:
        # rotations by multiples of 90 degrees and the reflections of D4 map the pixel grid onto itself
        return 2 if self.n in (1, 2, 4) else None

    def action_matrix(self, g, dtype=torch.float64):
        dtype = _float_dtype(dtype)
        s = self.reflection(g).to(dtype)
        flip = torch.stack(
            [
                torch.stack([torch.ones_like(s), torch.zeros_like(s)], -1),
                torch.stack([torch.zeros_like(s), 1 - 2 * s], -1),
            ],
            -2,
        )
        return rotation_matrix(self.angle(g, dtype)) @ flip


def _wrap(theta: torch.Tensor) -> torch.Tensor:
    return torch.remainder(theta, 2 * math.pi)


def _angle_close(a: torch.Tensor, b: torch.Tensor, atol: float) -> torch.Tensor:
    d = torch.remainder(a - b + math.pi, 2 * math.pi) - math.pi
    return d.abs() <= atol


class SO2(ContinuousGroup):
    """The rotation group ``SO(2)``. An element is its angle ``theta`` (a float tensor), kept in
    ``[0, 2 pi)`` by :meth:`compose` and :meth:`inverse`."""

    element_ndim = 0

    @property
    def name(self) -> str:
        return "SO2"

    def check_element(self, g):
        super().check_element(g)
        if not g.is_floating_point():
            raise TypeError(f"elements of SO2 are float angle tensors, got dtype {g.dtype}")
        return g

    def identity(self, batch_shape=(), dtype=torch.float64, device=None):
        return torch.zeros(batch_shape, dtype=_float_dtype(dtype), device=device)

    def compose(self, a, b):
        return _wrap(self.check_element(a) + self.check_element(b))

    def inverse(self, a):
        return _wrap(-self.check_element(a))

    def equal(self, a, b, atol=1e-9):
        return _angle_close(self.check_element(a), self.check_element(b), atol)

    def sample(self, n, generator=None, dtype=torch.float64, device=None):
        return torch.rand(n, generator=generator, dtype=_float_dtype(dtype), device=device) * (2 * math.pi)

    def quadrature(self, degree, dtype=torch.float64, device=None):
        """``degree + 1`` uniform angles with equal weights: exact for trigonometric polynomials of
        degree at most ``degree``."""
        theta, _, w = uniform_quadrature(degree)
        dtype = _float_dtype(dtype)
        return torch.from_numpy(theta).to(device, dtype), torch.from_numpy(w).to(device, dtype)

    def angle(self, g, dtype=None):
        g = self.check_element(g)
        return g if dtype is None else g.to(dtype)

    @property
    def action_dim(self) -> int:
        return 2

    def action_matrix(self, g, dtype=None):
        return rotation_matrix(self.angle(g, dtype))


class O2(ContinuousGroup):
    """The orthogonal group ``O(2)``. An element is a float tensor ``(..., 2)`` holding ``(theta, s)``,
    ``s`` in ``{0, 1}``: the map ``R(theta) F^s``. The product is
    ``(theta1, s1)(theta2, s2) = (theta1 + (-1)^{s1} theta2, s1 xor s2)``."""

    element_ndim = 1

    @property
    def name(self) -> str:
        return "O2"

    def check_element(self, g):
        super().check_element(g)
        if not g.is_floating_point() or g.dim() < 1 or g.shape[-1] != 2:
            raise TypeError(
                f"elements of O2 are float tensors of shape (..., 2) holding (theta, s), got dtype "
                f"{g.dtype} and shape {tuple(g.shape)}"
            )
        return g

    @staticmethod
    def make(theta: torch.Tensor, s) -> torch.Tensor:
        """Build elements from angles and reflection flags."""
        theta = torch.as_tensor(theta)
        if not theta.is_floating_point():
            theta = theta.to(torch.float64)
        s = torch.as_tensor(s, dtype=theta.dtype, device=theta.device)
        theta, s = torch.broadcast_tensors(theta, s)
        return torch.stack([theta, s], -1)

    def identity(self, batch_shape=(), dtype=torch.float64, device=None):
        return torch.zeros(tuple(batch_shape) + (2,), dtype=_float_dtype(dtype), device=device)

    def compose(self, a, b):
        a, b = self.check_element(a), self.check_element(b)
        t1, s1 = a[..., 0], a[..., 1]
        t2, s2 = b[..., 0], b[..., 1]
        return torch.stack([_wrap(t1 + (1 - 2 * s1) * t2), torch.remainder(s1 + s2, 2)], -1)

    def inverse(self, a):
        a = self.check_element(a)
        t, s = a[..., 0], a[..., 1]
        return torch.stack([_wrap(torch.where(s > 0.5, t, -t)), s], -1)

    def equal(self, a, b, atol=1e-9):
        a, b = self.check_element(a), self.check_element(b)
        return _angle_close(a[..., 0], b[..., 0], atol) & ((a[..., 1] - b[..., 1]).abs() < 0.5)

    def sample(self, n, generator=None, dtype=torch.float64, device=None):
        dtype = _float_dtype(dtype)
        theta = torch.rand(n, generator=generator, dtype=dtype, device=device) * (2 * math.pi)
        s = torch.randint(0, 2, (n,), generator=generator, device=device).to(dtype)
        return torch.stack([theta, s], -1)

    def quadrature(self, degree, dtype=torch.float64, device=None):
        """``degree + 1`` uniform angles times both reflection flags, equal weights."""
        theta, s, w = uniform_quadrature(degree, reflections=True)
        dtype = _float_dtype(dtype)
        g = torch.from_numpy(np.stack([theta, s.astype(np.float64)], -1)).to(device, dtype)
        return g, torch.from_numpy(w).to(device, dtype)

    def angle(self, g, dtype=None):
        t = self.check_element(g)[..., 0]
        return t if dtype is None else t.to(dtype)

    def reflection(self, g):
        return self.check_element(g)[..., 1].round().long()

    @property
    def action_dim(self) -> int:
        return 2

    def action_matrix(self, g, dtype=None):
        g = self.check_element(g)
        if dtype is not None:
            g = g.to(dtype)
        s = g[..., 1]
        one, zero = torch.ones_like(s), torch.zeros_like(s)
        flip = torch.stack([torch.stack([one, zero], -1), torch.stack([zero, 1 - 2 * s], -1)], -2)
        return rotation_matrix(g[..., 0]) @ flip
