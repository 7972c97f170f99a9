r"""Reproduction ``dcfnet``: CNNs with filters decomposed on a truncated Fourier-Bessel basis.

Qiu, Cheng, Calderbank & Sapiro, "DCFNet: deep neural network with decomposed convolutional filters",
ICML 2018: writing every filter as :math:`W_{oi}(x) = \sum_{k=1}^{K} a_{oik} \psi_k(x)` on the first
``K`` Fourier-Bessel functions (their eq. 3) keeps the accuracy of the plain CNN with ``K`` as small as
3 for 5 x 5 filters (Section 4, MNIST / CIFAR-10 tables), divides the filter parameters by ``25 / K``, and
makes the network more stable to input deformations (their Section 3: the representation moves by
``O(|\nabla \tau|_\infty)`` under ``x -> x - \tau(x)``, with a constant that decreases with the
truncation).

Here: sklearn's 8 x 8 digits upsampled to 28 x 28, one CNN architecture (three 5 x 5 convolutions, ReLU,
max-pooling, global average pooling, linear read-out) with either plain filters, DCF filters
(:class:`~groupconv.nn.FourierBesselConv2d`) with ``K`` in {3, 6, 14 (all under the cutoff)}, or a
control whose filters are combinations of ``K = 3`` *random* orthonormal 5 x 5 filters (same count of
parameters as DCF K = 3, but no low-frequency prior). Test accuracy on clean images and on images under
random smooth deformations of increasing amplitude, mean and standard deviation over seeds.

The random-basis control is a plain convolution of this reproduction, not a layer of the library (it is
not equivariant to anything but translations and carries no field types).

>>> import torch
>>> cnn = make_cnn("dcf", width=4, num_bases=3)
>>> cnn(torch.randn(2, 1, 16, 16)).shape, conv_parameters(cnn)
(torch.Size([2, 10]), 492)
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..analysis.train import train
from ..kernels.fourier_bessel import fourier_bessel_basis
from ..nn.fourier_bessel import FourierBesselConv2d
from ..utils.progress import progress
from . import Options, Result

__all__ = ["make_cnn", "conv_parameters", "digits", "deform", "run"]

PAPER = (
    "Qiu, Cheng, Calderbank & Sapiro, DCFNet: deep neural network with decomposed convolutional filters, "
    "ICML 2018"
)
KERNEL = 5


class _RandomBasisConv2d(nn.Module):
    r"""A convolution whose filters combine ``num_bases`` fixed random orthonormal filters.

    .. math::  W_{oi} = \sum_{k=1}^{K} a_{oik} \, r_k, \qquad \langle r_k, r_l \rangle = c^2 \delta_{kl},

    with ``r_k`` the columns of the Q factor of a Gaussian ``(k^2, K)`` matrix (drawn in float64 from
    ``seed``), scaled to the root-mean-square norm ``c`` of the Fourier-Bessel elements so that only the
    subspace differs from :class:`~groupconv.nn.FourierBesselConv2d` (same He initialization rule).
    It is the random-basis control of the DCFNet comparison: a plain baseline module, private to this
    reproduction.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        num_bases: int,
        padding: int = 0,
        seed: int = 0,
    ):
        super().__init__()
        if not 1 <= num_bases <= kernel_size**2:
            raise ValueError(f"num_bases must be in [1, {kernel_size**2}], got {num_bases}")
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, kernel_size
        self.num_bases, self.padding = num_bases, padding
        gen = torch.Generator().manual_seed(seed)
        q, _ = torch.linalg.qr(torch.randn(kernel_size**2, num_bases, generator=gen, dtype=torch.float64))
        scale = float(np.sqrt((fourier_bessel_basis(kernel_size) ** 2).sum((1, 2)).mean()))
        basis = (q.T * scale).reshape(num_bases, kernel_size, kernel_size)
        self.register_buffer("basis", basis.float(), persistent=False)
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, num_bases))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        energy = float((basis**2).sum((1, 2)).mean())
        with torch.no_grad():
            self.weight.normal_(0.0, (2.0 / (in_channels * num_bases * energy)) ** 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = torch.einsum("oik,khw->oihw", self.weight, self.basis.to(self.weight.dtype))
        return F.conv2d(x, w, self.bias, padding=self.padding)


def _conv(kind: str, cin: int, cout: int, num_bases: int | None, seed: int) -> nn.Module:
    pad = KERNEL // 2
    if kind == "plain":
        return nn.Conv2d(cin, cout, KERNEL, padding=pad)
    if kind == "dcf":
        return FourierBesselConv2d(cin, cout, KERNEL, num_bases=num_bases, padding=pad)
    return _RandomBasisConv2d(cin, cout, KERNEL, num_bases, padding=pad, seed=seed)


def make_cnn(kind: str, width: int, num_bases: int | None = None, seed: int = 0) -> nn.Sequential:
    """Three 5 x 5 convolutions (``width``, ``2 width``, ``4 width`` channels) of the given ``kind``
    (``"plain"``, ``"dcf"``, ``"random"``), ReLU, 2 x 2 max-pooling, global average pooling, linear."""
    chans = [1, width, 2 * width, 4 * width]
    layers: list[nn.Module] = []
    for i in range(3):
        layers += [_conv(kind, chans[i], chans[i + 1], num_bases, seed + i), nn.ReLU()]
        if i < 2:
            layers.append(nn.MaxPool2d(2))
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(chans[-1], 10)]
    return nn.Sequential(*layers)


