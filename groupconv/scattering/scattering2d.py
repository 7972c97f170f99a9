"""Translation scattering and roto-translation scattering of images, for any depth.

Translation scattering (Mallat, CPAM 2012; Bruna & Mallat, TPAMI 2013, Eq. (6)): with
``U[p] f = | | f * psi_{lambda_1} | * ... | * psi_{lambda_m} |`` along a path ``p = (lambda_1, ..., lambda_m)``,

.. math::  S[p] f = U[p] f * \\phi_{2^J}, \\qquad m = 0, \\dots, N,

computed with batched FFTs: the maps of a layer are grouped by the scale of their last filter, and each
group is filtered by all the filters of each coarser scale in one contraction that also performs the
subsampling; the Python loops run over orders, these groups and scales (at most ``J(J+1)/2`` per
order), never over filters, orientations or paths.

Roto-translation scattering (Sifre & Mallat, CVPR 2013, Sec. 3): the first layer
``U_1 f(x, theta) = |f * psi_{j_1, theta}|(x)`` is a function on the roto-translation group; the next
layers convolve it over the joint ``(x, theta)`` group with separable wavelets
``Psi_{theta_2, j_2, k}(x, theta) = psi_{theta_2, j_2}(x) h_k(theta)``:

.. math::

    Y(x, \\theta) = \\sum_{\\theta'} \\big(U(\\cdot, \\theta') * \\psi_{j_2, \\theta' + \\theta_2}\\big)(x)\\,
    h_k(\\theta - \\theta'),

so that rotating the input by one angular step rotates ``Y`` spatially and shifts its ``theta`` axis.
"""

from __future__ import annotations

import torch
from torch import nn

from .filters import FilterBank, angular_wavelet_bank, check_scales, morlet_bank, parseval_wavelet_bank

__all__ = ["Scattering2D", "RotoTranslationScattering", "periodize"]


