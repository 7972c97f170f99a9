"""Spherical digits: a spherical CNN against a planar CNN of equal parameter count, in the protocol of
Cohen et al., "Spherical CNNs" (ICLR 2018, section 5.1, spherical MNIST).

The 8x8 digits of ``sklearn.datasets.load_digits`` are projected onto the northern hemisphere (orthographic
projection, bilinear interpolation, the image's edge at 60 degrees from the pole) and sampled on the
Driscoll-Healy grid of bandwidth 30 (60 x 60). A *rotated* digit is the projected signal moved by a
Haar-random rotation, ``f_R(x) = f(R^{-1} x)``, sampled directly (no interpolation of the grid). Three
settings: train and test on non-rotated digits (NR/NR), train non-rotated and test rotated (NR/R), both
rotated (R/R).

The spherical CNN: ``S2Conv`` (1 -> 8 channels, bandwidth 30 -> 8), ReLU on the ``SO(3)`` grid,
``SO3Conv`` (8 -> 16, bandwidth 8 -> 4), ReLU, the integral over ``SO(3)`` (invariant), batch norm of the
16 invariants, a linear layer. The
planar CNN sees the same 60 x 60 grid samples as an image and has (almost) the same number of parameters.
Both train with Adam for the same number of epochs (20), once on non-rotated and once on rotated digits;
the model trained on non-rotated digits is tested on both test sets. The script prints its progress per
epoch, the accuracy table and the equivariance report of the trained spherical network's layers.

Runtime: about 2 minutes on a 2-core CPU (the four trainings); ``--smoke`` takes a few seconds.

Usage::

    python examples/spherical_digits.py                # the full run (about 2 minutes)
    python examples/spherical_digits.py --smoke        # a few seconds, for CI
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from groupconv.fourier import s2_grid
from groupconv.groups.spatial import SO3
from groupconv.nn import GridNonlinearity, InvariantType, S2Conv, SO3Conv, SO3Integral
from groupconv.verify.equivariance import check_equivariance

EDGE = math.radians(60)


def sphere_points(bandwidth: int) -> torch.Tensor:
    """Unit vectors ``(2B, 2B, 3)`` of the Driscoll-Healy grid, ``R_z(alpha) R_y(beta) e_z``."""
    beta, alpha, _ = s2_grid(bandwidth, "dh")
    b, a = np.meshgrid(beta, alpha, indexing="ij")
    b, a = torch.as_tensor(b), torch.as_tensor(a)
    return torch.stack([torch.sin(b) * torch.cos(a), torch.sin(b) * torch.sin(a), torch.cos(b)], -1)


def project(images: torch.Tensor, points: torch.Tensor, rotations: torch.Tensor | None) -> torch.Tensor:
    """Signals on the sphere ``(N, 1, 2B, 2B)``: ``f(R^{-1} x)`` with ``f`` the image on the northern
    hemisphere (orthographic projection), zero elsewhere."""
    n = images.shape[0]
    p = points.reshape(1, -1, 3).expand(n, -1, 3)
    if rotations is not None:
        p = p @ rotations  # R^{-1} x = R^T x, as rows: x^T R
    scale = math.sin(EDGE)
    coords = torch.stack([p[..., 0] / scale, p[..., 1] / scale], -1).float()
    vals = F.grid_sample(images, coords[:, None], mode="bilinear", padding_mode="zeros", align_corners=False)
    vals = vals[:, :, 0] * (p[..., 2] > 0).float()[:, None]
    return vals.reshape(n, 1, *points.shape[:2])


def load_data(bandwidth: int, seed: int, n_train: int | None, n_test: int | None):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = torch.as_tensor(digits.images, dtype=torch.float32)[:, None] / 16.0
    y = torch.as_tensor(digits.target, dtype=torch.long)
    i_train, i_test = train_test_split(
        np.arange(len(y)), test_size=1 / 4, random_state=seed, stratify=y.numpy()
    )
    i_train, i_test = i_train[:n_train], i_test[:n_test]
    points = sphere_points(bandwidth)
    gen = torch.Generator().manual_seed(seed)
    out = {}
    for name, idx in (("train", i_train), ("test", i_test)):
        imgs = x[idx]
        rot = SO3().sample(len(idx), generator=gen)
        out[name] = {"NR": project(imgs, points, None), "R": project(imgs, points, rot), "y": y[idx]}
    return out


class SphericalCNN(nn.Module):
    def __init__(self, bandwidth: int, c1: int = 8, c2: int = 16, b1: int = 8, b2: int = 4):
        super().__init__()
        self.conv1 = S2Conv.from_channels(1, c1, bandwidth, b1)
        self.act1 = GridNonlinearity(self.conv1.out_type, torch.relu)
        self.conv2 = SO3Conv.from_channels(c1, c2, b1, b2)
        self.act2 = GridNonlinearity(self.conv2.out_type, torch.relu)
        self.pool = SO3Integral(self.conv2.out_type)
        # the integrals over SO(3) vary little from digit to digit (their spread is about a tenth of
        # their mean): batch norm of the invariants rescales them for the classifier (and keeps them
        # invariant)
        self.norm = nn.BatchNorm1d(c2)
        self.linear = nn.Linear(c2, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.norm(self.pool(self.act2(self.conv2(self.act1(self.conv1(x)))))))


class PlanarCNN(nn.Module):
    """Three 5x5 convolutions with stride 2 on the 2B x 2B grid image, global average pooling, linear."""

    def __init__(self, width: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, width, 5, stride=2, padding=2),
            nn.ReLU(),
            nn.Conv2d(width, width, 5, stride=2, padding=2),
            nn.ReLU(),
            nn.Conv2d(width, width, 5, stride=2, padding=2),
            nn.ReLU(),
        )
        self.linear = nn.Linear(width, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.body(x).mean((-2, -1)))


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def planar_width(target: int) -> int:
    """The width whose planar CNN has the parameter count closest to ``target``."""
    return min(range(2, 64), key=lambda w: abs(n_params(PlanarCNN(w)) - target))


def train(model, x, y, epochs: int, batch: int, seed: int, lr: float = 3e-3) -> None:
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(1, epochs * math.ceil(len(y) / batch)))
    gen = torch.Generator().manual_seed(seed)
    model.train()
    start = time.perf_counter()
    for epoch in range(epochs):
        perm = torch.randperm(len(y), generator=gen)
        total = correct = 0.0
        for k in range(0, len(y), batch):
            idx = perm[k : k + batch]
            out = model(x[idx])
            loss = F.cross_entropy(out, y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            correct += float((out.argmax(-1) == y[idx]).sum())
        print(
            f"  epoch {epoch + 1:>3}/{epochs}: loss {total / len(y):.3f}, training accuracy "
            f"{correct / len(y):.3f} ({time.perf_counter() - start:.0f} s)",
            flush=True,
        )


@torch.no_grad()
def accuracy(model, x, y, batch: int = 256) -> float:
    model.eval()
    pred = torch.cat([model(x[k : k + batch]).argmax(-1) for k in range(0, len(y), batch)])
    return float((pred == y).float().mean())


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bandwidth", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoke", action="store_true", help="tiny run for CI (a few seconds)")
    args = parser.parse_args(argv)
    n_train = n_test = None
    if args.smoke:
        args.bandwidth, args.epochs, n_train, n_test = 8, 1, 32, 16
    torch.manual_seed(args.seed)
    t0 = time.perf_counter()
    data = load_data(args.bandwidth, args.seed, n_train, n_test)
    tr, te = data["train"], data["test"]
    b1 = min(8, args.bandwidth)
    ref = SphericalCNN(args.bandwidth, b1=b1)
    width = planar_width(n_params(ref))
    results: dict = {"params_spherical": n_params(ref), "params_planar": n_params(PlanarCNN(width))}
    print(
        f"bandwidth {args.bandwidth}: {len(tr['y'])} training and {len(te['y'])} test digits; spherical CNN "
        f"{results['params_spherical']} parameters, planar CNN (width {width}) {results['params_planar']}"
    )
    trained = None
    # one model per kind and training set: the NR model is tested on both test sets
    for train_on in ("NR", "R"):
        for kind in ("spherical", "planar"):
            torch.manual_seed(args.seed)
            model = SphericalCNN(args.bandwidth, b1=b1) if kind == "spherical" else PlanarCNN(width)
            print(f"training the {kind} CNN on {train_on} digits ({args.epochs} epochs)", flush=True)
            train(model, tr[train_on], tr["y"], args.epochs, args.batch, args.seed)
            for test_on in ("NR", "R") if train_on == "NR" else ("R",):
                acc = accuracy(model, te[test_on], te["y"])
                results[f"acc_{kind}_{train_on}_{test_on}"] = acc
            if kind == "spherical" and train_on == "R":
                trained = model
    rows = [
        [f"{a}/{b}", *(f"{results[f'acc_{kind}_{a}_{b}']:.3f}" for kind in ("spherical", "planar"))]
        for a, b in (("NR", "NR"), ("NR", "R"), ("R", "R"))
    ]
    print("\n| train/test | spherical CNN | planar CNN |\n|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    # the linear layer maps invariants to invariants
    types = {
        "norm": (trained.pool.out_type, trained.pool.out_type),
        "linear": (trained.pool.out_type, InvariantType(10)),
    }
    report = check_equivariance(
        trained, te["R"][:2], types=types, n_samples=4, check_model=False, progress=False
    )
    print(report.to_text())
    results["equivariance_passed"] = report.passed
    results["seconds"] = time.perf_counter() - t0
    print(f"time {results['seconds']:.0f} s")
    return results


if __name__ == "__main__":
    # small FFTs and matrix products run faster on one thread on a shared CPU
    torch.set_num_threads(1)
    main()
