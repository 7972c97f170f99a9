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
import functools
import itertools
import warnings
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..groups.actions import acts_on_grid, grid_action_matrix, transform_grid
from ..groups.base import Group
from ..groups.planar import O2, SO2
from ..groups.spatial import O3, SO3
from ..nn.field_type import FieldType
from ..reps.representation import Representation
from ..utils.progress import progress as _progress
from .report import EquivarianceRow, Report

__all__ = [
    "check_equivariance",
    "default_tolerances",
    "choose_elements",
    "is_exact",
    "band_limit",
    "Action",
    "act",
    "typed_layers",
    "elements_to_try",
    "cube_rotations",
]


class Action:
    """A group action on plain tensors, to type a layer that has no FieldType: ``Action(group, fn)``
    with ``fn(x, g) = g . x``.

    ``exact`` says which elements act without interpolation (see :func:`is_exact`): ``True`` (the
    default, every element is checked at the dtype's tight tolerance), ``False``, or a callable
    ``exact(g) -> bool``.

    Example: images ``(..., H, W)`` under ``C_4`` rotate with
    ``Action(Cyclic(4), lambda x, g: transform_grid(x, Cyclic(4), g), "C4 on images")``.
    """

    def __init__(
        self,
        group: Group,
        fn: Callable[[torch.Tensor, Any], torch.Tensor],
        name: str | None = None,
        exact: bool | Callable[[Any], bool] = True,
    ):
        if not isinstance(group, Group):
            raise TypeError(f"Action needs a groupconv Group, got {type(group).__name__}")
        if not callable(fn):
            raise TypeError(f"Action needs a callable fn(x, g), got {type(fn).__name__}")
        if not (isinstance(exact, bool) or callable(exact)):
            raise TypeError(
                f"Action's exact must be a bool or a callable g -> bool, got {type(exact).__name__}"
            )
        self.group, self.fn, self._exact = group, fn, exact
        self.name = name or f"{group} action"

    def transform(self, x: torch.Tensor, g: Any) -> torch.Tensor:
        return self.fn(x, g)

    def is_exact(self, g: Any) -> bool:
        return self._exact if isinstance(self._exact, bool) else bool(self._exact(g))

    def __repr__(self) -> str:
        return self.name


