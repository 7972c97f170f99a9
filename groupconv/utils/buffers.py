"""Derived buffers: tables computed in float64 at construction (filter bases, quadrature weights, Fourier
matrices) and kept as non-persistent buffers in the module's dtype.

A module that mixes in :class:`DerivedBuffers` registers such a table with
:meth:`~DerivedBuffers.register_derived`: the float64 (or complex128) original stays on the CPU as the
*master*, and every dtype or device change (``.to``, ``.float()``, ``.double()``, ``.cuda()``) rebuilds
the buffer from it. A round trip through float32 therefore loses no precision, and the ``state_dict``
holds only what was learned: the same in train and eval mode, loadable into a freshly built module.

>>> import torch
>>> from torch import nn
>>> class Table(DerivedBuffers, nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.register_derived("third", torch.tensor([1.0], dtype=torch.float64) / 3)
>>> t = Table()
>>> t.third.dtype
torch.float32
>>> t.float().double().third.item() == 1 / 3
True
>>> list(t.state_dict())
[]
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["DerivedBuffers"]


def _master(value: torch.Tensor | np.ndarray) -> torch.Tensor:
    t = torch.as_tensor(value).detach()
    wide = torch.complex128 if t.is_complex() else torch.float64
    if not (t.is_floating_point() or t.is_complex()):
        raise TypeError(f"a derived buffer must hold floating point or complex values, got dtype {t.dtype}")
    return t.to(device="cpu", dtype=wide).contiguous()


class DerivedBuffers:
    """Mixin for ``torch.nn.Module``: non-persistent buffers rebuilt from float64 masters on every dtype
    and device change. List it before ``nn.Module`` among the bases."""

    def register_derived(
        self, name: str, value: torch.Tensor | np.ndarray, dtype: torch.dtype | None = None
    ) -> None:
        """Register ``value`` (computed in float64 or complex128) as the non-persistent buffer ``name``.

        Parameters
        ----------
        name:
            The buffer's attribute name.
        value:
            The table, a tensor or numpy array of real or complex floats; its float64 (complex128) copy
            on the CPU is the master every later cast starts from.
        dtype:
            The buffer's dtype now; by default ``torch.get_default_dtype()`` (its complex counterpart for
            complex values).
        """
        master = _master(value)
        if "_derived_masters" not in self.__dict__:
            self._derived_masters: dict[str, torch.Tensor] = {}
        self._derived_masters[name] = master
        if dtype is None:
            dtype = torch.get_default_dtype()
            if master.is_complex():
                dtype = torch.complex128 if dtype == torch.float64 else torch.complex64
        self.register_buffer(name, master.to(dtype), persistent=False)

    def derived_master(self, name: str) -> torch.Tensor:
        """The float64 (complex128) master of the derived buffer ``name``."""
        masters = self.__dict__.get("_derived_masters", {})
        if name not in masters:
            raise KeyError(f"{type(self).__name__} has no derived buffer named {name!r}")
        return masters[name]

    def _apply(self, fn, recurse: bool = True):
        super()._apply(fn, recurse)
        for name, master in self.__dict__.get("_derived_masters", {}).items():
            current = self._buffers.get(name)
            if current is not None:
                self._buffers[name] = master.to(device=current.device, dtype=current.dtype)
        return self
