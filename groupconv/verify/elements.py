"""Which group elements an equivariance check tries, which of them act exactly, and the tolerances.

:func:`choose_elements` is the one place that picks and classifies the elements (the checker
:func:`~groupconv.verify.check_equivariance`, :func:`groupconv.testing.assert_equivariant` and the
``groupconv verify`` command all use it), and :func:`default_tolerances` the one place that sets the
tolerances by dtype.

A type object tells the checker about its grid through three optional methods, the grid protocol:
``is_exact(g)`` (``g`` acts on its samples without interpolation; a type whose answer depends on the
size of the grid takes its spatial ``shape`` as the keyword ``shape``), ``exact_elements()`` (the
elements of a continuous group that act exactly) and ``band_limit(x)`` (a band-limited feature, on which
interpolated actions are accurate; a type that can blur more for a subsampling layer takes the keyword
``scale``). :class:`~groupconv.nn.FieldType` and the spherical types implement it.

Examples
--------

>>> import torch
>>> from groupconv.groups import Cyclic
>>> from groupconv.nn import FieldType
>>> from groupconv.reps import regular
>>> t = FieldType(Cyclic(8), [regular(Cyclic(8))])
>>> [g for g, exact in choose_elements(t) if exact]
[0, 2, 4, 6]
>>> default_tolerances(torch.float32)
(1e-07, 1e-05)
"""

from __future__ import annotations

import inspect
from typing import Any

import torch

from ..groups.base import Group
from ..groups.planar import O2, SO2
from ..groups.spatial import O3, SO3
from ..nn.field_type import BAND_LIMIT_SIGMA, cube_symmetries

__all__ = [
    "default_tolerances",
    "resolve_tolerances",
    "choose_elements",
    "elements_to_try",
    "is_exact",
    "band_limit",
    "cube_rotations",
    "BAND_LIMIT_SIGMA",
]


def cube_rotations(inversion: bool = False) -> torch.Tensor:
    """The 24 rotations of the cube (the signed permutation matrices of determinant 1), float64
    ``(24, 3, 3)``, identity first; with ``inversion=True`` also their products with ``-I`` (48): the
    elements of ``SO(3)`` (``O(3)``) that act on a cubic voxel grid exactly
    (:func:`groupconv.nn.field_type.cube_symmetries`).

    >>> cube_rotations().shape
    torch.Size([24, 3, 3])
    """
    return cube_symmetries(inversion)


# -- tolerances -------------------------------------------------------------------------------------------
#: ``(atol, rtol)`` of the exact tier per dtype: well above the rounding of deep sums of products (about
#: 1e-15 relative in float64, 1e-6 in float32), far below the error of a wrong layer.
_TOLERANCES = {
    torch.float64: (1e-12, 1e-10),
    torch.float32: (1e-7, 1e-5),
    torch.float16: (1e-4, 1e-2),
    torch.bfloat16: (1e-3, 5e-2),
}


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

    :func:`~groupconv.verify.check_equivariance`, :func:`groupconv.testing.assert_equivariant` and
    ``groupconv verify`` all take their defaults from here.
    """
    if dtype not in _TOLERANCES:
        raise ValueError(
            f"equivariance checks run in float64, float32, float16 or bfloat16, got dtype {dtype}"
        )
    return _TOLERANCES[dtype]


def resolve_tolerances(dtype: torch.dtype, atol: float | None, rtol: float | None) -> tuple[float, float]:
    """The tolerances a check computed in ``dtype`` uses: ``atol`` and ``rtol`` where given, else those of
    :func:`default_tolerances`; a negative or non-numeric value raises ``ValueError``.

    >>> resolve_tolerances(torch.float64, None, 1e-6)
    (1e-12, 1e-06)
    """
    d_atol, d_rtol = default_tolerances(dtype)
    for value, what in ((atol, "atol"), (rtol, "rtol")):
        if value is not None and (not isinstance(value, (int, float)) or not value >= 0):
            raise ValueError(
                f"{what} must be a non-negative number or None (the dtype's default), got {value!r}"
            )
    return (d_atol if atol is None else float(atol)), (d_rtol if rtol is None else float(rtol))


# -- which elements, and which of them act exactly -----------------------------------------------------------
def _grid_symmetries(group: Group) -> list:
    """The elements of a continuous group that map a square pixel grid (or a cube voxel grid) onto
    itself: the rotations by multiples of 90 degrees (and the reflections for O(2)), the 24 rotations
    of the cube for SO(3) (48 with the inversion for O(3)); the identity for other groups. The default
    for types without ``exact_elements()``."""
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


def _takes_keyword(function: Any, name: str) -> bool:
    """Whether ``function`` accepts the keyword argument ``name``: the optional parts of the grid protocol
    (``shape`` of ``is_exact``, ``scale`` of ``band_limit``) are passed only to types that take them."""
    try:
        return name in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


def is_exact(type_obj: Any, g: Any, shape: tuple[int, ...] | None = None) -> bool:
    """Whether the action of ``g`` on features of type ``type_obj`` is exact (no interpolation), so that
    an equivariant layer's error under it is rounding only.

    The type's own ``is_exact(g)`` answers (with ``shape=``, the feature's shape, when it takes that
    keyword): a :class:`~groupconv.nn.FieldType` calls ``g`` exact iff it maps the pixel centres of the
    grid onto pixel centres (the rotations by multiples of 90 degrees and the axis reflections, every
    element on a ``1 x 1`` grid). A type without the method, such as a
    :class:`~groupconv.reps.Representation` (vectors), is acted on exactly.
    """
    own = getattr(type_obj, "is_exact", None)
    if not callable(own):
        return True
    if shape is not None and _takes_keyword(own, "shape"):
        return bool(own(g, shape=tuple(shape)))
    return bool(own(g))


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

    Examples
    --------
    >>> from groupconv.groups import SO2
    >>> [exact for _, exact in choose_elements(SO2(), n_samples=2)]
    [True, True, True, True, True, True]
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
    samples.

    >>> from groupconv.groups import Dihedral
    >>> len(elements_to_try(Dihedral(3)))
    6
    """
    return [g for g, _ in choose_elements(group, n_samples, generator)]


# -- band-limiting for the approximate tier --------------------------------------------------------------
def band_limit(type_obj: Any, x: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
    """A band-limited version of the feature ``x`` of type ``type_obj``, on which interpolated actions
    are accurate: the approximate tier of :func:`~groupconv.verify.check_equivariance` tests off-grid
    elements on it. Equivariance must hold for every input, so testing a layer on a band-limited input
    is legitimate.

    The type's own ``band_limit(x)`` answers (with ``scale=``, how many times coarser the layer's output
    grid is, when it takes that keyword): a :class:`~groupconv.nn.FieldType` keeps the disc inscribed in
    the grid and blurs it with a Gaussian of ``BAND_LIMIT_SIGMA * scale`` pixels. Other types return
    ``x`` unchanged.
    """
    own = getattr(type_obj, "band_limit", None)
    if not callable(own):
        return x
    if scale != 1.0 and _takes_keyword(own, "scale"):
        return own(x, scale=scale)
    return own(x)
