"""Per-layer equivariance checks through forward hooks.

For every layer ``L`` with an input type and an output type (groupconv modules carry ``in_type`` and
``out_type``; plain torch modules get them from the ``types`` argument), the check captures the layer's
own input ``u`` during one forward pass of the model and measures

.. math::  e_L = \\max_g \\, \\big| L(g \\cdot u) - g \\cdot L(u) \\big|_\\infty ,

so a layer is judged on its own, whatever its neighbours do: a planted non-equivariant layer is reported
at that layer and no other. Finite groups use every element; continuous groups use the identity, the
exact grid symmetries they contain and ``n_samples`` Haar samples. Computations run in float64 on a copy
of the model, on the model's device.

Examples
--------

>>> import torch
>>> from torch import nn
>>> from groupconv.groups import Cyclic
>>> from groupconv.nn import FieldType, ReLU
>>> from groupconv.reps import regular
>>> t = FieldType(Cyclic(4), [regular(Cyclic(4))])
>>> report = check_equivariance(nn.Sequential(ReLU(t)), torch.randn(1, 4, 5, 5), progress=False)
>>> [(row.layer, row.tier, row.passed) for row in report.rows]
[('0', 'exact', True)]
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

import torch
from torch import nn

from ..groups.base import Group
from ..utils.progress import progress as _progress
from .actions import Action, act, is_typed, typed_layers
from .elements import (
    BAND_LIMIT_SIGMA,
    _takes_keyword,
    band_limit,
    choose_elements,
    cube_rotations,
    default_tolerances,
    elements_to_try,
    is_exact,
    resolve_tolerances,
)
from .report import EquivarianceRow, Report

# the checker's module also answers for the names it used to define (``from groupconv.verify.equivariance
# import elements_to_try`` keeps working)
__all__ = [
    "check_equivariance",
    "default_tolerances",
    "resolve_tolerances",
    "choose_elements",
    "is_exact",
    "band_limit",
    "Action",
    "act",
    "is_typed",
    "typed_layers",
    "elements_to_try",
    "cube_rotations",
    "BAND_LIMIT_SIGMA",
    "CALIBRATION_FACTOR",
    "INCONCLUSIVE_TOLERANCE",
]

#: The approximate tier allows this many times the action's own interpolation error (see
#: :func:`check_equivariance`).
CALIBRATION_FACTOR = 8.0

#: An approximate-tier row whose calibrated relative tolerance exceeds this cannot tell a wrong layer
#: from interpolation (a grid of a few pixels): it passes with ``passed = None`` and says so.
INCONCLUSIVE_TOLERANCE = 0.5


def _dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).replace("torch.", "")


def _group_of(type_obj: Any) -> Group | None:
    return getattr(type_obj, "group", None)


def _inverse(group: Group, g: Any) -> Any:
    if group.is_finite:
        return int(group.inverse(torch.as_tensor(int(g))))
    return group.inverse(g)


def _to_device(g: Any, device: torch.device) -> Any:
    # group elements are built in float64; only their device follows the model
    return g.to(device) if isinstance(g, torch.Tensor) else g


def _element_label(g: Any) -> Any:
    if isinstance(g, torch.Tensor):
        return [round(v, 6) for v in g.flatten().tolist()] if g.dim() else round(float(g), 6)
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


def _untyped_leaves(model: nn.Module, covered: list[str], types: dict) -> list[tuple[str, nn.Module]]:
    """The leaf modules (no children) that no typed layer, and no entry of ``types``, contains."""
    out = []
    for name, module in model.named_modules():
        if name == "" or next(module.children(), None) is not None or name in types:
            continue
        if any(c == name or name.startswith(c + ".") for c in covered if c):
            continue
        out.append((name, module))
    return out


class _Plan:
    """One layer to check: its module, types, captured input and the elements of each tier."""

    def __init__(self, name, module, tin, tout, group, u, out_shape, exact, approx):
        self.name, self.module, self.tin, self.tout, self.group = name, module, tin, tout, group
        self.u, self.out_shape, self.exact, self.approx = u, out_shape, exact, approx


def _run_batched(module, inputs: list[torch.Tensor], per: int) -> list[torch.Tensor]:
    """``module`` on each input, ``per`` inputs concatenated along the batch axis per call."""
    out: list[torch.Tensor] = []
    for k in range(0, len(inputs), per):
        chunk = inputs[k : k + per]
        out += list(module(torch.cat(chunk)).split(chunk[0].shape[0]))
    return out


def _exact_tier(p: _Plan, per: int, atol: float, rtol: float, dtype: torch.dtype) -> EquivarianceRow:
    y = p.module(p.u)
    scale = float(y.abs().max()) if y.numel() else 0.0
    moved = _run_batched(p.module, [act(p.tin, p.u, g) for g in p.exact], per)
    errs = [
        float((out - act(p.tout, y, g)).abs().max()) if out.numel() else 0.0 for g, out in zip(p.exact, moved)
    ]
    k = max(range(len(errs)), key=errs.__getitem__)
    allowed = atol + rtol * scale
    passed = errs[k] <= allowed
    return _row(
        p,
        "exact",
        errs[k],
        scale,
        allowed,
        len(errs),
        passed,
        f"{_dtype_name(dtype)} floor: atol {atol:g} + rtol {rtol:g}",
        "" if passed else f"worst element {_element_label(p.exact[k])}",
    )


def _approximate_tier(p: _Plan, per: int, atol: float, rtol: float, dtype: torch.dtype) -> EquivarianceRow:
    ub = _band_limited_input(p)
    y = p.module(ub)
    scale = float(y.abs().max()) if y.numel() else 0.0
    errs, cals = [], []
    for start in range(0, len(p.approx), per):
        chunk = p.approx[start : start + per]
        inverses = [_to_device(_inverse(p.group, g), ub.device) for g in chunk]
        moved_in = [act(p.tin, ub, g) for g in chunk]
        outs = _run_batched(p.module, moved_in, per)
        # the action's own error, on this very input and output: the round trip g^-1 . (g . v) - v of
        # the output, and that of the input carried through the layer
        backs = _run_batched(p.module, [act(p.tin, v, gi) for v, gi in zip(moved_in, inverses)], per)
        for g, gi, out, back in zip(chunk, inverses, outs, backs):
            if out.numel() == 0:
                errs.append(0.0)
                cals.append(0.0)
                continue
            gy = act(p.tout, y, g)
            errs.append(float((out - gy).abs().max()))
            cals.append(float((back - y).abs().max()) + float((act(p.tout, gy, gi) - y).abs().max()))
    k = max(range(len(errs)), key=errs.__getitem__)
    cal = max(cals)
    allowed = atol + rtol * scale + CALIBRATION_FACTOR * cal
    rel_cal = cal / scale if scale > 0 else cal
    reason = (
        f"calibrated: {CALIBRATION_FACTOR:g} x the action's own error {rel_cal:.1e} "
        f"(round trips of the band-limited input and output) + {_dtype_name(dtype)} floor"
    )
    if errs[k] > allowed:
        passed, note = False, f"worst element {_element_label(p.approx[k])}"
    elif allowed > INCONCLUSIVE_TOLERANCE * scale:
        # the interpolation alone is as large as the output: no error could be told from it
        passed, note = None, "inconclusive: the action's own error on this grid is too large"
    else:
        passed, note = True, ""
    return _row(p, "approximate", errs[k], scale, allowed, len(errs), passed, reason, note)


def _band_limited_input(p: _Plan) -> torch.Tensor:
    """The layer's input made band-limited for the approximate tier (:func:`band_limit`). A layer that
    subsamples (output grid ``s`` times coarser) gets ``s`` times the blur when both its types take a
    ``scale``, so that its output is as smooth on its own grid as the input is on the input grid."""
    ratio = 1.0
    out_limit = getattr(p.tout, "band_limit", None)
    if callable(out_limit) and _takes_keyword(out_limit, "scale"):
        if len(p.out_shape) == p.u.dim() in (4, 5) and min(p.out_shape[2:]) > 0:
            ratio = max(1.0, min(p.u.shape[2:]) / min(p.out_shape[2:]))
    return band_limit(p.tin, p.u, scale=ratio)


def _row(p, tier, err, scale, allowed, n, passed, reason, note) -> EquivarianceRow:
    return EquivarianceRow(
        layer=p.name or "(model)",
        kind=type(p.module).__name__,
        group=str(p.group),
        in_type=repr(p.tin),
        out_type=repr(p.tout),
        tier=tier,
        max_abs_error=err,
        max_rel_error=err / scale if scale > 0 else err,
        tolerance=allowed / scale if scale > 0 else allowed,
        elements_tried=n,
        passed=passed,
        reason=reason,
        note=note,
    )


def check_equivariance(
    model: nn.Module,
    x: torch.Tensor,
    types: dict[str, tuple[Any, Any]] | None = None,
    elements: list | None = None,
    n_samples: int = 20,
    atol: float | None = None,
    rtol: float | None = None,
    dtype: torch.dtype = torch.float64,
    check_model: bool = True,
    progress: bool | None = None,
    batch_elements: int | None = None,
    untyped: str = "warn",
) -> Report:
    """Check every typed layer of ``model`` for equivariance on the input ``x``, in two tiers.

    For a layer ``L`` with captured input ``u`` and types ``(in_type, out_type)`` the error is

    .. math::  e_L = \\max_g \\, \\big| L(g \\cdot u) - g \\cdot L(u) \\big|_\\infty .

    - **Exact tier**: the elements that act without interpolation (:func:`is_exact`: grid symmetries,
      every element of a finite group acting by permutation, every element on vectors). A row passes
      when ``e_L <= atol + rtol * max|L(u)|``, tolerances by dtype (:func:`default_tolerances`).
    - **Approximate tier**: off-grid elements (rotations that interpolate). ``u`` is first made
      band-limited (:func:`band_limit`), and the tolerance is calibrated on that input: the action's own
      error ``c``, the round trip ``g^-1 . (g . v) - v`` of the layer's output plus that of its input
      carried through the layer, and the row passes when ``e_L <= atol + rtol * max|L(u)| +
      CALIBRATION_FACTOR * max_g c``.

    Each tier of each layer is one row, which states its tolerance and where it comes from. Leaf modules
    that carry no type (a plain ``nn.Conv2d``) cannot be checked: each gets a row "not checked: no type"
    and a warning, or a failing row with ``untyped="fail"``.

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
        Elements to try (default: :func:`choose_elements`); each is still classified exact or
        approximate.
    n_samples:
        Haar samples of a continuous group (approximate tier on pixel grids).
    atol, rtol:
        The exact tier's tolerances (and the approximate tier's floor); ``None`` takes
        :func:`default_tolerances` of ``dtype``.
    dtype:
        The dtype the check computes in (float64, float32, float16 or bfloat16).
    check_model:
        Also add rows for the whole model when it carries ``in_type`` / ``out_type``.
    progress:
        ``False`` hides the progress bar (shown on stderr when it is a terminal).
    batch_elements:
        How many transformed copies of a layer's input go through it in one batch (default: as many as
        fit in about 4M entries). Use 1 for layers whose output depends on the batch size.
    untyped:
        ``"warn"`` (default): an untyped leaf module is a row "not checked: no type" and a warning;
        ``"fail"``: that row fails the report.

    Returns
    -------
    Report
        Rows in forward order: per typed layer one row per tier it has elements in, per untyped leaf one
        "not checked" row, then the ``(model)`` rows.

    Raises
    ------
    ValueError
        When no layer of the model carries a type (nothing could be checked), or for bad arguments.
    """
    if untyped not in ("warn", "fail"):
        raise ValueError(f"untyped must be 'warn' or 'fail', got {untyped!r}")
    atol, rtol = resolve_tolerances(dtype, atol, rtol)
    device = _model_device("check_equivariance", model, x)
    types = dict(types or {})
    work = copy.deepcopy(model).to(device=device, dtype=dtype)
    work.eval()
    x = x.to(device=device, dtype=dtype)
    layers = typed_layers(work, types)
    if not layers and not is_typed(work):
        raise ValueError(
            "the model has no layer with in_type/out_type, so nothing can be checked: pass "
            "types={name: (in_type, out_type)} for the layers to check"
        )
    covered = [name for name, *_ in layers]
    leaves = _untyped_leaves(work, covered, types) if "" not in covered else []
    captured: dict[str, tuple[torch.Tensor, tuple[int, ...]]] = {}
    called: list[str] = []
    hooks = []
    for name, module, _, _ in layers:

        def hook(mod, args, out, name=name):
            if name not in captured:
                captured[name] = (args[0].detach(), tuple(out.shape) if isinstance(out, torch.Tensor) else ())
                called.append(name)

        hooks.append(module.register_forward_hook(hook))
    for name, module in leaves:

        def leaf_hook(mod, args, out, name=name):
            if name not in called:
                called.append(name)

        hooks.append(module.register_forward_hook(leaf_hook))
    try:
        with torch.no_grad():
            y_model = work(x)
    finally:
        for h in hooks:
            h.remove()
    by_name = {name: entry for name, *entry in layers}
    if check_model and is_typed(work) and "" not in by_name:
        captured[""] = (x, tuple(y_model.shape) if isinstance(y_model, torch.Tensor) else ())
        by_name[""] = (work, work.in_type, work.out_type)
        called.append("")
    leaf_names = {name for name, _ in leaves}

    plans: list[_Plan | str] = []
    for name in called:
        if name in leaf_names:
            plans.append(name)
            continue
        module, tin, tout = by_name[name]
        u, out_shape = captured[name]
        group = _group_of(tin) or _group_of(tout)
        if group is None and elements is None:
            raise ValueError(f"layer {name!r}: pass elements=... (its types name no group)")
        chosen = choose_elements(
            tin if _group_of(tin) is not None else tout, n_samples, elements=elements, shape=tuple(u.shape)
        )
        exact, approx = [], []
        for g, ok in chosen:
            g = _to_device(g, device)
            (exact if ok and is_exact(tout, g, out_shape) else approx).append(g)
        plans.append(_Plan(name, module, tin, tout, group, u, out_shape, exact, approx))

    rows = []
    steps = [p for p in plans if not isinstance(p, str)]
    with torch.no_grad():
        for p in plans:
            if isinstance(p, str):
                rows.append(_untyped_row(p, work.get_submodule(p), untyped, model_row="" in by_name))
        done = {}
        for p in _progress(steps, desc="equivariance", quiet=progress is False):
            per = max(1, min(batch_elements or 1 << 30, (1 << 22) // max(1, p.u.numel())))
            out = []
            if p.exact:
                out.append(_exact_tier(p, per, atol, rtol, dtype))
            if p.approx:
                out.append(_approximate_tier(p, per, atol, rtol, dtype))
            done[p.name] = out
    ordered = []
    it = iter(rows)
    for p in plans:
        ordered += [next(it)] if isinstance(p, str) else done[p.name]
    return Report(
        title="equivariance",
        rows=ordered,
        info={"dtype": _dtype_name(dtype), "device": str(device)},
    )


def _untyped_row(name: str, module: nn.Module, untyped: str, model_row: bool) -> EquivarianceRow:
    kind = type(module).__name__
    if model_row:
        reason, passed = "no type; checked only as part of the (model) rows", None
    else:
        reason = "not checked: no type (give the layer in_type/out_type, or name it in types=...)"
        passed = False if untyped == "fail" else None
        warnings.warn(
            f"layer {name!r} ({kind}) has no in_type/out_type and is not checked for equivariance; "
            "pass types={name: (in_type, out_type)} to check it, or untyped='fail' to fail on it",
            stacklevel=3,
        )
    return EquivarianceRow(
        layer=name,
        kind=kind,
        group="-",
        in_type="-",
        out_type="-",
        tier="not checked",
        max_abs_error=None,
        max_rel_error=None,
        tolerance=None,
        elements_tried=0,
        passed=passed,
        reason=reason,
        note="",
    )
