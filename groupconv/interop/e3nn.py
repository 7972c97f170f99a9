"""Interoperability with e3nn (Geiger & Smidt, 2022): the change of basis between the two libraries' real
``SO(3)`` / ``O(3)`` irreps, for matrices, spherical-harmonic coefficients and features, and e3nn
``Irreps`` strings both ways.

The relation
------------
Both libraries use real spherical harmonics without the Condon-Shortley phase, "component" normalized and
indexed ``m = -l, ..., l``, but with different axes: groupconv's polar axis is z and its azimuth is
measured from x towards y (``Y_1(u) = sqrt 3 (y, z, x)``); e3nn's polar axis is y and its azimuth is
measured from z towards x (``Y_1(u) = sqrt 3 (x, y, z)``, hence e3nn's ``D^1(R) = R``). With the rotation

.. math::  A = \\begin{pmatrix} 0 & 0 & 1 \\\\ 1 & 0 & 0 \\\\ 0 & 1 & 0 \\end{pmatrix}, \\qquad
           A (x, y, z) = (z, x, y)

(by ``2 pi / 3`` about ``(1, 1, 1)``), e3nn's harmonics are groupconv's at the relabelled point,
``Y^{e3nn}_l(u) = Y_l(A u)``, so with ``Q_l = D^l(A)`` (groupconv's Wigner-D matrix of ``A``):

.. math::  Y^{e3nn}_l(u) = Q_l \\, Y_l(u), \\qquad
           D^{l}_{e3nn}(R) = D^l(A R A^\\top) = Q_l \\, D^l(R) \\, Q_l^\\top ,

for every rotation ``R``, and for ``O(3)`` ``e3nn.o3.Irrep(l, p).D_from_matrix(g) = Q_l
irrep(O3(), l, p)(g) Q_l^T`` (both map the inversion to ``p``). ``Q_1 = P^T`` for the permutation
``P (x, y, z) = (y, z, x)``. A feature ``x`` of groupconv's irrep is ``Q_l x`` in e3nn's basis; the
coefficients ``c`` of ``f = c . Y_l`` are ``Q_l c`` in e3nn's (``f = (Q_l c) . Y^{e3nn}_l``). Measured against
e3nn 0.6.0 for ``l <= 6`` on 200 random elements of ``O(3)``: agreement to ``3e-14`` (e3nn builds its tables
in torch's default dtype: set it to float64 for such a comparison).

Irreps strings: ``irrep(O3(), l, p)`` is e3nn's ``"{l}e"`` (``p = 1``) or ``"{l}o"`` (``p = -1``); an
``SO(3)`` irrep of degree ``l`` is written with the parity of the degree-``l`` harmonics, ``(-1)^l``
(``0e, 1o, 2e, ...``, e3nn's ``Irreps.spherical_harmonics``), and reading a string into ``SO(3)`` ignores
the parity. e3nn is not needed by this module (only to compare against it), and the core never imports
it.

Examples
--------
>>> import torch
>>> from groupconv.groups import SO3
>>> from groupconv.reps import irrep
>>> from groupconv.interop.e3nn import to_e3nn_basis
>>> R = SO3().sample(2, generator=torch.Generator().manual_seed(0))
>>> bool((to_e3nn_basis(1) @ irrep(SO3(), 1)(R) @ to_e3nn_basis(1).T - R).abs().max() < 1e-13)
True
"""

from __future__ import annotations

import functools
import re

import torch

from ..groups.base import Group
from ..groups.spatial import O3, SO3
from ..nn.field_type import FieldType
from ..reps import irrep
from ..reps.representation import Irrep, Representation

__all__ = [
    "E3NN_AXES",
    "to_e3nn_basis",
    "from_e3nn_basis",
    "to_e3nn_coefficients",
    "from_e3nn_coefficients",
    "e3nn_irreps",
    "field_type_from_e3nn",
    "to_e3nn_features",
    "from_e3nn_features",
]

