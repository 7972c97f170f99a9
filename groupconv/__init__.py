"""groupconv: neural networks that respect the symmetries of compact groups.

Subpackages, lower floors never importing higher ones:

- :mod:`groupconv.groups` -- compact groups, their elements, actions and subgroups.
- :mod:`groupconv.reps` -- representations, irreps, characters, tensor products, decompositions.
- :mod:`groupconv.fourier` -- Fourier transforms and generalized convolutions on groups.
- :mod:`groupconv.kernels` -- equivariant kernel bases.
- :mod:`groupconv.nn` -- torch modules.
- :mod:`groupconv.scattering` -- group-scattering filter banks and energy propagation.
- :mod:`groupconv.verify` -- per-layer equivariance and energy checks, exact certificates.
- :mod:`groupconv.analysis` -- CBN rank, linear regions, backprop visualizations.
- :mod:`groupconv.testing` -- assertion helpers for users' own test suites.

Constructions check their memory against a budget (:func:`memory_budget`, :mod:`groupconv.utils.memory`).
"""

from __future__ import annotations

from .utils.memory import MemoryBudgetError, get_memory_budget, memory_budget

__version__ = "0.2.0"

__all__ = ["__version__", "MemoryBudgetError", "get_memory_budget", "memory_budget"]
