r"""Convolutional bottleneck (CBN) rank: which spatial frequencies, and how many channels per frequency,
each convolution layer keeps.

A stride-1 convolution with circular padding on an :math:`N_1 \times N_2` grid is diagonal in the spatial
Fourier basis: at frequency :math:`\omega` it acts on the channel vector by a matrix
:math:`\hat W(\omega) \in \mathbb{C}^{C_{out} \times C_{in}}`,

.. math::

    \hat W(\omega) = \sum_{u} W[:, :, u] \, e^{2 \pi i \langle \omega, u - p \rangle / N}, \qquad
    \hat y(\omega) = \hat W(\omega) \hat x(\omega),

for PyTorch's cross-correlation with kernel offsets :math:`u` and padding :math:`p`. Wen & Jacot ("Which
frequencies do CNNs need? Emergent bottleneck structure in feature learning", ICML 2024) call the rank of
:math:`\hat W(\omega)` the number of channels the layer keeps at frequency :math:`\omega`, and show that deep
CNNs trained with weight decay develop a bottleneck: the middle layers keep few frequencies (those the task
needs), each with a small rank. The CBN rank of a layer is the sum of these ranks over frequencies.

:func:`cbn_rank` counts, per layer and frequency, the singular values of :math:`\hat W(\omega)` above a
threshold; given inputs, it also does so for the activations: the channel covariance of the layer's output
at each frequency, :math:`\Sigma(\omega) = \frac{1}{B} \sum_b \hat y_b(\omega) \hat y_b(\omega)^*`, whose
square-rooted eigenvalues are compared to the same threshold.

>>> import torch
>>> from torch import nn
>>> conv = nn.Conv2d(2, 3, 3, padding=1, padding_mode="circular", bias=False)
>>> W = conv_transfer_matrices(conv, (8, 8))
>>> W.shape  # one C_out x C_in matrix per frequency of the 8 x 8 grid
torch.Size([8, 8, 3, 2])
>>> x = torch.randn(1, 2, 8, 8, dtype=torch.float64)
>>> y = conv.double()(x)
>>> xf, yf = torch.fft.fft2(x)[0], torch.fft.fft2(y)[0]
>>> torch.allclose(yf[:, 1, 2], W[1, 2] @ xf[:, 1, 2])
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

__all__ = ["cbn_rank", "CBNLayer", "CBNReport", "plot_cbn_spectrum", "conv_transfer_matrices"]


def conv_transfer_matrices(conv: nn.Conv2d, grid: tuple[int, int]) -> torch.Tensor:
    r"""The per-frequency matrices :math:`\hat W(\omega)` of a stride-1 ``Conv2d`` on a periodic grid.

    Returns a complex128 tensor ``(N1, N2, C_out, C_in)`` indexed by the FFT frequencies of the grid
    (``numpy.fft.fftfreq`` order). Grouped convolutions give block-diagonal matrices. The
    diagonalisation is exact for ``padding_mode="circular"`` with output size equal to the grid; for zero
    padding it describes the circular version of the same kernel.
    """
    if not isinstance(conv, nn.Conv2d):
        raise TypeError(f"expected an nn.Conv2d, got {type(conv).__name__}")
    if tuple(conv.stride) != (1, 1) or tuple(conv.dilation) != (1, 1):
        raise ValueError(
            f"the Fourier diagonalization needs stride 1 and dilation 1, got stride {conv.stride}, "
            f"dilation {conv.dilation}"
        )
    n1, n2 = int(grid[0]), int(grid[1])
    w = conv.weight.detach().to("cpu", torch.float64)
    c_out, c_in_g, k1, k2 = w.shape
    if k1 > n1 or k2 > n2:
        raise ValueError(f"kernel {k1}x{k2} is larger than the grid {n1}x{n2}")
    g = conv.groups
    if g > 1:
        full = torch.zeros(c_out, c_in_g * g, k1, k2, dtype=torch.float64)
        per = c_out // g
        for i in range(g):
            full[i * per : (i + 1) * per, i * c_in_g : (i + 1) * c_in_g] = w[i * per : (i + 1) * per]
        w = full
    pad = conv.padding if isinstance(conv.padding, tuple) else (0, 0)
    if conv.padding == "same":
        pad = ((k1 - 1) // 2, (k2 - 1) // 2)
    wpad = torch.zeros(w.shape[0], w.shape[1], n1, n2, dtype=torch.float64)
    wpad[..., :k1, :k2] = w
    # conj(fft) gives the +i sign of cross-correlation; the roll by the padding puts offset u - p at 0
    wpad = torch.roll(wpad, shifts=(-int(pad[0]), -int(pad[1])), dims=(-2, -1))
    return torch.fft.fft2(wpad).conj().resolve_conj().permute(2, 3, 0, 1)


@dataclass
class CBNLayer:
    """Per-frequency spectrum of one convolution layer (weights or activations).

    Attributes
    ----------
    name : str
        Module name in the model.
    kind : str
        ``"weight"`` or ``"activation"``.
    grid : (int, int)
        Feature-map grid size.
    spectrum : numpy.ndarray
        ``(N1, N2, r)`` singular values per frequency, descending (``r = min(C_out, C_in)`` for weights,
        ``C_out`` for activations).
    ranks : numpy.ndarray
        ``(N1, N2)`` number of singular values above the threshold per frequency.
    threshold : float
        The absolute threshold used for this layer.
    """

    name: str
    kind: str
    grid: tuple[int, int]
    spectrum: np.ndarray
    ranks: np.ndarray
    threshold: float

    @property
    def kept_frequencies(self) -> list[tuple[int, int]]:
        """Signed frequencies ``(k1, k2)`` (``fftfreq`` times the grid size) with nonzero rank."""
        f1 = np.rint(np.fft.fftfreq(self.grid[0]) * self.grid[0]).astype(int)
        f2 = np.rint(np.fft.fftfreq(self.grid[1]) * self.grid[1]).astype(int)
        idx = np.argwhere(self.ranks > 0)
        return [(int(f1[i]), int(f2[j])) for i, j in idx]

    @property
    def n_kept(self) -> int:
        """Number of frequencies with nonzero rank."""
        return int((self.ranks > 0).sum())

    @property
    def cbn_rank(self) -> int:
        """Sum of the ranks over all frequencies."""
        return int(self.ranks.sum())

    @property
    def max_rank(self) -> int:
        """Largest rank over frequencies."""
        return int(self.ranks.max())

    def rank_at(self, k1: int, k2: int) -> int:
        """Rank at the signed frequency ``(k1, k2)``."""
        return int(self.ranks[k1 % self.grid[0], k2 % self.grid[1]])


@dataclass
class CBNReport:
    """Result of :func:`cbn_rank`: one :class:`CBNLayer` per convolution and kind, in model order."""

    layers: list[CBNLayer] = field(default_factory=list)

    def select(self, kind: str) -> list[CBNLayer]:
        """The layers of one kind (``"weight"`` or ``"activation"``)."""
        return [l for l in self.layers if l.kind == kind]

    def table(self) -> list[dict]:
        """One row per layer: name, kind, kept frequencies, CBN rank, largest rank."""
        return [
            {
                "layer": l.name,
                "kind": l.kind,
                "kept_frequencies": l.n_kept,
                "total_frequencies": int(np.prod(l.grid)),
                "cbn_rank": l.cbn_rank,
                "max_rank": l.max_rank,
            }
            for l in self.layers
        ]

    def __repr__(self) -> str:
        rows = [
            f"{r['layer']}[{r['kind']}]: {r['kept_frequencies']} freqs, rank {r['cbn_rank']}"
            for r in self.table()
        ]
        return "CBNReport(" + "; ".join(rows) + ")"


def _count(sv: torch.Tensor, threshold: float, relative: bool) -> tuple[np.ndarray, float]:
    thr = threshold * float(sv.max()) if relative and sv.numel() else threshold
    return (sv > thr).sum(-1).numpy(), thr


def cbn_rank(
    model: nn.Module,
    x: torch.Tensor | None = None,
    threshold: float = 1e-2,
    relative: bool = True,
    grid: tuple[int, int] | None = None,
) -> CBNReport:
    r"""Frequencies and ranks kept by every ``nn.Conv2d`` of ``model`` (Wen & Jacot, ICML 2024).

    For each stride-1 convolution, computes the SVD of :math:`\hat W(\omega)` (see
    :func:`conv_transfer_matrices`) at every frequency of the feature-map grid and counts the singular
    values above the threshold. With inputs ``x``, also computes the per-frequency channel covariance of
    the layer's output, :math:`\Sigma(\omega) = \frac1B \sum_b \hat y_b(\omega) \hat y_b(\omega)^*` with
    :math:`\hat y` the orthonormal 2D FFT, and counts the square roots of its eigenvalues above the
    threshold.

    Parameters
    ----------
    model : torch.nn.Module
    x : torch.Tensor, optional
        Inputs ``(B, C, H, W)``; gives the grid size of every layer and adds the activation spectra.
    threshold : float
        Threshold on singular values; relative to the layer's largest one when ``relative``.
    relative : bool
    grid : (int, int), optional
        Grid size for all layers when ``x`` is not given.

    Returns
    -------
    CBNReport
    """
    convs = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    if not convs:
        raise ValueError(f"expected a model with nn.Conv2d layers, found none in {type(model).__name__}")
    if x is None and grid is None:
        raise ValueError("give the inputs x or the feature-map grid size grid=(H, W)")
    if not threshold >= 0:
        raise ValueError(f"threshold must be >= 0, got {threshold}")
    grids: dict[str, tuple[int, int]] = {}
    acts: dict[str, torch.Tensor] = {}
    if x is not None:
        if not isinstance(x, torch.Tensor) or x.ndim != 4:
            raise ValueError(f"expected x of shape (B, C, H, W), got {getattr(x, 'shape', type(x))}")
        handles = []

        def make_hook(name):
            def hook(module, inputs, output):
                grids[name] = tuple(inputs[0].shape[-2:])
                acts[name] = output.detach()

            return hook

        for n, m in convs:
            handles.append(m.register_forward_hook(make_hook(n)))
        try:
            with torch.no_grad():
                model(x)
        finally:
            for h in handles:
                h.remove()
    report = CBNReport()
    for name, conv in convs:
        g = grids.get(name, tuple(grid) if grid is not None else None)
        if g is None:
            continue
        t = conv_transfer_matrices(conv, g)
        sv = torch.linalg.svdvals(t)
        ranks, thr = _count(sv, threshold, relative)
        report.layers.append(CBNLayer(name, "weight", g, sv.numpy(), ranks, thr))
        if name in acts:
            y = acts[name].to("cpu", torch.float64)
            yh = torch.fft.fft2(y, norm="ortho")  # (B, C, N1, N2)
            yp = yh.permute(2, 3, 0, 1)  # (N1, N2, B, C)
            # the square roots of the eigenvalues of Sigma are the singular values of Y / sqrt(B): taken
            # from the SVD, the null ones stay at the rounding level eps * max, where the square roots of
            # computed eigenvalues would sit at sqrt(eps) * max, near any small threshold
            ev = torch.linalg.svdvals(yp / math.sqrt(y.shape[0]))
            if ev.shape[-1] < y.shape[1]:  # fewer inputs than channels: the other eigenvalues are 0
                ev = torch.nn.functional.pad(ev, (0, y.shape[1] - ev.shape[-1]))
            ranks, thr = _count(ev, threshold, relative)
            report.layers.append(CBNLayer(name, "activation", tuple(y.shape[-2:]), ev.numpy(), ranks, thr))
    return report


def plot_cbn_spectrum(report: CBNReport, kind: str = "weight"):
    """Heat maps of the rank per frequency (centred, zero frequency in the middle), one panel per layer.

    Needs matplotlib (the ``plot`` extra). Returns the figure.
    """
    import matplotlib.pyplot as plt

    layers = report.select(kind)
    if not layers:
        raise ValueError(f"the report has no layers of kind {kind!r}")
    fig, axes = plt.subplots(1, len(layers), figsize=(2.2 * len(layers), 2.4), squeeze=False)
    vmax = max(l.max_rank for l in layers) or 1
    for ax, l in zip(axes[0], layers):
        im = ax.imshow(np.fft.fftshift(l.ranks), vmin=0, vmax=vmax, cmap="viridis")
        ax.set_title(f"{l.name}\n{l.n_kept} freqs", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(im, ax=axes[0].tolist(), shrink=0.8, label="rank")
    return fig