# the rotation (x, y, z) -> (z, x, y) with Y_e3nn(u) = Y_groupconv(A u) (module docstring)
E3NN_AXES = torch.tensor([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=torch.float64)

_TERM = re.compile(r"^(?:(\d+)\s*x\s*)?(\d+)\s*([eo])$")


def _degree(l) -> int:
    if isinstance(l, bool) or not isinstance(l, int) or l < 0:
        raise ValueError(f"the degree l must be an int >= 0, got {l!r}")
    return l


@functools.lru_cache(maxsize=64)
def _basis(l: int) -> torch.Tensor:
    return irrep(SO3(), l)(E3NN_AXES)


def to_e3nn_basis(l: int) -> torch.Tensor:
    """``Q_l = D^l(A)``, the orthogonal ``(2l+1) x (2l+1)`` float64 matrix taking groupconv's degree-``l``
    basis to e3nn's: ``D^l_{e3nn}(R) = Q_l D^l(R) Q_l^T`` and ``Y^{e3nn}_l = Q_l Y_l`` (module docstring).

    Examples
    --------
    >>> from groupconv.interop.e3nn import to_e3nn_basis
    >>> to_e3nn_basis(1).round(decimals=12) + 0.0  # P^T, to rounding
    tensor([[0., 0., 1.],
            [1., 0., 0.],
            [0., 1., 0.]], dtype=torch.float64)
    """
    return _basis(_degree(l)).clone()


def from_e3nn_basis(l: int) -> torch.Tensor:
    """``Q_l^T``, the inverse of :func:`to_e3nn_basis`: ``D^l(R) = Q_l^T D^l_{e3nn}(R) Q_l``.

    Examples
    --------
    >>> import torch
    >>> from groupconv.interop.e3nn import from_e3nn_basis, to_e3nn_basis
    >>> bool((from_e3nn_basis(3) @ to_e3nn_basis(3) - torch.eye(7, dtype=torch.float64)).abs().max() < 1e-14)
    True
    """
    return _basis(_degree(l)).T.clone()


def _block_apply(x: torch.Tensor, degrees: list[int], dim: int, inverse: bool) -> torch.Tensor:
    """``x`` with the ``Q_l`` (``Q_l^T`` when ``inverse``) of each consecutive degree-``l`` block along ``dim``
    applied, in ``x``'s dtype and device."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"expected a torch.Tensor, got {type(x).__name__}")
    if not (x.is_floating_point() or x.is_complex()):
        raise TypeError(f"expected a floating-point tensor, got dtype {x.dtype}")
    size = sum(2 * l + 1 for l in degrees)
    if x.dim() == 0 or x.shape[dim] != size:
        raise ValueError(
            f"expected {size} components along dim {dim} (degrees {degrees}), got shape {tuple(x.shape)}"
        )
    moved = x.movedim(dim, -1)
    parts, start = [], 0
    for l in degrees:
        q = _basis(l).T if inverse else _basis(l)
        block = moved[..., start : start + 2 * l + 1]
        parts.append(block @ q.to(dtype=x.dtype, device=x.device).T)
        start += 2 * l + 1
    return torch.cat(parts, dim=-1).movedim(-1, dim)


def _lmax_degrees(x: torch.Tensor, dim: int) -> list[int]:
    n = x.shape[dim] if isinstance(x, torch.Tensor) and x.dim() else 0
    lmax = round(n**0.5) - 1
    if n == 0 or (lmax + 1) ** 2 != n:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(
            f"expected (l_max + 1)^2 spherical-harmonic coefficients (degrees 0..l_max) along dim {dim}, "
            f"got {shape}"
        )
    return list(range(lmax + 1))


def to_e3nn_coefficients(c: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Real spherical-harmonic coefficients of degrees ``0..l_max`` (``(l_max + 1)^2`` along ``dim``, degree by
    degree, as :class:`~groupconv.fourier.S2FFT` orders them) in e3nn's basis: ``f = c . Y = c' . Y^{e3nn}``.

    Examples
    --------
    >>> import torch
    >>> from groupconv.interop.e3nn import to_e3nn_coefficients
    >>> to_e3nn_coefficients(torch.tensor([1.0, 2.0, 3.0, 4.0]))  # (y, z, x) -> (x, y, z)
    tensor([1., 4., 2., 3.])
    """
    if not isinstance(c, torch.Tensor):
        raise TypeError(f"expected a torch.Tensor of coefficients, got {type(c).__name__}")
    return _block_apply(c, _lmax_degrees(c, dim), dim, inverse=False)


def from_e3nn_coefficients(c: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """The inverse of :func:`to_e3nn_coefficients`: e3nn's coefficients of degrees ``0..l_max`` in
    groupconv's basis.

    Examples
    --------
    >>> import torch
    >>> from groupconv.interop.e3nn import from_e3nn_coefficients
    >>> from_e3nn_coefficients(torch.tensor([1.0, 4.0, 2.0, 3.0]))
    tensor([1., 2., 3., 4.])
    """
    if not isinstance(c, torch.Tensor):
        raise TypeError(f"expected a torch.Tensor of coefficients, got {type(c).__name__}")
    return _block_apply(c, _lmax_degrees(c, dim), dim, inverse=True)


def _label(r: Representation) -> tuple[int, str]:
    """(degree, parity letter) of an ``SO(3)`` / ``O(3)`` irrep, a ``ValueError`` for anything else."""
    if isinstance(r, Irrep) and isinstance(r.group, O3):
        l, p = r.id
        return l, "e" if p == 1 else "o"
    if isinstance(r, Irrep) and isinstance(r.group, SO3):
        return r.id, "e" if r.id % 2 == 0 else "o"
    raise ValueError(
        f"e3nn irreps name irreps of SO(3) and O(3); got {r!r} of {r.group}: decompose it into irreps first"
    )


def e3nn_irreps(field_type: FieldType | Representation) -> str:
    """The e3nn ``Irreps`` string of a field type whose fields are irreps of ``SO(3)`` or ``O(3)`` (or of one
    such irrep), consecutive equal fields merged: ``"2x0e+1x1o"``. Pass it to ``e3nn.o3.Irreps``.

    Raises
    ------
    ValueError
        for a field that is not an irrep of ``SO(3)`` or ``O(3)``.

    Examples
    --------
    >>> from groupconv.groups import O3
    >>> from groupconv.nn import FieldType
    >>> from groupconv.reps import irrep
    >>> g = O3()
    >>> e3nn_irreps(FieldType(g, [irrep(g, 0, 1)] * 2 + [irrep(g, 1, -1), irrep(g, 2, -1)]))
    '2x0e+1x1o+1x2o'
    """
    if isinstance(field_type, FieldType):
        reps = field_type.representations
    elif isinstance(field_type, Representation):
        reps = (field_type,)
    else:
        raise TypeError(f"expected a FieldType or a Representation, got {type(field_type).__name__}")
    runs: list[list] = []
    for r in reps:
        label = _label(r)
        if runs and runs[-1][1] == label:
            runs[-1][0] += 1
        else:
            runs.append([1, label])
    return "+".join(f"{n}x{l}{p}" for n, (l, p) in runs)


def field_type_from_e3nn(irreps, group: Group) -> FieldType:
    """The field type of an e3nn ``Irreps`` (or its string, e.g. ``"2x0e + 1x1o"``) on ``group``, ``O3()``
    (parities kept) or ``SO3()`` (parities dropped), one field per copy, in e3nn's order.

    Raises
    ------
    ValueError
        for a string that is not a sum of ``"[mul x]{l}{e|o}"`` terms.
    TypeError
        for a group other than ``SO3`` / ``O3``.

    Examples
    --------
    >>> from groupconv.groups import O3
    >>> from groupconv.interop.e3nn import field_type_from_e3nn
    >>> field_type_from_e3nn("2x0e + 1x1o", O3())
    O3[2 x irrep(0,1) + irrep(1,-1)]
    """
    if not isinstance(group, (SO3, O3)):
        raise TypeError(f"e3nn irreps live on SO3() or O3(), got {group!r}")
    text = str(irreps).strip()
    reps: list[Representation] = []
    for term in text.split("+") if text else []:
        m = _TERM.match(term.strip())
        if m is None:
            raise ValueError(f"expected e3nn irreps like '2x0e+1x1o', got {text!r} (term {term.strip()!r})")
        mul, l, p = int(m.group(1) or 1), int(m.group(2)), m.group(3)
        ir = irrep(group, l, 1 if p == "e" else -1) if isinstance(group, O3) else irrep(group, l)
        reps.extend([ir] * mul)
    return FieldType(group, reps)


def _field_degrees(field_type: FieldType) -> list[int]:
    if not isinstance(field_type, FieldType):
        raise TypeError(f"expected a FieldType, got {type(field_type).__name__}")
    return [_label(r)[0] for r in field_type.representations]


def to_e3nn_features(x: torch.Tensor, field_type: FieldType, dim: int = 1) -> torch.Tensor:
    """Features of ``field_type`` (irreps of ``SO(3)`` / ``O(3)``, channels along ``dim``) in e3nn's basis,
    the layout of ``e3nn_irreps(field_type)``: each field ``x_l`` becomes ``Q_l x_l``.

    Examples
    --------
    >>> import torch
    >>> from groupconv.groups import SO3
    >>> from groupconv.nn import FieldType
    >>> from groupconv.reps import irrep
    >>> ft = FieldType(SO3(), [irrep(SO3(), 0), irrep(SO3(), 1)])
    >>> to_e3nn_features(torch.tensor([[5.0, 1.0, 2.0, 3.0]]), ft)
    tensor([[5., 3., 1., 2.]])
    """
    return _block_apply(x, _field_degrees(field_type), dim, inverse=False)


def from_e3nn_features(x: torch.Tensor, field_type: FieldType, dim: int = 1) -> torch.Tensor:
    """The inverse of :func:`to_e3nn_features`: e3nn features (layout ``e3nn_irreps(field_type)``) as
    features of ``field_type``.

    Examples
    --------
    >>> import torch
    >>> from groupconv.groups import SO3
    >>> from groupconv.interop.e3nn import field_type_from_e3nn
    >>> ft = field_type_from_e3nn("1x0e+1x1o", SO3())
    >>> from_e3nn_features(torch.tensor([[5.0, 3.0, 1.0, 2.0]]), ft)
    tensor([[5., 1., 2., 3.]])
    """
    return _block_apply(x, _field_degrees(field_type), dim, inverse=True)
