"""Variance-preserving initialization of equivariant convolutions (generalized He initialization).

He's setting (He et al., *Delving deep into rectifiers*, ICCV 2015, eq. 10): the input is ``x = relu(h)``
with ``h`` centred and independent across channels and pixels, and the weights keep
``E[y^2] = (gain / 2) E[h^2]`` (``gain = 2`` for ReLU networks). For a filter ``K = sum_b w_b B_b`` with
independent weights ``w_b ~ N(0, s^2)``,

.. math::  E[y_o^2] = s^2 \\sum_b \\big( \\mathrm{Var}(x) \\, \\|B_b[o]\\|^2 + E[x]^2 \\, (B_b[o] m)^2 \\big),

where ``m`` is the direction of the input mean: by equivariance it lies along the trivial irreps of each
input field (the projection of ``(1, ..., 1)`` on them; the all-ones vector of a regular field) and
``B_b[o] m`` is row ``o``'s response to that constant input. A rectified input has
``E[x]^2 = E[h^2] / (2 pi)`` and ``Var(x) = E[h^2] (1 - 1/pi) / 2``, so

.. math::  s^2 = \\frac{gain}{\\sum_b (1 - 1/\\pi) \\|B_b[o]\\|^2 + (B_b[o] m)^2 / \\pi},

averaged over the channels of each output field. For a plain convolution both terms count each entry once
and this is ``2 / fan_in``. Input fields without a trivial irrep have zero mean (norm or gated
nonlinearities) and keep ``s^2 = gain / sum_b ||B_b[o]||^2``. This is the closed-form counterpart of
escnn's ``generalized_he_init`` (Weiler & Cesa, NeurIPS 2019, section 2.9), computed from the sampled
basis, so building a network costs no more than building its bases. For index-map layers (lifting and
group convolutions on the grid) every filter entry is one weight and ``s^2 = gain / fan_in`` with
``fan_in`` the number of input channels times ``k^2``.
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
