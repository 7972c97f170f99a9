"""Reproduction ``backprop``: guided backprop and DeconvNet reconstruct the image, saliency does not.

Nie, Zhang & Patel, "A theoretical explanation for perplexing behaviors of backpropagation-based
visualizations", ICML 2018: the maps of guided backpropagation (GBP) and DeconvNet look like the input
image (they do "image recovery"), also for a network with random weights, while the saliency map is noisy.
This reproduction measures it: the Pearson correlation between each map and the input, per image, for a
small random CNN and the same CNN trained on sklearn's digits, on the digits test images and on the
grey-scale images of ``skimage.data``.

>>> import torch
>>> x = torch.randn(2, 1, 4, 4)
>>> _correlation(2 * x + 1, x).round(6).tolist()  # a map that is the image up to scale: 1
[1.0, 1.0]
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..analysis.backprop_viz import backprop_map
from ..analysis.train import train
from ..utils.progress import progress
from . import Options, Result

PAPER = (
    "Nie, Zhang & Patel, A theoretical explanation for perplexing behaviors of backpropagation-based "
    "visualizations, ICML 2018"
)
RULES = ("saliency", "deconvnet", "guided")


def _cnn(width: int) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, width, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(width, width, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(width, 2 * width, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(2 * width, 10),
    )


def _digits(n_test: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.images / 16.0, dtype=torch.float32)[:, None]
    y = torch.tensor(d.target)
    return x[:-n_test], y[:-n_test], x[-n_test:], y[-n_test:]


def _skimage_images(size: int, count: int) -> torch.Tensor:
    from skimage import data
    from skimage.color import rgb2gray
    from skimage.transform import resize

    out = []
    for name in ("camera", "astronaut", "coins", "moon", "page", "text", "coffee", "chelsea")[:count]:
        img = getattr(data, name)()
        if img.ndim == 3:
            img = rgb2gray(img[..., :3])
        img = resize(img.astype(np.float64), (size, size), anti_aliasing=True)
        img = (img - img.min()) / (img.max() - img.min() + 1e-12)
        out.append(img)
    return torch.tensor(np.stack(out), dtype=torch.float32)[:, None]


def _correlation(maps: torch.Tensor, x: torch.Tensor) -> np.ndarray:
    a = maps.flatten(1).double()
    b = x.flatten(1).double()
    a = a - a.mean(1, keepdim=True)
    b = b - b.mean(1, keepdim=True)
    return ((a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1) + 1e-30)).numpy()


def run(options: Options) -> Result:
    torch.manual_seed(options.seed)
    if options.smoke:
        width, steps, n_test, img_size, n_images = 4, 10, 16, 24, 2
    else:
        width, steps, n_test, img_size, n_images = 32, 1500, 300, 128, 8
    xtr, ytr, xte, yte = _digits(n_test)
    images = _skimage_images(img_size, n_images)
    random_model = _cnn(width).eval()
    trained = _cnn(width)
    trained.load_state_dict(random_model.state_dict())
    res = train(
        trained,
        xtr,
        ytr,
        nn.functional.cross_entropy,
        steps=steps,
        batch_size=64,
        lr=2e-3,
        device=options.device,
        seed=options.seed,
        quiet=options.quiet,
        desc="backprop train",
    )
    trained = res.model.to("cpu").eval()
    with torch.no_grad():
        acc = float((trained(xte).argmax(1) == yte).float().mean())
    rows = []
    stored = {}
    cases = [
        (mname, model, dname, data)
        for mname, model in (("random", random_model), ("trained", trained))
        for dname, data in (("digits", xte), ("skimage", images))
    ]
    for mname, model, dname, data in progress(cases, desc="backprop maps", quiet=options.quiet):
        row = {"model": mname, "data": dname, "images": data.shape[0]}
        for rule in RULES:
            m = backprop_map(model, data, rule=rule)
            c = _correlation(m, data)
            row[f"corr_{rule}"] = float(c.mean())
            row[f"abs_corr_{rule}"] = float(np.abs(c).mean())
            stored[(mname, dname, rule)] = m
        # Nie et al., Section 4: GBP hardly depends on the class; compare maps for two classes
        g0 = backprop_map(model, data, target=0, rule="guided")
        g1 = backprop_map(model, data, target=1, rule="guided")
        row["gbp_class0_vs_class1_corr"] = float(
            np.mean([np.corrcoef(a.flatten(), b.flatten())[0, 1] for a, b in zip(g0.numpy(), g1.numpy())])
        )
        rows.append(row)

    def draw(path):
        import matplotlib.pyplot as plt

        n = min(4, images.shape[0])
        fig, axes = plt.subplots(2 * n, 4, figsize=(6.4, 3.2 * n))
        r = 0
        for mname in ("random", "trained"):
            for i in range(n):
                panels = [images[i, 0]] + [stored[(mname, "skimage", rule)][i, 0] for rule in RULES]
                titles = ["input", f"saliency ({mname})", f"deconvnet ({mname})", f"GBP ({mname})"]
                for ax, p, t in zip(axes[r], panels, titles):
                    ax.imshow(p.numpy(), cmap="gray")
                    ax.set_title(t, fontsize=7)
                    ax.axis("off")
                r += 1
        fig.tight_layout()
        fig.savefig(path, dpi=110)

    notes = [
        f"CNN: conv3x3({width}) ReLU conv3x3({width}) ReLU maxpool2 conv3x3({2 * width}) ReLU global-avg-pool "
        f"linear(10); trained {steps} Adam steps on {xtr.shape[0]} digits, test accuracy {acc:.3f}.",
        f"skimage images: {n_images} grey-scale images resized to {img_size}x{img_size}; maps for the arg-max class.",
        "corr_*: mean over images of the Pearson correlation between the map and the input image.",
    ]
    return Result(
        name="backprop",
        title="Backprop visualizations: correlation of the map with the input",
        paper=PAPER,
        tables={"Map-input correlation": rows},
        notes=notes,
        figures={"backprop_maps.png": draw},
        settings={"width": width, "steps": steps, "test_accuracy": round(acc, 4)},
    )
