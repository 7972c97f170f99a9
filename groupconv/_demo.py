"""The networks and the image of ``groupconv demo``.

The demo verifies, layer by layer, a small D_4-equivariant network, a roto-translation scattering
network (equivariance under 90-degree rotations) and a Parseval translation scattering network (energy
identity) on a real photograph: the
``camera`` image of scikit-image (public domain), 512 x 512 pixels averaged over 16 x 16 blocks to
32 x 32. Without scikit-image the same 32 x 32 image is read from the package data.
"""

from __future__ import annotations

from importlib import resources

import numpy as np
import torch
from torch import nn

from .groups import Cyclic, Dihedral, transform_grid
from .nn import EquivariantSequential, GroupConv2d, GroupPooling, LiftingConv2d, ReLU
from .scattering import RotoTranslationScattering, Scattering2D
from .verify import Action

__all__ = ["demo_image", "d4_network", "rototranslation_scattering", "DEMOS"]


def demo_image(size: int = 32, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """The camera image as a ``(1, 1, size, size)`` tensor in ``[0, 1]`` (``size`` divides 32)."""
    if size <= 0 or 32 % size:
        raise ValueError(f"size must divide 32, got {size}")
    try:
        from skimage.data import camera

        img = camera().astype(np.float64).reshape(32, 16, 32, 16).mean((1, 3))
    except ImportError:
        with resources.files("groupconv.data").joinpath("camera32.npy").open("rb") as fh:
            img = np.load(fh, allow_pickle=False).astype(np.float64)
    f = 32 // size
    img = img.reshape(size, f, size, f).mean((1, 3)) / 255.0
    return torch.as_tensor(img, dtype=dtype)[None, None]


def d4_network(channels: int = 4, kernel_size: int = 5, seed: int = 0) -> EquivariantSequential:
    """Lifting convolution, ReLU, group convolution, ReLU and group max pooling on D_4: an invariant
    feature extractor (Cohen & Welling, ICML 2016)."""
    torch.manual_seed(seed)
    G = Dihedral(4)
    lift = LiftingConv2d.from_channels(G, 1, channels, kernel_size, padding=kernel_size // 2, bias=False)
    conv = GroupConv2d.from_channels(G, channels, channels, 3, padding=1, bias=False)
    return EquivariantSequential(
        lift, ReLU(lift.out_type), conv, ReLU(conv.out_type), GroupPooling(conv.out_type, mode="max")
    )


def rototranslation_scattering(size: int = 32) -> tuple[nn.Module, dict]:
    """Roto-translation scattering (Sifre & Mallat, CVPR 2013) with ``L = 8`` orientations, and the
    types of its input and output under ``C_4``: a 90-degree rotation rotates every output map and
    shifts the orientation axis by ``L / 4``."""
    L = 8
    net = RotoTranslationScattering((size, size), J=2, L=L, max_order=2, subsample=False)
    C4 = Cyclic(4)
    t_in = Action(C4, lambda x, g: transform_grid(x, C4, int(g)), "C4 on images")
    t_out = Action(
        C4,
        lambda y, g: torch.roll(transform_grid(y, C4, int(g)), int(g) * L // 4, dims=-3),
        "C4 on (path, orientation, x, y)",
    )
    return net, {"": (t_in, t_out)}


def parseval_scattering(size: int = 32) -> nn.Module:
    """Translation scattering with the Parseval wavelet bank, every path, full resolution: its energy
    identity ``||f||^2 = sum_{n<N} |||Phi^n f|||^2 + W_N f`` holds exactly."""
    return Scattering2D((size, size), J=2, L=4, max_order=2, filters="parseval", subsample=False, paths="all")


#: ``(title, build, run)``: ``build()`` returns ``(model, types)``; ``run`` the checks of verify_model.
DEMOS = [
    (
        "D4 network: lifting and group convolutions, ReLU, group pooling",
        lambda: (d4_network(), None),
        {},
    ),
    (
        "roto-translation scattering (J=2, L=8, order 2) under 90-degree rotations",
        rototranslation_scattering,
        {"energy": False, "certificates": False},
    ),
    (
        "Parseval translation scattering (J=2, L=4, order 2): energy identity",
        lambda: (parseval_scattering(), None),
        {"equivariance": False, "certificates": False},
    ),
]
