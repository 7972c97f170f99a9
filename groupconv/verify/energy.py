"""Per-layer energy checks.

The energy of a feature map is ``||f||^2`` summed over all its entries, per sample. For a
layer with frame bounds ``(A, B)``,

.. math::  A \\, \\|u\\|^2 \\le \\|L u\\|^2 \\le B \\, \\|u\\|^2 ,

and the check reports, per layer, the input and output energies, their ratio, the bounds where known and
whether every sample's ratio lies within them. Bounds come from the layer's ``frame_bounds()`` method
(scattering layers, filter banks), from the known contractions (ReLU, tanh: ``(0, 1)``; the modulus of a
complex field and orthogonal maps: ``(1, 1)``), or from the weights of a linear convolution
(:func:`~groupconv.proofs.conv_frame_bounds`, upper bound, images and volumes).

A scattering network also gets a row for the energy identity of Parseval (tight, bound 1) layers with
the modulus (Mallat, Comm. Pure Appl. Math. 2012, Sec. 2.3; Wiatowski, Grohs & Bolcskei, IEEE Trans.
Inf. Theory 2018, Sec. III):

.. math::  \\|f\\|^2 = \\sum_{n<N} |||\\Phi^n f|||^2 + W_N f .

A scattering network is a module with an ``energies(x) -> (W, E)`` method (the
:mod:`groupconv.scattering` networks: ``W[n] = W_n f``, ``E[n] = |||Phi^n f|||^2`` for ``n = 0..N``) or an
``energy_per_layer(x)`` method (see :func:`split_energy_per_layer`). When its layers have frame bounds
``(A_n, B_n)`` (``frame_bounds()``: one pair for every layer, or a list), each layer moves the running
total by ``E_n + W_{n+1} - W_n in [(A_n - 1) W_n, (B_n - 1) W_n]``, so the row checks

.. math::  \\prod_n \\min(1, A_n) \\le \\frac{\\sum_{n<N} |||\\Phi^n f|||^2 + W_N f}{\\|f\\|^2}
           \\le \\prod_n \\max(1, B_n),

which is the identity for Parseval layers.

Examples
--------

>>> import torch
>>> report = check_energy(nn.Sequential(nn.ReLU()), torch.randn(2, 3, 4, 4))
>>> [(row.layer, row.lower_bound, row.upper_bound, row.passed) for row in report.rows]
[('0', 0.0, 1.0, True)]
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ..proofs import conv2d_frame_bounds, conv_frame_bounds
from .actions import typed_layers
from .equivariance import _model_device
from .report import EnergyRow, Report

__all__ = [
    "check_energy",
    "conv2d_frame_bounds",
    "register_frame_bounds",
    "layer_frame_bounds",
    "split_energy_per_layer",
]

Bounds = tuple[float | None, float | None]


@functools.singledispatch
def _registered_bounds(module: nn.Module) -> Bounds:
    """The frame bounds registered for the class of ``module`` or its nearest registered base; ``(None,
    None)`` when none is."""
    return None, None


def register_frame_bounds(module_type: type, fn: Callable[[nn.Module], Bounds]) -> None:
    """Register how to compute the frame bounds ``(A, B)`` of a module class and its subclasses (``None`` =
    unknown), for classes that cannot define ``frame_bounds()`` themselves.

    >>> class Halve(nn.Module):
    ...     def forward(self, x):
    ...         return x / 2
    >>> register_frame_bounds(Halve, lambda m: (0.25, 0.25))
    >>> layer_frame_bounds(Halve())
    (0.25, 0.25)
    """
    if not isinstance(module_type, type):
        raise TypeError(f"register_frame_bounds takes a class, got {module_type!r}")
    if not callable(fn):
        raise TypeError(f"register_frame_bounds takes a callable module -> (A, B), got {type(fn).__name__}")
    _registered_bounds.register(module_type, fn)


# the contractions and isometries of torch itself
register_frame_bounds(nn.ReLU, lambda m: (0.0, 1.0))
register_frame_bounds(nn.Tanh, lambda m: (0.0, 1.0))
register_frame_bounds(nn.Identity, lambda m: (1.0, 1.0))
register_frame_bounds(nn.Dropout, lambda m: (1.0, 1.0))
register_frame_bounds(
    nn.LeakyReLU,
    lambda m: (min(1.0, m.negative_slope**2), 1.0) if 0 <= m.negative_slope <= 1 else (None, None),
)


@_registered_bounds.register(nn.Conv2d)
@_registered_bounds.register(nn.Conv3d)
def _conv_bounds(module: nn.Conv2d | nn.Conv3d) -> Bounds:
    # a plain convolution without bias, groups or stride has the upper bound of its filter
    if module.bias is None and module.groups == 1 and all(s == 1 for s in module.stride):
        return None, conv_frame_bounds(module.weight)[1]
    return None, None


def layer_frame_bounds(module: nn.Module) -> Bounds:
    """The frame bounds of a layer, ``(None, None)`` when unknown: the layer's own ``frame_bounds()``
    (the equivariant convolutions of :mod:`groupconv.nn` without bias and with stride 1 give the upper
    bound of their expanded filter, :func:`~groupconv.proofs.conv_frame_bounds`), else the bounds
    registered for its class (:func:`register_frame_bounds`; torch's ReLU, tanh, leaky ReLU, identity,
    dropout and bias-free stride-1 ``nn.Conv2d`` and ``nn.Conv3d`` are known).

    >>> layer_frame_bounds(nn.ReLU()), layer_frame_bounds(nn.Sigmoid())
    ((0.0, 1.0), (None, None))
    """
    fb = getattr(module, "frame_bounds", None)
    if fb is not None:
        a, b = fb() if callable(fb) else fb
        return (None if a is None else float(a), None if b is None else float(b))
    return _registered_bounds(module)


def _per_sample(v: Any, batch: int) -> torch.Tensor:
    t = torch.as_tensor(v).detach().to(torch.float64)
    if t.numel() == 1:
        return t.reshape(1)
    if t.numel() % batch:
        raise ValueError(f"an energy of {t.numel()} entries does not split over a batch of {batch}")
    return t.reshape(batch, -1).sum(-1)


def split_energy_per_layer(value: Any, batch: int) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Normalize the result of ``energy_per_layer(x)`` to ``(orders, remainder)``.

    Accepted forms: a mapping with keys ``"orders"`` (one entry per order ``n < N``) and
    ``"remainder"`` (``W_N f``); a pair ``(orders, remainder)``; or a sequence ``[E_0, ..., E_{N-1},
    W_N]``. Each energy is a number, a per-sample tensor ``(batch,)`` or a tensor whose entries sum to
    the per-sample energy. Returns per-sample float64 tensors.
    """
    if isinstance(value, dict):
        if "orders" not in value or "remainder" not in value:
            raise ValueError(
                f"energy_per_layer must return keys 'orders' and 'remainder', got {sorted(value)}"
            )
        orders, rem = value["orders"], value["remainder"]
    elif isinstance(value, tuple) and len(value) == 2 and not isinstance(value[0], (int, float)):
        orders, rem = value
    else:
        seq = list(value.unbind(0)) if isinstance(value, torch.Tensor) else list(value)
        if len(seq) < 2:
            raise ValueError(
                "energy_per_layer must return at least one order energy and the remainder W_N, "
                f"got {len(seq)} entries"
            )
        orders, rem = seq[:-1], seq[-1]
    if isinstance(orders, torch.Tensor):
        orders = list(orders.unbind(0))
    return [_per_sample(o, batch) for o in orders], _per_sample(rem, batch)


