"""A D_4-equivariant network against a plain CNN with the same number of parameters, on rotated digits.

The 8x8 sklearn digits are padded to 12x12 and upsampled to 29x29 (odd, so that rotations by 90 degrees
and the reflections of the square map the pixel grid onto itself about its centre pixel). Every training
image is rotated by a fresh random angle in [0, 2 pi) at every epoch; the test images by fixed random
angles. Both networks train with the same schedule; the script prints both parameter counts, both test
accuracies, and the per-layer equivariance report of the trained D_4 network
(:func:`groupconv.verify.equivariance.check_equivariance`, float64, every element of D_4), whose last row
checks that the logits are invariant.

Runtime: about 2 minutes on a laptop CPU by default (8 epochs per network); ``--full`` trains 60 epochs
(over 10 minutes); ``--smoke`` takes a few seconds.

Usage::

    python examples/d4_digits.py                  # about 2 minutes
    python examples/d4_digits.py --full --seed 0  # 60 epochs, over 10 minutes
    python examples/d4_digits.py --epochs 20      # any number of epochs
    python examples/d4_digits.py --smoke          # a few seconds, for CI
"""

from __future__ import annotations

import argparse
import math
import time

import torch
import torch.nn.functional as F
from torch import nn

from groupconv.groups import SO2, Dihedral
from groupconv.nn import (
    EquivariantSequential,
    FieldBatchNorm,
    FieldType,
    GlobalPool2d,
    GroupConv2d,
    GroupPooling,
    LiftingConv2d,
    MaxPool2d,
    RandomGroupAction,
    ReLU,
    rotate_field,
)
from groupconv.reps import regular, trivial
from groupconv.verify.equivariance import check_equivariance

SIZE = 29
EPOCHS, FULL_EPOCHS = 8, 60
RUNTIME = {
    False: f"about 2 minutes on a laptop CPU ({EPOCHS} epochs; --full: {FULL_EPOCHS} epochs, over 10 minutes)",
    True: "over 10 minutes on a laptop CPU (the full setting)",
}
G = Dihedral(4)


