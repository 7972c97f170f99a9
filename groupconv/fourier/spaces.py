"""Function spaces on compact groups and their homogeneous spaces, with their Fourier data.

A :class:`FunctionSpace` describes how a function is stored as a tensor ``(..., num_points)``: on a
finite group, its values on the elements in the group's canonical order; on a finite homogeneous
space ``G/H``, its values on the left cosets ``x_i H`` (ordered by their smallest element
``x_i``, see :func:`~groupconv.groups.left_cosets`); on a continuous group, its samples on an exact
quadrature grid for band-limited functions of bandwidth ``L`` (irreps of degree ``<= L``).

It also holds what the Fourier transform needs: the irreps whose coefficients can be nonzero, the
kept-column bases ``V_rho`` (orthonormal bases of the ``H``-invariant vectors of ``rho``; the identity
on ``G`` itself), and the real Plancherel weights ``d_rho / e_rho`` where ``e_rho = dim End(rho)``.

Real Fourier analysis (Kondor & Trivedi, ICML 2018, section 3, with real irreps): with the Haar
measure of mass 1 and real orthogonal irreps, Schur orthogonality reads

.. math::  \\int_G \\rho_{ij}(u) \\rho_{kl}(u)\\, du
           = \\frac{1}{d_\\rho} \\sum_{a=1}^{e_\\rho} (E_a)_{ik} (E_a)_{jl},

``E_a`` an orthonormal basis of ``End(rho)`` (``{I}`` for real type, ``{I, J}`` for complex type).
Hence the inversion formula and Plancherel's identity

.. math::  f(u) = \\sum_\\rho \\frac{d_\\rho}{e_\\rho} \\operatorname{tr}\\big[\\hat f(\\rho)\\,
           \\rho(u^{-1})\\big], \\qquad
           \\int_G |f(u)|^2 du = \\sum_\\rho \\frac{d_\\rho}{e_\\rho} \\|\\hat f(\\rho)\\|_F^2 .

>>> from groupconv.groups import SO2, Cyclic, Dihedral
>>> X = function_space(Dihedral(3))
>>> X.num_points, [ir.dim for ir in X.irreps], X.plancherel_weights
(6, [1, 1, 2], (1.0, 1.0, 2.0))
>>> Y = HomogeneousSpace(Dihedral(3), Cyclic(3))
>>> Y, Y.num_points, Y.multiplicities
(L2(D3/C3), 2, (1, 1))
>>> function_space(SO2(), 2)
L2(SO2, bandwidth=2)
"""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np
import torch

from ..groups.base import ContinuousGroup, Group
from ..groups.planar import O2, SO2
from ..groups.spatial import SO3
from ..groups.subgroups import inclusion, left_cosets
from ..reps.irreps import irreps as list_irreps
from ..reps.operations import integration_grid
from ..reps.representation import Irrep
from ..utils.deprecation import renamed_keywords
from ..utils.memory import check_memory
from .grids import euler_to_matrix, so3_grid

__all__ = [
    "FunctionSpace",
    "HomogeneousSpace",
    "function_space",
    "resolve_space",
    "endomorphism_dim",
    "is_so3",
]


def endomorphism_dim(ir: Irrep) -> int:
    """``e_rho = dim End(rho)``: 1 (real type), 2 (complex type) or 4 (quaternionic type)."""
    if ir.type == "R":
        return 1
    return int(np.asarray(ir.endomorphism_basis).shape[0])


@renamed_keywords(G="group")
def is_so3(group: Group) -> bool:
    """Whether ``group`` is the rotation group :class:`~groupconv.groups.SO3`, whose function spaces
    have the separable Euler-angle grid and transforms of :mod:`~groupconv.fourier.so3`.

    >>> from groupconv.groups import O3, SO2, SO3
    >>> is_so3(SO3()), is_so3(O3()), is_so3(SO2())
    (True, False, False)
    """
    return isinstance(group, SO3)


def _check_bandwidth(bandwidth, group: Group) -> int:
    if bandwidth is None:
        raise ValueError(f"functions on the continuous group {group} need a bandwidth (an int >= 0)")
    if isinstance(bandwidth, bool) or not isinstance(bandwidth, (int, np.integer)) or bandwidth < 0:
        raise ValueError(f"bandwidth must be an int >= 0, got {bandwidth!r}")
    return int(bandwidth)


