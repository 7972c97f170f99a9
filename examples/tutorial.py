"""The groupconv tutorial as one script (docs/tutorial.md walks through it step by step).

1. a C8-equivariant CNN (regular fields: lifting and group convolutions, batch norm, ReLU, blur-pool,
   group pooling) trained on upright digits and tested on digits rotated by random angles;
2. its equivariance checked layer by layer, and its exact certificate;
3. its export to plain torch (same outputs, no groupconv needed to run it);
4. a scattering network on a texture, with the energy of each layer;
5. a convolution in the Fourier domain of a finite group, checked.

Runtime: about 2 minutes on a laptop CPU (the training: 20 epochs on 1,347 digits); ``--smoke`` runs every
step on a few digits in about 15 seconds (CI runs it).

Usage::

    python examples/tutorial.py            # about 2 minutes
    python examples/tutorial.py --smoke    # every step, tiny (CI)
"""

from __future__ import annotations

import argparse
import tempfile
import time

import torch
import torch.nn.functional as F
from torch import nn

from groupconv.groups import SO2, Cyclic, Dihedral
from groupconv.nn import (
    BlurPool2d,
    FieldBatchNorm,
    FieldType,
    GlobalPool2d,
    GroupConv2d,
    GroupPooling,
    HomogeneousFourierConv,
    LiftingConv2d,
    RandomGroupAction,
    ReLU,
    export,
)
from groupconv.reps import regular, trivial
from groupconv.scattering import Scattering2D, energy_per_layer
from groupconv.verify import certify, check_equivariance, verify_model


