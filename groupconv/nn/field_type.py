"""Field types: a group acting on the plane and the representations of the fields on it.

A feature map of type ``FieldType(G, [rho_1, ..., rho_k])`` is a tensor ``(batch, C, H, W)`` with
``C = sum_i dim(rho_i)``, the fields contiguous and in the declared order. The group acts by

.. math::  (g \\cdot f)(x) = \\rho(g) \\, f(g^{-1} x),  \\qquad \\rho = \\bigoplus_i \\rho_i .

>>> import torch
>>> from groupconv.groups import Cyclic
>>> from groupconv.reps import irrep, regular
>>> C4 = Cyclic(4)
>>> t = FieldType(C4, [regular(C4), irrep(C4, 1)])
>>> t, t.size, len(t)
(C4[regular + irrep(1)], 6, 2)
>>> x = torch.randn(1, 6, 3, 3)
>>> torch.equal(t.transform(t.transform(x, 1), 3), x)  # a quarter turn and its inverse
True
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from ..groups.actions import acts_on_grid, grid_action_matrix, transform_grid
from ..groups.base import Group, check_same_group
from ..groups.planar import O2, SO2
from ..reps.representation import Representation, directsum

__all__ = ["FieldType", "BAND_LIMIT_SIGMA"]

#: Standard deviation (pixels) of the Gaussian low-pass of :meth:`FieldType.band_limit`, applied before an
#: off-grid rotation is tested.
BAND_LIMIT_SIGMA = 2.0


class FieldType:
    """A group and the list of field representations of a feature map on the plane.

    Prints in the compact form ``D4[16 x regular + 4 x irrep(1,1)]``.
    """

    def __init__(self, group: Group, representations: Sequence[Representation]):
        if not isinstance(group, Group):
            raise TypeError(f"FieldType needs a groupconv Group, got {type(group).__name__}")
        reps = list(representations)
        for r in reps:
            if not isinstance(r, Representation):
                raise TypeError(f"FieldType takes Representations, got {type(r).__name__}")
            check_same_group(group, r.group, "representation")
        self.group = group
        self.representations = tuple(reps)
        self.representation = directsum(*reps, group=group)
        self.size = self.representation.dim

    @property
    def dim(self) -> int:
        """Deprecated: the number of channels, :attr:`size`."""
        warnings.warn("FieldType.dim is deprecated, use FieldType.size", DeprecationWarning, stacklevel=2)
        return self.size

    def __len__(self) -> int:
        return len(self.representations)

    def __add__(self, other: FieldType) -> FieldType:
        if not isinstance(other, FieldType):
            raise TypeError(f"can only add FieldTypes, got {type(other).__name__}")
        check_same_group(self.group, other.group, "field type")
        return FieldType(self.group, self.representations + other.representations)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, FieldType)
            and self.group == other.group
            and len(self.representations) == len(other.representations)
            and all(a == b for a, b in zip(self.representations, other.representations))
        )

    def __hash__(self) -> int:
        return hash((self.group, self.representations))

    def __repr__(self) -> str:
        return repr(self.representation)

    def field_slices(self) -> list[slice]:
        """Channel slice of each field."""
        out, i = [], 0
        for r in self.representations:
            out.append(slice(i, i + r.dim))
            i += r.dim
        return out

    def check(self, x: torch.Tensor, name: str = "input") -> torch.Tensor:
        """Validate a feature map ``(batch, C, H, W)`` of this type."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
        if x.dim() != 4 or x.shape[1] != self.size:
            raise ValueError(
                f"{name} of type {self!r} must have shape (batch, {self.size}, H, W), got {tuple(x.shape)}"
            )
        return x

    def transform(self, x: torch.Tensor, g: int | torch.Tensor) -> torch.Tensor:
        """``g . x`` for a feature map on a pixel grid, exactly (groups acting on the grid only)."""
        self.check(x)
        if not acts_on_grid(self.group):
            raise ValueError(
                f"exact grid transform needs a group acting on the pixel grid (C1, C2, C4, D1, D2, D4), "
                f"got {self.group}; use groupconv.nn.rotate_field for other groups"
            )
        g = torch.as_tensor(int(g))
        rho = self.representation(g, dtype=torch.float64)
        y = transform_grid(x, self.group, int(g))
        signed = _signed_permutation(rho)
        if signed is not None:
            # a (signed) permutation of the channels: one gather, exact, O(C) instead of O(C^2)
            idx, sign = signed
            y = y.index_select(1, idx.to(x.device))
            return y if sign is None else y * sign.to(device=x.device, dtype=x.dtype).view(1, -1, 1, 1)
        return torch.einsum("cd,bdhw->bchw", rho.to(device=x.device, dtype=x.dtype), y)

    # -- the grid protocol of groupconv.verify: which elements act exactly, and on which inputs ---------------
    def is_exact(self, g, shape: tuple[int, ...] | None = None) -> bool:
        """Whether ``g`` acts on feature maps of this type without interpolation: it maps every pixel centre
        of the grid (spatial ``shape`` ``(H, W)`` when given, else any square grid) onto a pixel centre, so
        the action is an index permutation times ``rho(g)``. These are the rotations by multiples of 90
        degrees and the axis reflections; every element is exact on a ``1 x 1`` grid.

        >>> from groupconv.groups import Cyclic
        >>> from groupconv.reps import regular
        >>> t = FieldType(Cyclic(8), [regular(Cyclic(8))])
        >>> t.is_exact(2), t.is_exact(1), t.is_exact(1, shape=(1, 1))
        (True, False, True)
        """
        spatial = None if shape is None else tuple(shape[-2:])
        group = self.group
        if acts_on_grid(group):
            # C1, C2, C4, D1, D2, D4: exact on any grid where they are defined (90 degrees needs a square)
            if spatial is None or spatial[0] == spatial[1]:
                return True
            m = grid_action_matrix(group, int(g))
            return m[0, 1] == 0 and m[1, 0] == 0
        try:
            m = group.action_matrix(torch.as_tensor(g) if group.is_finite else g, dtype=torch.float64)
        except NotImplementedError:
            return True
        if spatial is not None and spatial[0] * spatial[1] == 1:
            return True  # the single pixel sits at the centre of every rotation
        if not bool(torch.allclose(m, m.round(), atol=1e-9)):
            return False
        if spatial is None:
            return True
        return spatial[0] == spatial[1] or bool(m[0, 1].abs() < 0.5)

    def exact_elements(self) -> list:
        """The elements of a continuous group that map a square pixel grid onto itself: the rotations by
        multiples of 90 degrees (with the reflections for O(2)); the identity for other groups.

        >>> from groupconv.groups import SO2
        >>> from groupconv.reps import irrep
        >>> len(FieldType(SO2(), [irrep(SO2(), 1)]).exact_elements())
        4
        """
        quarter_turns = [torch.tensor(k * torch.pi / 2, dtype=torch.float64) for k in range(4)]
        if isinstance(self.group, SO2):
            return quarter_turns
        if isinstance(self.group, O2):
            return [O2.make(angle, s) for s in (0, 1) for angle in quarter_turns]
        return [self.group.identity()]

    def band_limit(self, x: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
        """A band-limited feature map of this type, on which interpolated rotations are accurate.

        ``x`` (``(..., H, W)``) is restricted to a disc about the grid centre, ``3 sigma`` inside the disc
        inscribed in the grid, then blurred by a Gaussian of standard deviation
        ``sigma = BAND_LIMIT_SIGMA * scale`` pixels (``scale``: how many times coarser a layer's output
        grid is than its input, so that a subsampled output is as smooth on its own grid): a band-limited
        image that stays (up to its Gaussian tail) inside the grid under every rotation. On grids too small
        for that margin ``sigma`` shrinks (to at least one pixel). Both steps act on every channel alike
        and are isotropic, so they commute with the action of ``O(2)`` on fields of any type.

        >>> from groupconv.groups import SO2
        >>> from groupconv.reps import trivial
        >>> t = FieldType(SO2(), [trivial(SO2())])
        >>> y = t.band_limit(torch.ones(1, 1, 21, 21, dtype=torch.float64))
        >>> float(y[0, 0, 10, 10]) > 0.8, float(y[0, 0, 0, 0]) < 1e-6
        (True, True)
        """
        h, w = x.shape[-2:]
        inscribed = (min(h, w) - 1) / 2
        sigma = max(1.0, min(BAND_LIMIT_SIGMA * scale, (inscribed - 1) / 3))
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


def _signed_permutation(m: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None] | None:
    """``(idx, sign)`` with ``m[c, idx[c]] = sign[c] = +-1`` the only nonzero of each row, or ``None``
    when ``m`` is not a signed permutation matrix (``sign`` is ``None`` for a plain permutation)."""
    nonzero = m != 0
    if not bool((nonzero.sum(1) == 1).all()) or not bool((m.abs()[nonzero] == 1).all()):
        return None
    idx = nonzero.to(torch.int64).argmax(1)
    sign = m.gather(1, idx[:, None])[:, 0]
    return idx, (None if bool((sign == 1).all()) else sign)
