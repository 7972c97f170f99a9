"""Variance-preserving initialization of equivariant convolutions (generalized He initialization).

For a filter ``K = sum_b w_b B_b`` with independent weights ``w_b ~ N(0, s^2)`` and inputs of unit
variance, output channel ``o`` has variance

.. math::  \\mathrm{Var}(y_o) = s^2 \\sum_{b} \\sum_{i, u} B_b[o, i, u]^2 ,

so ``s^2 = gain / sum_b ||B_b[o]||^2`` (averaged over the channels of each output field) keeps the
variance at ``gain / 2`` times that of He et al. (*Delving deep into rectifiers*, ICCV 2015, eq. 10;
``gain = 2`` for ReLU networks). This is escnn's ``generalized_he_init`` (Weiler & Cesa, NeurIPS 2019,
section 2.9) computed in closed form from the sampled basis instead of by sampling, so building a
network costs no more than building its bases. For index-map layers (lifting and group convolutions on
the grid) every filter entry is one weight and ``s^2 = gain / fan_in`` with ``fan_in`` the number of
input channels times ``k^2``.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["generalized_he_init_"]


def generalized_he_init_(module: nn.Module, gain: float = 2.0) -> nn.Module:
    """Initialize the weights of a groupconv convolution in place (see the module docstring); returns
    the module."""
    weight = getattr(module, "weight", None)
    if not isinstance(weight, torch.Tensor):
        raise TypeError(
            f"generalized_he_init_ needs a groupconv convolution with a weight, got {type(module).__name__}"
        )
    expansion = getattr(module, "_expansion", None)
    with torch.no_grad():
        if expansion is not None:
            std = torch.as_tensor(expansion.he_std(gain), dtype=weight.dtype, device=weight.device)
            weight.copy_(torch.randn_like(weight) * std)
        else:
            fan_in = module.in_type.size * module.kernel_size**2
            weight.normal_(0.0, (gain / fan_in) ** 0.5)
    return module