def _invariant_basis(ir: Irrep, H: Group | None, iota) -> np.ndarray:
    """Orthonormal basis ``V (d, m)`` of the vectors fixed by ``rho(iota(h))`` for all ``h`` in ``H``.

    ``P = \\int_H rho(h) dh`` is the orthogonal projector onto them. When ``P`` is a coordinate projector
    the basis is made of the standard basis vectors it keeps, so kept columns are plain columns.
    """
    if H is None:
        return np.eye(ir.dim)
    h, w = integration_grid(H, 2 * max(ir.degree, 1)) if not H.is_finite else integration_grid(H)
    mats = ir(iota(h), torch.float64).numpy()
    p = np.einsum("h,hij->ij", w.numpy(), mats)
    diag = np.diag(p)
    if np.allclose(p, np.diag(np.round(diag)), atol=1e-9):
        return np.eye(ir.dim)[:, np.round(diag) > 0.5]
    vals, vecs = np.linalg.eigh((p + p.T) / 2)
    v = vecs[:, vals > 0.5]
    # deterministic signs: the entry of largest modulus of each vector is positive
    idx = np.argmax(np.abs(v), axis=0)
    v = v * np.sign(v[idx, np.arange(v.shape[1])])
    return v


class FunctionSpace:
    """Real functions on a compact group ``G`` (or, in :class:`HomogeneousSpace`, on ``G/H``) stored as
    tensors ``(..., num_points)``.

    Build one with :func:`function_space`. Attributes: ``group``, ``irreps`` (those with a kept column),
    ``columns`` (kept-column bases ``V_rho``, numpy ``(d_rho, m_rho)``), ``plancherel_weights``
    (``d_rho / e_rho``), ``num_points``, ``bandwidth`` (``None`` for finite groups), ``grid_shape``.
    """

    is_group = True
    subgroup: Group | None = None

    def __init__(self, group: Group, bandwidth: int | None = None, grid_size: int | None = None):
        if not isinstance(group, Group):
            raise TypeError(f"a function space needs a groupconv Group, got {type(group).__name__}")
        self.group = group
        self.bandwidth = None if group.is_finite else _check_bandwidth(bandwidth, group)
        self.grid_size = grid_size
        self._setup()

    # -- construction ------------------------------------------------------------------------------
    def _candidate_irreps(self) -> list[Irrep]:
        if self.group.is_finite:
            return list_irreps(self.group)
        return list_irreps(self.group, max_degree=self.bandwidth)

    def _setup(self) -> None:
        G = self.group
        H = self.subgroup
        if G.is_finite:
            # the irreps' tables (sum_rho |G| d_rho^2 = |G|^2 entries) and, on G itself, the analysis and
            # synthesis matrices (|G| x |G| each)
            n = G.order
            check_memory(
                8 * n * n * (1 if H is not None else 3),
                f"the Fourier tables of functions on {G if H is None else f'{G}/{H}'} (irrep tables"
                + (")" if H is not None else " and the |G| x |G| analysis and synthesis matrices)"),
                "use a group of smaller order",
            )
        iota = inclusion(H, G) if H is not None else None
        irs, cols = [], []
        for ir in self._candidate_irreps():
            v = _invariant_basis(ir, H, iota)
            if v.shape[1] > 0:
                irs.append(ir)
                cols.append(v)
        self.irreps = tuple(irs)
        self.columns = tuple(cols)
        self.plancherel_weights = tuple(ir.dim / endomorphism_dim(ir) for ir in irs)
        self.points, self.weights, self.grid_shape = self._grid()
        self.num_points = int(self.weights.shape[0])
        sizes = [ir.dim * v.shape[1] for ir, v in zip(irs, cols)]
        self.offsets = tuple(int(x) for x in np.concatenate([[0], np.cumsum(sizes)]))
        self.num_coefficients = self.offsets[-1]
        self._torch_cache: dict = {}

    def _grid(self):
        G = self.group
        if G.is_finite:
            n = G.order
            return G.elements(), np.full(n, 1.0 / n), (n,)
        L = self.bandwidth
        if isinstance(G, (SO2, O2)):
            n = self.grid_size if self.grid_size is not None else 2 * L + 1
            if not isinstance(n, (int, np.integer)) or n < 2 * L + 1:
                raise ValueError(
                    f"a grid of {n} angles integrates trigonometric polynomials of degree {n - 1} exactly; "
                    f"bandwidth {L} needs degree {2 * L}, i.e. at least {2 * L + 1} angles"
                )
            n = int(n)
            theta = torch.arange(n, dtype=torch.float64) * (2 * math.pi / n)
            if isinstance(G, SO2):
                return theta, np.full(n, 1.0 / n), (n,)
            pts = torch.cat([O2.make(theta, 0.0), O2.make(theta, 1.0)], 0)
            return pts, np.full(2 * n, 0.5 / n), (2, n)
        if is_so3(G):
            alpha, beta, gamma, wb = so3_grid(L)
            a, b, c = np.meshgrid(alpha, beta, gamma, indexing="ij")
            pts = euler_to_matrix(
                torch.as_tensor(a.ravel()), torch.as_tensor(b.ravel()), torch.as_tensor(c.ravel())
            )
            w = np.ones(len(alpha))[:, None, None] * wb[None, :, None] * np.ones(len(gamma))[None, None, :]
            w = w / (len(alpha) * len(gamma))
            return pts, w.ravel(), (len(alpha), len(beta), len(gamma))
        if isinstance(G, ContinuousGroup):
            if self.grid_size is not None:
                raise ValueError(f"grid_size is only used for SO2 and O2, not {G}")
            pts, w = G.quadrature(2 * L)
            return pts, w.numpy(), (int(w.shape[0]),)
        raise TypeError(f"no function space is known for {G}")

    # -- identity ------------------------------------------------------------------------------------
    def _key(self) -> tuple:
        return (self.group, self.subgroup, self.bandwidth, self.num_points)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FunctionSpace) and type(other) is type(self) and other._key() == self._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        bw = "" if self.bandwidth is None else f", bandwidth={self.bandwidth}"
        return f"L2({self.group.name}{bw})"

    @property
    def multiplicities(self) -> tuple[int, ...]:
        """``m_rho``: the number of kept columns of each irrep."""
        return tuple(v.shape[1] for v in self.columns)

    # -- Fourier matrices ------------------------------------------------------------------------------
    @cached_property
    def irrep_values(self) -> list[np.ndarray]:
        """``rho(x_i) V_rho`` on the points, one ``(num_points, d, m)`` array per irrep."""
        pts = self.points
        return [ir(pts, torch.float64).numpy() @ v for ir, v in zip(self.irreps, self.columns)]

    @cached_property
    def analysis_matrix(self) -> np.ndarray:
        """``A (num_points, num_coefficients)``: flattened ``f^(rho) V_rho = f @ A``
        (``A[x, (rho, i, j)] = w_x (rho(x) V_rho)_{ij}``, ``w`` the quadrature weights)."""
        vals = np.concatenate([t.reshape(self.num_points, -1) for t in self.irrep_values], 1)
        return vals * self.weights[:, None]

    @cached_property
    def synthesis_matrix(self) -> np.ndarray:
        """``S (num_coefficients, num_points)``: ``f = fhat_flat @ S`` with
        ``S[(rho, i, j), x] = (d_rho / e_rho) (rho(x) V_rho)_{ij}`` (inversion formula)."""
        rows = [
            w * t.reshape(self.num_points, -1) for w, t in zip(self.plancherel_weights, self.irrep_values)
        ]
        return np.concatenate(rows, 1).T.copy()

    def tensor(self, name: str, dtype: torch.dtype, device) -> torch.Tensor:
        """A cached torch copy of ``analysis_matrix`` / ``synthesis_matrix`` / ... on a dtype and device."""
        key = (name, dtype, torch.device(device) if device is not None else torch.device("cpu"))
        t = self._torch_cache.get(key)
        if t is None:
            t = torch.as_tensor(getattr(self, name), dtype=dtype, device=device)
            self._torch_cache[key] = t
        return t

    def columns_tensors(self, dtype, device) -> list[torch.Tensor]:
        key = ("columns", dtype, torch.device(device))
        t = self._torch_cache.get(key)
        if t is None:
            t = [torch.as_tensor(v, dtype=dtype, device=device) for v in self.columns]
            self._torch_cache[key] = t
        return t

    def flatten(self, blocks) -> torch.Tensor:
        """Concatenate coefficient blocks into ``(..., num_coefficients)``."""
        return torch.cat([b.reshape(b.shape[:-2] + (-1,)) for b in blocks], -1)

    def unflatten(self, flat: torch.Tensor) -> list[torch.Tensor]:
        """Split ``(..., num_coefficients)`` into the blocks ``(..., d_rho, m_rho)``."""
        out = []
        for ir, v, a, b in zip(self.irreps, self.columns, self.offsets[:-1], self.offsets[1:]):
            out.append(flat[..., a:b].reshape(flat.shape[:-1] + (ir.dim, v.shape[1])))
        return out

    def check_function(self, f: torch.Tensor, what: str = "f") -> torch.Tensor:
        """Validate a tensor of function values ``(..., num_points)``."""
        if not isinstance(f, torch.Tensor):
            raise TypeError(
                f"{what} must be a torch.Tensor of shape (..., {self.num_points}), got {type(f).__name__}"
            )
        if f.dim() == 0 or f.shape[-1] != self.num_points:
            raise ValueError(
                f"{what} must have shape (..., {self.num_points}) for functions on {self} "
                f"(grid {self.grid_shape}), got shape {tuple(f.shape)}"
            )
        if not f.is_floating_point():
            raise TypeError(f"{what} must be a float tensor, got dtype {f.dtype}")
        return f

    # -- finite actions --------------------------------------------------------------------------------
    @cached_property
    def action_table(self) -> np.ndarray:
        """Finite groups: ``table[g, x]`` = index of the point ``g x``."""
        if not self.group.is_finite:
            raise TypeError(f"{self.group} is not finite: act through the Fourier domain")
        return self.group.cayley_table_np


