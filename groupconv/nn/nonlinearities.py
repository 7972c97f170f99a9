"""Equivariant nonlinearities for feature fields on the plane and in space.

A nonlinearity ``sigma`` acting at each pixel is equivariant when it commutes with every fiber action,
``sigma(rho(g) f(x)) = rho(g) sigma(f(x))``; the spatial part of the action then commutes with it for
free. Which ``sigma`` qualify depends on ``rho`` (Weiler & Cesa, NeurIPS 2019, "General E(2)-Equivariant
Steerable CNNs", Sec. 2.6 and App. C):

============================  ===================================  =====================================
module                        accepts                              map at each pixel, per field ``f``
============================  ===================================  =====================================
:class:`PointwiseNonlinearity`  permutation representations        ``sigma(f)`` entrywise
                              (regular, quotient, trivial)
:class:`NormNonlinearity`     any (orthogonal) representation      ``phi(|f| + b) f / |f|``
:class:`GatedNonlinearity`    any; gates are trivial fields        ``sigmoid(s) f``
:class:`ModulusNonlinearity`  any                                  ``|f|`` (a trivial field)
============================  ===================================  =====================================

Norm-based and gated maps commute with every orthogonal ``rho(g)``, so they are equivariant for continuous
groups (SO(2), O(2), SO(3), O(3)) as well as finite ones. Each acts at every point alike, so the same
layer acts on volumes ``(batch, C, D, H, W)`` with the keyword ``spatial_dims=3`` (the default, 2, takes
images ``(batch, C, H, W)``), with the same numerics and the same export.

>>> import torch
>>> from groupconv.groups import Dihedral
>>> from groupconv.nn import FieldType
>>> from groupconv.reps import irrep
>>> D4 = Dihedral(4)
>>> t = FieldType(D4, [irrep(D4, 1, 1)] * 3)
>>> norm_relu = NormNonlinearity(t)
>>> x = torch.randn(2, 6, 5, 5)
>>> torch.allclose(norm_relu(t.transform(x, 3)), t.transform(norm_relu(x), 3))
True
>>> ReLU(t)
Traceback (most recent call last):
...
ValueError: ReLU needs fields whose representation permutes the channels (regular, quotient, permutation or trivial), so that it commutes with entrywise maps; 3 field(s) of D4[3 x irrep(1,1)] are not (field 0: D4[irrep(1,1)], field 1: D4[irrep(1,1)], field 2: D4[irrep(1,1)]); use NormNonlinearity or GatedNonlinearity for them
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
from torch import nn

from ..proofs import certify_permutation_fields
from ..reps.operations import trivial
from ._fields import FieldGroups, check_field_type, is_permutation_representation
from .field_type import FieldType
from .module import Certificate, DescribedState, EquivariantModule, check_spatial_dims
from .plain import (
    _GATE_FUNCTIONS,
    _NORM_FUNCTIONS,
    Elementwise,
    FieldNorms,
    Gate,
    NormActivation,
    _gate,
    _norm_activation,
    field_norm,
    field_norms,
    gate_runs,
)

__all__ = [
    "PointwiseNonlinearity",
    "ReLU",
    "ELU",
    "NormNonlinearity",
    "GatedNonlinearity",
    "ModulusNonlinearity",
    "Elementwise",
    "NormActivation",
    "Gate",
    "FieldNorms",
    "field_norm",
    "field_norms",
]

_POINTWISE: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "softplus": nn.Softplus,
    "leaky_relu": nn.LeakyReLU,
}


def _non_permutation_fields(ftype: FieldType) -> list[int]:
    return [i for i, r in enumerate(ftype.representations) if not is_permutation_representation(r)]


def require_permutation_fields(ftype: FieldType, layer: str, alternative: str) -> None:
    """Raise a ValueError naming the fields of ``ftype`` whose representation is not a permutation
    representation (``layer`` needs them all to be)."""
    bad = _non_permutation_fields(ftype)
    if bad:
        shown = ", ".join(f"field {i}: {ftype.representations[i]!r}" for i in bad[:4])
        raise ValueError(
            f"{layer} needs fields whose representation permutes the channels (regular, quotient, "
            f"permutation or trivial), so that it commutes with entrywise maps; {len(bad)} field(s) of "
            f"{ftype!r} are not ({shown}); use {alternative} for them"
        )


def permutation_certificate(ftype: FieldType) -> Certificate:
    """The certificate of a layer that is equivariant because the fields of ``ftype`` transform by
    permutation matrices: ``proved`` or ``failed`` by the exact check of every generator."""
    proved, reason = certify_permutation_fields(ftype)
    return Certificate("proved" if proved else "failed", reason)


def _pointwise_bounds(fn: nn.Module) -> tuple[float | None, float | None]:
    if isinstance(fn, (nn.ReLU, nn.Tanh)):
        return 0.0, 1.0
    if isinstance(fn, nn.LeakyReLU) and 0 <= fn.negative_slope <= 1:
        return min(1.0, fn.negative_slope**2), 1.0
    if isinstance(fn, nn.ELU) and 0 <= fn.alpha <= 1:
        return 0.0, 1.0
    return None, None


class PointwiseNonlinearity(EquivariantModule):
    """An entrywise nonlinearity on fields whose representation permutes channels.

    .. math::  y_c(x) = \\sigma\\big(f_c(x)\\big), \\qquad
               \\sigma(P_g f) = P_g \\sigma(f) \\text{ for every permutation matrix } P_g,

    so it is exactly equivariant for regular, quotient and trivial fields of any finite group
    (Cohen & Welling, ICML 2016, "Group Equivariant Convolutional Networks", Sec. 6.3). Other fields
    raise a ValueError at construction; use :class:`NormNonlinearity` or :class:`GatedNonlinearity`.

    Parameters
    ----------
    in_type:
        The field type (also the output type).
    function:
        A name (``"relu"``, ``"elu"``, ``"gelu"``, ``"silu"``, ``"tanh"``, ``"sigmoid"``, ``"softplus"``,
        ``"leaky_relu"``), an entrywise ``nn.Module`` without per-channel parameters, or a callable.
    spatial_dims:
        2 for images ``(batch, C, H, W)``, 3 for volumes ``(batch, C, D, H, W)``.
    """

    accepts = "permutation"

    def __init__(
        self, in_type: FieldType, function: str | nn.Module | Callable = "relu", spatial_dims: int = 2
    ):
        super().__init__()
        self.in_type = self.out_type = check_field_type(in_type)
        self.spatial_dims = check_spatial_dims(spatial_dims, type(self).__name__)
        require_permutation_fields(in_type, type(self).__name__, "NormNonlinearity or GatedNonlinearity")
        if isinstance(function, str):
            if function not in _POINTWISE:
                raise ValueError(f"unknown pointwise function {function!r}; known: {sorted(_POINTWISE)}")
            module = _POINTWISE[function]()
        elif isinstance(function, nn.Module):
            sizes = [p.numel() for p in function.parameters()]
            if any(s > 1 for s in sizes):
                raise ValueError(
                    f"the pointwise function {type(function).__name__} has per-channel parameters (sizes "
                    f"{sizes}), which would break equivariance; give it one shared parameter"
                )
            module = function
        elif callable(function):
            module = Elementwise(function)
        else:
            raise TypeError(
                f"function must be a name, an nn.Module or a callable, got {type(function).__name__}"
            )
        self.function = module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.function(self.check_input(x))

    def frame_bounds(self) -> tuple[float | None, float | None]:
        """``(0, 1)`` for ReLU, tanh and ELU with ``alpha <= 1``; ``(a^2, 1)`` for leaky ReLU."""
        return _pointwise_bounds(self.function)

    def certificate(self) -> Certificate:
        """Proved when every field transforms by permutation matrices, exactly
        (:func:`~groupconv.proofs.certify_permutation_fields`): they commute with entrywise maps."""
        return permutation_certificate(self.in_type)

    def export(self) -> nn.Module:
        return copy.deepcopy(self.function)


class ReLU(PointwiseNonlinearity):
    """Entrywise ReLU on permutation-representation fields (see :class:`PointwiseNonlinearity`)."""

    def __init__(self, in_type: FieldType, spatial_dims: int = 2):
        super().__init__(in_type, "relu", spatial_dims)


class ELU(PointwiseNonlinearity):
    """Entrywise ELU on permutation-representation fields (see :class:`PointwiseNonlinearity`)."""

    def __init__(self, in_type: FieldType, alpha: float = 1.0, spatial_dims: int = 2):
        super().__init__(in_type, nn.ELU(alpha=alpha), spatial_dims)


class NormNonlinearity(DescribedState, EquivariantModule):
    """Norm nonlinearity: rescale every field by a function of its norm.

    .. math::  y(x) = \\phi\\big(|f(x)| + b\\big) \\, \\frac{f(x)}{|f(x)|}

    with a learned bias ``b`` per field (Worrall et al., CVPR 2017, "Harmonic Networks", Eq. 6, for
    ``phi = relu``; Sabour et al., NeurIPS 2017, "Dynamic Routing Between Capsules", Eq. 1, for the
    squash ``phi(t) = t^2 / (1 + t^2)``). Since ``|rho(g) f| = |f|`` for orthogonal ``rho``, it is
    equivariant for every representation, finite or continuous group. A zero field stays zero.

    Parameters
    ----------
    in_type:
        The field type (also the output type).
    function:
        ``"relu"`` (norm-ReLU), ``"squash"`` or ``"sigmoid"``.
    bias:
        Learn ``b`` (initialised to ``bias_init``); default True except for ``"squash"``.
    spatial_dims:
        2 for images ``(batch, C, H, W)``, 3 for volumes ``(batch, C, D, H, W)``.
    """

    def __init__(
        self,
        in_type: FieldType,
        function: str = "relu",
        bias: bool | None = None,
        bias_init: float = 0.0,
        spatial_dims: int = 2,
    ):
        super().__init__()
        self.in_type = self.out_type = check_field_type(in_type)
        self.spatial_dims = check_spatial_dims(spatial_dims, type(self).__name__)
        if function not in _NORM_FUNCTIONS:
            raise ValueError(f"unknown norm function {function!r}; known: {sorted(_NORM_FUNCTIONS)}")
        self.function = function
        self.groups = FieldGroups(in_type)
        use_bias = function != "squash" if bias is None else bool(bias)
        if use_bias:
            self.bias = nn.Parameter(torch.full((len(in_type),), float(bias_init)))
        else:
            self.register_parameter("bias", None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _norm_activation(self.check_input(x), self.groups, self.bias, self.function)

    def state_description(self) -> dict[str, object]:
        """What the biases mean (see :class:`~groupconv.nn.DescribedState`): one per field of the
        type, added to the norm before ``function``."""
        return {"group": repr(self.in_type.group), "in_type": repr(self.in_type), "function": self.function}

    def frame_bounds(self) -> tuple[float | None, float | None]:
        """``(0, 1)`` for relu and squash when every bias is ``<= 0`` (then ``phi(|f|+b) <= |f|``)."""
        if self.function == "sigmoid":
            return None, None
        if self.bias is None or bool((self.bias <= 0).all()):
            return 0.0, 1.0
        return 0.0, None

    def export(self) -> nn.Module:
        return NormActivation(copy.deepcopy(self.groups), self.bias, self.function)


class GatedNonlinearity(EquivariantModule):
    """Gated nonlinearity: each gated field is multiplied by the sigmoid of its own scalar gate.

    .. math::  y_i(x) = \\sigma\\big(s_i(x)\\big) \\, f_i(x), \\qquad i = 1, \\dots, k,

    where the gates ``s_i`` are trivial (invariant) fields, so ``sigma(s_i)`` commutes with every
    ``rho_i(g)`` (Weiler, Geiger, Welling, Boomsma & Cohen, NeurIPS 2018, "3D Steerable CNNs", Sec. 4.3).

    The input type is ``k`` trivial gate fields followed by the ``k`` gated fields (``in_type``); the
    output type is the gated fields (``out_type = gated``). The layer before it produces ``in_type``.

    Parameters
    ----------
    gated:
        The gated fields (any representations).
    function:
        ``"sigmoid"`` (default) or ``"tanh"``.
    spatial_dims:
        2 for images ``(batch, C, H, W)``, 3 for volumes ``(batch, C, D, H, W)``.
    """

    def __init__(self, gated: FieldType, function: str = "sigmoid", spatial_dims: int = 2):
        super().__init__()
        check_field_type(gated, "gated")
        self.spatial_dims = check_spatial_dims(spatial_dims, type(self).__name__)
        if function not in _GATE_FUNCTIONS:
            raise ValueError(f"unknown gate function {function!r}; known: {sorted(_GATE_FUNCTIONS)}")
        self.function = function
        gates = FieldType(gated.group, [trivial(gated.group)] * len(gated))
        self.gates_type = gates
        self.in_type = gates + gated
        self.out_type = gated
        self.n_gates = len(gated)
        self.register_buffer("channel_field", FieldGroups(gated).channel_field, persistent=False)
        self.runs = gate_runs(self.channel_field)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _gate(self.check_input(x), self.n_gates, self.runs, self.channel_field, self.function)

    def frame_bounds(self) -> tuple[float, float]:
        """``(0, 1)``: ``|sigma(s)| < 1`` and the gates' energy is dropped."""
        return 0.0, 1.0

    def export(self) -> nn.Module:
        return Gate(self.n_gates, self.channel_field, self.function)


