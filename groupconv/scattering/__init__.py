"""groupconv.scattering: filter banks, Littlewood-Paley sums and frame bounds, translation and
roto-translation scattering, solid harmonic scattering of 3D densities, generalized scattering networks
and energy propagation.

>>> import torch
>>> from groupconv.scattering import Scattering2D, parseval_wavelet_bank
>>> bank = parseval_wavelet_bank((16, 16), J=2, L=4)
>>> [round(v, 12) for v in bank.frame_bounds()]  # a tight frame: A = B = 1
[1.0, 1.0]
>>> Scattering2D((16, 16), J=2, L=4, filters=bank)(torch.randn(2, 16, 16)).shape
torch.Size([2, 25, 4, 4])
"""

from __future__ import annotations

from .energy import (
    EnergyPropagation,
    IdentityDefect,
    decay_bound,
    depth_for_energy,
    energy_per_layer,
    plot_energy_decay,
    plot_littlewood_paley,
)
from .filters import (
    FilterBank,
    angular_wavelet_bank,
    frame_bounds,
    gabor_bank,
    littlewood_paley_sum,
    make_tight,
    morlet_bank,
    parseval_wavelet_bank,
)
from .generalized import GeneralizedScattering, Modulus, Pooling, RealReLU, ScatteringLayer, SoftModulus
from .harmonic3d import HarmonicScattering3D
from .phase_collapse import PhaseCollapseBlock, PhaseCollapseNet
from .scattering2d import RotoTranslationScattering, Scattering2D, periodize

__all__ = [
    "FilterBank",
    "morlet_bank",
    "parseval_wavelet_bank",
    "gabor_bank",
    "angular_wavelet_bank",
    "make_tight",
    "littlewood_paley_sum",
    "frame_bounds",
    "Scattering2D",
    "RotoTranslationScattering",
    "HarmonicScattering3D",
    "periodize",
    "GeneralizedScattering",
    "ScatteringLayer",
    "Modulus",
    "RealReLU",
    "SoftModulus",
    "Pooling",
    "EnergyPropagation",
    "IdentityDefect",
    "energy_per_layer",
    "depth_for_energy",
    "decay_bound",
    "plot_energy_decay",
    "plot_littlewood_paley",
    "PhaseCollapseNet",
    "PhaseCollapseBlock",
]
