"""Groups acting on space: the rotation group ``SO(3)`` and the orthogonal group ``O(3)``.

Elements are matrices of shape ``batch + (3, 3)`` acting on column vectors ``(x, y, z)``: rotation
matrices (``det = +1``) for :class:`SO3`, orthogonal matrices (``det = +-1``) for :class:`O3`.

Parametrizations (all batched and differentiable; conversions are static methods of :class:`SO3`):

- **Euler angles, ZYZ**: ``R = Rz(alpha) Ry(beta) Rz(gamma)`` with ``alpha, gamma`` in ``[0, 2 pi)`` and
  ``beta`` in ``[0, pi]``; ``Rz``, ``Ry`` are the counter-clockwise rotations about the z and y axes.
- **Unit quaternions** ``q = (w, x, y, z)``: ``R = I + 2 w [v]_x + 2 [v]_x^2`` with ``v = (x, y, z)``;
  ``q`` and ``-q`` give the same rotation, :meth:`SO3.to_quaternion` returns the one with ``w >= 0``.
- **Axis and angle**: the rotation by ``t`` in ``[0, pi]`` counter-clockwise about the unit ``axis``
  (Rodrigues' formula ``R = I + sin t [n]_x + (1 - cos t) [n]_x^2``).
- ``O(3)``: ``g = R (-1)^s`` with ``R`` in ``SO(3)`` and ``s`` in ``{0, 1}`` (``s = 1`` adds the
  inversion ``-I``); :meth:`O3.make` and :meth:`O3.split` convert.

Examples
--------
>>> import math, torch
>>> R = SO3.from_euler(0.0, math.pi / 2, 0.0)  # a quarter turn about y takes z to x
>>> z = torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64)
>>> torch.allclose(R @ z, torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64))
True
>>> O3.split(O3.make(R, 1))[1].item()
1
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .base import ContinuousGroup
from .planar import O2, SO2, Cyclic, Dihedral
from .subgroups import register_inclusion

__all__ = ["SO3", "O3", "gauss_legendre"]


def _float_dtype(dtype) -> torch.dtype:
    return dtype if dtype is not None and dtype.is_floating_point else torch.float64


def _as_float(x, dtype=None, device=None) -> torch.Tensor:
    """A float tensor; python numbers and numpy arrays become float64 (never the float32 default)."""
    if not isinstance(x, torch.Tensor):
        x = torch.as_tensor(np.asarray(x, dtype=np.float64), device=device)
    elif device is not None:
        x = x.to(device)
    if dtype is not None:
        return x.to(dtype)
    return x if x.is_floating_point() else x.to(torch.float64)


def broadcast_angles(*xs) -> list[torch.Tensor]:
    """Broadcast angle arguments to one float dtype: that of the float tensors among them (promoted),
    float64 when none is a float tensor; python numbers are converted from float64."""
    dtypes = [x.dtype for x in xs if isinstance(x, torch.Tensor) and x.is_floating_point()]
    dtype = torch.float64
    if dtypes:
        dtype = dtypes[0]
        for d in dtypes[1:]:
            dtype = torch.promote_types(dtype, d)
    device = next((x.device for x in xs if isinstance(x, torch.Tensor)), None)
    return list(torch.broadcast_tensors(*[_as_float(x, dtype, device) for x in xs]))


def _tolerance(dtype: torch.dtype) -> float:
    # float64 rotations built in float32 and cast up are orthogonal to ~1e-7
    return 1e-6 if dtype == torch.float64 else 1e-3 if dtype == torch.float32 else 3e-2


def _det3(m: torch.Tensor) -> torch.Tensor:
    return (m[..., 0, :] * torch.linalg.cross(m[..., 1, :], m[..., 2, :], dim=-1)).sum(-1)


def _rz(t: torch.Tensor) -> torch.Tensor:
    c, s = torch.cos(t), torch.sin(t)
    o, z = torch.ones_like(t), torch.zeros_like(t)
    return torch.stack(
        [torch.stack([c, -s, z], -1), torch.stack([s, c, z], -1), torch.stack([z, z, o], -1)], -2
    )


def _ry(t: torch.Tensor) -> torch.Tensor:
    c, s = torch.cos(t), torch.sin(t)
    o, z = torch.ones_like(t), torch.zeros_like(t)
    return torch.stack(
        [torch.stack([c, z, s], -1), torch.stack([z, o, z], -1), torch.stack([-s, z, c], -1)], -2
    )


def gauss_legendre(n: int, dtype=torch.float64, device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` Gauss-Legendre nodes ``x_j`` in ``(-1, 1)`` (ascending) and weights summing to 1.

    Exact for polynomials of degree ``<= 2n - 1`` against the normalized measure ``dx / 2``.
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"the number of Gauss-Legendre nodes must be an integer >= 1, got {n!r}")
    x, w = np.polynomial.legendre.leggauss(int(n))
    return (
        torch.as_tensor(x, dtype=torch.float64, device=device).to(_float_dtype(dtype)),
        torch.as_tensor(w / 2, dtype=torch.float64, device=device).to(_float_dtype(dtype)),
    )


def _uniform_angles(n: int, device=None) -> torch.Tensor:
    return torch.arange(n, dtype=torch.float64, device=device) * (2 * math.pi / n)


class _MatrixGroup3(ContinuousGroup):
    """Shared element handling of :class:`SO3` and :class:`O3` (matrices ``batch + (3, 3)``)."""

    element_ndim = 2

    def _check_shape(self, g) -> torch.Tensor:
        if not isinstance(g, torch.Tensor):
            raise TypeError(f"elements of {self} are torch tensors, got {type(g).__name__}")
        if not g.is_floating_point():
            raise TypeError(f"elements of {self} are float tensors of shape (..., 3, 3), got dtype {g.dtype}")
        if g.dim() < 2 or tuple(g.shape[-2:]) != (3, 3):
            raise ValueError(
                f"elements of {self} are matrices of shape (..., 3, 3), got shape {tuple(g.shape)}"
            )
        return g

    def _check_orthogonal(self, g: torch.Tensor) -> None:
        tol = _tolerance(g.dtype)
        with torch.no_grad():
            eye = torch.eye(3, dtype=g.dtype, device=g.device)
            err = float((g @ g.transpose(-1, -2) - eye).abs().max())
        if not err <= tol:
            raise ValueError(
                f"elements of {self} are orthogonal matrices; got max |g g^T - I| = {err:.3g} > {tol:g}"
            )

    def identity(self, batch_shape: tuple[int, ...] = (), dtype=torch.float64, device=None) -> torch.Tensor:
        eye = torch.eye(3, dtype=_float_dtype(dtype), device=device)
        return eye.expand(tuple(batch_shape) + (3, 3)).clone()

    def compose(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return self.check_element(a) @ self.check_element(b)

    def inverse(self, a: torch.Tensor) -> torch.Tensor:
        return self.check_element(a).transpose(-1, -2)

    def equal(self, a: torch.Tensor, b: torch.Tensor, atol: float = 1e-9) -> torch.Tensor:
        a, b = self.check_element(a), self.check_element(b)
        return (a - b).abs().amax((-2, -1)) <= atol

    @property
    def action_dim(self) -> int:
        return 3

    def action_matrix(self, g: torch.Tensor, dtype=None) -> torch.Tensor:
        g = self.check_element(g)
        return g if dtype is None else g.to(dtype)


class SO3(_MatrixGroup3):
    """The rotation group ``SO(3)``; an element is a rotation matrix ``batch + (3, 3)``.

    The normalized Haar measure in ZYZ Euler angles is
    ``d alpha sin(beta) d beta d gamma / (8 pi^2)``.
    """

    @property
    def name(self) -> str:
        return "SO3"

    def check_element(self, g: torch.Tensor) -> torch.Tensor:
        """Validate rotation matrices: float dtype, shape ``(..., 3, 3)``, ``R R^T = I`` and ``det R = 1``
        (up to a tolerance set by the dtype: 1e-6 in float64, 1e-3 in float32)."""
        g = self._check_shape(g)
        if g.numel() == 0 or g.is_meta:  # a meta tensor has no values to check
            return g
        self._check_orthogonal(g)
        with torch.no_grad():
            det = _det3(g)
            if not bool((det > 0).all()):
                raise ValueError(
                    f"elements of {self} are rotations (det +1); got a matrix with det {float(det.min()):.3g}"
                    " (use O3 for improper rotations)"
                )
        return g

    def sample(
        self, n: int, generator: torch.Generator | None = None, dtype=torch.float64, device=None
    ) -> torch.Tensor:
        """``n`` Haar-random rotations: normalized standard Gaussian 4-vectors are uniform on ``S^3``,
        and the double cover ``S^3 -> SO(3)`` maps the uniform measure to the Haar measure (Shoemake,
        "Uniform random rotations", Graphics Gems III, 1992)."""
        q = torch.randn(n, 4, generator=generator, dtype=torch.float64, device=device)
        return self.from_quaternion(q).to(_float_dtype(dtype))

    # -- quadrature ---------------------------------------------------------------------------------
    @staticmethod
    def euler_grid(
        bandwidth: int, dtype=torch.float64, device=None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Separable Euler-angle grid for functions of bandwidth ``B`` (Wigner-D degrees ``l < B``).

        Returns ``(alpha, beta, gamma, weights)``: ``2B`` uniform angles ``alpha_i = 2 pi i / (2B)``,
        ``B`` angles ``beta_j = arccos(x_j)`` at the Gauss-Legendre nodes ``x_j`` (ascending ``x_j``, so
        ``beta`` descends), ``2B`` uniform angles ``gamma_k``, and the Gauss-Legendre weights ``w_j`` of
        ``beta`` (summing to 1). The rotation ``Rz(alpha_i) Ry(beta_j) Rz(gamma_k)`` carries the weight
        ``w_j / (2B)^2``:

        .. math:: \\int_{SO(3)} f \\, dg = \\frac{1}{(2B)^2} \\sum_{i,j,k} w_j \\,
            f(\\alpha_i, \\beta_j, \\gamma_k).

        The rule is exact for every function whose expansion uses Wigner-D of degree ``<= 2B - 1``, in
        particular for products of two functions of bandwidth ``B`` (Fourier transforms and Plancherel):
        see :meth:`quadrature` for the argument. This is the Gauss-Legendre form of the separable
        ``SO(3)`` grids of Kostelec and Rockmore (J. Fourier Anal. Appl. 14, 2008, section 2).
        """
        if not isinstance(bandwidth, (int, np.integer)) or bandwidth < 1:
            raise ValueError(f"bandwidth must be an integer >= 1, got {bandwidth!r}")
        b = int(bandwidth)
        dtype = _float_dtype(dtype)
        x, w = gauss_legendre(b, torch.float64, device)
        a = _uniform_angles(2 * b, device)
        return a.to(dtype), torch.arccos(x).to(dtype), a.clone().to(dtype), w.to(dtype)

    def quadrature(self, degree: int, dtype=torch.float64, device=None) -> tuple[torch.Tensor, torch.Tensor]:
        """Rotations and weights (summing to 1) integrating exactly every function whose expansion uses
        Wigner-D of degree ``l <= degree``.

        The grid is ``Rz(alpha_i) Ry(beta_j) Rz(gamma_k)`` with ``degree + 1`` uniform angles ``alpha_i``,
        ``degree + 1`` uniform angles ``gamma_k`` and ``floor(degree / 2) + 1`` Gauss-Legendre nodes
        ``cos(beta_j)``, weights ``w_j / (degree + 1)^2``, flattened with ``alpha`` outermost and ``gamma``
        innermost. Why it is exact: ``D^l_{mn}(alpha, beta, gamma) = e^{-i m alpha} d^l_{mn}(beta)
        e^{-i n gamma}``. The uniform ``alpha`` sum of ``e^{-i m alpha}`` is exact (zero) for
        ``0 < |m| <= degree < degree + 1``, and likewise for ``gamma``; what remains (``m = n = 0``) is
        ``d^l_{00}(beta) = P_l(cos beta)``, a polynomial of degree ``l <= degree`` in ``cos beta``, which
        ``floor(degree/2) + 1`` Gauss-Legendre nodes (exact to degree ``2 floor(degree/2) + 1 >= degree``)
        integrate exactly against ``sin(beta) d beta / 2``.
        """
        if not isinstance(degree, (int, np.integer)) or degree < 0:
            raise ValueError(f"quadrature degree must be an integer >= 0, got {degree!r}")
        n = int(degree) + 1
        x, wb = gauss_legendre(int(degree) // 2 + 1, torch.float64, device)
        a = _uniform_angles(n, device)
        A, B, C = torch.meshgrid(a, torch.arccos(x), a, indexing="ij")
        g = self.from_euler(A.reshape(-1), B.reshape(-1), C.reshape(-1))
        w = (wb[None, :, None] / n**2).expand(n, len(x), n).reshape(-1)
        dtype = _float_dtype(dtype)
        return g.to(dtype), w.to(dtype)

    # -- conversions ------------------------------------------------------------------------------
    @staticmethod
    def from_euler(alpha, beta, gamma) -> torch.Tensor:
        """``R = Rz(alpha) Ry(beta) Rz(gamma)`` (ZYZ), batched with broadcasting; the dtype is that of
        the float tensors given (float64 for python numbers only)."""
        alpha, beta, gamma = broadcast_angles(alpha, beta, gamma)
        return _rz(alpha) @ _ry(beta) @ _rz(gamma)

    @staticmethod
    def to_euler(R: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """ZYZ Euler angles ``(alpha, beta, gamma)`` of rotation matrices, ``alpha, gamma`` in
        ``[0, 2 pi)``, ``beta`` in ``[0, pi]``.

        Robust at ``beta = 0`` and ``beta = pi``, where only ``alpha + gamma``, resp. ``alpha - gamma``, is
        determined. For ``cos beta >= 0`` the sum is read from ``R_00 + R_11 = (1 + cos beta)
        cos(alpha + gamma)``, ``R_10 - R_01 = (1 + cos beta) sin(alpha + gamma)`` (well conditioned) and the
        difference from ``alpha = atan2(R_12, R_02)``, ``gamma = atan2(R_21, -R_20)``, whose errors then
        cancel in ``alpha + gamma``; for ``cos beta < 0`` the roles swap, with ``R_11 - R_00 = (1 - cos beta)
        cos(alpha - gamma)``, ``-R_10 - R_01 = (1 - cos beta) sin(alpha - gamma)``. The remaining ambiguity
        ``(alpha, gamma) -> (alpha + pi, gamma + pi)`` is fixed by ``cos(alpha) R_02 + sin(alpha) R_12 =
        sin(beta) >= 0``. Exactly at ``beta = 0`` the result has ``alpha = gamma``, at ``beta = pi``
        ``alpha = -gamma`` (mod ``2 pi``).
        """
        R = SO3()._check_shape(R)
        r = lambda i, j: R[..., i, j]  # noqa: E731
        sin_beta = torch.sqrt((r(0, 2) ** 2 + r(1, 2) ** 2 + r(2, 0) ** 2 + r(2, 1) ** 2) / 2)
        beta = torch.atan2(sin_beta, r(2, 2))
        alpha_p = torch.atan2(r(1, 2), r(0, 2))
        gamma_p = torch.atan2(r(2, 1), -r(2, 0))
        zero = torch.zeros_like(beta)
        upper = r(2, 2) >= 0
        s = torch.where(upper, torch.atan2(r(1, 0) - r(0, 1), r(0, 0) + r(1, 1)), alpha_p + gamma_p)
        d = torch.where(upper, alpha_p - gamma_p, torch.atan2(-r(1, 0) - r(0, 1), r(1, 1) - r(0, 0)))
        singular = sin_beta == 0
        s = torch.where(singular & ~upper, zero, s)
        d = torch.where(singular & upper, zero, d)
        alpha = (s + d) / 2
        gamma = (s - d) / 2
        flip = (torch.cos(alpha) * r(0, 2) + torch.sin(alpha) * r(1, 2)) < 0
        alpha = torch.where(flip, alpha + math.pi, alpha)
        gamma = torch.where(flip, gamma + math.pi, gamma)
        two_pi = 2 * math.pi
        return torch.remainder(alpha, two_pi), beta, torch.remainder(gamma, two_pi)

    @staticmethod
    def from_quaternion(q: torch.Tensor) -> torch.Tensor:
        """Rotation matrices of quaternions ``(..., 4)`` = ``(w, x, y, z)`` (normalized first)."""
        q = _as_float(q)
        if q.dim() < 1 or q.shape[-1] != 4:
            raise ValueError(f"quaternions have shape (..., 4) = (w, x, y, z), got shape {tuple(q.shape)}")
        q = q / torch.linalg.vector_norm(q, dim=-1, keepdim=True)
        w, x, y, z = q.unbind(-1)
        return torch.stack(
            [
                torch.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
                torch.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
                torch.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
            ],
            -2,
        )

    @staticmethod
    def to_quaternion(R: torch.Tensor) -> torch.Tensor:
        """Unit quaternions ``(..., 4)`` = ``(w, x, y, z)`` of rotation matrices, with ``w >= 0``.

        Each of the four candidates ``4 w^2 = 1 + tr R``, ``4 x^2 = 1 + R_00 - R_11 - R_22``, ... is
        well conditioned where its component is the largest (Shepperd, J. Guidance and Control 1978);
        the largest is used.
        """
        R = SO3()._check_shape(R)
        r = lambda i, j: R[..., i, j]  # noqa: E731
        cand = torch.stack(
            [
                torch.stack(
                    [
                        1 + r(0, 0) + r(1, 1) + r(2, 2),
                        r(2, 1) - r(1, 2),
                        r(0, 2) - r(2, 0),
                        r(1, 0) - r(0, 1),
                    ],
                    -1,
                ),
                torch.stack(
                    [
                        r(2, 1) - r(1, 2),
                        1 + r(0, 0) - r(1, 1) - r(2, 2),
                        r(0, 1) + r(1, 0),
                        r(0, 2) + r(2, 0),
                    ],
                    -1,
                ),
                torch.stack(
                    [
                        r(0, 2) - r(2, 0),
                        r(0, 1) + r(1, 0),
                        1 - r(0, 0) + r(1, 1) - r(2, 2),
                        r(1, 2) + r(2, 1),
                    ],
                    -1,
                ),
                torch.stack(
                    [
                        r(1, 0) - r(0, 1),
                        r(0, 2) + r(2, 0),
                        r(1, 2) + r(2, 1),
                        1 - r(0, 0) - r(1, 1) + r(2, 2),
                    ],
                    -1,
                ),
            ],
            -2,
        )
        diag = torch.diagonal(cand, dim1=-2, dim2=-1)
        best = diag.argmax(-1, keepdim=True)
        q = torch.take_along_dim(cand, best[..., None], dim=-2).squeeze(-2)
        q = q / torch.linalg.vector_norm(q, dim=-1, keepdim=True)
        return torch.where(q[..., :1] < 0, -q, q)

    @staticmethod
    def from_axis_angle(axis: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
        """Rotations by ``angle`` about ``axis`` ``(..., 3)`` (normalized first), Rodrigues' formula."""
        axis = _as_float(axis)
        if axis.dim() < 1 or axis.shape[-1] != 3:
            raise ValueError(f"rotation axes have shape (..., 3), got shape {tuple(axis.shape)}")
        angle = _as_float(angle, dtype=axis.dtype, device=axis.device)
        n = axis / torch.linalg.vector_norm(axis, dim=-1, keepdim=True)
        half = angle / 2
        q = torch.cat([torch.cos(half)[..., None], torch.sin(half)[..., None] * n], -1)
        return SO3.from_quaternion(q)

    @staticmethod
    def to_axis_angle(R: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(axis, angle)``: unit axes ``(..., 3)`` and angles in ``[0, pi]`` with
        ``R = from_axis_angle(axis, angle)``; the identity gets the axis ``(0, 0, 1)``."""
        q = SO3.to_quaternion(R)
        v = q[..., 1:]
        nv = torch.linalg.vector_norm(v, dim=-1, keepdim=True)
        angle = 2 * torch.atan2(nv[..., 0], q[..., 0])
        ez = torch.zeros_like(v)
        ez[..., 2] = 1
        axis = torch.where(nv > 0, v / torch.where(nv > 0, nv, torch.ones_like(nv)), ez)
        return axis, angle

    @staticmethod
    def rotation_angle(R: torch.Tensor) -> torch.Tensor:
        """The angle ``t`` in ``[0, pi]`` of each rotation (``tr R = 1 + 2 cos t``), computed from the
        quaternion as ``2 atan2(|v|, w)`` for accuracy near ``0`` and ``pi``."""
        q = SO3.to_quaternion(R)
        return 2 * torch.atan2(torch.linalg.vector_norm(q[..., 1:], dim=-1), q[..., 0])


class O3(_MatrixGroup3):
    """The orthogonal group ``O(3) = SO(3) x {I, -I}``; an element is an orthogonal matrix
    ``g = R (-1)^s`` of shape ``batch + (3, 3)`` (``R`` a rotation, ``s = 1`` for ``det g = -1``).

    The Haar measure is the product of the Haar measure of ``SO(3)`` and the uniform measure on ``s``.
    """

    @property
    def name(self) -> str:
        return "O3"

    def check_element(self, g: torch.Tensor) -> torch.Tensor:
        """Validate orthogonal matrices: float dtype, shape ``(..., 3, 3)``, ``g g^T = I`` (``det g`` is
        ``+1`` or ``-1``), up to a tolerance set by the dtype."""
        g = self._check_shape(g)
        if g.numel() == 0 or g.is_meta:  # a meta tensor has no values to check
            return g
        self._check_orthogonal(g)
        return g

    @staticmethod
    def make(R: torch.Tensor, s) -> torch.Tensor:
        """``g = R (-1)^s``: ``s = 1`` composes the rotation ``R`` with the inversion ``-I``."""
        R = O3()._check_shape(_as_float(R))
        s = torch.as_tensor(s, device=R.device)
        sign = 1 - 2 * torch.remainder(s, 2).to(R.dtype)
        return R * sign[..., None, None]

    @staticmethod
    def split(g: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(R, s)`` with ``g = R (-1)^s``: ``R = det(g) g`` and ``s = (1 - det g) / 2`` (long)."""
        g = O3()._check_shape(g)
        det = torch.sign(_det3(g))
        return g * det[..., None, None], ((1 - det) / 2).round().long()

    def sample(
        self, n: int, generator: torch.Generator | None = None, dtype=torch.float64, device=None
    ) -> torch.Tensor:
        """``n`` Haar-random elements: a Haar-random rotation times ``(-1)^s`` with a fair coin ``s``."""
        R = SO3().sample(n, generator, torch.float64, device)
        s = torch.randint(0, 2, (n,), generator=generator, device=device)
        return self.make(R, s).to(_float_dtype(dtype))

    def quadrature(self, degree: int, dtype=torch.float64, device=None) -> tuple[torch.Tensor, torch.Tensor]:
        """The :meth:`SO3.quadrature` grid ``R_i`` followed by ``-R_i``, weights halved: exact for every
        function whose expansion uses irreps of ``O(3)`` of degree ``<= degree``."""
        g, w = SO3().quadrature(degree, dtype, device)
        return torch.cat([g, -g], 0), torch.cat([w, w]) / 2


# -- subgroups ---------------------------------------------------------------------------------------
def _embed_o2(theta: torch.Tensor, s: torch.Tensor, proper: bool) -> torch.Tensor:
    """``R(theta) F^s`` on the xy-plane, with ``F`` acting as ``diag(1, -1, 1)`` (``proper=False``,
    the reflection across the xz-plane) or ``diag(1, -1, -1)`` (``proper=True``, the rotation by ``pi``
    about the x axis)."""
    f = 1 - 2 * s.to(theta.dtype)
    one = torch.ones_like(f)
    flip = torch.diag_embed(torch.stack([one, f, f if proper else one], -1))
    return _rz(theta) @ flip


def _spatial_rule(H, G):
    if not isinstance(G, (SO3, O3)):
        return None
    proper = isinstance(G, SO3)
    if isinstance(H, SO2):
        return lambda h: _rz(H.check_element(h))
    if isinstance(H, Cyclic):
        return lambda h: _rz(H.angle(h))
    if isinstance(H, O2):
        return lambda h: _embed_o2(H.angle(h), H.reflection(h), proper)
    if isinstance(H, Dihedral):
        return lambda h: _embed_o2(H.angle(h), H.reflection(h), proper)
    if isinstance(H, SO3) and isinstance(G, O3):
        return lambda h: H.check_element(h)
    return None


register_inclusion(_spatial_rule)
