"""Roto-translation scattering of images (Sifre & Mallat, CVPR 2013, Sec. 3): the first layer
``U_1 f(x, theta) = |f * psi_{j_1, theta}|(x)`` is a function on the roto-translation group; the next
layers convolve it over the joint ``(x, theta)`` group with separable wavelets
``Psi_{theta_2, j_2, k}(x, theta) = psi_{theta_2, j_2}(x) h_k(theta)``:

.. math::

    Y(x, \\theta) = \\sum_{\\theta'} \\big(U(\\cdot, \\theta') * \\psi_{j_2, \\theta' + \\theta_2}\\big)(x)\\,
    h_k(\\theta - \\theta'),

so that rotating the input by one angular step rotates ``Y`` spatially and shifts its ``theta`` axis.

>>> import torch
>>> from groupconv.scattering import RotoTranslationScattering
>>> r = RotoTranslationScattering((16, 16), J=2, L=4, max_order=2).double()
>>> x = torch.randn(2, 16, 16, dtype=torch.float64)
>>> r(x).shape  # (batch, paths, orientations, 16 / 2^J, 16 / 2^J)
torch.Size([2, 15, 4, 4, 4])
>>> inv = r.invariant(x).mean((-2, -1))  # averaged over orientations and space
>>> torch.allclose(inv, r.invariant(torch.rot90(x, 1, (-2, -1))).mean((-2, -1)))
True
"""

from __future__ import annotations

import torch

from ..nn.module import Certificate
from .base import (
    _bank_certificate,
    _cat_energies,
    _check_depth_and_paths,
    _empty_output,
    _FilterModule,
    _resolve_bank,
)
from .fft import _even_part, _full_spectrum, _lowpass, _modulus
from .filters import FilterBank, angular_wavelet_bank, check_scales

__all__ = ["RotoTranslationScattering"]


