"""Per-layer equivariance checks through forward hooks.

For every layer ``L`` with an input type and an output type (groupconv modules carry ``in_type`` and
``out_type``; plain torch modules get them from the ``types`` argument), the check captures the layer's
own input ``u`` during one forward pass of the model and measures

.. math::  e_L = \\max_g \\, \\big| L(g \\cdot u) - g \\cdot L(u) \\big|_\\infty ,

so a layer is judged on its own, whatever its neighbours do: a planted non-equivariant layer is reported
at that layer and no other. Finite groups use every element; continuous groups use the identity, the
exact grid symmetries they contain and ``n_samples`` Haar samples. Computations run in float64 on a copy
of the model, on the model's device.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from .._progress import progress as _progress
from ..groups.actions import acts_on_grid, transform_grid
from ..groups.base import Group
from ..groups.planar import O2, SO2
from ..groups.spatial import O3, SO3
from ..nn.field_type import FieldType
from ..reps.representation import Representation
from .report import EquivarianceRow, Report

__all__ = ["check_equivariance", "Action", "act", "typed_layers", "elements_to_try", "cube_rotations"]


class Action:
    """A group action on plain tensors, to type a layer that has no FieldType: ``Action(group, fn)``
    with ``fn(x, g) = g . x``.

    Example: images ``(..., H, W)`` under ``C_4`` rotate with
    ``Action(Cyclic(4), lambda x, g: transform_grid(x, Cyclic(4), g), "C4 on images")``.
    """

    def __init__(
        self, group: Group, fn: Callable[[torch.Tensor, Any], torch.Tensor], name: str | None = None
    ):
        if not isinstance(group, Group):
            raise TypeError(f"Action needs a groupconv Group, got {type(group).__name__}")
        if not callable(fn):
            raise TypeError(f"Action needs a callable fn(x, g), got {type(fn).__name__}")
        self.group, self.fn = group, fn
        self.name = name or f"{group} action"

    def transform(self, x: torch.Tensor, g: Any) -> torch.Tensor:
        return self.fn(x, g)

    def __repr__(self) -> str:
        return self.name


def act(type_obj: Any, x: torch.Tensor, g: Any) -> torch.Tensor:
    """``g . x`` for a feature of type ``type_obj``.

    ``type_obj`` is an object with a ``transform(x, g)`` method (e.g. a
    :class:`~groupconv.nn.FieldType`; continuous groups on the plane rotate by interpolation), a
    :class:`~groupconv.reps.Representation` (acting on the last dimension), or a callable ``(x, g)``.
    """
    if isinstance(type_obj, FieldType):
        if not acts_on_grid(type_obj.group):
            from ..nn.rotate import rotate_field

            return rotate_field(x, type_obj, g)
        type_obj.check(x)
        y = transform_grid(x, type_obj.group, int(g))
        rho = type_obj.representation(torch.as_tensor(int(g)), dtype=torch.float64).to(x)
        # a matmul over the fibres: much faster than the equivalent einsum on small CPU tensors
        return (rho @ y.flatten(2)).view_as(y)
    if hasattr(type_obj, "transform"):
        return type_obj.transform(x, g)
    if isinstance(type_obj, Representation):
        m = type_obj(torch.as_tensor(g), dtype=x.dtype).to(x.device)
        return x @ m.T
    if callable(type_obj):
        return type_obj(x, g)
    raise TypeError(
        f"cannot act on a feature of type {type(type_obj).__name__}: give a FieldType, a Representation "
        "or a callable (x, g) -> g.x"
    )


def _group_of(type_obj: Any) -> Group | None:
    return getattr(type_obj, "group", None)


def _is_type(t: Any) -> bool:
    # a groupconv type: a FieldType or Representation of a groupconv group (other libraries' types,
    # e.g. escnn's, are reached through adapters such as groupconv.interop.escnn.EscnnLayer)
    return isinstance(t, Representation) or isinstance(getattr(t, "group", None), Group)


def _is_typed(m: nn.Module) -> bool:
    return _is_type(getattr(m, "in_type", None)) and _is_type(getattr(m, "out_type", None))


def typed_layers(
    model: nn.Module, types: dict[str, tuple[Any, Any]] | None = None
) -> list[tuple[str, nn.Module, Any, Any]]:
    """The layers to check, in registration order: the innermost modules carrying groupconv types
    ``in_type`` and ``out_type`` (FieldTypes or Representations), and the modules named in ``types``."""
    types = dict(types or {})
    named = dict(model.named_modules())
    for name in types:
        if name not in named:
            raise ValueError(
                f"types names a module {name!r} that the model does not have; it has {sorted(named)[:20]}"
            )
    typed = {n for n, m in named.items() if _is_typed(m)}
    out = []
    for name, module in named.items():
        if name in types:
            out.append((name, module, *types[name]))
            continue
        if name not in typed:
            continue
        prefix = name + "." if name else ""
        if any(other != name and other.startswith(prefix) for other in typed):
            continue
        out.append((name, module, module.in_type, module.out_type))
    return out


def cube_rotations(inversion: bool = False) -> torch.Tensor:
    """The 24 rotations of the cube (the signed permutation matrices of determinant 1), float64
    ``(24, 3, 3)``, identity first; with ``inversion=True`` also their products with ``-I`` (48)."""
    mats = []
    for perm in itertools.permutations(range(3)):
        for signs in itertools.product((1.0, -1.0), repeat=3):
            m = torch.zeros(3, 3, dtype=torch.float64)
            for i, (j, s) in enumerate(zip(perm, signs)):
                m[i, j] = s
            if torch.linalg.det(m) > 0:
                mats.append(m)
    rot = torch.stack(mats)
    return torch.cat([rot, -rot]) if inversion else rot


def elements_to_try(group: Group, n_samples: int = 20, generator: torch.Generator | None = None) -> list:
    """The group elements an equivariance check uses.

    Every element of a finite group. For a continuous group, the exact symmetries of the sampling grid
    it contains, then ``n_samples`` Haar samples: the rotations by multiples of 90 degrees for SO(2)
    (with the reflections for O(2)), the 24 rotations of the cube for SO(3) (with the inversion, 48
    elements, for O(3)), the identity for other groups.
    """
    if group.is_finite:
        return [int(g) for g in group.elements()]
    if not isinstance(n_samples, int) or n_samples < 0:
        raise ValueError(f"n_samples must be a non-negative int, got {n_samples!r}")
    gen = generator if generator is not None else torch.Generator().manual_seed(0)
    if isinstance(group, SO2):
        grid = [torch.tensor(k * torch.pi / 2, dtype=torch.float64) for k in range(4)]
    elif isinstance(group, O2):
        grid = [
            O2.make(torch.tensor(k * torch.pi / 2, dtype=torch.float64), s) for s in (0, 1) for k in range(4)
        ]
    elif isinstance(group, SO3):
        grid = list(cube_rotations().unbind(0))
    elif isinstance(group, O3):
        grid = list(cube_rotations(inversion=True).unbind(0))
    else:
        grid = [group.identity()]
    if n_samples == 0:
        return grid
    return grid + list(group.sample(n_samples, generator=gen).unbind(0))


def _to_device(g: Any, device: torch.device) -> Any:
    # group elements are built in float64; only their device follows the model
    return g.to(device) if isinstance(g, torch.Tensor) else g


def _element_label(g: Any) -> Any:
    if isinstance(g, torch.Tensor):
        return g.tolist()
    return g


def _model_device(caller: str, model: Any, x: Any) -> torch.device:
    """Check that ``model`` is an ``nn.Module`` and ``x`` a tensor; the device the checks run on: that of
    the model's first parameter or buffer, else that of ``x``."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"{caller} takes an nn.Module, got {type(model).__name__}")
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    params = list(model.parameters()) + list(model.buffers())
    device = params[0].device if params else x.device
    if device.type == "meta" or x.is_meta:
        raise ValueError(
            f"{caller} measures errors, which needs values: got a model or input on the meta device "
            f"(model on {device}, x on {x.device}); run the check on cpu or cuda"
        )
    return device


