"""Reproduction ``cbn``: the convolutional bottleneck of deep CNNs trained with weight decay.

Wen & Jacot, "Which frequencies do CNNs need? Emergent bottleneck structure in feature learning",
ICML 2024: deep circular-padded CNNs trained with L2 regularisation on a task that depends on a few
frequencies only keep, in their middle layers, only those frequencies (and few channels per frequency).

Task here: inputs are white Gaussian images on an N x N torus; the target is the energy of the input at
the lowest nonzero frequencies, y = sum over |k| = 1 of |x^(k)|^2 (translation invariant, so a CNN with
global average pooling can fit it). The network is a stack of full-size (N x N kernel) circular
convolutions without bias and ReLUs, then global average pooling and a linear read-out; full-size kernels
let every frequency have its own channel matrix, as in the paper's analysis.

>>> import torch
>>> x, y = _task(3, 8, torch.Generator().manual_seed(0))
>>> x.shape, y.shape
(torch.Size([3, 1, 8, 8]), torch.Size([3]))
>>> net = _Net(depth=2, channels=4, kernel=7)
>>> torch.allclose(net(torch.roll(x, (3, 1), (-2, -1))), net(x), atol=1e-5)  # translation invariant
True
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..analysis.cbn import cbn_rank, plot_cbn_spectrum
from ..analysis.train import train
from . import Options, Result

PAPER = "Wen & Jacot, Which frequencies do CNNs need? Emergent bottleneck structure in feature learning, ICML 2024"

TASK_FREQUENCIES = [(0, 1), (0, -1), (1, 0), (-1, 0)]


class _Net(nn.Module):
    def __init__(self, depth: int, channels: int, kernel: int):
        super().__init__()
        layers: list[nn.Module] = []
        c = 1
        for _ in range(depth):
            layers += [
                nn.Conv2d(c, channels, kernel, padding=kernel // 2, padding_mode="circular", bias=False),
                nn.ReLU(),
            ]
            c = channels
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(channels, 1)

    def forward(self, x):
        return self.head(self.features(x).mean(dim=(-2, -1))).squeeze(-1)


def _task(n: int, size: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.randn(n, 1, size, size, generator=gen)
    xh = torch.fft.fft2(x[:, 0], norm="ortho")
    y = sum(xh[:, k1 % size, k2 % size].abs() ** 2 for k1, k2 in TASK_FREQUENCIES)
    return x, (y - 4.0) / 4.0  # each |x^(k)|^2 has mean 1 under white noise


def _rows(report, kind: str, prefix: str) -> dict[str, dict]:
    out = {}
    for l in report.select(kind):
        out[l.name] = {
            f"{prefix}_freqs": l.n_kept,
            f"{prefix}_rank": l.cbn_rank,
            f"{prefix}_max_rank": l.max_rank,
        }
    return out


def run(options: Options) -> Result:
    torch.manual_seed(options.seed)
    if options.smoke:
        size, depth, channels, steps, n_train, n_test = 5, 3, 4, 15, 128, 32
    else:
        size, depth, channels, steps, n_train, n_test = 5, 6, 8, 2000, 8192, 256
    lam, threshold = 1e-3, 0.05
    gen = torch.Generator().manual_seed(options.seed)
    x, y = _task(n_train, size, gen)
    x_test, y_test = _task(n_test, size, gen)
    model = _Net(depth, channels, size)
    before = cbn_rank(model, x_test, threshold=threshold)
    res = train(
        model,
        x,
        y,
        nn.functional.mse_loss,
        steps=steps,
        batch_size=32 if options.smoke else 64,
        lr=1e-3,
        weight_decay=lam,
        optimizer="adam",
        device=options.device,
        seed=options.seed,
        quiet=options.quiet,
        desc="cbn train",
    )
    model = res.model.to("cpu")
    with torch.no_grad():
        test_mse = float(nn.functional.mse_loss(model(x_test), y_test))
    after = cbn_rank(model, x_test, threshold=threshold)
    names = [l.name for l in after.select("weight")]
    b_w, a_w = _rows(before, "weight", "init_w"), _rows(after, "weight", "trained_w")
    a_a = _rows(after, "activation", "trained_act")
    rows = []
    for i, name in enumerate(names):
        wl = after.select("weight")[i]
        al = after.select("activation")[i]
        row = {"layer": i + 1, "init_w_freqs": b_w[name]["init_w_freqs"]}
        row.update(a_w[name])
        row.update(a_a[name])
        kept = sorted(al.kept_frequencies)
        row["act_kept"] = (
            " ".join(f"({k1},{k2})" for k1, k2 in kept) if len(kept) <= 9 else f"{len(kept)} freqs"
        )
        row["w_rank_at_task_freqs"] = " ".join(str(wl.rank_at(*k)) for k in TASK_FREQUENCIES)
        rows.append(row)
    total = size * size
    mid = rows[1:-1] if len(rows) > 2 else rows
    notes = [
        f"Grid {size}x{size} ({total} frequencies), depth {depth}, {channels} channels, {size}x{size} circular convs, "
        f"Adam lr 1e-3 with L2 weight decay {lam:g}, {steps} steps of batch {32 if options.smoke else 64} on {n_train} samples.",
        f"Ranks count singular values above {threshold:g} x the layer's largest (weights: per-frequency "
        "transfer matrices; activations: per-frequency channel second moments of the conv outputs on "
        f"{n_test} test inputs).",
        f"Test MSE {test_mse:.4g} (target variance 1).",
        f"Middle layers keep on average {np.mean([r['trained_w_freqs'] for r in mid]):.1f} of {total} "
        f"frequencies in their weights (at init: {np.mean([r['init_w_freqs'] for r in mid]):.1f}).",
    ]
    figures = {
        "cbn_weight_ranks.png": lambda p: plot_cbn_spectrum(after, "weight").savefig(p, dpi=120),
        "cbn_activation_ranks.png": lambda p: plot_cbn_spectrum(after, "activation").savefig(p, dpi=120),
        "cbn_init_weight_ranks.png": lambda p: plot_cbn_spectrum(before, "weight").savefig(p, dpi=120),
    }
    return Result(
        name="cbn",
        title="CBN rank: frequencies kept per layer",
        paper=PAPER,
        tables={"Kept frequencies and ranks per layer": rows},
        notes=notes,
        figures=figures,
        settings={"size": size, "depth": depth, "channels": channels, "steps": steps, "weight_decay": lam},
    )