class RotoTranslationScattering(_FilterModule):
    """Roto-translation scattering (Sifre & Mallat, CVPR 2013) of ``(..., M, N)`` images.

    Orientations ``theta_l = 2 pi l / L`` of the whole circle carry the group ``C_L``; order 1 is
    ``U_1(x, theta) = |f * psi_{j_1, theta}|``; every further order convolves over the joint group with
    ``psi_{j, theta' + theta_2}(x) h_k(theta - theta')`` (module docstring), ``h_k`` the Parseval
    angular wavelets of :func:`angular_wavelet_bank`, and takes the modulus. Outputs are
    ``U_m * phi_{2^J}`` with the orientation axis kept, shape ``(..., n_paths, L, M', N')``; the output of
    order 0 is repeated along it.

    Rotations by 90 degrees (``4 | L``, square inputs). The convolutions are periodic, so the network
    commutes exactly with every rotation of the periodic grid that maps it onto itself, the orientation axis
    shifting by ``L / 4``. Which rotations those are depends on ``subsample``:

    - ``subsample=False`` (outputs at full resolution): the rotation about the image centre,
      ``torch.rot90(x, 1, dims=(-2, -1))``, rotates every output map the same way (and so does every
      other 90-degree rotation of the periodic grid);
    - ``subsample=True`` (outputs on the lattice ``2^J Z x 2^J Z`` of the grid, offset 0): the rotation
      about pixel ``(0, 0)``, ``torch.rot90(x, 1, dims=(-2, -1)).roll(1, dims=-2)``, maps the lattice onto
      itself and rotates every output map the same way about its pixel ``(0, 0)``. The rotation about the
      image centre maps no such lattice onto itself: an offset ``s`` would need ``2 s = M - 1 (mod 2^J)``,
      and ``M`` is a multiple of ``2^J``, so the subsampled outputs of ``torch.rot90(x)`` are not a
      rotation of the outputs of ``x`` (the subsampled samples sit between the rotated ones).

    :meth:`invariant` averages the orientation axis out; :meth:`rotation_invariant` averages orientation
    and space of the full-resolution outputs, and is invariant to every 90-degree rotation and every
    circular translation of the input, exactly (to rounding) with or without subsampling. (Averaging the
    subsampled maps instead is exact for the Parseval bank, whose low-pass vanishes at the frequencies the
    subsampling folds onto 0, but off by 2-8% for the Morlet bank on 16-64 pixel grids.)

    Intermediate maps stay at full resolution; ``subsample`` subsamples the outputs by ``2^J``.
    ``paths="increasing"`` keeps the frequency-decreasing paths ``j_1 < j_2 < ...``; ``paths="all"``
    keeps every scale at every order (with ``subsample=False``), and then, for a Parseval full-circle
    bank and the Parseval angular wavelets, every layer conserves energy: ``||U_m||^2 = ||U_m * phi||^2
    + ||U_{m+1}||^2`` (spatial Littlewood-Paley sum 1 over all orientations of the circle, angular one
    ``sum_k |h^_k|^2 = 1``, and ``|.|`` preserves energy), so that :meth:`energies` gives
    ``||f||^2 = sum_{n<N} |||Phi^n f|||^2 + W_N f``.

    Attributes
    ----------
    paths_meta:
        Per output channel: ``()``, ``(j_1,)``, then ``(j_1, (j_2, theta_2, k), ...)`` with ``theta_2``
        the orientation relative to the input's and ``k`` the angular wavelet.
    chunk_bytes:
        On CPU the batch is processed in chunks (down to single images) whose largest intermediate is
        about this size: a joint layer's output has ``K L^2`` maps per input map, and the pipeline is
        memory-bound once they leave the cache.
    """

    def __init__(
        self,
        shape: tuple[int, int],
        J: int,
        L: int = 8,
        max_order: int = 2,
        filters: str | FilterBank = "parseval",
        K: int | None = None,
        subsample: bool = True,
        paths: str = "increasing",
    ) -> None:
        super().__init__()
        _check_depth_and_paths(max_order, paths, subsample)
        self.path_mode = paths
        M, N = check_scales(shape, J, L, need_divisible=subsample)
        bank = _resolve_bank(filters, (M, N), J, L, full_circle=True)
        if not bank.full_circle:
            raise ValueError("RotoTranslationScattering needs a full-circle bank (orientations over 2 pi)")
        self.shape, self.J, self.L, self.max_order, self.subsample = (M, N), J, L, max_order, subsample
        h = angular_wavelet_bank(L, K)
        self.K = h.shape[0]
        self._bank_bounds = bank.frame_bounds()
        self._bank_name = bank.name
        self._angular_upper = float(h.pow(2).sum(0).max())
        psi = bank.psi.view(J, L, M, N)
        self.register_derived("_phi", bank.phi, torch.float32)
        self.register_derived("_phih", _even_part(bank.phi)[..., : N // 2 + 1], torch.float32)
        self.register_derived("_psi1", psi, torch.float32)
        # the angular convolution theta' -> theta with h_k as a real (K L, L) circulant matrix:
        # c_k = IDFT(h^_k) is real and even, since h^_k depends on |m| only
        c = torch.fft.ifft(h.to(torch.complex128), dim=-1).real
        circ = (torch.arange(L)[:, None] - torch.arange(L)[None, :]) % L
        self.register_derived("_hmat", c[:, circ].reshape(self.K * L, L), torch.float32)
        rot = (torch.arange(L)[:, None] + torch.arange(L)[None, :]) % L
        # _psi_rot[j][t', t2] = psi_{j, t' + t2}, the spatial filter rotated with the input orientation
        self.register_derived("_psi_rot", psi[:, rot], torch.float32)
        meta: list[tuple] = [()]
        groups = [(j, [(j,)]) for j in range(J)]
        # complex elements of the largest intermediate of one image: the first layer, or the output of
        # the angular product of one group and scale, (P, K, L, L, M, N)
        self._peak = J * L * M * N
        for m in range(1, max_order + 1):
            meta.extend(p for _, ps in groups for p in ps)
            nxt: dict[int, list] = {}
            for j_last, ps in groups:
                scales = self._next_scales(j_last)
                if m < max_order:
                    self._peak = max(self._peak, len(ps) * self.K * L * L * M * N)
                for j2 in scales:
                    nxt.setdefault(j2, []).extend(
                        p + ((j2, t2, k),) for p in ps for t2 in range(L) for k in range(self.K)
                    )
            groups = sorted(nxt.items())
        self.paths_meta = meta
        self.chunk_bytes = 3 * 2**20

    @property
    def n_paths(self) -> int:
        return len(self.paths_meta)

    def _next_scales(self, j_last: int) -> range:
        return range(self.J) if self.path_mode == "all" else range(j_last + 1, self.J)

    def extra_repr(self) -> str:
        return (
            f"shape={self.shape}, J={self.J}, L={self.L}, K={self.K}, max_order={self.max_order}, "
            f"subsample={self.subsample}, paths={self.path_mode!r}"
        )

    def bank_frame_bounds(self) -> tuple[float, float]:
        """Real-input frame bounds ``(A, B)`` of the spatial filter bank, see :func:`frame_bounds`."""
        return self._bank_bounds

    def frame_bounds(self) -> tuple[float | None, float | None]:
        """Energy bounds of the whole map ``f -> S f`` read by :func:`groupconv.verify.check_energy`.

        Without subsampling each joint layer is a frame with upper bound ``B_x B_theta`` (the spatial bank
        times ``max_m sum_k |h^_k(m)|^2``), so ``sum_{n<=N} |||Phi^n f|||^2 <= max(1, B_x B_theta)^{N+1}
        ||f||^2``; with ``paths="all"`` and Parseval banks the energy is conserved and the lower bound is
        ``min(1, A_x)^{N+1}``. With subsampling no bound is claimed.
        """
        if self.subsample:
            return None, None
        a, b = self._bank_bounds
        upper = max(1.0, b * self._angular_upper) ** (self.max_order + 1)
        tight = self.path_mode == "all" and abs(self._angular_upper - 1.0) < 1e-12
        return (min(1.0, a) ** (self.max_order + 1) if tight else None), upper

    def certificate(self) -> Certificate:
        """For the Parseval full-circle bank: the Littlewood-Paley identity of the spatial bank, proved
        symbolically, and attained by the discrete bank (:func:`groupconv.proofs.certify_parseval_bank`);
        "not applicable" for other banks."""
        return _bank_certificate(
            self._bank_name, self.J, self.L, True, self.bank_frame_bounds(), what="spatial bank"
        )

    def _low(self, half: torch.Tensor, k: int) -> torch.Tensor:
        """``U * phi`` subsampled by ``k`` of the real maps whose ``rfft2`` is ``half``."""
        M, N = self.shape
        phi = self._scaled_filters("_phih", 0, M, 1 / (M * N), half.real.dtype)
        return _lowpass(half, phi, k, N)

    def _lows(self, groups: dict[int, torch.Tensor], halves: dict[int, torch.Tensor] | None, k: int):
        """:meth:`_low` of every group, in scale order, from the spectra the next layer shares or (last
        order) from one real FFT each."""
        for j in sorted(groups):
            yield self._low(halves[j] if halves is not None else torch.fft.rfft2(groups[j]), k)

    _min_chunk = 1

    def _peak_elements(self) -> int:
        return self._peak

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(..., M, N)`` -> ``(..., n_paths, L, M', N')``."""
        return self._outputs(x, 2**self.J if self.subsample else 1)

    def _outputs(self, x: torch.Tensor, k: int) -> torch.Tensor:
        """The output maps subsampled by ``k``: ``(..., n_paths, L, M / k, N / k)``."""
        xb, lead = self._flatten_input(x)
        shape = (self.shape[0] // k, self.shape[1] // k)
        chunks = []
        for c in self._chunks(xb):
            half = torch.fft.rfft2(c)
            parts = [self._low(half, k)[:, None, None].expand(c.shape[0], 1, self.L, *shape)]
            for _, groups, halves in self._orders(half):
                parts.extend(self._lows(groups, halves, k))
            chunks.append(torch.cat(parts, 1))
        if not chunks:
            out = _empty_output(xb, self.n_paths, self.L, *shape)
        else:
            out = chunks[0] if len(chunks) == 1 else torch.cat(chunks, 0)
        return out.reshape(*lead, *out.shape[1:])

    def _orders(self, half: torch.Tensor):
        """Yield, per order ``m >= 1``, the propagated maps ``U_m`` grouped by their last scale and, below
        the last order, their ``rfft2`` spectra (filtered again by the next layer), from the input's
        spectrum ``half``."""
        if self.max_order < 1:
            return
        xf = _full_spectrum(half, self.shape[1])
        u1 = _modulus(torch.fft.ifft2(xf[:, None, None] * self._psi1))
        groups = {j: u1[:, j : j + 1] for j in range(self.J)}
        for m in range(1, self.max_order + 1):
            halves = {j: torch.fft.rfft2(u) for j, u in groups.items()} if m < self.max_order else None
            yield m, groups, halves
            if halves is not None:
                groups = self._joint_layer(groups, halves)

    def energies(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per order ``m = 0..N``: ``W_m = ||U_m f||^2`` (all paths and orientations) and
        ``|||Phi^m f|||^2 = ||U_m f * phi||^2`` (the order-0 output counted once, not per orientation),
        each ``(N + 1, batch)``. Needs ``subsample=False``."""
        Ws, Es = [], []
        xb = self._energy_input(x)
        for c in self._chunks(xb):
            half = torch.fft.rfft2(c)
            W = [c.pow(2).flatten(1).sum(1)]
            E = [self._low(half, 1).pow(2).flatten(1).sum(1)]
            zero = torch.zeros_like(W[0])
            for _, groups, halves in self._orders(half):
                W.append(sum((u.pow(2).flatten(1).sum(1) for u in groups.values()), zero))
                E.append(sum((s.pow(2).flatten(1).sum(1) for s in self._lows(groups, halves, 1)), zero))
            Ws.append(torch.stack(W))
            Es.append(torch.stack(E))
        return _cat_energies(Ws, Es, self.max_order, xb)

    def _joint_layer(
        self, groups: dict[int, torch.Tensor], halves: dict[int, torch.Tensor]
    ) -> dict[int, torch.Tensor]:
        """One joint roto-translation wavelet layer with modulus (``halves``: the groups' ``rfft2``), one
        product per group and next scale ``j_2``. Without autograd the modulus is written straight into the channels of the next
        groups (no permuted copy, no concatenation)."""
        L, K = self.L, self.K
        M, N = self.shape
        grad = torch.is_grad_enabled() and any(u.requires_grad for u in groups.values())
        # channels of each next group: the contributions of every j_last, in order
        width = {}
        for j_last, u in sorted(groups.items()):
            for j2 in self._next_scales(j_last):
                width[j2] = width.get(j2, 0) + u.shape[1] * K * L
        u0 = next(iter(groups.values()))
        out = {} if grad else {j2: u0.new_empty(u0.shape[0], c, L, M, N) for j2, c in width.items()}
        parts: dict[int, list[torch.Tensor]] = {}
        start = dict.fromkeys(width, 0)
        for j_last in sorted(groups):
            scales = self._next_scales(j_last)
            if not scales:
                continue
            u = groups[j_last]
            B, P = u.shape[:2]
            uf = _full_spectrum(halves[j_last], N)[:, :, None]
            hmat = self._hmat.to(u.dtype)
            for j2 in scales:
                # v[b, p, t2, t'] = U(t') * psi_{j2, t' + t2}, in space
                v = torch.fft.ifft2(uf * self._psi_rot[j2].transpose(0, 1))
                # then the angular convolution t' -> t with h_k, one real matrix product on the real
                # and imaginary parts: y[b, p, t2, (k, t)] = sum_t' c_k(t - t') v[b, p, t2, t']
                vr = torch.view_as_real(v).reshape(B, P, L, L, -1)
                if grad:
                    # (B, P, t2, K, t, M, N): the channels (p, t2, k) and the axis t of the next group
                    y = torch.view_as_complex(torch.matmul(hmat, vr).view(B, P, L, K, L, M, N, 2))
                    parts.setdefault(j2, []).append(y.abs().reshape(B, P * L * K, L, M, N))
                    continue
                c = start[j2]
                dst = out[j2][:, c : c + P * K * L].view(B, P, L, K, L, M, N)
                # a few orientations t2 at a time, so that the product stays in cache for the modulus
                step = max(1, self.chunk_bytes // max(B * P * K * L * M * N * 2 * u.element_size(), 1))
                for t in range(0, L, step):
                    y = torch.matmul(hmat, vr[:, :, t : t + step]).square_()
                    y = y.view(B, P, -1, K, L, M, N, 2)
                    torch.add(y[..., 0], y[..., 1], out=dst[:, :, t : t + step])
                start[j2] = c + P * K * L
        if grad:
            return {j: torch.cat(v, 1) for j, v in parts.items()}
        return {j: o.sqrt_() for j, o in out.items()}

    def invariant(self, x: torch.Tensor) -> torch.Tensor:
        """The orientation-averaged output ``(..., n_paths, M', N')``: invariant to the paths' absolute
        orientation; its maps rotate with the input as the class docstring says (it is not invariant to
        rotations of the input: :meth:`rotation_invariant` is)."""
        return self.forward(x).mean(-3)

    def rotation_invariant(self, x: torch.Tensor) -> torch.Tensor:
        """The output averaged over orientations and space, ``(..., n_paths)``: invariant, to rounding, to
        90-degree rotations (about the centre or any pixel) and circular translations of the input,
        whatever ``subsample`` (class docstring). The average is taken over the full-resolution output
        maps: an average over the subsampled lattice alone would carry the aliases of the low-pass.

        Other angles are not symmetries of the grid, and the invariance is approximate: on smooth images
        (details of a few pixels, clear of the border) rotated by 15 to 60 degrees it changes by at most
        2.5% of its largest entry in measurements on 32 x 32 and 64 x 64 grids (``J`` = 2, 3, ``L`` = 8,
        both banks; the tests allow 5%), against 5-27% for the space average that keeps the orientation
        axis.

        >>> import torch
        >>> S = RotoTranslationScattering((16, 16), J=2, L=4, max_order=2, filters="morlet").double()
        >>> x = torch.randn(1, 16, 16, dtype=torch.float64)
        >>> a, b = S.rotation_invariant(x), S.rotation_invariant(torch.rot90(x, 1, dims=(-2, -1)))
        >>> a.shape, bool((a - b).abs().max() < 1e-12)
        (torch.Size([1, 15]), True)
        """
        return self._outputs(x, 1).mean((-3, -2, -1))
