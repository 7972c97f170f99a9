"""Solid harmonic scattering of 3D densities (Eickenberg, Exarchakis, Hirn, Mallat & Thiry, "Solid
harmonic wavelet scattering for predictions of molecule properties", J. Chem. Phys. 148, 2018; NeurIPS
2017), with the definitions of kymatio's ``HarmonicScattering3D`` (kymatio 0.3, ``method='integral'``).

With the wavelets ``psi_{j,l,m}`` of :mod:`groupconv.scattering.solid_harmonics` (scales ``j = 0..J``,
degrees ``l = 0..L``), the rotation-covariant moduli of a density ``f`` are

.. math::  U[j, l] f = \\Big(\\sum_{m=-l}^{l} |f * \\psi_{j,l,m}|^2\\Big)^{1/2}, \\qquad
           U[j_1, j_2, l] f = \\Big(\\sum_m |U[j_1, l] f * \\psi_{j_2,l,m}|^2\\Big)^{1/2}
           \\quad (j_1 < j_2),

(circular convolutions on the grid), and the coefficients are their integrals to the powers ``q`` of
``integral_powers``, ``S[p, l, q] f = sum_x (U[p, l] f)(x)^q``. The order-0 coefficients
``sum_x |f(x)|^q`` (:meth:`HarmonicScattering3D.order0`) are not part of kymatio's output either.

Output layout (kymatio's): ``(..., n_paths, L + 1, len(integral_powers))`` with the paths ``(j,)`` for
``j = 0..J`` (order 1), then ``(j_1, j_2)`` for ``j_1 < j_2`` in lexicographic order (order 2), listed in
:attr:`HarmonicScattering3D.paths`.

Invariances: every coefficient is invariant under circular translations of the volume, and the
rotation-covariant ones under rotations, up to the sampling of the grid. Under the 24 rotations of the
cube (voxel permutations about the grid centre) the invariance is exact on odd grid sizes, and on even
sizes for volumes without energy on the Nyquist planes: there the sampled filters see ``-pi`` but not
``+pi`` (kymatio's sampling, :mod:`~groupconv.scattering.solid_harmonics`), which a rotation maps to one
another.

Computation: the real harmonics make every filter real in space (up to the Nyquist planes,
:mod:`~groupconv.scattering.solid_harmonics`), so two filters share one complex inverse FFT (the real and
imaginary parts of ``IDFT(F (H_1 + i H_2))`` are the two filtered maps). Per scale, all the pairs of every
degree are one batched product and one batched inverse FFT, and the squares are summed per degree with
one matrix product; the Python loops run over scales (and scale pairs), never over degrees, orders ``m``
or filters. There is no host synchronization: NaN and Inf propagate to the output, as in torch's layers.
The gradient of the modulus and of the powers ``q < 1`` at a zero modulus is taken as 0 (the moduli are
not differentiable there).

Differences from kymatio 0.3: odd grid sizes (kymatio's frequency grid is shifted by one bin there, its
``mgrid`` starts at ``-M // 2``; this grid is :func:`torch.fft.fftfreq`'s), float64 inputs (kymatio
builds its filters in float32 and its integrals in the default dtype), and the order-0 coefficients
(:meth:`~HarmonicScattering3D.order0`, which raises ``|f|`` rather than ``f`` to the powers).

>>> import torch
>>> from groupconv.scattering import HarmonicScattering3D
>>> s = HarmonicScattering3D(J=1, shape=(8, 8, 8), L=2)
>>> x = torch.rand(3, 8, 8, 8)
>>> s(x).shape  # (batch, paths (0,), (1,), (0, 1), L + 1, powers)
torch.Size([3, 3, 3, 3])
>>> s.paths
[(0,), (1,), (0, 1)]
>>> torch.allclose(s(torch.roll(x, (2, 5), (1, 3))), s(x), rtol=1e-5)  # circular translations
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from ..nn.module import Certificate, EquivariantModule
from .base import _check_fft_dtype, _empty_output
from .solid_harmonics import solid_harmonic_bank, solid_harmonic_power

__all__ = ["HarmonicScattering3D"]

_DIMS = (-3, -2, -1)


def _full_spectrum_3d(half: torch.Tensor, O: int) -> torch.Tensor:
    """The ``(..., M, N, O)`` spectrum of a real volume from its real-FFT half ``(..., M, N, O // 2 + 1)``,
    by Hermitian symmetry ``X[k] = conj(X[-k])``."""
    M, N = half.shape[-3:-1]
    upper = half[..., 1 : (O + 1) // 2]
    upper = upper.index_select(-3, (-torch.arange(M)) % M).index_select(-2, (-torch.arange(N)) % N)
    return torch.cat([half, upper.flip(-1).conj()], -1)


def _full_spectrum_2d(half: torch.Tensor, O: int) -> torch.Tensor:
    """The same for a plane ``(..., K, O // 2 + 1)`` that is Hermitian in its two axes."""
    K = half.shape[-2]
    upper = half[..., 1 : (O + 1) // 2].index_select(-2, (-torch.arange(K)) % K)
    return torch.cat([half, upper.flip(-1).conj()], -1)


class _Root(torch.autograd.Function):
    """``t^e`` for ``t >= 0`` with the gradient ``e t^(e - 1)`` where ``t > 0`` and 0 where ``t = 0``
    (a subgradient, as for the modulus: the derivative is not finite there for ``e < 1``)."""

    @staticmethod
    def forward(ctx, t: torch.Tensor, e: float) -> torch.Tensor:
        y = t.sqrt() if e == 0.5 else t.pow(e)
        ctx.save_for_backward(t, y)
        ctx.e = e
        return y

    @staticmethod
    def backward(ctx, g: torch.Tensor):
        t, y = ctx.saved_tensors
        pos = t > 0
        d = ctx.e * y / torch.where(pos, t, torch.ones_like(t))
        return torch.where(pos, g * d, torch.zeros_like(g)), None


def _integrals(s: torch.Tensor, u: torch.Tensor, powers: tuple[float, ...]) -> torch.Tensor:
    """``sum_x u^q`` for each power ``q`` of the moduli ``u = sqrt(s)`` ``(B, G, M, N, O)``: ``(B, G, P)``."""
    out = []
    for q in powers:
        if q == 2.0:
            v = s
        elif q == 1.0:
            v = u
        else:
            v = _Root.apply(u, q)
        out.append(v.sum(_DIMS))
    return torch.stack(out, -1)


class HarmonicScattering3D(EquivariantModule):
    """Solid harmonic scattering of ``(..., M, N, O)`` volumes (module docstring), kymatio's
    ``HarmonicScattering3D`` with ``method='integral'``.

    Its inputs are densities on a grid, not fields of a group, so it has no field types (``in_type =
    out_type = None``): :func:`groupconv.verify.check_equivariance` reports it as "not checked: no type";
    its translation and rotation invariance are checked by the test suite. It has energy accounting
    (:meth:`energies`, :meth:`frame_bounds`), read by :func:`~groupconv.scattering.energy_per_layer` and
    :func:`groupconv.verify.check_energy`.

    Parameters
    ----------
    J:
        The largest scale: wavelets of widths ``sigma_0 2^j``, ``j = 0..J``.
    shape:
        The grid ``(M, N, O)``.
    L:
        The largest degree ``l`` of the solid harmonics.
    sigma_0:
        The width of scale 0, in voxels.
    max_order:
        1 or 2.
    rotation_covariant:
        ``True``: the moduli sum over the ``2l + 1`` harmonics of each degree (rotation invariant);
        ``False``: kymatio's single harmonic ``m = -l`` per degree, ``|f * psi_{j,l,-l}|``.
    integral_powers:
        The powers ``q > 0`` of the integrals ``sum_x U(x)^q``.

    Attributes
    ----------
    paths:
        The path of each output row: ``(j,)`` (order 1) and ``(j_1, j_2)`` (order 2).
    chunk_bytes:
        On CPU the batch is processed in chunks whose largest intermediate is about this size.
    """

    in_type = None
    out_type = None
    spatial_dims = 3

    def __init__(
        self,
        J: int,
        shape: tuple[int, int, int],
        L: int = 3,
        sigma_0: float = 1.0,
        max_order: int = 2,
        rotation_covariant: bool = True,
        integral_powers: Sequence[float] = (0.5, 1.0, 2.0),
    ) -> None:
        super().__init__()
        if isinstance(max_order, bool) or max_order not in (1, 2):
            raise ValueError(f"max_order must be 1 or 2, got {max_order!r}")
        if not isinstance(rotation_covariant, bool):
            raise TypeError(f"rotation_covariant must be a bool, got {type(rotation_covariant).__name__}")
        self.integral_powers = _check_powers(integral_powers)
        bank = solid_harmonic_bank(shape, J, L, sigma_0, rotation_covariant)
        self.shape, self.J, self.L, self.sigma_0 = bank.shape, bank.J, bank.L, bank.sigma_0
        self.max_order, self.rotation_covariant = max_order, rotation_covariant
        self._register_pairs(bank)
        self.paths: list[tuple[int, ...]] = [(j,) for j in range(J + 1)]
        if max_order == 2:
            self.paths += [(j1, j2) for j1 in range(J + 1) for j2 in range(j1 + 1, J + 1)]
        self.chunk_bytes = 2**27
        self._bounds: list[tuple[float, float]] | None = None

    @property
    def n_paths(self) -> int:
        return len(self.paths)

    def extra_repr(self) -> str:
        return (
            f"J={self.J}, shape={self.shape}, L={self.L}, sigma_0={self.sigma_0}, max_order={self.max_order}, "
            f"rotation_covariant={self.rotation_covariant}, integral_powers={self.integral_powers}"
        )

    # ----------------------------------------------------------------------------------------- checks
    def check_input(self, x: torch.Tensor) -> torch.Tensor:
        """Check that ``x`` is a real ``(..., M, N, O)`` tensor in the dtype (float32 or float64) and on
        the device of the filters; return it. Values are not inspected (no host synchronization)."""
        name = type(self).__name__
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{name} expects a torch.Tensor, got {type(x).__name__}")
        if x.dim() < 3 or tuple(x.shape[-3:]) != self.shape:
            M, N, O = self.shape
            raise ValueError(f"{name} expects input of shape (..., {M}, {N}, {O}), got {tuple(x.shape)}")
        if torch.is_complex(x) or not x.is_floating_point():
            raise TypeError(f"{name} expects a real floating tensor, got {x.dtype}")
        ref = self._pairs
        _check_fft_dtype(x.dtype, ref.dtype, name)
        if x.dtype != ref.dtype:
            raise TypeError(
                f"{name} has {ref.dtype} filters but got {x.dtype} input; convert the module with .to({x.dtype})"
            )
        if x.device != ref.device:
            raise ValueError(f"{name} has filters on {ref.device} but got input on {x.device}")
        return x

    def _chunks(self, x: torch.Tensor) -> list[torch.Tensor]:
        if x.device.type != "cpu":
            return [x]
        M, N, O = self.shape
        per_image = 6 * self._pairs.shape[1] * M * N * O * x.element_size()
        return list(x.split(max(1, self.chunk_bytes // per_image)))

    # -------------------------------------------------------------------------------------- transform
    def _register_pairs(self, bank) -> None:
        """Pair the filters so that one complex inverse FFT computes two of them (module docstring).

        For Hermitian ``H_1, H_2`` and a real map ``f``, ``IDFT(F (H_1 + i H_2)) = f * h_1 + i f * h_2``
        with both terms real: the real and imaginary parts are the two filtered maps. Filters of one degree
        are paired with each other (the squared modulus of the pair is their contribution to the degree);
        the one left over in each degree (``2l + 1`` is odd) is paired with the one left over in the next
        degree, and the real and imaginary parts are squared separately. The filters are stored on the full
        DFT grid as real ``(..., 2)`` views (float buffers follow ``.float()`` and ``.double()``).
        """
        L = bank.L
        same, lone = [], []
        for l in range(L + 1):
            rows = (bank.degree == l).nonzero().flatten().tolist()
            same += [(rows[i], rows[i + 1], l) for i in range(0, len(rows) - 1, 2)]
            if len(rows) % 2:
                lone.append((rows[-1], l))
        if len(lone) % 2:
            lone.append((None, lone[-1][1]))
        cross = [(lone[i], lone[i + 1]) for i in range(0, len(lone), 2)]
        full = _full_spectrum_3d(bank.filters, bank.shape[2])

        def pick(rows, table):
            zero = torch.zeros_like(table[:, 0])
            cols = [table[:, r] if r is not None else zero for r in rows]
            return torch.stack(cols, 1) if cols else table[:, :0]

        def pairs(table):
            q = pick([a for a, _, _ in same], table) + 1j * pick([b for _, b, _ in same], table)
            return q, pick([r for pair in cross for r, _ in pair], table)

        q, c = pairs(full)
        self.register_derived("_pairs", torch.view_as_real(q), torch.float32)
        self.register_derived("_cross", torch.view_as_real(c), torch.float32)
        # the Nyquist planes each scale needs (coarse scales vanish there, see solid_harmonics)
        self._planes_of: list[list[int]] = [[] for _ in range(bank.J + 1)]
        for k, plane in enumerate(bank.nyquist):
            if plane is not None:
                for j in range(bank.J + 1):
                    if bool(plane[j].abs().amax() > 0):
                        self._planes_of[j].append(k)
                plane = plane if k == 2 else _full_spectrum_2d(plane, bank.shape[2])
                qk, ck = pairs(plane)
                self.register_derived(f"_nyquist_pairs{k}", torch.view_as_real(qk), torch.float32)
                self.register_derived(f"_nyquist_cross{k}", torch.view_as_real(ck), torch.float32)
        self.register_buffer(
            "_same_src", torch.tensor([l for _, _, l in same], dtype=torch.long), persistent=False
        )
        cross_src = [l for pair in cross for _, l in pair]
        self.register_buffer("_cross_src", torch.tensor(cross_src, dtype=torch.long), persistent=False)
        # the per-degree sums: |pair|^2 of the same-degree pairs, then Re^2, Im^2 of the cross pairs
        deg = torch.arange(L + 1)[:, None]
        ind_same = (torch.tensor([l for _, _, l in same], dtype=torch.long)[None] == deg).to(torch.float64)
        live = torch.tensor([r is not None for pair in cross for r, _ in pair], dtype=torch.bool)
        ind_cross = ((torch.tensor(cross_src, dtype=torch.long)[None] == deg) & live[None]).to(torch.float64)
        self.register_derived("_sum_same", ind_same, torch.float32)
        self.register_derived("_sum_cross", ind_cross, torch.float32)

    def _spectra(self, spec: torch.Tensor, j: int, pairs: str, cross: str, take) -> torch.Tensor:
        """The products ``(B, P, ...)`` of the maps' spectra with the filter pairs of scale ``j``: one
        product for a same-degree pair, ``F_a H_a + i F_b H_b`` for a cross pair (buffers ``pairs``,
        ``cross``; ``take`` selects the part of a spectrum the buffers cover)."""
        q = torch.view_as_complex(getattr(self, pairs)[j])
        c = torch.view_as_complex(getattr(self, cross)[j])
        x = take(spec)
        n_same = q.shape[0]
        if x.shape[1] == 1:
            xs, xa, xb, cb = x, x, None, c[0::2] + 1j * c[1::2]
        else:
            xc = x.index_select(1, self._cross_src)
            xs, xa, xb, cb = x.index_select(1, self._same_src), xc[:, 0::2], xc[:, 1::2], c[1::2]
        ca = c[0::2] if xb is not None else cb
        if torch.is_grad_enabled() and x.requires_grad:
            cross = xa * ca if xb is None else xa * ca + 1j * (xb * cb)
            return torch.cat([xs * q, cross], 1)
        # written into one tensor (out= takes no autograd)
        z = x.new_empty(x.shape[0], n_same + c.shape[0] // 2, *q.shape[1:])
        torch.mul(xs, q, out=z[:, :n_same])
        torch.mul(xa, ca, out=z[:, n_same:])
        if xb is not None:
            z[:, n_same:].add_(1j * (xb * cb))
        return z

    def _moduli(self, spec: torch.Tensor, j: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The squared moduli ``s`` and moduli ``u`` ``(B, L + 1, M, N, O)`` of maps with full spectra
        ``spec`` filtered at scale ``j``: ``spec`` is ``(B, 1, M, N, O)`` (one map for every filter) or
        ``(B, L + 1, M, N, O)`` (the map of each degree)."""
        M, N, O = self.shape
        y = torch.fft.ifftn(self._spectra(spec, j, "_pairs", "_cross", lambda t: t), dim=_DIMS)
        grad = torch.is_grad_enabled() and y.requires_grad
        r = torch.view_as_real(y)
        r = r * r if grad else r.square_()
        if self._planes_of[j]:
            b = torch.view_as_real(self._nyquist_part(spec, j))
            r = r + b * b if grad else r.addcmul_(b, b)
        n_same = self._same_src.numel()
        B = r.shape[0]
        same = (r[:, :n_same, ..., 0] + r[:, :n_same, ..., 1]).flatten(2)
        cross = r[:, n_same:].movedim(-1, 2).reshape(B, -1, M * N * O)
        s = torch.matmul(self._sum_same.to(r.dtype), same) + torch.matmul(self._sum_cross.to(r.dtype), cross)
        s = s.view(B, self.L + 1, M, N, O)
        return s, _Root.apply(s, 0.5)

    def _nyquist_part(self, spec: torch.Tensor, j: int) -> torch.Tensor:
        """``IDFT(F (A_1 + i A_2))`` for the anti-Hermitian parts ``A`` on the Nyquist planes
        (:mod:`.solid_harmonics`), paired as the filters: each plane is a 2D inverse FFT, broadcast with
        the sign ``(-1)^n`` along its axis."""
        M, N, O = self.shape
        y = None
        for k in self._planes_of[j]:
            n = self.shape[k]
            take = {
                0: lambda t: t[:, :, M // 2],
                1: lambda t: t[:, :, :, N // 2],
                2: lambda t: t[..., O // 2],
            }[k]
            z = self._spectra(spec, j, f"_nyquist_pairs{k}", f"_nyquist_cross{k}", take)
            p = (torch.fft.ifft2(z) / n).unsqueeze(k + 2)
            # the sign (-1)^n along the plane's axis (of even size): +p at even n, -p at odd n, in place
            if y is None:
                y = p.new_empty(*p.shape[:2], M, N, O)
                y.copy_(p)
                y.unflatten(k + 2, (n // 2, 2)).select(k + 3, 1).neg_()
            else:
                pairs = y.unflatten(k + 2, (n // 2, 2))
                pairs.select(k + 3, 0).add_(p)
                pairs.select(k + 3, 1).sub_(p)
        return y

    def _transform(self, x: torch.Tensor, powers: tuple[float, ...]) -> list[torch.Tensor]:
        """Per order ``1..max_order`` the integrals ``(B, paths of the order, L + 1, P)`` of ``x``
        ``(B, M, N, O)``."""
        spec = torch.fft.fftn(x, dim=_DIMS).unsqueeze(1)
        first, second = [], []
        for j1 in range(self.J + 1):
            s1, u1 = self._moduli(spec, j1)
            first.append(_integrals(s1, u1, powers))
            if self.max_order == 2 and j1 < self.J:
                spec1 = torch.fft.fftn(u1, dim=_DIMS)
                for j2 in range(j1 + 1, self.J + 1):
                    s2, u2 = self._moduli(spec1, j2)
                    second.append(_integrals(s2, u2, powers))
        orders = [torch.stack(first, 1)]
        if self.max_order == 2:
            orders.append(
                torch.stack(second, 1) if second else x.new_zeros(x.shape[0], 0, self.L + 1, len(powers))
            )
        return orders

    def _flatten(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[int, ...]]:
        self.check_input(x)
        lead = tuple(x.shape[:-3])
        return x.reshape(-1, *self.shape), lead

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(..., M, N, O)`` -> ``(..., n_paths, L + 1, len(integral_powers))`` (module docstring)."""
        xb, lead = self._flatten(x)
        shape = (self.n_paths, self.L + 1, len(self.integral_powers))
        if xb.shape[0] == 0:
            return _empty_output(xb, *shape).reshape(*lead, *shape)
        out = [torch.cat(self._transform(c, self.integral_powers), 1) for c in self._chunks(xb)]
        return torch.cat(out, 0).reshape(*lead, *shape)

    def order0(self, x: torch.Tensor) -> torch.Tensor:
        """The order-0 coefficients ``sum_x |f(x)|^q`` for each power ``q``: ``(..., len(integral_powers))``.

        kymatio leaves them to its user (``compute_integrals(f, powers)``, with ``f`` rather than ``|f|``:
        equal for densities ``f >= 0``).
        """
        xb, lead = self._flatten(x)
        u = xb.abs().unsqueeze(1)
        return _integrals(u * u, u, self.integral_powers).reshape(*lead, len(self.integral_powers))

    # ----------------------------------------------------------------------------------------- energy
    def energies(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per order ``n = 0..max_order``: ``W_n = sum_p ||U[p] f||^2`` (``W_0 = ||f||^2``) and the energy
        of the order's output ``E_n = sum_p (sum_x U[p] f)^2 / (M N O)``, each ``(max_order + 1, batch)``.

        The output of a map is taken as its projection on the constants (the integral ``q = 1`` is its
        only coefficient linear in the map), so ``E_n + W_{n+1} <= B_n W_n`` with the bounds of
        :meth:`frame_bounds`; the bank is not tight, and ``||f||^2 = sum_n E_n + W_N`` does not hold.
        """
        xb, _ = self._flatten(x)
        vol = math.prod(self.shape)
        W = [xb.pow(2).flatten(1).sum(1)]
        E = [xb.flatten(1).sum(1).pow(2) / vol]
        if xb.shape[0]:
            orders = [
                torch.cat(o, 0) for o in zip(*(self._transform(c, (1.0, 2.0)) for c in self._chunks(xb)))
            ]
        else:
            orders = [xb.new_zeros(0, 1, self.L + 1, 2)] * self.max_order
        for o in orders:
            W.append(o[..., 1].sum((1, 2)))
            E.append(o[..., 0].pow(2).sum((1, 2)) / vol)
        return torch.stack(W), torch.stack(E)

    def bank_frame_bounds(self) -> tuple[float, float]:
        """``(A, B)``: min and max over the DFT grid of the Littlewood-Paley sum
        ``sum_{j,l,m} |psi_{j,l,m}^(omega)|^2`` (real-input form), so that ``A ||f||^2 <= sum_{j,l,m}
        ||f * psi_{j,l,m}||^2 <= B ||f||^2``. ``B`` is at least ``J + 1`` (the Gaussians ``l = 0`` at
        ``omega = 0``) and ``A`` is small: the solid harmonic bank is far from tight."""
        lp = sum(self._power(j).sum(0) for j in range(self.J + 1))
        return float(lp.min()), float(lp.max())

    def _power(self, j: int) -> torch.Tensor:
        return solid_harmonic_power(self.shape, self.sigma_0 * 2**j, self.L, self.rotation_covariant)

    def frame_bounds(self) -> list[tuple[float, float]]:
        """The bounds ``(A_n, B_n)`` of each layer ``n = 0..max_order``, read by
        :func:`groupconv.verify.check_energy`: ``A_n W_n <= E_n + W_{n+1} <= B_n W_n``.

        Layer 0 multiplies the spectrum of ``f`` by ``delta_0 + sum_{j,l,m} |psi^_{j,l,m}|^2`` (the
        projection on the constants and every wavelet); layer 1 the spectrum of ``U[j_1, l] f`` by
        ``delta_0 + sum_{j_2 > j_1, m} |psi^_{j_2,l,m}|^2``: its bounds are the min and max over
        ``(j_1, l)`` and the grid (``A_1 = 0`` when ``j_1 = J``, whose map has no successor). The last layer
        keeps only the projection: ``(0, 1)``.
        """
        if self._bounds is None:
            powers = [self._power(j) for j in range(self.J + 1)]
            delta = torch.zeros(self.shape, dtype=torch.float64)
            delta[0, 0, 0] = 1.0
            full = delta + sum(p.sum(0) for p in powers)
            bounds = [(float(full.min()), float(full.max()))]
            if self.max_order == 2:
                lo, hi = math.inf, -math.inf
                for j1 in range(self.J + 1):
                    rest = sum((powers[j] for j in range(j1 + 1, self.J + 1)), torch.zeros_like(powers[0]))
                    m = delta + rest
                    lo, hi = min(lo, float(m.min())), max(hi, float(m.max()))
                bounds.append((lo, hi))
            bounds.append((0.0, 1.0))
            self._bounds = bounds
        return list(self._bounds)

    def certificate(self) -> Certificate:
        """ "not applicable": the solid harmonic bank has no Littlewood-Paley identity (it is not tight);
        the reason gives its numeric frame bounds (:meth:`bank_frame_bounds`)."""
        return Certificate(
            "not applicable",
            f"the solid harmonic bank has no closed-form Littlewood-Paley identity (it is not tight); its "
            f"numeric frame bounds are {self.bank_frame_bounds()}",
        )


def _check_powers(powers) -> tuple[float, ...]:
    if isinstance(powers, (str, bytes)) or not isinstance(powers, Sequence) or len(powers) == 0:
        raise ValueError(f"integral_powers must be a non-empty sequence of positive numbers, got {powers!r}")
    out = []
    for q in powers:
        if isinstance(q, bool) or not isinstance(q, (int, float)) or not (math.isfinite(q) and q > 0):
            raise ValueError(f"integral_powers must hold positive finite numbers, got {powers!r}")
        out.append(float(q))
    return tuple(out)
