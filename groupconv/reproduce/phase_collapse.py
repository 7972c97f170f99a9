r"""Reproduction ``phase-collapse``: a phase collapse beats phase-keeping amplitude reductions.

Guth, Zarka & Mallat, "Phase collapse in neural networks", ICLR 2022: in a network of fixed complex
wavelet filters, learned ``1 x 1`` complex projections and standardizations
(:class:`~groupconv.scattering.PhaseCollapseNet`), the modulus (a phase collapse) reaches ResNet-like
accuracy, while complex soft-thresholding and the other non-linearities that keep the phase and only
reduce the amplitude "considerably degrade the performance" (their Table 2, CIFAR-10).

Data available offline here: sklearn's digits upsampled into 32 x 32 images and rotated by a uniformly
random angle (train and test), and 32 x 32 texture patches cut from ``skimage.data`` images (train
patches from the left half of each image, test patches from the right half, each patch standardized, so
that only texture, not brightness, tells the classes apart). With ``GROUPCONV_DATA_ROOT`` set to a
folder holding CIFAR-10's binary version (``cifar-10-batches-bin``) or an image folder
(``train/<class>/*``, ``test/<class>/*``), the same comparison runs on it with a larger network. CIFAR-10's
python version is refused: its batches are pickles, and data files are parsed, never unpickled. Every
non-linearity of :data:`~groupconv.scattering.phase_collapse.NONLINEARITIES` is trained with several seeds.

Examples
--------

>>> import torch
>>> from groupconv.nn import rotate_field
>>> x = torch.zeros(1, 1, 5, 5)
>>> x[0, 0, 2, 4] = 1.0  # a pixel right of the centre
>>> y = rotate_field(x, IMAGE, torch.tensor([torch.pi / 2]), mode="bilinear")  # one angle per image
>>> [int(i) for i in (y[0, 0] > 0.5).nonzero()[0]]  # a quarter turn moves it above or below the centre
[0, 2]
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..analysis.train import train
from ..groups import SO2
from ..nn import FieldType, rotate_field
from ..reps import trivial
from ..scattering.phase_collapse import NONLINEARITIES, PhaseCollapseNet
from ..utils.progress import progress
from . import Options, Result

PAPER = "Guth, Zarka & Mallat, Phase collapse in neural networks, ICLR 2022"
TEXTURES = ("brick", "grass", "gravel", "moon", "cell", "immunohistochemistry")
DATA_ROOT_ENV = "GROUPCONV_DATA_ROOT"

Split = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]


# images are scalar fields of SO(2): rotate_field turns them about the centre of the grid (bilinear, zeros
# outside), one angle per image
IMAGE = FieldType(SO2(), [trivial(SO2())])


def rotated_digits(seed: int, n_test: int, size: int = 32) -> Split:
    """sklearn's digits upsampled to ``0.7 size``, zero-padded to ``size x size`` (so that rotations keep
    the whole digit) and rotated by uniform random angles; standardized with the training statistics."""
    from sklearn.datasets import load_digits

    d = load_digits()
    inner = int(round(0.7 * size))
    x = F.interpolate(
        torch.tensor(d.images / 16.0, dtype=torch.float32)[:, None], size=(inner, inner), mode="bilinear"
    )
    lo = (size - inner) // 2
    x = F.pad(x, (lo, size - inner - lo, lo, size - inner - lo))
    gen = torch.Generator().manual_seed(seed)
    angles = 2 * np.pi * torch.rand(len(x), generator=gen)
    x = rotate_field(x, IMAGE, angles.to(torch.float64), mode="bilinear")
    y = torch.tensor(d.target)
    perm = torch.randperm(len(y), generator=gen)
    x, y = x[perm], y[perm]
    mu, sd = x[n_test:].mean(), x[n_test:].std()
    x = (x - mu) / sd
    return x[n_test:], y[n_test:], x[:n_test], y[:n_test]


def _gray(name: str) -> np.ndarray:
    from skimage import data
    from skimage.color import rgb2gray

    img = np.asarray(getattr(data, name)(), dtype=np.float64)
    if img.ndim == 3:
        img = rgb2gray(img[..., :3])
    return img / max(float(img.max()), 1e-12)


def texture_patches(seed: int, n_train: int, n_test: int, size: int = 32, names=TEXTURES) -> Split:
    """``n_train`` / ``n_test`` random ``size x size`` patches per class from the left / right half of
    each ``skimage.data`` image in ``names`` (class = image), each patch standardized to mean 0, std 1."""
    gen = np.random.default_rng(seed)
    xs = {"train": [], "test": []}
    ys = {"train": [], "test": []}
    for label, name in enumerate(names):
        img = _gray(name)
        h, w = img.shape
        for part, count, (c0, c1) in (("train", n_train, (0, w // 2)), ("test", n_test, (w // 2, w))):
            r = gen.integers(0, h - size + 1, count)
            c = gen.integers(c0, c1 - size + 1, count)
            patches = np.stack([img[i : i + size, j : j + size] for i, j in zip(r, c)])
            patches = (patches - patches.mean((1, 2), keepdims=True)) / (
                patches.std((1, 2), keepdims=True) + 1e-8
            )
            xs[part].append(patches)
            ys[part].append(np.full(count, label))
    out = []
    for part in ("train", "test"):
        out += [
            torch.tensor(np.concatenate(xs[part]), dtype=torch.float32)[:, None],
            torch.tensor(np.concatenate(ys[part])),
        ]
    return tuple(out)


CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar.html"
# one record of CIFAR-10's binary version: a label byte, then 3 x 32 x 32 pixel bytes (channel-major)
_CIFAR_RECORD = 1 + 3 * 32 * 32


def load_image_dataset(root: str | Path) -> tuple[Split, list[str]]:
    """A local dataset: CIFAR-10's binary version (``root`` or ``root/cifar-10-batches-bin`` holding
    ``data_batch_1.bin`` .. ``data_batch_5.bin`` and ``test_batch.bin``), or an image folder
    ``root/{train,test}/<class>/<image>``.

    Returns ``(x_train, y_train, x_test, y_test)`` (images ``(n, C, H, W)`` in ``[0, 1]``, float32) and
    the class names. CIFAR-10's python version (pickled batches) is refused with a ``ValueError``: data
    files are parsed, never unpickled.
    """
    root = Path(root)
    if not root.is_dir():
        raise ValueError(
            f"data root {str(root)!r} is not a folder (expected CIFAR-10's binary batches or train/ and test/)"
        )
    for cand in (root, root / "cifar-10-batches-bin"):
        if (cand / "data_batch_1.bin").is_file() and (cand / "test_batch.bin").is_file():
            return _cifar10(cand)
    if (root / "train").is_dir() and (root / "test").is_dir():
        return _image_folder(root)
    for cand in (root, root / "cifar-10-batches-py"):
        if (cand / "data_batch_1").is_file() or (cand / "test_batch").is_file():
            raise ValueError(
                f"{str(cand)!r} holds CIFAR-10's python version, whose batches are pickles; groupconv does not "
                "unpickle data files. Use the binary version instead (cifar-10-binary.tar.gz, folder "
                f"cifar-10-batches-bin, from {CIFAR_URL})"
            )
    raise ValueError(
        f"{str(root)!r} holds neither CIFAR-10's binary batches (data_batch_1.bin .. data_batch_5.bin, "
        "test_batch.bin) nor train/ and test/ folders with one sub-folder per class"
    )


def read_cifar_batch(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(n, 3, 32, 32)`` (uint8) and labels ``(n,)`` of one file of CIFAR-10's binary version:
    ``n`` records of one label byte (0-9) followed by 3072 pixel bytes (red, green, blue planes, row-major)."""
    path = Path(path)
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size == 0 or raw.size % _CIFAR_RECORD:
        raise ValueError(
            f"{str(path)!r} is not a CIFAR-10 binary batch: {raw.size} bytes, not a positive multiple of "
            f"{_CIFAR_RECORD} (a label byte and 3072 pixel bytes per image)"
        )
    records = raw.reshape(-1, _CIFAR_RECORD)
    labels = records[:, 0].astype(np.int64)
    if labels.max() > 9:
        raise ValueError(f"{str(path)!r} is not a CIFAR-10 binary batch: label {labels.max()} (expected 0-9)")
    return records[:, 1:].reshape(-1, 3, 32, 32), labels


