"""Saliency, DeconvNet and guided backprop against hand-computed backward passes."""

from __future__ import annotations

import pytest
import torch

from groupconv.analysis import backprop_map, deconvnet, guided_backprop, saliency


def _tiny(dtype=torch.float64, inplace=False):
    net = torch.nn.Sequential(
        torch.nn.Linear(2, 2, bias=False), torch.nn.ReLU(inplace=inplace), torch.nn.Linear(2, 2, bias=False)
    ).to(dtype)
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, -1.0], [2.0, 1.0]]))
        net[2].weight.copy_(torch.tensor([[1.0, -2.0], [3.0, 1.0]]))
    return net


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("inplace", [False, True])
def test_hand_computed(dtype, inplace):
    net = _tiny(dtype, inplace)
    x = torch.tensor([[0.0, 1.0]], dtype=dtype)
    # z = W1 x = (0 - 1, 0 + 1) = (-1, 1): unit 0 off, unit 1 on. W1^T = [[1, 2], [-1, 1]].
    # class 1: g = W2[1] = (3, 1)
    #   saliency: mask (0, 1) -> (0, 1)      -> W1^T (0, 1) = (2, 1)
    #   deconvnet: max(0, g) = (3, 1)        -> W1^T (3, 1) = (3 + 2, -3 + 1) = (5, -2)
    #   guided: mask and max(0, g) = (0, 1)  -> (2, 1)
    t = lambda *v: torch.tensor([list(v)], dtype=dtype)  # noqa: E731
    torch.testing.assert_close(saliency(net, x, 1), t(2.0, 1.0))
    torch.testing.assert_close(deconvnet(net, x, 1), t(5.0, -2.0))
    torch.testing.assert_close(guided_backprop(net, x, 1), t(2.0, 1.0))
    # class 0: g = W2[0] = (1, -2)
    #   saliency: (0, -2) -> W1^T (0, -2) = (-4, -2)
    #   deconvnet: (1, 0) -> W1^T (1, 0) = (1, -1)
    #   guided: (0, 0)    -> (0, 0)
    torch.testing.assert_close(saliency(net, x, 0), t(-4.0, -2.0))
    torch.testing.assert_close(deconvnet(net, x, 0), t(1.0, -1.0))
    torch.testing.assert_close(guided_backprop(net, x, 0), t(0.0, 0.0))
    # the model is left as it was: no hooks, same inplace flag, plain gradients again
    assert not net[1]._forward_hooks and net[1].inplace == inplace
    x2 = x.clone().requires_grad_(True)
    net(x2)[0, 1].backward()
    torch.testing.assert_close(x2.grad, t(2.0, 1.0))


def test_saliency_is_autograd_gradient_on_cnn():
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(4 * 16, 3),
    ).double()
    x = torch.randn(5, 1, 8, 8, dtype=torch.float64)
    target = torch.tensor([0, 1, 2, 0, 1])
    jac = torch.autograd.functional.jacobian(lambda v: net(v)[torch.arange(5), target].sum(), x)
    torch.testing.assert_close(saliency(net, x, target), jac)
    d, g = deconvnet(net, x, target), guided_backprop(net, x, target)
    assert d.shape == g.shape == x.shape
    # guided = deconvnet rule plus the forward mask: wherever guided is nonzero the rules differ only by it
    assert not torch.equal(d, g)


def test_argmax_default_and_errors():
    net = _tiny()
    x = torch.tensor([[0.0, 1.0]], dtype=torch.float64)
    # scores: W2 relu(z) = W2 (0, 1) = (-2, 1): argmax is class 1
    torch.testing.assert_close(saliency(net, x), saliency(net, x, 1))
    with pytest.raises(ValueError, match="rule"):
        backprop_map(net, x, rule="lrp")
    with pytest.raises(ValueError, match="nn.ReLU"):
        guided_backprop(torch.nn.Linear(2, 2).double(), x)
    with pytest.raises(ValueError, match="one target per sample"):
        saliency(net, x.repeat(3, 1), [0, 1])


@pytest.mark.cuda
def test_cuda_matches_cpu():
    net = _tiny()
    x = torch.tensor([[0.3, 1.0], [1.0, -0.2]], dtype=torch.float64)
    for fn in (saliency, deconvnet, guided_backprop):
        torch.testing.assert_close(fn(net.cuda(), x.cuda()).cpu(), fn(net.cpu(), x))
