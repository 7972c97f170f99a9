"""Shared machinery of the field-wise layers: the typed module base class, grouping of fields by
dimension (so that a layer treats all fields of one dimension with a single reshape), and the
representation tests (permutation representations, trivial subspaces)."""

from __future__ import annotations

import warnings
from functools import lru_cache

import numpy as np
import torch
from torch import nn

from ..groups.base import FiniteGroup
from ..reps.representation import Representation
from .field_type import FieldType

__all__ = [
    "DescribedState",
    "EquivariantModule",
    "FieldGroups",
    "is_permutation_representation",
    "trivial_subspace",
    "check_field_type",
    "check_tensor",
]


def autocast_dtype(x: torch.Tensor) -> torch.dtype | None:
    """The dtype that ``torch.autocast`` computes in on ``x``'s device; ``None`` where it is off."""
    device = x.device.type
    if torch.amp.is_autocast_available(device) and torch.is_autocast_enabled(device):
        return torch.get_autocast_dtype(device)
    return None


def check_field_type(obj: object, what: str = "in_type") -> FieldType:
    if not isinstance(obj, FieldType):
        raise TypeError(f"{what} must be a groupconv.nn.FieldType, got {type(obj).__name__}")
    if len(obj) == 0:
        raise ValueError(f"{what} must have at least one field, got the empty type {obj!r}")
    return obj


