"""The band limit of a steerable kernel basis, as one typed, hashable value.

A :class:`KernelSpec` says which radial profiles a basis uses (Gaussian rings or Fourier-Bessel parts), at
which radii and widths, and which angular frequencies each ring keeps; :func:`~groupconv.kernels.kernel_basis`
builds the basis of a pair of representations from it. It validates itself when built, and, being frozen
and hashable, it is the cache key of everything sampled from it.

Examples
--------
>>> from groupconv.kernels import KernelSpec
>>> spec = KernelSpec(rings=(0.0, 1.0, 2.0), width=0.5, max_frequency=3)
>>> spec.rings, spec.width
((0.0, 1.0, 2.0), 0.5)
>>> spec == KernelSpec.from_options("gaussian", rings=[0, 1, 2], width=0.5, max_frequency=3)
True
>>> KernelSpec(profile="bessel").to_options()
{}
"""

from __future__ import annotations

import math
import numbers
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

__all__ = ["KernelSpec", "PROFILES"]

PROFILES = ("gaussian", "bessel")

# a frequency cutoff: the default policy (None), escnn's default policy ("escnn"), a rate alpha (floor(alpha r)),
# a callable radius -> frequency, or a table of the largest frequency on each ring
Cutoff = str | float | Callable[[float], int] | tuple[int, ...] | None

# the named band-limit policies besides the default
CUTOFF_POLICIES = ("escnn",)

# the groupconv package: warnings about options point at the first frame outside it
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep

