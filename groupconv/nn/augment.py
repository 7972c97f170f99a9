"""Data augmentation by random group elements: :class:`RandomGroupAction` draws one element per sample and
applies it to the sample with :func:`~groupconv.nn.rotate_field`.

Elements are drawn uniformly from a finite group and from the Haar measure of ``SO(2)``, ``O(2)``,
``SO(3)`` or ``O(3)`` (a uniform angle and a fair reflection flag for ``O(2)``; a Haar rotation and a fair
inversion flag for ``O(3)``). Elements that map the grid onto itself (``C_4`` and ``D_4`` on images, the
cube symmetries on volumes) act by exact pixel (voxel) permutations; other elements resample the plane or
space by interpolation (see :mod:`groupconv.nn.rotate` for its accuracy). Volumes ``(batch, C, D, H, W)``
are augmented for field types of groups acting on space (``SO(3)``, ``O(3)`` and their finite subgroups),
or of any group with ``spatial_dims=3`` (planar groups then turn volumes about the ``z`` axis).

>>> import torch
>>> from groupconv.groups import Cyclic
>>> from groupconv.nn import FieldType
>>> from groupconv.reps import trivial
>>> C4 = Cyclic(4)
>>> augment = RandomGroupAction(FieldType(C4, [trivial(C4)]), generator=torch.Generator().manual_seed(0))
>>> x = torch.arange(4.0).reshape(1, 1, 2, 2).expand(6, 1, 2, 2)
>>> y = augment(x)  # each sample rotated by its own multiple of 90 degrees, exactly
>>> all(any(torch.equal(y[i], torch.rot90(x[i], k, dims=(-2, -1))) for k in range(4)) for i in range(6))
True
>>> torch.equal(augment.eval()(x), x)  # the identity in eval mode
True
"""

from __future__ import annotations

import torch
from torch import nn

from ..groups.base import Group
from ..groups.planar import O2, SO2, Cyclic, Dihedral
from ..groups.spatial import O3, SO3
from .field_type import FieldType, spatial_matrix
from .module import check_spatial_dims
from .rotate import rotate_field

__all__ = ["RandomGroupAction"]