def _cifar10(folder: Path) -> tuple[Split, list[str]]:
    parts = [
        read_cifar_batch(folder / f"data_batch_{i}.bin")
        for i in range(1, 6)
        if (folder / f"data_batch_{i}.bin").is_file()
    ]
    xtr = np.concatenate([p[0] for p in parts])
    ytr = np.concatenate([p[1] for p in parts])
    xte, yte = read_cifar_batch(folder / "test_batch.bin")
    names = [f"class {i}" for i in range(10)]
    meta = folder / "batches.meta.txt"
    if meta.is_file():
        found = [line.strip() for line in meta.read_text(errors="replace").splitlines() if line.strip()]
        if len(found) == 10:
            names = found

    def t(a: np.ndarray) -> torch.Tensor:
        return torch.tensor(a, dtype=torch.float32) / 255.0

    return (t(xtr), torch.tensor(ytr), t(xte), torch.tensor(yte)), names


def _image_folder(root: Path) -> tuple[Split, list[str]]:
    from skimage.io import imread

    classes = sorted(p.name for p in (root / "train").iterdir() if p.is_dir())
    if not classes:
        raise ValueError(f"{str(root / 'train')!r} has no class folders")
    out = []
    for part in ("train", "test"):
        images, labels = [], []
        for label, cls in enumerate(classes):
            for f in sorted((root / part / cls).glob("*")):
                img = np.asarray(imread(f), dtype=np.float32)
                img = img[..., None] if img.ndim == 2 else img[..., :3]
                images.append(img.transpose(2, 0, 1) / (255.0 if img.max() > 1 else 1.0))
                labels.append(label)
        if not images:
            raise ValueError(f"no images under {str(root / part)!r}")
        shapes = {i.shape for i in images}
        if len(shapes) != 1:
            raise ValueError(f"images under {str(root / part)!r} differ in shape: {sorted(shapes)[:3]}")
        out += [torch.tensor(np.stack(images)), torch.tensor(labels)]
    return tuple(out), classes


