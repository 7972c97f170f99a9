"""The angular part of the kernel constraint in space: real spherical harmonics.

On ``R^3`` a steerable kernel is a sum of radial profiles times real spherical harmonics of the direction,

.. math::  K(x) = \\sum_J \\phi(|x|) \\sum_{a=-J}^{J} T_a \\, Y_{J,a}(x / |x|) ,

because ``SO(3)`` and ``O(3)`` map each space of harmonics of degree ``J`` onto itself: with
``Y_J(R u) = D^J(R) Y_J(u)`` (the real Wigner-D matrices of :mod:`groupconv.reps.spatial`) and the inversion
acting as ``(-1)^J``, an orthogonal ``g`` with ``det g = d`` and ``R = d g`` acts by

.. math::  Y_J(g^{-1} u) = L_J(g) \\, Y_J(u), \\qquad L_J(g) = d^J \\, D^J(R)^T .

The constraint ``K(g x) = \\sigma_{out}(g) K(x) \\sigma_{in}(g)^T`` between two irreps then asks that
``T: R^{2J+1} -> R^{d_out} (x) R^{d_in}`` intertwine ``D^J`` with ``\\sigma_{out} (x) \\sigma_{in}``
(Weiler, Geiger, Welling, Boomsma, Cohen, *3D steerable CNNs*, NeurIPS 2018; in general, Lang & Weiler,
*A Wigner-Eckart theorem for group equivariant convolution kernels*, ICLR 2021):

- ``SO(3)``, irreps ``l_out`` and ``l_in``: one solution per degree ``|l_out - l_in| <= J <= l_out + l_in``,
  the real Clebsch-Gordan block ``T[o, i, a] = C^{l_out l_in}_{J}[o, i, a] / \\sqrt{2J + 1}`` (unit norm)
  (:func:`~groupconv.reps.clebsch_gordan_continuous.so3_clebsch_gordan`), in closed form;
- ``O(3)``, irreps ``(l_out, p_out)`` and ``(l_in, p_in)`` (``p = +-1`` the action of the inversion): the
  same blocks for the degrees with ``p_out p_in = (-1)^J``;
- a finite group acting on ``R^3`` (the octahedral and icosahedral groups, with or without the inversion):
  the fixed points of ``T -> \\sigma_{out}(g) T L_J(g)^T \\sigma_{in}(g)^T`` averaged over every element
  (the Reynolds projector of :class:`~groupconv.kernels.angular.AngularBasis`, the solver shared with the
  plane), with the irrep tables of the group and ``L_J(g)`` from its action matrices. A subgroup of
  ``SO(3)`` has at least the solutions of ``SO(3)``: the span of the ``SO(3)`` basis, read in the
  restricted representations, lies in its basis (usually a larger one).

The harmonics are sampled at the voxels themselves (no interpolation), so the cube symmetries, which
permute the voxels, act on the sampled values as ``L_J(g)`` up to rounding; at the centre voxel every
harmonic of degree ``J > 0`` is 0. The radial profiles and the largest degree of each shell are those of the
plane (:mod:`~groupconv.kernels.radial`).

Examples
--------
>>> from groupconv.groups import SO3
>>> from groupconv.kernels import angular_basis
>>> from groupconv.reps import irrep
>>> basis = angular_basis(SO3(), spatial_dims=3)
>>> sols = basis.solutions([(irrep(SO3(), 1), irrep(SO3(), 1))], (0, 1, 2, 3))[0]
>>> [sols[J].shape[0] for J in range(4)]  # J = 0, 1, 2: one solution each
[1, 1, 1, 0]
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from ..groups.base import Group
from ..groups.spatial import O3, SO3
from ..reps.clebsch_gordan_continuous import so3_clebsch_gordan
from ..reps.representation import Irrep
from ..reps.spatial import spherical_harmonics, wigner_D
from .angular import ANGULAR_BASES, AngularBasis

__all__ = ["SphericalHarmonics", "SPHERICAL", "sampled_spherical_harmonics", "spherical_action"]


def sampled_spherical_harmonics(coords: np.ndarray, max_degree: int) -> np.ndarray:
    """Real spherical harmonics ``Y_J(x / |x|)`` of degrees ``J = 0..max_degree`` at the points ``coords``
    (``(3, ...)``, rows ``x, y, z``): array ``(L+1, 2L+1, ...)``, degree ``J`` in the first ``2J+1``
    components (index ``J + m``, the convention of :func:`~groupconv.reps.spherical_harmonics`:
    ``sum_m Y_{J,m}^2 = 2J + 1``), the others 0. At the origin every harmonic of degree ``J > 0`` is 0.

    Examples
    --------
    >>> import numpy as np
    >>> y = sampled_spherical_harmonics(np.array([[0.0, 2.0], [0.0, 0.0], [0.0, 0.0]]), 1)
    >>> y[1, :, 1].round(6).tolist()  # sqrt(3) (y, z, x) at x = (2, 0, 0)
    [0.0, 0.0, 1.732051]
    >>> y[1, :, 0].tolist()  # the origin
    [0.0, 0.0, 0.0]
    """
    coords = np.asarray(coords, dtype=np.float64)
    if coords.ndim < 1 or coords.shape[0] != 3:
        raise ValueError(f"points in space have 3 coordinates (x, y, z) first, got shape {coords.shape}")
    if isinstance(max_degree, bool) or not isinstance(max_degree, (int, np.integer)) or max_degree < 0:
        raise ValueError(f"max_degree must be an int >= 0, got {max_degree!r}")
    grid = coords.shape[1:]
    pts = np.moveaxis(coords, 0, -1).reshape(-1, 3)
    origin = ~(pts != 0).any(1)
    # any direction stands in for the origin, whose harmonics of degree > 0 are then set to 0
    u = torch.from_numpy(np.where(origin[:, None], np.array([0.0, 0.0, 1.0]), pts))
    out = np.zeros((max_degree + 1, 2 * max_degree + 1, pts.shape[0]))
    for degree in range(max_degree + 1):
        y = spherical_harmonics(degree, u).numpy().T
        if degree > 0:
            y[:, origin] = 0.0
        out[degree, : 2 * degree + 1] = y
    return out.reshape((max_degree + 1, 2 * max_degree + 1) + grid)


def spherical_action(matrices: np.ndarray, degree: int) -> np.ndarray:
    """``L_J(g)`` with ``Y_J(g^{-1} u) = L_J(g) Y_J(u)`` for orthogonal matrices ``g`` (``(n, 3, 3)``):
    ``d^J D^J(d g)^T``, ``d = det g`` (the inversion acts on degree ``J`` as ``(-1)^J``). Shape
    ``(n, 2J+1, 2J+1)``.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(spherical_action(-np.eye(3)[None], 3)[0, 0, 0]), 12)  # the inversion on degree 3
    -1.0
    """
    m = np.asarray(matrices, dtype=np.float64)
    det = np.sign(np.linalg.det(m))
    rot = torch.from_numpy(m * det[:, None, None])
    d = wigner_D(int(degree), *SO3.to_euler(rot)).numpy()
    return (det**degree)[:, None, None] * d.transpose(0, 2, 1)


class SphericalHarmonics(AngularBasis):
    """The angular basis of space: real spherical harmonics ``Y_J`` (``2J + 1`` functions of degree ``J``),
    for ``SO(3)``, ``O(3)`` and every finite group acting on ``R^3`` (module docstring).

    Examples
    --------
    >>> from groupconv.groups import O3, SO2
    >>> SPHERICAL.supports(O3()), SPHERICAL.supports(SO2()), SPHERICAL.multiplicity(2)
    (True, False, 5)
    """

    spatial_dims = 3

    def supports(self, group: Group) -> bool:
        if isinstance(group, (SO3, O3)):
            return True
        return bool(group.is_finite) and _action_dim(group) == 3

    def multiplicity(self, k: int) -> int:
        return 2 * int(k) + 1

    def components(self, k: int) -> tuple:
        return tuple(range(-int(k), int(k) + 1))

    def harmonics(self, coords: np.ndarray, max_frequency: int) -> np.ndarray:
        return sampled_spherical_harmonics(coords, max_frequency)

    def _finite(self, group: Group) -> Group:
        if not group.is_finite:
            raise TypeError(
                f"the constraint of {group} is solved in closed form (Clebsch-Gordan), without averaging "
                "elements; only finite groups average over their elements"
            )
        return group

    def weights(self, group: Group, degree: int) -> np.ndarray:
        n = self._finite(group).order
        return np.full(n, 1.0 / n)

    def averaging_action(self, group: Group, degree: int, k: int) -> np.ndarray:
        return _finite_action(self._finite(group), int(k))

    def irrep_table(self, irrep: Irrep, degree: int) -> np.ndarray:
        return _finite_table(irrep)

    def averaging_degree(self, group: Group, degree: int) -> int:
        # finite groups: every element for every degree; SO(3) / O(3): no averaging at all
        return 0

    def _solve_items(self, group: Group, degree: int, items: list) -> list[np.ndarray]:
        if not group.is_finite:
            return [_clebsch_gordan_solutions(so, si, k) for so, si, k in items]
        # the Reynolds operator of an item acts on (d x d x d) blocks, d its largest irrep or harmonic
        # space: items are solved in batches of one block size, so that few small items pad to a large one
        by_size: dict = {}
        for n, (so, si, k) in enumerate(items):
            by_size.setdefault(max(so.dim, si.dim, self.multiplicity(k)), []).append(n)
        out: list = [None] * len(items)
        for ns in by_size.values():
            for n, t in zip(ns, super()._solve_items(group, degree, [items[n] for n in ns])):
                out[n] = t
        return out


def _action_dim(group: Group) -> int | None:
    try:
        return int(group.action_dim)
    except NotImplementedError:
        return None


@lru_cache(maxsize=256)
def _finite_action(group: Group, k: int) -> np.ndarray:
    m = group.action_matrix(group.elements(), dtype=torch.float64).numpy()
    out = spherical_action(m, k)
    out.flags.writeable = False
    return out


@lru_cache(maxsize=1024)
def _finite_table(irrep: Irrep) -> np.ndarray:
    table = getattr(irrep, "table", None)
    if isinstance(table, np.ndarray):
        return table
    return irrep(irrep.group.elements()).numpy()


@lru_cache(maxsize=4096)
def _clebsch_gordan_solutions(sigma_out: Irrep, sigma_in: Irrep, degree: int) -> np.ndarray:
    """The angular solution ``(1, d_out, d_in, 2J+1)`` of degree ``J`` between two irreps of ``SO(3)`` or
    ``O(3)`` (their real Clebsch-Gordan block), or ``(0, ...)`` when the selection rules forbid it."""
    l_out, l_in = sigma_out.degree, sigma_in.degree
    allowed = abs(l_out - l_in) <= degree <= l_out + l_in
    if isinstance(sigma_out.group, O3):
        # the inversion acts on the kernel as p_out p_in and on the harmonics of degree J as (-1)^J
        allowed = allowed and sigma_out.id[1] * sigma_in.id[1] == (-1) ** degree
    if not allowed:
        out = np.zeros((0, sigma_out.dim, sigma_in.dim, 2 * degree + 1))
    else:
        # unit norm, as the solutions of the Reynolds solver (the block's 2J + 1 columns are orthonormal)
        out = so3_clebsch_gordan(l_out, l_in, degree)[None] / np.sqrt(2 * degree + 1)
    out.flags.writeable = False
    return out


SPHERICAL = SphericalHarmonics()
ANGULAR_BASES[3] = (SPHERICAL,)
