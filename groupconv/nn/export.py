"""Export of groupconv networks to plain torch modules.

Examples
--------

>>> import torch
>>> from groupconv.groups import Dihedral
>>> from groupconv.nn import EquivariantSequential, FieldBatchNorm, FieldType, GroupPooling, ReLU
>>> from groupconv.reps import regular
>>> t = FieldType(Dihedral(4), [regular(Dihedral(4))] * 2)
>>> net = EquivariantSequential(FieldBatchNorm(t), ReLU(t), GroupPooling(t)).eval()
>>> plain = export(net)
>>> [type(m).__name__ for m in plain]
['Conv2d', 'ReLU', 'FieldReduce']
>>> x = torch.randn(1, 16, 5, 5)
>>> torch.allclose(plain(x), net(x))
True
"""

from __future__ import annotations

import copy

from torch import nn

__all__ = ["export"]


def _export_leaf(module: nn.Module) -> nn.Module | None:
    fn = getattr(module, "export", None)
    if callable(fn) and not isinstance(module, nn.Sequential):
        return fn()
    return None


def _flatten(module: nn.Module, out: list[nn.Module]) -> None:
    if isinstance(module, nn.Sequential):
        for child in module:
            _flatten(child, out)
    else:
        out.append(module)


def export(module: nn.Module) -> nn.Module:
    """A plain torch module with the same outputs as ``module`` (inference mode).

    - a groupconv layer (anything with an ``export()`` method) becomes its exported form: convolutions
      an ``nn.Conv2d``, batch norm a depthwise ``1 x 1`` ``nn.Conv2d`` with its running statistics folded
      in, pointwise nonlinearities the torch activation, pooling ``nn.MaxPool2d`` / depthwise
      ``nn.Conv2d``; field-wise maps without a torch counterpart (norm nonlinearities, gates, group
      pooling) small modules holding index buffers only;
    - an ``nn.Sequential`` (also nested, also :class:`~groupconv.nn.EquivariantSequential`) becomes one
      flat ``nn.Sequential`` of the exported layers;
    - any other module is deep-copied with its groupconv submodules replaced by their exported forms, so
      plain torch modules pass through unchanged.

    The result carries no group or representation objects: it depends on torch alone, and keeps the
    module's device and dtype. Export in eval mode semantics: batch norm uses its running statistics.
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"export takes an nn.Module, got {type(module).__name__}")
    if isinstance(module, nn.Sequential):
        leaves: list[nn.Module] = []
        _flatten(module, leaves)
        parts: list[nn.Module] = []
        for leaf in leaves:
            _flatten(export(leaf), parts)
        return nn.Sequential(*parts)
    leaf = _export_leaf(module)
    if leaf is not None:
        if not isinstance(leaf, nn.Module):
            raise TypeError(
                f"{type(module).__name__}.export() returned {type(leaf).__name__}, not an nn.Module"
            )
        return leaf
    result = copy.deepcopy(module)
    _replace_children(result)
    return result


def _replace_children(module: nn.Module) -> None:
    for name, child in list(module.named_children()):
        if isinstance(child, nn.Sequential) or callable(getattr(child, "export", None)):
            setattr(module, name, export(child))
        else:
            _replace_children(child)
