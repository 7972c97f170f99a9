"""How group elements act on the features of a layer, and which layers carry types.

A layer is *typed* when it carries groupconv types ``in_type`` and ``out_type`` (a
:class:`~groupconv.nn.FieldType`, a :class:`~groupconv.reps.Representation`, or any object with a
groupconv ``group``); :func:`typed_layers` finds them in a model, and :func:`act` computes ``g . x`` for
a feature of any such type. Plain torch layers are typed by hand with an :class:`Action`.

>>> import torch
>>> from groupconv.groups import Cyclic
>>> from groupconv.nn import FieldType
>>> from groupconv.reps import regular
>>> t = FieldType(Cyclic(4), [regular(Cyclic(4))])
>>> x = torch.arange(16.0).view(1, 4, 2, 2)
>>> torch.equal(act(t, act(t, x, 1), 3), x)  # g^-1 . (g . x) = x, exactly on the grid
True
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ..groups.actions import acts_on_grid, transform_grid
from ..groups.base import Group
from ..nn.field_type import FieldType, grid_exact, spatial_matrix
from ..nn.rotate import keys_weights, permute_grid, rotate_field, source_coordinates, source_points
from ..reps.representation import Representation

__all__ = ["Action", "act", "is_typed", "typed_layers"]


class Action:
    """A group action on plain tensors, to type a layer that has no FieldType: ``Action(group, fn)``
    with ``fn(x, g) = g . x``.

    ``exact`` says which elements act without interpolation (see :func:`~groupconv.verify.is_exact`):
    ``True`` (the default, every element is checked at the dtype's tight tolerance), ``False``, or a
    callable ``exact(g) -> bool``.

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
        """``g . x``."""
        return self.fn(x, g)

    def is_exact(self, g: Any) -> bool:
        """Whether ``g`` acts without interpolation (the grid protocol of :mod:`groupconv.verify.elements`)."""
        return self._exact if isinstance(self._exact, bool) else bool(self._exact(g))

    def __repr__(self) -> str:
        return self.name


@functools.lru_cache(maxsize=1024)
def _plane_taps(h: int, w: int, matrix: tuple[float, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """Flat source pixels ``(H*W, 16)`` and Keys cubic weights ``(H*W, 16)`` of ``f(A^{-1} p)`` on an
    ``H x W`` grid: the resampling of :func:`groupconv.nn.rotate_plane` (``mode="cubic"``) as one
    gather, taps outside the image reading 0. A grid symmetry gets the single weight 1 per pixel."""
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


@functools.lru_cache(maxsize=4096)
def _element_tables(ftype: FieldType, key: tuple[float, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``3 x 3`` matrix and ``rho(g)`` of the element with entries ``key``: a check evaluates them for
    the same elements layer after layer (the Wigner matrices of SO(3) cost more than the resampling)."""
    group = ftype.group
    shape = () if group.is_finite else tuple(group.identity().shape)
    g = torch.tensor(key, dtype=torch.float64).reshape(shape)
    g = g.long() if group.is_finite else g
    a = spatial_matrix(group.action_matrix(g, dtype=torch.float64), 3)
    return a, ftype.representation(g, dtype=torch.float64)


def _volume_action(ftype: FieldType, x: torch.Tensor, g: Any) -> torch.Tensor:
    """``rho(g) f(g^{-1} p)`` on a voxel grid, the action of :func:`groupconv.nn.rotate_field`: a voxel
    permutation for the cube symmetries, Keys cubic interpolation otherwise."""
    ftype.check(x, spatial_dims=3)
    group = ftype.group
    ge = torch.as_tensor(int(g)) if group.is_finite else torch.as_tensor(g, dtype=torch.float64).cpu()
    if group.is_finite and group.grid_dims is not None:
        return ftype.transform(x, int(ge))
    a, rho = _element_tables(ftype, tuple(float(v) for v in ge.flatten()))
    if a.shape[-1] != 3:
        return rotate_field(x, ftype, ge)  # refused there with the message of rotate_field
    shape = tuple(x.shape[-3:])
    exact, table = _volume_resampling(shape, tuple(float(v) for v in a.flatten()))
    flat = x.reshape(-1, math.prod(shape))
    if exact:
        y = flat.index_select(1, table.to(x.device)).reshape(x.shape)
    else:
        y = (table.to(device=x.device, dtype=x.dtype) @ flat.T).T.reshape(x.shape)
    return ftype.act_on_fibers(y, rho)


@functools.lru_cache(maxsize=256)
def _volume_resampling(shape: tuple[int, int, int], matrix: tuple[float, ...]) -> tuple[bool, torch.Tensor]:
    """``f(A^{-1} p)`` on a ``D x H x W`` grid, built once per grid and element (a check applies each element
    to the input and output of every layer): ``(True, source voxel of each voxel)`` where ``A`` maps the
    grid onto itself, else ``(False, the resampling of groupconv.nn.resample_grid (mode="cubic") as a
    sparse CSR matrix (DHW, DHW))``, 64 Keys cubic taps per voxel, taps outside the grid reading 0 (one
    sparse product per feature map, where the gather of the taps of every channel is several times
    slower)."""
    a = torch.tensor(matrix, dtype=torch.float64).view(3, 3)
    n = math.prod(shape)
    if bool(grid_exact(a, shape)):
        return True, permute_grid(torch.arange(n).view((1, 1) + shape), a).reshape(n)
    points = source_points(shape, a, torch.device("cpu"))
    # round first so that integer source positions take the exact voxel, as resample_grid does
    points = [torch.where((p - p.round()).abs() < 1e-9, p.round(), p) for p in points]
    floors = [torch.floor(p) for p in points]
    taps = torch.arange(-1, 3, dtype=torch.float64)
    index, weight, inside = None, None, None
    for t, (p, f) in enumerate(zip(points, floors)):
        view = (n,) + (1,) * t + (4,) + (1,) * (2 - t)
        i = (f.reshape(n, 1) + taps).long().view(view)
        w = keys_weights(p - f).reshape(view)
        ok = (i >= 0) & (i < shape[t])
        index = i if index is None else index * shape[t] + i
        weight = w if weight is None else weight * w
        inside = ok if inside is None else inside & ok
    index, weight, inside = (v.expand(n, 4, 4, 4).reshape(n, 64) for v in (index, weight, inside))
    keep = inside & (weight != 0)
    rows = torch.arange(n).view(n, 1).expand(n, 64)
    coo = torch.sparse_coo_tensor(
        torch.stack([rows[keep], index[keep]]), weight[keep], (n, n), check_invariants=False
    )
    with warnings.catch_warnings():
        # torch flags its CSR layout as beta; the product used here is its stable core
        warnings.filterwarnings(
            "ignore", message="Sparse CSR tensor support is in beta", category=UserWarning
        )
        return False, coo.coalesce().to_sparse_csr()


def act(type_obj: Any, x: torch.Tensor, g: Any) -> torch.Tensor:
    """``g . x`` for a feature of type ``type_obj``.

    ``type_obj`` is an object with a ``transform(x, g)`` method, a
    :class:`~groupconv.nn.FieldType` (elements permuting the grid act exactly; other elements resample the
    plane or space by Keys cubic interpolation, as :func:`groupconv.nn.rotate_field` does; images
    ``(batch, C, H, W)`` and volumes ``(batch, C, D, H, W)``), a
    :class:`~groupconv.reps.Representation` (acting on the last dimension), or a callable ``(x, g)``.
    """
    if isinstance(type_obj, FieldType):
        if x.dim() == 5:
            return _volume_action(type_obj, x, g)
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


def _is_type(t: Any) -> bool:
    # a groupconv type: a FieldType or Representation of a groupconv group (other libraries' types,
    # e.g. escnn's, are reached through adapters such as groupconv.interop.escnn.EscnnLayer)
    return isinstance(t, Representation) or isinstance(getattr(t, "group", None), Group)


def is_typed(m: nn.Module) -> bool:
    """Whether ``m`` carries groupconv types ``in_type`` and ``out_type`` (FieldTypes, Representations or
    other objects of a groupconv group), so that its equivariance can be checked on its own."""
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
