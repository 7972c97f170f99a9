"""What the scattering modules share: their input checks and the base class of the modules that filter
with a fixed Fourier-domain bank.

A scattering module is an :class:`~groupconv.nn.module.EquivariantModule` whose filters are derived
buffers (:meth:`~groupconv.utils.buffers.DerivedBuffers.register_derived`): float64 masters on the CPU,
from which every ``.to()``, ``.float()`` or ``.double()`` rebuilds the buffers, so that a round trip
through float32 keeps float64-accurate filters and the ``state_dict`` holds nothing derived. Its inputs
are images ``(..., M, N)`` and the maps computed from them, not fields of a group, so it has no field
types (``in_type = out_type = None``): :func:`groupconv.verify.check_equivariance` reports it as "not
checked: no type", and its translation (and, for the roto-translation transform, rotation) covariance
is checked by the test suite. Its :meth:`check_input` validates the shape, dtype, device and values the
transform needs. A module filtering with the analytic Parseval bank (:func:`parseval_wavelet_bank`)
proves its bank's Littlewood-Paley identity in :meth:`~groupconv.nn.module.EquivariantModule.certificate`
(:func:`groupconv.proofs.certify_parseval_bank`); its energy bounds are given by ``frame_bounds()``.

>>> import torch
>>> from groupconv.scattering import Scattering2D
>>> s = Scattering2D((16, 16), J=2, L=4).float().double()
>>> s.in_type is None, s(torch.randn(1, 16, 16, dtype=torch.float64)).dtype
(True, torch.float64)
>>> torch.equal(s.derived_master("_phi_0"), s._phi_0)
True
"""

from __future__ import annotations

import torch

from ..nn.module import Certificate, EquivariantModule
from ..proofs import certify_parseval_bank
from .filters import FilterBank, morlet_bank, parseval_wavelet_bank

__all__: list[str] = []

# the banks with a closed-form Littlewood-Paley identity: parseval_wavelet_bank and its make_tight
PARSEVAL_BANKS = ("parseval wavelets", "tight parseval wavelets")


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


def _bank_certificate(
    name: str, J: int, L: int, full_circle: bool, bounds: tuple[float, float], what: str = "bank"
) -> Certificate:
    """The certificate of a module filtering with the bank ``name`` (``J`` scales, ``L`` orientations of
    the half or full circle) whose computed frame bounds are ``bounds``: the Littlewood-Paley identity
    proved and attained by the discrete bank for the Parseval banks, "not applicable" for the others."""
    if name not in PARSEVAL_BANKS:
        return Certificate(
            "not applicable",
            f"the {name!r} {what} has no closed-form Littlewood-Paley identity; its numeric frame bounds "
            f"are {bounds}",
        )
    proved, reason, deviation = certify_parseval_bank(int(J), int(L), bounds, full_circle=full_circle)
    return Certificate("proved" if proved else "failed", reason, deviation)


class _FilterModule(EquivariantModule):
    """Base of the modules that filter with a fixed bank: the filters are derived buffers (float64
    masters, rebuilt on every dtype or device change), filter rows scaled once per dtype are cached, and
    the batch is processed in chunks sized to the cache. No field types (module docstring)."""

    in_type = None
    out_type = None

    # the buffer whose dtype and device inputs must match
    _reference_buffer = "_phi"

    def check_input(self, x: torch.Tensor) -> torch.Tensor:
        """Check that ``x`` is a real, finite ``(..., M, N)`` tensor in the dtype (float32 or float64) and
        on the device of the filters; return it."""
        _check_input(x, self.shape, getattr(self, self._reference_buffer), type(self).__name__)
        _check_finite(x, type(self).__name__)
        return x

    def _flatten_input(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[int, ...]]:
        """Check ``x`` (:meth:`check_input`) and flatten its leading axes: ``(B, M, N)`` and those axes."""
        self.check_input(x)
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
        # the base rebuilds the filters from their float64 masters; the scaled copies are dropped
        self.__dict__.pop("_scaled_cache", None)
        return super()._apply(fn, recurse)