class HomogeneousSpace(FunctionSpace):
    """The homogeneous space ``G/H`` of left cosets, and real functions on it.

    A function ``f`` on ``G/H`` lifts to the right-``H``-invariant function ``f_G(u) = f(uH)`` on ``G``
    (:meth:`lift`), and a function on ``G`` projects back by averaging over ``H`` (:meth:`project`).
    The group acts on the left, ``(g . f)(xH) = f(g^{-1} x H)``. Since ``f_G(uh) = f_G(u)``,

    .. math::  \\hat f(\\rho) = \\hat f(\\rho) P_\\rho, \\qquad P_\\rho = \\int_H \\rho(h)\\, dh ,

    so in a basis whose first ``m_rho`` vectors span the ``H``-invariant vectors (``V_rho``), only the
    first ``m_rho`` columns are nonzero (Kondor & Trivedi, ICML 2018, section 4). They are the stored
    coefficients ``f^(rho) V_rho``, and ``m_rho`` is the multiplicity of the trivial irrep of ``H`` in
    ``rho`` restricted to ``H`` (Frobenius reciprocity: the multiplicity of ``rho`` in
    ``Ind_H^G 1``). Irreps with ``m_rho = 0`` are left out.

    Supported: finite ``G`` and any finite subgroup with a known inclusion (``D_n/C_n``, ``C_n/C_m``,
    ``S_n/S_{n-1}``, ...), ``O(2)/SO(2)`` (two points, indexed by the reflection flag ``s``) and
    ``SO(3)/SO(2) = S^2``. On the sphere a function is sampled on the grid ``(beta_j, alpha_i)`` of
    ``L + 1`` Gauss-Legendre colatitudes times ``2L + 1`` uniform longitudes (flat index
    ``j (2L+1) + i``), the point ``R_z(alpha) R_y(beta) e_z``, and its coefficients are real spherical
    harmonic coefficients: the kept column of ``rho_l`` is the ``m = 0`` column of the real Wigner-D
    matrix, ``D^l(R) e_0 = \\sqrt{4 pi / (2l+1)}\\, Y_l(R e_z)``, so
    ``f^(l) V_l = (4 pi (2l+1))^{-1/2} \\int_{S^2} f(x) Y_l(x) dx`` with ``Y_l`` the vector of real
    orthonormal spherical harmonics in the basis of ``rho_l``; ``V_l`` is the basis vector ``m = 0``
    (index ``l``), and with :func:`groupconv.reps.spatial.spherical_harmonics` (normalized by
    ``sum_m Y_lm^2 = 2l + 1``) ``f^(l) V_l`` is ``(2l+1)^{-1/2}`` times the normalized-measure integral
    of ``f Y_l``.
    """

    is_group = False

    def __init__(self, group: Group, subgroup: Group, bandwidth: int | None = None):
        if not isinstance(subgroup, Group):
            raise TypeError(f"the subgroup must be a groupconv Group, got {type(subgroup).__name__}")
        self.subgroup = subgroup
        inclusion(subgroup, group)
        if not group.is_finite:
            ok = (isinstance(group, O2) and isinstance(subgroup, SO2)) or (
                is_so3(group) and isinstance(subgroup, SO2)
            )
            if not ok:
                raise ValueError(
                    f"continuous homogeneous spaces supported: O2/SO2 and SO3/SO2, got {group}/{subgroup}"
                )
        if group.is_finite and not subgroup.is_finite:
            raise ValueError(f"a finite group has no continuous subgroup {subgroup}")
        super().__init__(group, bandwidth if not group.is_finite else None)

    def _key(self) -> tuple:
        return ("homogeneous",) + super()._key()

    def __repr__(self) -> str:
        bw = "" if self.bandwidth is None else f", bandwidth={self.bandwidth}"
        return f"L2({self.group.name}/{self.subgroup.name}{bw})"

    def _grid(self):
        G, H = self.group, self.subgroup
        if G.is_finite:
            reps, coset_of = left_cosets(H, G)
            self.coset_representatives = reps
            self.coset_of = coset_of
            n = len(reps)
            return torch.as_tensor(reps), np.full(n, 1.0 / n), (n,)
        if isinstance(G, O2):
            pts = O2.make(torch.zeros(2, dtype=torch.float64), torch.tensor([0.0, 1.0]))
            return pts, np.full(2, 0.5), (2,)
        alpha, beta, _, wb = so3_grid(self.bandwidth)
        b, a = np.meshgrid(beta, alpha, indexing="ij")
        pts = euler_to_matrix(
            torch.as_tensor(a.ravel()), torch.as_tensor(b.ravel()), torch.zeros(a.size, dtype=torch.float64)
        )
        w = (wb[:, None] * np.ones(len(alpha))[None, :]) / len(alpha)
        self.sphere_angles = (alpha, beta)
        return pts, w.ravel(), (len(beta), len(alpha))

    @property
    def points_on_sphere(self) -> torch.Tensor:
        """SO(3)/SO(2): the grid points ``R e_z`` as unit vectors ``(num_points, 3)``."""
        if not is_so3(self.group):
            raise TypeError(f"{self} is not the sphere")
        return self.points[..., :, 2]

    @cached_property
    def action_table(self) -> np.ndarray:
        """Finite ``G``: ``table[g, x]`` = index of the coset ``g x_i H``."""
        if not self.group.is_finite:
            raise TypeError(f"{self.group} is not finite: act through the Fourier domain")
        table = self.group.cayley_table_np
        return self.coset_of[table[:, self.coset_representatives]]

    def act_on_points(self, g: torch.Tensor) -> torch.Tensor:
        """The images ``g x_i H`` of the points under one element ``g``: indices of cosets (finite ``G``),
        reflection flags (``O2/SO2``) or unit vectors ``g R_i e_z`` (the sphere)."""
        G = self.group
        if G.is_finite:
            return torch.as_tensor(self.action_table[int(g)])
        g = G.check_element(torch.as_tensor(g, dtype=torch.float64))
        if isinstance(G, O2):
            return torch.remainder(torch.tensor([0, 1]) + G.reflection(g), 2)
        return self.points_on_sphere @ g.transpose(-1, -2)

    def group_space(self) -> FunctionSpace:
        """The function space on ``G`` that :meth:`lift` maps to (same bandwidth)."""
        return function_space(self.group, self.bandwidth)

    def lift(self, f: torch.Tensor) -> torch.Tensor:
        """The right-``H``-invariant function ``f_G(u) = f(uH)`` on the grid of :meth:`group_space`."""
        f = self.check_function(f)
        G = self.group
        if G.is_finite:
            return f[..., torch.as_tensor(self.coset_of, device=f.device)]
        target = self.group_space()
        if isinstance(G, O2):
            n = target.grid_shape[1]
            return f[..., :, None].expand(f.shape[:-1] + (2, n)).reshape(f.shape[:-1] + (2 * n,))
        nb, na = self.grid_shape
        ng = target.grid_shape[2]
        x = f.reshape(f.shape[:-1] + (nb, na)).transpose(-1, -2)
        return x[..., None].expand(x.shape + (ng,)).reshape(f.shape[:-1] + (target.num_points,))

    def project(self, f: torch.Tensor) -> torch.Tensor:
        """Average over ``H``: ``f_{G/H}(xH) = \\int_H f(xh) dh`` for ``f`` on the grid of :meth:`group_space`."""
        target = self.group_space()
        f = target.check_function(f, "f (a function on G)")
        G = self.group
        if G.is_finite:
            idx = torch.as_tensor(self.coset_of, device=f.device)
            out = f.new_zeros(f.shape[:-1] + (self.num_points,))
            out = out.index_add(-1, idx, f)
            return out * (self.num_points / G.order)
        if isinstance(G, O2):
            return f.reshape(f.shape[:-1] + target.grid_shape).mean(-1)
        x = f.reshape(f.shape[:-1] + target.grid_shape).mean(-1)
        return x.transpose(-1, -2).reshape(f.shape[:-1] + (self.num_points,))


