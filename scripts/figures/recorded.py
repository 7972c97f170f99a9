"""Figures of numbers recorded in the docs: benchmark ratios and the reproductions' full-run tables.

The numbers are transcribed from the pages named in each comment (no benchmark or training is rerun);
update them here when the pages change.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from .common import save

# docs/benchmarks.md, "Equivariant convolutions", cost over a plain convolution (ours / conv2d, CPU time)
PLAIN = {
    "Lifting C4 3→16 5x5": 1.048,
    "Group C4 16→16 3x3": 1.009,
    "Lifting D4 3→16 5x5": 1.028,
    "Group D4 16→16 3x3": 0.999,
    "Lifting C8 3→16 5x5": 1.047,
    "Group C8 16→16 3x3": 0.990,
}
# docs/benchmarks.md, "Equivariant convolutions", against escnn, 16 fields, batch 8, 32x32 (EPYC table):
# (build speed-up cold, training-step speed-up)
ESCNN = {
    "D4 regular": (34, 1.02),
    "C8 regular": (70, 1.00),
    "D8 regular": (36, 0.99),
    "SO2 irreps 0-3": (14, 1.15),
    "O2 irreps": (10, 1.24),
}
# docs/benchmarks.md, "Scattering", against kymatio on the EPYC, first run of each size:
# (groupconv on kymatio's grid, groupconv circular, bank construction) speed-ups
KYMATIO = {"64 x 64": (2.5, 4.5, 56), "256 x 256": (2.1, 3.1, 91)}
# docs/benchmarks.md, "Fourier transforms and group convolutions", 16 -> 16 channel layer on L^2(G):
# spatial time / Fourier time
FOURIER = {
    "C8": 0.126,
    "C16": 0.474,
    "C32": 0.594,
    "C64": 2.29,
    "C128": 8.71,
    "D4": 0.288,
    "D8": 0.34,
    "D16": 0.997,
    "D32": 5.88,
    "D64": 15.6,
    "S4": 2.63,
    "S5": 8.0,
}


def _barh(ax, labels, values, title, xlabel, ref=1.0, log=False, higher_is_better=True):
    y = np.arange(len(labels))
    ax.barh(y, values, color=["tab:green" if (v >= ref) == higher_is_better else "tab:red" for v in values])
    ax.set_yticks(y, labels, fontsize=7)
    ax.invert_yaxis()
    ax.axvline(ref, color="k", lw=0.7, ls="--")
    if log:
        ax.set_xscale("log")
    for yi, v in zip(y, values):
        ax.text(v, yi, f" {v:g}", va="center", fontsize=7)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel(xlabel, fontsize=8)


def benchmark_ratios(out: Path, smoke: bool = False) -> Path:
    """Bar plots of the ratios recorded in docs/benchmarks.md."""
    fig, axes = plt.subplots(2, 2, figsize=(10, 6.2))
    _barh(
        axes[0, 0],
        list(PLAIN),
        list(PLAIN.values()),
        "groupconv / plain conv2d (forward + backward)",
        "time ratio (target ≤ 1.15)",
        higher_is_better=False,
    )
    axes[0, 0].axvline(1.15, color="tab:red", lw=0.7, ls=":")
    axes[0, 0].set_xlim(0.9, 1.2)
    labels = [f"{k}: build" for k in ESCNN] + [f"{k}: step" for k in ESCNN]
    values = [v[0] for v in ESCNN.values()] + [v[1] for v in ESCNN.values()]
    _barh(axes[0, 1], labels, values, "escnn R2Conv / groupconv SteerableConv2d", "speed-up (log)", log=True)
    labels = [f"{k}, {n}" for k in KYMATIO for n in ("kymatio's grid", "circular", "bank build")]
    values = [v for vals in KYMATIO.values() for v in vals]
    _barh(
        axes[1, 0],
        labels,
        values,
        "kymatio Scattering2D / groupconv Scattering2D",
        "speed-up (log)",
        log=True,
    )
    _barh(
        axes[1, 1],
        list(FOURIER),
        list(FOURIER.values()),
        "group convolution on L²(G), 16→16: spatial / Fourier",
        "speed-up of the Fourier path (log)",
        log=True,
    )
    fig.suptitle(
        "Recorded benchmark ratios (docs/benchmarks.md, EPYC sandbox); green: groupconv (or the Fourier path) faster",
        fontsize=9,
    )
    fig.tight_layout()
    return save(fig, out / "benchmark_ratios.png")


# docs/reproduce_linear_regions.md, full run: n0, widths, upper bound (Thm 1), exact count (mean, max)
REGIONS = [
    (1, "3,3", 16, 7, 9),
    (1, "4,4,4", 125, 11.4, 15),
    (1, "8,8", 81, 17.5, 21),
    (1, "6,6,6", 343, 19.2, 26),
    (2, "3,3", 40, 17, 29),
    (2, "4,4", 121, 27, 41),
    (2, "6,6", 484, 70.1, 96),
    (2, "8,8", 1369, 124.1, 152),
    (2, "4,4,4", 1331, 43.4, 65),
    (2, "6,6,6", 10648, 131, 211),
    (2, "8,8,8", 50653, 270.4, 338),
]
# docs/reproduce_dcfnet.md, full run: test accuracy (%) clean and under 1, 2, 3 pixel deformations
DCFNET = {
    "plain CNN (16200)": [96.83, 96.58, 93.92, 87.92],
    "DCF K=3 (1944)": [96.67, 95.83, 92.50, 85.83],
    "DCF K=6 (3888)": [98.67, 97.75, 95.00, 89.50],
    "DCF K=14 (9072)": [98.92, 98.33, 96.50, 91.83],
    "random basis K=3 (1944)": [96.17, 94.92, 90.75, 82.92],
}
# docs/reproduce_phase_collapse.md, full run: test accuracy (%) on rotated digits and textures
PHASE = {
    "modulus": (73.33, 87.41),
    "soft-threshold": (42.92, 36.11),
    "sigmoid-amplitude": (52.00, 27.04),
    "tanh-amplitude": (57.17, 35.93),
    "phase-only": (53.42, 26.11),
}
# docs/reproduce_tetris.md, full run: accuracy (%) at the training orientation, the 24 cube rotations and
# random SO(3) rotations
TETRIS = {
    "O-equivariant (8106)": (100, 100, 24.5),
    "SO(3)-steerable (7999)": (81.3, 79.7, 72.4),
    "plain 3D CNN (8192)": (100, 18.8, 21.9),
}


def _grouped(ax, table: dict, groups: list[str], title: str, ylabel: str) -> None:
    n = len(table)
    width = 0.8 / n
    x = np.arange(len(groups))
    for i, (name, vals) in enumerate(table.items()):
        ax.bar(x + (i - (n - 1) / 2) * width, vals, width, label=name)
    ax.set_xticks(x, groups, fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=6)


def reproductions(out: Path, smoke: bool = False) -> list[Path]:
    """One figure per reproduction page whose results are tables: linear regions, DCFNet, phase collapse,
    Tetris, from the full-run numbers recorded on those pages."""
    paths = []
    fig, ax = plt.subplots(figsize=(6.2, 3.6))
    labels = [f"n0={n0} [{w}]" for n0, w, *_ in REGIONS]
    x = np.arange(len(REGIONS))
    ax.bar(x - 0.2, [r[2] for r in REGIONS], 0.4, label="upper bound (Serra et al. Thm 1)", color="0.7")
    ax.bar(x + 0.2, [r[4] for r in REGIONS], 0.4, label="exact count, max over nets", color="tab:blue")
    ax.scatter(x + 0.2, [r[3] for r in REGIONS], color="k", s=12, zorder=3, label="exact count, mean")
    ax.set_yscale("log")
    ax.set_xticks(x, labels, rotation=45, ha="right", fontsize=7)
    ax.set_ylabel("linear regions")
    ax.set_title(
        "Linear regions of random ReLU networks (full run, docs/reproduce_linear_regions.md)", fontsize=8
    )
    ax.legend(fontsize=7)
    fig.tight_layout()
    paths.append(save(fig, out / "reproduce_linear_regions.png"))
    if smoke:
        return paths

    fig, ax = plt.subplots(figsize=(6.2, 3.4))
    _grouped(
        ax,
        DCFNET,
        ["clean", "1 px", "2 px", "3 px"],
        "DCFNet: accuracy under deformations (full run, docs/reproduce_dcfnet.md;\n"
        "conv parameters in brackets)",
        "test accuracy (%)",
    )
    ax.set_ylim(80, 100)
    fig.tight_layout()
    paths.append(save(fig, out / "reproduce_dcfnet.png"))

    fig, ax = plt.subplots(figsize=(5.6, 3.4))
    _grouped(
        ax,
        PHASE,
        ["rotated digits", "textures"],
        "Phase collapse vs phase-keeping nonlinearities\n(full run, docs/reproduce_phase_collapse.md)",
        "test accuracy (%)",
    )
    fig.tight_layout()
    paths.append(save(fig, out / "reproduce_phase_collapse.png"))

    fig, ax = plt.subplots(figsize=(5.6, 3.4))
    _grouped(
        ax,
        TETRIS,
        ["training orientation", "24 cube rotations", "random SO(3)"],
        "3D Tetris: accuracy under rotations (full run, docs/reproduce_tetris.md;\nparameters in brackets)",
        "accuracy (%)",
    )
    fig.tight_layout()
    paths.append(save(fig, out / "reproduce_tetris.png"))
    return paths
