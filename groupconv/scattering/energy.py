"""Energy propagation in scattering networks (Wiatowski, Grohs & Bolcskei, IEEE Trans. Inf. Theory 64(7),
2018, "Energy propagation in deep convolutional neural networks").

With ``U_0 f = f``, ``W_n f = sum_q ||U_n[q] f||^2`` the energy of the maps propagated to layer ``n`` and
``|||Phi^n f|||^2`` the energy of the layer's outputs, Parseval (tight) layers with the modulus give

.. math::  \\|f\\|^2 = \\sum_{n=0}^{N-1} |||\\Phi^n f|||^2 + W_N f ,

and energy conservation means ``W_N f -> 0``. Under analyticity and high-pass conditions on the filters
the paper's Theorem 1 bounds the decay; in its exponential form (wavelets, Weyl-Heisenberg filters),

.. math::  W_N(f) \\le \\int |\\hat f(\\omega)|^2
           \\Big(1 - \\big|\\hat r_l\\big(\\tfrac{\\omega}{a^{N-1}\\delta}\\big)\\big|^2\\Big)\\, d\\omega,
           \\qquad \\hat r_l(\\omega) = (1 - |\\omega|)_+^{\\,l},

with ``delta`` the half-width of the band where the high-pass filters vanish, ``a > 1`` the decay factor
of the filter family (``a = 5/3`` for wavelets, ``a = 3/2`` for Weyl-Heisenberg filters in the paper)
and ``l`` the smoothness exponent of ``r_l``. For ``f`` band-limited to ``|omega| <= R`` the right side is
at most ``(1 - (1 - R / (a^{N-1} delta))^{2l}) ||f||^2``, so ``W_N f <= eps ||f||^2`` as soon as

.. math::  N \\ge 1 + \\log_a \\frac{R}{\\big(1 - (1 - \\varepsilon)^{1/(2l)}\\big)\\,\\delta},

the depth estimate of the paper (Section V, "number of layers needed") that :func:`depth_for_energy`
reports next to the depth measured on the signal.

>>> import torch
>>> from groupconv.scattering import Scattering2D
>>> net = Scattering2D((16, 16), 2, 4, max_order=2, filters="parseval", subsample=False, paths="all")
>>> p = energy_per_layer(net.double(), torch.randn(3, 16, 16, dtype=torch.float64))
>>> p.depth, bool(p.identity_defect().abs().max() < 1e-12)  # ||f||^2 = E_0 + E_1 + W_2
(2, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

__all__ = [
    "EnergyPropagation",
    "IdentityDefect",
    "energy_per_layer",
    "depth_for_energy",
    "decay_bound",
    "plot_energy_decay",
    "plot_littlewood_paley",
]


@dataclass(frozen=True)
class IdentityDefect:
    """The defect of the energy identity, labelled by layer: ``values[n, i]`` is
    ``(||f_i||^2 - sum_{k<n} |||Phi^k f_i|||^2 - W_n f_i) / ||f_i||^2`` for layer ``n = layers[n]`` and
    sample ``i`` (zero for Parseval layers with the modulus and all paths).

    Tensor methods apply to :attr:`values` (``defect.abs().max()`` as for a tensor).

    >>> import torch
    >>> d = IdentityDefect(torch.tensor([[0.0, 1e-17], [2e-16, -1e-16]], dtype=torch.float64))
    >>> d.layers, d.worst()
    ((0, 1), 2e-16)
    >>> print(d)
    identity defect per layer (relative to ||f||^2, 2 samples): n=0: 1.0e-17, n=1: 2.0e-16 (largest |value|)
    """

    values: torch.Tensor

    @property
    def layers(self) -> tuple[int, ...]:
        """The layer index ``n`` of each row of :attr:`values`."""
        return tuple(range(self.values.shape[0]))

    def per_layer(self) -> dict[int, float]:
        """``{n: largest |defect| over the batch}``."""
        return {n: float(v.abs().max()) if v.numel() else 0.0 for n, v in zip(self.layers, self.values)}

    def worst(self) -> float:
        """The largest ``|defect|`` over layers and samples."""
        return float(self.values.abs().max()) if self.values.numel() else 0.0

    def __getattr__(self, name: str):
        # only tensor methods are forwarded: ``values`` itself and dunder lookups (copy, pickle) made
        # before ``values`` is set must fail here, not recurse
        if name == "values" or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.values, name)

    def __str__(self) -> str:
        body = ", ".join(f"n={n}: {v:.1e}" for n, v in self.per_layer().items())
        return (
            f"identity defect per layer (relative to ||f||^2, {self.values.shape[1]} samples): {body} "
            "(largest |value|)"
        )


@dataclass
class EnergyPropagation:
    """Per-layer energies of a batch, tensors of shape ``(N + 1, batch)`` in float64.

    Attributes
    ----------
    input_energy:
        ``||f||^2`` per sample, ``(batch,)``.
    propagated:
        ``W_n f`` for ``n = 0..N`` (``W_0 f = ||f||^2``).
    output:
        ``|||Phi^n f|||^2`` for ``n = 0..N``.
    remainder:
        ``||f||^2 - sum_{k<n} |||Phi^k f|||^2``: the energy not yet in the feature vector after ``n``
        layers; it equals ``W_n`` for Parseval layers with the modulus.
    """

    input_energy: torch.Tensor
    propagated: torch.Tensor
    output: torch.Tensor
    remainder: torch.Tensor

    @property
    def depth(self) -> int:
        return self.propagated.shape[0] - 1

    def identity_defect(self) -> IdentityDefect:
        """``(remainder - W_n) / ||f||^2`` per layer and sample, labelled by layer (:class:`IdentityDefect`):
        zero for Parseval layers (energy identity)."""
        return IdentityDefect((self.remainder - self.propagated) / self.input_energy)

    @property
    def leftover(self) -> torch.Tensor:
        """``||f||^2 - sum_{n<=N} |||Phi^n f|||^2`` per sample: the energy that no layer outputs (the
        last layer's propagated maps that the network does not average)."""
        return self.input_energy - self.output.sum(0)

    def decay_rate(self, start: int = 1) -> float:
        """The rate ``rho`` of a least-squares fit ``W_n ~ C rho^n`` over ``n >= start`` (batch mean of
        ``W_n / ||f||^2``); ``rho < 1`` is exponential decay."""
        w = (self.propagated / self.input_energy).mean(1)[start:]
        if len(w) < 2:
            raise ValueError(f"decay_rate needs at least 2 layers from n={start}, got {len(w)}")
        n = torch.arange(len(w), dtype=torch.float64)
        y = torch.log(w.clamp_min(1e-300))
        slope = ((n - n.mean()) * (y - y.mean())).sum() / ((n - n.mean()) ** 2).sum()
        return float(torch.exp(slope))

    def measured_depth(self, eps: float) -> int | None:
        """Smallest ``N`` with ``W_N f <= eps ||f||^2`` for every sample (``None`` if not reached)."""
        ok = (self.propagated <= eps * self.input_energy).all(1)
        idx = torch.nonzero(ok).flatten()
        return int(idx[0]) if len(idx) else None

    def table(self) -> str:
        """Markdown table of the batch means, relative to ``||f||^2``: per layer ``n`` the energy that
        reaches it (``W_n``), the energy it outputs (``|||Phi^n f|||^2``), the energy output by layers
        ``0..n`` together, and the defect of the energy identity at ``n``; a last row gives the leftover,
        the energy that reaches past the last layer and that no layer outputs (column ``W_n``)."""
        e = self.input_energy
        rows = [
            "| layer n | reaching n (W_n) | output of n | output of layers 0..n | identity defect |",
            "|---|---|---|---|---|",
        ]
        kept = torch.zeros_like(e)
        defect = self.identity_defect().values
        for n in range(self.depth + 1):
            kept = kept + self.output[n]
            w, o, k = ((v / e).mean().item() for v in (self.propagated[n], self.output[n], kept))
            rows.append(f"| {n} | {w:.4e} | {o:.4e} | {k:.4e} | {defect[n].mean().item():.1e} |")
        # the leftover is what reaches past the last layer: the W column of the row after it
        rows.append(
            f"| leftover (past layer {self.depth}) | {(self.leftover / e).mean().item():.4e} | not output | | |"
        )
        rows.append("")
        rows.append("All energies are relative to ||f||^2 and averaged over the batch.")
        return "\n".join(rows)


def energy_per_layer(network, x: torch.Tensor) -> EnergyPropagation:
    """Energy propagation of ``network`` on the batch ``x``.

    ``network`` is a :class:`~groupconv.scattering.GeneralizedScattering`, a
    :class:`~groupconv.scattering.Scattering2D` built with ``subsample=False`` or a
    :class:`~groupconv.scattering.HarmonicScattering3D` (anything with an ``energies(x) -> (W, E)``
    method). For Parseval layers, the modulus and all paths, ``remainder == propagated`` (the energy
    identity of the module docstring); the solid harmonic bank of ``HarmonicScattering3D`` is not tight,
    and its ``frame_bounds()`` bound each layer instead.
    """
    if not hasattr(network, "energies"):
        raise TypeError(
            f"energy_per_layer needs a network with an energies(x) method, got {type(network).__name__}"
        )
    with torch.no_grad():
        W, E = network.energies(x)
    W, E = W.to(torch.float64), E.to(torch.float64)
    f2 = W[0]
    cum = torch.cat([torch.zeros_like(E[:1]), E.cumsum(0)[:-1]], 0)
    return EnergyPropagation(input_energy=f2, propagated=W, output=E, remainder=f2 - cum)


def decay_bound(x: torch.Tensor, N: int, delta: float, a: float, l: int = 2) -> torch.Tensor:
    """The right side of the exponential bound (module docstring) evaluated on the spectrum of ``x``,
    relative to ``||x||^2``: ``sum_omega |x^|^2 (1 - |r_l(|omega| / (a^{N-1} delta))|^2) / sum |x^|^2``.

    ``|omega|`` is the Euclidean norm of the 2-D frequency on the DFT grid; one value per sample.
    """
    if N < 1:
        raise ValueError(f"N must be >= 1, got {N}")
    M, Nn = x.shape[-2:]
    wy = 2 * math.pi * torch.fft.fftfreq(M, dtype=torch.float64)
    wx = 2 * math.pi * torch.fft.fftfreq(Nn, dtype=torch.float64)
    r = torch.sqrt(wy[:, None] ** 2 + wx[None, :] ** 2)
    rl = (1 - r / (a ** (N - 1) * delta)).clamp_min(0) ** l
    p = torch.fft.fft2(x.to(torch.float64)).abs().pow(2).reshape(-1, M, Nn)
    return (p * (1 - rl**2)).sum((-2, -1)) / p.sum((-2, -1))


def depth_for_energy(
    eps: float,
    delta: float,
    a: float,
    bandwidth: float = math.pi * math.sqrt(2),
    l: int = 2,
    propagation: EnergyPropagation | None = None,
    x: torch.Tensor | None = None,
    max_depth: int = 1000,
) -> dict:
    """Depth needed to keep ``(1 - eps) 100 %`` of the energy in the feature vector.

    Returns a dict with

    - ``"bound"``: the closed-form estimate ``ceil(1 + log_a(R / ((1 - (1 - eps)^{1/(2l)}) delta)))`` for
      signals band-limited to ``R = bandwidth`` (module docstring; default: the whole 2-D DFT band);
    - ``"bound_on_signal"`` (with ``x``): the smallest ``N`` with :func:`decay_bound` ``<= eps`` for every
      sample, the theorem's bound evaluated on the actual spectrum;
    - ``"measured"`` (with ``propagation``): the smallest ``N`` with ``W_N <= eps ||f||^2``.
    """
    if not 0 < eps < 1:
        raise ValueError(f"eps must lie in (0, 1), got {eps}")
    if delta <= 0 or a <= 1:
        raise ValueError(f"need delta > 0 and a > 1, got delta={delta}, a={a}")
    q = 1 - (1 - eps) ** (1 / (2 * l))
    out: dict = {"eps": eps, "bound": max(1, math.ceil(1 + math.log(bandwidth / (q * delta), a)))}
    if x is not None:
        found = None
        for n in range(1, max_depth + 1):
            if bool((decay_bound(x, n, delta, a, l) <= eps).all()):
                found = n
                break
        out["bound_on_signal"] = found
    if propagation is not None:
        out["measured"] = propagation.measured_depth(eps)
    return out


def plot_energy_decay(propagations: dict[str, EnergyPropagation], ax=None):
    """Plot ``W_n / ||f||^2`` against ``n`` (log scale) for several networks; needs matplotlib."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    for label, prop in propagations.items():
        w = (prop.propagated / prop.input_energy).mean(1)
        ax.semilogy(range(len(w)), w.numpy(), marker="o", label=label)
    ax.set_xlabel("layer n")
    ax.set_ylabel("W_n f / ||f||^2")
    ax.legend()
    return ax


def plot_littlewood_paley(bank, ax=None, real_input: bool = True):
    """Image of the Littlewood-Paley sum of ``bank`` (zero frequency centred); needs matplotlib."""
    import matplotlib.pyplot as plt

    from .filters import littlewood_paley_sum

    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    lp = torch.fft.fftshift(littlewood_paley_sum(bank, real_input)).numpy()
    im = ax.imshow(lp, cmap="viridis")
    ax.set_title(f"LP sum, {bank.name}: [{lp.min():.3g}, {lp.max():.3g}]")
    plt.colorbar(im, ax=ax)
    return ax
