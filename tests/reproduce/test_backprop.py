"""The ``backprop`` reproduction (Nie, Zhang & Patel, ICML 2018): the smoke run writes its table, with
correlations in [-1, 1]; the correlation is Pearson's."""

from __future__ import annotations

import json

import numpy as np
import torch

from groupconv.cli import main
from groupconv.reproduce.backprop import _correlation


def _smoke_run(tmp_path, capsys, name="backprop"):
    """``groupconv reproduce backprop --smoke`` writes its table; returns its results.json."""
    out = tmp_path / name
    assert main(["reproduce", name, "--smoke", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "| ---" in printed and str(out) in printed
    md = (out / "results.md").read_text()
    data = json.loads((out / "results.json").read_text())
    assert data["name"] == name and data["settings"]["smoke"] is True
    (rows,) = list(data["tables"].values())[:1]
    assert rows and all(set(r) == set(rows[0]) for r in rows)
    assert "| ---" in md
    return data


def test_smoke_run_writes_table(tmp_path, capsys):
    data = _smoke_run(tmp_path, capsys)
    (rows,) = data["tables"].values()
    corr = [v for r in rows for k, v in r.items() if "corr" in k and isinstance(v, float)]
    assert corr and all(-1 - 1e-9 <= v <= 1 + 1e-9 for v in corr)


def test_correlation_is_pearsons_per_image():
    g = torch.Generator().manual_seed(0)
    maps, x = torch.randn(3, 1, 5, 5, generator=g), torch.randn(3, 1, 5, 5, generator=g)
    expected = [np.corrcoef(a.flatten(), b.flatten())[0, 1] for a, b in zip(maps.numpy(), x.numpy())]
    np.testing.assert_allclose(_correlation(maps, x), expected, rtol=1e-10)
    np.testing.assert_allclose(_correlation(x, 2 * x + 1), np.ones(3), rtol=1e-12)
