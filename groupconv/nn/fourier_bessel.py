"""Decomposed convolutional filters in the Fourier-Bessel basis (DCFNet).

.. math::  W_{o i}(x) = \\sum_{k=1}^{K} a_{o i k} \\, \\psi_k(x)

with ``psi_k`` the first ``K`` real Fourier-Bessel functions ordered by eigenvalue (Qiu, Cheng,
Calderbank, Sapiro, *DCFNet: deep neural network with decomposed convolutional filters*, ICML 2018,
eq. 3). Truncating the basis keeps the low spatial frequencies and cuts the parameters of each filter
from ``k^2`` to ``K``.
"""

from __future__ import annotations

import torch
from torch import nn

from ..groups.planar import Cyclic
from ..kernels import fourier_bessel_basis, fourier_bessel_indices
from ..reps.operations import trivial
from .conv.base import EquivariantConv2d
from .field_type import FieldType
from .module import Certificate

__all__ = ["FourierBesselConv2d"]


class FourierBesselConv2d(EquivariantConv2d):
    """A convolution whose filters are linear combinations of ``num_bases`` Fourier-Bessel functions.

    The layer commutes with translations only: its fields are the scalar fields of the trivial group
    ``C1`` (``in_type``, ``out_type``).

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
    >>> conv.certificate().status
    'not applicable'
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
        c1 = Cyclic(1)
        self._setup(
            FieldType(c1, [trivial(c1)] * in_channels),
            FieldType(c1, [trivial(c1)] * out_channels),
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
        )
        self.indices = fourier_bessel_indices(self.kernel_size, num_bases)
        self.num_bases = len(self.indices)
        self.register_derived("basis", fourier_bessel_basis(self.kernel_size, self.num_bases))
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

    def filter(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The expanded filter (:meth:`expand_filter`) and the bias."""
        return self.expand_filter(), self.bias

    def state_description(self) -> dict[str, object]:
        """What the parameters mean (see :class:`~groupconv.nn.module.DescribedState`)."""
        return {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": self.kernel_size,
            "num_bases": self.num_bases,
            "groups": self.groups,
        }

    def certificate(self) -> Certificate:
        """``not applicable``: the layer is equivariant to translations only, which it is by being a
        convolution; there is no group constraint to prove."""
        return Certificate(
            "not applicable",
            "FourierBesselConv2d is a plain convolution (translations only): no group constraint to prove",
        )

    def parameter_savings(self) -> dict:
        """Filter parameters of a plain convolution, of this layer, their difference and ratio."""
        plain = self.out_channels * (self.in_channels // self.groups) * self.kernel_size**2
        ours = self.weight.numel()
        return {"plain": plain, "fourier_bessel": ours, "saved": plain - ours, "ratio": ours / plain}

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, num_bases={self.num_bases}, "
            f"stride={self.stride}, padding={self.padding}"
        )
