"""A type-checked sequential container of equivariant layers.

>>> import torch
>>> from groupconv.groups import Dihedral
>>> from groupconv.nn import FieldType, GroupPooling, ReLU
>>> from groupconv.reps import regular
>>> t = FieldType(Dihedral(4), [regular(Dihedral(4))] * 2)
>>> net = EquivariantSequential(ReLU(t), GroupPooling(t))
>>> net.in_type, net.out_type
(D4[2 x regular], D4[2 x irrep(0,0)])
>>> net(torch.randn(1, 16, 5, 5)).shape
torch.Size([1, 2, 5, 5])
"""

from __future__ import annotations

from collections import OrderedDict

from torch import nn

from .export import export as export_module
from .module import EquivariantModule

__all__ = ["EquivariantSequential"]


def _types(module: nn.Module):
    return getattr(module, "in_type", None), getattr(module, "out_type", None)


class EquivariantSequential(EquivariantModule, nn.Sequential):
    """``nn.Sequential`` of typed layers whose types chain: ``out_type`` of each layer equals the
    ``in_type`` of the next (checked at construction and on :meth:`append`).

    It carries ``in_type`` (of the first layer) and ``out_type`` (of the last), so
    :func:`groupconv.verify.check_equivariance` checks every layer and the whole network. A plain
    ``nn.Sequential`` of typed layers works with ``check_equivariance`` and :func:`groupconv.nn.export`
    too; this container adds the type check and the end-to-end row. ``nn.Identity`` is accepted anywhere.
    Every other layer must carry ``in_type`` and ``out_type``.
    """

    def __init__(self, *modules: nn.Module):
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            items = list(modules[0].items())
        else:
            items = [(str(i), m) for i, m in enumerate(modules)]
        if not items:
            raise ValueError("EquivariantSequential needs at least one typed layer")
        super().__init__(OrderedDict(items))
        self._check_chain()

    def _check_chain(self) -> None:
        previous = None
        for name, module in self.named_children():
            if isinstance(module, nn.Identity):
                continue
            tin, tout = _types(module)
            if tin is None or tout is None:
                raise TypeError(
                    f"EquivariantSequential layer {name!r} ({type(module).__name__}) has no in_type/out_type; "
                    "wrap it in a typed layer or use a plain nn.Sequential"
                )
            if previous is not None and previous[1] != tin:
                raise ValueError(
                    f"EquivariantSequential: layer {name!r} ({type(module).__name__}) expects in_type {tin!r} "
                    f"but layer {previous[0]!r} produces {previous[1]!r}"
                )
            previous = (name, tout)
        if previous is None:
            raise ValueError("EquivariantSequential needs at least one typed layer")

    @property
    def in_type(self):
        for module in self:
            if not isinstance(module, nn.Identity):
                return module.in_type
        raise ValueError("EquivariantSequential has no typed layer")  # pragma: no cover

    @property
    def out_type(self):
        for module in reversed(list(self)):
            if not isinstance(module, nn.Identity):
                return module.out_type
        raise ValueError("EquivariantSequential has no typed layer")  # pragma: no cover

    def append(self, module: nn.Module) -> EquivariantSequential:
        super().append(module)
        try:
            self._check_chain()
        except (TypeError, ValueError):
            del self[len(self) - 1]
            raise
        return self

    def export(self) -> nn.Sequential:
        """A plain ``nn.Sequential`` computing the same map (see :func:`groupconv.nn.export`)."""
        return export_module(self)

    def extra_repr(self) -> str:
        # the layers print their own types
        return ""
