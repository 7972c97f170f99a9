r"""Phase-collapse networks (Guth, Zarka & Mallat, "Phase collapse in neural networks", ICLR 2022).

A block maps complex maps :math:`x_{j-1}` of shape ``(B, C, M, N)`` to ``(B, C', M/2, N/2)``:

.. math::

    x_j = N \, P_j \, S \big[ x_{j-1} * \phi \downarrow 2, \;
          \rho\big(x_{j-1} * \psi_{\ell, \theta} \downarrow 2\big)_{\ell < J, \theta < L} \big],

with a fixed complex Morlet bank (a low-pass :math:`\phi` and :math:`JL` wavelets, :math:`L` angles in
:math:`[0, \pi)`), a pointwise non-linearity :math:`\rho` applied to the wavelet coefficients only (the
low-pass channel stays linear), a standardization :math:`S` (per channel, batch statistics, no learned
affine), a learned complex :math:`1 \times 1` convolution :math:`P_j` and a normalization :math:`N` that
sets the norm across channels to 1 at every position (their Section 3; the
"Fw rho Std Pc N" blocks of the authors' code). A linear classifier reads the real and imaginary parts
of the last block.

Non-linearities (``nonlinearity=``), the phase collapse and the phase-keeping amplitude reductions the
paper compares it with (Section 4 and Table 2):

``"modulus"``
    :math:`\rho(z) = |z|`: the phase collapse; :math:`\rho(e^{i\alpha} z) = \rho(z)`.
``"soft-threshold"``
    :math:`\rho_t(z) = \mathrm{ReLU}(|z| - t) \, z / |z|`, complex soft-thresholding with a learned
    threshold :math:`t \ge 0` per channel.
``"sigmoid-amplitude"``
    :math:`\rho(z) = \sigma(a |z| + b) \, z / |z|`, a learned sigmoid of the amplitude (gain :math:`a`,
    bias :math:`b` per channel).
``"tanh-amplitude"``
    :math:`\rho(z) = \tanh(|z|) \, z / |z|`.
``"phase-only"``
    :math:`\rho(z) = z / |z|`: the amplitude collapses and only the phase is kept.

The last four commute with phase shifts, :math:`\rho(e^{i\alpha} z) = e^{i\alpha} \rho(z)`: they reduce
amplitudes (sparsity) but keep the phase, hence the spatial variability that a phase collapse removes.

The modules act on images and complex maps whose channels are filter responses, not fields of a group:
they have no field types (``in_type = out_type = None``, reported "not checked: no type" by
:func:`groupconv.verify.check_equivariance`).

>>> import torch
>>> rho = PhaseNonlinearity("modulus", 2)
>>> z = torch.randn(1, 2, 3, 3, dtype=torch.complex128)
>>> torch.equal(rho(z * 1j), rho(z)), rho.collapses_phase
(True, True)
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..nn.module import EquivariantModule
from .base import _check_fft_dtype, _empty_output, _FilterModule
from .fft import periodize
from .filters import check_scales, morlet_bank

__all__ = [
    "PhaseCollapseNet",
    "PhaseCollapseBlock",
    "PhaseNonlinearity",
    "ComplexStandardization",
    "NONLINEARITIES",
    "complex_soft_threshold",
]

NONLINEARITIES = ("modulus", "soft-threshold", "sigmoid-amplitude", "tanh-amplitude", "phase-only")


def _unit(z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``|z|`` and ``z / |z|`` (``0`` at ``z = 0``)."""
    r = z.abs()
    return r, z / r.clamp_min(torch.finfo(r.dtype).tiny)


def complex_soft_threshold(z: torch.Tensor, t: torch.Tensor | float) -> torch.Tensor:
    r"""Complex soft-thresholding :math:`\rho_t(z) = \mathrm{ReLU}(|z| - t) \, z / |z|`
    (Guth, Zarka & Mallat, ICLR 2022, Section 4); ``t`` broadcasts against ``z``."""
    r, u = _unit(z)
    return torch.relu(r - t) * u


