"""The base class of every groupconv layer.

:class:`EquivariantModule` is what a layer of groupconv is: a ``torch.nn.Module`` that carries the
types of its input and output (``in_type``, ``out_type``), checks its input against them, keeps the
tables it derives at construction (filter bases, Fourier matrices, quadrature weights) as non-persistent
buffers rebuilt from float64 masters on every dtype or device change
(:class:`~groupconv.utils.buffers.DerivedBuffers`), exports itself to plain torch modules, and states
how its equivariance is proved (:meth:`EquivariantModule.certificate`, a typed :class:`Certificate`
that :func:`groupconv.verify.certify` collects).

Layers whose parameters only mean something for the group, types and basis they were built with also
mix in :class:`DescribedState`: their ``state_dict`` carries that description, and loading it into a
layer built differently fails before any parameter is copied.

>>> import torch
>>> from groupconv.groups import Cyclic
>>> from groupconv.nn import EquivariantModule, FieldType, ReLU
>>> from groupconv.reps import regular
>>> t = FieldType(Cyclic(4), [regular(Cyclic(4))] * 2)
>>> relu = ReLU(t)
>>> isinstance(relu, EquivariantModule), relu.in_type == relu.out_type
(True, True)
>>> relu(torch.randn(1, 8, 5, 5)).shape
torch.Size([1, 8, 5, 5])
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..utils.buffers import DerivedBuffers
from .field_type import FieldType

__all__ = [
    "Certificate",
    "DescribedState",
    "EquivariantModule",
    "LegacyStateWarning",
    "check_spatial_dims",
    "check_tensor",
    "plain_data",
]

CERTIFICATE_STATUSES = ("proved", "failed", "not applicable")


@dataclass(frozen=True)
class Certificate:
    """How a layer's equivariance is proved, as :func:`groupconv.verify.certify` reports it.

    Attributes
    ----------
    status:
        ``"proved"`` (an exact computation shows the layer equivariant for every input),
        ``"failed"`` (the exact computation found a violation) or ``"not applicable"`` (no exact
        description: check the layer numerically).
    reason:
        What was proved or why nothing could be, in a sentence.
    residual:
        Where learned weights are checked against an exact basis, the numeric distance of the weights
        from its span (``None`` otherwise).

    Examples
    --------
    >>> Certificate("proved", "index map satisfies the constraint").passed
    True
    """

    status: str
    reason: str
    residual: float | None = None

    def __post_init__(self) -> None:
        if self.status not in CERTIFICATE_STATUSES:
            raise ValueError(f"Certificate status must be one of {CERTIFICATE_STATUSES}, got {self.status!r}")
        if not isinstance(self.reason, str):
            raise TypeError(f"Certificate reason must be a str, got {type(self.reason).__name__}")
        if self.residual is not None:
            object.__setattr__(self, "residual", float(self.residual))

    @property
    def passed(self) -> bool | None:
        """True when proved, False when failed, None when not applicable."""
        return {"proved": True, "failed": False}.get(self.status)


def autocast_dtype(x: torch.Tensor) -> torch.dtype | None:
    """The dtype that ``torch.autocast`` computes in on ``x``'s device; ``None`` where it is off."""
    device = x.device.type
    if torch.amp.is_autocast_available(device) and torch.is_autocast_enabled(device):
        return torch.get_autocast_dtype(device)
    return None


def check_tensor(x: object, ftype: FieldType, layer: str, spatial_dims: int = 2) -> torch.Tensor:
    """Validate a feature map ``(batch, C, *spatial)`` with ``spatial_dims`` spatial axes (2 on the plane,
    3 in space) of type ``ftype`` entering ``layer``."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{layer} takes a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{layer} takes a floating point tensor, got dtype {x.dtype}")
    if x.dim() != 2 + spatial_dims or x.shape[1] != ftype.size:
        axes = ("H", "W") if spatial_dims == 2 else ("D", "H", "W")[-spatial_dims:]
        raise ValueError(
            f"{layer} expects input of type {ftype!r}: shape (batch, {ftype.size}, {', '.join(axes)}), "
            f"got {tuple(x.shape)}"
        )
    return x


def check_spatial_dims(value: object, layer: str) -> int:
    """The ``spatial_dims`` argument of a field-wise layer: 2 (images ``(batch, C, H, W)``) or 3 (volumes
    ``(batch, C, D, H, W)``).

    >>> check_spatial_dims(3, "ReLU")
    3
    """
    if isinstance(value, bool) or value not in (2, 3):
        raise ValueError(
            f"{layer}: spatial_dims must be 2 (images, (batch, C, H, W)) or 3 (volumes, (batch, C, D, H, W)), "
            f"got {value!r}"
        )
    return int(value)


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
        "torch.jit.trace(model, example_input) or torch.compile(model); groupconv.nn.export(model) gives a "
        "plain torch module with the same outputs, which torch.jit.trace takes (its convolutions, batch norms "
        "and pointwise nonlinearities are torch's own modules)"
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


class EquivariantModule(DerivedBuffers, nn.Module):
    """Base class of every groupconv layer.

    A subclass sets ``in_type`` and ``out_type`` (the types of the fields it reads and writes) in its
    constructor and implements ``forward``; it may override :meth:`export` (a plain torch module with
    the same outputs), :meth:`certificate` (an exact proof of its equivariance) and ``spatial_dims``
    (the dimension of the space its fields live on: 2 for images, 3 for volumes). Tables derived at
    construction are registered with :meth:`register_derived` (float64 masters, non-persistent
    buffers re-derived on ``.to()``).

    Attributes
    ----------
    in_type, out_type:
        The field types of the input and output.
    accepts:
        The field representations the layer treats exactly: ``"any"`` (every orthogonal
        representation) or ``"permutation"`` (regular, quotient, permutation and trivial
        representations).
    spatial_dims:
        The number of spatial axes of the input: ``(batch, channels, *spatial)``.
    """

    in_type: FieldType
    out_type: FieldType
    accepts: str = "any"
    spatial_dims: int = 2
    __prepare_scriptable__ = refuse_script

    def check_input(self, x: torch.Tensor) -> torch.Tensor:
        """Check ``x`` against :attr:`in_type` (shape, floating dtype) and the layer's parameter dtype;
        under autocast, cast to the parameters' dtype as torch's own normalization layers do."""
        check_tensor(x, self.in_type, type(self).__name__, self.spatial_dims)
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

    def export(self) -> nn.Module:
        """A plain torch module computing the same map (inference mode)."""
        raise NotImplementedError(f"{type(self).__name__} does not export to a plain torch module")

    def certificate(self) -> Certificate:
        """An exact proof of the layer's equivariance, or why there is none. The base class has no exact
        description: ``not applicable``, check the layer numerically."""
        return Certificate(
            "not applicable", f"{type(self).__name__} has no exact description: check it numerically"
        )

    def extra_repr(self) -> str:
        dims = "" if self.spatial_dims == 2 else f", spatial_dims={self.spatial_dims}"
        if self.in_type == self.out_type:
            return f"type={self.in_type!r}{dims}"
        return f"in_type={self.in_type!r}, out_type={self.out_type!r}{dims}"