def check_tensor(x: object, ftype: FieldType, layer: str) -> torch.Tensor:
    """Validate a feature map ``(batch, C, H, W)`` of type ``ftype`` entering ``layer``."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{layer} takes a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{layer} takes a floating point tensor, got dtype {x.dtype}")
    if x.dim() != 4 or x.shape[1] != ftype.size:
        raise ValueError(
            f"{layer} expects input of type {ftype!r}: shape (batch, {ftype.size}, H, W), "
            f"got {tuple(x.shape)}"
        )
    return x


@lru_cache(maxsize=256)
def _is_permutation(rep: Representation) -> bool:
    if rep.is_trivial() or rep.permutation is not None:
        return True
    if not isinstance(rep.group, FiniteGroup):
        return False
    m = rep(rep.group.elements(), dtype=torch.float64)
    binary = torch.isclose(m, torch.zeros((), dtype=m.dtype), atol=1e-9) | torch.isclose(
        m, torch.ones((), dtype=m.dtype), atol=1e-9
    )
    return bool(binary.all()) and bool(torch.allclose(m.sum(-2), torch.ones((), dtype=m.dtype)))


def is_permutation_representation(rep: Representation) -> bool:
    """True when every ``rho(g)`` is a permutation matrix (regular, quotient, permutation and trivial
    representations): then ``rho(g)`` commutes with every pointwise map ``sigma``,
    ``sigma(rho(g) f) = rho(g) sigma(f)``, and with the pointwise maximum."""
    return _is_permutation(rep)


@lru_cache(maxsize=256)
def _trivial_subspace(rep: Representation) -> np.ndarray:
    if rep.is_trivial():
        return np.eye(rep.dim)
    if _is_permutation(rep):
        # orbit indicators: exact, unlike the numerically decomposed change of basis
        if rep.permutation is not None:
            # m[y, x]: some g takes e_x to e_y, read from the table without forming matrices
            m = np.zeros((rep.dim, rep.dim), dtype=bool)
            m[rep.permutation, np.arange(rep.dim)] = True
        else:
            m = rep(rep.group.elements(), dtype=torch.float64).sum(0).numpy() > 0.5
        orbits = sorted({tuple(np.flatnonzero(m[:, x])) for x in range(rep.dim)})
        basis = np.zeros((rep.dim, len(orbits)))
        for j, orbit in enumerate(orbits):
            basis[list(orbit), j] = 1.0 / np.sqrt(len(orbit))
        return basis
    cols, i = [], 0
    for ir in rep.irreps:
        if ir.is_trivial():
            cols.append(rep.change_of_basis[:, i])
        i += ir.dim
    if not cols:
        return np.zeros((rep.dim, 0))
    return np.stack(cols, 1)


def trivial_subspace(rep: Representation) -> np.ndarray:
    """Orthonormal basis ``(d, t)`` of the vectors fixed by every ``rho(g)`` (the trivial isotypic
    component): the normalised orbit indicators of a permutation representation, otherwise the columns
    of the change of basis that belong to trivial irreps."""
    return _trivial_subspace(rep)


class FieldGroups(nn.Module):
    """The fields of a type grouped by dimension.

    For every distinct field dimension ``d`` (in order of first appearance) it stores the channel
    indices of its ``m_d`` fields, so ``x[:, idx].view(N, m_d, d, H, W)`` holds all of them; ``merge``
    puts per-group results back in the declared channel order. When all fields share one dimension,
    no gather is needed and the groups are plain reshapes.

    Attributes
    ----------
    dims:
        The distinct field dimensions ``d``.
    fields:
        For each ``d``, the indices (in the field type) of its fields.
    channel_field:
        Buffer ``(C,)``: the field each channel belongs to.
    """

    def __init__(self, ftype: FieldType):
        super().__init__()
        dims: list[int] = []
        fields: list[list[int]] = []
        for i, r in enumerate(ftype.representations):
            if r.dim not in dims:
                dims.append(r.dim)
                fields.append([])
            fields[dims.index(r.dim)].append(i)
        self.dims = tuple(dims)
        self.fields = tuple(tuple(f) for f in fields)
        self.size = ftype.size
        self.single = len(dims) == 1
        slices = ftype.field_slices()
        order = []
        for group in fields:
            for i in group:
                order.extend(range(slices[i].start, slices[i].stop))
        order_t = torch.tensor(order, dtype=torch.long)
        # fields already grouped by dimension in declared order: split and merge are slices, no gathers
        self.in_order = order == list(range(len(order)))
        self.register_buffer("order", order_t, persistent=False)
        self.register_buffer("inverse_order", torch.argsort(order_t), persistent=False)
        self.offsets = tuple(int(x) for x in np.cumsum([0] + [d * len(f) for d, f in zip(dims, fields)]))
        field_order = torch.tensor([i for f in fields for i in f], dtype=torch.long)
        self.register_buffer("field_inverse_order", torch.argsort(field_order), persistent=False)
        for k, f in enumerate(fields):
            self.register_buffer(f"fields_{k}", torch.tensor(f, dtype=torch.long), persistent=False)
        channel_field = torch.cat(
            [torch.full((r.dim,), i, dtype=torch.long) for i, r in enumerate(ftype.representations)]
        )
        self.register_buffer("channel_field", channel_field, persistent=False)
        self.n_fields = len(ftype)

    def split(self, x: torch.Tensor) -> list[torch.Tensor]:
        """``(N, C, H, W) -> [(N, m_d, d, H, W) for each d]`` (trailing dimensions kept)."""
        n, rest = x.shape[0], x.shape[2:]
        if not self.in_order:
            x = x.index_select(1, self.order)
        return [
            x[:, a:b].reshape((n, len(f), d) + rest)
            for d, f, a, b in zip(self.dims, self.fields, self.offsets[:-1], self.offsets[1:])
        ]

    def merge(self, parts: list[torch.Tensor]) -> torch.Tensor:
        """Inverse of :meth:`split` for outputs with the same field dimensions."""
        # flatten, not reshape to (n, -1, ...): -1 is ambiguous for an empty batch
        flat = [p.flatten(1, 2) for p in parts]
        x = flat[0] if self.single else torch.cat(flat, 1)
        return x if self.in_order else x.index_select(1, self.inverse_order)

    def merge_fields(self, parts: list[torch.Tensor]) -> torch.Tensor:
        """Per-field results ``[(N, m_d, ...)]`` back to the declared field order ``(N, F, ...)``."""
        if self.single:
            return parts[0]
        merged = torch.cat(parts, 1)
        return merged if self.in_order else merged.index_select(1, self.field_inverse_order)

    def per_group(self, values: torch.Tensor) -> list[torch.Tensor]:
        """Per-field values ``(F, ...)`` in declared order -> ``[(m_d, ...) for each d]``."""
        if self.single:
            return [values]
        return [values.index_select(0, getattr(self, f"fields_{k}")) for k in range(len(self.dims))]


def plain_data(value: object) -> object:
    """``value`` as plain data that ``torch.load(..., weights_only=True)`` reads back: ``None``, bool, int,
    float and str as they are, numpy scalars as Python scalars, sequences as tuples, mappings as dicts
    with sorted keys, functions by their qualified name, anything else as its ``repr``."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, list)):
        return tuple(plain_data(v) for v in value)
    if isinstance(value, dict):
        return {str(k): plain_data(value[k]) for k in sorted(value, key=str)}
    if callable(value) and hasattr(value, "__qualname__"):
        # a function by its name: its repr holds an address that differs from process to process
        return f"{getattr(value, '__module__', '')}.{value.__qualname__}"
    return repr(value)


def refuse_script(module: nn.Module) -> nn.Module:
    """``__prepare_scriptable__`` of groupconv's layers: ``torch.jit.script`` cannot type the group and
    representation objects a layer holds, so it fails with one clear error instead of TorchScript's."""
    raise TypeError(
        f"{type(module).__name__} cannot be compiled by torch.jit.script (groupconv layers hold group and "
        "representation objects and check their inputs in Python, which TorchScript cannot type); use "
        "torch.jit.trace(model, example_input) or torch.compile(model), or script "
        "groupconv.nn.export(model), a plain torch module with the same outputs"
    )


class LegacyStateWarning(UserWarning):
    """A ``state_dict`` saved without a layer description was loaded unchecked."""


