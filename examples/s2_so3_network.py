"""An S^2 -> SO(3) -> SO(3) network of generalized convolutions, and its equivariance.

Layers (Kondor & Trivedi, ICML 2018; Cohen et al., "Spherical CNNs", ICLR 2018):

1. ``HomogeneousFourierConv(SO3, 1, 8, domain=SO2())``: functions on the sphere ``S^2 = SO(3)/SO(2)`` to
   functions on SO(3) (filters on ``SO(2)\\SO(3)``: one row of ``2l + 1`` per degree),
2. a norm nonlinearity in the Fourier domain, ``f^(l) -> f^(l) relu(||f^(l)|| - b_l) / ||f^(l)||``,
   equivariant exactly because ``||rho_l(g) f^(l)||_F = ||f^(l)||_F``,
3. ``HomogeneousFourierConv(SO3, 8, 8)`` (SO(3) -> SO(3)), the nonlinearity again, ``HomogeneousFourierConv(SO3, 8, 4)``,
4. an invariant read-out: the mean over SO(3) (the trivial Fourier coefficient).

The script rotates a signal on the sphere by 44 rotations, the 24 rotations of the cube and 20 random
(Haar) rotations, which are the elements :func:`groupconv.verify.check_equivariance` tries for SO(3)
(:func:`groupconv.verify.elements_to_try`: a continuous group's grid symmetries, then ``n_samples`` Haar
samples), and prints the equivariance error of every layer and the invariance error of the read-out under
the same 44 rotations; it also reports, for comparison, the error of a pointwise ReLU on the grid samples
(not band-limited, so only approximately equivariant).

Runtime: about 10 seconds on a laptop CPU. Run: ``python examples/s2_so3_network.py``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from groupconv.fourier import FourierCoefficients, fourier_transform, inverse_fourier_transform  # noqa: E402
from groupconv.groups import SO2  # noqa: E402
from groupconv.groups.spatial import SO3  # noqa: E402
from groupconv.nn import HomogeneousFourierConv  # noqa: E402
from groupconv.verify import check_equivariance, elements_to_try  # noqa: E402


class FourierNormReLU(nn.Module):
    """``f^(l) -> f^(l) relu(||f^(l)||_F - b_l) / ||f^(l)||_F`` per channel and degree ``l >= 1``;
    the degree-0 coefficient goes through a plain ReLU (it is invariant)."""

    def __init__(self, ftype):
        super().__init__()
        self.in_type = self.out_type = ftype
        self.bias = nn.Parameter(torch.full((len(ftype.space.irreps),), 0.1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = fourier_transform(x, self.in_type.space)
        out = []
        for l, b in enumerate(c.blocks):
            if l == 0:
                out.append(torch.relu(b))
                continue
            norm = b.flatten(-2).norm(dim=-1).clamp_min(1e-12)[..., None, None]
            out.append(b * torch.relu(norm - self.bias[l].abs()) / norm)
        return inverse_fourier_transform(FourierCoefficients(self.in_type.space, out))


class GridReLU(nn.Module):
    """A pointwise ReLU on the grid samples (for comparison: not exactly equivariant)."""

    def __init__(self, ftype):
        super().__init__()
        self.in_type = self.out_type = ftype

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x)


class SphericalNet(nn.Module):
    def __init__(self, bandwidth: int = 4, nonlinearity=FourierNormReLU):
        super().__init__()
        G = SO3()
        self.conv1 = HomogeneousFourierConv(G, 1, 8, domain=SO2(), bandwidth=bandwidth)
        self.act1 = nonlinearity(self.conv1.out_type)
        self.conv2 = HomogeneousFourierConv(G, 8, 8, bandwidth=bandwidth)
        self.act2 = nonlinearity(self.conv2.out_type)
        self.conv3 = HomogeneousFourierConv(G, 8, 4, bandwidth=bandwidth)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv3(self.act2(self.conv2(self.act1(self.conv1(x)))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = torch.as_tensor(self.conv3.codomain.weights, dtype=x.dtype, device=x.device)
        return self.features(x) @ w  # the Haar mean over SO(3): invariant


def bumps(points: torch.Tensor, centers: torch.Tensor, kappa: float = 4.0) -> torch.Tensor:
    """A signal on the sphere: a sum of von Mises-Fisher bumps at ``centers``."""
    return torch.exp(kappa * (points @ centers.T - 1)).sum(-1)


def main(bandwidth: int = 4, n_samples: int = 20) -> float:
    """Build the network, print the equivariance report, return the read-out's invariance error.

    The rotations tried are the 24 rotations of the cube and ``n_samples`` Haar samples."""
    print("S^2 -> SO(3) -> SO(3) network: about 10 seconds on a laptop CPU")
    torch.manual_seed(0)
    t0 = time.perf_counter()
    G = SO3()
    # the rotations check_equivariance tries for SO(3), so that both checks below use the same ones
    gs = elements_to_try(G, n_samples)
    n_cube = len(gs) - n_samples
    print(f"building the network (bandwidth {bandwidth}) ...", flush=True)
    net = SphericalNet(bandwidth).double()
    S2 = net.conv1.domain
    centers = torch.nn.functional.normalize(torch.randn(3, 3, dtype=torch.float64), dim=-1)
    x = bumps(S2.points_on_sphere, centers)[None, None]
    print(
        f"checking every layer under {len(gs)} rotations ({n_cube} of the cube, {n_samples} random) ...",
        flush=True,
    )
    report = check_equivariance(net, x, elements=gs, check_model=False, progress=False)
    print(report)
    with torch.no_grad():
        y = net(x)
        inv = max(float((net(net.conv1.in_type.transform(x, g)) - y).abs().max()) for g in gs)
    print(f"read-out {y.flatten().tolist()}")
    print(
        f"max invariance error of the read-out over {len(gs)} rotations "
        f"({n_cube} of the cube, {n_samples} random): {inv:.2e}"
    )
    grid_net = SphericalNet(bandwidth, nonlinearity=GridReLU).double()
    grid_net.load_state_dict({k: v for k, v in net.state_dict().items() if "act" not in k}, strict=False)
    print(
        f"the same network with a pointwise ReLU on the grid samples, {n_cube + 4} rotations "
        f"({n_cube} of the cube, 4 random) ...",
        flush=True,
    )
    rep = check_equivariance(grid_net, x, n_samples=4, check_model=False, rtol=1e-8, progress=False)
    errs = {r.layer: r.max_rel_error for r in rep.rows}
    print(
        "pointwise ReLU on grid samples, relative equivariance error per layer:",
        {k: f"{v:.1e}" for k, v in errs.items()},
    )
    print(f"time {time.perf_counter() - t0:.1f} s")
    if not report.passed or inv > 1e-10:
        raise SystemExit("equivariance check failed")
    return inv


if __name__ == "__main__":
    # small FFTs run faster on one thread on a shared CPU
    torch.set_num_threads(1)
    main()
