"""Real irreps of ``SO(3)`` and ``O(3)``: real spherical harmonics and real Wigner-D matrices.

Basis and convention
--------------------
The degree-``l`` irrep acts on the real spherical harmonics ``Y_l = (Y_{l,-l}, ..., Y_{l,l})`` (index
``l + m``), defined on unit vectors ``u = (x, y, z)`` without the Condon-Shortley phase and with
"component" normalization ``sum_m Y_{l,m}(u)^2 = 2l + 1`` (orthonormal for the normalized measure on
``S^2``):

.. math::

    Y_{l,m}(u) = \\sqrt{(2 - \\delta_{m0}) (2l + 1) \\tfrac{(l-|m|)!}{(l+|m|)!}} \\,
        P_l^{|m|}(z) \\, \\begin{cases} \\cos(m\\varphi) & m \\ge 0 \\\\ \\sin(|m|\\varphi) & m < 0
        \\end{cases}

(``P_l^m`` the associated Legendre functions, ``z = cos(theta)``). The real Wigner-D matrix of a rotation
``R`` is the matrix with

.. math::  Y_l(R u) = D^l(R) \\, Y_l(u) ,

so ``D^l(R_1 R_2) = D^l(R_1) D^l(R_2)`` and ``D^l`` is orthogonal. For ``l = 1``, ``Y_1(u) = \\sqrt 3
(y, z, x)``, hence ``D^1(R) = P R P^T`` with the permutation ``P (x, y, z) = (y, z, x)``. e3nn's real irreps
are these after a fixed change of basis (its polar axis is y, its ``D^1(R) = R``):
``D^l_{e3nn}(R) = Q_l D^l(R) Q_l^T`` with ``Q_l = D^l(A)``, ``A (x, y, z) = (z, x, y)``
(:mod:`groupconv.interop.e3nn`).

Computation
-----------
With ``R = Rz(alpha) Ry(beta) Rz(gamma)`` (ZYZ),

.. math::  D^l(\\alpha, \\beta, \\gamma) = Z_l(\\alpha) \\, J_l \\, Z_l(\\beta) \\, J_l \\, Z_l(\\gamma) ,

where ``Z_l(t) = D^l(Rz(t))`` acts on each pair ``(Y_{l,-m}, Y_{l,m})`` as a rotation by ``m t``
(``Z[l-m, l-m] = Z[l+m, l+m] = cos(mt)``, ``Z[l-m, l+m] = -Z[l+m, l-m] = sin(mt)``), and ``J_l = D^l(Q)``
for the rotation ``Q`` by ``pi`` about ``(0, 1, 1)/sqrt(2)``, which swaps the y and z axes and maps x to
-x, so ``Ry(beta) = Q Rz(beta) Q`` (the J-matrix method of Pinchon and Hoggan, J. Phys. A 40, 2007). ``J_l``
is computed once in float64 as ``J_l = \\int_{S^2} Y_l(Q u) Y_l(u)^T du`` on a product Gauss-Legendre x
uniform grid exact for degree ``2l``; everything else is closed form, so the matrices are accurate to
rounding at every degree.

``O(3)``: ``irrep(l, p)`` maps ``g = R (-1)^s`` to ``p^s D^l(R)``; the natural action on ``Y_l`` (the
inversion acting as ``(-1)^l``) is ``irrep(l, (-1)^l)``, so the standard action is ``irrep(1, -1)``.

Examples
--------
>>> import torch
>>> from groupconv.groups import SO3
>>> from groupconv.reps import irreps
>>> [ir.dim for ir in irreps(SO3(), max_degree=2)]
[1, 3, 5]
>>> so3_character(2, torch.tensor(0.0, dtype=torch.float64)).item()  # the dimension 2 l + 1
5.0
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..groups.spatial import O3, SO3, broadcast_angles, gauss_legendre
from ..utils.lazy import sympy
from .irreps import register_irreps
from .representation import Irrep

__all__ = [
    "spherical_harmonics",
    "wigner_D",
    "wigner_D_exact",
    "wigner_D_z",
    "wigner_d_small",
    "wigner_J",
    "so3_character",
    "SO3Irrep",
    "O3Irrep",
]


def _check_degree(l) -> int:
    if isinstance(l, bool) or not isinstance(l, (int, np.integer)) or l < 0:
        raise ValueError(f"the degree l must be an integer >= 0, got {l!r}")
    return int(l)


def _float(x) -> torch.Tensor:
    """A float tensor; python numbers and numpy arrays become float64 (never the float32 default)."""
    if not isinstance(x, torch.Tensor):
        return torch.as_tensor(np.asarray(x, dtype=np.float64))
    return x if x.is_floating_point() else x.to(torch.float64)


def _legendre_scaled(lmax: int, z: torch.Tensor) -> list[list[torch.Tensor]]:
    """``q[l][m](z) = sqrt((2l+1)(l-m)!/(l+m)!) P_l^m(z) / sin(theta)^m`` for ``0 <= m <= l <= lmax``.

    Dividing out ``sin(theta)^m`` leaves polynomials in ``z``, evaluated by the stable three-term
    recurrence of the normalized associated Legendre functions.
    """
    q: list[list[torch.Tensor]] = [[torch.ones_like(z)]]
    for l in range(1, lmax + 1):
        row = []
        for m in range(l + 1):
            if m == l:
                row.append(math.sqrt((2 * m + 1) / (2 * m)) * q[l - 1][l - 1])
            elif m == l - 1:
                row.append(math.sqrt(2 * m + 3) * z * q[l - 1][m])
            else:
                a = math.sqrt((4 * l * l - 1) / (l * l - m * m))
                b = math.sqrt(((l - 1) ** 2 - m * m) / (4 * (l - 1) ** 2 - 1))
                row.append(a * (z * q[l - 1][m] - b * q[l - 2][m]))
        q.append(row)
    return q


def _spherical_harmonics_all(lmax: int, u: torch.Tensor) -> list[torch.Tensor]:
    x, y, z = u[..., 0], u[..., 1], u[..., 2]
    q = _legendre_scaled(lmax, z)
    # Re and Im of (x + i y)^m = sin(theta)^m (cos(m phi), sin(m phi)): polynomial, so smooth at the poles
    re, im = [torch.ones_like(x)], [torch.zeros_like(x)]
    for _ in range(lmax):
        re.append(re[-1] * x - im[-1] * y)
        im.append(re[-2] * y + im[-1] * x)
    out = []
    for l in range(lmax + 1):
        cols = [math.sqrt(2) * q[l][-m] * im[-m] for m in range(-l, 0)]
        cols.append(q[l][0])
        cols += [math.sqrt(2) * q[l][m] * re[m] for m in range(1, l + 1)]
        out.append(torch.stack(cols, -1))
    return out


def spherical_harmonics(l: int, u: torch.Tensor) -> torch.Tensor:
    """Real spherical harmonics ``Y_l(u)`` of shape ``u.shape[:-1] + (2l + 1,)`` (index ``l + m``).

    ``u`` has shape ``(..., 3)`` and is normalized first. Convention (module docstring): no
    Condon-Shortley phase, ``sum_m Y_{l,m}^2 = 2l + 1``, and ``Y_l(R u) = D^l(R) Y_l(u)`` with
    :func:`wigner_D`; ``Y_1(u) = sqrt(3) (y, z, x)``.
    """
    l = _check_degree(l)
    u = _float(u)
    if u.dim() < 1 or u.shape[-1] != 3:
        raise ValueError(f"spherical_harmonics takes points of shape (..., 3), got shape {tuple(u.shape)}")
    u = u / torch.linalg.vector_norm(u, dim=-1, keepdim=True)
    return _spherical_harmonics_all(l, u)[l]


_Q = np.array([[-1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])


_J_CACHE: dict[int, np.ndarray] = {}


def _wigner_J_np(l: int) -> np.ndarray:
    j = _J_CACHE.get(l)
    if j is None:
        # one grid serves every degree up to the next multiple of 16 (minus 1): far fewer small ops
        _compute_wigner_J(16 * (l // 16) + 15)
        j = _J_CACHE[l]
    return j


def _compute_wigner_J(lmax: int) -> None:
    """``J_l`` for all ``l <= lmax`` on a Gauss-Legendre x uniform grid exact for degree ``2 lmax``."""
    nz, nphi = lmax + 1, 2 * lmax + 1
    z, wz = gauss_legendre(nz)
    phi = torch.arange(nphi, dtype=torch.float64) * (2 * math.pi / nphi)
    s = torch.sqrt(1 - z * z)
    u = torch.stack(
        [s[:, None] * torch.cos(phi)[None], s[:, None] * torch.sin(phi)[None], z[:, None].expand(nz, nphi)],
        -1,
    ).reshape(-1, 3)
    w = (wz[:, None] / nphi).expand(nz, nphi).reshape(-1)
    ys = _spherical_harmonics_all(lmax, u)
    yqs = _spherical_harmonics_all(lmax, u @ torch.as_tensor(_Q).T)
    for l, (y, yq) in enumerate(zip(ys, yqs)):
        j = ((yq * w[:, None]).T @ y).numpy()
        # Q is a symmetric involution, so D(Q) is symmetric; symmetrizing removes rounding asymmetry only
        j = (j + j.T) / 2
        j[np.abs(j) < 1e-14] = 0.0
        j.setflags(write=False)
        _J_CACHE.setdefault(l, j)


def wigner_J(l: int) -> np.ndarray:
    """``J_l = D^l(Q)`` (a float64 copy), ``Q`` the rotation by ``pi`` about ``(0, 1, 1)/sqrt 2``;
    ``J_l`` is symmetric, orthogonal, and ``D^l(Ry(beta)) = J_l Z_l(beta) J_l``."""
    return _wigner_J_np(_check_degree(l)).copy()


_TABLES: dict = {}


def _d_table(l: int, dtype: torch.dtype, device) -> torch.Tensor:
    """``T`` of shape ``(2(2l+1), (2l+1)^2)`` with ``vec d^l(beta) = [cos(m beta), sin(m beta)] T``."""
    key = (l, dtype, str(device))
    t = _TABLES.get(key)
    if t is None:
        j = _wigner_J_np(l)
        n = 2 * l + 1
        cos_part = np.einsum("ai,ib->iab", j, j)
        sin_part = -np.einsum("ai,ib->iab", j, j[::-1])
        t = torch.as_tensor(np.concatenate([cos_part, sin_part]).reshape(2 * n, n * n), dtype=torch.float64)
        t = t.to(dtype=dtype, device=device)
        _TABLES[key] = t
    return t


def _m(l: int, like: torch.Tensor) -> torch.Tensor:
    return torch.arange(-l, l + 1, dtype=like.dtype, device=like.device)


def wigner_D_z(l: int, angle) -> torch.Tensor:
    """``Z_l(t) = D^l(Rz(t))``, shape ``angle.shape + (2l+1, 2l+1)``: the rotation by ``m t`` on each
    pair ``(Y_{l,-m}, Y_{l,m})``."""
    l = _check_degree(l)
    t = _float(angle)
    mt = t[..., None] * _m(l, t)
    c, s = torch.cos(mt), torch.sin(mt)
    # Z[i, i] = cos(m_i t) and Z[i, 2l - i] = -sin(m_i t)
    return torch.diag_embed(c) - torch.diag_embed(s).flip(-1)


def wigner_d_small(l: int, beta) -> torch.Tensor:
    """The real-basis Wigner small-d matrix ``d^l(beta) = D^l(Ry(beta)) = J_l Z_l(beta) J_l``, shape
    ``beta.shape + (2l+1, 2l+1)``.

    Evaluated as a trigonometric polynomial, ``d^l(beta) = sum_m cos(m beta) A_m + sin(m beta) B_m`` with
    precomputed float64 tables ``A_m, B_m`` built from ``J_l``; any float dtype and device.
    """
    l = _check_degree(l)
    b = _float(beta)
    n = 2 * l + 1
    mb = b[..., None] * _m(l, b)
    feats = torch.cat([torch.cos(mb), torch.sin(mb)], -1)
    return (feats @ _d_table(l, b.dtype, b.device)).reshape(b.shape + (n, n))


def wigner_D(l: int, alpha, beta, gamma) -> torch.Tensor:
    """Real orthogonal Wigner-D matrices ``D^l(Rz(alpha) Ry(beta) Rz(gamma))``, shape
    ``broadcast(alpha, beta, gamma).shape + (2l+1, 2l+1)``.

    .. math:: D^l(\\alpha, \\beta, \\gamma) = Z_l(\\alpha) \\, d^l(\\beta) \\, Z_l(\\gamma)

    (module docstring). The ``Z`` factors act on rows / columns in closed form, so the cost is one small
    matmul for ``d^l(beta)`` plus ``O((2l+1)^2)`` per element; differentiable in the angles.
    """
    l = _check_degree(l)
    alpha, beta, gamma = broadcast_angles(alpha, beta, gamma)
    d = wigner_d_small(l, beta)
    m = _m(l, d)
    ca, sa = torch.cos(alpha[..., None] * m), torch.sin(alpha[..., None] * m)
    cg, sg = torch.cos(gamma[..., None] * m), torch.sin(gamma[..., None] * m)
    # (Z(a) M)[i] = cos(m_i a) M[i] - sin(m_i a) M[2l - i];  (M Z(g))[:, j] = M[:, j] cos + M[:, 2l - j] sin
    d = ca[..., :, None] * d - sa[..., :, None] * d.flip(-2)
    return d * cg[..., None, :] + d.flip(-1) * sg[..., None, :]


def so3_character(l: int, t) -> torch.Tensor:
    """The character of the degree-``l`` irrep at rotation angle ``t``.

    .. math:: \\chi_l(t) = \\sum_{m=-l}^{l} e^{i m t} = 1 + 2 \\sum_{m=1}^{l} \\cos(m t)
        = \\frac{\\sin((2l+1) t / 2)}{\\sin(t / 2)}

    (evaluated as the cosine sum, which has no removable singularity at ``t = 0``).
    """
    l = _check_degree(l)
    t = _float(t)
    if l == 0:
        return torch.ones_like(t)
    m = torch.arange(1, l + 1, dtype=t.dtype, device=t.device)
    return 1 + 2 * torch.cos(t[..., None] * m).sum(-1)


def _exact_z(l: int, t) -> sympy.Matrix:
    t = sympy.sympify(t)
    z = sympy.zeros(2 * l + 1, 2 * l + 1)
    for i in range(2 * l + 1):
        m = i - l
        z[i, i] = sympy.cos(m * t)
        if m != 0:
            z[i, 2 * l - i] = -sympy.sin(m * t)
    return z


def wigner_D_exact(l: int, alpha, beta, gamma) -> sympy.Matrix:
    """:func:`wigner_D` as an exact sympy Matrix, for sympy (or rational) angles:
    ``Z_l(alpha) J_l Z_l(beta) J_l Z_l(gamma)`` with the exact ``J_l`` of
    :func:`~groupconv.reps.clebsch_gordan_continuous.wigner_J_exact` (entries ``+- sqrt(r)``, ``r`` rational)."""
    from .clebsch_gordan_continuous import wigner_J_exact

    l = _check_degree(l)
    j = wigner_J_exact(l)
    d = _exact_z(l, alpha) * j * _exact_z(l, beta) * j * _exact_z(l, gamma)
    return d


def _euler_triple(g, n: int, what: str) -> tuple:
    if not isinstance(g, (tuple, list)) or len(g) != n:
        raise TypeError(f"the exact form of an element of {what} is a tuple of {n} sympy values, got {g!r}")
    return tuple(g)


def _compute_dtype(g: torch.Tensor, dtype: torch.dtype) -> torch.dtype:
    return torch.promote_types(g.dtype, dtype) if dtype.is_floating_point else g.dtype


class SO3Irrep(Irrep):
    """``irrep(l)`` of ``SO(3)``: ``R -> D^l(R)`` (:func:`wigner_D` of the ZYZ Euler angles of ``R``),
    dimension ``2l + 1``, degree ``l``, real type."""

    def __init__(self, group: SO3, l: int):
        l = _check_degree(l)
        super().__init__(group, l, 2 * l + 1, degree=l, type="R")
        self.l = l

    def is_trivial(self) -> bool:
        return self.l == 0

    def _matrix(self, g, dtype):
        g = g.to(_compute_dtype(g, dtype))
        if self.l == 0:
            # exactly 1, not the rounded Wigner-D evaluation
            return torch.ones(g.shape[:-2] + (1, 1), dtype=dtype, device=g.device)
        return wigner_D(self.l, *SO3.to_euler(g)).to(dtype)

    def _exact(self, g) -> sympy.Matrix:
        """``D^l`` at the exact ZYZ Euler angles ``g = (alpha, beta, gamma)``."""
        return wigner_D_exact(self.l, *_euler_triple(g, 3, "SO3 (alpha, beta, gamma)"))

    def character(self, g, dtype=torch.float64):
        g = self.group.check_element(g)
        return so3_character(self.l, SO3.rotation_angle(g.to(_compute_dtype(g, dtype)))).to(dtype)


class O3Irrep(Irrep):
    """``irrep(l, p)`` of ``O(3)``, ``p`` in ``{1, -1}``: ``R (-1)^s -> p^s D^l(R)``; dimension ``2l + 1``,
    degree ``l``, real type. ``p = (-1)^l`` is the action on spherical harmonics of degree ``l``."""

    def __init__(self, group: O3, l: int, p: int = 1):
        l = _check_degree(l)
        if isinstance(p, bool) or p not in (1, -1):
            raise ValueError(f"irreps of O3 are irrep(l, p) with parity p in {{1, -1}}, got p = {p!r}")
        super().__init__(group, (l, int(p)), 2 * l + 1, degree=l, type="R")
        self.l, self.p = l, int(p)

    def is_trivial(self) -> bool:
        return self.l == 0 and self.p == 1

    def _matrix(self, g, dtype):
        g = g.to(_compute_dtype(g, dtype))
        if self.l == 0:
            R, s = O3.split(g)
            sign = (
                (1 - 2 * s.to(dtype)) if self.p == -1 else torch.ones(s.shape, dtype=dtype, device=g.device)
            )
            return sign[..., None, None]
        R, s = O3.split(g)
        d = wigner_D(self.l, *SO3.to_euler(R))
        if self.p == -1:
            d = d * (1 - 2 * s.to(d.dtype))[..., None, None]
        return d.to(dtype)

    def _exact(self, g) -> sympy.Matrix:
        """``p^s D^l`` at the exact element ``g = (alpha, beta, gamma, s)``, i.e.
        ``Rz(alpha) Ry(beta) Rz(gamma) (-1)^s``."""
        alpha, beta, gamma, s = _euler_triple(g, 4, "O3 (alpha, beta, gamma, s)")
        return wigner_D_exact(self.l, alpha, beta, gamma) * sympy.Integer(self.p) ** int(s)

    def character(self, g, dtype=torch.float64):
        g = self.group.check_element(g)
        R, s = O3.split(g.to(_compute_dtype(g, dtype)))
        chi = so3_character(self.l, SO3.rotation_angle(R))
        if self.p == -1:
            chi = chi * (1 - 2 * s.to(chi.dtype))
        return chi.to(dtype)


def _so3_list(G: SO3, max_degree: int) -> list[Irrep]:
    return [SO3Irrep(G, l) for l in range(_check_degree(max_degree) + 1)]


def _o3_list(G: O3, max_degree: int) -> list[Irrep]:
    return [O3Irrep(G, l, p) for l in range(_check_degree(max_degree) + 1) for p in (1, -1)]


def _o3_get(G: O3, l, p=None) -> Irrep:
    if p is None:
        raise ValueError(f"irreps of O3 are irrep(l, p) with parity p in {{1, -1}}, got irrep({l!r})")
    return O3Irrep(G, l, p)


register_irreps(SO3, _so3_list, lambda G, l: SO3Irrep(G, l))
register_irreps(O3, _o3_list, _o3_get)