class DescribedState:
    """Mixin for ``nn.Module`` layers whose parameters only mean something for the layer they were
    learned by: the ``state_dict`` carries a plain-data description of the layer (``_extra_state``:
    group, field types, kernel size, basis options, ...), and loading it into a layer with another
    description fails, naming both, before any parameter is copied. Parameters of equal shapes from
    another group or basis would otherwise load and compute a different map without any error.

    Subclasses implement :meth:`state_description` (plain data: str, int, float, bool, tuples, dicts, so
    that ``torch.load(..., weights_only=True)`` reads it). A ``state_dict`` without the description
    (saved by groupconv 0.1, before layers carried one) loads as before, also with ``strict=True``, with a
    :class:`LegacyStateWarning`. List the mixin before
    ``nn.Module`` among the bases: ``class Layer(DescribedState, nn.Module)``.
    """

    __prepare_scriptable__ = refuse_script

    def state_description(self) -> dict[str, object]:  # pragma: no cover - abstract
        """What the parameters of this layer mean, as a dict of plain data."""
        raise NotImplementedError

    def _full_description(self) -> dict[str, object]:
        return {"layer": type(self).__name__, **plain_data(self.state_description())}

    def get_extra_state(self) -> dict[str, object]:
        return self._full_description()

    def set_extra_state(self, state: object) -> None:
        # validated in _load_from_state_dict, before the parameters are copied
        pass

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ):
        key = prefix + "_extra_state"
        if key in state_dict:
            saved, own = state_dict[key], self._full_description()
            if saved != own:
                error_msgs.append(_describe_mismatch(type(self).__name__, saved, own))
                return
        elif any(k.startswith(prefix) for k in state_dict):
            warnings.warn(
                f"{type(self).__name__} at '{prefix.rstrip('.') or '(root)'}': the state_dict has no layer "
                "description (saved by groupconv 0.1), so its parameters are loaded without checking the "
                "group, field types and basis they were learned for; since 0.2 the bases of fields that "
                "mix permutation (regular, quotient) and other representations differ, and such weights "
                "compute other filters. Save the state_dict again to include the description.",
                LegacyStateWarning,
                stacklevel=2,
            )
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )
        if key not in state_dict and key in missing_keys:
            missing_keys.remove(key)


def _describe_mismatch(layer: str, saved: object, own: dict) -> str:
    if not isinstance(saved, dict):
        return f"{layer}: the state_dict's layer description must be a dict, got {type(saved).__name__}"
    keys = list(own) + [k for k in saved if k not in own]
    diffs = [
        f"{k}: saved {saved.get(k, '<absent>')!r}, this layer {own.get(k, '<absent>')!r}"
        for k in keys
        if saved.get(k, "<absent>") != own.get(k, "<absent>")
    ]
    return (
        f"{layer}: the state_dict was saved from another layer, its parameters would compute a different "
        f"map here ({'; '.join(diffs)})"
    )


class EquivariantModule(nn.Module):
    """Base class of groupconv's typed layers: ``in_type`` and ``out_type`` (FieldTypes), input
    validation and :meth:`export` to plain torch modules."""

    in_type: FieldType
    out_type: FieldType
    #: The field representations the layer treats exactly: ``"any"`` (every orthogonal representation)
    #: or ``"permutation"`` (regular, quotient, permutation and trivial representations).
    accepts: str = "any"
    __prepare_scriptable__ = refuse_script

    def register_derived(self, name: str, value: torch.Tensor) -> None:
        """Register a non-persistent buffer computed in float64. Casts (``.float()``, ``.double()``,
        ``.to(device)``) re-derive it from the float64 original, so ``module.float().double()`` gives
        back the float64 values, not float32 ones widened."""
        if "_derived" not in self.__dict__:
            self._derived: dict[str, torch.Tensor] = {}
        source = value.detach().to(device="cpu", dtype=torch.float64)
        self._derived[name] = source
        self.register_buffer(name, source.to(torch.get_default_dtype()), persistent=False)

    def _apply(self, fn, recurse: bool = True):
        super()._apply(fn, recurse)
        for name, source in self.__dict__.get("_derived", {}).items():
            current = self._buffers[name]
            self._buffers[name] = source.to(device=current.device, dtype=current.dtype)
        return self

    def check_input(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor(x, self.in_type, type(self).__name__)
        for p in self.parameters(recurse=False):
            if p.dtype != x.dtype:
                if x.dtype == autocast_dtype(x):
                    # a layer with parameters computes in their dtype under autocast, as torch's norms do
                    return x.to(p.dtype)
                raise TypeError(
                    f"{type(self).__name__}: input dtype {x.dtype} does not match the layer's dtype {p.dtype}; "
                    "cast the input or the layer (nothing is down-cast silently)"
                )
        return x

    def export(self) -> nn.Module:  # pragma: no cover - abstract
        """A plain torch module computing the same map (inference mode)."""
        raise NotImplementedError

    def extra_repr(self) -> str:
        if self.in_type == self.out_type:
            return f"type={self.in_type!r}"
        return f"in_type={self.in_type!r}, out_type={self.out_type!r}"
