"""Every layer family (convolutions, nonlinearities, batch norm, pooling) gives the same outputs on
channels-last inputs as on contiguous ones, in training and eval mode."""

from __future__ import annotations

import pytest
import torch

from groupconv.groups import Dihedral
from groupconv.nn import (
    ELU,
    AvgPool2d,
    BlurPool2d,
    FieldBatchNorm,
    FieldType,
    FourierBesselConv2d,
    GatedNonlinearity,
    GlobalPool2d,
    GroupConv2d,
    GroupPooling,
    LiftingConv2d,
    MaxPool2d,
    ModulusNonlinearity,
    NormNonlinearity,
    NormPooling,
    ReLU,
    SteerableConv2d,
)
from groupconv.reps import irrep, regular


@pytest.mark.filterwarnings("ignore:kernel basis")
def test_channels_last_inputs_give_the_same_outputs():
    torch.manual_seed(0)
    G = Dihedral(4)
    reg = FieldType(G, [regular(G)] * 3)
    mix = FieldType(G, [irrep(G, 0, 0), irrep(G, 1, 1), regular(G)])
    layers = [
        (LiftingConv2d.from_channels(G, 3, 4, 5, padding=2), 3),
        (GroupConv2d.from_channels(G, 3, 4, 5, padding=2), reg.size),
        (SteerableConv2d(mix, reg, 5, padding=2), mix.size),
        (FourierBesselConv2d(3, 4, 5, num_bases=6, padding=2), 3),
        (ReLU(reg), reg.size),
        (ELU(reg), reg.size),
        (NormNonlinearity(mix), mix.size),
        (ModulusNonlinearity(mix), mix.size),
        (GatedNonlinearity(FieldType(G, [irrep(G, 1, 1)] * 2)), 6),
        (FieldBatchNorm(mix), mix.size),
        (BlurPool2d(reg, 2), reg.size),
        (MaxPool2d(reg, 3, stride=2), reg.size),
        (AvgPool2d(reg, 3, stride=2), reg.size),
        (GlobalPool2d(reg), reg.size),
        (GroupPooling(reg), reg.size),
        (NormPooling(mix), mix.size),
    ]
    for layer, channels in layers:
        x = torch.randn(2, channels, 12, 12, dtype=torch.float64)
        layer = layer.double()
        for mode in (True, False):
            layer.train(mode)
            a = layer(x)
            b = layer(x.contiguous(memory_format=torch.channels_last))
            assert torch.allclose(a, b, atol=1e-12), type(layer).__name__
