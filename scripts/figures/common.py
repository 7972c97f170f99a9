"""Shared helpers of the figure script: deterministic PNG output and the test images."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

DPI = 100


def save(fig, path: Path) -> Path:
    """Write ``fig`` as a PNG at ``DPI`` without the matplotlib version in its metadata (the file
    depends on the data only) and close it."""
    fig.savefig(path, dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return path


def gray_image(name: str, size: int) -> torch.Tensor:
    """A ``(size, size)`` float64 image in ``[0, 1]``: the centred square crop of ``skimage.data.<name>``,
    averaged over blocks (no interpolation, so the result does not depend on a resampling library)."""
    from skimage import data

    img = np.asarray(getattr(data, name)(), dtype=np.float64)
    if img.ndim == 3:
        img = img[..., :3].mean(-1)
    side = min(img.shape) // size * size
    top, left = (img.shape[0] - side) // 2, (img.shape[1] - side) // 2
    crop = img[top : top + side, left : left + side]
    b = side // size
    small = crop.reshape(size, b, size, b).mean((1, 3))
    small -= small.min()
    return torch.from_numpy(small / small.max())
