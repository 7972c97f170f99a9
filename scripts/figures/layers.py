"""Figures of the planar layers: kernel bases, rotated feature maps, equivariance error per layer."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from groupconv.groups import SO2, Cyclic
from groupconv.kernels import KernelSpec, kernel_basis
from groupconv.nn import FieldType, GroupPooling, MaxPool2d, ReLU, SteerableConv2d, rotate_field
from groupconv.reps import irrep, regular
from groupconv.verify import check_equivariance

from .common import gray_image, save


def _tile(element: np.ndarray) -> np.ndarray:
    """The ``(d_out, d_in, k, k)`` matrix of kernels of one basis element as one image, blocks separated
    by a NaN line (drawn blank)."""
    d_out, d_in, k, _ = element.shape
    img = np.full((d_out * (k + 1) - 1, d_in * (k + 1) - 1), np.nan)
    for a in range(d_out):
        for b in range(d_in):
            img[a * (k + 1) : a * (k + 1) + k, b * (k + 1) : b * (k + 1) + k] = element[a, b]
    return img


def _spread(info: list[dict], n: int) -> list[int]:
    """Up to ``n`` element indices taken in turn from each angular frequency of the basis, so that every
    frequency is shown."""
    by_freq: dict[int, list[int]] = {}
    for e, entry in enumerate(info):
        by_freq.setdefault(entry["frequency"], []).append(e)
    order = [e for rnd in range(len(info)) for f in sorted(by_freq) for e in by_freq[f][rnd : rnd + 1]]
    return sorted(order[:n], key=lambda e: (info[e]["frequency"], e))


def kernel_bases(out: Path, smoke: bool = False) -> Path:
    """Steerable kernels per (input, output) irrep pair of C8 and SO(2), 9x9, default band limit."""
    k = 7 if smoke else 9
    C8, so2 = Cyclic(8), SO2()
    pairs = [
        ("C8", C8, 0, 0),
        ("C8", C8, 0, 1),
        ("C8", C8, 1, 1),
        ("C8", C8, 1, 2),
        ("C8", C8, 1, 3),
        ("SO(2)", so2, 0, 2),
        ("SO(2)", so2, 1, 1),
    ]
    if smoke:
        pairs = pairs[:2]
    cols = 6
    fig, axes = plt.subplots(len(pairs), cols, figsize=(1.45 * cols, 1.5 * len(pairs)), squeeze=False)
    for row, (gname, group, i, o) in enumerate(pairs):
        basis = kernel_basis(irrep(group, i), irrep(group, o), k, KernelSpec())
        t = basis.tensor
        shown = _spread(basis.info, cols)
        for c in range(cols):
            ax = axes[row, c]
            ax.set_xticks([])
            ax.set_yticks([])
            for s in ax.spines.values():
                s.set_visible(False)
            if c < len(shown):
                e = shown[c]
                v = np.abs(t[e]).max()
                ax.imshow(_tile(t[e]), cmap="RdBu_r", vmin=-v, vmax=v)
                ax.set_title(f"k={basis.info[e]['frequency']}", fontsize=8)
        axes[row, 0].set_ylabel(f"{gname}\nρ{i} → ρ{o}\n({len(t)} elements)", fontsize=8)
    fig.suptitle(
        f"Steerable kernel bases, {k}x{k}, default band ({cols} elements per irrep pair, k: frequency)"
    )
    return save(fig, out / "kernel_bases.png")


def _c8_layer() -> tuple[SteerableConv2d, FieldType, FieldType]:
    torch.manual_seed(0)
    G = Cyclic(8)
    t_in, t_out = FieldType(G, [irrep(G, 0)]), FieldType(G, [regular(G)])
    with warnings.catch_warnings():
        # a 7x7 filter between a scalar and a regular field keeps every C8 irrep; no block is forced to 0
        warnings.simplefilter("ignore")
        layer = SteerableConv2d(t_in, t_out, 7, padding=3).double()
    return layer, t_in, t_out


def rotated_feature_maps(out: Path, smoke: bool = False) -> Path:
    """Layer-then-rotate against rotate-then-layer for a C8 steerable layer and a plain nn.Conv2d."""
    size = 33 if smoke else 49
    x = F.pad(gray_image("camera", size - 1), (0, 1, 0, 1))
    # a soft disc window: a rotation maps the support onto itself, so only interpolation error remains
    c = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    r = torch.sqrt(c[:, None] ** 2 + c[None, :] ** 2)
    x = (x * torch.clamp((size / 2 - 2 - r) / 3, 0, 1))[None, None]
    inside = (r < size / 2 - 6).numpy()
    layer, t_in, t_out = _c8_layer()
    torch.manual_seed(0)
    plain = nn.Conv2d(1, 8, 7, padding=3).double()
    rows = []
    with torch.no_grad():
        for g, label in ((2, "90°"), (1, "45°")):
            gx = rotate_field(x, t_in, g)
            eq = [layer(gx), rotate_field(layer(x), t_out, g)]
            # the plain layer's output channels carry no group action: rotate the maps only
            triv = FieldType(Cyclic(8), [irrep(Cyclic(8), 0)] * 8)
            pl = [plain(gx), rotate_field(plain(x), triv, g)]
            rows.append((label, gx, eq, "C8 SteerableConv2d"))
            rows.append((label, gx, pl, "plain nn.Conv2d"))
    fig, axes = plt.subplots(len(rows), 4, figsize=(6.4, 1.65 * len(rows)), squeeze=False)
    titles = ["rotated input g·x", "layer(g·x)", "g·layer(x)", "|difference| (same scale)"]
    for r, (label, gx, (a, b), name) in enumerate(rows):
        # channel 0 of the layer; for the C8 output g also shifts the channel, which g·layer(x) includes
        a0, b0 = a[0, 0].numpy(), b[0, 0].numpy()
        diff = np.abs(a0 - b0)
        inner = diff[inside]
        scale = max(np.abs(a0).max(), np.abs(b0).max())
        imgs = [gx[0, 0].numpy(), a0, b0, diff]
        for c, img in enumerate(imgs):
            ax = axes[r, c]
            # the maps share one symmetric colour scale, and the difference is drawn on the same scale
            limits = {0: (None, None), 1: (-scale, scale), 2: (-scale, scale), 3: (0, scale)}[c]
            cmap = {0: "gray", 3: "magma"}.get(c, "RdBu_r")
            ax.imshow(img, cmap=cmap, vmin=limits[0], vmax=limits[1], interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(titles[c], fontsize=8)
        axes[r, 0].set_ylabel(f"{name}\ng = {label}", fontsize=6)
        axes[r, 3].set_xlabel(f"max in the disc: {inner.max() / scale:.1e} of max|out|", fontsize=6)
    fig.suptitle(
        "Equivariance: a C8 layer commutes with rotations, a plain convolution does not", fontsize=10
    )
    fig.tight_layout()
    return save(fig, out / "rotated_feature_maps.png")


class _PlantedConv(nn.Module):
    """The expanded filter of a steerable convolution moved off its constraint by ``eps`` (relative
    Frobenius norm) in a fixed random direction: the defect the verifier must locate."""

    def __init__(self, conv: SteerableConv2d, eps: float) -> None:
        super().__init__()
        self.in_type, self.out_type = conv.in_type, conv.out_type
        w, b = conv.expand_filter()
        noise = torch.randn(w.shape, generator=torch.Generator().manual_seed(2), dtype=w.dtype)
        self.weight = nn.Parameter((w + eps * w.norm() * noise / noise.norm()).detach())
        self.bias = None if b is None else nn.Parameter(b.detach())
        self.padding = conv.padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight, self.bias, padding=self.padding)


def _c8_network() -> nn.Sequential:
    torch.manual_seed(0)
    G = Cyclic(8)
    t0, h = FieldType(G, [irrep(G, 0)]), FieldType(G, [regular(G)] * 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nn.Sequential(
            SteerableConv2d(t0, h, 5, padding=2),
            ReLU(h),
            MaxPool2d(h, 3, 2),
            SteerableConv2d(h, h, 3, padding=1),
            ReLU(h),
            SteerableConv2d(h, h, 3, padding=1),
            GroupPooling(h),
        )


def equivariance_error(out: Path, smoke: bool = False) -> Path:
    """Relative error per layer and tier (groupconv.verify.check_equivariance, float64) of a C8 network,
    and of the same network with a 1% defect planted in layer 3."""
    x = torch.randn(1, 1, 21, 21, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    net = _c8_network()
    planted = _c8_network()
    planted[3] = _PlantedConv(planted[3], 0.01)
    opts = {"n_samples": 4, "progress": False}
    reports = [("correct C8 network", check_equivariance(net, x, **opts))]
    if not smoke:
        reports.append(("layer 3 off its constraint by 1%", check_equivariance(planted, x, **opts)))
    fig, axes = plt.subplots(1, len(reports), figsize=(5.2 * len(reports), 3.6), squeeze=False, sharey=True)
    for ax, (title, report) in zip(axes[0], reports):
        rows = [r for r in report.rows if r.max_rel_error is not None]
        labels = sorted({r.layer for r in rows}, key=lambda s: (s == "(model)", s))
        pos = {name: i for i, name in enumerate(labels)}
        for tier, shift, color in (("exact", -0.2, "tab:blue"), ("approximate", 0.2, "tab:orange")):
            tr = [r for r in rows if r.tier == tier]
            xs = [pos[r.layer] + shift for r in tr]
            ax.bar(
                xs, [max(r.max_rel_error, 1e-18) for r in tr], width=0.38, color=color, label=f"{tier} error"
            )
            ax.scatter(
                xs,
                [r.tolerance for r in tr],
                marker="_",
                s=220,
                color="k",
                zorder=3,
                label="tolerance" if tier == "exact" else None,
            )
            for xv, r in zip(xs, tr):
                if not r.passed:
                    ax.annotate(
                        "fails", (xv, r.max_rel_error), ha="center", va="bottom", fontsize=8, color="red"
                    )
        kinds = {r.layer: r.kind for r in rows}
        ax.set_xticks(range(len(labels)), [f"{n}\n{kinds[n]}" for n in labels], fontsize=7, rotation=30)
        ax.set_yscale("log")
        ax.set_title(title, fontsize=10)
    axes[0, 0].set_ylabel("max relative error (0 drawn at 1e-18)", fontsize=8)
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="lower center", ncol=3, fontsize=8)
    fig.suptitle(
        "Equivariance error per layer, check_equivariance in float64 (exact: 90° grid rotations; "
        "approximate: 45°)",
        fontsize=9,
    )
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return save(fig, out / "equivariance_error.png")
