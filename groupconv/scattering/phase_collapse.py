"""Phase-collapse networks (Guth, Zarka & Mallat, "Phase collapse in neural networks", ICLR 2022).

Each block filters every channel with a fixed complex Morlet bank (one low-pass and ``L`` oriented
wavelets at scale 1, subsampled by 2), applies a non-linearity to the wavelet coefficients, standardizes
the channels, and mixes them with a learned 1x1 projection followed by a normalization:

.. math::  z_{j+1} = N\\big(P_j\\, \\operatorname{St}\\big(\\,[\\, z_j * \\phi,\\ \\rho(z_j * \\psi_\\theta)\\,]_\\theta\\big)\\big)

(their Eq. (4)). ``rho = |.|`` collapses the phases (the paper's network); complex soft-thresholding
``rho(z) = (|z| - t)_+ z / |z|`` and other amplitude maps keep them (their comparison models), in which case
the projection is complex. A linear classifier acts on the spatial average of the last block.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .filters import morlet_bank
from .scattering2d import _FilterModule, periodize

__all__ = ["PhaseCollapseNet", "PhaseCollapseBlock", "NONLINEARITIES"]


def _modulus(z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    return z.abs()


def _soft_threshold(z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    a = z.abs()
    return z * (torch.relu(a - t) / a.clamp_min(torch.finfo(a.dtype).tiny))


def _tanh_amplitude(z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    a = z.abs()
    return z * (torch.tanh(a / t.clamp_min(1e-6)) * t / a.clamp_min(torch.finfo(a.dtype).tiny))


NONLINEARITIES = {
    "modulus": (_modulus, False),
    "soft_threshold": (_soft_threshold, True),
    "tanh_amplitude": (_tanh_amplitude, True),
}


class _Standardize(nn.Module):
    """Per-channel standardization over batch and space: ``(z - mean) / rms`` (the mean only for real
    maps), with running statistics for evaluation, like batch normalization without affine terms."""

    def __init__(self, channels: int, momentum: float = 0.1, eps: float = 1e-5) -> None:
        super().__init__()
        self.momentum, self.eps = momentum, eps
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        real = not torch.is_complex(z)
        if self.training:
            mean = z.mean((0, 2, 3)) if real else torch.zeros(z.shape[1], dtype=z.real.dtype, device=z.device)
            zc = z - mean.view(1, -1, 1, 1) if real else z
            var = zc.abs().pow(2).mean((0, 2, 3))
            with torch.no_grad():
                self.running_mean.lerp_(mean.detach().to(self.running_mean.dtype), self.momentum)
                self.running_var.lerp_(var.detach().to(self.running_var.dtype), self.momentum)
        else:
            mean, var = self.running_mean, self.running_var
            zc = z - mean.view(1, -1, 1, 1) if real else z
        return zc / torch.sqrt(var.view(1, -1, 1, 1) + self.eps)


class PhaseCollapseBlock(_FilterModule):
    """One block on ``(B, C, H, W)`` maps (real for the first block or after a modulus, else complex).

    Output ``(B, out_channels, H / 2, W / 2)``.
    """

    def __init__(
        self,
        shape: tuple[int, int],
        in_channels: int,
        out_channels: int,
        L: int = 8,
        nonlinearity: str = "modulus",
        complex_input: bool = False,
    ) -> None:
        super().__init__()
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(f"nonlinearity must be one of {sorted(NONLINEARITIES)}, got {nonlinearity!r}")
        H, W = shape
        if H % 2 or W % 2:
            raise ValueError(f"block input shape must be even, got {shape}")
        bank = morlet_bank(shape, 1, L, convention="standard")
        self._filter_buffer("_phi", bank.phi)
        self._filter_buffer("_psi", bank.psi)
        self.rho, self.keeps_phase = NONLINEARITIES[nonlinearity]
        self.nonlinearity = nonlinearity
        self.shape, self.L, self.complex_input = (H, W), L, complex_input
        width = in_channels * (1 + L)
        self.threshold = (
            nn.Parameter(torch.full((in_channels * L,), 0.5)) if nonlinearity != "modulus" else None
        )
        self.standardize = _Standardize(width)
        scale = 1 / math.sqrt(width)
        self.weight_re = nn.Parameter(torch.randn(out_channels, width) * scale)
        self.weight_im = nn.Parameter(torch.randn(out_channels, width) * scale) if self.keeps_phase else None
        self.normalize = _Standardize(out_channels)

    @property
    def output_complex(self) -> bool:
        return self.keeps_phase

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        B, C = z.shape[:2]
        if tuple(z.shape[-2:]) != self.shape:
            raise ValueError(
                f"PhaseCollapseBlock expects (B, C, {self.shape[0]}, {self.shape[1]}), got {tuple(z.shape)}"
            )
        zf = torch.fft.fft2(z)
        low = torch.fft.ifft2(periodize(zf * self._phi, 2))
        band = torch.fft.ifft2(periodize(zf.unsqueeze(2) * self._psi, 2)).flatten(1, 2)
        t = None if self.threshold is None else self.threshold.abs().view(1, -1, 1, 1).to(band.real.dtype)
        band = self.rho(band, t)
        if self.keeps_phase:
            h = torch.cat([low if torch.is_complex(z) else low.real.to(band.dtype), band], 1)
            weight = torch.complex(self.weight_re, self.weight_im).to(h.dtype)
        else:
            h = torch.cat([low.real if not torch.is_complex(z) else low.abs(), band], 1)
            weight = self.weight_re.to(h.dtype)
        h = self.standardize(h)
        return self.normalize(torch.einsum("oc,bchw->bohw", weight, h))

    def extra_repr(self) -> str:
        return f"shape={self.shape}, L={self.L}, nonlinearity={self.nonlinearity!r}"


class PhaseCollapseNet(nn.Module):
    """Blocks of :class:`PhaseCollapseBlock` and a linear classifier on the spatial average.

    Parameters
    ----------
    shape:
        Input ``(H, W)``, divisible by ``2^len(widths)``.
    widths:
        Output channels of each block.
    nonlinearity:
        ``"modulus"`` (phase collapse), ``"soft_threshold"`` or ``"tanh_amplitude"`` (phase-keeping
        amplitude reductions); the classifier then reads the modulus of the complex maps.
    """

    def __init__(
        self,
        shape: tuple[int, int],
        in_channels: int,
        n_classes: int,
        widths: tuple[int, ...] = (32, 64),
        L: int = 8,
        nonlinearity: str = "modulus",
    ) -> None:
        super().__init__()
        H, W = shape
        if H % 2 ** len(widths) or W % 2 ** len(widths):
            raise ValueError(f"shape {shape} must be divisible by 2^{len(widths)} (one halving per block)")
        blocks, c, cplx = [], in_channels, False
        for n, w in enumerate(widths):
            blk = PhaseCollapseBlock((H >> n, W >> n), c, w, L, nonlinearity, complex_input=cplx)
            blocks.append(blk)
            c, cplx = w, blk.output_complex
        self.blocks = nn.ModuleList(blocks)
        self.classifier = nn.Linear(c, n_classes)
        self.shape, self.in_channels = (H, W), in_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_channels or tuple(x.shape[-2:]) != self.shape:
            raise ValueError(
                f"PhaseCollapseNet expects (B, {self.in_channels}, {self.shape[0]}, {self.shape[1]}), got {tuple(x.shape)}"
            )
        z = x
        for blk in self.blocks:
            z = blk(z)
        feat = (z.abs() if torch.is_complex(z) else z).mean((-2, -1))
        return self.classifier(feat)