def periodize(x: torch.Tensor, k: int) -> torch.Tensor:
    """Fourier-domain subsampling by ``k`` in both axes: the DFT of ``IDFT(x)[::k, ::k]``.

    .. math::  \\hat y(\\omega) = \\frac{1}{k^2} \\sum_{a, b < k} \\hat x(\\omega + 2\\pi (a, b) / k).
    """
    if k == 1:
        return x
    *lead, M, N = x.shape
    return x.reshape(*lead, k, M // k, k, N // k).mean((-4, -2))


def _filter_fold(uf: torch.Tensor, filt: torch.Tensor, k: int) -> torch.Tensor:
    """``periodize(uf[:, :, None] * filt, k)`` for ``uf`` ``(B, P, M, N)`` and ``filt`` ``(F, M, N)``,
    ``(B, P, F, M / k, N / k)``.

    The ``k^2`` aliased blocks are accumulated in place into the ``(B, P, F, M / k, N / k)`` output with
    one fused multiply-add each: the full-resolution product is never formed (kymatio forms it per filter,
    then averages it), and no operand is copied into another layout. ``filt`` carries the factor
    ``1 / k^2`` of the periodization already and is cast to the dtype of ``uf``.
    """
    filt = filt.to(uf.dtype)
    if k == 1:
        return uf.unsqueeze(2) * filt
    B, P, M, N = uf.shape
    m, n = M // k, N // k
    u = uf.reshape(B, P, 1, k, m, k, n)
    w = filt.reshape(-1, k, m, k, n)
    out = u[:, :, :, 0, :, 0] * w[:, 0, :, 0]
    for a in range(k):
        for c in range(k):
            if a or c:
                out.addcmul_(u[:, :, :, a, :, c], w[:, a, :, c])
    return out


def _full_spectrum(half: torch.Tensor, N: int) -> torch.Tensor:
    """The ``(..., M, N)`` DFT of a real signal from its ``rfft2`` half ``(..., M, N // 2 + 1)``, by
    Hermitian symmetry ``X[k_1, k_2] = conj(X[-k_1, N - k_2])``."""
    M = half.shape[-2]
    rows = (-torch.arange(M, device=half.device)) % M
    upper = half[..., 1 : (N + 1) // 2].index_select(-2, rows).flip(-1).conj()
    return torch.cat([half, upper], -1)


def _lowpass(half: torch.Tensor, phi_half: torch.Tensor, k: int, N: int) -> torch.Tensor:
    """``IDFT(periodize(X phi, k))`` for the real maps whose ``rfft2`` half is ``half`` ``(..., M, N // 2 +
    1)`` and a real even low-pass ``phi`` given by its half ``phi_half``: the real maps ``(..., M / k,
    N / k)``.

    The product is Hermitian, so the rows are periodized in the frequency domain (the DFT of the
    row-subsampled map), the inverse is a real FFT, and the columns are subsampled in space.
    ``phi_half`` carries the factor ``1 / (M N)`` of the fold and of the inverse transform already.
    """
    M = half.shape[-2]
    m = M // k
    phi_half = phi_half.to(half.real.dtype)
    out = half[..., :m, :] * phi_half[:m]
    for a in range(1, k):
        out.addcmul_(half[..., a * m : (a + 1) * m, :], phi_half[a * m : (a + 1) * m])
    y = torch.fft.irfft2(out, s=(m, N), norm="forward")
    return y if k == 1 else y[..., ::k]


def _modulus(y: torch.Tensor) -> torch.Tensor:
    """``|y|`` of a complex tensor. Without autograd ``y`` is overwritten: its real view is squared in
    place and the halves summed, ``sqrt(re^2 + im^2)`` in three passes (``abs`` is about twice as slow on
    CPU); with autograd ``abs`` (whose gradient at 0 is 0, where the square root's is not finite)."""
    if y.requires_grad and torch.is_grad_enabled():
        return y.abs()
    r = torch.view_as_real(y).square_()
    return torch.add(r[..., 0], r[..., 1]).sqrt_()


def _even_part(phi: torch.Tensor) -> torch.Tensor:
    """``(phi(omega) + phi(-omega)) / 2`` of a real Fourier-domain filter: the part of it that acts on a
    real signal's real output, ``Re IDFT(X phi) = IDFT(X phi_even)`` for real ``x``."""
    mirror = torch.roll(phi.flip(-2, -1), (1, 1), (-2, -1))
    return (phi + mirror) / 2


def _check_input(x: torch.Tensor, shape: tuple[int, int], ref: torch.Tensor, name: str) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} expects a torch.Tensor, got {type(x).__name__}")
    if x.dim() < 2 or tuple(x.shape[-2:]) != tuple(shape):
        raise ValueError(f"{name} expects input of shape (..., {shape[0]}, {shape[1]}), got {tuple(x.shape)}")
    if torch.is_complex(x) or not x.is_floating_point():
        raise TypeError(f"{name} expects a real floating tensor, got {x.dtype}")
    _check_fft_dtype(x.dtype, ref.dtype, name)
    if x.dtype != ref.dtype:
        raise TypeError(
            f"{name} has {ref.dtype} filters but got {x.dtype} input; convert the module with .to({x.dtype})"
        )
    if x.device != ref.device:
        raise ValueError(f"{name} has filters on {ref.device} but got input on {x.device}")


def _check_fft_dtype(dtype: torch.dtype, module_dtype: torch.dtype, name: str) -> None:
    """Half precision is refused with the dtype that works: the FFTs of the scattering transforms run in
    float32 or float64 (CPU FFTs take no float16 or bfloat16, CUDA ones only power-of-two sizes)."""
    if dtype in (torch.float32, torch.float64):
        return
    if module_dtype in (torch.float32, torch.float64):
        advice = f"convert the input with x.to({module_dtype})"
    else:
        advice = "convert the module with .float() and the input with x.float()"
    raise TypeError(f"{name} computes in torch.float32 or torch.float64, got {dtype} input; {advice}")


def _check_depth_and_paths(max_order, paths: str, subsample: bool) -> None:
    if not isinstance(max_order, int) or max_order < 0:
        raise ValueError(f"max_order must be an int >= 0, got {max_order!r}")
    if paths not in ("increasing", "all"):
        raise ValueError(f"paths must be 'increasing' or 'all', got {paths!r}")
    if subsample and paths == "all":
        raise ValueError(
            "paths='all' needs subsample=False (paths with j_2 <= j_1 cannot be subsampled, and the "
            "energy identity holds at full resolution)"
        )


def _check_finite(x: torch.Tensor, name: str) -> None:
    # The only host sync of the forward: scattering of inf / nan is meaningless and would propagate
    # silently through every path. A meta tensor has no values to check.
    if not x.is_meta and not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} got non-finite input (inf or nan)")


def _resolve_bank(filters, shape, J, L, full_circle: bool) -> FilterBank:
    if isinstance(filters, FilterBank):
        if tuple(filters.shape) != tuple(shape):
            raise ValueError(f"filter bank shape {filters.shape} does not match input shape {tuple(shape)}")
        return filters
    if filters == "morlet":
        if full_circle:
            return morlet_bank(shape, J, L, convention="standard", full_circle=True)
        return morlet_bank(shape, J, L, convention="kymatio")
    if filters == "parseval":
        return parseval_wavelet_bank(shape, J, L, full_circle=full_circle)
    raise ValueError(f"filters must be 'morlet', 'parseval' or a FilterBank, got {filters!r}")


