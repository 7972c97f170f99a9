"""Shared inputs and checks of the scattering tests: crops of real images, the energy identity."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from groupconv.scattering import energy_per_layer


def images(size: int = 24) -> torch.Tensor:
    """Three ``size x size`` float64 crops of skimage's camera, brick and grass images (skipped without
    scikit-image)."""
    skd = pytest.importorskip("skimage.data")
    crops = []
    for name in ("camera", "brick", "grass"):
        img = getattr(skd, name)().astype(np.float64) / 255.0
        crops.append(torch.from_numpy(img[200 : 200 + size, 100 : 100 + size].copy()))
    return torch.stack(crops)


def identity_error(net, x):
    """The largest relative error of the energy identity ``||f||^2 = sum_n |||Phi^n f|||^2 + W_N f`` over
    the samples, and the energy propagation it was read from."""
    p = energy_per_layer(net, x)
    depth = p.depth
    lhs = p.input_energy
    rhs = p.output[:depth].sum(0) + p.propagated[depth]
    return float(((lhs - rhs).abs() / lhs).max()), p