def _standardize(split: Split) -> Split:
    xtr, ytr, xte, yte = split
    mu = xtr.mean((0, 2, 3), keepdim=True)
    sd = xtr.std((0, 2, 3), keepdim=True)
    return (xtr - mu) / sd, ytr, (xte - mu) / sd, yte


def _accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, device: str) -> float:
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), 256):
            correct += int((model(x[i : i + 256].to(device)).argmax(1).cpu() == y[i : i + 256]).sum())
    return correct / len(x)


def run(options: Options) -> Result:
    root = options.data_root or os.environ.get(DATA_ROOT_ENV)
    if options.smoke:
        widths, L, steps, seeds, n_test, per_class = (4, 8), 4, 5, 1, 60, (16, 10)
    elif root:
        widths, L, steps, seeds, n_test, per_class = (64, 128, 256, 512), 4, 20000, 2, 0, (0, 0)
    else:
        widths, L, steps, seeds, n_test, per_class = (8, 16, 32), 4, 160, 3, 400, (120, 60)
    batch = 128 if root and not options.smoke else 32
    if root and not options.smoke:
        (xtr, ytr, xte, yte), classes = load_image_dataset(root)
        datasets = {Path(root).name: lambda s: _standardize((xtr, ytr, xte, yte))}
        n_classes = {Path(root).name: len(classes)}
    else:
        datasets = {
            "rotated digits": lambda s: rotated_digits(s, n_test),
            "textures": lambda s: texture_patches(s, *per_class),
        }
        n_classes = {"rotated digits": 10, "textures": len(TEXTURES)}
    acc: dict[tuple[str, str], list[float]] = {}
    train_acc: dict[tuple[str, str], list[float]] = {}
    jobs = [(d, k, s) for d in datasets for s in range(seeds) for k in NONLINEARITIES]
    cache: dict[tuple[str, int], Split] = {}
    for dname, kind, s in progress(jobs, desc="phase-collapse", quiet=options.quiet):
        seed = options.seed + s
        if (dname, seed) not in cache:
            cache = {(dname, seed): datasets[dname](seed)}
        xtr, ytr, xte, yte = cache[(dname, seed)]
        if options.smoke:
            xtr, ytr = xtr[:200], ytr[:200]
        torch.manual_seed(seed)
        model = PhaseCollapseNet(
            xtr.shape[1], tuple(xtr.shape[-2:]), n_classes[dname], widths=widths, L=L, nonlinearity=kind
        )
        res = train(
            model,
            xtr,
            ytr,
            F.cross_entropy,
            steps=steps,
            batch_size=batch,
            lr=3e-3,
            device=options.device,
            seed=seed,
            quiet=True,
        )
        model = res.model
        acc.setdefault((dname, kind), []).append(100 * _accuracy(model, xte, yte, options.device))
        # the training accuracy on (at most) 1000 training samples: a check of fit, not a benchmark
        train_acc.setdefault((dname, kind), []).append(
            100 * _accuracy(model, xtr[:1000], ytr[:1000], options.device)
        )
    rows = []
    for kind in NONLINEARITIES:
        row = {"nonlinearity": kind, "keeps_phase": kind != "modulus"}
        for dname in datasets:
            a = np.array(acc[(dname, kind)])
            row[f"{dname} test"] = f"{a.mean():.2f} ± {a.std():.2f}"
            row[f"{dname} train"] = f"{np.mean(train_acc[(dname, kind)]):.1f}"
        rows.append(row)
    notes = [
        f"PhaseCollapseNet with {len(widths)} blocks of widths {widths}, Morlet banks with J=1 scale and L={L} "
        f"angles per block, Adam lr 3e-3, {steps} steps of batch {batch}, {seeds} seed(s). Accuracies in %, test "
        "mean ± std over seeds; train: mean.",
    ]
    if not root or options.smoke:
        notes.append(
            f"rotated digits: {1797 - n_test} train / {n_test} test images, 32x32, uniform random rotations. "
            f"textures: {per_class[0]} train / {per_class[1]} test patches 32x32 per class from skimage.data "
            f"{', '.join(TEXTURES)} (train from the left half of each image, test from the right half)."
        )
    for dname in datasets:
        mod = np.mean(acc[(dname, "modulus")])
        best = max(NONLINEARITIES[1:], key=lambda k: np.mean(acc[(dname, k)]))
        notes.append(
            f"{dname}: modulus {mod:.2f}% vs best phase-keeping non-linearity ({best}) "
            f"{np.mean(acc[(dname, best)]):.2f}%."
        )
    return Result(
        name="phase-collapse",
        title="Phase collapse vs phase-keeping amplitude reductions",
        paper=PAPER,
        tables={"Test accuracy (%) per non-linearity": rows},
        notes=notes,
        settings={"widths": widths, "L": L, "steps": steps, "seeds": seeds, "data": ", ".join(datasets)},
    )
