"""PhaseCollapseNet: shapes, gradients, dtypes, state dict, bad input."""

from __future__ import annotations

import pytest
import torch

from groupconv.scattering.phase_collapse import NONLINEARITIES, PhaseCollapseNet


@pytest.mark.parametrize("nonlinearity", sorted(NONLINEARITIES))
def test_shapes_and_gradients(nonlinearity):
    torch.manual_seed(0)
    net = PhaseCollapseNet((16, 16), 3, 5, widths=(6, 8), L=4, nonlinearity=nonlinearity)
    x = torch.randn(4, 3, 16, 16)
    logits = net(x)
    assert logits.shape == (4, 5)
    logits.logsumexp(1).sum().backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name
    net.eval()
    assert net(x).shape == (4, 5)


def test_float64_and_state_dict():
    net = PhaseCollapseNet((8, 8), 1, 3, widths=(4,), L=4).double()
    x = torch.randn(2, 1, 8, 8, dtype=torch.float64)
    assert net(x).dtype == torch.float64
    keys = set(net.state_dict())
    assert not any("_phi" in k or "_psi" in k for k in keys)
    fresh = PhaseCollapseNet((8, 8), 1, 3, widths=(4,), L=4).double()
    fresh.load_state_dict(net.state_dict())
    net.eval(), fresh.eval()
    assert torch.allclose(net(x), fresh(x))


def test_bad_input():
    with pytest.raises(ValueError, match="divisible"):
        PhaseCollapseNet((12, 12), 1, 2, widths=(4, 4, 4))
    with pytest.raises(ValueError, match="nonlinearity"):
        PhaseCollapseNet((8, 8), 1, 2, widths=(4,), nonlinearity="relu")
    net = PhaseCollapseNet((8, 8), 1, 2, widths=(4,))
    with pytest.raises(ValueError, match="expects"):
        net(torch.randn(2, 2, 8, 8))