def load_data(seed: int, n_train: int | None = None, n_test: int | None = None):
    """Digits as ``(N, 1, 29, 29)`` float32 tensors in [0, 1], split 2:1 (stratified)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = torch.as_tensor(digits.images, dtype=torch.float32)[:, None] / 16.0
    y = torch.as_tensor(digits.target, dtype=torch.long)
    x = F.pad(x, (2, 2, 2, 2))
    x = F.interpolate(x, size=(SIZE, SIZE), mode="bilinear", align_corners=True)
    idx_train, idx_test = train_test_split(
        torch.arange(len(y)).numpy(), test_size=1 / 3, random_state=seed, stratify=y.numpy()
    )
    idx_train, idx_test = idx_train[:n_train], idx_test[:n_test]
    return x[idx_train], y[idx_train], x[idx_test], y[idx_test]


# images are scalar fields of SO(2): rotate_field and RandomGroupAction turn them about the centre pixel
# (bilinear interpolation, zeros outside the grid)
IMAGE = FieldType(SO2(), [trivial(SO2())])


def random_rotation(seed: int) -> RandomGroupAction:
    """Rotates every image of a batch by its own uniform random angle in [0, 2 pi) (training mode)."""
    return RandomGroupAction(IMAGE, generator=torch.Generator().manual_seed(seed), mode="bilinear")


def d4_network(widths=(4, 8, 16)) -> nn.Sequential:
    """Lifting conv and two group convs (regular fields of D_4) with batch norm, ReLU, antialiased max
    pooling, then pooling over the group and over space: invariant features, then a linear classifier."""
    a, b, c = widths
    reg = lambda n: FieldType(G, [regular(G)] * n)  # noqa: E731
    body = EquivariantSequential(
        LiftingConv2d.from_channels(G, 1, a, 5, padding=2),
        FieldBatchNorm(reg(a)),
        ReLU(reg(a)),
        MaxPool2d(reg(a)),
        GroupConv2d.from_channels(G, a, b, 3, padding=1),
        FieldBatchNorm(reg(b)),
        ReLU(reg(b)),
        MaxPool2d(reg(b)),
        GroupConv2d.from_channels(G, b, c, 3, padding=1),
        FieldBatchNorm(reg(c)),
        ReLU(reg(c)),
        GroupPooling(reg(c)),
        GlobalPool2d(FieldType(G, [trivial(G)] * c)),
    )
    return nn.Sequential(body, nn.Flatten(), nn.Linear(c, 10))


def plain_network(widths: tuple[int, int, int]) -> nn.Sequential:
    """The same architecture with ordinary convolutions, batch norm and max pooling."""
    a, b, c = widths
    return nn.Sequential(
        nn.Conv2d(1, a, 5, padding=2),
        nn.BatchNorm2d(a),
        nn.ReLU(),
        nn.MaxPool2d(3, 2, 1),
        nn.Conv2d(a, b, 3, padding=1),
        nn.BatchNorm2d(b),
        nn.ReLU(),
        nn.MaxPool2d(3, 2, 1),
        nn.Conv2d(b, c, 3, padding=1),
        nn.BatchNorm2d(c),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(c, 10),
    )


class Invariant:
    """The action on invariant outputs (logits): ``g . y = y``."""

    def __call__(self, y: torch.Tensor, g) -> torch.Tensor:
        return y

    def __repr__(self) -> str:
        return "invariant logits"


def count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def matching_plain_widths(target: int) -> tuple[int, int, int]:
    """Plain widths ``(a, b, c)`` whose parameter count is closest to ``target`` (exact when possible;
    among equals, the one closest to the growth ``b = 2a``, ``c = 2b``)."""
    import numpy as np

    a, b, c = np.meshgrid(np.arange(2, 65), np.arange(2, 129), np.arange(2, 257), indexing="ij")
    n_params = (25 * a + a + 2 * a) + (9 * a * b + b + 2 * b) + (9 * b * c + c + 2 * c) + (10 * c + 10)
    key = np.abs(n_params - target) * 10**6 + np.abs(b - 2 * a) + np.abs(c - 2 * b)
    i = np.unravel_index(int(np.argmin(key)), key.shape)
    return int(a[i]), int(b[i]), int(c[i])


def train(
    model, x, y, epochs: int, seed: int, device, batch_size: int = 64, lr: float = 3e-3, name: str = ""
):
    """Adam with a cosine schedule; every batch rotated by fresh random angles; one progress line per
    epoch (mean loss, training accuracy on the rotated batches, elapsed time)."""
    gen = torch.Generator().manual_seed(seed)
    rotate = random_rotation(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(epochs, 1))
    model.to(device)
    t0 = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(y), generator=gen)
        total_loss, correct, seen = 0.0, 0, 0
        for i in range(0, len(y), batch_size):
            idx = order[i : i + batch_size]
            if len(idx) < 2:
                continue
            xb, yb = rotate(x[idx]).to(device), y[idx].to(device)
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total_loss += float(loss.detach()) * len(idx)
            correct += int((logits.argmax(1) == yb).sum())
            seen += len(idx)
        sched.step()
        print(
            f"  {name} epoch {epoch + 1:3d}/{epochs}  loss {total_loss / max(seen, 1):.3f}  "
            f"train acc {correct / max(seen, 1):.3f}  {time.perf_counter() - t0:6.1f} s",
            flush=True,
        )
    return model


@torch.no_grad()
def accuracy(model, x, y, device) -> float:
    model.eval()
    correct = 0
    for i in range(0, len(y), 256):
        correct += int((model(x[i : i + 256].to(device)).argmax(1).cpu() == y[i : i + 256]).sum())
    return correct / len(y)


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument(
        "--epochs", type=int, default=None, help=f"training epochs (default {EPOCHS}; --full: {FULL_EPOCHS})"
    )
    p.add_argument(
        "--full", action="store_true", help=f"the long setting: {FULL_EPOCHS} epochs (over 10 minutes)"
    )
    p.add_argument("--batch-size", type=int, default=64, help="training batch size (default 64)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--smoke", action="store_true", help="tiny run for CI (a few seconds)")
    args = p.parse_args(argv)
    device = torch.device(args.device)
    widths = (2, 4, 8) if args.smoke else (4, 8, 16)
    if args.epochs is not None and args.epochs < 1:
        p.error(f"--epochs must be at least 1, got {args.epochs}")
    epochs = 1 if args.smoke else args.epochs or (FULL_EPOCHS if args.full else EPOCHS)
    print(
        "D4 digits: "
        + (
            "a smoke run (seconds), its numbers are not results"
            if args.smoke
            else RUNTIME[args.full or (args.epochs or 0) > EPOCHS]
        )
    )
    n_train, n_test = (96, 32) if args.smoke else (None, None)

    torch.manual_seed(args.seed)
    x_train, y_train, x_test, y_test = load_data(args.seed, n_train, n_test)
    gen = torch.Generator().manual_seed(10_000 + args.seed)
    x_test_rot = rotate_field(
        x_test,
        IMAGE,
        torch.rand(len(y_test), generator=gen, dtype=torch.float64) * 2 * math.pi,
        mode="bilinear",
    )

    torch.manual_seed(args.seed)
    eq = d4_network(widths)
    plain_widths = matching_plain_widths(count(eq))
    torch.manual_seed(args.seed)
    plain = plain_network(plain_widths)
    print(f"D4 network:  {count(eq)} parameters (widths {widths}, regular fields of D4)")
    print(f"plain CNN:   {count(plain)} parameters (widths {plain_widths})")

    results = {"params_d4": count(eq), "params_plain": count(plain)}
    for name, model in (("d4", eq), ("plain", plain)):
        t0 = time.perf_counter()
        train(model, x_train, y_train, epochs, args.seed, device, batch_size=args.batch_size, name=name)
        acc = accuracy(model, x_test_rot, y_test, device)
        upright = accuracy(model, x_test, y_test, device)
        results[f"acc_{name}"] = acc
        results[f"acc_{name}_upright"] = upright
        print(
            f"{name:6s} test accuracy on rotated digits {acc:.4f} (upright {upright:.4f}), "
            f"trained {epochs} epochs in {time.perf_counter() - t0:.1f} s"
        )

    # the whole model's row: the logits must not change under any element of D4
    report = check_equivariance(eq.cpu(), x_test_rot[:2], types={"": (eq[0].in_type, Invariant())})
    print(report.to_text())
    results["equivariance_passed"] = report.passed
    results["max_equivariance_error"] = max(r.max_abs_error for r in report.rows)
    return results


if __name__ == "__main__":
    main()
