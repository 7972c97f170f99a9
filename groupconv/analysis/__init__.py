"""Analyses of trained and random networks from the literature.

- :func:`cbn_rank` -- frequencies and ranks kept by convolution layers (Wen & Jacot, ICML 2024).
- :mod:`groupconv.analysis.linear_regions` -- bounds on and exact counts of the linear regions of ReLU
  networks (Serra, Tjandraatmadja & Ramalingam, ICML 2018).
- :func:`saliency`, :func:`deconvnet`, :func:`guided_backprop` -- backpropagation-based visualizations
  (Nie, Zhang & Patel, ICML 2018).
- :mod:`groupconv.analysis.train` -- a small (optionally data-parallel) training loop.

>>> from groupconv.analysis import linear_regions
>>> linear_regions.upper_bound(1, [3, 3])  # one input, two hidden layers of width 3
16
"""

from __future__ import annotations

from . import linear_regions
from .backprop_viz import backprop_map, deconvnet, guided_backprop, saliency
from .cbn import CBNLayer, CBNReport, cbn_rank, conv_transfer_matrices, plot_cbn_spectrum

__all__ = [
    "cbn_rank",
    "CBNLayer",
    "CBNReport",
    "conv_transfer_matrices",
    "plot_cbn_spectrum",
    "linear_regions",
    "saliency",
    "deconvnet",
    "guided_backprop",
    "backprop_map",
]