def check_equivariance(
    model: nn.Module,
    x: torch.Tensor,
    types: dict[str, tuple[Any, Any]] | None = None,
    elements: list | None = None,
    n_samples: int = 20,
    atol: float = 1e-10,
    rtol: float = 1e-8,
    dtype: torch.dtype = torch.float64,
    check_model: bool = True,
    progress: bool | None = None,
    batch_elements: int | None = None,
) -> Report:
    """Check every typed layer of ``model`` for equivariance on the input ``x``.

    Parameters
    ----------
    model:
        Any ``nn.Module``. Its groupconv layers carry their types; other layers are checked when named
        in ``types``.
    x:
        An input batch (moved to ``dtype`` on the model's device).
    types:
        ``{module_name: (in_type, out_type)}`` for layers without types, each type a FieldType, a
        Representation, an :class:`Action`, or a callable ``(x, g) -> g . x`` (then pass ``elements``).
        The name ``""`` is the whole model.
    elements:
        Elements to try (default: :func:`elements_to_try`).
    atol, rtol:
        A layer passes when ``e_L <= atol + rtol * max|L(u)|``. Interpolated rotations (continuous groups
        on pixel grids) need looser tolerances; the report records the elements tried.
    check_model:
        Also add a row for the whole model when it carries ``in_type`` / ``out_type``.
    progress:
        ``False`` hides the progress bar (shown on stderr when it is a terminal).
    batch_elements:
        How many transformed copies of a layer's input go through it in one batch (default: as many as
        fit in about 4M entries). Use 1 for layers whose output depends on the batch size.

    Returns
    -------
    Report
        One :class:`EquivarianceRow` per layer, in forward order, plus a final ``(model)`` row.
    """
    device = _model_device("check_equivariance", model, x)
    work = copy.deepcopy(model).to(device=device, dtype=dtype)
    work.eval()
    x = x.to(device=device, dtype=dtype)
    layers = typed_layers(work, types)
    if not layers and not _is_typed(work):
        raise ValueError(
            "the model has no layer with in_type/out_type: pass types={name: (in_type, out_type)} "
            "for the layers to check"
        )
    captured: dict[str, torch.Tensor] = {}
    hooks = []
    for name, module, _, _ in layers:

        def hook(mod, args, out, name=name):
            captured.setdefault(name, args[0].detach())

        hooks.append(module.register_forward_hook(hook))
    try:
        with torch.no_grad():
            work(x)
    finally:
        for h in hooks:
            h.remove()
    order = {name: i for i, name in enumerate(captured)}
    layers = sorted([entry for entry in layers if entry[0] in captured], key=lambda e: order[e[0]])
    if check_model and _is_typed(work) and all(n != "" for n, *_ in layers):
        captured[""] = x
        layers.append(("", work, work.in_type, work.out_type))

    plan = []
    for name, module, tin, tout in layers:
        group = _group_of(tin) or _group_of(tout)
        gs = (
            elements
            if elements is not None
            else (elements_to_try(group, n_samples) if group is not None else None)
        )
        if gs is None:
            raise ValueError(f"layer {name!r}: pass elements=... (its types name no group)")
        plan.append((name, module, tin, tout, group, [_to_device(g, device) for g in gs]))

    # the transformed inputs of several elements go through the layer as one batch
    steps = []
    for i, p in enumerate(plan):
        u, gs = captured[p[0]], p[-1]
        per = max(1, min(len(gs), batch_elements or len(gs), (1 << 22) // max(1, u.numel())))
        steps += [(i, gs[k : k + per]) for k in range(0, len(gs), per)]
    errs: list[list[float]] = [[] for _ in plan]
    scales: dict[int, float] = {}
    outputs: dict[int, torch.Tensor] = {}
    with torch.no_grad():
        for i, chunk in _progress(steps, desc="equivariance", quiet=progress is False):
            name, module, tin, tout, _, gs = plan[i]
            u = captured[name]
            if i not in outputs:
                outputs[i] = module(u)
                scales[i] = float(outputs[i].abs().max()) if outputs[i].numel() else 0.0
            y = outputs[i]
            moved = module(torch.cat([act(tin, u, g) for g in chunk]))
            for g, out in zip(chunk, moved.split(u.shape[0])):
                errs[i].append(float((out - act(tout, y, g)).abs().max()))
            if len(errs[i]) == len(gs):
                del outputs[i]  # free the layer's output once its elements are done
    rows = []
    for i, (name, module, tin, tout, group, gs) in enumerate(plan):
        scale = scales.get(i, 0.0)
        e = errs[i]
        k = max(range(len(e)), key=e.__getitem__) if e else 0
        worst, worst_g = (e[k], gs[k]) if e else (0.0, None)
        passed = worst <= atol + rtol * scale
        rows.append(
            EquivarianceRow(
                layer=name or "(model)",
                kind=type(module).__name__,
                group=str(group),
                in_type=repr(tin),
                out_type=repr(tout),
                max_abs_error=worst,
                max_rel_error=worst / scale if scale > 0 else worst,
                elements_tried=len(gs),
                passed=passed,
                note="" if passed else f"worst element {_element_label(worst_g)}",
            )
        )
    return Report(
        title="equivariance",
        rows=rows,
        info={"dtype": str(dtype).replace("torch.", ""), "device": str(device)},
    )
