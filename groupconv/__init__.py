"""groupconv: neural networks that respect the symmetries of compact groups.

Subpackages, in the order they build on each other (a subpackage imports only from those before it;
:doc:`architecture` describes what each owns):

- :mod:`groupconv.utils` -- memory budget, on-disk cache, derived float64 buffers, deprecations.
- :mod:`groupconv.groups` -- compact groups, their elements, actions and subgroups.
- :mod:`groupconv.reps` -- representations, irreps, characters, tensor products, decompositions.
- :mod:`groupconv.kernels` -- equivariant kernel bases.
- :mod:`groupconv.fourier` -- Fourier transforms and generalized convolutions on groups.
- :mod:`groupconv.proofs` -- exact proofs with sympy, stated by the layers as their certificates.
- :mod:`groupconv.nn` -- torch modules, all derived from :class:`groupconv.nn.EquivariantModule`.
- :mod:`groupconv.scattering` -- group-scattering filter banks and energy propagation.
- :mod:`groupconv.verify` -- per-layer equivariance and energy checks, certificates collected from the layers.
- :mod:`groupconv.analysis` -- CBN rank, linear regions, backprop visualizations.
- :mod:`groupconv.testing` -- assertion helpers for users' own test suites.

Importing ``groupconv`` itself is light (no torch), so that the ``groupconv`` command answers ``--help``
at once; the subpackages import torch.

Constructions check their memory against a budget (:func:`memory_budget`, :mod:`groupconv.utils.memory`).

>>> import groupconv
>>> groupconv.get_memory_budget() > 0
True
"""

from __future__ import annotations

from .utils.memory import MemoryBudgetError, get_memory_budget, memory_budget

__version__ = "0.3.0"

__all__ = ["__version__", "MemoryBudgetError", "get_memory_budget", "memory_budget"]
