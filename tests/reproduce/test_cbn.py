"""The ``cbn`` reproduction (Wen & Jacot, ICML 2024): the smoke run writes its table; the task's target is
the energy of the lowest frequencies, and the full-size circular CNN is translation invariant."""

from __future__ import annotations

import numpy as np
import torch
from _reproduce_helpers import smoke_run

from groupconv.reproduce.cbn import TASK_FREQUENCIES, _Net, _task


def test_smoke_run_writes_table(tmp_path, capsys):
    data = smoke_run(tmp_path, capsys, "cbn")
    (rows,) = data["tables"].values()
    depth = data["settings"]["depth"]
    total = data["settings"]["size"] ** 2
    assert [r["layer"] for r in rows] == list(range(1, depth + 1))
    assert all(0 <= r["trained_w_freqs"] <= total and 0 <= r["init_w_freqs"] <= total for r in rows)


def test_task_target_is_the_energy_at_the_lowest_frequencies():
    x, y = _task(5, 8, torch.Generator().manual_seed(0))
    img = x[:, 0].double().numpy()
    u = np.arange(8)
    energy = np.zeros(5)
    for k1, k2 in TASK_FREQUENCIES:
        # the orthonormal DFT coefficient at (k1, k2), summed by hand
        wave = np.exp(-2j * np.pi * (k1 * u[:, None] + k2 * u[None, :]) / 8) / 8
        energy += np.abs((img * wave).sum((1, 2))) ** 2
    np.testing.assert_allclose(y.double().numpy(), (energy - 4) / 4, rtol=1e-5, atol=1e-5)


def test_full_size_circular_cnn_is_translation_invariant():
    torch.manual_seed(0)
    net = _Net(depth=2, channels=3, kernel=7).double()
    x = torch.randn(2, 1, 7, 7, dtype=torch.float64)
    torch.testing.assert_close(net(torch.roll(x, (2, 5), (-2, -1))), net(x), rtol=1e-12, atol=1e-12)