# the options of the Gaussian rings, which the Fourier-Bessel profiles do not take
_GAUSSIAN_ONLY = ("rings", "width", "frequency_cutoff")


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _is_real(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _floats(name: str, value, positive: bool) -> tuple[float, ...]:
    """``value`` (a sequence of real numbers) as a non-empty tuple of finite floats, each positive or
    non-negative."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)):
        raise TypeError(f"KernelSpec.{name} must be a sequence of numbers, got {value!r}")
    items = list(np.asarray(value).reshape(-1).tolist()) if isinstance(value, np.ndarray) else list(value)
    if not items:
        raise ValueError(f"KernelSpec.{name} must not be empty")
    if any(not _is_real(v) for v in items):
        raise TypeError(f"KernelSpec.{name} must hold real numbers, got {value!r}")
    out = tuple(float(v) for v in items)
    bad = [v for v in out if not math.isfinite(v) or (v <= 0 if positive else v < 0)]
    if bad:
        what = "positive" if positive else "non-negative"
        raise ValueError(f"KernelSpec.{name} must hold finite {what} numbers, got {list(out)}")
    return out


@dataclass(frozen=True)
class KernelSpec:
    """Radial profile and frequency band of a steerable kernel basis.

    Parameters
    ----------
    profile:
        ``"gaussian"``: Gaussian rings times circular harmonics (Weiler & Cesa, NeurIPS 2019, section 3.4);
        ``"bessel"``: Fourier-Bessel radial parts ``J_k(z_{k,q} r / R)`` with the DCFNet cutoff (Qiu et al.,
        ICML 2018), which take none of ``rings``, ``width``, ``frequency_cutoff``.
    rings:
        Radii of the Gaussian rings (pixels from the centre); default ``ceil(k/2)`` rings at
        ``0, 1, ..., (k-1)/2`` for a ``k x k`` kernel.
    width:
        Standard deviation of the Gaussian rings: one number for every ring or one per ring; default 0.6
        (0.4 for the outermost ring).
    max_frequency:
        Largest angular frequency kept on any ring (for ``C_n`` / ``D_n`` aliases count by their own
        frequency ``k``, not ``k mod n``); for ``"bessel"`` the default is ``(kernel_size - 1) // 2``.
    frequency_cutoff:
        Largest frequency of each Gaussian ring: ``None`` for the default policy (0 at the centre, 1 on the
        outermost ring, ``floor(2 r)`` in between), ``"escnn"`` for escnn's default policy (2 on the
        outermost ring; :func:`~groupconv.kernels.radial.escnn_cutoff`), a number ``alpha`` meaning
        ``floor(alpha r)``, a callable ``radius -> frequency``, or a table (tuple of ints) with one frequency
        per ring.
    warn:
        Warn when irrep blocks of a basis are forced to zero (no solution within the band).
    allow_empty:
        Return an empty basis instead of raising when no equivariant kernel exists.

    Raises
    ------
    TypeError, ValueError
        for an option of the wrong type or value, naming it and what was given.
    """

    profile: str = "gaussian"
    rings: tuple[float, ...] | None = None
    width: float | tuple[float, ...] | None = None
    max_frequency: int | None = None
    frequency_cutoff: Cutoff = None
    warn: bool = True
    allow_empty: bool = False

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(
                f"KernelSpec.profile must be one of {', '.join(map(repr, PROFILES))}, got {self.profile!r}"
            )
        if self.profile == "bessel":
            given = [name for name in _GAUSSIAN_ONLY if getattr(self, name) is not None]
            if given:
                raise ValueError(
                    f"the Fourier-Bessel profile has no rings and cuts frequencies by the DCFNet rule; it takes "
                    f"none of {', '.join(_GAUSSIAN_ONLY)}, got {', '.join(given)}"
                )
        if self.rings is not None:
            object.__setattr__(self, "rings", _floats("rings", self.rings, positive=False))
        if self.width is not None:
            if _is_real(self.width):
                width = float(self.width)
                if not math.isfinite(width) or width <= 0:
                    raise ValueError(f"KernelSpec.width must be a finite positive number, got {self.width!r}")
            else:
                width = _floats("width", self.width, positive=True)
                if self.rings is not None and len(width) not in (1, len(self.rings)):
                    raise ValueError(
                        f"KernelSpec.width has {len(width)} values for {len(self.rings)} rings; give one width "
                        "for every ring or one per ring"
                    )
            object.__setattr__(self, "width", width)
        if self.max_frequency is not None:
            if not _is_int(self.max_frequency) or self.max_frequency < 0:
                raise ValueError(
                    f"KernelSpec.max_frequency must be a non-negative int or None, got {self.max_frequency!r}"
                )
            object.__setattr__(self, "max_frequency", int(self.max_frequency))
        object.__setattr__(self, "frequency_cutoff", self._checked_cutoff(self.frequency_cutoff))
        for name in ("warn", "allow_empty"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise TypeError(f"KernelSpec.{name} must be a bool, got {getattr(self, name)!r}")
            object.__setattr__(self, name, bool(getattr(self, name)))

    def _checked_cutoff(self, cutoff) -> Cutoff:
        if cutoff is None:
            return None
        if isinstance(cutoff, str):
            if cutoff not in CUTOFF_POLICIES:
                raise ValueError(
                    f"KernelSpec.frequency_cutoff as a name must be one of {', '.join(map(repr, CUTOFF_POLICIES))}, "
                    f"got {cutoff!r}"
                )
            return cutoff
        if _is_real(cutoff):
            alpha = float(cutoff)
            if not math.isfinite(alpha) or alpha < 0:
                raise ValueError(
                    f"KernelSpec.frequency_cutoff as a rate must be finite and >= 0, got {cutoff!r}"
                )
            return alpha
        if callable(cutoff):
            try:
                hash(cutoff)
            except TypeError:
                raise TypeError(
                    f"KernelSpec.frequency_cutoff must be hashable (it keys the caches), got {cutoff!r}"
                ) from None
            return cutoff
        if isinstance(cutoff, (Sequence, np.ndarray)) and not isinstance(cutoff, (str, bytes)):
            table = (
                list(np.asarray(cutoff).reshape(-1).tolist())
                if isinstance(cutoff, np.ndarray)
                else list(cutoff)
            )
            if not table or any(not _is_int(k) or k < 0 for k in table):
                raise ValueError(
                    f"KernelSpec.frequency_cutoff as a table must hold one non-negative int per ring, got {cutoff!r}"
                )
            if self.rings is not None and len(table) != len(self.rings):
                raise ValueError(
                    f"KernelSpec.frequency_cutoff has {len(table)} frequencies for {len(self.rings)} rings"
                )
            return tuple(int(k) for k in table)
        raise TypeError(
            "KernelSpec.frequency_cutoff must be None, 'escnn', a number, a callable radius -> frequency or a "
            f"table (one int per ring), got {cutoff!r}"
        )

    @classmethod
    def from_options(cls, profile: str = "gaussian", **options: Any) -> KernelSpec:
        """The spec of the keyword options of a layer or a basis builder: ``max_frequency``,
        ``frequency_cutoff``, ``rings``, ``width``, ``warn``, ``allow_empty``, and ``sigma``, the former
        name of ``width`` (deprecated: a :class:`DeprecationWarning`).

        Examples
        --------
        >>> import warnings
        >>> from groupconv.kernels import KernelSpec
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     spec = KernelSpec.from_options("gaussian", sigma=0.5)
        >>> spec.width, caught[0].category.__name__
        (0.5, 'DeprecationWarning')
        """
        if "sigma" in options:
            if "width" in options:
                raise TypeError("give the Gaussian ring width as width (sigma is its former name), not both")
            # the warning points at the first caller outside the package: the code that passed the options
            frame, level = sys._getframe(1), 2
            while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
                frame, level = frame.f_back, level + 1
            warnings.warn(
                "the kernel option sigma is deprecated: it is the Gaussian ring width, now named width",
                DeprecationWarning,
                stacklevel=level,
            )
            options["width"] = options.pop("sigma")
        names = [f.name for f in fields(cls) if f.name != "profile"]
        unknown = sorted(set(options) - set(names))
        if unknown:
            raise TypeError(
                f"kernel basis options are {', '.join(names)} (and sigma, the former name of width); "
                f"got unexpected options {unknown}"
            )
        return cls(profile=profile, **options)

    def to_options(self) -> dict[str, Any]:
        """The options that differ from the defaults, as keywords of :meth:`from_options` (``profile``
        aside): ``KernelSpec.from_options(spec.profile, **spec.to_options()) == spec``."""
        defaults = KernelSpec()
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name != "profile" and getattr(self, f.name) != getattr(defaults, f.name)
        }