def function_space(
    group: Group | FunctionSpace, bandwidth: int | None = None, grid_size: int | None = None
) -> FunctionSpace:
    """The :class:`FunctionSpace` of real functions on ``group`` (a finite group: all functions; a
    continuous group: band-limited functions of ``bandwidth`` sampled on its quadrature grid;
    ``grid_size`` sets the number of uniform angles for SO2 / O2, at least ``2 bandwidth + 1``).
    A :class:`FunctionSpace` passes through (its bandwidth must agree when one is given)."""
    if isinstance(group, FunctionSpace):
        if bandwidth is not None and group.bandwidth is not None and bandwidth != group.bandwidth:
            raise ValueError(f"{group} has bandwidth {group.bandwidth}, got bandwidth={bandwidth}")
        return group
    if not isinstance(group, Group):
        raise TypeError(f"expected a groupconv Group or FunctionSpace, got {type(group).__name__}")
    if group.is_finite and bandwidth is not None:
        raise ValueError(f"{group} is finite: functions on it have no bandwidth, got bandwidth={bandwidth}")
    if not group.is_finite:
        bandwidth = _check_bandwidth(bandwidth, group)
    return _cached_space(group, bandwidth, grid_size)


_SPACES: dict = {}


def _cached_space(group, bandwidth, grid_size) -> FunctionSpace:
    key = (group, bandwidth, grid_size)
    sp = _SPACES.get(key)
    if sp is None:
        sp = FunctionSpace(group, bandwidth, grid_size)
        _SPACES[key] = sp
    return sp