def _empty_output(x: torch.Tensor, *shape: int, complex_out: bool = False) -> torch.Tensor:
    """The output ``(0, *shape)`` of an empty batch ``x``, as a view of ``x`` so that autograd sees it
    depend on the input, as a computed output would (FFT libraries refuse empty transforms)."""
    y = x.reshape(0, *shape)
    return torch.complex(y, y) if complex_out and not torch.is_complex(y) else y


def _cat_energies(Ws: list, Es: list, max_order: int, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The per-chunk energies ``(N + 1, chunk)`` joined along the batch; ``(N + 1, 0)`` for no chunk."""
    if not Ws:
        return x.new_zeros(max_order + 1, 0), x.new_zeros(max_order + 1, 0)
    return torch.cat(Ws, 1), torch.cat(Es, 1)


class _FilterModule(nn.Module):
    """Keeps float64 master copies of its filter buffers: converting the module to a dtype rebuilds the
    buffers from the masters, so ``.double()`` gives float64-accurate filters, not upcast float32 ones."""

    def _filter_buffer(self, name: str, value: torch.Tensor, dtype: torch.dtype = torch.float32) -> None:
        if not hasattr(self, "_masters"):
            self._masters: dict[str, torch.Tensor] = {}
        self._masters[name] = value.detach().to(torch.float64).contiguous()
        self.register_buffer(name, self._masters[name].to(dtype), persistent=False)

    # the buffer whose dtype and device inputs must match
    _reference_buffer = "_phi"

    def _flatten_input(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[int, ...]]:
        """Check ``x`` (shape, dtype, device, finite) and flatten its leading axes: ``(B, M, N)`` and
        those axes."""
        _check_input(x, self.shape, getattr(self, self._reference_buffer), type(self).__name__)
        _check_finite(x, type(self).__name__)
        lead = tuple(x.shape[:-2])
        return x.reshape(-1, *self.shape), lead

    def _energy_input(self, x: torch.Tensor) -> torch.Tensor:
        if self.subsample:
            raise ValueError("energies need subsample=False: subsampled maps do not carry the signal energy")
        return self._flatten_input(x)[0]

    def _scaled_filters(self, name: str, lo: int, hi: int, scale: float, dtype: torch.dtype) -> torch.Tensor:
        """Rows ``lo:hi`` of a filter buffer times ``scale`` (the normalizations of a fold and of the
        inverse FFT, applied once), in ``dtype``; cached for the buffer tensor itself (held, so that its
        identity cannot be reused) at its version: a buffer replaced (``functional_call``, assignment),
        modified in place, moved or converted is scaled again. The buffers are derived constants: writes
        through ``.data`` bypass the version counter and are not seen."""
        cache = self.__dict__.setdefault("_scaled_cache", {})
        source = getattr(self, name)
        key = (name, lo, hi, scale, dtype)
        hit = cache.get(key)
        if hit is None or hit[0] is not source or hit[1] != source._version:
            hit = (source, source._version, (source[lo:hi] * scale).to(dtype).contiguous())
            cache[key] = hit
        return hit[2]

    # smallest number of images per chunk
    _min_chunk = 2

    def _chunks(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Batch chunks of at least ``_min_chunk`` images whose largest intermediate stays near
        ``chunk_bytes`` on CPU (the pipeline is memory-bound once its maps leave the cache); one chunk on
        other devices; none for an empty batch (FFT libraries refuse empty transforms)."""
        if x.shape[0] == 0:
            return []
        if x.device.type != "cpu" or x.shape[0] <= self._min_chunk:
            return [x]
        per_image = self._peak_elements() * x.element_size() * 2
        return list(x.split(max(self._min_chunk, self.chunk_bytes // max(per_image, 1))))

    def _peak_elements(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def _apply(self, fn, recurse: bool = True):
        self.__dict__.pop("_scaled_cache", None)
        super()._apply(fn, recurse)
        for name, master in getattr(self, "_masters", {}).items():
            cur = self._buffers[name]
            self._buffers[name] = master.to(device=cur.device, dtype=cur.dtype)
        return self


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
            self._filter_buffer(f"_psi_{self._name(key)}", psi[allowed])
        for res in sorted({self._res(k) for k in [g for order in self._plan for g, _ in order]}):
            phi = bank.crop(res)[0]
            self._filter_buffer(f"_phi_{res}", phi)
            self._filter_buffer(f"_phih_{res}", _even_part(phi)[..., : phi.shape[-1] // 2 + 1])
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


class RotoTranslationScattering(_FilterModule):
    """Roto-translation scattering (Sifre & Mallat, CVPR 2013) of ``(..., M, N)`` images.

    Orientations ``theta_l = 2 pi l / L`` of the whole circle carry the group ``C_L``; order 1 is
    ``U_1(x, theta) = |f * psi_{j_1, theta}|``; every further order convolves over the joint group with
    ``psi_{j, theta' + theta_2}(x) h_k(theta - theta')`` (module docstring), ``h_k`` the Parseval
    angular wavelets of :func:`angular_wavelet_bank`, and takes the modulus. Outputs are
    ``U_m * phi_{2^J}`` with the orientation axis kept, shape ``(..., n_paths, L, M', N')``; the output of
    order 0 is repeated along it. Rotating a square input by 90 degrees (``4 | L``) rotates every output
    map and shifts the orientation axis by ``L / 4``; :meth:`invariant` averages that axis out.

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
        self._angular_upper = float(h.pow(2).sum(0).max())
        psi = bank.psi.view(J, L, M, N)
        self._filter_buffer("_phi", bank.phi)
        self._filter_buffer("_phih", _even_part(bank.phi)[..., : N // 2 + 1])
        self._filter_buffer("_psi1", psi)
        # the angular convolution theta' -> theta with h_k as a real (K L, L) circulant matrix:
        # c_k = IDFT(h^_k) is real and even, since h^_k depends on |m| only
        c = torch.fft.ifft(h.to(torch.complex128), dim=-1).real
        circ = (torch.arange(L)[:, None] - torch.arange(L)[None, :]) % L
        self._filter_buffer("_hmat", c[:, circ].reshape(self.K * L, L))
        rot = (torch.arange(L)[:, None] + torch.arange(L)[None, :]) % L
        # _psi_rot[j][t', t2] = psi_{j, t' + t2}, the spatial filter rotated with the input orientation
        self._filter_buffer("_psi_rot", psi[:, rot])
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

    def _low(self, half: torch.Tensor) -> torch.Tensor:
        """``U * phi`` (subsampled by ``2^J`` when subsampling) of the real maps whose ``rfft2`` is ``half``."""
        M, N = self.shape
        phi = self._scaled_filters("_phih", 0, M, 1 / (M * N), half.real.dtype)
        return _lowpass(half, phi, 2**self.J if self.subsample else 1, N)

    def _lows(self, groups: dict[int, torch.Tensor], halves: dict[int, torch.Tensor] | None):
        """:meth:`_low` of every group, in scale order, from the spectra the next layer shares or (last
        order) from one real FFT each."""
        for j in sorted(groups):
            yield self._low(halves[j] if halves is not None else torch.fft.rfft2(groups[j]))

    _min_chunk = 1

    def _peak_elements(self) -> int:
        return self._peak

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(..., M, N)`` -> ``(..., n_paths, L, M', N')``."""
        xb, lead = self._flatten_input(x)
        chunks = []
        for c in self._chunks(xb):
            half = torch.fft.rfft2(c)
            parts = [self._low(half)[:, None, None].expand(c.shape[0], 1, self.L, *self._out_shape())]
            for _, groups, halves in self._orders(half):
                parts.extend(self._lows(groups, halves))
            chunks.append(torch.cat(parts, 1))
        if not chunks:
            out = _empty_output(xb, self.n_paths, self.L, *self._out_shape())
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
            E = [self._low(half).pow(2).flatten(1).sum(1)]
            zero = torch.zeros_like(W[0])
            for _, groups, halves in self._orders(half):
                W.append(sum((u.pow(2).flatten(1).sum(1) for u in groups.values()), zero))
                E.append(sum((s.pow(2).flatten(1).sum(1) for s in self._lows(groups, halves)), zero))
            Ws.append(torch.stack(W))
            Es.append(torch.stack(E))
        return _cat_energies(Ws, Es, self.max_order, xb)

    def _out_shape(self) -> tuple[int, int]:
        k = 2**self.J if self.subsample else 1
        return self.shape[0] // k, self.shape[1] // k

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
        """The orientation-averaged output ``(..., n_paths, M', N')``, invariant to rotating the paths'
        absolute orientation (and, averaged over space too, to 90-degree rotations of the input)."""
        return self.forward(x).mean(-3)
