"""The ``backprop`` reproduction (Nie, Zhang & Patel, ICML 2018): the smoke run writes its table, with
correlations in [-1, 1]; the correlation is Pearson's."""

from __future__ import annotations

import numpy as np
import torch
from _reproduce_helpers import smoke_run

from groupconv.reproduce.backprop import _correlation


def test_smoke_run_writes_table(tmp_path, capsys):
    data = smoke_run(tmp_path, capsys, "backprop")
    (rows,) = data["tables"].values()
    corr = [v for r in rows for k, v in r.items() if "corr" in k and isinstance(v, float)]
    assert corr and all(-1 - 1e-9 <= v <= 1 + 1e-9 for v in corr)


def test_correlation_is_pearsons_per_image():
    g = torch.Generator().manual_seed(0)
    maps, x = torch.randn(3, 1, 5, 5, generator=g), torch.randn(3, 1, 5, 5, generator=g)
    expected = [np.corrcoef(a.flatten(), b.flatten())[0, 1] for a, b in zip(maps.numpy(), x.numpy())]
    np.testing.assert_allclose(_correlation(maps, x), expected, rtol=1e-10)
    np.testing.assert_allclose(_correlation(x, 2 * x + 1), np.ones(3), rtol=1e-12)