@renamed_keywords(G="group")
def resolve_space(
    group: Group, spec=None, bandwidth: int | None = None, grid_size: int | None = None
) -> FunctionSpace:
    """The space named by ``spec``: ``None`` or ``group`` itself (functions on ``G``), a subgroup ``H``
    (functions on ``G/H``) or a :class:`FunctionSpace` of ``group`` (checked against ``bandwidth``).

    >>> from groupconv.groups import Cyclic, Dihedral
    >>> resolve_space(Dihedral(4)), resolve_space(Dihedral(4), Cyclic(4))
    (L2(D4), L2(D4/C4))
    >>> resolve_space(Dihedral(4), Cyclic(4)).num_points
    2
    """
    if not isinstance(group, Group):
        raise TypeError(f"expected a groupconv Group, got {type(group).__name__}")
    if spec is None or (isinstance(spec, Group) and spec == group):
        return function_space(group, bandwidth, grid_size)
    if isinstance(spec, FunctionSpace):
        if spec.group != group:
            raise TypeError(f"the space {spec} is not a space of {group}")
        if bandwidth is not None and spec.bandwidth is not None and spec.bandwidth != bandwidth:
            raise ValueError(f"{spec} has bandwidth {spec.bandwidth}, got bandwidth={bandwidth}")
        return spec
    if isinstance(spec, Group):
        return HomogeneousSpace(group, spec, bandwidth)
    raise TypeError(
        "a space is given as None (functions on G), a subgroup H (functions on G/H) or a FunctionSpace, "
        f"got {type(spec).__name__}"
    )
