"""The memory budget of constructions.

Building a layer, a representation or a Fourier table of a large group can ask for far more memory than
the machine has (dense ``|G| x |G|`` matrices, sampled kernel bases of large kernels, Fourier tables of
large symmetric groups). Every such construction first estimates the bytes of its largest allocations
and calls :func:`check_memory`, which raises :class:`MemoryBudgetError` (a subclass of both
``MemoryError`` and ``ValueError``) above the budget, before anything is allocated. The message names the
estimate, the budget, how to raise the budget, and the option that would reduce the estimate.

The budget is, in order of precedence:

1. the value set with :func:`memory_budget` (a plain call sets it for the process; used in a ``with``
   statement it is restored on exit);
2. the environment variable ``GROUPCONV_MEMORY_BUDGET`` (read at each check), e.g. ``"16GiB"``;
3. the default, :data:`DEFAULT_MEMORY_BUDGET` = 4 GiB: a fixed value rather than a fraction of the
   machine's memory, so that a model builds, or refuses, the same way on every machine.

Sizes are given as a number of bytes (``int``) or as a string with a unit: ``"512MiB"``, ``"16 GiB"``,
``"2GB"`` (decimal units ``kB, MB, GB, TB`` are powers of 1000, binary units ``KiB, MiB, GiB, TiB`` powers
of 1024), or ``"unlimited"`` to switch the checks off.

>>> parse_size("1.5 GiB") == 1.5 * 2**30
True
>>> with memory_budget("1 MiB"):
...     check_memory(2 * 2**20, "a 2 MiB table", "build a smaller one")
Traceback (most recent call last):
    ...
groupconv.utils.memory.MemoryBudgetError: a 2 MiB table ...
"""

from __future__ import annotations

import math
import os
import re

__all__ = [
    "DEFAULT_MEMORY_BUDGET",
    "ENV_VARIABLE",
    "MemoryBudgetError",
    "check_memory",
    "format_bytes",
    "get_memory_budget",
    "memory_budget",
    "parse_size",
]

#: The budget when neither :func:`memory_budget` nor the environment variable sets one: 4 GiB.
DEFAULT_MEMORY_BUDGET = 4 * 1024**3
#: The environment variable read by :func:`get_memory_budget`.
ENV_VARIABLE = "GROUPCONV_MEMORY_BUDGET"

_UNITS = {
    "": 1,
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}
_SIZE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([a-z]*)\s*$", re.IGNORECASE)

# set by memory_budget(); None: the environment variable or the default decides
_explicit: float | None = None


class MemoryBudgetError(MemoryError, ValueError):
    """A construction whose estimated memory exceeds the budget (:mod:`groupconv.utils.memory`).

    Attributes
    ----------
    nbytes:
        The estimate, in bytes.
    budget:
        The budget it was checked against, in bytes.
    what:
        What was to be built.
    """

    def __init__(self, message: str, nbytes: int, budget: float, what: str):
        super().__init__(message)
        self.nbytes, self.budget, self.what = nbytes, budget, what


def parse_size(value: int | float | str) -> float:
    """A size in bytes from an ``int`` / ``float`` or a string such as ``"16GiB"``, ``"512 MB"``,
    ``"1e9"``; ``"unlimited"`` (or ``"inf"``) gives ``math.inf``.

    Raises
    ------
    TypeError
        for a value that is neither a number nor a string.
    ValueError
        for a negative, NaN or unparsable size, or an unknown unit.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise TypeError(
            f"a memory size is a number of bytes or a string like '16GiB', got {type(value).__name__}"
        )
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("unlimited", "inf", "infinity", "none"):
            return math.inf
        m = _SIZE.match(text)
        if m is None or m.group(2).lower() not in _UNITS:
            raise ValueError(
                f"a memory size is a number with an optional unit (B, kB, MB, GB, TB, KiB, MiB, GiB, TiB) or "
                f"'unlimited', got {value!r}"
            )
        size = float(m.group(1)) * _UNITS[m.group(2).lower()]
    else:
        size = float(value)
        if math.isnan(size) or size < 0:
            raise ValueError(f"a memory size must be a non-negative number of bytes, got {value!r}")
    return size


def format_bytes(nbytes: float) -> str:
    """``nbytes`` in the largest binary unit that keeps the number at least 1, e.g. ``'12.5 GiB'``."""
    if math.isinf(nbytes):
        return "unlimited"
    for unit, scale in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if nbytes >= scale:
            return f"{nbytes / scale:.3g} {unit}"
    return f"{int(nbytes)} B"


def get_memory_budget() -> float:
    """The budget in bytes now in force (``math.inf`` when unlimited).

    Raises
    ------
    ValueError
        when the environment variable holds an unparsable size.
    """
    if _explicit is not None:
        return _explicit
    env = os.environ.get(ENV_VARIABLE)
    if env is None or not env.strip():
        return float(DEFAULT_MEMORY_BUDGET)
    try:
        return parse_size(env)
    except ValueError as e:
        raise ValueError(
            f"the environment variable {ENV_VARIABLE}={env!r} is not a memory size: {e}"
        ) from None


class memory_budget:  # noqa: N801 - used like a function, as torch.set_grad_enabled
    """Set the memory budget of constructions (see :mod:`groupconv.utils.memory`).

    A plain call sets it for the process; in a ``with`` statement the previous setting comes back on
    exit. ``None`` returns to the environment variable / the default.

    Examples
    --------
    >>> import groupconv
    >>> with groupconv.memory_budget("16GiB"):
    ...     groupconv.get_memory_budget() == 16 * 1024**3
    True
    >>> groupconv.get_memory_budget() == groupconv.memory_budget.default
    True
    """

    #: The default budget, :data:`DEFAULT_MEMORY_BUDGET`.
    default = float(DEFAULT_MEMORY_BUDGET)

    def __init__(self, size: int | float | str | None):
        global _explicit
        new = None if size is None else parse_size(size)
        self._previous = _explicit
        _explicit = new

    def __enter__(self) -> memory_budget:
        return self

    def __exit__(self, *exc) -> None:
        global _explicit
        _explicit = self._previous

    def __repr__(self) -> str:
        return f"memory_budget({format_bytes(get_memory_budget())})"


def check_memory(nbytes: float, what: str, hint: str) -> None:
    """Raise :class:`MemoryBudgetError` when the estimate ``nbytes`` of a construction exceeds the budget.

    Parameters
    ----------
    nbytes:
        Estimated bytes of the allocations about to be made.
    what:
        What is being built (e.g. ``"the dense matrices of regular(C1000)"``).
    hint:
        The option that would reduce the estimate (e.g. ``"use act() instead of dense matrices"``).
    """
    budget = get_memory_budget()
    if nbytes <= budget:
        return
    # a budget that would admit this build: the estimate rounded up to a whole number of GiB (or MiB)
    gib = 1024**3
    need = f"{math.ceil(nbytes / gib)}GiB" if nbytes >= gib else f"{math.ceil(nbytes / 1024**2)}MiB"
    raise MemoryBudgetError(
        f"{what} would take about {format_bytes(nbytes)} ({int(nbytes):,} bytes), above the memory budget of "
        f"{format_bytes(budget)}: {hint}; or raise the budget with groupconv.memory_budget({need!r}) or the "
        f"environment variable {ENV_VARIABLE}={need}",
        int(nbytes),
        budget,
        what,
    )
