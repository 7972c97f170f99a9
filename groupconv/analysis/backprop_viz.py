r"""Backpropagation-based visualizations of ReLU networks: saliency, DeconvNet, guided backpropagation.

For a network :math:`f` and class score :math:`f_k(x)`, the three maps differ only in how the backward pass
crosses each ReLU :math:`a = \max(0, z)` with upstream gradient :math:`g = \partial f_k / \partial a`
(Nie, Zhang & Patel, "A theoretical explanation for perplexing behaviors of backpropagation-based
visualizations", ICML 2018, Section 3, Eqs. (2)-(4)):

.. math::

    \text{saliency:} \quad & \mathbb{1}[z > 0] \, g \\
    \text{DeconvNet:} \quad & \max(0, g) \\
    \text{guided backprop:} \quad & \mathbb{1}[z > 0] \, \max(0, g)

Saliency is the true gradient (Simonyan et al., 2014); DeconvNet (Zeiler & Fergus, 2014) discards the
forward mask; guided backpropagation (Springenberg et al., 2015) keeps both. Nie et al. show that the
latter two essentially reconstruct the input image (the backward signal is mostly the forward mask pattern,
which depends on the image), even for random weights, and hardly depend on the class.

The rules are swapped for the duration of one call by forward hooks on the model's ``nn.ReLU`` modules
that route their output through an autograd function with the chosen backward rule; the hooks are
removed afterwards, so the user's model is unchanged. Activations written as ``torch.relu`` /
``F.relu`` calls inside ``forward`` cannot be intercepted this way: use ``nn.ReLU`` modules.

Examples
--------

>>> import torch
>>> from torch import nn
>>> _ = torch.manual_seed(0)
>>> model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2))
>>> x = torch.randn(4, 3)
>>> maps = {rule: backprop_map(model, x, rule=rule) for rule in ("saliency", "deconvnet", "guided")}
>>> [tuple(m.shape) for m in maps.values()]
[(4, 3), (4, 3), (4, 3)]
>>> # saliency is the true gradient of the arg-max class score
>>> k = model(x).argmax(1)
>>> grad = torch.autograd.grad(model(x.requires_grad_()).gather(1, k[:, None]).sum(), x)[0]
>>> torch.allclose(maps["saliency"], grad)
True
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["saliency", "deconvnet", "guided_backprop", "backprop_map"]

_RULES = ("saliency", "deconvnet", "guided")


class _ReLUBackwardRule(torch.autograd.Function):
    """Returns the ReLU output ``out`` unchanged; sends the gradient straight to the ReLU input ``z``
    under the chosen rule, bypassing the ReLU's own backward (whose mask DeconvNet must not apply)."""

    @staticmethod
    def forward(ctx, z, out, guided: bool):
        ctx.guided = guided
        if guided:
            ctx.save_for_backward(z)
        return out.clone()

    @staticmethod
    def backward(ctx, grad):
        g = grad.clamp(min=0)
        if ctx.guided:
            (z,) = ctx.saved_tensors
            g = g * (z > 0).to(g.dtype)
        return g, None, None


def _rule_hook(guided: bool):
    def hook(module, inputs, output):
        return _ReLUBackwardRule.apply(inputs[0], output, guided)

    return hook


def backprop_map(model: nn.Module, x: torch.Tensor, target=None, rule: str = "saliency") -> torch.Tensor:
    r"""Backpropagated map :math:`\partial f_k / \partial x` of ``model`` at ``x`` under a ReLU rule.

    Parameters
    ----------
    model : torch.nn.Module
        A network whose nonlinearities are ``nn.ReLU`` modules, returning scores ``(batch, classes)``.
    x : torch.Tensor
        Inputs ``(batch, ...)``.
    target : int, sequence of int or torch.Tensor, optional
        Class per sample; the arg-max class by default.
    rule : {"saliency", "deconvnet", "guided"}

    Returns
    -------
    torch.Tensor
        Same shape, dtype and device as ``x``.
    """
    if rule not in _RULES:
        raise ValueError(f"rule must be one of {_RULES}, got {rule!r}")
    if not isinstance(x, torch.Tensor) or x.ndim < 1:
        raise TypeError(f"expected x as a torch.Tensor of shape (batch, ...), got {type(x).__name__}")
    relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    if rule != "saliency" and not relus:
        raise ValueError(
            f"rule {rule!r} needs nn.ReLU modules in the model; found none in {type(model).__name__}"
        )
    # An in-place ReLU would hand the hook a tensor that is also its input; run them out of place.
    inplace = [m.inplace for m in relus]
    handles = []
    try:
        for m in relus:
            m.inplace = False
            if rule != "saliency":
                handles.append(m.register_forward_hook(_rule_hook(rule == "guided")))
        xg = x.detach().clone().requires_grad_(True)
        with torch.enable_grad():
            scores = model(xg)
            if scores.ndim != 2 or scores.shape[0] != x.shape[0]:
                raise ValueError(
                    f"expected model output of shape (batch, classes), got {tuple(scores.shape)}"
                )
            if target is None:
                idx = scores.argmax(dim=1)
            else:
                idx = torch.as_tensor(target, device=scores.device).long().reshape(-1)
                if idx.numel() == 1:
                    idx = idx.expand(scores.shape[0])
                if idx.numel() != scores.shape[0]:
                    raise ValueError(f"expected one target per sample ({scores.shape[0]}), got {idx.numel()}")
            picked = scores.gather(1, idx[:, None]).sum()
            (grad,) = torch.autograd.grad(picked, xg)
    finally:
        for h in handles:
            h.remove()
        for m, flag in zip(relus, inplace):
            m.inplace = flag
    return grad.detach()


def saliency(model: nn.Module, x: torch.Tensor, target=None) -> torch.Tensor:
    r"""Saliency map :math:`\partial f_k(x) / \partial x` (Simonyan et al., 2014; Nie et al., ICML 2018,
    Eq. (2)). See :func:`backprop_map`."""
    return backprop_map(model, x, target, "saliency")


def deconvnet(model: nn.Module, x: torch.Tensor, target=None) -> torch.Tensor:
    r"""DeconvNet map: backward through each ReLU as :math:`\max(0, g)` (Zeiler & Fergus, 2014; Nie et al.,
    ICML 2018, Eq. (3)). See :func:`backprop_map`."""
    return backprop_map(model, x, target, "deconvnet")


def guided_backprop(model: nn.Module, x: torch.Tensor, target=None) -> torch.Tensor:
    r"""Guided backpropagation: backward through each ReLU as :math:`\mathbb{1}[z > 0] \max(0, g)`
    (Springenberg et al., 2015; Nie et al., ICML 2018, Eq. (4)). See :func:`backprop_map`."""
    return backprop_map(model, x, target, "guided")