class PhaseNonlinearity(EquivariantModule):
    """One of :data:`NONLINEARITIES` (module docstring) on complex maps ``(B, channels, ...)``.

    Parameters
    ----------
    kind:
        The non-linearity.
    channels:
        Channels of its input (each learned threshold, gain or bias is per channel).
    threshold:
        Initial threshold of ``"soft-threshold"`` (the authors' CIFAR runs start at 0.1).

    Notes
    -----
    No field types (module docstring).
    """

    in_type = None
    out_type = None

    def __init__(self, kind: str, channels: int, threshold: float = 0.1) -> None:
        super().__init__()
        if kind not in NONLINEARITIES:
            raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, got {kind!r}")
        if not isinstance(channels, int) or channels < 1:
            raise ValueError(f"channels must be a positive int, got {channels!r}")
        self.kind, self.channels = kind, channels
        if kind == "soft-threshold":
            if threshold < 0:
                raise ValueError(f"threshold must be >= 0, got {threshold}")
            self.threshold = nn.Parameter(torch.full((channels,), float(threshold)))
        elif kind == "sigmoid-amplitude":
            self.gain = nn.Parameter(torch.ones(channels))
            self.bias = nn.Parameter(torch.zeros(channels))

    @property
    def collapses_phase(self) -> bool:
        """True when ``rho(e^{i a} z) = rho(z)`` (the modulus), false when ``rho`` commutes with phases."""
        return self.kind == "modulus"

    def _per_channel(self, p: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return p.to(z.real.dtype).view(1, -1, *([1] * (z.dim() - 2)))

    def check_input(self, z: torch.Tensor) -> torch.Tensor:
        """Check that ``z`` is complex ``(B, channels, ...)``; return it."""
        if not torch.is_complex(z) or z.dim() < 2 or z.shape[1] != self.channels:
            raise ValueError(
                f"expected complex maps (B, {self.channels}, ...), got {z.dtype} of shape {tuple(z.shape)}"
            )
        return z

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        z = self.check_input(z)
        if self.kind == "modulus":
            return z.abs()
        r, u = _unit(z)
        if self.kind == "soft-threshold":
            # a negative threshold would add amplitude to every coefficient, phase of zero included
            t = self._per_channel(self.threshold, z).clamp_min(0.0)
            return torch.relu(r - t) * u
        if self.kind == "sigmoid-amplitude":
            a, b = self._per_channel(self.gain, z), self._per_channel(self.bias, z)
            return torch.sigmoid(a * r + b) * u
        if self.kind == "tanh-amplitude":
            return torch.tanh(r) * u
        return u

    def extra_repr(self) -> str:
        return f"{self.kind!r}, channels={self.channels}"


class ComplexStandardization(EquivariantModule):
    r"""Per-channel standardization of complex (or real) maps, without learned affine:

    .. math::  S(x)_c = (x_c - \mu_c) / \sqrt{\sigma_c^2 + \epsilon}, \qquad
               \mu_c = \mathbb E[x_c], \; \sigma_c^2 = \mathbb E |x_c - \mu_c|^2,

    the expectations over batch and positions in training (running averages, as batch normalization,
    in evaluation). The complex mean is kept as a real ``(C, 2)`` buffer. No field types (module
    docstring).

    >>> import torch
    >>> std = ComplexStandardization(3).double()
    >>> out = std(torch.randn(8, 3, 4, 4, dtype=torch.complex128) * 5 + 2j)
    >>> out.mean((0, 2, 3)).abs().max() < 1e-12
    tensor(True)
    """

    in_type = None
    out_type = None

    def __init__(self, channels: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        self.channels, self.eps, self.momentum = channels, eps, momentum
        self.register_buffer("running_mean", torch.zeros(channels, 2))
        self.register_buffer("running_var", torch.ones(channels))

    def check_input(self, x: torch.Tensor) -> torch.Tensor:
        """Check that ``x`` is real or complex ``(B, channels, H, W)``; return it."""
        if x.dim() != 4 or x.shape[1] != self.channels:
            raise ValueError(f"expected maps (B, {self.channels}, H, W), got shape {tuple(x.shape)}")
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.check_input(x)
        z = x if torch.is_complex(x) else torch.complex(x, torch.zeros_like(x))
        # an empty batch has no statistics: the running averages are kept, as in torch's batch normalization
        if self.training and z.shape[0] > 0:
            mean = z.mean((0, 2, 3))
            var = (z - mean.view(1, -1, 1, 1)).abs().square().mean((0, 2, 3))
            n = z.numel() // self.channels
            with torch.no_grad():
                m = self.momentum
                self.running_mean.mul_(1 - m).add_(m * torch.view_as_real(mean.detach()))
                self.running_var.mul_(1 - m).add_(m * var.detach() * n / max(n - 1, 1))
        else:
            mean = torch.view_as_complex(self.running_mean.to(z.real.dtype).contiguous())
            var = self.running_var.to(z.real.dtype)
        return (z - mean.view(1, -1, 1, 1)) * torch.rsqrt(var + self.eps).view(1, -1, 1, 1)

    def extra_repr(self) -> str:
        return f"{self.channels}, eps={self.eps}, momentum={self.momentum}"


class PhaseCollapseBlock(_FilterModule):
    """One block ``x -> N P S [x * phi, rho(x * psi)]`` subsampled by 2 (module docstring).

    :meth:`responses` computes the filter-bank coefficients (one batched product with all ``1 + J L``
    filters in the Fourier domain, one inverse FFT), :meth:`transform` the rest, so that
    ``forward(x) == transform(*responses(x))``. No field types (module docstring).

    >>> import torch
    >>> block = PhaseCollapseBlock(1, 4, (16, 16), J=1, L=4)
    >>> low, band = block.responses(torch.randn(2, 1, 16, 16))
    >>> low.shape, band.shape, block(torch.randn(2, 1, 16, 16)).shape
    (torch.Size([2, 1, 8, 8]), torch.Size([2, 1, 4, 8, 8]), torch.Size([2, 4, 8, 8]))
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        shape: tuple[int, int],
        J: int = 1,
        L: int = 8,
        nonlinearity: str = "modulus",
        threshold: float = 0.1,
        full_circle: bool = False,
    ) -> None:
        super().__init__()
        M, N = check_scales(shape, 1, L)
        if M < 4 or N < 4:
            raise ValueError(f"a block needs maps of at least 4 x 4, got {(M, N)}")
        self.in_channels, self.out_channels, self.shape, self.J, self.L = (
            in_channels,
            out_channels,
            (M, N),
            J,
            L,
        )
        bank = morlet_bank((M, N), J, L, convention="standard", full_circle=full_circle)
        self.register_derived("filters", torch.cat([bank.phi[None], bank.psi]), torch.float32)
        self.rho = PhaseNonlinearity(nonlinearity, in_channels * J * L, threshold)
        width = in_channels * (1 + J * L)
        self.standardize = ComplexStandardization(width)
        std = 1.0 / math.sqrt(2 * width)
        self.weight_real = nn.Parameter(torch.randn(out_channels, width) * std)
        self.weight_imag = nn.Parameter(torch.randn(out_channels, width) * std)

    def check_input(self, x: torch.Tensor) -> torch.Tensor:
        """Check that ``x`` is real or complex ``(B, in_channels, M, N)`` in float32 or float64 precision;
        return it."""
        if x.dim() != 4 or x.shape[1] != self.in_channels or tuple(x.shape[-2:]) != self.shape:
            raise ValueError(
                f"expected (B, {self.in_channels}, {self.shape[0]}, {self.shape[1]}), got {tuple(x.shape)}"
            )
        _check_fft_dtype(x.real.dtype, self.filters.dtype, type(self).__name__)
        return x

    def responses(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Low-pass ``(B, C, M/2, N/2)`` and wavelet ``(B, C, J L, M/2, N/2)`` coefficients (complex)."""
        x = self.check_input(x)
        if x.shape[0] == 0:
            M, N = self.shape
            y = _empty_output(x, self.in_channels, self.filters.shape[0], M // 2, N // 2, complex_out=True)
            return y[:, :, 0], y[:, :, 1:]
        xf = torch.fft.fft2(x)
        y = torch.fft.ifft2(periodize(xf.unsqueeze(2) * self.filters.to(xf.real.dtype), 2))
        return y[:, :, 0], y[:, :, 1:]

    def transform(self, low: torch.Tensor, band: torch.Tensor) -> torch.Tensor:
        """``N P S [low, rho(band)]``: ``(B, C, m, n)``, ``(B, C, J L, m, n)`` to ``(B, C', m, n)``."""
        B, C, K, m, n = band.shape
        nl = self.rho(band.reshape(B, C * K, m, n)).reshape(B, C, K, m, n)
        if not torch.is_complex(nl):
            nl = torch.complex(nl, torch.zeros_like(nl))
        u = self.standardize(torch.cat([low.unsqueeze(2), nl], 2).reshape(B, C * (1 + K), m, n))
        w = torch.complex(self.weight_real, self.weight_imag).to(u.dtype)
        v = torch.einsum("oc,bcmn->bomn", w, u)
        return v / v.abs().square().sum(1, keepdim=True).sqrt().clamp_min(torch.finfo(v.real.dtype).tiny)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.transform(*self.responses(x))

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, shape={self.shape}, J={self.J}, L={self.L}"


class PhaseCollapseNet(EquivariantModule):
    r"""Blocks of fixed Morlet wavelets, a non-linearity, standardization, learned complex ``1 x 1``
    projections and normalization, then a linear classifier (Guth, Zarka & Mallat, ICLR 2022, Section 3).

    Parameters
    ----------
    in_channels:
        Channels of the (real) input images ``(B, in_channels, M, N)``.
    image_size:
        ``(M, N)``, divisible by ``2^len(widths)``.
    num_classes:
        Outputs of the classifier.
    widths:
        Output channels of each block's projection ``P_j`` (one block per entry).
    J, L:
        Scales and angles of each block's Morlet bank (``J L`` wavelets plus a low-pass; every block
        subsamples by 2).
    nonlinearity:
        One of :data:`NONLINEARITIES` (module docstring); ``"modulus"`` is the phase collapse.
    threshold:
        Initial learned threshold of ``"soft-threshold"``.
    full_circle:
        Angles in ``[0, 2 pi)`` instead of ``[0, pi)``.

    Notes
    -----
    The classifier standardizes the real and imaginary parts of the last block (no affine) and applies
    a linear map. Shapes: ``(B, in_channels, M, N) -> (B, num_classes)``. No field types (module
    docstring): the learned projections mix filter responses, and the classifier is not invariant.

    Examples
    --------
    >>> import torch
    >>> from groupconv.scattering import PhaseCollapseNet
    >>> net = PhaseCollapseNet(1, (32, 32), 10, widths=(16, 32), L=4)
    >>> net(torch.randn(8, 1, 32, 32)).shape
    torch.Size([8, 10])
    """

    in_type = None
    out_type = None

    def __init__(
        self,
        in_channels: int,
        image_size: tuple[int, int],
        num_classes: int,
        widths: tuple[int, ...] = (32, 64, 128),
        J: int = 1,
        L: int = 8,
        nonlinearity: str = "modulus",
        threshold: float = 0.1,
        full_circle: bool = False,
    ) -> None:
        super().__init__()
        for v, name in ((in_channels, "in_channels"), (num_classes, "num_classes")):
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        widths = tuple(widths)
        if not widths or not all(isinstance(w, int) and w >= 1 for w in widths):
            raise ValueError(f"widths must be a non-empty sequence of positive ints, got {widths!r}")
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}")
        M, N = check_scales(image_size, len(widths), L)
        self.in_channels, self.image_size, self.nonlinearity = in_channels, (M, N), nonlinearity
        blocks, c = [], in_channels
        for j, w in enumerate(widths):
            shape = (M >> j, N >> j)
            blocks.append(PhaseCollapseBlock(c, w, shape, J, L, nonlinearity, threshold, full_circle))
            c = w
        self.blocks = nn.ModuleList(blocks)
        feat = 2 * widths[-1] * (M >> len(widths)) * (N >> len(widths))
        self.classifier = nn.Sequential(nn.BatchNorm1d(feat, affine=False), nn.Linear(feat, num_classes))

    def check_input(self, x: torch.Tensor) -> torch.Tensor:
        """Check that ``x`` is real ``(B, in_channels, M, N)`` in float32 or float64; return it."""
        if not isinstance(x, torch.Tensor) or x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"input must have shape (B, {self.in_channels}, {self.image_size[0]}, {self.image_size[1]}), got "
                f"{tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__}"
            )
        if torch.is_complex(x):
            raise TypeError("PhaseCollapseNet takes real images, got a complex tensor")
        _check_fft_dtype(x.dtype, self.blocks[0].filters.dtype, type(self).__name__)
        return x

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The complex output of the last block ``(B, widths[-1], M / 2^n, N / 2^n)``."""
        x = self.check_input(x)
        for block in self.blocks:
            x = block(x)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.features(x)
        # real and imaginary planes stacked (not view_as_real, whose backward fails on an empty batch)
        return self.classifier(torch.stack([z.real, z.imag], 2).flatten(1))

    def extra_repr(self) -> str:
        return f"nonlinearity={self.nonlinearity!r}, image_size={self.image_size}"