def _within(ratios: torch.Tensor, a: float | None, b: float | None, rtol: float) -> bool | None:
    """Every ratio in ``[a (1 - rtol), b (1 + rtol)]``; ``None`` when no bound is known."""
    if a is None and b is None:
        return None
    low = a is None or bool((ratios >= a * (1 - rtol)).all())
    high = b is None or bool((ratios <= b * (1 + rtol)).all())
    return low and high


def _is_scattering(m: nn.Module) -> bool:
    return callable(getattr(m, "energies", None)) or callable(getattr(m, "energy_per_layer", None))


def _network_bounds(module: nn.Module, depth: int) -> tuple[float | None, float | None]:
    fb = getattr(module, "frame_bounds", None)
    if fb is None:
        return 1.0, 1.0
    value = fb() if callable(fb) else fb
    pairs = list(value) if isinstance(value, list) else [tuple(value)] * depth
    lo = hi = 1.0
    for a, b in pairs[:depth]:
        lo = None if (lo is None or a is None) else lo * min(1.0, float(a))
        hi = None if (hi is None or b is None) else hi * max(1.0, float(b))
    return lo, hi


def _identity_rows(named: dict, inputs: dict, rtol: float) -> list[EnergyRow]:
    rows = []
    for name, u in inputs.items():
        module = named[name]
        with torch.no_grad():
            try:
                if callable(getattr(module, "energies", None)):
                    W, E = module.energies(u)
                    orders, rem = split_energy_per_layer({"orders": E[:-1], "remainder": W[-1]}, u.shape[0])
                else:
                    orders, rem = split_energy_per_layer(module.energy_per_layer(u), u.shape[0])
            except ValueError as e:
                rows.append(
                    EnergyRow(
                        layer=(name or "(model)") + " [identity]",
                        kind=type(module).__name__,
                        input_energy=float(_energy(u).sum()),
                        output_energy=float("nan"),
                        ratio=float("nan"),
                        lower_bound=None,
                        upper_bound=None,
                        passed=None,
                        note=f"energy identity not checked: {e}",
                    )
                )
                continue
        total = sum(orders) + rem
        eu = _energy(u).to(torch.float64).cpu()
        total = total.cpu()
        if total.numel() != eu.numel():
            if total.numel() != 1:
                raise ValueError(
                    f"{name or '(model)'}.energy_per_layer returned {total.numel()} energies per order for a "
                    f"batch of {eu.numel()}: expected per-sample or batch-total energies"
                )
            eu = eu.sum().reshape(1)
        a, b = _network_bounds(module, len(orders))
        ratios = total / eu.clamp_min(torch.finfo(eu.dtype).tiny)
        ok = _within(ratios, a, b, rtol)
        dev = float((total - eu).abs().max() / eu.max().clamp_min(torch.finfo(eu.dtype).tiny))
        rows.append(
            EnergyRow(
                layer=(name or "(model)") + " [identity]",
                kind=type(module).__name__,
                input_energy=float(eu.sum()),
                output_energy=float(total.sum()),
                ratio=float(total.sum() / eu.sum()) if float(eu.sum()) > 0 else float("nan"),
                lower_bound=a,
                upper_bound=b,
                passed=ok,
                note=(
                    f"||f||^2 = sum_(n<{len(orders)}) |||Phi^n f|||^2 + W_{len(orders)} f; "
                    f"orders {[round(float(o.sum() / eu.sum()), 6) for o in orders]}, "
                    f"W_N {float(rem.sum() / eu.sum()):.6g} (fractions of ||f||^2); "
                    f"max relative deviation {dev:.2e}"
                ),
            )
        )
    return rows


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
    device = _model_device("check_energy", model, x)
    work = copy.deepcopy(model).to(device=device, dtype=dtype).eval()
    x = x.to(device=device, dtype=dtype)
    named = dict(work.named_modules())
    scatter = [n for n, m in named.items() if _is_scattering(m)]
    scatter = [n for n in scatter if not any(n != o and n.startswith(o + "." if o else "") for o in scatter)]
    if layers is None:
        # a scattering network's own output omits W_N: it is judged by its identity row instead
        chosen = [n for n, *_ in typed_layers(work) if n not in scatter]
        for n, m in named.items():
            if n in chosen or n == "" or n in scatter:
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
    scatter_inputs: dict[str, torch.Tensor] = {}
    seen: dict[str, tuple[torch.Tensor, Any]] = {}
    hooks = []
    for name in scatter:

        def pre_hook(mod, args, name=name):
            scatter_inputs.setdefault(name, args[0].detach())

        hooks.append(named[name].register_forward_pre_hook(pre_hook))
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
        ok = _within(ratios, a, b, rtol)
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
    rows += _identity_rows(named, scatter_inputs, rtol)
    return Report(title="energy", rows=rows, info={"input energy": float(_energy(x).sum())})
