"""export(): every field-wise layer to plain torch modules with the same outputs (float64 and float32),
nested sequentials flattened, plain modules passed through, custom modules with groupconv children
deep-copied, and bad input."""

from __future__ import annotations

import pytest
import torch
from _layer_cases import GROUPS, LAYERS, layer_input, perm_type, with_bias
from torch import nn

from groupconv.nn import FieldBatchNorm, FieldType, GroupPooling, MaxPool2d, ReLU, export
from groupconv.reps import Representation


def no_groupconv_objects(module: nn.Module) -> bool:
    for sub in module.modules():
        for value in vars(sub).values():
            if isinstance(value, (FieldType, Representation)):
                return False
    return True


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_export_matches(name):
    G = GROUPS["D4"]
    torch.manual_seed(2)
    module = LAYERS[name](G).double().train()
    x = layer_input(module)
    module(x)
    module.eval()
    plain = export(module)
    assert no_groupconv_objects(plain)
    assert not hasattr(plain, "in_type")
    torch.testing.assert_close(plain(x), module(x), atol=1e-13, rtol=1e-12)
    plain32, module32 = export(module.float()), module.float()
    x32 = x.float()
    torch.testing.assert_close(plain32(x32), module32(x32), atol=1e-6, rtol=1e-5)


def test_export_flattens_nested_sequentials_and_passes_plain_modules_through():
    G = GROUPS["D4"]
    t = perm_type(G)
    inner = nn.Sequential(FieldBatchNorm(t), ReLU(t))
    net = nn.Sequential(inner, nn.Sequential(MaxPool2d(t), GroupPooling(t)), nn.Flatten(), nn.Identity())
    net = with_bias(net).double()
    x = layer_input(inner[0], size=9)
    net.train()(x)
    net.eval()
    plain = export(net)
    assert isinstance(plain, nn.Sequential)
    assert not any(isinstance(m, nn.Sequential) for m in plain.children())
    kinds = [type(m) for m in plain]
    assert kinds[:3] == [nn.Conv2d, nn.ReLU, nn.MaxPool2d] and nn.Flatten in kinds
    torch.testing.assert_close(plain(x), net(x), atol=1e-13, rtol=1e-12)

    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = inner
            self.head = nn.Linear(3, 2).double()

        def forward(self, u):
            return self.head(self.body(u).mean((-2, -1))[:, :3])

    custom = Custom().eval()
    plain = export(custom)
    assert isinstance(plain, Custom) and isinstance(plain.body, nn.Sequential)
    assert no_groupconv_objects(plain.body)
    torch.testing.assert_close(plain(x), custom(x), atol=1e-13, rtol=1e-12)
    lin = nn.Linear(2, 2)
    assert torch.equal(export(lin).weight, lin.weight)


def test_bad_input_errors():
    t = perm_type(GROUPS["D4"])
    with pytest.raises(ValueError, match="no fixed inference map"):
        export(FieldBatchNorm(t, track_running_stats=False))
    with pytest.raises(TypeError, match="nn.Module"):
        export(lambda u: u)

    class Broken(nn.Module):
        def export(self):
            return "not a module"

    with pytest.raises(TypeError, match=r"Broken.export\(\) returned str, not an nn.Module"):
        export(Broken())