class ModulusNonlinearity(EquivariantModule):
    """The norm of every field, an invariant (trivial) field.

    .. math::  y_i(x) = |f_i(x)| ,

    for a 2D field of complex type (a rotation irrep ``R(k theta)``) the complex modulus
    ``|f_1 + i f_2|``, as in the modulus of scattering transforms (Mallat, CPAM 2012, "Group Invariant
    Scattering", Sec. 2.2) and phase-collapse networks. It conserves energy: frame bounds ``(1, 1)``.
    ``spatial_dims``: 2 for images ``(batch, C, H, W)``, 3 for volumes ``(batch, C, D, H, W)``.
    """

    def __init__(self, in_type: FieldType, spatial_dims: int = 2):
        super().__init__()
        self.in_type = check_field_type(in_type)
        self.spatial_dims = check_spatial_dims(spatial_dims, type(self).__name__)
        self.out_type = FieldType(in_type.group, [trivial(in_type.group)] * len(in_type))
        self.groups = FieldGroups(in_type)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return field_norms(self.check_input(x), self.groups)

    def frame_bounds(self) -> tuple[float, float]:
        """``(1, 1)``: ``sum_i |f_i|^2 = |f|^2``."""
        return 1.0, 1.0

    def export(self) -> nn.Module:
        return FieldNorms(copy.deepcopy(self.groups))
