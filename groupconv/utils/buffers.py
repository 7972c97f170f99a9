"""Float tables kept as float64 masters: a mixin for ``nn.Module`` classes whose derived float tables are
non-persistent buffers, rebuilt from their float64 master on every dtype / device change (``.to``,
``.float()``, ``.double()``, ``.cuda()``), so a round trip through float32 loses no precision."""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["Float64Masters"]


class Float64Masters:
    """Mixin for ``nn.Module``: each buffer named in ``self._masters`` (a dict of float64 numpy arrays the
    class fills) is rebuilt from its master in the buffer's new dtype and on its new device."""

    _masters: dict[str, np.ndarray]

    def _apply(self, fn, recurse: bool = True):
        super()._apply(fn, recurse)
        for name, master in self._masters.items():
            cur = self._buffers[name]
            self._buffers[name] = torch.as_tensor(master, dtype=cur.dtype, device=cur.device)
        return self