@functools.lru_cache(maxsize=1024)
def _plane_taps(h: int, w: int, matrix: tuple[float, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """Flat source pixels ``(H*W, 16)`` and Keys cubic weights ``(H*W, 16)`` of ``f(A^{-1} p)`` on an
    ``H x W`` grid: the resampling of :func:`groupconv.nn.rotate_plane` (``mode="cubic"``) as one
    gather, taps outside the image reading 0. A grid symmetry gets the single weight 1 per pixel."""
    from ..nn.rotate import keys_weights, source_coordinates

    a = torch.tensor(matrix, dtype=torch.float64).view(2, 2)
    si, sj = source_coordinates(h, w, a, torch.device("cpu"))
    # round first so that integer source positions (grid symmetries) take the exact pixel
    si = torch.where((si - si.round()).abs() < 1e-9, si.round(), si)
    sj = torch.where((sj - sj.round()).abs() < 1e-9, sj.round(), sj)
    i0, j0 = torch.floor(si), torch.floor(sj)
    wi, wj = keys_weights(si - i0), keys_weights(sj - j0)  # (h, w, 4)
    taps = torch.arange(-1, 3, dtype=torch.float64)
    ri = (i0[..., None] + taps).long()[..., :, None].expand(h, w, 4, 4)
    cj = (j0[..., None] + taps).long()[..., None, :].expand(h, w, 4, 4)
    weight = wi[..., :, None] * wj[..., None, :]
    inside = (ri >= 0) & (ri < h) & (cj >= 0) & (cj < w)
    idx = torch.where(inside, ri * w + cj, torch.zeros_like(ri)).reshape(h * w, 16)
    return idx, torch.where(inside, weight, torch.zeros_like(weight)).reshape(h * w, 16)


def _plane_action(ftype: FieldType, x: torch.Tensor, g: Any) -> torch.Tensor:
    """``rho(g) f(g^{-1} p)`` on a pixel grid by cubic interpolation, the action of
    :func:`groupconv.nn.rotate_field`, computed as one gather and one matrix product over the fibres."""
    ftype.check(x)
    group = ftype.group
    ge = torch.as_tensor(int(g)) if group.is_finite else torch.as_tensor(g, dtype=torch.float64).cpu()
    a = group.action_matrix(ge, dtype=torch.float64)
    h, w = x.shape[-2:]
    idx, weight = _plane_taps(h, w, tuple(float(v) for v in a.flatten()))
    flat = x.reshape(x.shape[0], x.shape[1], h * w)
    gathered = flat.index_select(-1, idx.view(-1).to(x.device)).view(x.shape[0], x.shape[1], h * w, 16)
    moved = (gathered * weight.to(device=x.device, dtype=x.dtype)).sum(-1)
    rho = ftype.representation(ge, dtype=torch.float64).to(device=x.device, dtype=x.dtype)
    return (rho @ moved).view_as(x)


def act(type_obj: Any, x: torch.Tensor, g: Any) -> torch.Tensor:
    """``g . x`` for a feature of type ``type_obj``.

    ``type_obj`` is an object with a ``transform(x, g)`` method, a
    :class:`~groupconv.nn.FieldType` (groups permuting the grid act exactly; other elements resample the
    plane by Keys cubic interpolation, as :func:`groupconv.nn.rotate_field` does), a
    :class:`~groupconv.reps.Representation` (acting on the last dimension), or a callable ``(x, g)``.
    """
    if isinstance(type_obj, FieldType):
        if not acts_on_grid(type_obj.group):
            return _plane_action(type_obj, x, g)
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


def is_typed(m: nn.Module) -> bool:
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
    typed = {n for n, m in named.items() if is_typed(m)}
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


# -- tolerances -------------------------------------------------------------------------------------------
#: ``(atol, rtol)`` of the exact tier per dtype: well above the rounding of deep sums of products (about
#: 1e-15 relative in float64, 1e-6 in float32), far below the error of a wrong layer.
_TOLERANCES = {
    torch.float64: (1e-12, 1e-10),
    torch.float32: (1e-7, 1e-5),
    torch.float16: (1e-4, 1e-2),
    torch.bfloat16: (1e-3, 5e-2),
}

#: The approximate tier allows this many times the action's own interpolation error (see
#: :func:`check_equivariance`).
CALIBRATION_FACTOR = 8.0

#: An approximate-tier row whose calibrated relative tolerance exceeds this cannot tell a wrong layer
#: from interpolation (a grid of a few pixels): it passes with ``passed = None`` and says so.
INCONCLUSIVE_TOLERANCE = 0.5


def default_tolerances(dtype: torch.dtype) -> tuple[float, float]:
    """``(atol, rtol)`` of the exact tier for a check computed in ``dtype``: a row passes when its error
    is at most ``atol + rtol * max|L(u)|``.

    ==============  ========  ========
    dtype           atol      rtol
    ==============  ========  ========
    float64         1e-12     1e-10
    float32         1e-7      1e-5
    float16         1e-4      1e-2
    bfloat16        1e-3      5e-2
    ==============  ========  ========

    :func:`check_equivariance`, :func:`groupconv.testing.assert_equivariant` and ``groupconv verify``
    all take their defaults from here.
    """
    if dtype not in _TOLERANCES:
        raise ValueError(
            f"equivariance checks run in float64, float32, float16 or bfloat16, got dtype {dtype}"
        )
    return _TOLERANCES[dtype]


def resolve_tolerances(dtype: torch.dtype, atol: float | None, rtol: float | None) -> tuple[float, float]:
    d_atol, d_rtol = default_tolerances(dtype)
    for value, what in ((atol, "atol"), (rtol, "rtol")):
        if value is not None and (not isinstance(value, (int, float)) or not value >= 0):
            raise ValueError(
                f"{what} must be a non-negative number or None (the dtype's default), got {value!r}"
            )
    return (d_atol if atol is None else float(atol)), (d_rtol if rtol is None else float(rtol))


def _dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).replace("torch.", "")


# -- which elements, and which of them act exactly -----------------------------------------------------------
def _grid_symmetries(group: Group) -> list:
    """The elements of a continuous group that map a square pixel grid (or a cube voxel grid) onto
    itself: the rotations by multiples of 90 degrees (and the reflections for O(2)), the 24 rotations
    of the cube for SO(3) (48 with the inversion for O(3)); the identity for other groups."""
    if isinstance(group, SO2):
        return [torch.tensor(k * torch.pi / 2, dtype=torch.float64) for k in range(4)]
    if isinstance(group, O2):
        return [
            O2.make(torch.tensor(k * torch.pi / 2, dtype=torch.float64), s) for s in (0, 1) for k in range(4)
        ]
    if isinstance(group, SO3):
        return list(cube_rotations().unbind(0))
    if isinstance(group, O3):
        return list(cube_rotations(inversion=True).unbind(0))
    return [group.identity()]


def _plane_exact(ftype: FieldType, g: Any, shape: tuple[int, int] | None) -> bool:
    """True when ``g`` maps every pixel centre of an ``H x W`` grid onto a pixel centre of the grid (a
    permutation of the pixels): the action is then an index permutation times ``rho(g)``, exact."""
    group = ftype.group
    if acts_on_grid(group):
        # C1, C2, C4, D1, D2, D4: exact on any grid where they are defined (90 degrees needs a square)
        if shape is None or shape[0] == shape[1]:
            return True
        m = grid_action_matrix(group, int(g))
        return m[0, 1] == 0 and m[1, 0] == 0
    try:
        m = group.action_matrix(torch.as_tensor(g) if group.is_finite else g, dtype=torch.float64)
    except NotImplementedError:
        return True
    if shape is not None and shape[0] * shape[1] == 1:
        return True  # the single pixel sits at the centre of every rotation
    if not bool(torch.allclose(m, m.round(), atol=1e-9)):
        return False
    if shape is None:
        return True
    return shape[0] == shape[1] or bool(m[0, 1].abs() < 0.5)


def is_exact(type_obj: Any, g: Any, shape: tuple[int, ...] | None = None) -> bool:
    """Whether the action of ``g`` on features of type ``type_obj`` is exact (no interpolation), so that
    an equivariant layer's error under it is rounding only.

    The protocol: a type object may define ``is_exact(g) -> bool``; it is asked first. Otherwise

    - a :class:`~groupconv.nn.FieldType` (fields on a pixel grid): exact iff ``g`` maps the pixel
      centres of the grid (spatial ``shape`` ``(H, W)`` when given) onto pixel centres -- the rotations
      by multiples of 90 degrees and the axis reflections, every element on a ``1 x 1`` grid;
    - a :class:`~groupconv.reps.Representation` (vectors) and any other type: exact.
    """
    own = getattr(type_obj, "is_exact", None)
    if callable(own):
        return bool(own(g))
    if isinstance(type_obj, FieldType):
        return _plane_exact(type_obj, g, None if shape is None else tuple(shape[-2:]))
    return True


def choose_elements(
    type_obj: Any,
    n_samples: int = 20,
    generator: torch.Generator | None = None,
    elements: list | None = None,
    shape: tuple[int, ...] | None = None,
) -> list[tuple[Any, bool]]:
    """The group elements an equivariance check tries on features of type ``type_obj`` (a type object,
    or a bare :class:`~groupconv.groups.Group`), each with whether it acts exactly (:func:`is_exact`).

    The elements are ``elements`` when given; otherwise every element of a finite group, and for a
    continuous group the exact symmetries of the type's grid followed by ``n_samples`` Haar samples.
    The exact symmetries come from the type's ``exact_elements()`` method when it has one (the
    protocol), else from the group: the rotations by multiples of 90 degrees for SO(2) (with the
    reflections for O(2)), the 24 rotations of the cube for SO(3) (48 with the inversion for O(3)),
    the identity for other groups.
    """
    group = type_obj if isinstance(type_obj, Group) else getattr(type_obj, "group", None)
    if elements is None:
        if group is None:
            raise ValueError(f"the type {type_obj!r} names no group: pass elements=[...]")
        if group.is_finite:
            elements = [int(g) for g in group.elements()]
        else:
            if not isinstance(n_samples, int) or isinstance(n_samples, bool) or n_samples < 0:
                raise ValueError(f"n_samples must be a non-negative int, got {n_samples!r}")
            own = getattr(type_obj, "exact_elements", None)
            elements = list(own()) if callable(own) else _grid_symmetries(group)
            if n_samples:
                gen = generator if generator is not None else torch.Generator().manual_seed(0)
                elements += list(group.sample(n_samples, generator=gen).unbind(0))
    if isinstance(type_obj, Group):
        return [(g, True) for g in elements]
    return [(g, is_exact(type_obj, g, shape)) for g in elements]


def elements_to_try(group: Group, n_samples: int = 20, generator: torch.Generator | None = None) -> list:
    """The elements :func:`choose_elements` picks for ``group``, without their classification: every
    element of a finite group; for a continuous group its grid symmetries, then ``n_samples`` Haar
    samples."""
    return [g for g, _ in choose_elements(group, n_samples, generator)]


# -- band-limiting for the approximate tier --------------------------------------------------------------
#: Standard deviation (pixels) of the Gaussian low-pass applied before an off-grid rotation is tested.
BAND_LIMIT_SIGMA = 2.0


def _band_limit_plane(x: torch.Tensor, sigma: float = BAND_LIMIT_SIGMA) -> torch.Tensor:
    """``x`` (``(..., H, W)``) restricted to a disc about the grid centre, ``3 sigma`` inside the disc
    inscribed in the grid, then blurred by a Gaussian of standard deviation ``sigma`` pixels: a
    band-limited image that stays (up to its Gaussian tail) inside the grid under every rotation. On grids
    too small for that margin ``sigma`` shrinks (to at least one pixel). Both steps act on every channel
    alike and are isotropic, so they commute with the action of ``O(2)`` on fields of any type."""
    h, w = x.shape[-2:]
    inscribed = (min(h, w) - 1) / 2
    sigma = max(1.0, min(sigma, (inscribed - 1) / 3))
    i = torch.arange(h, dtype=x.dtype, device=x.device) - (h - 1) / 2
    j = torch.arange(w, dtype=x.dtype, device=x.device) - (w - 1) / 2
    radius = max(inscribed - 3 * sigma, 0.0)
    disc = ((i[:, None] ** 2 + j[None, :] ** 2) <= radius**2).to(x.dtype)
    half = int(4 * sigma)
    t = torch.arange(-half, half + 1, dtype=x.dtype, device=x.device)
    k = torch.exp(-(t**2) / (2 * sigma**2))
    k = k / k.sum()
    flat = (x * disc).reshape(-1, 1, h, w)
    flat = F.conv2d(flat, k.view(1, 1, 1, -1), padding=(0, half))
    flat = F.conv2d(flat, k.view(1, 1, -1, 1), padding=(half, 0))
    return flat.reshape(x.shape)


def band_limit(type_obj: Any, x: torch.Tensor) -> torch.Tensor:
    """A band-limited version of the feature ``x`` of type ``type_obj``, on which interpolated actions
    are accurate: the approximate tier of :func:`check_equivariance` tests off-grid elements on it.

    The protocol: a type object may define ``band_limit(x) -> Tensor`` (a feature of the same type and
    shape); it is asked first. A :class:`~groupconv.nn.FieldType` keeps the disc inscribed in the grid
    and blurs it with a Gaussian of ``BAND_LIMIT_SIGMA`` pixels; other types return ``x`` unchanged.
    Equivariance must hold for every input, so testing a layer on a band-limited input is legitimate.
    """
    own = getattr(type_obj, "band_limit", None)
    if callable(own):
        return own(x)
    if isinstance(type_obj, FieldType):
        return _band_limit_plane(x)
    return x


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
    """The layer's input made band-limited for the approximate tier. A layer that subsamples (output grid
    ``s`` times coarser) gets ``s`` times the blur, so that its output is as smooth on its own grid as
    the input is on the input grid."""
    own = getattr(p.tin, "band_limit", None)
    if callable(own):
        return own(p.u)
    if not isinstance(p.tin, FieldType):
        return p.u
    ratio = 1.0
    if isinstance(p.tout, FieldType) and len(p.out_shape) == 4 and min(p.out_shape[-2:]) > 0:
        ratio = max(1.0, min(p.u.shape[-2:]) / min(p.out_shape[-2:]))
    return _band_limit_plane(p.u, BAND_LIMIT_SIGMA * ratio)


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
