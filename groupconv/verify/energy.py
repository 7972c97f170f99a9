"""Per-layer energy checks.

The energy of a feature map is ``||f||^2`` summed over all its entries, per sample (DESIGN.md). For a
layer with frame bounds ``(A, B)``,

.. math::  A \\, \\|u\\|^2 \\le \\|L u\\|^2 \\le B \\, \\|u\\|^2 ,

and the check reports, per layer, the input and output energies, their ratio, the bounds where known and
whether every sample's ratio lies within them. Bounds come from the layer's ``frame_bounds()`` method
(scattering layers, filter banks), from the known contractions (ReLU, tanh: ``(0, 1)``; the modulus of a
complex field and orthogonal maps: ``(1, 1)``), or from the weights of a linear convolution
(:func:`conv2d_frame_bounds`, upper bound).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from .equivariance import typed_layers
from .report import EnergyRow, Report

__all__ = ["check_energy", "conv2d_frame_bounds", "register_frame_bounds", "layer_frame_bounds"]

_BOUNDS: dict[type, Callable[[nn.Module], tuple[float | None, float | None]]] = {
    nn.ReLU: lambda m: (0.0, 1.0),
    nn.Tanh: lambda m: (0.0, 1.0),
    nn.Identity: lambda m: (1.0, 1.0),
    nn.Dropout: lambda m: (1.0, 1.0),
    nn.LeakyReLU: lambda m: (
        (min(1.0, m.negative_slope**2), 1.0) if 0 <= m.negative_slope <= 1 else (None, None)
    ),
}


def register_frame_bounds(
    module_type: type, fn: Callable[[nn.Module], tuple[float | None, float | None]]
) -> None:
    """Register how to compute the frame bounds ``(A, B)`` of a module class (``None`` = unknown)."""
    _BOUNDS[module_type] = fn


def conv2d_frame_bounds(weight: torch.Tensor, grid: int = 64) -> tuple[float, float]:
    """Frame bounds of the circular 2D convolution with ``weight`` ``(C_out, C_in, k, k)``.

    The transfer matrix at frequency ``omega`` is ``W^(omega) = sum_x w(x) e^{-i omega x}``; the bounds
    are ``A = min_omega sigma_min(W^(omega))^2`` (0 when ``C_out < C_in``) and
    ``B = max_omega sigma_max(W^(omega))^2`` over a ``grid x grid`` frequency grid (exact for circular
    convolution on that grid size). ``B`` also bounds zero-padded convolutions.
    """
    w = weight.detach().to(torch.float64)
    c_out, c_in, kh, kw = w.shape
    pad = torch.zeros(c_out, c_in, max(grid, kh), max(grid, kw), dtype=torch.float64, device=w.device)
    pad[..., :kh, :kw] = w
    spec = torch.fft.fft2(pad).permute(2, 3, 0, 1)
    sv = torch.linalg.svdvals(spec)
    upper = float(sv.max() ** 2)
    lower = float(sv.min() ** 2) if c_out >= c_in else 0.0
    return lower, upper


def layer_frame_bounds(module: nn.Module) -> tuple[float | None, float | None]:
    """The frame bounds of a layer, ``(None, None)`` when unknown."""
    fb = getattr(module, "frame_bounds", None)
    if fb is not None:
        a, b = fb() if callable(fb) else fb
        return (None if a is None else float(a), None if b is None else float(b))
    for cls in type(module).__mro__:
        if cls in _BOUNDS:
            return _BOUNDS[cls](module)
    if (
        isinstance(module, nn.Conv2d)
        and module.bias is None
        and module.groups == 1
        and module.stride == (1, 1)
    ):
        _, upper = conv2d_frame_bounds(module.weight)
        return None, upper
    return None, None


def _energy(t: torch.Tensor) -> torch.Tensor:
    if torch.is_complex(t):
        t = torch.view_as_real(t)
    return t.pow(2).reshape(t.shape[0], -1).sum(-1)


def check_energy(
    model: nn.Module,
    x: torch.Tensor,
    layers: list[str] | None = None,
    rtol: float = 1e-6,
    dtype: torch.dtype = torch.float64,
) -> Report:
    """Per-layer energy report for ``model`` on the batch ``x``.

    Parameters
    ----------
    layers:
        Names of the modules to check (default: the typed groupconv layers, the modules that declare
        ``frame_bounds``, and the leaf modules with known bounds).
    rtol:
        Relative slack on the bounds.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"check_energy takes an nn.Module, got {type(model).__name__}")
    params = list(model.parameters()) + list(model.buffers())
    device = params[0].device if params else x.device
    work = copy.deepcopy(model).to(device=device, dtype=dtype).eval()
    x = x.to(device=device, dtype=dtype)
    named = dict(work.named_modules())
    if layers is None:
        chosen = [n for n, *_ in typed_layers(work)]
        for n, m in named.items():
            if n in chosen or n == "":
                continue
            known = hasattr(m, "frame_bounds") or (
                not list(m.children()) and layer_frame_bounds(m) != (None, None)
            )
            if known and not any(n.startswith(c + ".") for c in chosen):
                chosen.append(n)
    else:
        missing = [n for n in layers if n not in named]
        if missing:
            raise ValueError(f"check_energy: the model has no modules named {missing}")
        chosen = list(layers)
    seen: dict[str, tuple[torch.Tensor, Any]] = {}
    hooks = []
    for name in chosen:

        def hook(mod, args, out, name=name):
            if name not in seen:
                seen[name] = (args[0].detach(), out.detach() if isinstance(out, torch.Tensor) else out)

        hooks.append(named[name].register_forward_hook(hook))
    try:
        with torch.no_grad():
            work(x)
    finally:
        for h in hooks:
            h.remove()
    rows = []
    for name in seen:
        u, v = seen[name]
        if not isinstance(v, torch.Tensor):
            continue
        module = named[name]
        eu, ev = _energy(u), _energy(v)
        ratios = ev / eu.clamp_min(torch.finfo(eu.dtype).tiny)
        a, b = layer_frame_bounds(module)
        ok = None
        if a is not None or b is not None:
            ok = True
            if a is not None:
                ok &= bool((ratios >= a * (1 - rtol)).all())
            if b is not None:
                ok &= bool((ratios <= b * (1 + rtol)).all())
        rows.append(
            EnergyRow(
                layer=name,
                kind=type(module).__name__,
                input_energy=float(eu.sum()),
                output_energy=float(ev.sum()),
                ratio=float(ev.sum() / eu.sum()) if float(eu.sum()) > 0 else float("nan"),
                lower_bound=a,
                upper_bound=b,
                passed=ok,
                note=f"per-sample ratio in [{float(ratios.min()):.6g}, {float(ratios.max()):.6g}]",
            )
        )
    return Report(title="energy", rows=rows, info={"input energy": float(_energy(x).sum())})
