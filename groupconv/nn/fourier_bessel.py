"""Decomposed convolutional filters in the Fourier-Bessel basis (DCFNet).

.. math::  W_{o i}(x) = \\sum_{k=1}^{K} a_{o i k} \\, \\psi_k(x)

with ``psi_k`` the first ``K`` real Fourier-Bessel functions ordered by eigenvalue (Qiu, Cheng,
Calderbank, Sapiro, *DCFNet: deep neural network with decomposed convolutional filters*, ICML 2018,
eq. 3). Truncating the basis keeps the low spatial frequencies and cuts the parameters of each filter
from ``k^2`` to ``K``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..kernels.fourier_bessel import fourier_bessel_basis, fourier_bessel_indices
from ..kernels.harmonic import check_kernel_size
from ._fields import DescribedState, autocast_dtype
from .conv import conv_geometry

__all__ = ["FourierBesselConv2d"]


class FourierBesselConv2d(DescribedState, nn.Module):
    """A convolution whose filters are linear combinations of ``num_bases`` Fourier-Bessel functions.

    Parameters
    ----------
    in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias:
        As in :class:`torch.nn.Conv2d` (odd square kernels).
    num_bases:
        ``K``; default: every element under the DCFNet cutoff (6, 14, 38 for 3x3, 5x5, 7x7).

    Examples
    --------
    >>> import torch
    >>> from groupconv.nn import FourierBesselConv2d
    >>> conv = FourierBesselConv2d(3, 8, 5, num_bases=6, padding=2)
    >>> conv(torch.randn(1, 3, 16, 16)).shape
    torch.Size([1, 8, 16, 16])
    >>> conv.parameter_savings()["saved"]
    456
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        num_bases: int | None = None,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
    ):
        super().__init__()
        for v, name in ((in_channels, "in_channels"), (out_channels, "out_channels"), (groups, "groups")):
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"in_channels={in_channels} and out_channels={out_channels} must be divisible by groups={groups}"
            )
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = check_kernel_size(kernel_size)
        self.stride, self.padding, self.dilation = conv_geometry(stride, padding, dilation)
        self.groups = groups
        self.indices = fourier_bessel_indices(self.kernel_size, num_bases)
        self.num_bases = len(self.indices)
        basis = fourier_bessel_basis(self.kernel_size, self.num_bases)
        self.register_buffer(
            "basis", torch.as_tensor(basis, dtype=torch.get_default_dtype()), persistent=False
        )
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels // groups, self.num_bases))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self, gain: float = 2.0) -> None:
        """He initialization for the expanded filter: ``Var(a) = gain / (fan_in * mean ||psi_k||^2)``."""
        energy = float((self.basis**2).sum((1, 2)).mean())
        fan_in = self.in_channels // self.groups
        with torch.no_grad():
            self.weight.normal_(0.0, (gain / (fan_in * self.num_bases * energy)) ** 0.5)
            if self.bias is not None:
                self.bias.zero_()

    def expand_filter(self) -> torch.Tensor:
        """``W = sum_k a_k psi_k`` of shape ``(out, in / groups, k, k)``."""
        return torch.einsum("oik,khw->oihw", self.weight, self.basis.to(self.weight.dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"FourierBesselConv2d takes a torch.Tensor, got {type(x).__name__}")
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"FourierBesselConv2d expects input of shape (batch, {self.in_channels}, H, W), got {tuple(x.shape)}"
            )
        # under autocast conv2d computes in the autocast dtype
        if x.dtype != self.weight.dtype and autocast_dtype(x) is None:
            raise TypeError(
                f"FourierBesselConv2d: input dtype {x.dtype} does not match the layer's dtype {self.weight.dtype}; "
                "cast the input or the layer (nothing is down-cast silently)"
            )
        if x.device != self.weight.device:
            raise ValueError(
                f"FourierBesselConv2d: input on {x.device}, the layer's parameters on {self.weight.device}; "
                "move one of them"
            )
        return F.conv2d(
            x, self.expand_filter(), self.bias, self.stride, self.padding, self.dilation, self.groups
        )

    def state_description(self) -> dict[str, object]:
        """What the parameters mean (see :class:`~groupconv.nn._fields.DescribedState`)."""
        return {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": self.kernel_size,
            "num_bases": self.num_bases,
            "groups": self.groups,
        }

    def parameter_savings(self) -> dict:
        """Filter parameters of a plain convolution, of this layer, their difference and ratio."""
        plain = self.out_channels * (self.in_channels // self.groups) * self.kernel_size**2
        ours = self.weight.numel()
        return {"plain": plain, "fourier_bessel": ours, "saved": plain - ours, "ratio": ours / plain}

    def export(self) -> nn.Conv2d:
        """A plain ``torch.nn.Conv2d`` with identical outputs."""
        with torch.no_grad():
            w = self.expand_filter()
        conv = nn.Conv2d(
            self.in_channels,
            self.out_channels,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
            self.bias is not None,
            device=w.device,
            dtype=w.dtype,
        )
        with torch.no_grad():
            conv.weight.copy_(w)
            if self.bias is not None:
                conv.bias.copy_(self.bias)
        return conv

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, num_bases={self.num_bases}, "
            f"stride={self.stride}, padding={self.padding}"
        )
