"""A small D_4-equivariant network for ``groupconv verify``.

Every layer carries ``in_type`` / ``out_type`` (groupconv FieldTypes), so ``groupconv verify`` checks
each one on its own input; the convolutions also prove their equivariance exactly (their filters are
index maps of the weights)::

    groupconv verify examples/verify_model.py:build
    groupconv verify examples/verify_model.py:build_broken   # exits with status 1

``build_broken`` appends a hand-written layer that declares scalar fields in and out but shifts the image
by a pixel and weights its columns: the equivariance report fails at that layer and no other. The
example also shows how to give a model of your own an input for the command line (``example_input``).

Run as a script, it verifies both models (:func:`groupconv.verify.verify_model`: equivariance, energy
and certificates, layer by layer) and prints each report and a verdict::

    python examples/verify_model.py     # a few seconds on a laptop CPU
"""

from __future__ import annotations

import torch
from torch import nn

from groupconv.groups import Dihedral
from groupconv.nn import EquivariantSequential, FieldType, GroupConv2d, GroupPooling, LiftingConv2d, ReLU
from groupconv.verify import verify_model

G = Dihedral(4)


class PlantedShift(nn.Module):
    """Claims scalar fields in and out but shifts and reweights the image: not equivariant."""

    def __init__(self, field_type: FieldType):
        super().__init__()
        self.in_type = self.out_type = field_type

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.roll(x, 1, dims=-1) * torch.linspace(
            0.5, 1.5, x.shape[-1], dtype=x.dtype, device=x.device
        )


class Net(EquivariantSequential):
    """Lifting convolution, ReLU, group convolution, ReLU, group max pooling (Cohen & Welling, ICML 2016)."""

    def __init__(self, broken: bool = False):
        lift = LiftingConv2d.from_channels(G, 1, 4, 5, padding=2, bias=False)
        conv = GroupConv2d.from_channels(G, 4, 4, 3, padding=1, bias=False)
        layers = [
            lift,
            ReLU(lift.out_type),
            conv,
            ReLU(conv.out_type),
            GroupPooling(conv.out_type, mode="max"),
        ]
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


def main() -> dict[str, bool]:
    """Verify ``build()`` and ``build_broken()``, print both reports and a verdict for each; return whether
    each passed."""
    print("verify_model: a few seconds on a laptop CPU")
    results = {}
    for name, builder in (("build", build), ("build_broken", build_broken)):
        model = builder()
        print(f"\n== {name}(): verifying every layer ...", flush=True)
        report = verify_model(model, model.example_input(), progress=False)
        print(report.to_text())
        failed = [r.layer for r in report.equivariance.rows if not r.passed and r.layer != "(model)"]
        if report.passed:
            verdict = "every layer is equivariant, within its frame bounds, and certified where it can be"
        elif failed:
            verdict = f"not equivariant at layer {', '.join(failed)}, so neither is the whole model"
        else:
            verdict = "see the report above"
        print(f"verdict for {name}(): {'PASS' if report.passed else 'FAIL'}: {verdict}")
        results[name] = report.passed
    return results


if __name__ == "__main__":
    main()
