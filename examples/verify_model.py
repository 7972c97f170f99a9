"""A small D_4-equivariant network of hand-written typed layers, for ``groupconv verify``.

Each layer carries ``in_type`` / ``out_type`` (groupconv FieldTypes), so ``groupconv verify`` checks it on
its own; the lifting layer also proves its equivariance exactly through ``certificate()``::

    groupconv verify examples/verify_model.py:build
    groupconv verify examples/verify_model.py:build_broken   # exits with status 1

The lifting convolution correlates the image with the 8 transformed copies ``g . w`` of each learned
filter ``w`` (Cohen & Welling, ICML 2016, eq. (10)):

.. math::  [f \\star w](x, g) = \\sum_{y} f(y) \\, (g \\cdot w)(y - x),

so rotating or reflecting the image permutes the group axis of the output (regular representation).
"""

from __future__ import annotations

import torch
from torch import nn

from groupconv.groups import Dihedral, transform_grid
from groupconv.nn import FieldType
from groupconv.reps import regular, trivial
from groupconv.verify import certify_index_map, conv2d_frame_bounds

G = Dihedral(4)


class LiftingD4(nn.Module):
    """Lifting convolution from ``c_in`` scalar fields to ``c_out`` regular D_4 fields."""

    def __init__(self, c_in: int, c_out: int, kernel_size: int = 5):
        super().__init__()
        self.in_type = FieldType(G, [trivial(G)] * c_in)
        self.out_type = FieldType(G, [regular(G)] * c_out)
        self.kernel_size = kernel_size
        self.weight = nn.Parameter(torch.randn(c_out, c_in, kernel_size, kernel_size) / kernel_size)

    def expand(self, weight: torch.Tensor) -> torch.Tensor:
        """The filter ``(c_out * 8, c_in, k, k)``: channel ``c * 8 + g`` holds ``g . w_c``."""
        w = weight.reshape(-1, self.in_type.size, self.kernel_size, self.kernel_size)
        stack = torch.stack([transform_grid(w, G, g) for g in range(G.order)], 1)
        return stack.reshape(-1, self.in_type.size, self.kernel_size, self.kernel_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.in_type.check(x)
        return nn.functional.conv2d(x, self.expand(self.weight), padding=self.kernel_size // 2)

    def frame_bounds(self) -> tuple[None, float]:
        """Upper frame bound of the convolution (largest squared singular value of its transfer matrix)."""
        return None, conv2d_frame_bounds(self.expand(self.weight))[1]

    def certificate(self):
        ok, reason = certify_index_map(
            self.expand, self.weight.numel(), G, self.in_type.representation, self.out_type.representation
        )
        return ("proved" if ok else "failed", reason)


class RegularReLU(nn.ReLU):
    """ReLU on regular fields: it commutes with the permutations of the group axis."""

    def __init__(self, field_type: FieldType):
        super().__init__()
        self.in_type = self.out_type = field_type


class GroupMaxPool(nn.Module):
    """Max over the group axis of each regular field: regular fields to scalar fields.

    ``max_g |v_g|^2 <= sum_g |v_g|^2 <= |G| max_g |v_g|^2`` gives the frame bounds ``(1/|G|, 1)`` on
    non-negative inputs (after a ReLU)."""

    def __init__(self, field_type: FieldType):
        super().__init__()
        self.in_type = field_type
        self.out_type = FieldType(G, [trivial(G)] * len(field_type))

    def frame_bounds(self) -> tuple[float, float]:
        return 1.0 / G.order, 1.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        return x.reshape(b, -1, G.order, h, w).amax(2)


class PlantedShift(nn.Module):
    """A layer that claims scalar fields in and out but shifts the image by one pixel: not equivariant."""

    def __init__(self, field_type: FieldType):
        super().__init__()
        self.in_type = self.out_type = field_type

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.roll(x, 1, dims=-1) * torch.linspace(0.5, 1.5, x.shape[-1], dtype=x.dtype)


class Net(nn.Sequential):
    """Lifting convolution, ReLU, group max pooling."""

    def __init__(self, broken: bool = False):
        lift = LiftingD4(1, 4)
        layers = [lift, RegularReLU(lift.out_type), GroupMaxPool(lift.out_type)]
        if broken:
            layers.append(PlantedShift(layers[-1].out_type))
        super().__init__(*layers)

    def example_input(self) -> torch.Tensor:
        return torch.randn(2, 1, 17, 17, generator=torch.Generator().manual_seed(0))


def build() -> Net:
    torch.manual_seed(0)
    return Net()


def build_broken() -> Net:
    torch.manual_seed(0)
    return Net(broken=True)
