"""Figures of the scattering networks: Littlewood-Paley sums, energy decay, roto-translation maps."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

from groupconv.scattering import (
    GeneralizedScattering,
    RotoTranslationScattering,
    energy_per_layer,
    frame_bounds,
    littlewood_paley_sum,
    morlet_bank,
    parseval_wavelet_bank,
)

from .common import gray_image, save

TEXTURES = ("brick", "grass", "gravel", "camera")


def littlewood_paley(out: Path, smoke: bool = False) -> Path:
    """Littlewood-Paley sum of the Morlet and Parseval banks of Scattering2D over the frequency plane,
    and its cut along the horizontal frequency axis."""
    n = 32 if smoke else 64
    banks = [morlet_bank((n, n), J=3, L=8), parseval_wavelet_bank((n, n), J=3, L=8)]
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.3), gridspec_kw={"width_ratios": [1, 1, 1.3]})
    freqs = np.fft.fftshift(np.fft.fftfreq(n)) * 2 * np.pi
    ext = [freqs[0], freqs[-1], freqs[0], freqs[-1]]
    for ax, bank, name in zip(axes[:2], banks, ("Morlet", "Parseval")):
        lp = torch.fft.fftshift(littlewood_paley_sum(bank)).numpy()
        A, B = frame_bounds(bank)
        im = ax.imshow(lp, cmap="viridis", extent=ext, origin="lower", vmin=0, vmax=max(1.05, lp.max()))
        ax.set_title(f"{name}: A = {A:.3f}, B = {B:.3f}", fontsize=9)
        ax.set_xlabel("ω₁")
        ax.set_ylabel("ω₂")
        fig.colorbar(im, ax=ax, fraction=0.046)
        axes[2].plot(freqs, lp[n // 2], marker=".", label=name)
    axes[2].axhline(1.0, color="k", lw=0.6, ls="--")
    axes[2].set_xlabel("ω₁ (ω₂ = 0)")
    axes[2].set_ylabel("Littlewood-Paley sum")
    axes[2].legend(fontsize=8)
    axes[2].set_title("cut through zero frequency", fontsize=9)
    fig.suptitle(f"Littlewood-Paley sums, J = 3, L = 8, {n}x{n} grid (real input)", fontsize=10)
    fig.tight_layout()
    return save(fig, out / "littlewood_paley.png")


def energy_decay(out: Path, smoke: bool = False) -> Path:
    """W_n / ||f||^2 of a Parseval generalized scattering network on textures of skimage.data, with the
    fitted decay rate of each."""
    size, depth = (16, 3) if smoke else (32, 6)
    bank = parseval_wavelet_bank((size, size), J=2, L=2)
    net = GeneralizedScattering([bank] * depth).double()
    fig, ax = plt.subplots(figsize=(5.6, 3.6))
    for name in TEXTURES[:2] if smoke else TEXTURES:
        x = gray_image(name, size)[None]
        prop = energy_per_layer(net, x - x.mean())
        w = (prop.propagated / prop.input_energy).mean(1).numpy()
        rate = prop.decay_rate()
        line = ax.semilogy(range(len(w)), w, marker="o", label=f"{name}: ρ = {rate:.2f}")[0]
        n = np.arange(1, len(w))
        # the least-squares line of decay_rate through the batch means, drawn dashed
        c = np.exp(np.mean(np.log(w[1:]) - n * np.log(rate)))
        ax.semilogy(n, c * rate**n, ls="--", lw=0.8, color=line.get_color())
    ax.set_xlabel("layer n")
    ax.set_ylabel("W_n f / ||f||²")
    ax.set_title(
        f"Energy reaching layer n, Parseval bank J = 2, L = 2, {size}x{size}\n"
        "(mean removed; dashed: fit W_n ≈ C ρⁿ, EnergyPropagation.decay_rate)",
        fontsize=9,
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    return save(fig, out / "energy_decay.png")


def rototranslation_maps(out: Path, smoke: bool = False) -> Path:
    """Output maps of RotoTranslationScattering on a texture: order 1 per orientation, order 2 for a few
    paths per orientation."""
    size, L = (16, 4) if smoke else (32, 8)
    R = RotoTranslationScattering((size, size), J=2, L=L, max_order=2, subsample=False).double()
    x = gray_image("brick", size)[None]
    with torch.no_grad():
        S = R(x - x.mean())[0]
    meta = R.paths_meta
    first = [i for i, p in enumerate(meta) if len(p) == 1]
    second = [i for i, p in enumerate(meta) if len(p) == 2][:2]
    rows = [(i, f"order 1\nj₁={meta[i][0]}") for i in first] + [
        (i, f"order 2\nj₁={meta[i][0]}, (j₂, θ₂, k)\n= {meta[i][1]}") for i in second
    ]
    fig, axes = plt.subplots(len(rows), L + 1, figsize=(0.95 * (L + 1), 1.05 * len(rows)), squeeze=False)
    for r, (i, label) in enumerate(rows):
        maps = S[i].numpy()
        for c in range(L + 1):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            img = x[0].numpy() if c == 0 else maps[c - 1]
            ax.imshow(
                img,
                cmap="gray" if c == 0 else "inferno",
                vmin=None if c == 0 else 0,
                vmax=None if c == 0 else maps.max(),
                interpolation="nearest",
            )
            if r == 0:
                ax.set_title("input" if c == 0 else f"θ = {360 * (c - 1) // L}°", fontsize=7)
        axes[r, 0].set_ylabel(label, fontsize=6)
    fig.suptitle(
        f"Roto-translation scattering of a texture (Parseval bank, J = 2, L = {L}, full resolution)",
        fontsize=9,
    )
    fig.tight_layout()
    return save(fig, out / "rototranslation_maps.png")