def _embedding(group: Group, target: Group):
    """The map sending element tensors of ``group`` to element tensors of ``target`` (a supergroup), or
    None when ``group`` is not one of the subgroups this module knows."""
    if group == target:
        return lambda g: g
    if isinstance(target, (SO3, O3)) and group.is_finite:
        return _matrix_embedding(group, target)
    if isinstance(group, (Cyclic, Dihedral)):
        if isinstance(target, SO2) and isinstance(group, Cyclic):
            return lambda g: group.angle(g)
        if isinstance(target, O2):
            if isinstance(group, Cyclic):
                return lambda g: O2.make(group.angle(g), 0.0)
            return lambda g: O2.make(group.angle(g), group.reflection(g).to(torch.float64))
        if isinstance(target, (Cyclic, Dihedral)) and target.n % group.n == 0:
            if isinstance(group, Dihedral) and isinstance(target, Cyclic):
                return None
            step = target.n // group.n
            if isinstance(group, Cyclic):
                return lambda g: g * step
            return lambda g: (g % group.n) * step + target.n * (g // group.n)
    return None


def _matrix_embedding(group: Group, target: Group):
    """A finite group acting on space (``O``, ``O_h``, ``I``, ``I_h``, ...; planar ``C_n``, ``D_n`` about the
    ``z`` axis) into ``SO(3)`` / ``O(3)`` by its action matrices, or None when it has none or one of them
    is not in ``target`` (an improper matrix for ``SO(3)``)."""
    try:
        mats = group.action_matrix(group.elements(), dtype=torch.float64)
    except (NotImplementedError, TypeError):
        return None
    if mats.shape[-1] not in (2, 3):
        return None
    table = spatial_matrix(mats, 3)
    if isinstance(target, SO3) and bool((torch.linalg.det(table) < 0).any()):
        return None
    return lambda g: table[g.long()]


class RandomGroupAction(nn.Module):
    """Random group elements acting on feature maps, one element per sample: data augmentation.

    Parameters
    ----------
    field_type:
        The :class:`~groupconv.nn.FieldType` of the inputs; its group acts on them (``C_n``, ``D_n``,
        ``SO(2)``, ``O(2)``, ``SO(3)``, ``O(3)``, or a finite group acting on space).
    group:
        The group the elements are drawn from: the field type's group (the default), or a subgroup of it
        among ``C_m`` in ``C_n``, ``D_n`` (``m`` dividing ``n``), ``D_m`` in ``D_n``, ``C_m`` in ``SO(2)``,
        ``C_m``, ``D_m`` in ``O(2)``, and in ``SO(3)`` / ``O(3)`` the finite groups by their action matrices
        (``Octahedral()`` for the 24 exact cube rotations of an ``SO(3)`` field type, the icosahedral
        groups, ``C_n`` and ``D_n`` about the ``z`` axis); for instance ``Cyclic(4)`` for exact quarter
        turns of an ``SO(2)`` field type.
    generator:
        The :class:`torch.Generator` the elements are drawn with (CPU); None uses torch's global one.
        A seeded generator makes the augmentation reproducible. In a ``DataLoader`` with several workers
        every worker holds a copy of it: seed it per worker (``worker_init_fn``) to draw different elements.
    mode:
        The interpolation of :func:`~groupconv.nn.rotate_field` for elements that do not act on the grid.
    spatial_dims:
        2 (images ``(batch, C, H, W)``) or 3 (volumes ``(batch, C, D, H, W)``); default: 3 for field types of
        groups acting on space (action matrices ``3 x 3``: ``SO(3)``, ``O(3)``, ``O``, ``I``, ...), else 2.
    in_eval:
        Whether to act in eval mode too. By default the module is the identity in eval mode (as dropout
        is), so that the same network definition can hold it and be evaluated on untouched data; it acts
        in training mode, which is a new module's mode (so it acts as a ``DataLoader`` transform).

    Notes
    -----
    ``forward`` takes a batch ``(batch, C, H, W)``, with one element drawn per sample, or one sample
    ``(C, H, W)`` (a dataset transform); on volumes ``(batch, C, D, H, W)`` or ``(C, D, H, W)``. :meth:`sample` returns the elements it would draw, as elements of
    the field type's group.
    """

    def __init__(
        self,
        field_type: FieldType,
        group: Group | None = None,
        generator: torch.Generator | None = None,
        mode: str = "cubic",
        in_eval: bool = False,
        spatial_dims: int | None = None,
    ):
        super().__init__()
        if not isinstance(field_type, FieldType):
            raise TypeError(f"RandomGroupAction needs a FieldType, got {type(field_type).__name__}")
        if group is None:
            group = field_type.group
        if not isinstance(group, Group):
            raise TypeError(f"group must be a groupconv Group or None, got {type(group).__name__}")
        embed = _embedding(group, field_type.group)
        if embed is None:
            raise ValueError(
                f"cannot draw elements of {group} for a field type of {field_type.group}: the group must be "
                f"the field type's group, a cyclic or dihedral subgroup of it, or a finite group acting on "
                f"space for SO3 / O3 field types"
            )
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
        if mode not in ("cubic", "bicubic", "bilinear"):
            raise ValueError(f"mode must be 'cubic', 'bicubic' or 'bilinear', got {mode!r}")
        self.field_type = field_type
        self.group = group
        self.generator = generator
        self.mode = mode
        self.in_eval = bool(in_eval)
        self._embed = embed
        if spatial_dims is None:
            spatial_dims = 3 if _action_dim(field_type.group) == 3 else 2
        self.spatial_dims = check_spatial_dims(spatial_dims, "RandomGroupAction")

    def sample(self, n: int) -> torch.Tensor:
        """``n`` independent random elements of :attr:`group` (uniform, or Haar for ``SO(2)`` / ``O(2)``),
        as elements of the field type's group."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"the number of elements must be an integer >= 0, got {n!r}")
        return self._embed(self.group.sample(n, generator=self.generator, dtype=torch.float64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"RandomGroupAction takes a torch.Tensor, got {type(x).__name__}")
        d = self.spatial_dims
        if x.dim() not in (d + 1, d + 2):
            axes = "H, W" if d == 2 else "D, H, W"
            raise ValueError(
                f"RandomGroupAction takes a batch (batch, C, {axes}) or one sample (C, {axes}), got "
                f"{tuple(x.shape)}"
            )
        if not (self.training or self.in_eval):
            return x
        if x.dim() == d + 1:
            return self.forward(x[None])[0]
        g = self.sample(x.shape[0]).to(x.device)
        return rotate_field(x, self.field_type, g, self.mode)

    def extra_repr(self) -> str:
        dims = "" if self.spatial_dims == 2 else f", spatial_dims={self.spatial_dims}"
        return f"{self.field_type!r}, group={self.group}, mode={self.mode!r}, in_eval={self.in_eval}{dims}"


def _action_dim(group: Group) -> int | None:
    try:
        return group.action_dim
    except NotImplementedError:
        return None