def conv_parameters(model: nn.Module) -> int:
    """Trainable parameters of the convolution filters (biases and read-out excluded)."""
    return sum(
        m.weight.numel()
        for m in model.modules()
        if isinstance(m, (nn.Conv2d, FourierBesselConv2d, _RandomBasisConv2d))
    )


def __getattr__(name: str):
    # the control's former public name, kept for one release
    if name == "RandomBasisConv2d":
        warnings.warn(
            "groupconv.reproduce.dcfnet.RandomBasisConv2d is private to the reproduction (a plain baseline, "
            "not a layer of the library): build the control with make_cnn('random', width, num_bases)",
            DeprecationWarning,
            stacklevel=2,
        )
        return _RandomBasisConv2d
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def digits(size: int, seed: int, n_test: int) -> tuple[torch.Tensor, ...]:
    """sklearn's digits in ``[0, 1]``, bilinearly upsampled to ``size x size``, split at random."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.images / 16.0, dtype=torch.float32)[:, None]
    x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    y = torch.tensor(d.target)
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    x, y = x[perm], y[perm]
    return x[n_test:], y[n_test:], x[:n_test], y[:n_test]


def deform(x: torch.Tensor, amplitude: float, seed: int, cutoff: int = 3) -> torch.Tensor:
    r"""``x(u - \tau(u))`` for a random smooth displacement ``\tau`` of maximal size ``amplitude`` pixels.

    Each coordinate of ``\tau`` is a random trigonometric polynomial of degree below ``cutoff`` (a
    smooth field, as in the deformation model of DCFNet, Section 3), scaled so that
    ``max_u |\tau(u)| = amplitude``; the image is resampled bilinearly (zero outside).
    """
    if amplitude == 0:
        return x
    n, _, h, w = x.shape
    gen = torch.Generator().manual_seed(seed)
    coef = torch.randn(n, 2, cutoff, cutoff, 2, generator=gen)
    u = torch.linspace(0, 2 * np.pi, h)
    v = torch.linspace(0, 2 * np.pi, w)
    k = torch.arange(cutoff, dtype=torch.float32)
    cu, su = torch.cos(k[:, None] * u), torch.sin(k[:, None] * u)
    cv, sv = torch.cos(k[:, None] * v), torch.sin(k[:, None] * v)
    field = torch.einsum("ncab,ah,bw->nchw", coef[..., 0], cu, cv) + torch.einsum(
        "ncab,ah,bw->nchw", coef[..., 1], su, sv
    )
    field = field / field.flatten(1).abs().amax(1).view(n, 1, 1, 1) * amplitude
    ys, xs = torch.meshgrid(
        torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing="ij"
    )
    gy = (ys - field[:, 0]) / (h - 1) * 2 - 1
    gx = (xs - field[:, 1]) / (w - 1) * 2 - 1
    grid = torch.stack([gx, gy], -1)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=True)


def _variants() -> list[tuple[str, str, int | None]]:
    return [
        ("plain CNN", "plain", None),
        ("DCF K=3", "dcf", 3),
        ("DCF K=6", "dcf", 6),
        ("DCF K=14 (all)", "dcf", None),
        ("random basis K=3", "random", 3),
    ]


def run(options: Options) -> Result:
    if options.smoke:
        size, width, steps, n_test, seeds, amps = 16, 4, 10, 100, 1, (0.0, 1.5)
    else:
        size, width, steps, n_test, seeds, amps = 28, 8, 1000, 400, 3, (0.0, 1.0, 2.0, 3.0)
    variants = _variants()
    acc: dict[str, list[list[float]]] = {name: [] for name, _, _ in variants}
    params: dict[str, int] = {}
    jobs = [(s, v) for s in range(seeds) for v in variants]
    for s, (name, kind, K) in progress(jobs, desc="dcfnet", quiet=options.quiet):
        seed = options.seed + s
        xtr, ytr, xte, yte = digits(size, seed, n_test)
        torch.manual_seed(seed)
        model = make_cnn(kind, width, K, seed=1000 + seed)
        params[name] = conv_parameters(model)
        res = train(
            model,
            xtr,
            ytr,
            F.cross_entropy,
            steps=steps,
            batch_size=64,
            lr=3e-3,
            device=options.device,
            seed=seed,
            quiet=True,
        )
        model = res.model.to("cpu").eval()
        with torch.no_grad():
            acc[name].append(
                [float((model(deform(xte, a, 7 + seed)).argmax(1) == yte).float().mean()) for a in amps]
            )
    rows = []
    for name, _, _ in variants:
        a = 100 * np.array(acc[name])
        row = {
            "variant": name,
            "conv_params": params[name],
            "param_ratio": params[name] / params["plain CNN"],
        }
        for i, amp in enumerate(amps):
            key = "test_acc" if amp == 0 else f"acc_deform_{amp:g}px"
            row[key] = f"{a[:, i].mean():.2f} ± {a[:, i].std():.2f}"
        rows.append(row)
    means = {name: 100 * np.array(acc[name]).mean(0) for name in acc}
    notes = [
        f"sklearn digits upsampled to {size}x{size}, {1797 - n_test} train / {n_test} test images (new random "
        f"split per seed), {seeds} seed(s); widths {width}/{2 * width}/{4 * width}, 5x5 kernels; Adam lr 3e-3, "
        f"{steps} steps of batch 64. Accuracies in %, mean ± std over seeds.",
        "acc_deform_Apx: the test images deformed by a random smooth displacement field of maximal size A "
        "pixels (trigonometric polynomial of degree < 3, one field per image, same fields for every variant).",
        f"DCF K=3 keeps {params['DCF K=3'] / params['plain CNN']:.0%} of the filter parameters; clean accuracy "
        f"{means['DCF K=3'][0]:.2f}% vs {means['plain CNN'][0]:.2f}% (plain) and "
        f"{means['random basis K=3'][0]:.2f}% (random basis of the same size).",
    ]
    return Result(
        name="dcfnet",
        title="DCFNet: accuracy and parameters with truncated Fourier-Bessel filters",
        paper=PAPER,
        tables={"Test accuracy (%) and filter parameters per variant": rows},
        notes=notes,
        settings={"size": size, "width": width, "steps": steps, "seeds": seeds, "kernel": KERNEL},
    )
