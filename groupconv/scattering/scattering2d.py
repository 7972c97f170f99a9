"""Translation scattering of images, for any depth (Mallat, CPAM 2012; Bruna & Mallat, TPAMI 2013,
Eq. (6)): with ``U[p] f = | | f * psi_{lambda_1} | * ... | * psi_{lambda_m} |`` along a path
``p = (lambda_1, ..., lambda_m)``,

.. math::  S[p] f = U[p] f * \\phi_{2^J}, \\qquad m = 0, \\dots, N,

computed with batched FFTs: the maps of a layer are grouped by the scale of their last filter, and each
group is filtered by all the filters of each coarser scale in one contraction that also performs the
subsampling; the Python loops run over orders, these groups and scales (at most ``J(J+1)/2`` per
order), never over filters, orientations or paths.

:class:`RotoTranslationScattering` (:mod:`groupconv.scattering.rototranslation`) and :func:`periodize`
(:mod:`groupconv.scattering.fft`) are importable from here too.

Examples
--------

>>> import torch
>>> from groupconv.scattering import Scattering2D
>>> s = Scattering2D((32, 32), J=2, L=4, max_order=2)
>>> s(torch.randn(3, 32, 32)).shape  # 1 + J L + L^2 J (J - 1) / 2 paths, subsampled by 2^J
torch.Size([3, 25, 8, 8])
>>> s.paths_meta[:2]
[(), ((0, 0),)]
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
from .fft import _even_part, _filter_fold, _full_spectrum, _lowpass, _modulus, periodize
from .filters import FilterBank, check_scales
from .rototranslation import RotoTranslationScattering

__all__ = ["Scattering2D", "RotoTranslationScattering", "periodize"]


class Scattering2D(_FilterModule):
    """Translation scattering of ``(..., M, N)`` images up to order ``max_order``.

    .. math::  S f = \\{ U[p] f * \\phi_{2^J} \\}_{p}, \\quad
               U[\\lambda_1, \\dots, \\lambda_m] f = |U[\\lambda_1, \\dots, \\lambda_{m-1}] f * \\psi_{\\lambda_m}|

    (Bruna & Mallat, TPAMI 2013, Eq. (6)), with circular convolutions.

    Parameters
    ----------
    shape:
        ``(M, N)``.
    J, L:
        Scales and orientations.
    max_order:
        Depth ``N >= 0``.
    filters:
        ``"morlet"`` (kymatio's parametrization), ``"parseval"`` (:func:`parseval_wavelet_bank`) or a
        :class:`FilterBank` on ``shape``.
    subsample:
        Compute ``U[p]`` at resolution ``2^{j_m}`` and ``S[p]`` at ``2^J`` (kymatio's scheme, output
        ``(M / 2^J, N / 2^J)``); ``False`` keeps every map at full resolution (the energy identity).
    paths:
        ``"increasing"``: frequency-decreasing paths ``j_1 < j_2 < ...`` only; ``"all"``: every path
        (needed for the energy identity ``||f||^2 = sum_{n<N} |||Phi^n f|||^2 + W_N f``; full resolution).

    Attributes
    ----------
    paths_meta:
        For each output channel, the tuple of ``(j, theta)`` pairs of its path (``()`` for order 0).
    chunk_bytes:
        On CPU the batch is processed in chunks of at least two images whose largest intermediate is
        about this size, so that the maps stay in the cache between the steps of the pipeline.
    """

    _reference_buffer = "_phi_0"

    def __init__(
        self,
        shape: tuple[int, int],
        J: int,
        L: int = 8,
        max_order: int = 2,
        filters: str | FilterBank = "morlet",
        subsample: bool = True,
        paths: str = "increasing",
    ) -> None:
        super().__init__()
        _check_depth_and_paths(max_order, paths, subsample)
        M, N = check_scales(shape, J, L, need_divisible=subsample)
        bank = _resolve_bank(filters, (M, N), J, L, full_circle=False)
        self.shape, self.J, self.L, self.max_order = (M, N), bank.J, bank.L, max_order
        self.subsample, self.path_mode, self.bank_name = subsample, paths, bank.name
        self._frame_bounds = bank.frame_bounds()
        self._full_circle = bank.full_circle
        js = bank.j.tolist()
        self._bank_paths = bank.paths()
        # plan: per order, chunks (key, paths) computed as one tensor each; key = last scale (-1 at
        # order 0) or None (paths='all'). Chunks are not merged between layers (no concatenation).
        self._plan: list[list[tuple[object, list[tuple[int, ...]]]]] = []
        groups: list[tuple[object, list[tuple[int, ...]]]] = [(-1 if paths == "increasing" else None, [()])]
        self._filters_of: dict[object, list[int]] = {}
        for m in range(max_order + 1):
            self._plan.append(groups)
            nxt: list[tuple[object, list[tuple[int, ...]]]] = []
            for key, ps in groups:
                allowed = [k for k in range(len(js)) if key is None or js[k] > key]
                if m < max_order:
                    self._filters_of[key] = allowed
                if key is None:
                    nxt.append((None, [p + (k,) for p in ps for k in allowed]))
                    continue
                for tkey in sorted({js[k] for k in allowed}):
                    sel = [k for k in allowed if js[k] == tkey]
                    nxt.append((tkey, [p + (k,) for p in ps for k in sel]))
            groups = nxt
        computed = [p for order in self._plan for _, ps in order for p in ps]
        order_key = sorted(range(len(computed)), key=lambda i: (len(computed[i]), computed[i]))
        self.paths_meta = [tuple(self._bank_paths[k] for k in computed[i]) for i in order_key]
        # output channel of every computed path (the inverse of the sort), sliced per low-pass group
        inverse = torch.empty(len(computed), dtype=torch.long)
        inverse[torch.tensor(order_key, dtype=torch.long)] = torch.arange(len(computed))
        self.register_buffer("_channel_of", inverse, persistent=False)
        for key, allowed in self._filters_of.items():
            res = self._res(key)
            phi, psi = bank.crop(res)
            self.register_derived(f"_psi_{self._name(key)}", psi[allowed], torch.float32)
        for res in sorted({self._res(k) for k in [g for order in self._plan for g, _ in order]}):
            phi = bank.crop(res)[0]
            self.register_derived(f"_phi_{res}", phi, torch.float32)
            self.register_derived(
                f"_phih_{res}", _even_part(phi)[..., : phi.shape[-1] // 2 + 1], torch.float32
            )
        # per psi group: (buffer, rows lo:hi, subsampling k) of each coarser scale, in scale order
        self._steps: dict[object, list[tuple[str, int, int, int]]] = {}
        for key, allowed in self._filters_of.items():
            js = [self._bank_paths[k][0] for k in allowed]
            if key is None:
                self._steps[key] = [(f"_psi_{self._name(key)}", 0, len(js), 1)]
                continue
            res = self._res(key)
            self._steps[key] = [
                (
                    f"_psi_{self._name(key)}",
                    js.index(t),
                    len(js) - js[::-1].index(t),
                    2 ** (t - res) if self.subsample else 1,
                )
                for t in sorted(set(js))
            ]
        self.chunk_bytes = 3 * 2**20

    @staticmethod
    def _name(key) -> str:
        return "all" if key is None else str(key + 1)

    def _res(self, key) -> int:
        return max(key, 0) if (self.subsample and key is not None) else 0

    @property
    def n_paths(self) -> int:
        return len(self.paths_meta)

    def path_table(self) -> list[dict]:
        """One row per output channel: ``order``, ``j`` and ``theta`` tuples."""
        return [
            {"channel": c, "order": len(p), "j": tuple(a for a, _ in p), "theta": tuple(b for _, b in p)}
            for c, p in enumerate(self.paths_meta)
        ]

    def bank_frame_bounds(self) -> tuple[float, float]:
        """Real-input frame bounds ``(A, B)`` of the filter bank, see :func:`frame_bounds`."""
        return self._frame_bounds

    def frame_bounds(self) -> tuple[float | None, float | None]:
        """Energy bounds of the whole map ``f -> S f`` read by :func:`groupconv.verify.check_energy`.

        Without subsampling, ``E_n + W_{n+1} <= B W_n`` layer by layer gives
        ``sum_{n<=N} |||Phi^n f|||^2 <= max(1, B)^{N+1} ||f||^2``; no lower bound holds in general (the
        energy left in ``W_N`` leaves the output). With subsampling no bound is claimed.
        """
        if self.subsample:
            return None, None
        return None, max(1.0, self._frame_bounds[1]) ** (self.max_order + 1)

    def certificate(self) -> Certificate:
        """For the Parseval bank: its Littlewood-Paley identity, proved symbolically, and attained by the
        discrete bank (:func:`groupconv.proofs.certify_parseval_bank`); "not applicable" for other banks."""
        return _bank_certificate(self.bank_name, self.J, self.L, self._full_circle, self.bank_frame_bounds())

    def extra_repr(self) -> str:
        return (
            f"shape={self.shape}, J={self.J}, L={self.L}, max_order={self.max_order}, "
            f"filters={self.bank_name!r}, subsample={self.subsample}, paths={self.path_mode!r}"
        )

    def _orders(self, x: torch.Tensor):
        """Yield, per order ``m``, the low-pass outputs and the propagated maps ``U_m`` (lists by group).

        Every map is real, so its spectrum is one real FFT; the full spectrum is rebuilt by Hermitian
        symmetry only for the maps filtered again, and the low-pass outputs are inverted by real FFTs.
        """
        groups = [x.unsqueeze(1)]
        out_res = self.J if self.subsample else 0
        cdtype = torch.complex128 if x.dtype == torch.float64 else torch.complex64
        for m, plan in enumerate(self._plan):
            S, U, nxt = [], groups, []
            for (key, _), u in zip(plan, groups):
                res = self._res(key)
                M, N = u.shape[-2:]
                half = torch.fft.rfft2(u)
                phi = self._scaled_filters(f"_phih_{res}", 0, M, 1 / (M * N), x.dtype)
                S.append(_lowpass(half, phi, 2 ** (out_res - res), N))
                if m == self.max_order:
                    continue
                uf = _full_spectrum(half, N)
                for name, lo, hi, k in self._steps[key]:
                    # fold factor 1 / k^2 and inverse-FFT factor k^2 / (M N), applied to the filter once
                    w = self._scaled_filters(name, lo, hi, 1 / (M * N), cdtype)
                    y = torch.fft.ifft2(_filter_fold(uf, w, k), norm="forward")
                    nxt.append(_modulus(y).flatten(1, 2))
            yield m, S, U
            groups = nxt

    def _peak_elements(self) -> int:
        """Complex elements of the largest map group of one image (the output of one fold)."""
        M, N = self.shape
        peak = M * N
        for order in self._plan[1:]:
            for key, ps in order:
                r = self._res(key)
                peak = max(peak, len(ps) * (M >> r) * (N >> r))
        return peak

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(..., M, N)`` -> ``(..., n_paths, M', N')`` with ``M' = M / 2^J`` when subsampling."""
        xb, lead = self._flatten_input(x)
        k = 2**self.J if self.subsample else 1
        shape = (self.n_paths, self.shape[0] // k, self.shape[1] // k)
        if xb.shape[0] == 0:
            return _empty_output(xb, *shape).reshape(*lead, *shape)
        out = xb.new_empty(xb.shape[0], *shape)
        row = 0
        for c in self._chunks(xb):
            # every low-pass group written straight into its output channels
            ch = 0
            for _, S, _ in self._orders(c):
                for s in S:
                    out[row : row + c.shape[0]].index_copy_(1, self._channel_of[ch : ch + s.shape[1]], s)
                    ch += s.shape[1]
            row += c.shape[0]
        return out.reshape(*lead, *out.shape[1:])

    def energies(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per order ``m = 0..N``: ``W_m = sum_p ||U[p] f||^2`` and ``|||Phi^m f|||^2 = sum_p ||S[p] f||^2``,
        each ``(N + 1, batch)``. Needs ``subsample=False`` (subsampling changes the energy)."""
        xb = self._energy_input(x)
        Ws, Es = [], []
        for c in self._chunks(xb):
            W, E = [], []
            for _, S, U in self._orders(c):
                W.append(sum(u.pow(2).flatten(1).sum(1) for u in U))
                E.append(sum(s.pow(2).flatten(1).sum(1) for s in S))
            Ws.append(torch.stack(W))
            Es.append(torch.stack(E))
        return _cat_energies(Ws, Es, self.max_order, xb)