def load_digits_29(n: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The 8x8 digits of scikit-learn, upsampled to 28x28 and padded to 29x29 (an odd size: the rotations
    by multiples of 90 degrees then map the pixel grid onto itself about its centre pixel)."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = torch.as_tensor(digits.images[:n], dtype=torch.float32)[:, None] / 16.0
    x = F.pad(F.interpolate(x, size=(28, 28), mode="bilinear", align_corners=False), (0, 1, 0, 1))
    return x, torch.as_tensor(digits.target[:n], dtype=torch.long)


def c8_network() -> nn.Sequential:
    """Regular fields of C8 (8 rotations by 45 degrees): 1 -> 8 -> 16 -> 16 fields, 5x5 filters."""
    G = Cyclic(8)
    t8, t16 = FieldType(G, [regular(G)] * 8), FieldType(G, [regular(G)] * 16)
    return nn.Sequential(
        LiftingConv2d.from_channels(G, 1, 8, 5, padding=2),  # image -> 8 regular fields (64 channels)
        FieldBatchNorm(t8),
        ReLU(t8),
        BlurPool2d(t8),  # anti-aliased stride 2
        GroupConv2d.from_channels(G, 8, 16, 5, padding=2),
        FieldBatchNorm(t16),
        ReLU(t16),
        BlurPool2d(t16),
        GroupConv2d.from_channels(G, 16, 16, 5, padding=2),
        FieldBatchNorm(t16),
        ReLU(t16),
        GroupPooling(t16),  # max over the 8 rotations of each field: invariant
        GlobalPool2d(FieldType(G, [trivial(G)] * 16)),
        nn.Flatten(),
        nn.Linear(16, 10),
    )


def rotate_randomly(x: torch.Tensor, seed: int) -> torch.Tensor:
    """Every image rotated by its own uniformly random angle (cubic interpolation)."""
    rotate = RandomGroupAction(
        FieldType(SO2(), [trivial(SO2())]), generator=torch.Generator().manual_seed(seed)
    )
    return rotate(x)


def train(model: nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int, batch: int = 32) -> None:
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs * -(-len(y) // batch))
    gen = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(y), generator=gen)
        total = 0.0
        for k in range(0, len(y), batch):
            idx = perm[k : k + batch]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        print(
            f"  epoch {epoch + 1}/{epochs}: loss {total / len(y):.3f} ({time.perf_counter() - start:.0f} s)"
        )


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    return float((model(x).argmax(-1) == y).float().mean())


def check_layers(model: nn.Module, x: torch.Tensor) -> bool:
    """Equivariance of every layer (exact on the grid rotations, calibrated on the others), energy against
    frame bounds, and exact certificates, in one report (``report.to_text()`` prints all of it)."""
    report = verify_model(model, x[:2])
    print(f"  {'layer':<6} {'kind':<16} {'tier':<12} {'rel. error':>10} {'tolerance':>10}  verdict")
    for r in report.equivariance.rows:
        error = "-" if r.max_rel_error is None else f"{r.max_rel_error:.1e}"
        tol = "-" if r.tolerance is None else f"{r.tolerance:.1e}"
        verdict = {True: "pass", False: "FAIL", None: "inconclusive"}[r.passed]
        if r.tier == "not checked":
            verdict = "plain layer, no field type"
        print(f"  {r.layer:<6} {r.kind:<16} {r.tier:<12} {error:>10} {tol:>10}  {verdict}")
    print("  every check passed:", report.passed)
    for r in certify(model).rows:
        print(f"  certificate of layer {r.layer} ({r.kind}): {r.status}")
    return report.passed


def export_and_compare(model: nn.Module, x: torch.Tensor, path: str) -> float:
    """A plain torch module with the same outputs (batch norm folded in), saved and loaded back: running
    it needs torch alone."""
    model.eval()
    torch.save(export(model), path)
    plain = torch.load(path, weights_only=False)
    with torch.no_grad():
        diff = (plain(x) - model(x)).abs().max().item()
    print(f"  {len(plain)} plain torch modules ({', '.join(sorted({type(m).__name__ for m in plain}))})")
    print(f"  largest output difference from the groupconv model: {diff:.1e}")
    return diff


def texture_energy(size: int = 64) -> None:
    """A Parseval scattering network on a crop of the brick texture: the energy of each layer."""
    from skimage import data

    img = torch.as_tensor(data.brick()[:size, :size], dtype=torch.float64) / 255.0
    net = Scattering2D((size, size), J=3, L=8, max_order=3, filters="parseval", subsample=False, paths="all")
    p = energy_per_layer(net.double(), img[None])
    for n in range(p.depth + 1):
        print(
            f"  layer {n}: propagated energy {float(p.propagated[n, 0] / p.input_energy[0]):.4f} of ||f||^2"
        )
    print(f"  decay rate {p.decay_rate():.3f}")


def fourier_convolution() -> None:
    """A convolution on functions over D4 / C4 (two points) -> D4, by products of Fourier blocks."""
    layer = HomogeneousFourierConv(Dihedral(4), 3, 5, domain=Cyclic(4)).double()
    x = torch.randn(8, 3, 2, dtype=torch.float64)
    print(" ", layer.in_type, "->", layer.out_type, tuple(layer(x).shape))
    print("  equivariant on every element:", check_equivariance(layer, x).passed)
    print("  certificate:", layer.certificate().status)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--smoke", action="store_true", help="every step on a few digits (CI)")
    args = parser.parse_args(argv)
    print("groupconv tutorial: about 2 minutes on a laptop CPU (--smoke: seconds)")
    torch.manual_seed(0)
    x, y = load_digits_29(64 if args.smoke else None)
    n_train = len(y) * 3 // 4
    epochs = 1 if args.smoke else args.epochs

    print("1. a C8-equivariant CNN on digits")
    model = c8_network()
    print(f"  {sum(p.numel() for p in model.parameters())} parameters")
    train(model, x[:n_train], y[:n_train], epochs)
    x_test, y_test = x[n_train:], y[n_train:]
    x_rot = rotate_randomly(x_test, seed=1)
    results = {"upright": accuracy(model, x_test, y_test), "rotated": accuracy(model, x_rot, y_test)}
    print(
        f"  test accuracy: upright {results['upright']:.3f}, rotated by random angles {results['rotated']:.3f}"
    )

    print("2. checking it layer by layer")
    results["verified"] = check_layers(model, x_test)

    print("3. export to plain torch")
    with tempfile.TemporaryDirectory() as tmp:
        results["export_difference"] = export_and_compare(model, x_test[:8], f"{tmp}/c8_digits.pt")

    print("4. scattering energy per layer on a texture")
    texture_energy(32 if args.smoke else 64)

    print("5. a Fourier-domain convolution on a finite group")
    fourier_convolution()
    return results


if __name__ == "__main__":
    main()
