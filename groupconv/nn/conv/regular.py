"""Lifting and group convolutions: regular fields of ``C_n`` and ``D_n`` (Cohen & Welling, ICML 2016).

A lifting convolution maps scalar (trivial) fields to regular fields, a group convolution regular fields
to regular fields. Both are built from field types, like every layer of :mod:`groupconv.nn`; the
classmethod ``from_channels(group, in_channels, out_channels, kernel_size, ...)`` builds them from
channel counts. For the groups that permute the pixel grid (``C_2, C_4, D_2, D_4``) the filter is
expanded by ONE gather from a precomputed index map (eqs. 10-11 of the paper); for other ``C_n`` / ``D_n``
through a steerable basis (:mod:`groupconv.nn.conv.steerable`).

>>> import torch
>>> from groupconv.groups import Cyclic
>>> conv = GroupConv2d.from_channels(Cyclic(4), 2, 3, 3, padding=1)
>>> conv.in_type, conv.out_type
(C4[2 x regular], C4[3 x regular])
>>> conv(torch.randn(1, 8, 6, 6)).shape
torch.Size([1, 12, 6, 6])
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ...groups.actions import acts_on_grid, grid_permutation
from ...groups.base import FiniteGroup, Group
from ...groups.planar import Cyclic, Dihedral
from ...kernels import KernelSpec
from ...proofs import certify_index_map
from ...reps.operations import regular, trivial
from ...utils.deprecation import accepts_channel_counts
from ...utils.memory import check_memory
from ..field_type import FieldType
from ..module import Certificate
from .base import EquivariantConv2d
from .steerable import build_expansion, certify_expansion, check_basis_options, check_types, resolve_basis

__all__ = ["LiftingConv2d", "GroupConv2d"]


def _check_channels(v, name):
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
        raise ValueError(f"{name} must be a positive int, got {v!r}")
    return int(v)


def _channels_signature(
    group,
    in_channels,
    out_channels,
    kernel_size,
    stride=1,
    padding=0,
    dilation=1,
    bias=True,
    basis=None,
    **basis_options,
):
    """The constructor signature of groupconv 0.2, deprecated: ``(group, in_channels, out_channels, ...)``."""


def _is_channel_call(args: tuple, kwargs: dict) -> bool:
    first = args[0] if args else kwargs.get("in_type")
    return isinstance(first, Group) or "group" in kwargs or "in_channels" in kwargs


def _from_channel_call(cls, a: dict) -> tuple[tuple, dict]:
    in_type, out_type = cls._types(a["group"], a["in_channels"], a["out_channels"])
    geometry = {key: a[key] for key in ("stride", "padding", "dilation", "bias", "basis")}
    return (in_type, out_type, a["kernel_size"]), {**geometry, **a["basis_options"]}


class _RegularConv(EquivariantConv2d):
    """Shared code of the lifting and group convolutions (:class:`LiftingConv2d`, :class:`GroupConv2d`,
    and their volumetric counterparts): a subclass sets ``lifting``, ``spatial_dims``, the grid's name
    for the error messages, the steerable layer of its dimension and :meth:`check_group`."""

    lifting: bool
    #: the grid the index map permutes, named with the groups that permute it (error messages)
    grid_name = "pixel grid (C1, C2, C4, D1, D2, D4)"
    #: the layer that takes the other field types
    steerable_name = "SteerableConv2d"

    @accepts_channel_counts(_channels_signature, _is_channel_call, _from_channel_call)
    def __init__(
        self,
        in_type: FieldType,
        out_type: FieldType,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        bias: bool = True,
        basis: str | None = None,
        **basis_options,
    ):
        super().__init__()
        self._check_regular_types(in_type, out_type)
        group = in_type.group
        self._setup(in_type, out_type, kernel_size, stride, padding, dilation, 1)
        self.group = group
        self.in_channels, self.out_channels = len(in_type), len(out_type)
        on_grid = acts_on_grid(group, self.spatial_dims)
        if basis is None:
            basis = "index" if on_grid else "gaussian"
        if basis == "index" and not on_grid:
            raise ValueError(
                f"the index-map expansion needs a group permuting the {self.grid_name}, got {group}; use "
                "basis='gaussian' or 'bessel'"
            )
        if not isinstance(basis, KernelSpec) and basis not in ("index", "gaussian", "bessel", "exact"):
            raise ValueError(
                f"basis must be 'index', 'gaussian', 'bessel', 'exact' or a KernelSpec, got {basis!r}"
            )
        k = self.kernel_size
        n = group.order
        c_in, c_out = self.in_channels, self.out_channels
        if basis == "index":
            check_basis_options(type(self).__name__, basis, basis_options)
            self.basis_kind, self.basis_options = basis, {}
            self._expansion = None
            grid = (k,) * self.spatial_dims
            shape = (c_out, c_in) + grid if self.lifting else (c_out, c_in, n) + grid
            self.weight = nn.Parameter(torch.empty(shape))
            self.register_buffer("weight_index", torch.as_tensor(self._index_map()), persistent=False)
        else:
            self.basis_kind, spec, method, self.basis_options = resolve_basis(
                type(self).__name__, basis, basis_options
            )
            self.weight = nn.Parameter(torch.empty(self._basis_weight_shape(spec, method)))
        if bias:
            self.bias = nn.Parameter(torch.zeros(c_out))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _basis_weight_shape(self, spec: KernelSpec | None, method: str) -> tuple[int, ...]:
        """Build the expansion through a basis (the layer's plan) and return the weight's shape."""
        self._expansion = build_expansion(self, spec, method)
        return (self._expansion.num_params,)

    @classmethod
    def from_channels(
        cls, group: Group, in_channels: int, out_channels: int, kernel_size, *args, **kwargs
    ) -> _RegularConv:
        """The layer from ``in_channels`` trivial (lifting) or regular (group convolution) fields of
        ``group`` (``C_n`` or ``D_n`` on the plane) to ``out_channels`` regular fields; the other arguments
        as for the constructor (``stride``, ``padding``, ``dilation``, ``bias``, ``basis``, basis
        options)."""
        in_type, out_type = cls._types(group, in_channels, out_channels)
        return cls(in_type, out_type, kernel_size, *args, **kwargs)

    @classmethod
    def check_group(cls, group) -> FiniteGroup:
        """``group`` if the layer is built for it, else a ``TypeError`` naming the groups it takes."""
        if not isinstance(group, (Cyclic, Dihedral)):
            raise TypeError(f"lifting and group convolutions are built for C_n and D_n, got {group!r}")
        return group

    @classmethod
    def _types(cls, group, in_channels, out_channels) -> tuple[FieldType, FieldType]:
        group = cls.check_group(group)
        in_channels = _check_channels(in_channels, "in_channels")
        out_channels = _check_channels(out_channels, "out_channels")
        reg = regular(group)
        in_rep = trivial(group) if cls.lifting else reg
        return FieldType(group, [in_rep] * in_channels), FieldType(group, [reg] * out_channels)

    def _check_regular_types(self, in_type: FieldType, out_type: FieldType) -> None:
        check_types(in_type, out_type)
        group = self.check_group(in_type.group)
        name = type(self).__name__
        want = "trivial" if self.lifting else "regular"
        rep_in = trivial(group) if self.lifting else regular(group)
        if any(not (r == rep_in) for r in in_type.representations):
            raise ValueError(
                f"{name} maps {want} fields to regular fields: in_type must hold only {want} fields of {group}, "
                f"got {in_type!r} (use {self.steerable_name} for other representations)"
            )
        if any(not (r == regular(group)) for r in out_type.representations):
            raise ValueError(
                f"{name} maps {want} fields to regular fields: out_type must hold only regular fields of "
                f"{group}, got {out_type!r} (use {self.steerable_name} for other representations)"
            )

    def _index_map(self) -> np.ndarray:
        group, k = self.group, self.kernel_size
        n, c_in, c_out = group.order, self.in_channels, self.out_channels
        grid = (k,) * self.spatial_dims
        k2 = k**self.spatial_dims
        # int64 indices of every filter entry, and the broadcast temporaries of the same size
        check_memory(
            24 * c_out * n * c_in * (1 if self.lifting else n) * k2,
            f"the index map of a {'x'.join(map(str, grid))} {type(self).__name__} on {group} with {c_in} -> "
            f"{c_out} channels",
            "use fewer channels or a smaller kernel_size",
        )
        perms = np.stack([grid_permutation(group, g, *grid) for g in range(n)])  # (n, k^d)
        c = np.arange(c_out)[:, None, None, None, None]
        g = np.arange(n)[None, :, None, None, None]
        d = np.arange(c_in)[None, None, :, None, None]
        p = perms[None, :, None, None, :]
        if self.lifting:
            # W[c, g, d, p] = theta[c, d, g^-1 p]
            idx = (c * c_in + d) * k2 + p
            return idx[:, :, :, 0].reshape((c_out * n, c_in) + grid)
        inv = group.inverse_table_np
        table = group.cayley_table_np
        h = np.arange(n)[None, None, None, :, None]
        # W[c, g, d, h, p] = theta[c, d, g^-1 h, g^-1 p]
        rel = table[inv[np.arange(n)][:, None], np.arange(n)[None, :]]  # (g, h) -> g^-1 h
        idx = ((c * c_in + d) * n + rel[g[..., 0], h[..., 0]][..., None]) * k2 + p
        return idx.reshape((c_out * n, c_in * n) + grid)

    def expand_filter(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        if self._expansion is None:
            w = self.weight.reshape(-1)[self.weight_index]
        else:
            w = self._expansion.expand(self, self.weight)
        b = None if self.bias is None else self.bias.repeat_interleave(self.group.order)
        return w, b

    def certificate(self) -> Certificate:
        """The exact proof of the expansion: the index map satisfies the constraint for the generators
        (:func:`groupconv.proofs.certify_index_map`), or the basis is proved
        (:func:`~groupconv.nn.conv.steerable.certify_expansion`)."""
        if self._expansion is not None:
            return certify_expansion(self)

        def expand(theta):
            return theta.reshape(-1)[self.weight_index.cpu()]

        ok, reason = certify_index_map(
            expand, self.weight.numel(), self.group, self.in_type.representation, self.out_type.representation
        )
        return Certificate("proved" if ok else "failed", reason)


class LiftingConv2d(_RegularConv):
    """Lifting convolution: scalar fields on the plane to regular fields (functions on ``G``).

    .. math::  y_c(x, g) = \\sum_{d} \\sum_{u} \\theta_{c d}(g^{-1} u) \\, x_d(x + u)

    (Cohen & Welling, *Group equivariant CNNs*, ICML 2016, eq. 10). Output channel ``c * |G| + g`` holds
    the response of the filter transformed by ``g``. For ``C_2, C_4, D_2, D_4`` the filter is expanded by
    one gather; for other ``C_n`` / ``D_n`` through a steerable basis (``basis="gaussian"`` or
    ``"bessel"``; the rotated filter is then the steerable interpolation of the learned one).

    Parameters
    ----------
    in_type, out_type:
        Trivial fields and regular fields of one group ``C_n`` or ``D_n``; :meth:`from_channels` builds
        them from channel counts.
    kernel_size:
        Odd ``k`` (or ``(k, k)``).
    stride, padding, dilation:
        As in :class:`torch.nn.Conv2d`.
    bias:
        One learned bias per output field (constant over the group).
    basis:
        ``"index"`` (the default on ``C_2, C_4, D_2, D_4``: one gather), ``"gaussian"`` (the default
        otherwise), ``"bessel"`` or ``"exact"``.
    **basis_options:
        As for :class:`~groupconv.nn.SteerableConv2d`.

    Examples
    --------
    >>> import torch
    >>> from groupconv.groups import Cyclic
    >>> from groupconv.nn import LiftingConv2d
    >>> conv = LiftingConv2d.from_channels(Cyclic(4), 3, 8, 3, padding=1)
    >>> conv(torch.randn(2, 3, 12, 12)).shape
    torch.Size([2, 32, 12, 12])
    >>> LiftingConv2d(conv.in_type, conv.out_type, 3, padding=1).weight.shape == conv.weight.shape
    True
    """

    lifting = True


class GroupConv2d(_RegularConv):
    """Group convolution between regular fields.

    .. math::  y_c(x, g) = \\sum_{d, h} \\sum_{u} \\theta_{c d}(g^{-1} h, g^{-1} u) \\, x_d(x + u, h)

    (Cohen & Welling, ICML 2016, eq. 11). Channel ``c * |G| + g`` is the value at ``g`` of regular field
    ``c``. For ``C_2, C_4, D_2, D_4`` the filter is expanded by one gather; for other ``C_n`` / ``D_n``
    through a steerable basis.

    Parameters
    ----------
    in_type, out_type:
        Regular fields of one group ``C_n`` or ``D_n``; :meth:`from_channels` builds them from channel
        counts.
    kernel_size, stride, padding, dilation, bias, basis, **basis_options:
        As for :class:`LiftingConv2d`.

    Examples
    --------
    >>> import torch
    >>> from groupconv.groups import Dihedral
    >>> from groupconv.nn import GroupConv2d
    >>> conv = GroupConv2d.from_channels(Dihedral(4), 2, 3, 3, padding=1)
    >>> conv(torch.randn(1, 16, 10, 10)).shape
    torch.Size([1, 24, 10, 10])
    """

    lifting = False
